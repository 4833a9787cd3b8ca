"""Gathering what the visible graphs say about one entity: the quads of its description
(for RDF answers) and the grouped, attributed statements of its page (for HTML and JSON).

Every query runs with the caller's dataset (``dataset`` = ``context.query_dataset()``), so
restricted graphs are simply absent for anonymous callers: nothing here filters by hand.
Terms reach queries only through ``substitutions=``.
"""

from __future__ import annotations

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
# People (and organisations) who took part in events at a place: who was held in a prison.
AT_PLACE = """PREFIX jg: <https://w3id.org/justicegraph/ontology#>
SELECT DISTINCT ?o ?g ?x ?p ?v WHERE {
  GRAPH ?ga { ?event jg:place|jg:fromPlace ?o }
  GRAPH ?gb { ?x jg:event ?event }
  GRAPH ?g { ?x ?p ?v }
} LIMIT 5000"""
MAX_PLACE_NODES = 1000  # about 5 triples each under the LIMIT above
PROVENANCE = "SELECT ?g ?p ?o WHERE { GRAPH ?pg { ?g ?p ?o } }"
EVENT_TIME = """PREFIX jg: <https://w3id.org/justicegraph/ontology#>
SELECT ?e ?g ?p ?v WHERE { VALUES ?p { jg:time jg:earliest jg:latest jg:eventType jg:place }
  GRAPH ?g { ?e ?p ?v } }"""

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PREF_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
PROV = "http://www.w3.org/ns/prov#"
SKOS = PREFIXES["skos"]
NAME_PREDICATES = {SKOS + "prefLabel", SKOS + "altLabel", PREFIXES["rdfs"] + "label"}
HIDDEN_PREDICATES = NAME_PREDICATES | {PREFIXES["rdf"] + "type", str(JG.recordId), PREFIXES["rdfs"] + "comment"}
EVENT_LINKS = {str(JG.event), str(JG.partOf), str(JG.hasPart)}
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
    for q in incoming:
        x = q.subject
        if x in seen or len(seen) >= MAX_NODES or engine_quads(store, dataset, x, PREF_LABEL):
            continue
        seen.add(x)
        nodes.extend(engine_quads(store, dataset, x))
    return Gathered(sorted(own, key=_quad_key), sorted(incoming, key=_quad_key), sorted(nodes, key=_quad_key))


def place_quads(store, iri: str, dataset: dict) -> list[ox.Quad]:
    rows = _rows(store, AT_PLACE, dataset, o=ox.NamedNode(iri))
    return [ox.Quad(r["x"], r["p"], r["v"], r["g"]) for r in rows]


def graph_provenance(store, graphs, dataset: dict) -> dict[str, list[tuple[ox.NamedNode, ox.Term]]]:
    """What the (visible) provenance graphs say about each graph: who, from which source."""
    found = {}
    for g in graphs:
        if isinstance(g, ox.NamedNode):
            fast = engine_quads(store, dataset, g)
            pairs = ([(q.predicate, q.object) for q in fast] if fast is not None
                     else [(r["p"], r["o"]) for r in _rows(store, PROVENANCE, dataset, g=g)])
            # in a fixed order: an engine's row order depends on its history (a remote engine
            # that once held restricted graphs answers in another order than a fresh copy)
            found[g.value] = sorted(pairs, key=lambda pair: (str(pair[0]), str(pair[1])))
    return found


def provenance_quads(provenance: dict, provenance_graph: str) -> list[ox.Quad]:
    home = ox.NamedNode(provenance_graph)
    return [ox.Quad(ox.NamedNode(g), p, o, home) for g, pairs in provenance.items() for p, o in pairs]


def event_times(store, events, dataset: dict) -> dict[str, dict]:
    times = {}
    for event in events:
        facts: dict[str, str] = {}
        for r in _rows(store, EVENT_TIME, dataset, e=ox.NamedNode(event)):
            key = r["p"].value.rsplit("#", 1)[-1]
            facts.setdefault(key, r["v"].value)
        if facts.get("time") or facts.get("earliest") or facts.get("latest"):
            times[event] = facts
    return times


