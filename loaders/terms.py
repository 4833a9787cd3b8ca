"""pyoxigraph terms used by the mapping, built once (terms are immutable and hashable), and\nliterals in N-Triples form."""

from __future__ import annotations

from functools import cache, lru_cache

import pyoxigraph as ox

from justicegraph.namespaces import EDTF_DATATYPE, JG

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
ACCESS = "https://w3id.org/justicegraph/vocab/access/"

node = lru_cache(maxsize=200_000)(ox.NamedNode)


@cache
def jg(name: str) -> ox.NamedNode:
    return ox.NamedNode(str(JG) + name)


A = node(RDF + "type")
PREF_LABEL, ALT_LABEL, SCOPE_NOTE = node(SKOS + "prefLabel"), node(SKOS + "altLabel"), node(SKOS + "scopeNote")
LABEL, COMMENT = node(RDFS + "label"), node(RDFS + "comment")
T_STRING, T_DATE, T_DATETIME = node(XSD + "string"), node(XSD + "date"), node(XSD + "dateTime")
T_INTEGER, T_BOOLEAN, T_EDTF = node(XSD + "integer"), node(XSD + "boolean"), node(str(EDTF_DATATYPE))
T_DURATION = node(XSD + "duration")
PUBLIC, RESTRICTED = node(ACCESS + "public"), node(ACCESS + "restricted")


# Literals are written in their N-Triples form (a str) and become pyoxigraph quads in one
# parse per load (QuadBuffer): building an ox.Quad whose object is an ox.Literal costs ~18 µs
# in pyoxigraph 0.5 (against ~2 µs with an IRI), over half of all the mapping's time.
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _escaped(value: str) -> str:
    # Most values need no escape, and four scans for a character cost ~0.1 µs where
    # str.translate costs ~1 µs (579,144 literals in a 1.2M-quad load).
    if '"' in value or "\\" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def lang(text: str, language: str) -> str:
    return f'"{_escaped(text)}"@{language}'


def en(text: str) -> str:
    return f'"{_escaped(text)}"@en'


def text(value: str) -> str:
    return f'"{_escaped(value)}"'


def typed(value: str, datatype: ox.NamedNode) -> str:
    return f'"{_escaped(value)}"^^{datatype}'


def boolean(value: bool) -> str:
    return typed("true" if value else "false", T_BOOLEAN)


def integer(value: int) -> str:
    return typed(str(value), T_INTEGER)


class QuadBuffer:
    """Quads collected cheaply: those with an IRI object as ox.Quads, those with a literal
    object (a str from the functions above) as N-Quads lines, parsed together by ``finish``.
    Every IRI comes from an ox.NamedNode (already checked), every literal is escaped above,
    so the parse can skip its own IRI checks (lenient)."""

    def __init__(self):
        self.quads: list[ox.Quad] = []
        self._lines: list[str] = []
        self._drained = (0, 0)  # (quads, lines) already handed out by drain()

    def add(self, s: ox.NamedNode, p: ox.NamedNode, o, g: ox.NamedNode) -> None:
        if o.__class__ is str:
            self._lines.append(f"{s} {p} {o} {g} .\n")
        else:
            self.quads.append(ox.Quad(s, p, o, g))

    def drain(self) -> tuple[bytes, int]:
        """The quads added since the last drain, as N-Quads and their number (for a commit
        that takes them while the mapping goes on); ``finish`` still returns every quad, in
        the order it always has. Drain last right before ``finish``: quads added after it
        are never drained."""
        quads, lines = self.quads[self._drained[0]:], self._lines[self._drained[1]:]
        self._drained = (len(self.quads), len(self._lines))
        text = _encode(lines) if lines else b""
        return (ox.serialize(quads, format=ox.RdfFormat.N_QUADS) if quads else b"") + text, len(quads) + len(lines)

    def finish(self) -> list[ox.Quad]:
        if self._lines:
            data = _encode(self._lines)
            self.quads.extend(ox.parse(input=data, format=ox.RdfFormat.N_QUADS, lenient=True))
            self._lines = []
        self._drained = (len(self.quads), 0)
        return self.quads


def _encode(lines: list[str]) -> bytes:
    try:
        return "".join(lines).encode()
    except UnicodeEncodeError as exc:  # a lone surrogate (from a JSON "\\ud800" escape)
        raise ValueError(f"a text value is not valid Unicode: {exc.reason}") from None
