"""The shapes graph read into plain Python objects the fast validator runs as SPARQL.

Only the SHACL Core features the compiler knows are accepted; a shape with anything else
(sh:sparql, sh:closed, sh:xone, qualified shapes, ...) raises ``Unsupported``, and the caller
then validates with pyshacl instead: a constraint is never skipped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection

from justicegraph.namespaces import SH


class Unsupported(Exception):
    """A shape uses a SHACL feature the fast validator does not implement."""


class Fallback(Exception):
    """The data meets a case where only pyshacl's own behaviour is the reference."""


# parameters that carry no constraint (labels, ordering, documentation)
_INERT = {"path", "property", "message", "severity", "deactivated", "name", "description", "order", "group",
          "defaultValue", "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "flags"}
# parameter -> the constraint component it belongs to
COMPONENTS = {
    "class": "ClassConstraintComponent", "datatype": "DatatypeConstraintComponent",
    "nodeKind": "NodeKindConstraintComponent", "minCount": "MinCountConstraintComponent",
    "maxCount": "MaxCountConstraintComponent", "pattern": "PatternConstraintComponent",
    "minLength": "MinLengthConstraintComponent", "maxLength": "MaxLengthConstraintComponent",
    "in": "InConstraintComponent", "hasValue": "HasValueConstraintComponent",
    "uniqueLang": "UniqueLangConstraintComponent", "lessThanOrEquals": "LessThanOrEqualsConstraintComponent",
    "minInclusive": "MinInclusiveConstraintComponent", "maxInclusive": "MaxInclusiveConstraintComponent",
    "minExclusive": "MinExclusiveConstraintComponent", "maxExclusive": "MaxExclusiveConstraintComponent",
    "node": "NodeConstraintComponent", "or": "OrConstraintComponent", "and": "AndConstraintComponent",
    "not": "NotConstraintComponent",
}
_SH = str(SH)


@dataclass(eq=False)
class Shape:
    """One shape: its targets (top-level shapes only), path, constraints and property shapes.
    ``constraints`` holds (parameter name, value): a Shape or list of Shapes for the logical
    and shape-based ones, an ox term, list of terms, int or pattern tuple for the rest."""

    node: URIRef | BNode
    path: str | None = None            # SPARQL property path, None for a node shape
    path_node: object = None           # the sh:path value, copied into results
    targets: list[tuple[str, ox.NamedNode | ox.Literal | ox.BlankNode]] = field(default_factory=list)
    constraints: list[tuple[str, object]] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)
    messages: list[Literal] = field(default_factory=list)
    severity: URIRef = SH.Violation


def to_ox(term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)
    raise TypeError(f"cannot convert {term!r} to pyoxigraph")


def compile_shapes(graph: Graph) -> list[Shape]:
    """Every targeted, active shape of ``graph`` with what it references."""
    return _Compiler(graph).top_level()


@cache
def compiled(graph: Graph) -> list[Shape]:
    return compile_shapes(graph)


class _Compiler:
    def __init__(self, graph: Graph):
        self.g = graph
        self.done: dict = {}
        self.active: set = set()

    def top_level(self) -> list[Shape]:
        g = self.g
        kinds = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")
        nodes = {s for kind in kinds for s in g.subjects(SH[kind], None)}
        # implicit class targets: a node shape that is also a class targets its instances
        implicit = {s for s in g.subjects(RDF.type, SH.NodeShape)
                    if (s, RDF.type, RDFS.Class) in g or (s, RDF.type, OWL.Class) in g}
        if (None, SH.target, None) in g:
            raise Unsupported("sh:target (SPARQL-based targets)")
        out = []
        for node in sorted(nodes | implicit, key=str):
            if g.value(node, SH.deactivated) == Literal(True):
                continue
            shape = self.shape(node)
            shape.targets = [(kind, to_ox(o)) for kind in kinds for o in sorted(g.objects(node, SH[kind]), key=str)]
            if node in implicit:
                shape.targets.append(("targetClass", to_ox(node)))
            out.append(shape)
        return out

    def shape(self, node) -> Shape:
        if node in self.done:
            return self.done[node]
        if node in self.active:
            raise Unsupported(f"recursive shape {node}")
        self.active.add(node)
        g = self.g
        shape = Shape(node)
        for p in set(g.predicates(node)):
            if str(p).startswith(_SH):
                name = str(p)[len(_SH):]
                if name not in _INERT and name not in COMPONENTS:
                    raise Unsupported(f"sh:{name} in shape {node}")
        path = g.value(node, SH.path)
        if path is not None:
            shape.path, shape.path_node = sparql_path(g, path), path
        shape.messages = sorted(g.objects(node, SH.message), key=str)
        shape.severity = g.value(node, SH.severity) or SH.Violation
        for prop in sorted(g.objects(node, SH.property), key=str):
            if g.value(prop, SH.deactivated) != Literal(True):
                shape.properties.append(self.shape(prop))
        for name in COMPONENTS:
            for value in sorted(g.objects(node, SH[name]), key=str):
                constraint = self.constraint(node, name, value, shape)
                if constraint is not None:
                    shape.constraints.append(constraint)
        self.active.discard(node)
        self.done[node] = shape
        return shape

    def constraint(self, node, name: str, value, shape: Shape):
        g = self.g
        if name in ("minCount", "maxCount", "uniqueLang") and shape.path is None:
            raise Unsupported(f"sh:{name} on a node shape")
        if name in ("minCount", "maxCount", "minLength", "maxLength"):
            return name, int(value)
        if name == "uniqueLang":
            return (name, True) if value == Literal(True) else None
        if name == "pattern":
            flags = g.value(node, SH.flags)
            return name, (str(value), "" if flags is None else str(flags))
        if name == "in":
            return name, [to_ox(v) for v in Collection(g, value)]
        if name in ("node", "not"):
            return name, self.shape(value)
        if name in ("or", "and"):
            return name, [self.shape(v) for v in Collection(g, value)]
        if name == "lessThanOrEquals":
            if shape.path is None or not isinstance(value, URIRef):
                raise Unsupported("sh:lessThanOrEquals outside a property shape")
            return name, to_ox(value)
        if name in ("class", "datatype", "nodeKind") and not isinstance(value, URIRef):
            raise Unsupported(f"sh:{name} {value!r}")
        return name, to_ox(value)


def sparql_path(g: Graph, path) -> str:
    """A SHACL property path as a SPARQL property path."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    if g.value(path, RDF.first) is not None:  # a list: sequence path
        return "(" + "/".join(sparql_path(g, p) for p in Collection(g, path)) + ")"
    for key, fmt in ((SH.inversePath, "^{}"), (SH.zeroOrMorePath, "{}*"),
                     (SH.oneOrMorePath, "{}+"), (SH.zeroOrOnePath, "{}?")):
        inner = g.value(path, key)
        if inner is not None:
            return "(" + fmt.format(sparql_path(g, inner)) + ")"
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(sparql_path(g, p) for p in Collection(g, alternatives)) + ")"
    raise Unsupported(f"path {path!r}")
