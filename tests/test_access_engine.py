"""The access rule at the engine: every adversarial query, run through
``justicegraph.access.dataset`` on pyoxigraph, answers an anonymous caller exactly what a
store without the restricted graphs answers — and answers the read-token holder in full.
The same queries run over HTTP in test_access_http.py."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from fixtures.restricted.harness import ADVERSARIAL, build_backend_store, build_store, engine_answer, leaks
from justicegraph.server.protocol_scan import scan_query

from justicegraph import access


@pytest.fixture(scope="module")
def stores():
    # The full fixture on the backend under test; the references stay embedded (pyoxigraph).
    return build_backend_store(), build_store(None, public_only=True), build_store(None)


def test_there_are_at_least_thirty_distinct_adversarial_queries():
    assert len({name for name, _, _ in ADVERSARIAL}) == len(ADVERSARIAL) >= 30


@pytest.mark.parametrize(("name", "query", "params"), ADVERSARIAL, ids=[a[0] for a in ADVERSARIAL])
def test_adversarial_query_reaches_nothing_restricted_anonymously(stores, name, query, params):
    full, public, _ = stores
    anonymous = engine_answer(full, query, params, restricted_ok=False)
    assert anonymous == engine_answer(public, query, params, restricted_ok=False)
    if not leaks(query):  # a query that names a sealed IRI may see it echoed, nothing more
        assert leaks(repr(anonymous)) == []


@pytest.mark.parametrize(("name", "query", "params"), ADVERSARIAL, ids=[a[0] for a in ADVERSARIAL])
def test_read_token_holder_sees_what_the_query_asks(stores, name, query, params):
    full, public, embedded = stores
    opened = engine_answer(full, query, params, restricted_ok=True)
    # Every case must reach restricted material on the full store, or it proves nothing.
    assert opened != engine_answer(public, query, params, restricted_ok=True)
    from fixtures.restricted.harness import canonical_engine

    assert opened == canonical_engine(_plain_engine_answer(embedded, query, params))


def _plain_engine_answer(store, query, params):
    """The answer of pyoxigraph itself, with no access layer: protocol parameters as its
    dataset, else the query's own FROM / FROM NAMED, else the union of all graphs."""
    engine = store.engine
    if params:
        return engine.query(query, default_graph=[ox.NamedNode(g) for g in params.get("default-graph-uri", [])],
                            named_graphs=[ox.NamedNode(g) for g in params.get("named-graph-uri", [])])
    if scan_query(query).from_graphs or scan_query(query).from_named:
        return engine.query(query)
    return engine.query(query, use_default_graph_as_union=True)


def test_dataset_parameters_only_narrow_what_is_visible():
    graphs = ["http://x/g/a", "http://x/g/a/restricted"]
    kw = access.dataset(graphs, restricted_ok=False, default_graph_uris=["http://x/g/a/restricted"],
                        named_graph_uris=["http://x/g/a/restricted", "http://x/g/a"])
    assert [g.value for g in kw["named_graphs"]] == ["http://x/g/a"]
    assert [g.value for g in kw["default_graph"]] == ["urn:justicegraph:empty-graph"]
    opened = access.dataset(graphs, restricted_ok=True, default_graph_uris=["http://x/g/a/restricted"])
    assert [g.value for g in opened["default_graph"]] == ["http://x/g/a/restricted"]


def test_token_comparison_refuses_empty_and_near_misses():
    assert access.token_matches("abc", "abc")
    assert not access.token_matches("", "")
    assert not access.token_matches(None, "abc")
    assert not access.token_matches("abc", "")
    assert not access.token_matches("abd", "abc")
    assert not access.token_matches("abc ", "abc")
    assert not access.token_matches("ABC", "abc")
    assert not access.token_matches("abcabc", "abc")
