"""Reasoning over a store: which graphs are read, and how inferences are written back.

Inferred triples live in ``Minter.inferred_graph`` only, so that asserted and inferred facts
never mix. Facts that follow from public graphs alone go there; facts that need a restricted
graph go to its restricted twin (the access rule hides it), so the reasoner never leaks a
restricted record. Both are described in the provenance graphs (PROV-O) and replaced, in one
transaction, on every run.
"""

from __future__ import annotations

import datetime as dt
import uuid
from importlib.metadata import PackageNotFoundError, version

import pyoxigraph as ox
from rdflib.namespace import OWL, PROV, RDF, RDFS, XSD

from justicegraph import reasoning
from justicegraph.access import is_restricted
from justicegraph.namespaces import JG, ONTOLOGY_IRI, Minter, concept
from justicegraph.resources import ontology_graph


def asserted_graphs(store, minter: Minter) -> list[str]:
    """Every graph that holds asserted facts: all but the inferred ones and the store's
    copies of the ontology and vocabularies (the packaged ones are read instead)."""
    skip = {minter.inferred_graph, minter.restricted_twin(minter.inferred_graph),
            minter.ontology_graph, minter.vocabulary_graph}
    return [g for g in store.graphs() if g not in skip]


def read_quads(store, graphs: list[str]) -> list[ox.Quad]:
    return [q for g in graphs for q in store.quads(g)]


def reason_store(store, settings, *, materialize: bool = False) -> tuple[reasoning.Outcome, dict]:
    """Check the store; with ``materialize``, write the inferred graphs. Returns the outcome
    and what was written ({graph: triple count})."""
    minter = settings.minter
    graphs = asserted_graphs(store, minter)
    quads = read_quads(store, graphs)
    started = _now()
    kwargs = {"java": settings.java, "timeout": settings.reason_timeout}
    outcome = reasoning.check(quads, derive=materialize, **kwargs)
    if not materialize or not outcome.ok:
        return outcome, {}
    public = [g for g in graphs if not is_restricted(g)]
    if len(public) < len(graphs):
        public_inferred = reasoning.check(read_quads(store, public), derive=True, **kwargs).inferred
    else:
        public_inferred = outcome.inferred
    restricted_inferred = outcome.inferred - public_inferred
    written = write_inferred(store, minter, public_inferred, restricted_inferred, graphs, started)
    return outcome, written


def write_inferred(store, minter: Minter, public: set, restricted: set, graphs: list[str],
                   started: str) -> dict[str, int]:
    inferred = minter.inferred_graph
    twin = minter.restricted_twin(inferred)
    activity = ox.NamedNode(f"{minter.base}reasoning/{uuid.uuid4().hex}")
    insert = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(inferred)) for t in public]
    insert += [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(twin)) for t in restricted]
    insert += _describe_activity(activity, minter.provenance_graph, started)
    insert += _describe_graph(inferred, activity, [g for g in graphs if not is_restricted(g)],
                              "public", minter.provenance_graph)
    written = {inferred: len(public)}
    if restricted:
        insert += _describe_graph(twin, activity, graphs, "restricted", minter.restricted_provenance_graph)
        written[twin] = len(restricted)
    old = _old_descriptions(store, minter, [inferred, twin])
    store.apply(drop_graphs=[inferred, twin], delete=old, insert=insert)
    return written


def _old_descriptions(store, minter: Minter, graphs: list[str]) -> list[ox.Quad]:
    """The provenance of the previous run: the inferred graphs' and their activity's triples."""
    old = []
    for prov_graph in (minter.provenance_graph, minter.restricted_provenance_graph):
        quads = list(store.quads(prov_graph)) if prov_graph in store.graphs() else []
        subjects = {ox.NamedNode(g) for g in graphs}
        subjects |= {q.object for q in quads if q.subject in subjects and q.predicate == _P(PROV.wasGeneratedBy)}
        old += [q for q in quads if q.subject in subjects]
    return old


def _describe_graph(graph: str, activity, sources: list[str], access: str, prov_graph: str) -> list[ox.Quad]:
    g, pg = ox.NamedNode(graph), ox.NamedNode(prov_graph)
    quads = [ox.Quad(g, _P(RDF.type), _P(JG.InferredGraph), pg),
             ox.Quad(g, _P(RDF.type), _P(PROV.Bundle), pg),
             ox.Quad(g, _P(PROV.wasGeneratedBy), activity, pg),
             ox.Quad(g, _P(JG.accessLevel), ox.NamedNode(concept("access", access)), pg),
             ox.Quad(g, _P(RDFS.label), ox.Literal(f"Facts inferred by the reasoner ({access})", language="en"), pg)]
    quads += [ox.Quad(g, _P(PROV.wasDerivedFrom), ox.NamedNode(s), pg) for s in sources]
    return quads


def _describe_activity(activity, prov_graph: str, started: str) -> list[ox.Quad]:
    pg, dt_type = ox.NamedNode(prov_graph), _P(XSD.dateTime)
    ontology_version = ontology_graph().value(_rdflib_iri(ONTOLOGY_IRI), OWL.versionIRI)
    quads = [
        ox.Quad(activity, _P(RDF.type), _P(JG.Reasoning), pg),
        ox.Quad(activity, _P(RDF.type), _P(PROV.Activity), pg),
        ox.Quad(activity, _P(PROV.startedAtTime), ox.Literal(started, datatype=dt_type), pg),
        ox.Quad(activity, _P(PROV.endedAtTime), ox.Literal(_now(), datatype=dt_type), pg),
        ox.Quad(activity, _P(JG.loaderVersion), ox.Literal(_version()), pg),
        ox.Quad(activity, _P(RDFS.comment), ox.Literal(
            "HermiT (through owlready2) checked consistency and gave class memberships; property "
            "values are HermiT's completed by SPARQL CONSTRUCT rules for inverse, symmetric, "
            "sub-property, transitive and chain axioms.", language="en"), pg),
    ]
    if ontology_version is not None:
        quads.append(ox.Quad(activity, _P(PROV.used), ox.NamedNode(str(ontology_version)), pg))
    return quads


def _P(term) -> ox.NamedNode:
    return ox.NamedNode(str(term))


def _rdflib_iri(iri: str):
    from rdflib import URIRef

    return URIRef(iri)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _version() -> str:
    try:
        return version("justicegraph")
    except PackageNotFoundError:
        return "unknown"
