"""The GraphStore contract, the same on every backend: the embedded store (in memory and on
disk) and the remote engines (`oxigraph serve`, Virtuoso) started on loopback ports.

Dataset restriction is the means of access control, so it is tested adversarially here on
each backend: restricted graphs must not show through the union default graph, GRAPH ?g,
GRAPH <iri>, FROM or FROM NAMED."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import open_backend

from justicegraph import access

BACKENDS = ["memory", "disk", "oxigraph", "virtuoso"]
EX = "http://example.org/"
PUBLIC = EX + "graph/testimony/t1"
OTHER = EX + "graph/source/s1"
SECRET = EX + "graph/testimony/t2/restricted"
XSD = "http://www.w3.org/2001/XMLSchema#"
EDTF = "http://id.loc.gov/datatypes/edtf/EDTF"


def n(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


def quad(s, p, o, g) -> ox.Quad:
    return ox.Quad(n(s), n(p), o if isinstance(o, ox.Literal | ox.BlankNode) else n(o), ox.NamedNode(g))


LITERALS = [
    ox.Literal("Evin Prison"),
    ox.Literal("زندان اوین", language="fa"),
    ox.Literal("said \"no\"\nand left", language="en"),
    ox.Literal("1988-07-19", datatype=ox.NamedNode(XSD + "date")),
    ox.Literal("1988-07~", datatype=ox.NamedNode(EDTF)),
    ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("2026-11-28T02:30:00Z", datatype=ox.NamedNode(XSD + "dateTime")),
    ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
]


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    s = open_backend(request, request.param, tmp_path)
    yield s
    s.close()


@pytest.fixture
def filled(store):
    store.apply(insert=[
        quad("a", "name", ox.Literal("Ali"), PUBLIC),
        quad("a", "knows", "b", PUBLIC),
        quad("b", "name", ox.Literal("Bahar"), OTHER),
        quad("c", "name", ox.Literal("Secret person"), SECRET),
        ox.Quad(n("d"), n("name"), ox.Literal("in the default graph"), ox.DefaultGraph()),
    ])
    return store


def names(results) -> set[str]:
    return {row["name"].value for row in results if isinstance(row["name"], ox.Literal)}


def test_writes_read_back_exactly(store):
    quads = [quad("x", f"p{i}", lit, PUBLIC) for i, lit in enumerate(LITERALS)]
    store.apply(insert=quads)
    assert set(store.quads(PUBLIC)) == set(quads)
    assert store.graphs() == [PUBLIC]
    assert len(store) == len(LITERALS)


def test_graphs_len_and_default_graph(filled):
    assert filled.graphs() == sorted([PUBLIC, OTHER, SECRET])
    assert len(filled) == 5
    everything = list(filled.quads())
    assert ox.Quad(n("d"), n("name"), ox.Literal("in the default graph"), ox.DefaultGraph()) in everything
    assert len(everything) == 5
    assert list(filled.quads(EX + "graph/missing")) == []


def test_apply_replaces_a_graph_and_leaves_the_others(filled):
    filled.apply(drop_graphs=[PUBLIC], insert=[quad("a", "name", ox.Literal("Ali (corrected)"), PUBLIC)])
    assert {str(q.object) for q in filled.quads(PUBLIC)} == {'"Ali (corrected)"'}
    assert {q.object.value for q in filled.quads(OTHER)} == {"Bahar"}
    filled.apply(drop_graphs=[OTHER])
    assert filled.graphs() == sorted([PUBLIC, SECRET])


def test_apply_deletes_and_adds_to_a_kept_graph(filled):
    filled.apply(delete=[quad("a", "knows", "b", PUBLIC)], insert=[quad("a", "knows", "c", PUBLIC)])
    assert {q.object for q in filled.quads(PUBLIC) if q.predicate == n("knows")} == {n("c")}
    assert len(filled) == 5


def test_blank_nodes_are_inserted_and_stay_connected(store):
    event = ox.BlankNode()
    store.apply(insert=[ox.Quad(n("a"), n("took-part"), event, ox.NamedNode(PUBLIC)),
                        ox.Quad(event, n("name"), ox.Literal("hearing"), ox.NamedNode(PUBLIC))])
    rows = list(store.query("SELECT ?name WHERE { ?a ?p ?e . ?e ?q ?name }", default_graph=[ox.NamedNode(PUBLIC)]))
    assert [r["name"].value for r in rows] == ["hearing"]


def test_visible_union_hides_restricted_graphs(filled):
    kw = access.dataset(filled.graphs(), restricted_ok=False, union=True)
    assert names(filled.query("SELECT ?name WHERE { ?s ?p ?name }", **kw)) == {
        "Ali", "Bahar", "in the default graph"}
    kw = access.dataset(filled.graphs(), restricted_ok=True, union=True)
    assert "Secret person" in names(filled.query("SELECT ?name WHERE { ?s ?p ?name }", **kw))


def test_without_union_the_default_graph_is_only_the_default_graph(filled):
    kw = access.dataset(filled.graphs(), restricted_ok=False, union=False)
    assert names(filled.query("SELECT ?name WHERE { ?s ?p ?name }", **kw)) == {"in the default graph"}
    rows = filled.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", **kw)
    assert {r["g"].value for r in rows} == {PUBLIC, OTHER}


@pytest.mark.parametrize("query", [
    "SELECT ?name WHERE { GRAPH ?g { ?s ?p ?name } }",
    f"SELECT ?name WHERE {{ GRAPH <{SECRET}> {{ ?s ?p ?name }} }}",
    f"SELECT ?name FROM <{SECRET}> WHERE {{ ?s ?p ?name }}",
    f"SELECT ?name FROM NAMED <{SECRET}> WHERE {{ GRAPH ?g {{ ?s ?p ?name }} }}",
    f"PREFIX r: <{EX}graph/testimony/>\nSELECT ?name FROM r:t2\\/restricted # comment {{\nWHERE {{ ?s ?p ?name }}",
    f"SELECT ?name WHERE {{ {{ SELECT ?name WHERE {{ GRAPH <{SECRET}> {{ ?s ?p ?name }} }} }} }}",
])
def test_restricted_graphs_never_leak(filled, query):
    kw = access.dataset(filled.graphs(), restricted_ok=False, union=True)
    assert "Secret person" not in names(filled.query(query, **kw))


def test_explicit_dataset_of_invisible_graphs_is_empty(filled):
    kw = access.dataset(filled.graphs(), restricted_ok=False, default_graph_uris=[SECRET], named_graph_uris=[SECRET])
    assert names(filled.query("SELECT ?name WHERE { { ?s ?p ?name } UNION { GRAPH ?g { ?s ?p ?name } } }", **kw)) == set()


def test_substitutions_bind_before_grouping_and_filters(filled):
    kw = access.dataset(filled.graphs(), restricted_ok=False, union=True)
    query = """SELECT ?who (COUNT(?o) AS ?n) WHERE {
                 ?who ?p ?o OPTIONAL { ?who <http://example.org/knows> ?k FILTER(?k != ?who) } }
               GROUP BY ?who"""
    rows = list(filled.query(query, substitutions={ox.Variable("who"): n("a")}, **kw))
    assert [(r["who"], r["n"].value) for r in rows] == [(n("a"), "2")]
    rows = filled.query("SELECT ?s ?name WHERE { ?s ?p ?name }", substitutions={ox.Variable("name"): ox.Literal("Bahar")}, **kw)
    assert [r["s"] for r in rows] == [n("b")]


def test_substitution_values_are_terms_not_text(filled):
    kw = access.dataset(filled.graphs(), restricted_ok=False, union=True)
    sneaky = ox.Literal('x" } UNION { GRAPH ?g { ?s ?p ?name } } #')
    assert list(filled.query("SELECT ?s ?name WHERE { ?s ?p ?name }", substitutions={ox.Variable("name"): sneaky}, **kw)) == []


def test_results_are_pyoxigraph_objects(filled):
    kw = access.dataset(filled.graphs(), restricted_ok=False, union=True)
    select = filled.query("SELECT ?s ?name WHERE { ?s ?p ?name } ORDER BY ?name", **kw)
    assert isinstance(select, ox.QuerySolutions)
    assert [v.value for v in select.variables] == ["s", "name"]
    assert b"Bahar" in select.serialize(format=ox.QueryResultsFormat.JSON)
    ask = filled.query("ASK { ?s ?p 'Ali' }", **kw)
    assert isinstance(ask, ox.QueryBoolean) and bool(ask)
    triples = filled.query("CONSTRUCT { ?s <http://example.org/label> ?name } WHERE { ?s ?p ?name }", **kw)
    assert isinstance(triples, ox.QueryTriples)
    turtle = triples.serialize(format=ox.RdfFormat.TURTLE)
    assert b"Bahar" in turtle and b"Secret" not in turtle


def test_apply_deletes_many_quads_of_one_graph(store):
    quads = [quad("x", f"p{i}", lit, PUBLIC) for i, lit in enumerate(LITERALS)]
    store.apply(insert=quads)
    store.apply(delete=quads[:-1])
    assert list(store.quads(PUBLIC)) == quads[-1:]


def test_apply_deletes_every_kind_of_term_from_several_graphs_at_once(store):
    """A re-load deletes the old descriptions from the provenance graph and its restricted
    twin in one change. Virtuoso silently kept language-tagged and EDTF literals when one
    DELETE DATA named several graphs (a re-load left the old load's label behind)."""
    graphs = [PUBLIC, OTHER, SECRET]
    quads = [quad("x", f"p{i}", lit, g) for g in graphs for i, lit in enumerate(LITERALS)]
    kept = quad("y", "name", ox.Literal("stays", language="en"), OTHER)
    store.apply(insert=[*quads, kept])
    added = quad("z", "name", ox.Literal("new", language="en"), PUBLIC)
    store.apply(delete=quads, insert=[added])
    assert set(store.quads()) == {kept, added}


def test_update_without_a_graph_writes_the_default_graph(store, request):
    if request.node.callspec.params["store"] == "oxigraph":
        # The protocol's dataset parameters cannot name Oxigraph's own default graph, so on a
        # remote engine justicegraph's default graph is a named graph (docs/scaling.md).
        request.applymarker(pytest.mark.xfail(strict=True, reason="engine default graph not addressable"))
    store.update('INSERT DATA { <http://example.org/a> <http://example.org/name> "no graph named" }')
    assert [q.graph_name for q in store.quads()] == [ox.DefaultGraph()]
    rows = store.query("SELECT ?name WHERE { ?s ?p ?name }", default_graph=[ox.DefaultGraph()], named_graphs=[])
    assert names(rows) == {"no graph named"}
