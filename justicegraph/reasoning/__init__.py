"""Check the asserted graphs against the ontology with HermiT, say what contradicts it and
why, and derive what follows (``justicegraph reason``).

Input: the packaged ontology and vocabularies plus every asserted graph of the store (all
graphs but the inferred ones and the store's copies of the ontology and vocabularies).
Output: an ``Outcome`` — consistent or not, unsatisfiable classes, findings in plain words,
and (when asked) the inferred triples: class memberships from HermiT's realisation, property
values from SPARQL rules for the ontology's property axioms (see reasoning_rules).

Layout: this module (``reason``), ``hermit`` (running HermiT), ``rules`` (SPARQL rules for
property axioms), ``explain`` (why the data is inconsistent), ``store`` (which graphs are read
and how inferences are written back), ``ontology_checks`` (quality checks of the ontology).
May import: the core of ``justicegraph`` and owlready2; never loaders, server or cli.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache

import pyoxigraph as ox
from rdflib import BNode, Graph
from rdflib.namespace import OWL, RDF, RDFS

from justicegraph.namespaces import JG
from justicegraph.reasoning import explain, hermit, rules
from justicegraph.resources import package_dir, vocabulary_graph

TECHNICAL = {str(JG.asVictim)}  # helper of a property chain, not a fact worth storing
ABLATION_RUNS = 24
ABLATION_SECONDS = 180.0


@dataclass
class Outcome:
    consistent: bool
    unsatisfiable: dict[str, str] = field(default_factory=dict)  # class -> why
    findings: list[explain.Finding] = field(default_factory=list)
    inferred: set[ox.Triple] = field(default_factory=set)
    individuals: int = 0
    triples: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable


@cache
def schema() -> Graph:
    """The core ontology and its controlled vocabularies, as the reasoner reads them.

    The alignment file is left out: it only puts our terms under terms of other vocabularies
    that carry no axioms here, so it can neither contradict the data nor entail anything in
    our namespace — and it made HermiT four times slower on the 1988 data (more classes to
    realise every individual against). Its OWL 2 DL profile is checked by the tests."""
    graph = Graph()
    graph.parse(package_dir("ontology") / "justicegraph.ttl", format="turtle")
    for triple in vocabulary_graph():
        graph.add(triple)
    return graph


# Axioms HermiT is not given, applied by the SPARQL rules instead: the definition of
# jg:VictimParticipation (a nominal, owl:hasValue role:victim, and owl:hasSelf) and the
# jg:victimOf chains. They made HermiT 2.5 times slower (24 s instead of 9.5 s for 1,000
# synthetic people) and can contradict nothing: no disjointness, domain or range puts their
# terms against others. The rules for owl:hasValue intersections, owl:hasSelf and chains
# give the same memberships and values (a test compares them with HermiT's on a fixture).
RULES_ONLY = ((JG.VictimParticipation, OWL.equivalentClass), (JG.victimOf, OWL.propertyChainAxiom))


@cache
def hermit_schema() -> Graph:
    """``schema()`` without the RULES_ONLY axioms (and the blank nodes only they use)."""
    graph = Graph()
    for triple in schema():
        graph.add(triple)
    for subject, predicate in RULES_ONLY:
        for value in list(graph.objects(subject, predicate)):
            graph.remove((subject, predicate, value))
            _remove_blank(graph, value)
    return graph


def _remove_blank(graph: Graph, node) -> None:
    if isinstance(node, BNode) and (None, None, node) not in graph:
        for _, p, o in list(graph.triples((node, None, None))):
            graph.remove((node, p, o))
            _remove_blank(graph, o)


def check(quads: list[ox.Quad], *, java: str = "java", timeout: float = 600.0, derive: bool = False,
          ablation_runs: int = ABLATION_RUNS) -> Outcome:
    """Reason over ``schema()`` + ``quads``. Raises hermit.JavaMissing / ReasonerFailed."""
    hermit.find_java(java)
    ontology = schema()
    ontology_nt = hermit_schema().serialize(format="nt", encoding="utf-8")
    started = time.perf_counter()
    world = hermit.load_world(ontology_nt + _ntriples(quads))
    loaded = time.perf_counter()
    report = hermit.run(world, java=java, timeout=timeout)
    outcome = Outcome(consistent=report.consistent, triples=len(quads),
                      seconds={"load": loaded - started, "hermit": report.seconds})
    if not (derive or report.unsatisfiable or not report.consistent):
        outcome.individuals = len(report.types)
        return outcome
    diagnostics = explain.diagnostics_store(quads, ontology)
    if not report.consistent:
        outcome.findings = explain.explain(diagnostics, ontology)
        if not outcome.findings:
            outcome.findings = _ablate(ontology_nt, quads, java, timeout, ablation_runs)
        return outcome
    outcome.individuals = len(report.types)
    outcome.unsatisfiable = {c: _why_unsatisfiable(diagnostics, c) for c in sorted(report.unsatisfiable)}
    if derive:
        t = time.perf_counter()
        outcome.inferred = derived(diagnostics, ontology, report, quads)
        outcome.seconds["rules"] = time.perf_counter() - t
    return outcome


def derived(store: ox.Store, ontology: Graph, report: hermit.HermitReport, quads) -> set[ox.Triple]:
    """What follows and was not asserted: jg class memberships and jg property values."""
    for individual, classes in report.types.items():
        for cls in _closure(classes, report.superclasses):
            store.add(ox.Quad(ox.NamedNode(individual), _TYPE, ox.NamedNode(cls), rules.DERIVED))
    rules.saturate(store, rules.rules(ontology))
    asserted = {q.triple for q in quads}
    return {q.triple for q in store.quads_for_pattern(None, None, None, rules.DERIVED)
            if q.triple not in asserted and _worth_storing(q)}


def _worth_storing(quad: ox.Quad) -> bool:
    if not isinstance(quad.subject, ox.NamedNode) or not isinstance(quad.object, ox.NamedNode):
        return False
    if quad.predicate == _TYPE:
        return quad.object.value.startswith(str(JG))
    return quad.predicate.value.startswith(str(JG)) and quad.predicate.value not in TECHNICAL


def _closure(classes: set[str], superclasses: dict[str, set[str]]) -> set[str]:
    seen, todo = set(), list(classes)
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.add(cls)
            todo.extend(superclasses.get(cls, ()))
    seen.discard("http://www.w3.org/2002/07/owl#Thing")
    return seen


_UNSAT = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT DISTINCT ?c ?a ?b WHERE {
  ?c rdfs:subClassOf* ?a . ?c rdfs:subClassOf* ?b .
  { ?a owl:disjointWith ?b }
  UNION { ?ax a owl:AllDisjointClasses ; owl:members ?l . ?l rdf:rest*/rdf:first ?a . ?l rdf:rest*/rdf:first ?b }
  FILTER(?a != ?b && STR(?a) < STR(?b))
}"""


