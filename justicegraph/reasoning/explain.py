"""Why is the data inconsistent? HermiT (through owlready2) only says *that* it is.

We find the culprits ourselves, the way an editor would, with SPARQL over the asserted
graphs and the ontology:

- every type an individual gets — asserted, or from the domain or range of a property it
  is used with (through sub-properties, inverses and symmetry) — with the triple and the
  graph that gives it; two types under disjoint classes are a contradiction;
- literals outside the datatype range of their property;
- two values of a functional datatype property;
- an irreflexive property used reflexively, an asymmetric one both ways.

What these miss is found by ablation in ``reasoning.py`` (HermiT on parts of the data).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD

from justicegraph.namespaces import PREFIXES

ONTOLOGY_GRAPH = ox.NamedNode("urn:x-justicegraph:ontology")

_EVIDENCE = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?x ?t ?how ?p ?g WHERE {
  { GRAPH ?g { ?x a ?t } BIND("asserted" AS ?how) }
  UNION { GRAPH ?g { ?x ?p ?o } GRAPH <urn:x-justicegraph:ontology> { ?p rdfs:subPropertyOf*/rdfs:domain ?t } BIND("domain" AS ?how) }
  UNION { GRAPH ?g { ?s ?p ?x } GRAPH <urn:x-justicegraph:ontology> { ?p a owl:ObjectProperty . ?p rdfs:subPropertyOf*/rdfs:range ?t } BIND("range" AS ?how) }
  UNION { GRAPH ?g { ?s ?p ?x } GRAPH <urn:x-justicegraph:ontology> { ?p a owl:SymmetricProperty ; rdfs:domain ?t } BIND("symmetric-domain" AS ?how) }
  UNION { GRAPH ?g { ?x ?p ?o } GRAPH <urn:x-justicegraph:ontology> { ?p a owl:SymmetricProperty ; rdfs:range ?t } BIND("symmetric-range" AS ?how) }
  UNION { GRAPH ?g { ?s ?p ?x } GRAPH <urn:x-justicegraph:ontology> { { ?p owl:inverseOf ?q } UNION { ?q owl:inverseOf ?p } ?q rdfs:domain ?t } BIND("inverse-domain" AS ?how) }
  UNION { GRAPH ?g { ?x ?p ?o } GRAPH <urn:x-justicegraph:ontology> { { ?p owl:inverseOf ?q } UNION { ?q owl:inverseOf ?p } ?q rdfs:range ?t } BIND("inverse-range" AS ?how) }
  FILTER(isIRI(?t) && !isLiteral(?x) && ?g != <urn:x-justicegraph:ontology>)
}"""

_DATA_RANGE = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?p ?o ?g ?range WHERE {
  GRAPH <urn:x-justicegraph:ontology> { ?p a owl:DatatypeProperty ; rdfs:range ?range . FILTER(isIRI(?range)) }
  GRAPH ?g { ?s ?p ?o }
}"""

_FUNCTIONAL = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?s ?p ?o1 ?g1 ?o2 ?g2 WHERE {
  GRAPH <urn:x-justicegraph:ontology> { ?p a owl:DatatypeProperty , owl:FunctionalProperty }
  GRAPH ?g1 { ?s ?p ?o1 } GRAPH ?g2 { ?s ?p ?o2 }
  FILTER(STR(?o1) < STR(?o2) && ?o1 != ?o2)
}"""

_FUNCTIONAL_OBJECTS = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?s ?p ?o1 ?o2 WHERE {
  GRAPH <urn:x-justicegraph:ontology> { ?p a owl:ObjectProperty , owl:FunctionalProperty }
  GRAPH ?g1 { ?s ?p ?o1 } GRAPH ?g2 { ?s ?p ?o2 }
  FILTER(STR(?o1) < STR(?o2))
}"""

_CHARACTERISTICS = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?s ?p ?o ?g1 ?g2 ?kind WHERE {
  { GRAPH <urn:x-justicegraph:ontology> { ?p a owl:IrreflexiveProperty }
    GRAPH ?g1 { ?s ?p ?s } BIND(?s AS ?o) BIND(?g1 AS ?g2) BIND("irreflexive" AS ?kind) }
  UNION
  { GRAPH <urn:x-justicegraph:ontology> { ?p a owl:AsymmetricProperty }
    GRAPH ?g1 { ?s ?p ?o } GRAPH ?g2 { ?o ?p ?s } FILTER(STR(?s) < STR(?o)) BIND("asymmetric" AS ?kind) }
  UNION
  { GRAPH <urn:x-justicegraph:ontology> { ?p a owl:AsymmetricProperty . { ?p owl:inverseOf ?q } UNION { ?q owl:inverseOf ?p } }
    GRAPH ?g1 { ?s ?p ?o } GRAPH ?g2 { ?s ?q ?o } BIND("asymmetric" AS ?kind) }
}"""

