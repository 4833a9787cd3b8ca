"""SHACL validation of the graph: the whole of some data, or one change against a store.

pyshacl validates each named graph of a Dataset on its own, but our shapes cross graphs
(an event's label is curated, its details are testimony; a graph's description sits in the
provenance graph). So we always validate ONE union graph, to which we add:

- the class hierarchy of the ontology and the SKOS vocabularies, so that ``sh:class
  jg:Agent`` accepts a ``jg:Person`` and concept-scheme membership can be checked without
  running inference;
- a marker ``<g> a jgv:NamedGraph`` for every named graph that holds assertions, so that a
  shape can demand that each is described in the provenance graph (the union alone forgets
  which graphs existed).

The marker class lives in the validation namespace, never in the store.

Layout: this module (``validate``, ``validate_quads``: the entry points), ``compile`` (the shapes
graph read into plain objects), ``evaluate`` and ``values`` (compiled shapes run as SPARQL),
``fast`` (the fast validator), ``context`` (what validating a change needs from the store).
May import: the core of ``justicegraph`` (namespaces, resources, settings), pyshacl, rdflib and
pyoxigraph; never the store's engines, loaders, server or cli.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache

import pyoxigraph as ox
import pyshacl
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import OWL, SKOS

from justicegraph.namespaces import JG, SH, VOCAB, Minter
from justicegraph.resources import ontology_graph, shapes_graph, vocabulary_graph
from justicegraph.validation import fast
from justicegraph.validation.compile import to_ox
from justicegraph.validation.context import describe as _describe
from justicegraph.validation.context import empty as _empty
from justicegraph.validation.context import holders as _holders
from justicegraph.validation.context import types as _types

VALIDATION = "https://w3id.org/justicegraph/shapes#"
NAMED_GRAPH = URIRef(VALIDATION + "NamedGraph")
log = logging.getLogger(__name__)


class _QuietIllTyped(logging.Filter):
    """rdflib logs a traceback for every ill-typed literal it meets; validation reports them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to convert Literal lexical form")


@cache
def _quiet_rdflib() -> None:
    logging.getLogger("rdflib.term").addFilter(_QuietIllTyped())


@dataclass
class ValidationReport:
    """A SHACL validation report: conformance, the results as plain dicts, and the graph."""

    conforms: bool
    results: list[dict] = field(default_factory=list)
    text: str = ""
    graph: Graph = field(default_factory=Graph)

    @property
    def violations(self) -> list[dict]:
        return [r for r in self.results if r["severity"] == "Violation"]

    def to_turtle(self) -> str:
        return self.graph.serialize(format="turtle")

    def to_json(self) -> str:
        return json.dumps({"conforms": self.conforms, "results": self.results}, indent=2, ensure_ascii=False)


def validate(data, *, minter: Minter | None = None, focus_nodes: Iterable[str] | None = None,
             validator: str | None = None) -> ValidationReport:
    """Validate the union of all graphs of ``data``: an rdflib Graph or Dataset, a GraphStore,
    a pyoxigraph Store, or an iterable of pyoxigraph Quads. ``focus_nodes`` limits which nodes are checked
    (the rest only serve as context). ``validator``: 'fast' or 'pyshacl' (default: the setting)."""
    _quiet_rdflib()
    union = Graph()
    graphs: set[str] = set()
    if isinstance(data, Dataset):
        for s, p, o, g in data.quads((None, None, None, None)):
            union.add((s, p, o))
            g = getattr(g, "identifier", g)
            if isinstance(g, URIRef) and g != DATASET_DEFAULT_GRAPH_ID:
                graphs.add(str(g))
    elif isinstance(data, Graph):
        for triple in data:
            union.add(triple)
    else:
        quads = data.quads() if hasattr(data, "graphs") and callable(getattr(data, "quads", None)) else data
        if _validator(validator) == "fast":
            quads = list(quads)
            graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
            return _run_fast(quads, graphs, minter or Minter(), focus_nodes)
        for q in quads:  # a GraphStore, a pyoxigraph Store, or quads
            union.add(triple_to_rdflib(q))
            if isinstance(q.graph_name, ox.NamedNode):
                graphs.add(q.graph_name.value)
    if _validator(validator) == "fast":
        quads = [ox.Quad(*(to_ox(t) for t in triple)) for triple in union]
        return _run_fast(quads, graphs, minter or Minter(), focus_nodes)
    return _run(union, graphs, minter or Minter(), focus_nodes)


