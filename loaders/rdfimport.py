"""RDF pass-through: Turtle, N-Triples, N-Quads, TriG, JSON-LD and RDF/XML files are loaded
as they are (validated with the same shapes), into the graphs they name (N-Quads, TriG) or
into ``{base}graph/import/{dataset}``.

Parsing is pyoxigraph's: it fetches nothing — a JSON-LD remote context is refused (no
document loader is set) and RDF/XML external entities are not resolved.
"""

from __future__ import annotations

import re
from itertools import accumulate

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


# Depth of JSON text, strings left out, with C-level passes only (about 3x faster than a loop
# over the bytes; still about as long as json.loads itself): escaped backslashes and quotes
# are dropped, then everything but quotes and brackets, then the strings, and the running sum
# of the brackets left is taken.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_STRING = re.compile(rb'"[^"]*"')
_DEPTH_STEP = [0] * 256
_DEPTH_STEP[ord("[")] = _DEPTH_STEP[ord("{")] = 1
_DEPTH_STEP[ord("]")] = _DEPTH_STEP[ord("}")] = -1


def json_depth(data: bytes) -> int:
    """Deepest nesting of objects and arrays in JSON text (strings skipped)."""
    structure = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    return max(accumulate(map(_DEPTH_STEP.__getitem__, _STRING.sub(b"", structure))), default=0)


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


# Relative IRIs need a base, and a file gets none from the loader: Turtle, N-Triples, N-Quads,
# TriG and RDF/XML refuse a relative IRI the file does not resolve itself (@base, xml:base).
# JSON-LD would drop such triples without a word, so it is parsed against this base (the
# .invalid domain is reserved: no real IRI is under it) and every IRI under it is refused.
_NO_BASE = "https://no-base.invalid/"
_RELATIVE_HINT = ("a relative IRI, and the file gives no base: write absolute IRIs or declare one "
                  "(@base in Turtle and TriG, xml:base in RDF/XML, @base in a JSON-LD context)")


def read_rdf(data: bytes, display: str, minter: Minter, dataset: str, errors: list[RecordError],
             suffix: str) -> list[ox.Quad]:
    fmt = FORMATS[suffix.lower()]
    unsafe = unsafe_input(data, fmt)
    if unsafe:
        errors.append(RecordError(display, None, None, None, *unsafe))
        return []
    default = ox.NamedNode(minter.import_graph(dataset) if hasattr(minter, "import_graph")
                           else f"{minter.base}graph/import/{dataset}")
    base = {"base_iri": _NO_BASE} if fmt == ox.RdfFormat.JSON_LD else {}
    try:
        parsed = list(ox.parse(input=data, format=fmt, **base))
    except SyntaxError as exc:
        message = str(exc).replace("No LoadDocumentCallback has been set to load remote contexts",
                                   "remote JSON-LD contexts are refused; nothing is fetched (inline the context)")
        rule = "rdf-syntax"
        if "No scheme found in an absolute IRI" in message:
            message, rule = f"{message.rstrip('. ')}: {_RELATIVE_HINT}", "relative-iri"
        errors.append(RecordError(display, exc.lineno, None, None, rule, message))
        return []
    except (OSError, ValueError) as exc:
        errors.append(RecordError(display, None, None, None, "rdf-syntax", str(exc)))
        return []
    if not parsed:
        errors.append(RecordError(display, None, None, None, "empty",
                                  "the file holds no triples (it is empty, only comments or prefixes, or cut short): "
                                  "a file that says nothing is refused rather than read as 'no data'"))
        return []
    if base:
        terms = (t.datatype if isinstance(t, ox.Literal) else t
                 for q in parsed for t in (q.subject, q.predicate, q.object, q.graph_name))
        relative = sorted({t.value for t in terms if isinstance(t, ox.NamedNode) and t.value.startswith(_NO_BASE)})
        if relative:
            shown = ", ".join(f"<{iri[len(_NO_BASE):]}>" for iri in relative[:5])
            errors.append(RecordError(display, None, None, None, "relative-iri", f"{shown}: {_RELATIVE_HINT}"))
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
