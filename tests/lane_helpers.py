"""What the fast-lane tests share (tests/test_fast_lane.py, tests/test_remote_lane.py,
tests/test_probe.py): a request's environ, the app's own answer past the lane, headers in a
comparable form, and the jobs that reached an executor process."""

from __future__ import annotations

from werkzeug.test import EnvironBuilder


def environ(query_string: str, headers: dict, method: str = "GET") -> dict:
    return EnvironBuilder("/sparql", method=method, query_string=query_string, headers=headers,
                          environ_base={"REMOTE_ADDR": "192.0.2.7"}).get_environ()


def by_app(app, env: dict) -> tuple[int, dict, bytes]:
    """The app's answer to ``env``, past the lane(s): Flask and its hooks."""
    lane = app.extensions["justicegraph.lane"]
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), headers

    body = b"".join(lane.wsgi_app(env, start_response))
    return answer["status"], headers_of(answer["headers"]), body


def headers_of(pairs) -> dict:
    out = {}
    for name, value in pairs:
        out.setdefault(name.lower(), []).append(value)
    return out


def comparable(headers: dict) -> dict:
    # Both answers carry a Content-Length when they know it; the rate-limit window is checked apart.
    return {k: v for k, v in headers.items()
            if k not in ("content-length", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after")}


def executor_runs(app, monkeypatch) -> list:
    """The jobs that reach an executor process (ProcessExecutor.run) from now on, recorded."""
    executor = app.extensions["justicegraph.endpoint"].executor
    calls, run = [], executor.run
    monkeypatch.setattr(executor, "run", lambda job, timeout: (calls.append(job), run(job, timeout))[1])
    return calls


def close_executor(app) -> None:
    """Stop the app's executor processes, if it started them."""
    endpoint = app.extensions["justicegraph.endpoint"]
    if endpoint._executor is not None:
        endpoint._executor.close()
