"""An answer the engine cannot sort is sorted by the store: Virtuoso refuses an ORDER BY over
rows holding a value longer than ~4 KB (SR319, saved query cq15 at 1M triples); the remote
store asks for the answer unsorted and applies the query's ORDER BY with pyoxigraph
(justicegraph/store/remote/order.py). Runs on every backend (the answer must equal the embedded
engine's, in order); on Virtuoso the fallback must have been used."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from stores import KIND, new_store

from justicegraph.store.remote import order as remote_order

EX = "http://example.org/"
GRAPH = ox.NamedNode(EX + "g")
PREFIX = f"PREFIX ex: <{EX}>\n"
# three subjects, one with 300 labels of ~33 characters: a GROUP_CONCAT of ~10 KB (cq15 at 1M: 7.3 KB)
LONG = PREFIX + """SELECT ?s (COUNT(?o) AS ?n) (GROUP_CONCAT(?o; separator=" | ") AS ?all)
WHERE { GRAPH ?g { ?s ex:label ?o } }
GROUP BY ?s
ORDER BY DESC(?n) ?s"""


def quads():
    out = [ox.Quad(ox.NamedNode(EX + "big"), ox.NamedNode(EX + "label"), ox.Literal(f"label number {i:04d} of a long list"),
                   GRAPH) for i in range(300)]
    for name, count in (("small", 2), ("tiny", 2)):
        out += [ox.Quad(ox.NamedNode(EX + name), ox.NamedNode(EX + "label"), ox.Literal(f"{name} {i}"), GRAPH)
                for i in range(count)]
    return out


def rows(results):
    names = [v.value for v in results.variables]

    def shown(term):
        return " | ".join(sorted(term.value.split(" | "))) if "|" in str(term) else str(term)

    return [tuple(shown(r[n]) for n in names) for r in results]


@pytest.fixture(scope="module")
def store():
    store = new_store()
    store.apply(insert=quads())
    return store


def test_long_rows_come_back_in_the_query_order(store, monkeypatch):
    used = []
    real = remote_order.order
    monkeypatch.setattr(remote_order, "order", lambda results, parts: used.append(parts) or real(results, parts))
    reference = ox.Store()
    reference.extend(quads())
    expected = rows(reference.query(LONG))
    assert len(expected[0][2]) > 9000 and [r[0] for r in expected] == [f"<{EX}big>", f"<{EX}small>", f"<{EX}tiny>"]
    assert rows(store.query(LONG)) == expected
    if KIND == "virtuoso":  # the engine refuses this sort itself: the store sorted the answer
        assert [p.order_by for p in used] == ["ORDER BY DESC(?n) ?s"]


@pytest.mark.parametrize("query, order_by", [
    (LONG, "ORDER BY DESC(?n) ?s"),
    (PREFIX + "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s # last\n", "ORDER BY ?s # last\n"),
    (PREFIX + "SELECT ?s WHERE { { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s } }", None),  # a sub-select's
    (PREFIX + "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3", None),
    (PREFIX + "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s OFFSET 3", None),
    (PREFIX + "SELECT ?s WHERE { ?s ?p 'ORDER BY' }", None),
    (PREFIX + "ASK { ?s ?p ?o }", None),
])
def test_split_finds_only_a_final_order_by(query, order_by):
    parts = remote_order.split(query)
    assert (parts and parts.order_by) == order_by
    if parts:
        assert parts.unsorted + parts.order_by == query and parts.prologue == PREFIX


def test_keys_outside_the_answer_are_not_sorted_here():
    parts = remote_order.split("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?o")
    answer = ox.Store().query("SELECT ?s WHERE { VALUES ?s { <http://a> } }")
    assert remote_order.order(answer, parts) is None
