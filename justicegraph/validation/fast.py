"""The fast validator: the shapes compiled to SPARQL (shacl_compile, shacl_eval) and run by
pyoxigraph on an in-memory store holding the data under validation, with the same additions
pyshacl gets in justicegraph.validation (background, graph and access markers, ill-typed
literals taken out). Its report is a SHACL validation report graph like pyshacl's."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import _toPythonMapping

from justicegraph.namespaces import SH
from justicegraph.validation.compile import Shape
from justicegraph.validation.evaluate import Evaluator, Result
from justicegraph.validation.values import to_rdflib

_RDF_TYPE = ox.NamedNode(str(RDF.type))
# datatypes whose literals rdflib parses, so may find ill-typed ("abc"^^xsd:date)
_PARSED = frozenset(str(k) for k in _toPythonMapping if k is not None and not str(k).endswith("#string"))


def build_store(quads: Iterable[ox.Quad], extra: Iterable[ox.Quad]) -> ox.Store:
    store = ox.Store()
    store.extend(quads)
    store.extend(extra)
    return store


def add_markers(store: ox.Store, graphs: Iterable[str], marker: str, assertion_classes: Iterable[str],
                restricted: str, public: str) -> None:
    """``<g> a marker`` for each named graph; the access-rule markers for each assertion graph."""
    store.extend(ox.Quad(ox.NamedNode(g), _RDF_TYPE, ox.NamedNode(marker)) for g in graphs)
    classes = " ".join(f"<{c}>" for c in assertion_classes)
    if not classes:
        return
    rows = store.query(f"SELECT DISTINCT ?g WHERE {{ VALUES ?c {{ {classes} }} ?g a ?c FILTER(isIRI(?g)) }}",
                       use_default_graph_as_union=True)
    store.extend(ox.Quad(r[0], _RDF_TYPE, ox.NamedNode(restricted if r[0].value.endswith("/restricted") else public))
                 for r in list(rows))


def ill_typed_literals(quads: Iterable[ox.Quad]) -> list[ox.Literal]:
    """The literals of ``quads`` that rdflib cannot read as their datatype ("abc"^^xsd:date).
    A Python pass over the objects costs less than a SPARQL scan filtering every triple."""
    candidates = set()
    for q in quads:
        o = q.object
        if type(o) is ox.Literal and o.datatype.value in _PARSED:  # rdf:langString is not in it
            candidates.add(o)
    return sorted((lit for lit in candidates if to_rdflib(lit).ill_typed), key=str)


def take_out_ill_typed(store: ox.Store, literals: list[ox.Literal], focus: set | None) -> list[tuple]:
    """The ill-typed ``literals`` are removed (pyshacl never sees them) and returned as
    (s, p, o, message) in rdflib terms when their subject is a focus node."""
    found, seen = [], set()
    for lit in literals:
        converted = to_rdflib(lit)
        kind = lit.datatype.value.rsplit("#", 1)[-1]
        for q in list(store.quads_for_pattern(None, None, lit, None)):
            store.remove(q)
            key = (q.subject, q.predicate, lit)
            if key in seen or (focus is not None and q.subject not in focus):
                continue
            seen.add(key)
            found.append((to_rdflib(q.subject), to_rdflib(q.predicate), converted,
                          f"{lit.value!r} is not a valid {kind} (ill-typed literal)"))
    return found


def evaluate(store: ox.Store, shapes: list[Shape], keep: set | None) -> list[Result]:
    results = Evaluator(store).run(shapes)
    if keep is not None:
        results = [r for r in results if r.focus in keep]
    return results


def record_ids(store: ox.Store, nodes: set) -> set:
    """The jg:recordId values of ``nodes`` (their own uniqueness results are kept too)."""
    rid = ox.NamedNode("https://w3id.org/justicegraph/ontology#recordId")
    return {q.object for n in nodes if not isinstance(n, ox.Literal)
            for q in store.quads_for_pattern(n, rid, None, None)}


def report_graph(results: list[Result], shapes_graph: Graph) -> tuple[bool, Graph]:
    """The results as a SHACL validation report graph (shapes and paths that are blank nodes
    are copied in, as pyshacl does, so the report reads on its own)."""
    g = Graph()
    g.bind("sh", SH)
    head = BNode()
    g.add((head, RDF.type, SH.ValidationReport))
    conforms = not any(r.shape.severity == SH.Violation for r in results)
    g.add((head, SH.conforms, Literal(conforms)))
    seen = set()
    for r in results:
        key = (r.focus, r.shape, r.component, r.value)
        if key not in seen:
            seen.add(key)
            g.add((head, SH.result, _result(g, r, shapes_graph)))
    return conforms, g


def _result(g: Graph, r: Result, shapes_graph: Graph) -> BNode:
    node = BNode()
    g.add((node, RDF.type, SH.ValidationResult))
    g.add((node, SH.focusNode, to_rdflib(r.focus)))
    g.add((node, SH.sourceConstraintComponent, SH[r.component]))
    g.add((node, SH.sourceShape, r.shape.node))
    g.add((node, SH.resultSeverity, r.shape.severity))
    if r.value is not None:
        g.add((node, SH.value, to_rdflib(r.value)))
    if r.shape.path_node is not None:
        g.add((node, SH.resultPath, r.shape.path_node))
        _copy(shapes_graph, g, r.shape.path_node)
    if isinstance(r.shape.node, BNode):
        _copy(shapes_graph, g, r.shape.node)
    for message in r.shape.messages or [Literal(f"{r.component} not satisfied")]:
        g.add((node, SH.resultMessage, message))
    for detail in r.details:
        g.add((node, SH.detail, _result(g, detail, shapes_graph)))
    return node


def _copy(source: Graph, target: Graph, node, seen: set | None = None) -> None:
    if not isinstance(node, BNode):
        return
    seen = set() if seen is None else seen
    if node in seen:
        return
    seen.add(node)
    for p, o in source.predicate_objects(node):
        target.add((node, p, o))
        if isinstance(o, BNode) and not isinstance(o, URIRef):
            _copy(source, target, o, seen)