def attribution(graph: str, provenance: dict, names: Labels) -> dict:
    pairs = provenance.get(graph, [])
    props: dict[str, list[ox.Term]] = {}
    for p, o in pairs:
        props.setdefault(p.value, []).append(o)
    kinds = [o.value.rsplit("#", 1)[-1] for o in props.get(PREFIXES["rdf"] + "type", [])
             if o.value.startswith(str(JG))]
    speaker = props.get(PROV + "wasAttributedTo", [None])[0]
    source = props.get(PROV + "wasDerivedFrom", [None])[0]
    locator = props.get(str(JG.locator), [None])[0]
    return {
        "graph": graph,
        "kind": kinds[0] if kinds else None,
        "speaker": names.term(speaker) if speaker is not None else None,
        "source": names.term(source) if source is not None else None,
        "locator": locator.value if locator is not None else None,
        "restricted": graph.endswith("/restricted"),
    }


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


class Labels:
    """Labels and types of the IRIs a page shows, looked up once each (per request)."""

    def __init__(self, store, dataset: dict, base: str):
        self.store, self.dataset, self.base = store, dataset, base
        self._seen: dict[str, tuple[str | None, list[str]]] = {}

    def lookup(self, iri: str) -> tuple[str | None, list[str]]:
        if iri not in self._seen:
            labels: dict[str, str] = {}
            types: list[str] = []
            node = ox.NamedNode(iri)
            named = engine_quads(self.store, self.dataset, node, PREF_LABEL)
            if named is not None:
                for q in named:
                    if isinstance(q.object, ox.Literal):
                        labels.setdefault(q.object.language or "", q.object.value)
                types = [q.object.value for q in engine_quads(self.store, self.dataset, node, RDF_TYPE)]
            for r in ([] if named is not None else _rows(self.store, NAMES, self.dataset, x=node)):
                if r["k"].value == "t":
                    types.append(r["v"].value)
                elif isinstance(r["v"], ox.Literal):
                    labels.setdefault(r["v"].language or "", r["v"].value)
            label = labels.get("en") or next(iter(labels.values()), None) or vocabulary_label(iri)
            self._seen[iri] = (label, sorted(set(types)))
        return self._seen[iri]

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
    ("Person", "person"), ("Event", "event"), ("Source", "source"),
    ("Court", "organization"), ("GovernmentBody", "organization"), ("InternationalBody", "organization"),
    ("NonGovernmentalOrganization", "organization"), ("PoliticalOrganization", "organization"),
    ("Commission", "organization"), ("Organization", "organization"), ("Collective", "organization"),
    ("Agent", "person"),
)
MAX_NETWORK_NODES = 150


def kind_of(types: list[str]) -> str:
    local = {t[len(str(JG)):] for t in types if t.startswith(str(JG))}
    return next((kind for name, kind in KINDS if name in local), "other")