def validate_quads(
    quads: Iterable[ox.Quad],
    store=None,
    *,
    deleted: Iterable[ox.Quad] = (),
    dropped_graphs: Iterable[str] = (),
    minter: Minter | None = None,
    validator: str | None = None,
) -> ValidationReport:
    """Validate a change cheaply: the new quads, plus from ``store`` only what checking them
    needs — every triple of the nodes they describe (and of the graphs they write to), and
    the types of the nodes they refer to. Only the described nodes and graphs are checked.

    ``deleted`` quads and ``dropped_graphs`` are the parts of the store the change removes:
    they are left out of the context, as they will be gone once the change is applied."""
    minter = minter or Minter()
    quads = list(quads)
    graphs: set[str] | None = None  # the named graphs of ``quads``: on a first load, read from the validation store
    context: list[ox.Quad] = []
    if store is not None and _empty(store):
        store = None  # a first load: no context to fetch, so nothing to leave out of the results
    focus: set | None = None
    if store is not None:
        graphs = _graph_names(quads)
        focus = {q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)} | graphs
        # the ontology and vocabularies come from the package (background), not the store
        gone_graphs = set(dropped_graphs) | {minter.ontology_graph, minter.vocabulary_graph}
        gone = {(q.subject, q.predicate, q.object, q.graph_name) for q in deleted}
        context = list(_describe(store, sorted(focus), gone_graphs, gone))
        referenced = {q.object.value for q in (*quads, *context)
                      if isinstance(q.object, ox.NamedNode) and q.predicate != _RDF_TYPE} - focus
        referenced = {r for r in referenced if not r.startswith((str(VOCAB), str(JG)))}
        context += _types(store, sorted(referenced), gone_graphs, gone)
        # ids are unique across the store: the other holders of the change's record ids
        ids = sorted({q.object.value for q in quads if q.predicate == _RECORD_ID and isinstance(q.object, ox.Literal)})
        context += _holders(store, ids, gone_graphs, gone)
    if focus is None or not {q.subject.value for q in context if isinstance(q.subject, ox.NamedNode)} - focus:
        focus = None  # nothing from the store to leave out of the results
    else:
        focus |= {BNode(q.subject.value) for q in quads if isinstance(q.subject, ox.BlankNode)}
    if _validator(validator) == "fast":
        return _run_fast(quads + context, graphs, minter, focus)
    return _run(_union_of(quads + context), _graph_names(quads) if graphs is None else graphs, minter, focus)


def _graph_names(quads: list[ox.Quad]) -> set[str]:
    return {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}


VALIDATORS = ("fast", "pyshacl")


def _validator(name: str | None) -> str:
    if name is None:
        from justicegraph.settings import Settings

        name = Settings.from_env().validator
    if name not in VALIDATORS:
        raise ValueError(f"unknown validator {name!r}: expected one of {', '.join(VALIDATORS)}")
    return name


def _union_of(quads: list[ox.Quad]) -> Graph:
    union = Graph()
    convert = _Converter()
    union.addN((*convert.triple(q), union) for q in quads)
    return union


def _run_fast(quads: list[ox.Quad], graphs: set[str] | None, minter: Minter, focus_nodes,
              shapes: Graph | None = None) -> ValidationReport:
    """The shapes compiled to SPARQL on an in-memory Oxigraph store (validation_fast); pyshacl
    when a shape uses a feature the compiler lacks or the data meets a case only pyshacl defines.
    ``graphs``: the named graphs of ``quads`` (None: the validation store lists them, cheaper
    than a pass over the quads)."""
    from justicegraph.validation.compile import Fallback, Unsupported, compiled

    shapes = validation_shapes() if shapes is None else shapes
    try:
        compiled_shapes = compiled(shapes)
    except Unsupported as exc:
        log.warning("fast validation cannot compile the shapes (%s): validating with pyshacl", exc)
        return _run(_union_of(quads), _graph_names(quads) if graphs is None else graphs, minter, focus_nodes, shapes)
    focus = None
    if focus_nodes is not None:
        focus = {ox.BlankNode(str(n)) if isinstance(n, BNode) else ox.NamedNode(n) for n in focus_nodes}
        if not focus:
            return ValidationReport(True, [], "Validation Report\nConforms: True\n", _empty_report())
    with ThreadPoolExecutor(1) as pool:  # Oxigraph indexes the quads while Python scans their literals
        building = pool.submit(fast.build_store, quads, _background_quads())
        ill_typed_literals = fast.ill_typed_literals(quads)
        store = building.result()
    if graphs is None:  # the background is in the default graph: the named ones are the data's
        graphs = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    fast.add_markers(store, sorted(graphs - minter.system_graphs), str(NAMED_GRAPH),
                     [str(c) for c in _assertion_graph_classes()], str(RESTRICTED_IRI), str(PUBLIC_IRI))
    ill_typed = fast.take_out_ill_typed(store, ill_typed_literals, focus)
    keep = None if focus is None else focus | fast.record_ids(store, focus)
    try:
        results = fast.evaluate(store, compiled_shapes, keep)
    except (Fallback, Unsupported) as exc:
        log.info("fast validation hands this data to pyshacl (%s)", exc)
        return _run(_union_of(quads), graphs, minter, focus_nodes, shapes)
    except Exception:  # noqa: BLE001 - a fault in the fast path must neither refuse nor pass data: ask the reference
        log.exception("fast validation failed; validating with pyshacl")
        return _run(_union_of(quads), graphs, minter, focus_nodes, shapes)
    conforms, report_graph = fast.report_graph(results, shapes)
    results_dicts = results_of(report_graph)
    text = f"Validation Report\nConforms: {conforms}\n"
    if results_dicts:
        text += f"Results ({len(results_dicts)}):\n" + summarise(results_dicts) + "\n"
    if ill_typed:
        conforms = False
        text += _add_results(report_graph, ill_typed)
        results_dicts = results_of(report_graph)
    return ValidationReport(conforms, results_dicts, text, report_graph)


