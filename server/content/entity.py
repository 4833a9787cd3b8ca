"""Gathering what the visible graphs say about one entity: the quads of its description
(for RDF answers), the provenance of the graphs that hold them, and the labels and kinds
of the IRIs a page shows. What an entity page makes of them is server/content/view.py.

Every query runs with the caller's dataset (``dataset`` = ``context.query_dataset()``), so
restricted graphs are simply absent for anonymous callers: nothing here filters by hand.
Terms reach queries only through ``substitutions=``.
"""

from __future__ import annotations

import functools
import weakref
from collections import OrderedDict

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import RDFS
from rdflib.namespace import SKOS as RSKOS

from justicegraph import resources
from justicegraph.namespaces import JG, PREFIXES, VOCAB

OUTGOING = "SELECT ?s ?g ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
INCOMING = "SELECT ?o ?g ?x ?p WHERE { GRAPH ?g { ?x ?p ?o } }"
# Unlabelled nodes pointing at the entity are n-ary statements (participations, positions,
# attributed statements): their own triples belong to the entity's description.
NODES = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?o ?g ?x ?p ?v WHERE {
  { SELECT DISTINCT ?o ?x WHERE {
      GRAPH ?g0 { ?x ?p0 ?o } FILTER(isIRI(?x) || isBlank(?x))
      FILTER NOT EXISTS { GRAPH ?gl { ?x skos:prefLabel ?l } }
    } LIMIT 500 }
  GRAPH ?g { ?x ?p ?v }
}"""
MAX_NODES = 500  # the LIMIT above: a hub's page shows the first 500 statements about it
PROVENANCE = "SELECT ?g ?p ?o WHERE { GRAPH ?pg { ?g ?p ?o } }"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PREF_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
MAX_INCOMING = 2000  # a hub (the massacre) is linked from thousands: the page shows the first


def visible(dataset: dict):
    """A test for graph names the caller's dataset shows in GRAPH patterns, or None when the
    dataset is not one ``access.dataset`` makes (then only SPARQL knows)."""
    graphs = dataset.get("named_graphs")
    if graphs is not None:
        allowed = {g for g in graphs if isinstance(g, ox.NamedNode)}
        return lambda g: g in allowed
    if dataset.get("union") and "default_graph" not in dataset:  # nothing hidden: every named graph
        return lambda g: isinstance(g, ox.NamedNode)
    return None


_MEMOS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def snapshot_memo(store, dataset: dict) -> dict | None:
    """A dict for results that depend only on what ``dataset`` shows of ``store``, kept as
    long as the store object lives — or None when the store may change under it (one open
    for writing, a remote engine). A read-only embedded store is a snapshot (or its public
    view): immutable, and replaced by a new object when another snapshot is published."""
    if not getattr(store, "read_only", False) or getattr(store, "engine", None) is None:
        return None
    graphs = dataset.get("named_graphs")
    key = (tuple(sorted(dataset)), dataset.get("union"),
           None if graphs is None else tuple(g.value for g in graphs if isinstance(g, ox.NamedNode)),
           tuple(str(g) for g in dataset.get("default_graph") or ()))
    return _MEMOS.setdefault(store, {}).setdefault(key, {})


def engine_quads(store, dataset: dict, s=None, p=None, o=None):
    """Quads matching a pattern in the caller's visible named graphs, straight from the
    engine's indexes (microseconds), or None when the store has no engine (a remote one):
    a SPARQL query over an explicit dataset of thousands of named graphs costs far more."""
    engine, shown = getattr(store, "engine", None), visible(dataset)
    if engine is None or shown is None:
        return None
    return [q for q in engine.quads_for_pattern(s, p, o, None) if shown(q.graph_name)]


def _rows(store, query: str, dataset: dict, **subs):
    bound = {ox.Variable(k): v for k, v in subs.items()}
    return store.query(query, substitutions=bound, **dataset)


class Gathered:
    """The quads of an entity's description, by how they relate to the entity."""

    def __init__(self, own, incoming, nodes):
        self.own, self.incoming, self.nodes = own, incoming, nodes

    def quads(self) -> list[ox.Quad]:
        return list(OrderedDict.fromkeys(self.own + self.incoming + self.nodes))


