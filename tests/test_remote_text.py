"""The remote store's reading of query text (no engine needed): form, dataset clauses, where
parameters are bound — checked against pyoxigraph's own substitutions on the same data."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from justicegraph.store.remote import text as remote_text
from justicegraph.store.remote.client import split_location

EX = "http://example.org/"


def test_forms_and_where_groups():
    assert remote_text.shape("PREFIX a: <x:> ASK { ?s ?p ?o }").form == "ASK"
    found = remote_text.shape("CONSTRUCT { ?s <p> ?o } WHERE { ?s ?q ?o }")
    assert found.form == "CONSTRUCT" and found.where_open and not found.template_is_pattern
    assert remote_text.shape("CONSTRUCT WHERE { ?s ?p ?o }").template_is_pattern
    with pytest.raises(SyntaxError):  # as pyoxigraph: the endpoint answers 400, not 500
        remote_text.shape("INSERT DATA { <a> <b> <c> }")


def test_dataset_clauses_found_past_strings_comments_and_prefixes():
    text = f"""PREFIX g: <{EX}graph/>
    # FROM <{EX}in-a-comment> {{
    SELECT ?x FROM g:t1\\/restricted FROM NAMED <{EX}n> WHERE {{ ?x ?p "FROM <{EX}in-a-string> {{" }}"""
    found = remote_text.shape(text)
    assert found.from_default == [f"{EX}graph/t1/restricted"]
    assert found.from_named == [f"{EX}n"]
    stripped = remote_text.without_dataset_clauses(text, found)
    assert "FROM g:" not in stripped and "FROM NAMED" not in stripped
    assert f'"FROM <{EX}in-a-string> {{"' in stripped and len(stripped) == len(text)


def test_pragmas_are_noticed():
    assert remote_text.shape("define input:named-graph-uri <x:g> SELECT * { ?s ?p ?o }").pragmas
    assert not remote_text.shape("SELECT ?define { ?define ?p ?o }").pragmas


def test_bindings_refuse_blank_nodes_and_short_constructs():
    with pytest.raises(ValueError):
        remote_text.values_block({ox.Variable("x"): ox.BlankNode()})
    with pytest.raises(ValueError):
        remote_text.bind("CONSTRUCT WHERE { ?s ?p ?o }", {ox.Variable("s"): ox.NamedNode(EX + "a")})


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
    got = sorted(str(r) for r in data.query(remote_text.bind(query, subs), **kw))
    assert got == expected and expected


def test_store_location_keeps_other_query_parameters():
    url, ours = split_location("sparql+http://h:1/sparql?timeout=5&update=/u")
    assert url == "http://h:1/sparql?timeout=5" and ours == {"update": "/u"}


def test_bound_variables_reach_sub_selects_that_project_them():
    """As pyoxigraph's substitutions: a sub-select with LIMIT sees the bound value before it
    cuts (entity pages' NODES query), one that does not project the variable is left alone."""
    text = ("SELECT ?o ?x WHERE { { SELECT ?o ?x WHERE { ?x ?p ?o } LIMIT 5 } "
            "{ SELECT ?y WHERE { ?y ?q ?o } } }")
    bound = remote_text.bind(text, {ox.Variable("o"): ox.NamedNode(EX + "a")})
    assert bound.count(f"VALUES (?o) {{ (<{EX}a>) }}") == 2
    assert bound.index("VALUES", bound.index("SELECT ?o ?x WHERE", 10)) < bound.index("LIMIT 5")
    store = ox.Store()
    store.extend([ox.Quad(ox.NamedNode(EX + f"x{i}"), ox.NamedNode(EX + "p"), ox.NamedNode(EX + f"o{i}"))
                  for i in range(20)] + [ox.Quad(ox.NamedNode(EX + "x"), ox.NamedNode(EX + "p"), ox.NamedNode(EX + "a"))])
    subselect = "SELECT ?o ?x WHERE { { SELECT ?o ?x WHERE { ?x ?p ?o } LIMIT 5 } }"
    expected = list(store.query(subselect, substitutions={ox.Variable("o"): ox.NamedNode(EX + "a")}))
    got = list(store.query(remote_text.bind(subselect, {ox.Variable("o"): ox.NamedNode(EX + "a")})))
    assert [r["x"] for r in got] == [r["x"] for r in expected] == [ox.NamedNode(EX + "x")]
