"""What the fast-lane tests share (tests/test_fast_lane.py, tests/test_remote_lane.py): a
request's environ, the app's own answer past the lane, and headers in a comparable form."""

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