@cache
def _background_quads() -> tuple:
    return tuple(ox.Quad(*(to_ox(t) for t in triple)) for triple in background())


def _run(union: Graph, graphs: set[str], minter: Minter, focus_nodes, shapes: Graph | None = None) -> ValidationReport:
    for g in graphs - minter.system_graphs:
        union.add((URIRef(g), RDF.type, NAMED_GRAPH))
    for triple in background():
        union.add(triple)
    _add_access_markers(union)
    focus = None
    if focus_nodes is not None:
        focus = [n if isinstance(n, BNode) else URIRef(n) for n in focus_nodes]
        if not focus:  # pyshacl reads an empty list as "everything"
            return ValidationReport(True, [], "Validation Report\nConforms: True\n", _empty_report())
    ill_typed = _remove_ill_typed(union, None if focus is None else set(focus))
    try:
        # Every node is validated and results outside the focus are dropped afterwards:
        # pyshacl's own focus filter tests each target against a list of focus nodes, which
        # is quadratic (a 10,000-quad change met 10,000 targets × 10,000 focus nodes).
        conforms, report_graph, text = pyshacl.validate(
            union, shacl_graph=validation_shapes() if shapes is None else shapes, inference="none", inplace=True, allow_warnings=True,
        )
        if focus is not None and isinstance(report_graph, Graph):
            keep = set(focus) | {o for n in focus for o in union.objects(n, JG.recordId)}
            conforms, report_graph, text = _only(report_graph, keep)
    except Exception as exc:  # noqa: BLE001 - a crash inside pyshacl must refuse the data, not the request
        log.exception("pyshacl failed")
        conforms, report_graph, text = False, _empty_report(conforms=False), "Validation Report\nConforms: False\n"
        ill_typed.append((None, None, None, f"the shapes could not be checked on this data ({type(exc).__name__}: {exc})"))
    if not isinstance(report_graph, Graph):  # pyshacl's ValidationFailure: the shapes could not run
        raise RuntimeError(f"SHACL validation could not run: {report_graph}")
    if ill_typed:
        conforms = False
        text += _add_results(report_graph, ill_typed)
    return ValidationReport(bool(conforms), results_of(report_graph), text, report_graph)


def _only(report: Graph, keep: set) -> tuple[bool, Graph, str]:
    """The report restricted to results about ``keep`` (conformance and text recomputed)."""
    out = _empty_report()
    head = next(out.subjects(RDF.type, SH.ValidationReport))
    for prefix, namespace in report.namespaces():
        out.bind(prefix, namespace)
    kept = [r for r in report.subjects(RDF.type, SH.ValidationResult) if report.value(r, SH.focusNode) in keep]
    for result in kept:
        out.add((head, SH.result, result))
        _copy(report, out, result, set())
    conforms = not any(out.value(r, SH.resultSeverity) == SH.Violation for r in kept)
    out.set((head, SH.conforms, Literal(conforms)))
    results = results_of(out)
    text = f"Validation Report\nConforms: {conforms}\n"
    if results:
        text += f"Results ({len(results)}):\n" + summarise(results) + "\n"
    return conforms, out, text


def _copy(source: Graph, target: Graph, node, seen: set) -> None:
    """Copy a node's triples, and those of the blank nodes it leads to (cloned shapes)."""
    if node in seen:
        return
    seen.add(node)
    for p, o in source.predicate_objects(node):
        target.add((node, p, o))
        if isinstance(o, BNode):
            _copy(source, target, o, seen)