def _why_unsatisfiable(store: ox.Store, cls: str) -> str:
    rows = store.query(_UNSAT, use_default_graph_as_union=True,
                       substitutions={ox.Variable("c"): ox.NamedNode(cls)})
    pairs = [f"{explain._short(r['a'].value)} and {explain._short(r['b'].value)}" for r in rows]
    if pairs:
        return (f"{explain._short(cls)} can have no members: it is a subclass of {pairs[0]}, "
                f"which are disjoint (rdfs:subClassOf and disjointness axioms)")
    return f"{explain._short(cls)} can have no members (HermiT); its axioms contradict each other"


def _ablate(ontology_nt: bytes, quads: list[ox.Quad], java: str, timeout: float, budget: int):
    """Find a small set of subjects whose statements alone contradict the ontology. One
    subject at a time, a binary search finds the shortest prefix of the candidates that is
    still inconsistent together with the subjects already kept; its last subject is needed.
    About (log n + 1) HermiT runs per culprit, at most ``budget`` in all and no new run after
    ABLATION_SECONDS (on large data each run takes long): then the subjects still suspected
    are reported, and the message says the search was cut short."""
    deadline = time.perf_counter() + ABLATION_SECONDS
    # Annotations have no logical meaning in OWL 2 DL: a subject that only has annotations
    # cannot take part in a contradiction, and need not be tried.
    annotations = {str(p) for p in schema().subjects(RDF.type, OWL.AnnotationProperty)} | _ANNOTATIONS
    by_subject: dict = {}
    for q in quads:
        if q.predicate.value not in annotations:
            by_subject.setdefault(q.subject, []).append(q)

    def inconsistent(subjects) -> bool:
        return not _consistent(ontology_nt, [q for s in subjects for q in by_subject[s]], java, timeout)

    needed, candidates, runs = [], list(by_subject), 0

    def more() -> bool:
        return runs < budget and time.perf_counter() < deadline

    while candidates and more():
        if needed:
            runs += 1
            if inconsistent(needed):
                candidates = []
                break
        lo, hi = 1, len(candidates)  # needed + candidates[:hi] is inconsistent
        while lo < hi and more():
            mid, runs = (lo + hi) // 2, runs + 1
            lo, hi = (lo, mid) if inconsistent(needed + candidates[:mid]) else (mid + 1, hi)
        if lo < hi:  # cut short: keep what is known to be inconsistent
            candidates = candidates[:hi]
            break
        needed.append(candidates[hi - 1])
        candidates = candidates[:hi - 1]
    return [_ablation_finding(needed + candidates, by_subject, complete=not candidates)]


def _ablation_finding(subjects, by_subject, *, complete: bool) -> explain.Finding:
    triples = [q for s in subjects for q in by_subject[s]]
    shown = "; ".join(f"{q.subject} {q.predicate} {q.object} (graph <{q.graph_name.value}>)"
                      for q in triples[:12] if isinstance(q.graph_name, ox.NamedNode))
    names = tuple(explain._term(s) for s in subjects)
    listed = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    cut = "" if complete else " (search cut short after its run or time budget: not minimal)"
    return explain.Finding(names, (
        f"no single disjointness, range or functional-property clash explains it; HermiT finds "
        f"the ontology contradicted by what is said about {listed} together{cut}: {shown}"
        + (" …" if len(triples) > 12 else "")))


def _consistent(ontology_nt: bytes, quads, java: str, timeout: float) -> bool:
    data = ontology_nt + _ntriples(quads)
    return hermit.run_ntriples(data, java=java, timeout=timeout, consistency_only=True).consistent


def _ntriples(quads) -> bytes:
    return ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES) or b""


_TYPE = ox.NamedNode(str(RDF.type))
_ANNOTATIONS = {str(RDFS.label), str(RDFS.comment), str(RDFS.seeAlso), str(RDFS.isDefinedBy)}