class PageBuilder:
    """Turns gathered quads into the grouped, attributed structure of an entity page (the
    same structure is the page's JSON twin)."""

    def __init__(self, store, iri: str, dataset: dict, settings):
        self.store, self.iri, self.dataset = store, iri, dataset
        self.minter = settings.minter
        self.names = Labels(store, dataset, settings.base)
        self.node = ox.NamedNode(iri)
        self._attr: dict[str, dict] = {}

    def build(self) -> dict | None:
        got = gather(self.store, self.iri, self.dataset)
        if not got.own and not got.incoming:
            return None
        label, types = self.names.lookup(self.iri)
        kind = kind_of(types)
        at_place = place_quads(self.store, self.iri, self.dataset) if kind == "place" else []
        graphs = {q.graph_name for q in got.quads() + at_place}
        self.provenance = graph_provenance(self.store, graphs, self.dataset)
        nodes = self._nodes(got.nodes)
        place_nodes = self._nodes(at_place)
        return {
            "iri": self.iri, "id": self.minter.record_id(self.iri), "label": label or short_name(self.iri),
            "kind": kind, "types": [self.names.term(ox.NamedNode(t)) for t in types],
            "names": self._names(got.own), "descriptions": self._values(got.own, {PREFIXES["rdfs"] + "comment"}),
            "statements": self._statements(got.own),
            "mentions": self._mention_groups(nodes),
            "linked_from": self._linked_from(got.incoming, nodes),
            "at_place": self._place_groups(place_nodes),
            "timeline": self._timeline(got, nodes, place_nodes, types),
            "network": self._network(got, nodes, place_nodes, label, kind),
            "graphs": sorted(self._attr.values(), key=lambda a: a["graph"]),
            "capped": {"mentions": len(nodes) >= MAX_NODES, "linked_from": len(got.incoming) >= MAX_INCOMING,
                       "at_place": len(place_nodes) >= MAX_PLACE_NODES},
        }

    def attribution(self, graph) -> dict:
        key = graph.value if isinstance(graph, ox.NamedNode) else ""
        if key not in self._attr:
            self._attr[key] = attribution(key, self.provenance, self.names)
            self._attr[key]["href"] = local_href(key, self.minter.base)
        return self._attr[key]

    def _merge(self, items) -> list[dict]:
        """(relation, term, graph) → one entry per (relation, value) with every attribution."""
        merged: OrderedDict[tuple, dict] = OrderedDict()
        for rel, term, graph in items:
            entry = merged.setdefault((rel, term), {"relation": relation(rel), "value": self.names.term(term),
                                                   "attributions": []})
            a = self.attribution(graph)
            if a not in entry["attributions"]:
                entry["attributions"].append(a)
        return list(merged.values())

    def _names(self, own) -> list[dict]:
        keep = {SKOS + "prefLabel", SKOS + "altLabel"}
        return self._merge((q.predicate.value, q.object, q.graph_name) for q in own if q.predicate.value in keep)

    def _values(self, own, predicates) -> list[dict]:
        return self._merge((q.predicate.value, q.object, q.graph_name) for q in own if q.predicate.value in predicates)

    def _statements(self, own) -> list[dict]:
        entries = self._merge((q.predicate.value, q.object, q.graph_name) for q in own
                              if q.predicate.value not in HIDDEN_PREDICATES)
        return _group(entries, lambda e: e["relation"]["iri"], lambda e: e["relation"])

    def _nodes(self, quads) -> OrderedDict:
        """n-ary nodes: subject → {types, facts, links (predicates pointing at the entity), graph}."""
        nodes: OrderedDict[ox.Term, dict] = OrderedDict()
        for q in quads:
            n = nodes.setdefault(q.subject, {"types": [], "facts": [], "links": [], "graph": q.graph_name,
                                             "locator": None, "summary": None, "record_id": None})
            p = q.predicate.value
            if q.predicate == RDF_TYPE:
                n["types"].append(q.object.value)
                n["graph"] = q.graph_name
            elif q.object == self.node:
                n["links"].append(p)
            elif p == str(JG.locator):
                n["locator"] = q.object.value
            elif p == str(JG.summary):
                n["summary"] = q.object.value
            elif p == str(JG.recordId):
                n["record_id"] = q.object.value
            else:
                n["facts"].append((p, q.object))
        return nodes

    def _node_entry(self, subject, n) -> dict:
        attribution = self.attribution(n["graph"])
        speaker = (attribution["speaker"] or {}).get("value")
        # "stated by" repeats the attribution when the graph's speaker made the statement
        facts = [{"relation": relation(p), "value": self.names.term(v)} for p, v in n["facts"]
                 if not (p == str(JG.statedBy) and v.value == speaker)]
        types = [t for t in n["types"] if t.startswith(str(JG))] or n["types"]
        return {"node": self.names.term(subject) if isinstance(subject, ox.NamedNode) else None,
                "type": relation(types[0]) if types else None, "facts": facts,
                "summary": n["summary"], "locator": n["locator"] or attribution["locator"],
                "attribution": attribution}

    def _mention_groups(self, nodes) -> list[dict]:
        entries = []
        for subject, n in nodes.items():
            entry = self._node_entry(subject, n)
            entry["as"] = [relation(p) for p in n["links"]]
            entries.append(entry)

        def key(e):
            return ((e["type"] or {}).get("iri"), tuple(r["iri"] for r in e["as"]))

        def head(e):
            return {"type": e["type"], "as": e["as"]}

        return _group(entries, key, head)

    def _linked_from(self, incoming, nodes) -> list[dict]:
        entries = self._merge((q.predicate.value, q.subject, q.graph_name) for q in incoming
                              if q.subject not in nodes)
        return _group(entries, lambda e: e["relation"]["iri"], lambda e: e["relation"])

    def _place_groups(self, nodes) -> list[dict]:
        entries = [self._node_entry(s, n) for s, n in nodes.items()]

        def event_of(e):
            return next((f["value"] for f in e["facts"] if f["relation"]["iri"] == str(JG.event)), None)

        return _group(entries, lambda e: (event_of(e) or {}).get("value"), lambda e: {"event": event_of(e)})

    def _timeline(self, got, nodes, place_nodes, types) -> list[dict]:
        events = [self.iri] if kind_of(types) == "event" else []
        for n in list(nodes.values()) + list(place_nodes.values()):
            events += [v.value for p, v in n["facts"] if p in EVENT_LINKS and isinstance(v, ox.NamedNode)]
        events += [q.subject.value for q in got.incoming if q.predicate.value == str(JG.partOf)]
        events += [q.object.value for q in got.own if q.predicate.value in EVENT_LINKS
                   and isinstance(q.object, ox.NamedNode)]
        times = event_times(self.store, list(OrderedDict.fromkeys(events)), self.dataset)
        entries = [{"event": self.names.term(ox.NamedNode(e)), **t} for e, t in times.items()]
        for entry in entries:
            if "eventType" in entry:
                entry["eventType"] = self.names.term(ox.NamedNode(entry["eventType"]))
            if "place" in entry:
                entry["place"] = self.names.term(ox.NamedNode(entry["place"]))
        return sorted(entries, key=lambda e: (e.get("earliest") or e.get("time") or "", e["event"]["label"]))

    def _network(self, got, nodes, place_nodes, label, kind) -> dict:
        net = Network(self.iri, label or short_name(self.iri), kind, self.names, self.minter.base)
        for q in got.own:
            net.link(self.iri, q.object, q.predicate.value)
        for q in got.incoming:
            if q.subject not in nodes:
                net.link(q.subject.value, self.node, q.predicate.value, reverse=True)
        for n in nodes.values():
            role = next((v for p, v in n["facts"] if p == str(JG.role)), None)
            edge = (self.names.term(role)["label"] if role is not None else None) or (relation(n["types"][0])["label"] if n["types"] else "")
            for p, v in n["facts"]:
                if p != str(JG.role):
                    net.link(self.iri, v, edge)
        for n in place_nodes.values():
            agent = next((v for p, v in n["facts"] if p == str(JG.agent)), None)
            role = next((v for p, v in n["facts"] if p == str(JG.role)), None)
            if agent is not None:
                net.link(self.iri, agent, self.names.term(role)["label"] if role is not None else "present", reverse=True)
        return net.as_json()


