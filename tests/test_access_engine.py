"""The access rule at the engine: every adversarial query, run through
``justicegraph.access.dataset``, answers an anonymous caller exactly what a store without
the restricted graphs answers — and answers the read-token holder in full.
The same queries run over HTTP in test_access_http.py.

Both references are on the backend under test (tests/fixtures/restricted/harness.py): the
public-only store is the same kind of engine (remote: a second engine), and the token
holder's answer is compared with that engine answering with no access layer. This module is
about access control, not SPARQL conformance, so an engine's own deviations from SPARQL 1.1
(docs/scaling.md, tests/test_virtuoso_deviations.py) must not count as leaks — and cannot
hide one: both sides evaluate alike. That each case reaches restricted material is checked
under SPARQL 1.1 on the embedded engine. On the embedded backend every reference is pyoxigraph.
"""

from __future__ import annotations

import pytest
from fixtures.restricted.harness import (
    ADVERSARIAL,
    build_backend_store,
    build_reference_store,
    engine_answer,
    leaks,
    plain_answer,
    reaches_restricted,
)

from justicegraph import access


@pytest.fixture(scope="module")
def stores():
    return build_backend_store(), build_reference_store()


def test_there_are_at_least_thirty_distinct_adversarial_queries():
    assert len({name for name, _, _ in ADVERSARIAL}) == len(ADVERSARIAL) >= 30


@pytest.mark.parametrize(("name", "query", "params"), ADVERSARIAL, ids=[a[0] for a in ADVERSARIAL])
def test_adversarial_query_reaches_nothing_restricted_anonymously(stores, name, query, params):
    full, public = stores
    anonymous = engine_answer(full, query, params, restricted_ok=False)
    assert anonymous == engine_answer(public, query, params, restricted_ok=False)
    if not leaks(query):  # a query that names a sealed IRI may see it echoed, nothing more
        assert leaks(repr(anonymous)) == []


@pytest.mark.parametrize(("name", "query", "params"), ADVERSARIAL, ids=[a[0] for a in ADVERSARIAL])
def test_read_token_holder_sees_what_the_query_asks(stores, name, query, params):
    full, _ = stores
    # Every case must reach restricted material (under SPARQL 1.1), or it proves nothing.
    assert reaches_restricted(query, params)
    assert engine_answer(full, query, params, restricted_ok=True) == plain_answer(full, query, params)


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
