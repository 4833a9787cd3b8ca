"""What validating a change needs from the store: every triple of the nodes it describes,
the types of the nodes it refers to, and the other holders of its record ids — minus what the
change deletes (validation.validate_quads)."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from justicegraph.namespaces import JG

_CHUNK = 500  # VALUES rows per context query
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_RECORD_ID = ox.NamedNode(str(JG.recordId))


def describe(store, subjects: list[str], gone_graphs: set[str], gone: set) -> Iterable[ox.Quad]:
    query = "SELECT ?s ?p ?o ?g WHERE { VALUES ?s { %s } { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }"
    yield from _fetch(store, query, subjects, gone_graphs, gone, fixed_p=None)


def types(store, nodes: list[str], gone_graphs: set[str], gone: set) -> Iterable[ox.Quad]:
    query = "SELECT ?s ?o ?g WHERE { VALUES ?s { %s } { GRAPH ?g { ?s a ?o } } UNION { ?s a ?o } }"
    yield from _fetch(store, query, nodes, gone_graphs, gone, fixed_p=_RDF_TYPE)


def empty(store) -> bool:
    try:
        return not bool(store.query("ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"))
    except Exception:  # noqa: BLE001 - an engine answering ASK oddly: fetch the context as before
        return False


def holders(store, ids: list[str], gone_graphs: set[str], gone: set) -> Iterable[ox.Quad]:
    rid = f"<{JG.recordId}>"
    query = "SELECT ?s ?o ?g WHERE { VALUES ?o { %s } { GRAPH ?g { ?s " + rid + " ?o } } UNION { ?s " + rid + " ?o } }"
    yield from _fetch(store, query, ids, gone_graphs, gone, fixed_p=_RECORD_ID, term=ox.Literal)


def _fetch(store, query: str, nodes: list[str], gone_graphs, gone, fixed_p, term=ox.NamedNode) -> Iterable[ox.Quad]:
    for i in range(0, len(nodes), _CHUNK):
        values = " ".join(str(term(n)) for n in nodes[i:i + _CHUNK])
        for row in store.query(query % values):
            g = row["g"]
            graph = g if g is not None else ox.DefaultGraph()
            if isinstance(g, ox.NamedNode) and g.value in gone_graphs:
                continue
            p = fixed_p or row["p"]
            key = (row["s"], p, row["o"], graph)
            if key in gone:
                continue
            yield ox.Quad(row["s"], p, row["o"], graph)
