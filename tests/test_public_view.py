"""The public view: a snapshot holding restricted graphs gets a twin with only the public
graphs, and anonymous queries run there over the engine's own union (fast), while the
read-token holder and explicit datasets keep using the full snapshot."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from fixtures.restricted.harness import build_backend

from justicegraph.server.protocol.machinery import endpoint

pytestmark = pytest.mark.embedded_only("the public view is a twin of an embedded snapshot (RocksDB checkpoint)")

READ = "public-view-read-token-0001"
GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = build_backend(tmp_path_factory.mktemp("view") / "store", read_token=READ, rate_limit="")
    yield app
    for ext in app.extensions.values():  # stop the executor processes the endpoint started
        close = getattr(ext, "close", None)
        if callable(close) and ext.__class__.__module__.startswith("justicegraph.server"):
            close()


def graphs_seen(app, headers=None) -> set[str]:
    r = app.test_client().get("/sparql", query_string={"query": GRAPHS}, headers={**JSON, **(headers or {})})
    assert r.status_code == 200, r.get_data(as_text=True)
    return {b["g"]["value"] for b in r.get_json()["results"]["bindings"]}


def test_view_holds_exactly_the_public_graphs(app):
    with app.app_context():
        ep = endpoint()
        view = ep.snapshots.public_view()
        assert view is not None
        full = set(ep.graphs())
        store = ox.Store.read_only(str(view))
        in_view = {g.value for g in store.named_graphs()}
    assert in_view == {g for g in full if not g.endswith("/restricted")}
    assert any(g.endswith("/restricted") for g in full)


def test_anonymous_queries_run_on_the_view_and_see_only_public_graphs(app):
    with app.test_request_context():
        dataset = endpoint().dataset(restricted_ok=False)
    assert dataset.get("union") and dataset.get("snapshot", "").endswith("-public")
    seen = graphs_seen(app)
    assert seen and not any(g.endswith("/restricted") for g in seen)


def test_token_holder_and_explicit_datasets_use_the_full_snapshot(app):
    with app.test_request_context():
        assert "snapshot" not in endpoint().dataset(restricted_ok=True)
        assert "snapshot" not in endpoint().dataset(restricted_ok=False, default_graph_uris=[], named_graph_uris=[])
    assert any(g.endswith("/restricted") for g in graphs_seen(app, {"Authorization": f"Bearer {READ}"}))


def test_pages_and_api_read_the_view_for_anonymous_callers(app):
    from justicegraph.server.web import context

    with app.test_request_context("/"):
        anonymous = context.store()
        assert str(anonymous.path).endswith("-public")
        assert context.query_dataset() == {"union": True}
    with app.test_request_context("/", headers={"Authorization": f"Bearer {READ}"}):
        assert not str(context.store().path).endswith("-public")
    r = app.test_client().get("/api/search", query_string={"q": "sealed"})
    assert r.status_code == 200 and r.get_json()["results"] == []
    opened = app.test_client().get("/api/search", query_string={"q": "sealed"},
                                   headers={"Authorization": f"Bearer {READ}"})
    assert opened.get_json()["results"]
