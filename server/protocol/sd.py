"""Descriptions of the service and the data: the SPARQL 1.1 Service Description (at /sparql)
and VoID (at /.well-known/void). Statistics are computed once per snapshot (per store
state) and per audience (public / restricted-token holder), so they cost nothing per request."""

from __future__ import annotations

import threading
import time

import pyoxigraph as ox

from justicegraph import access
from justicegraph.namespaces import ONTOLOGY_IRI

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PREFIXES = {"sd": SD, "void": VOID, "formats": FORMATS, "dcterms": DCT,
            "jg": "https://w3id.org/justicegraph/ontology#"}

RESULT_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                  "Turtle", "N-Triples", "JSON-LD", "RDF_XML", "N-Quads", "TriG")

_cache: dict = {}
_cache_lock = threading.Lock()
MEMORY_TTL = 2.0  # seconds a statistic of an in-memory store is reused


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n("http://www.w3.org/2001/XMLSchema#integer"))


def stats(endpoint, restricted_ok: bool) -> dict:
    """Triples per visible graph, entities per class, example resources — each in a fixed
    order (ties by IRI): an engine's row order depends on its history, and two stores with
    the same visible data must describe it alike (no order can hint at hidden data)."""
    snapshots = endpoint.snapshots
    key = (str(snapshots.current()) if snapshots else id(endpoint.store()), restricted_ok)
    with _cache_lock:
        hit = _cache.get(key)
        if hit and (snapshots or time.monotonic() - hit[0] < MEMORY_TTL):
            return hit[1]
    store = endpoint.store()
    s = endpoint.settings
    exclude = s.excluded_graphs
    visible = access.visible_graphs(endpoint.graphs(), restricted_ok=restricted_ok, exclude=exclude)
    per_graph = {g: 0 for g in visible}
    for row in store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
        if row["g"].value in per_graph:
            per_graph[row["g"].value] = int(row["n"].value)
    default_count = int(next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value)
    dataset = {"default_graph": [ox.DefaultGraph(), *map(_n, visible)], "named_graphs": []}
    classes = {row["c"].value: int(row["n"].value) for row in store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c ORDER BY DESC(?n) ?c",
        **dataset)}
    entities = int(next(iter(store.query(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c }", **dataset)))["n"].value)
    examples = [row["s"].value for row in store.query(
        f"SELECT DISTINCT ?s WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), {ox.Literal(s.base + 'id/')})) }} "
        "ORDER BY ?s LIMIT 5",
        **dataset)]
    # The data's date: when the last load, write or reasoner run the caller may see ended.
    modified = next(iter(store.query(
        "SELECT (MAX(?t) AS ?m) WHERE { ?a <http://www.w3.org/ns/prov#endedAtTime> ?t }", **dataset)))["m"]
    value = {"graphs": per_graph, "default": default_count, "classes": classes, "examples": examples,
             "entities": entities, "modified": modified}
    with _cache_lock:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = (time.monotonic(), value)
    return value


def service_description(endpoint_url: str, settings, st: dict) -> list[ox.Triple]:
    svc = _n(endpoint_url)
    t = [ox.Triple(svc, RDF_TYPE, _n(SD + "Service")),
         ox.Triple(svc, _n(SD + "endpoint"), svc),
         ox.Triple(svc, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
         ox.Triple(svc, _n(SD + "defaultEntailmentRegime"), _n("http://www.w3.org/ns/entailment/Simple"))]
    if settings.writes_enabled:
        t.append(ox.Triple(svc, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Update")))
    t += [ox.Triple(svc, _n(SD + "resultFormat"), _n(FORMATS + f)) for f in RESULT_FORMATS]
    if settings.union_default_graph:
        t.append(ox.Triple(svc, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")))
    if settings.service_allowlist.strip():
        t.append(ox.Triple(svc, _n(SD + "feature"), _n(SD + "BasicFederatedQuery")))
    dataset, default = ox.BlankNode("dataset"), ox.BlankNode("default")
    t += [ox.Triple(svc, _n(SD + "defaultDataset"), dataset),
          ox.Triple(dataset, RDF_TYPE, _n(SD + "Dataset")),
          ox.Triple(dataset, _n(SD + "defaultGraph"), default),
          ox.Triple(default, RDF_TYPE, _n(SD + "Graph"))]
    union_total = st["default"] + sum(st["graphs"].values())
    t.append(ox.Triple(default, _n(VOID + "triples"),
                       _int(union_total if settings.union_default_graph else st["default"])))
    for i, (graph, count) in enumerate(sorted(st["graphs"].items())):
        named, inner = ox.BlankNode(f"named{i}"), ox.BlankNode(f"graph{i}")
        t += [ox.Triple(dataset, _n(SD + "namedGraph"), named),
              ox.Triple(named, RDF_TYPE, _n(SD + "NamedGraph")),
              ox.Triple(named, _n(SD + "name"), _n(graph)),
              ox.Triple(named, _n(SD + "graph"), inner),
              ox.Triple(inner, RDF_TYPE, _n(SD + "Graph")),
              ox.Triple(inner, _n(VOID + "triples"), _int(count))]
    return t


def void_description(root: str, settings, st: dict) -> list[ox.Triple]:
    ds = _n(root + ".well-known/void#dataset")
    t = [ox.Triple(ds, RDF_TYPE, _n(VOID + "Dataset")),
         ox.Triple(ds, _n(DCT + "title"), ox.Literal("justicegraph: the 1988 mass execution of political "
                                                     "prisoners in Iran, and the testimony about it", language="en")),
         ox.Triple(ds, _n(VOID + "sparqlEndpoint"), _n(root + "sparql")),
         ox.Triple(ds, _n(VOID + "dataDump"), _n(root + "dump")),
         ox.Triple(ds, _n(VOID + "uriSpace"), ox.Literal(settings.base + "id/")),
         ox.Triple(ds, _n(VOID + "vocabulary"), _n(ONTOLOGY_IRI)),
         ox.Triple(ds, _n(VOID + "triples"), _int(st["default"] + sum(st["graphs"].values()))),
         ox.Triple(ds, _n(VOID + "entities"), _int(st["entities"]))]
    if settings.data_license:
        t.append(ox.Triple(ds, _n(DCT + "license"), _n(settings.data_license)))
    if settings.data_creator:
        creator = settings.data_creator
        t.append(ox.Triple(ds, _n(DCT + "creator"), _n(creator) if creator.startswith(("http://", "https://"))
                           else ox.Literal(creator)))
    if st.get("modified") is not None:
        t.append(ox.Triple(ds, _n(DCT + "modified"), st["modified"]))
    t += [ox.Triple(ds, _n(VOID + "exampleResource"), _n(e)) for e in st["examples"]]
    for i, (cls, count) in enumerate(st["classes"].items()):
        part = ox.BlankNode(f"class{i}")
        t += [ox.Triple(ds, _n(VOID + "classPartition"), part),
              ox.Triple(part, _n(VOID + "class"), _n(cls)),
              ox.Triple(part, _n(VOID + "entities"), _int(count))]
    for i, (graph, count) in enumerate(sorted(st["graphs"].items())):
        sub = ox.BlankNode(f"graph{i}")
        t += [ox.Triple(ds, _n(VOID + "subset"), sub),
              ox.Triple(sub, RDF_TYPE, _n(VOID + "Dataset")),
              ox.Triple(sub, RDF_TYPE, _n(SD + "NamedGraph")),
              ox.Triple(sub, _n(SD + "name"), _n(graph)),
              ox.Triple(sub, _n(VOID + "triples"), _int(count))]
    return t
