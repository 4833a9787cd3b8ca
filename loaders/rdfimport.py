"""RDF pass-through: Turtle, N-Triples, N-Quads, TriG, JSON-LD and RDF/XML files are loaded
as they are (validated with the same shapes), into the graphs they name (N-Quads, TriG) or
into ``{base}graph/import/{dataset}``.

Parsing is pyoxigraph's: it fetches nothing — a JSON-LD remote context is refused (no
document loader is set) and RDF/XML external entities are not resolved.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox

from justicegraph.loaders.errors import RecordError
from justicegraph.namespaces import Minter

FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG, ".jsonld": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}


# JSON-LD deeper than this is refused before parsing: pyoxigraph's JSON-LD parser takes time
# quadratic in the nesting depth (1,000 levels: 1.5 s; 50,000: hours).
MAX_JSONLD_DEPTH = 100


def json_depth(data: bytes) -> int:
    """Deepest nesting of objects and arrays in JSON text (strings skipped), in one pass."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


_ENTITY = re.compile(rb"<!ENTITY\s+(%\s*)?([^\s]+)\s+(\"[^\"]*\"|'[^']*'|[^>]*)\s*>")
MAX_ENTITY_LENGTH = 1000


def xml_entities_problem(data: bytes) -> str | None:
    """Why RDF/XML's entity declarations are unsafe, or None. Entities that only abbreviate
    (``<!ENTITY owl "http://www.w3.org/2002/07/owl#">``, as ontology editors write) are fine;
    external ones (SYSTEM/PUBLIC), parameter entities and entities built from other entities
    (the "billion laughs", which hangs pyoxigraph's RDF/XML parser) are refused."""
    if b"<!ENTITY" not in data:
        return None
    for match in _ENTITY.finditer(data):
        parameter, name, value = match.groups()
        label = name.decode("utf-8", "replace")
        if parameter:
            return f"parameter entity {label!r} is not allowed"
        if not value.startswith((b'"', b"'")):
            return f"external entity {label!r} is not allowed; nothing is fetched or read"
        if b"&" in value or b"%" in value:
            return f"entity {label!r} refers to other entities (entity expansion is not allowed)"
        if len(value) > MAX_ENTITY_LENGTH:
            return f"entity {label!r} is longer than {MAX_ENTITY_LENGTH} characters"
    if data.count(b"<!ENTITY") != len(_ENTITY.findall(data)):
        return "an entity declaration could not be read"
    return None


def unsafe_input(data: bytes, fmt: ox.RdfFormat) -> tuple[str, str] | None:
    """(rule, reason) when RDF input must not reach pyoxigraph's parser: entity tricks in
    RDF/XML (a billion-laughs file hangs it) and JSON-LD nested deep enough to make its
    parser quadratic. Shared by the loaders and every upload route of the server."""
    if fmt == ox.RdfFormat.RDF_XML:
        problem = xml_entities_problem(data)
        if problem:
            return "xml-entity", problem
    if fmt == ox.RdfFormat.JSON_LD and json_depth(data) > MAX_JSONLD_DEPTH:
        return "rdf-syntax", f"JSON-LD nested deeper than {MAX_JSONLD_DEPTH} levels"
    return None


def read_rdf(path: Path, display: str, minter: Minter, dataset: str, errors: list[RecordError]) -> list[ox.Quad]:
    fmt = FORMATS[path.suffix.lower()]
    unsafe = unsafe_input(path.read_bytes(), fmt)
    if unsafe:
        errors.append(RecordError(display, None, None, None, *unsafe))
        return []
    default = ox.NamedNode(minter.import_graph(dataset) if hasattr(minter, "import_graph")
                           else f"{minter.base}graph/import/{dataset}")
    try:
        parsed = list(ox.parse(path=str(path), format=fmt, base_iri=path.resolve().as_uri()))
    except SyntaxError as exc:
        message = str(exc).replace("No LoadDocumentCallback has been set to load remote contexts",
                                   "remote JSON-LD contexts are refused; nothing is fetched (inline the context)")
        errors.append(RecordError(display, exc.lineno, None, None, "rdf-syntax", message))
        return []
    except (OSError, ValueError) as exc:
        errors.append(RecordError(display, None, None, None, "rdf-syntax", str(exc)))
        return []
    quads = []
    for item in parsed:
        if isinstance(item, ox.Triple) or isinstance(item.graph_name, ox.DefaultGraph):
            quads.append(ox.Quad(item.subject, item.predicate, item.object, default))
        else:
            quads.append(item)
    return quads


def check_targets(quads: list[ox.Quad], display: str, minter: Minter, errors: list[RecordError]) -> None:
    """Pass-through may fill data graphs, and may describe in the provenance graphs only the
    graphs it fills; it may not write the ontology, vocabulary or inferred graphs."""
    system = {minter.ontology_graph, minter.vocabulary_graph, *minter.inferred_graphs}
    provenance = {minter.provenance_graph, minter.restricted_provenance_graph}
    filled = {q.graph_name.value for q in quads if q.graph_name.value not in provenance}
    reported = set()
    for q in quads:
        g = q.graph_name.value
        if g in system and g not in reported:
            reported.add(g)
            errors.append(RecordError(display, None, f"<{g}>", None, "graph", "pass-through may not write this system graph"))
        elif g in provenance:
            if not isinstance(q.subject, ox.NamedNode) or q.subject.value not in filled:
                key = (g, str(q.subject))
                if key not in reported:
                    reported.add(key)
                    errors.append(RecordError(display, None, f"{q.subject}", None, "provenance",
                                              "the provenance graph may only describe graphs this file fills"))
            elif (q.subject.value.endswith("/restricted")) != (g == minter.restricted_provenance_graph):
                errors.append(RecordError(display, None, f"{q.subject}", None, "access",
                                          "restricted graphs are described only in the restricted provenance graph"))