def gather(store, iri: str, dataset: dict) -> Gathered:
    """The entity's own triples, the links to it and the n-ary nodes that link to it, each
    in the graph that asserts it."""
    node = ox.NamedNode(iri)
    fast = _gather_from_engine(store, node, dataset)
    if fast is not None:
        return fast
    own = [ox.Quad(node, r["p"], r["o"], r["g"]) for r in _rows(store, OUTGOING, dataset, s=node)]
    incoming = []
    for r in _rows(store, INCOMING, dataset, o=node):
        if len(incoming) >= MAX_INCOMING:
            break
        incoming.append(ox.Quad(r["x"], r["p"], node, r["g"]))
    nodes = [ox.Quad(r["x"], r["p"], r["v"], r["g"]) for r in _rows(store, NODES, dataset, o=node)]
    # The engine's row order depends on how the dataset is given (union or graph list):
    # sort, so a page is the same whatever the plan.
    return Gathered(sorted(own, key=_quad_key), sorted(incoming, key=_quad_key), sorted(nodes, key=_quad_key))


def _quad_key(q: ox.Quad) -> tuple[str, str, str, str]:
    return (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))


def _gather_from_engine(store, node, dataset: dict) -> Gathered | None:
    own = engine_quads(store, dataset, node)
    if own is None:
        return None
    incoming = engine_quads(store, dataset, None, None, node)[:MAX_INCOMING]
    nodes, seen = [], set()
    memo = snapshot_memo(store, dataset)
    shared = labelled_memo(memo)
    for q in incoming:
        x = q.subject
        if x in seen or len(seen) >= MAX_NODES:
            continue
        named = shared.get(x)
        if named is None:
            named = shared[x] = bool(engine_quads(store, dataset, x, PREF_LABEL))
        if named:
            continue
        seen.add(x)
        nodes.extend(engine_quads(store, dataset, x))
    return Gathered(sorted(own, key=_quad_key), sorted(incoming, key=_quad_key), sorted(nodes, key=_quad_key))


MAX_SHARED_LABELLED = 200_000  # nodes whose "has a skos:prefLabel" a snapshot keeps (a few MB)


def labelled_memo(memo: dict | None) -> dict:
    """Whether a node has a label (an entity) or not (an n-ary node), per snapshot and dataset:
    a hub's description and page ask it of every subject linking to it (thousands at scale).
    A throwaway dict when the store is not a snapshot."""
    if memo is None:
        return {}
    shared = memo.setdefault("labelled", {})
    if len(shared) >= MAX_SHARED_LABELLED:
        shared.clear()
    return shared


def graph_provenance(store, graphs, dataset: dict) -> dict[str, tuple[tuple[ox.NamedNode, ox.Term], ...]]:
    """What the (visible) provenance graphs say about each graph: who, from which source."""
    found = {}
    # on a snapshot, read once per graph (a prison's description spans ~60 graphs)
    memo = snapshot_memo(store, dataset)
    shared = {} if memo is None else memo.setdefault("provenance", {})
    for g in graphs:
        if isinstance(g, ox.NamedNode):
            pairs = shared.get(g.value)
            if pairs is None:
                fast = engine_quads(store, dataset, g)
                pairs = ([(q.predicate, q.object) for q in fast] if fast is not None
                         else [(r["p"], r["o"]) for r in _rows(store, PROVENANCE, dataset, g=g)])
                # in a fixed order: an engine's row order depends on its history (a remote engine
                # that once held restricted graphs answers in another order than a fresh copy)
                pairs = shared[g.value] = tuple(sorted(pairs, key=lambda pair: (str(pair[0]), str(pair[1]))))
            found[g.value] = pairs
    return found


def provenance_quads(provenance: dict, provenance_graph: str, memo: dict | None = None) -> list[ox.Quad]:
    """The provenance as quads of the provenance graph; on a snapshot (``memo``) each graph's
    quads are made once (a hub's description cites hundreds of graphs: making their quads was
    a third of its Turtle at 1.15M)."""
    home = ox.NamedNode(provenance_graph)
    kept = None if memo is None else memo.setdefault("provenance-quads", {})
    out: list[ox.Quad] = []
    for g, pairs in provenance.items():
        found = None if kept is None else kept.get((g, provenance_graph))
        if found is None:
            node = ox.NamedNode(g)
            found = [ox.Quad(node, p, o, home) for p, o in pairs]
            if kept is not None:
                kept[(g, provenance_graph)] = found
        out.extend(found)
    return out