_INTEGERS = {str(XSD[n]) for n in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                   "positiveInteger", "nonPositiveInteger", "negativeInteger",
                                   "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
_TEXT = {str(XSD.string), str(RDF.langString), str(RDF.PlainLiteral)}


@dataclass(frozen=True)
class Finding:
    """One contradiction, in plain words, naming the entities and the axioms involved."""

    entities: tuple[str, ...]
    message: str


def diagnostics_store(quads, ontology: Graph) -> ox.Store:
    store = ox.Store()
    store.extend(quads)
    store.extend(ox.Quad(_ox(s), _ox(p), _ox(o), ONTOLOGY_GRAPH) for s, p, o in ontology)
    return store


def explain(store: ox.Store, ontology: Graph) -> list[Finding]:
    return disjointness(store, ontology) + data_ranges(store) + functional_values(store) + characteristics(store)


def characteristics(store: ox.Store) -> list[Finding]:
    """Irreflexive properties used reflexively; asymmetric ones both ways (or with their inverse)."""
    findings = []
    for r in store.query(_CHARACTERISTICS):
        s, p, o = _term(r["s"]), _short(r["p"].value), _term(r["o"])
        if r["kind"].value == "irreflexive":
            text = f"{s} {p} {s} (graph <{r['g1'].value}>): nothing is {p} itself (owl:IrreflexiveProperty)"
        else:
            text = (f"{s} {p} {o} (graph <{r['g1'].value}>), and the converse is stated too (graph "
                    f"<{r['g2'].value}>): {p} cannot hold both ways (owl:AsymmetricProperty)")
        findings.append(Finding((s, o) if s != o else (s,), text))
    return findings


def disjointness(store: ox.Store, ontology: Graph) -> list[Finding]:
    evidence = _type_evidence(store)
    ancestors, pairs = _ancestors(ontology), list(_disjoint_pairs(ontology))
    findings = []
    for x, types in evidence.items():
        for a, b, axiom, type_a, type_b in _clashes(types, types, ancestors, pairs):
            findings.append(Finding((x,), (
                f"{x} cannot be both a {_short(type_a)} and a {_short(type_b)}: {_short(a)} and {_short(b)} "
                f"are disjoint ({axiom}). It is a {_short(type_a)} {_because(types[type_a][0], type_a)}; "
                f"it is a {_short(type_b)} {_because(types[type_b][0], type_b)}.")))
    # A functional property with two values makes them one individual: their types must agree.
    for row in store.query(_FUNCTIONAL_OBJECTS):
        s, p, o1, o2 = _term(row["s"]), _short(row["p"].value), _term(row["o1"]), _term(row["o2"])
        t1, t2 = evidence.get(o1, {}), evidence.get(o2, {})
        for a, b, axiom, type_a, type_b in _clashes(t1, t2, ancestors, pairs):
            findings.append(Finding((s, o1, o2), (
                f"{s} has two values of the functional property {p} (owl:FunctionalProperty), {o1} and {o2}, "
                f"so they would be one individual; but {o1} is a {_short(type_a)} "
                f"{_because(t1[type_a][0], type_a)} and {o2} is a {_short(type_b)} "
                f"{_because(t2[type_b][0], type_b)}, and {_short(a)} and {_short(b)} are disjoint ({axiom}).")))
    return findings


def _type_evidence(store: ox.Store) -> dict[str, dict[str, list]]:
    """individual -> type -> [(how, property, graph)]: why the individual has the type."""
    evidence: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in store.query(_EVIDENCE):
        why = (row["how"].value, row["p"].value if row["p"] else None, row["g"].value)
        evidence[_term(row["x"])][row["t"].value].append(why)
    for types in evidence.values():
        for reasons in types.values():
            reasons.sort(key=lambda why: (_ORDER[why[0]], why[1] or "", why[2]))
    return evidence


def _clashes(types_1, types_2, ancestors, pairs):
    """(disjoint a, disjoint b, axiom, type under a, type under b), one per disjoint pair."""
    for a, b, axiom in pairs:
        for x, y in ((a, b), (b, a)):
            in_x = sorted((t for t in types_1 if x in ancestors(t)), key=lambda t: (_ORDER[types_1[t][0][0]], t))
            in_y = sorted((t for t in types_2 if y in ancestors(t)), key=lambda t: (_ORDER[types_2[t][0][0]], t))
            if in_x and in_y:
                yield x, y, axiom, in_x[0], in_y[0]
                break


def data_ranges(store: ox.Store) -> list[Finding]:
    findings = []
    for row in store.query(_DATA_RANGE):
        value, rng = row["o"], row["range"].value
        if isinstance(value, ox.Literal) and _fits(value, rng):
            continue
        findings.append(Finding((_term(row["s"]),), (
            f"{_term(row['s'])} has {_short(row['p'].value)} {value} (in graph <{row['g'].value}>), "
            f"but the range of {_short(row['p'].value)} is {_short(rng)} (rdfs:range axiom)")))
    return findings


def functional_values(store: ox.Store) -> list[Finding]:
    return [Finding((_term(r["s"]),), (
        f"{_term(r['s'])} has two values of the functional property {_short(r['p'].value)}: "
        f"{r['o1']} (graph <{r['g1'].value}>) and {r['o2']} (graph <{r['g2'].value}>) "
        f"(owl:FunctionalProperty axiom)")) for r in store.query(_FUNCTIONAL)]


def _fits(value: ox.Literal, rng: str) -> bool:
    dt = value.datatype.value
    if rng == str(RDF.PlainLiteral):
        return dt in _TEXT
    if rng == str(XSD.integer):
        return dt in _INTEGERS
    return dt == rng or rng == str(RDFS.Literal)


def _disjoint_pairs(ontology: Graph):
    for a, b in ontology.subject_objects(OWL.disjointWith):
        yield str(a), str(b), f"{_short(a)} owl:disjointWith {_short(b)}"
    for axiom in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        members = [str(m) for m in Collection(ontology, ontology.value(axiom, OWL.members))]
        text = "AllDisjointClasses(" + " ".join(_short(m) for m in members) + ")"
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                yield a, b, text


def _ancestors(ontology: Graph):
    """Named superclasses (reflexive, transitive) of a class, by rdfs:subClassOf."""
    cache: dict[str, set[str]] = {}

    def up(cls: str) -> set[str]:
        if cls not in cache:
            cache[cls] = {cls}
            for sup in ontology.objects(URIRef(cls), RDFS.subClassOf):
                if isinstance(sup, URIRef):
                    cache[cls] |= up(str(sup))
        return cache[cls]

    return up


# How an individual got a type, in words; the first kinds are the plainest reasons.
_REASONS = {
    "asserted": "because it is typed so {where}",
    "domain": "because it is the subject of {p} {where} (domain {c})",
    "range": "because it is the object of {p} {where} (range {c})",
    "inverse-domain": "because it is the object of {p} {where} (domain {c} of its inverse)",
    "inverse-range": "because it is the subject of {p} {where} (range {c} of its inverse)",
    "symmetric-domain": "because it is the object of the symmetric {p} {where} (domain {c})",
    "symmetric-range": "because it is the subject of the symmetric {p} {where} (range {c})",
}
_ORDER = {how: i for i, how in enumerate(_REASONS)}


def _because(why: tuple, cls: str) -> str:
    how, prop, graph = why
    return _REASONS[how].format(p=_short(prop) if prop else "", where=f"in graph <{graph}>", c=_short(cls))


def _short(iri) -> str:
    iri = str(iri)
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and "/" not in iri[len(ns):]:
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


def _term(node) -> str:
    return f"<{node.value}>" if isinstance(node, ox.NamedNode) else str(node)


def _ox(term):
    from rdflib import BNode, Literal

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    assert isinstance(term, Literal)
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))