def _remove_ill_typed(union: Graph, focus: set | None) -> list[tuple]:
    """Literals whose lexical form does not fit their datatype ("abc"^^xsd:date) are reported
    here and kept away from pyshacl, which crashes comparing them (sh:lessThanOrEquals)."""
    found = []
    for s, p, o in list(union):
        if isinstance(o, Literal) and o.ill_typed:
            union.remove((s, p, o))
            if focus is None or s in focus:
                kind = str(o.datatype).rsplit("#", 1)[-1]
                found.append((s, p, o, f"{str(o)!r} is not a valid {kind} (ill-typed literal)"))
    return found


def _add_results(report: Graph, problems: list[tuple]) -> str:
    """Add results to a SHACL report graph (and return them as report text)."""
    node = next(report.subjects(RDF.type, SH.ValidationReport))
    report.set((node, SH.conforms, Literal(False)))
    text = ""
    for s, p, o, message in problems:
        result = BNode()
        report.add((node, SH.result, result))
        report.add((result, RDF.type, SH.ValidationResult))
        report.add((result, SH.resultSeverity, SH.Violation))
        report.add((result, SH.sourceConstraintComponent, SH.DatatypeConstraintComponent))
        report.add((result, SH.resultMessage, Literal(message)))
        for predicate, value in ((SH.focusNode, s), (SH.resultPath, p), (SH.value, o)):
            if value is not None:
                report.add((result, predicate, value))
        text += f"Constraint Violation: {message}\n"
    return text


@cache
def validation_shapes() -> Graph:
    """The shapes as pyshacl runs them fastest: every property shape of a targeted node shape
    becomes a top-level property shape with the node shape's targets (same conformance).
    pyshacl evaluates a nested property shape once per focus node, paying its set-up cost
    each time; a top-level one is evaluated once for all its focus nodes (~2× faster)."""
    graph = Graph()
    for triple in shapes_graph():
        graph.add(triple)
    for prefix, namespace in shapes_graph().namespaces():
        graph.bind(prefix, namespace)
    _inline_concept_lists(graph)
    _access_rule_by_markers(graph)
    targets = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
    for shape in list(graph.subjects(RDF.type, SH.NodeShape)):
        declared = [(p, o) for p in targets for o in graph.objects(shape, p)]
        if not declared:
            continue
        for prop in list(graph.objects(shape, SH.property)):
            graph.remove((shape, SH.property, prop))
            graph.add((prop, RDF.type, SH.PropertyShape))
            for p, o in declared:
                graph.add((prop, p, o))
    _speed_up_pyshacl()
    return graph


def _inline_concept_lists(graph: Graph) -> None:
    """``sh:node jgsh:RoleConcept`` (a value in the role scheme) becomes ``sh:in (every concept
    of the scheme)``: the same check, without a nested shape evaluated per value."""
    vocab = vocabulary_graph()
    for prop, target in list(graph.subject_objects(SH.node)):
        values = None
        scheme = next((graph.value(p, SH.hasValue) for p in graph.objects(target, SH.property)
                       if graph.value(p, SH.path) == SKOS.inScheme), None)
        if scheme is not None:
            values = sorted(vocab.subjects(SKOS.inScheme, scheme))
        elif graph.value(target, SH["in"]) is not None and len(set(graph.predicates(target)) - {RDF.type, SH.message}) == 1:
            values = list(Collection(graph, graph.value(target, SH["in"])))
        if values:
            graph.remove((prop, SH.node, target))
            head = BNode()
            Collection(graph, head, values)
            graph.add((prop, SH["in"], head))


RESTRICTED_IRI = URIRef(VALIDATION + "RestrictedIRI")
PUBLIC_IRI = URIRef(VALIDATION + "PublicIRI")


def _access_rule_by_markers(graph: Graph) -> None:
    """The access rule (restricted exactly when the IRI ends with '/restricted') is an sh:or of
    two nested shapes per graph; run it as two flat shapes on markers that ``_run`` computes."""
    rule = URIRef(VALIDATION + "AccessRuleShape")
    if (rule, RDF.type, SH.NodeShape) not in graph:
        return
    graph.remove((rule, SH.targetClass, None))  # keeps the shape, now without targets
    for marker, level, message in (
        (RESTRICTED_IRI, "restricted", "A graph whose IRI ends with '/restricted' has access level access:restricted."),
        (PUBLIC_IRI, "public", "A graph whose IRI does not end with '/restricted' has access level access:public."),
    ):
        shape, prop = URIRef(f"{VALIDATION}AccessRule-{level}"), BNode()
        graph.add((shape, RDF.type, SH.NodeShape))
        graph.add((shape, SH.targetClass, marker))
        graph.add((shape, SH.property, prop))
        graph.add((prop, SH.path, JG.accessLevel))
        graph.add((prop, SH.hasValue, URIRef(f"https://w3id.org/justicegraph/vocab/access/{level}")))
        graph.add((prop, SH.message, Literal(message)))


