"""What the remote store reads in a query's text (justicegraph/sparqltext/shape.py; no engine
needed): form, dataset clauses, where parameters are bound — checked against pyoxigraph's own
substitutions on the same data — the IRIs named, relative IRIs, a constant GRAPH, the
top-level LIMIT, a final ORDER BY, and the VALUES block of the query editor's examples."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from justicegraph import sparqltext

EX = "http://example.org/"


def test_forms_and_where_groups():
    assert sparqltext.shape("PREFIX a: <x:> ASK { ?s ?p ?o }").form == "ASK"
    found = sparqltext.shape("CONSTRUCT { ?s <p> ?o } WHERE { ?s ?q ?o }")
    assert found.form == "CONSTRUCT" and found.where_open and not found.template_is_pattern
    assert sparqltext.shape("CONSTRUCT WHERE { ?s ?p ?o }").template_is_pattern
    with pytest.raises(SyntaxError):  # as pyoxigraph: the endpoint answers 400, not 500
        sparqltext.shape("INSERT DATA { <a> <b> <c> }")


def test_dataset_clauses_found_past_strings_comments_and_prefixes():
    text = f"""PREFIX g: <{EX}graph/>
    # FROM <{EX}in-a-comment> {{
    SELECT ?x FROM g:t1\\/restricted FROM NAMED <{EX}n> WHERE {{ ?x ?p "FROM <{EX}in-a-string> {{" }}"""
    found = sparqltext.shape(text)
    assert found.from_default == (f"{EX}graph/t1/restricted",)
    assert found.from_named == (f"{EX}n",)
    stripped = sparqltext.without_dataset_clauses(text, found)
    assert "FROM g:" not in stripped and "FROM NAMED" not in stripped
    assert f'"FROM <{EX}in-a-string> {{"' in stripped and len(stripped) == len(text)


def test_pragmas_are_noticed():
    assert sparqltext.shape("define input:named-graph-uri <x:g> SELECT * { ?s ?p ?o }").pragmas
    assert not sparqltext.shape("SELECT ?define { ?define ?p ?o }").pragmas


def test_bindings_refuse_blank_nodes_and_short_constructs():
    with pytest.raises(ValueError):
        sparqltext.values_block({ox.Variable("x"): ox.BlankNode()})
    with pytest.raises(ValueError):
        sparqltext.bind("CONSTRUCT WHERE { ?s ?p ?o }", {ox.Variable("s"): ox.NamedNode(EX + "a")})


@pytest.fixture(scope="module")
def data() -> ox.Store:
    store = ox.Store()
    g = ox.NamedNode(EX + "g")
    for i in range(6):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i % 3}"), ox.NamedNode(EX + "p"), ox.Literal(i), g))
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i % 3}"), ox.NamedNode(EX + "name"),
                          ox.Literal(f"name {i}", language="fa" if i % 2 else "en"), g))
    return store


@pytest.mark.parametrize(("query", "binding"), [
    ("SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o }", {"s": ox.NamedNode(EX + "s1")}),
    ("SELECT ?s (SUM(?o) AS ?t) WHERE { ?s <http://example.org/p> ?o } GROUP BY ?s", {"s": ox.NamedNode(EX + "s2")}),
    ("SELECT ?s ?n WHERE { ?s <http://example.org/name> ?n OPTIONAL { ?s <http://example.org/p> ?o FILTER(?o > 3) } }",
     {"n": ox.Literal("name 3", language="fa")}),
    ("SELECT * WHERE { { SELECT ?s WHERE { ?s <http://example.org/p> 4 } } }", {"s": ox.NamedNode(EX + "s1")}),
    ("SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o FILTER(?o >= 2) } ORDER BY ?o LIMIT 2",
     {"s": ox.NamedNode(EX + "s0")}),
])
def test_values_binding_answers_as_pyoxigraph_substitutions(data, query, binding):
    subs = {ox.Variable(k): v for k, v in binding.items()}
    kw = {"use_default_graph_as_union": True}
    expected = sorted(str(r) for r in data.query(query, substitutions=subs, **kw))
    got = sorted(str(r) for r in data.query(sparqltext.bind(query, subs), **kw))
    assert got == expected and expected


def test_bound_variables_reach_sub_selects_that_project_them():
    """As pyoxigraph's substitutions: a sub-select with LIMIT sees the bound value before it
    cuts (entity pages' NODES query), one that does not project the variable is left alone."""
    text = ("SELECT ?o ?x WHERE { { SELECT ?o ?x WHERE { ?x ?p ?o } LIMIT 5 } "
            "{ SELECT ?y WHERE { ?y ?q ?o } } }")
    bound = sparqltext.bind(text, {ox.Variable("o"): ox.NamedNode(EX + "a")})
    assert bound.count(f"VALUES (?o) {{ (<{EX}a>) }}") == 2
    assert bound.index("VALUES", bound.index("SELECT ?o ?x WHERE", 10)) < bound.index("LIMIT 5")
    store = ox.Store()
    store.extend([ox.Quad(ox.NamedNode(EX + f"x{i}"), ox.NamedNode(EX + "p"), ox.NamedNode(EX + f"o{i}"))
                  for i in range(20)] + [ox.Quad(ox.NamedNode(EX + "x"), ox.NamedNode(EX + "p"), ox.NamedNode(EX + "a"))])
    subselect = "SELECT ?o ?x WHERE { { SELECT ?o ?x WHERE { ?x ?p ?o } LIMIT 5 } }"
    expected = list(store.query(subselect, substitutions={ox.Variable("o"): ox.NamedNode(EX + "a")}))
    got = list(store.query(sparqltext.bind(subselect, {ox.Variable("o"): ox.NamedNode(EX + "a")})))
    assert [r["x"] for r in got] == [r["x"] for r in expected] == [ox.NamedNode(EX + "x")]


def test_shapes_are_read_once_and_cannot_be_changed():
    text = "SELECT * FROM <http://ex/g> { ?s ?p ?o } # test_shapes_are_read_once"
    found = sparqltext.shape(text)
    assert sparqltext.shape(text) is found
    with pytest.raises(TypeError):
        found.prefixes["x"] = "y"  # a cached shape is shared: read-only


def test_prefixes_resolve_against_the_query_base():
    found = sparqltext.shape("BASE <http://ex/> PREFIX : <ns#> SELECT * FROM :g { ?s ?p ?o }")
    assert found.prefixes == {"": "http://ex/ns#"} and found.from_default == ("http://ex/ns#g",)
    with pytest.raises(SyntaxError):  # FROM with an undeclared prefix: the engine would refuse it
        sparqltext.shape("SELECT * FROM nope:g { ?s ?p ?o }")


def test_iris_named_relative_and_constant_graphs():
    text = f"PREFIX ex: <{EX}> SELECT * {{ ex:a. ?s <{EX}p> ?o ; <rel> 'ex:not-an-iri' }}"
    assert sparqltext.iris(text, sparqltext.shape(text)) == {EX, EX + "a", EX + "p"}
    assert sparqltext.has_relative_iri(text)
    assert not sparqltext.has_relative_iri("SELECT * { ?s ?p '<rel>' } # <rel>")
    assert sparqltext.constant_graph(f"SELECT * {{ GRAPH <{EX}g> {{ ?s ?p ?o }} }}")
    assert not sparqltext.constant_graph("SELECT * { GRAPH ?g { ?s ?p ?o } } # GRAPH <x:g>")
    assert sparqltext.variables("SELECT $a { ?b ?p '?c' } # ?d") == {"a", "b", "p"}


@pytest.mark.parametrize(("query", "expected"), [
    ("SELECT * { ?s ?p ?o } LIMIT 10", 10),
    ("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 5 } }", None),
    ("SELECT * { ?s ?p ?o } # LIMIT 3", None),
    ("SELECT * { ?s ?p ?o } VALUES ?o { 'LIMIT 4' }", None),
    ("select * { ?s ?p ?o } order by ?s limit 7 offset 2", 7),
])
def test_the_top_level_limit(query, expected):
    assert sparqltext.limit(query, sparqltext.shape(query)) == expected


def test_a_final_order_by():
    query = "PREFIX ex: <x:> SELECT ?s ?n { ?s ex:p ?n } ORDER BY DESC(?n) ?s"
    form, start, keys = sparqltext.final_order_by(query, sparqltext.shape(query))
    assert query[:form] == "PREFIX ex: <x:> " and query[start:] == "ORDER BY DESC(?n) ?s" and keys == {"n", "s"}
    for other in ("SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 1", "SELECT ?s { ?s ?p ?o }",
                  "CONSTRUCT WHERE { ?s ?p ?o } ORDER BY ?s"):
        assert sparqltext.final_order_by(other, sparqltext.shape(other)) is None


def test_the_editor_values_block_goes_after_the_first_where_group():
    block = " VALUES ?x { 1 } "
    text = "# WHERE { in a comment\nSELECT ?x ('WHERE {' AS ?y) WHERE\n{ ?x ?p ?o { SELECT * WHERE { ?a ?b ?c } } }"
    out = sparqltext.with_values(text, block)
    assert out == text.replace("WHERE\n{", "WHERE\n{" + block, 1)
    assert sparqltext.with_values("SELECT * { ?s ?p ?o }", block) == "SELECT * { ?s ?p ?o }"
