"""executor_max_rss_mb: an executor that has grown past the limit after a job is replaced (in
the background) instead of going back to the pool; queries keep being answered."""

from __future__ import annotations

import pytest
from fixtures.restricted.harness import build_store

from justicegraph.server.app import create_app
from justicegraph.server.protocol.machinery import endpoint
from justicegraph.settings import Settings

pytestmark = pytest.mark.embedded_only("executor processes serve an embedded on-disk store")

JSON = {"Accept": "application/sparql-results+json"}
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def answer(app) -> str:
    r = app.test_client().get("/sparql", query_string={"query": COUNT}, headers=JSON)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["results"]["bindings"][0]["n"]["value"]


@pytest.mark.parametrize("limit", [1, 0])
def test_executors_past_the_limit_are_replaced(tmp_path, limit):
    path = build_store(tmp_path / "store")
    app = create_app(Settings.from_env({}, store=str(path), rate_limit="", executors=1, inline_lookups=False,
                                       executor_max_rss_mb=limit))
    try:
        first = answer(app)
        with app.app_context():
            executor = endpoint().executor
            pids = {h.process.pid for h in list(executor._idle.queue)}
        assert [answer(app) for _ in range(3)] == [first] * 3
        with app.app_context():
            later = {h.process.pid for h in list(executor._idle.queue)}
        if limit:  # every executor is over 1 MB: each job's executor was replaced
            assert executor.recycled >= 3 and not (pids & later)
        else:
            assert executor.recycled == 0
    finally:
        with app.app_context():
            endpoint().executor.close()


@pytest.mark.parametrize("close", [True, False])
def test_a_streamed_answer_left_unread_frees_its_executor(tmp_path, close):
    """An answer streamed in pieces that nobody reads — the fast lane handed it on and the app
    refused the request first, or the client went away before the first piece — gives its
    executor back when it is closed or dropped; with one executor, later queries still run."""
    import gc

    path = build_store(tmp_path / "store")
    app = create_app(Settings.from_env({}, store=str(path), rate_limit="", executors=1, inline_lookups=False))
    try:
        with app.app_context():
            executor = endpoint().executor
            job = {"kind": "query", "query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "base": None,
                   "dataset": endpoint().dataset(restricted_ok=False), "results_format": "csv",
                   "graph_format": None, "row_cap": 10_000, "prefixes": {}}
            meta, body = executor.run(job, 10)
            assert not isinstance(body, tuple), "a CSV answer is streamed"
            if close:
                body.close()
            else:
                del body
                gc.collect()
            # the only executor is free again: this does not wait for the time limit (Busy)
            assert executor._idle.qsize() == 1
        assert answer(app) == answer(app)
    finally:
        with app.app_context():
            endpoint().executor.close()