@cache
def _assertion_graph_classes() -> tuple:
    onto = ontology_graph()
    return tuple(onto.transitive_subjects(RDFS.subClassOf, JG.AssertionGraph))


def _add_access_markers(union: Graph) -> None:
    for cls in _assertion_graph_classes():
        for g in list(union.subjects(RDF.type, cls)):
            if isinstance(g, URIRef):
                union.add((g, RDF.type, RESTRICTED_IRI if str(g).endswith("/restricted") else PUBLIC_IRI))


def _speed_up_pyshacl() -> None:
    """pyshacl looks every shape predicate up in a list of ~40 constraint parameters; give it
    a set (it reads them from a module-level cache it fills itself when empty)."""
    try:
        from pyshacl import shape as shape_module
        from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP
    except ImportError:  # a pyshacl without these internals: run it as it is
        return
    shape_module.CONSTRAINT_PARAMS = (frozenset(ALL_CONSTRAINT_PARAMETERS), CONSTRAINT_PARAMETERS_MAP)


@cache
def background() -> tuple:
    """The class hierarchy and the concept schemes: what sh:class and scheme checks need."""
    triples = []
    onto = ontology_graph()
    for s, o in onto.subject_objects(RDFS.subClassOf):
        if isinstance(s, URIRef) and isinstance(o, URIRef):
            triples.append((s, RDFS.subClassOf, o))
    for s in onto.subjects(RDF.type, OWL.Class):
        if isinstance(s, URIRef):
            triples.append((s, RDF.type, OWL.Class))
    vocab = vocabulary_graph()
    for p in (RDF.type, SKOS.inScheme, SKOS.notation, SKOS.prefLabel):
        triples.extend((s, p, o) for s, o in vocab.subject_objects(p))
    return tuple(triples)


def results_of(report: Graph) -> list[dict]:
    """The results of a SHACL report graph as dicts, sorted for stable output."""
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        def one(p, r=r):
            v = report.value(r, p)
            return None if v is None else str(v)

        severity = one(SH.resultSeverity) or str(SH.Violation)
        component = one(SH.sourceConstraintComponent) or ""
        out.append({
            "focus": one(SH.focusNode),
            "path": one(SH.resultPath),
            "component": component.rsplit("#", 1)[-1],
            "constraint": component,
            "message": one(SH.resultMessage) or "",
            "severity": severity.rsplit("#", 1)[-1],
            "value": one(SH.value),
            "shape": one(SH.sourceShape) if isinstance(report.value(r, SH.sourceShape), URIRef) else None,
        })
    out.sort(key=lambda d: (d["focus"] or "", d["path"] or "", d["message"]))
    return out


def _empty_report(conforms: bool = True) -> Graph:
    g = Graph()
    node = BNode()
    g.add((node, RDF.type, SH.ValidationReport))
    g.add((node, SH.conforms, Literal(conforms)))
    return g


# ---------------------------------------------------------------- pyoxigraph → rdflib

_RDF_TYPE = ox.NamedNode(str(RDF.type))
_RECORD_ID = ox.NamedNode(str(JG.recordId))


class _Converter:
    """pyoxigraph → rdflib terms, each distinct term converted once."""

    def __init__(self):
        self._cache: dict = {}
        _quiet_rdflib()

    def triple(self, q) -> tuple:
        return self.term(q.subject), self.term(q.predicate), self.term(q.object)

    def term(self, term):
        converted = self._cache.get(term)
        if converted is None:
            converted = self._cache[term] = term_to_rdflib(term)
        return converted


def term_to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"cannot convert {term!r} to rdflib")


def triple_to_rdflib(q: ox.Quad | ox.Triple) -> tuple:
    return term_to_rdflib(q.subject), term_to_rdflib(q.predicate), term_to_rdflib(q.object)


def summarise(results: Iterable[Mapping]) -> str:
    """One line per result, for logs and the command line."""
    lines = []
    for r in results:
        where = r["focus"] or "?"
        path = f" {r['path']}" if r.get("path") else ""
        value = f" (value {r['value']})" if r.get("value") else ""
        lines.append(f"{r['severity']}: <{where}>{path}: {r['message']}{value}")
    return "\n".join(lines)