class Network:
    """Nodes and edges of the neighbourhood drawn with cytoscape.js."""

    def __init__(self, iri, label, kind, names: Labels, base: str):
        self.names, self.base = names, base
        self.nodes = OrderedDict({iri: {"id": iri, "label": label, "kind": kind, "href": local_href(iri, base),
                                        "center": True}})
        self.edges: OrderedDict[tuple, dict] = OrderedDict()

    def link(self, here: str, other, label: str, reverse: bool = False) -> None:
        if not isinstance(other, ox.NamedNode) or not other.value.startswith(self.base + "id/"):
            return
        if other.value not in self.nodes:
            if len(self.nodes) >= MAX_NETWORK_NODES:
                return
            term = self.names.term(other)
            self.nodes[other.value] = {"id": other.value, "label": term["label"], "kind": kind_of(term["types"]),
                                       "href": term["href"]}
        ends = (other.value, here) if reverse else (here, other.value)
        name = label if "/" not in label and "#" not in label else relation(label)["label"]
        self.edges.setdefault((*ends, name), {"source": ends[0], "target": ends[1], "label": name})

    def as_json(self) -> dict:
        return {"nodes": list(self.nodes.values()), "edges": list(self.edges.values())}


def _group(entries, key, head) -> list[dict]:
    groups: OrderedDict = OrderedDict()
    for e in entries:
        groups.setdefault(key(e), {**head(e), "items": []})["items"].append(e)
    return list(groups.values())


def entity_page(store, iri: str, dataset: dict, settings) -> dict | None:
    return PageBuilder(store, iri, dataset, settings).build()
