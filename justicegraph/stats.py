"""Statistics of the store: triples per graph, entities per class, statements per speaker."""

from __future__ import annotations

from justicegraph.access import dataset as access_dataset
from justicegraph.access import visible_graphs
from justicegraph.namespaces import JG, Minter

_CLASSES = f"""
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  ?s a ?class . FILTER(STRSTARTS(STR(?class), "{JG}"))
}} GROUP BY ?class ORDER BY DESC(?n) ?class"""

_SPEAKERS = f"""
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?speaker (SAMPLE(?label) AS ?name) (COUNT(DISTINCT ?st) AS ?n) WHERE {{
  ?st <{JG}statedBy> ?speaker .
  OPTIONAL {{ ?speaker skos:prefLabel ?label . FILTER(LANGMATCHES(LANG(?label), "en")) }}
}} GROUP BY ?speaker ORDER BY DESC(?n) ?speaker"""


def collect(store, minter: Minter, *, restricted_ok: bool = False) -> dict:
    graphs = visible_graphs(store.graphs(), restricted_ok=restricted_ok)
    per_graph = {}
    for g in graphs:
        per_graph[g] = sum(1 for _ in store.quads(g))
    # classes are counted outside the ontology itself (its classes are not entities)
    kwargs = access_dataset(store.graphs(), restricted_ok=restricted_ok,
                            exclude=(minter.ontology_graph, minter.vocabulary_graph),
                            stable=bool(getattr(store, "read_only", False)))
    classes = {row["class"].value.replace(str(JG), "jg:"): int(row["n"].value) for row in store.query(_CLASSES, **kwargs)}
    speakers = [
        {"speaker": row["speaker"].value, "name": row["name"].value if row["name"] else "",
         "statements": int(row["n"].value)}
        for row in store.query(_SPEAKERS, **kwargs)
    ]
    return {"triples": sum(per_graph.values()), "graphs": per_graph, "classes": classes, "speakers": speakers}
