"""Entity lookups answered in the web worker (inline_lookups): that they keep the access rules
(public view for anonymous callers, the full snapshot for the token holder, explicit datasets
narrowed), and that a large answer goes to an executor. Which queries qualify (one triple
pattern, nothing that makes the work outgrow the answer) is decided by
justicegraph/sparqltext/bounded.py, tested in test_sparqltext.py; joins and the like whose
patterns match little, by sparqltext/probe.py (test_probe.py)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from justicegraph.server.app import create_app
from justicegraph.server.protocol.machinery import endpoint
from justicegraph.settings import Settings

pytestmark = pytest.mark.embedded_only("the lane runs on the snapshots of an embedded store")

EX = "http://example.org/"
PUBLIC = "https://w3id.org/justicegraph/graph/curated/lookup"
SECRET = PUBLIC + "/restricted"
READ = "lookup-read-token-000000001"
JSON = {"Accept": "application/sparql-results+json"}
BIG_ROWS = 12_000  # ~100 bytes a row: over the 1 MB an inline answer may hold

def fill(path) -> None:
    store = ox.Store(str(path))
    s, p = ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p")
    store.add(ox.Quad(s, p, ox.Literal("public"), ox.NamedNode(PUBLIC)))
    store.add(ox.Quad(s, p, ox.Literal("secret"), ox.NamedNode(SECRET)))
    big = ox.NamedNode(EX + "big")
    store.extend(ox.Quad(big, p, ox.Literal(f"{i:06d} " + "x" * 80), ox.NamedNode(PUBLIC)) for i in range(BIG_ROWS))
    store.flush()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("lookup") / "store"
    fill(path)
    app = create_app(Settings.from_env({}, store=str(path), read_token=READ, rate_limit=""))
    yield app
    with app.app_context():
        endpoint().executor.close()


def inline_count(app) -> float:
    with app.app_context():
        return endpoint().metrics.value("justicegraph_inline_queries_total")


def objects(app, query: str, headers=None, **params) -> list[str]:
    r = app.test_client().get("/sparql", query_string={"query": query, **params}, headers={**JSON, **(headers or {})})
    assert r.status_code == 200, r.get_data(as_text=True)
    return sorted(b["o"]["value"] for b in r.get_json()["results"]["bindings"])


def test_anonymous_lookup_runs_inline_on_public_data_only(app):
    before = inline_count(app)
    assert objects(app, f"SELECT ?o WHERE {{ <{EX}s> ?p ?o }}") == ["public"]
    assert inline_count(app) == before + 1


def test_token_holder_lookup_sees_restricted_data(app):
    before = inline_count(app)
    assert objects(app, f"SELECT ?o WHERE {{ <{EX}s> ?p ?o }}", {"Authorization": f"Bearer {READ}"}) == \
        ["public", "secret"]
    assert inline_count(app) == before + 1


def test_an_explicit_dataset_is_still_narrowed(app):
    query = f"SELECT ?o WHERE {{ <{EX}s> ?p ?o }}"
    assert objects(app, query, **{"default-graph-uri": SECRET}) == []
    assert objects(app, query, {"Authorization": f"Bearer {READ}"}, **{"default-graph-uri": SECRET}) == ["secret"]


def test_a_large_answer_goes_to_an_executor_and_is_complete(app):
    before = inline_count(app)
    rows = objects(app, f"SELECT ?o WHERE {{ <{EX}big> ?p ?o }}")
    assert len(rows) == BIG_ROWS and rows[0].startswith("000000") and rows[-1].startswith(f"{BIG_ROWS - 1:06d}")
    assert inline_count(app) == before


def test_a_join_is_inline_only_while_its_patterns_match_little(app):
    """sparqltext/probe.py: a join runs in the web worker when each pattern's count is small."""
    before = inline_count(app)
    assert objects(app, f"SELECT ?o WHERE {{ <{EX}s> ?p ?o . <{EX}s> ?p ?o }}") == ["public"]
    assert inline_count(app) == before + 1
    assert len(objects(app, f"SELECT ?o WHERE {{ <{EX}big> ?p ?o . <{EX}big> ?p ?o }}")) == BIG_ROWS
    assert inline_count(app) == before + 1


@pytest.fixture(scope="module")
def listed_app(tmp_path_factory):
    """No public view in use (the default graph is the store's own, so anonymous datasets list
    the visible graphs): the executor receives the list once and later only its key."""
    path = tmp_path_factory.mktemp("listed") / "store"
    fill(path)
    app = create_app(Settings.from_env({}, store=str(path), read_token=READ, rate_limit="", executors=1,
                                       union_default_graph=False, inline_lookups=False))
    yield app
    with app.app_context():
        endpoint().executor.close()


def test_a_listed_dataset_sent_by_key_keeps_the_access_rule(listed_app):
    query = f"SELECT ?o WHERE {{ GRAPH ?g {{ <{EX}s> ?p ?o }} }}"
    with listed_app.test_request_context():
        dataset = endpoint().dataset(restricted_ok=False)
    assert dataset.get("key") and SECRET not in dataset["named"]
    for _ in range(3):  # the first job carries the graph list, the next ones its key
        assert objects(listed_app, query) == ["public"]
        assert objects(listed_app, query, {"Authorization": f"Bearer {READ}"}) == ["public", "secret"]