NAMES = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?x ?k ?v WHERE { { GRAPH ?g { ?x skos:prefLabel ?v } BIND("l" AS ?k) }
  UNION { GRAPH ?g { ?x a ?v } BIND("t" AS ?k) } }"""


def local_href(iri: str, base: str) -> str | None:
    """Where an IRI is served here: entity and graph IRIs under the base map to the same
    path on this server; ontology terms and concepts to the ontology documentation."""
    if iri.startswith(base + "id/") or iri.startswith(base + "graph/"):
        return "/" + iri[len(base):]
    if iri.startswith(str(JG)):
        return "/ontology#" + iri[len(str(JG)):]
    if iri.startswith(str(VOCAB)):
        return "/ontology#vocab-" + iri[len(str(VOCAB)):].replace("/", "-")
    return None


MAX_SHARED_LABELS = 100_000  # IRIs whose label and types a snapshot keeps (~20 MB per process at most)


class Labels:
    """Labels and types of the IRIs a page shows, looked up once each: per request, and on a
    snapshot once for every page of it (a prison page shows hundreds)."""

    def __init__(self, store, dataset: dict, base: str):
        self.store, self.dataset, self.base = store, dataset, base
        memo = snapshot_memo(store, dataset)
        self._seen: dict[str, tuple[str | None, list[str]]] = {} if memo is None else memo.setdefault("labels", {})
        # the visibility test is built once: building it reads the caller's graph list, which
        # holds thousands of graphs at scale (one per testimony), and a page looks up hundreds of labels
        self._engine, self._shown = getattr(store, "engine", None), visible(dataset)

    def _engine_quads(self, s, p):
        if self._engine is None or self._shown is None:
            return None
        return [q for q in self._engine.quads_for_pattern(s, p, None, None) if self._shown(q.graph_name)]

    def lookup(self, iri: str) -> tuple[str | None, list[str]]:
        found = self._seen.get(iri)  # on a snapshot, shared by the process's threads
        if found is None:
            found = self._lookup(iri)
            if len(self._seen) >= MAX_SHARED_LABELS:
                self._seen.clear()
            self._seen[iri] = found
        return found

    def _lookup(self, iri: str) -> tuple[str | None, list[str]]:
        labels: dict[str, str] = {}
        types: list[str] = []
        node = ox.NamedNode(iri)
        named = self._engine_quads(node, PREF_LABEL)
        if named is not None:
            for q in named:
                if isinstance(q.object, ox.Literal):
                    labels.setdefault(q.object.language or "", q.object.value)
            types = [q.object.value for q in self._engine_quads(node, RDF_TYPE)]
        for r in ([] if named is not None else _rows(self.store, NAMES, self.dataset, x=node)):
            if r["k"].value == "t":
                types.append(r["v"].value)
            elif isinstance(r["v"], ox.Literal):
                labels.setdefault(r["v"].language or "", r["v"].value)
        label = labels.get("en") or next(iter(labels.values()), None) or vocabulary_label(iri)
        return (label, sorted(set(types)))

    def term(self, term: ox.Term) -> dict:
        if isinstance(term, ox.Literal):
            out = {"type": "literal", "value": term.value}
            if term.language:
                out["lang"] = term.language
            elif term.datatype.value != PREFIXES["xsd"] + "string":
                out["datatype"] = term.datatype.value
            return out
        if isinstance(term, ox.BlankNode):
            return {"type": "bnode", "value": term.value}
        label, types = self.lookup(term.value)
        return {"type": "uri", "value": term.value, "label": label or short_name(term.value),
                "href": local_href(term.value, self.base) or term.value, "types": types}


@functools.lru_cache(maxsize=4096)  # the packaged ontology files do not change while serving
def vocabulary_label(iri: str) -> str | None:
    """English label of an ontology term or concept from the packaged ontology files."""
    for graph in (resources.ontology_graph(), resources.vocabulary_graph()):
        for predicate in (RSKOS.prefLabel, RDFS.label):
            values = list(graph.objects(URIRef(iri), predicate))
            if values:
                english = [v for v in values if getattr(v, "language", None) == "en"]
                return str((english or values)[0])
    return None


def short_name(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1] or iri


def relation(iri: str) -> dict:
    return {"iri": iri, "label": vocabulary_label(iri) or short_name(iri), "short": short_name(iri)}


KINDS = (  # class local name → kind used for colours and grouping, most specific first
    ("Prison", "place"), ("Settlement", "place"), ("Country", "place"), ("Place", "place"),
    ("Person", "person"), ("Event", "event"), ("Source", "source"), ("Document", "document"),
    ("Court", "organization"), ("GovernmentBody", "organization"), ("InternationalBody", "organization"),
    ("NonGovernmentalOrganization", "organization"), ("PoliticalOrganization", "organization"),
    ("Commission", "organization"), ("Organization", "organization"), ("Collective", "organization"),
    ("Agent", "person"),
)


def kind_of(types: list[str]) -> str:
    local = {t[len(str(JG)):] for t in types if t.startswith(str(JG))}
    return next((kind for name, kind in KINDS if name in local), "other")
