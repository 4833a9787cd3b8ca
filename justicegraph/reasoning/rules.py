"""Property values the reasoner entails, completed with SPARQL CONSTRUCT rules.

HermiT's property-value report (``-Y``) is slow (it doubled the reasoning time on the 1988
data) and incomplete for our purposes: it leaves out values of super-properties
(``relativeOf`` from ``siblingOf``) and of some property chains (``victimOf``). For the
property axioms the ontology uses — inverse, symmetric, sub-property, transitive, property
chains, ``owl:hasSelf`` — and for class definitions by ``owl:hasValue`` (jg:VictimParticipation,
whose definition reasoning.RULES_ONLY keeps from HermiT for speed), the OWL 2 RL rules are
sound and, over named individuals, complete. We run them as CONSTRUCT queries to a fixed
point over the asserted data plus HermiT's class memberships. One query per axiom, generated from the ontology; the
IRIs in the text come from the ontology, never from user input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

DERIVED = ox.NamedNode("urn:x-justicegraph:derived")
MAX_ROUNDS = 50


def rules(ontology: Graph) -> list[str]:
    """CONSTRUCT queries, one per axiom; each yields only triples not yet in the store
    (FILTER NOT EXISTS), so that every round of ``saturate`` only carries what is new."""
    found = []
    for p, q in _iri_pairs(ontology, OWL.inverseOf):
        found += [(f"?o <{q}> ?s", f"?s <{p}> ?o"), (f"?o <{p}> ?s", f"?s <{q}> ?o")]
    for p in _iris(ontology.subjects(RDF.type, OWL.SymmetricProperty)):
        found.append((f"?o <{p}> ?s", f"?s <{p}> ?o"))
    for p, q in _iri_pairs(ontology, RDFS.subPropertyOf):
        found.append((f"?s <{q}> ?o", f"?s <{p}> ?o"))
    for p in _iris(ontology.subjects(RDF.type, OWL.TransitiveProperty)):
        found.append((f"?s <{p}> ?o", f"?s <{p}> ?m . ?m <{p}> ?o"))
    for p, chain in _chains(ontology):
        found.append(_chain_rule(p, chain))
    for cls, prop in _self_classes(ontology):
        found.append((f"?x <{prop}> ?x", f"?x a <{cls}>"))
    for cls, parts in _has_value_definitions(ontology):
        found.append((f"?x a <{cls}>", " ".join(parts)))
    return [f"CONSTRUCT {{ {head} }} WHERE {{ {body} FILTER NOT EXISTS {{ {head} }} }}" for head, body in found]


def saturate(store: ox.Store, queries: list[str]) -> int:
    """Run the rules over the union of the store's graphs until nothing new appears; new
    triples go to the DERIVED graph. Returns how many were added."""
    added = 0
    for _ in range(MAX_ROUNDS):
        new = [ox.Quad(t.subject, t.predicate, t.object, DERIVED)
               for q in queries for t in store.query(q, use_default_graph_as_union=True)]
        new = [q for q in set(new) if not _known(store, q)]
        if not new:
            return added
        store.extend(new)
        added += len(new)
    raise RuntimeError(f"property rules did not reach a fixed point in {MAX_ROUNDS} rounds")


def _known(store: ox.Store, quad: ox.Quad) -> bool:
    return next(store.quads_for_pattern(quad.subject, quad.predicate, quad.object, None), None) is not None


def _iris(nodes: Iterable) -> Iterator[URIRef]:
    return (n for n in nodes if isinstance(n, URIRef))


def _iri_pairs(graph: Graph, predicate) -> Iterator[tuple[URIRef, URIRef]]:
    return ((s, o) for s, o in graph.subject_objects(predicate) if isinstance(s, URIRef) and isinstance(o, URIRef))


def _chains(graph: Graph) -> Iterator[tuple[URIRef, list]]:
    for prop, head in graph.subject_objects(OWL.propertyChainAxiom):
        steps = []
        for element in Collection(graph, head):
            inverse = graph.value(element, OWL.inverseOf) if isinstance(element, BNode) else None
            steps.append(("^", inverse) if inverse is not None else ("", element))
        yield prop, steps


def _chain_rule(prop: URIRef, steps: list) -> tuple[str, str]:
    patterns = []
    for i, (direction, step) in enumerate(steps):
        a, b = f"?v{i}", f"?v{i + 1}"
        patterns.append(f"{b} <{step}> {a} ." if direction == "^" else f"{a} <{step}> {b} .")
    return f"?v0 <{prop}> ?v{len(steps)}", " ".join(patterns)


def _has_value_definitions(graph: Graph) -> Iterator[tuple[URIRef, list[str]]]:
    """Classes defined as named classes and owl:hasValue restrictions (C ≡ A ⊓ ∃p.{v}):
    whatever is an A with p v is a C (OWL 2 RL rules cls-int2 and cls-hv2)."""
    for cls, expression in graph.subject_objects(OWL.equivalentClass):
        members = graph.value(expression, OWL.intersectionOf) if isinstance(expression, BNode) else None
        if not isinstance(cls, URIRef) or members is None:
            continue
        parts = []
        for member in Collection(graph, members):
            prop, value = graph.value(member, OWL.onProperty), graph.value(member, OWL.hasValue)
            if isinstance(member, URIRef):
                parts.append(f"?x a <{member}> .")
            elif isinstance(prop, URIRef) and isinstance(value, URIRef):
                parts.append(f"?x <{prop}> <{value}> .")
            else:
                break
        else:
            yield cls, parts


def _self_classes(graph: Graph) -> Iterator[tuple[URIRef, URIRef]]:
    for restriction in graph.subjects(OWL.hasSelf, None):
        prop = graph.value(restriction, OWL.onProperty)
        for cls in graph.subjects(OWL.equivalentClass, restriction):
            if isinstance(cls, URIRef) and isinstance(prop, URIRef):
                yield cls, prop
