"""Content negotiation (RFC 9110 §12.5.1): parse ``Accept`` and pick a representation.

A *format* is a short name (``json``, ``turtle`` …) with the media type we answer with and
the media types that select it (aliases such as ``application/json`` for SPARQL JSON).
For each offered media type the most specific matching range decides its q: a range with
parameters is more specific than the same type without, a full type more than ``type/*``,
which is more than ``*/*`` — so ``text/turtle;q=0`` refuses Turtle even when ``*/*`` is
welcome. Media-type parameters (``charset=utf-8``, a JSON-LD ``profile``) never make a
range miss: every text format here is UTF-8 and every JSON-LD answer is compacted, which
is what such parameters ask for. Quoted parameter values may hold commas and semicolons.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    aliases: tuple[str, ...] = ()
    charset: bool = True

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type

    def types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)


RESULTS = (  # SELECT and ASK, in the server's order of preference
    Format("json", "application/sparql-results+json", ("application/json",)),
    Format("xml", "application/sparql-results+xml", ("application/xml", "text/xml")),
    Format("csv", "text/csv"),
    Format("tsv", "text/tab-separated-values"),
)
GRAPHS = (  # CONSTRUCT and DESCRIBE, Service Description, VoID, Graph Store GET
    Format("turtle", "text/turtle", ("application/x-turtle",)),
    Format("ntriples", "application/n-triples", ("text/plain",)),
    Format("jsonld", "application/ld+json", ("application/json",)),
    Format("rdfxml", "application/rdf+xml", ("application/xml", "text/xml")),
    Format("nquads", "application/n-quads"),
    Format("trig", "application/trig"),
)
DATASETS = tuple(f for f in GRAPHS if f.name in ("trig", "nquads"))

# `format=` values a browser link may use (the short name, a common nickname, or a media type).
NICKNAMES = {"ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples", "json-ld": "jsonld",
             "rdf": "rdfxml", "rdf+xml": "rdfxml", "nq": "nquads", "n-quads": "nquads",
             "srj": "json", "srx": "xml", "text": "tsv"}

# Specificity of a match: full type > type/* > */*, then the number of parameters named.
EXACT, SUBTYPE_WILDCARD, ANY = 200, 100, 0
# A header element: a token, a quoted string (with backslash escapes) or one separator.
_LEXEME = re.compile(r'"(?:[^"\\]|\\.)*"?|[^",;]+|[,;]')


@dataclass(frozen=True)
class Range:
    main: str
    sub: str
    q: float
    params: int  # media-type parameters before the weight (they only add specificity)


def _elements(header: str) -> list[list[str]]:
    """``a/b;x="1,2";q=0.5, c/d`` → [['a/b', 'x="1,2"', 'q=0.5'], ['c/d']]: split on the
    commas and semicolons that are not inside a quoted string."""
    elements, pieces, current = [], [], ""
    for lexeme in _LEXEME.findall(header):
        if lexeme in (",", ";"):
            pieces.append(current.strip())
            current = ""
            if lexeme == ",":
                elements.append(pieces)
                pieces = []
        else:
            current += lexeme
    pieces.append(current.strip())
    elements.append(pieces)
    return [p for p in elements if p[0]]


def _qvalue(text: str) -> float:
    """RFC 9110 qvalue; anything else counts as 0 (not acceptable), never as 1."""
    if re.fullmatch(r"0(\.\d{0,3})?|1(\.0{0,3})?", text.strip()):
        return float(text)
    return 0.0


def parse_accept(header: str | None) -> list[Range]:
    """The media ranges of an Accept header; malformed elements are skipped. No header (or
    an empty one) accepts anything (RFC 9110 §12.5.1)."""
    if not header or not header.strip():
        return [Range("*", "*", 1.0, 0)]
    ranges = []
    for pieces in _elements(header):
        media = pieces[0].lower()
        if media == "*":  # sent by some old clients for */*
            media = "*/*"
        main, slash, sub = media.partition("/")
        if not slash or not main or not sub or (main == "*" and sub != "*"):
            continue
        q, params = 1.0, 0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                q = _qvalue(value)
                break  # what follows the weight is not a media-type parameter
            if key.strip():
                params += 1
        ranges.append(Range(main, sub, q, params))
    return ranges


def quality(media_type: str, ranges: list[Range]) -> tuple[float, int]:
    """(q, specificity) the Accept ranges give one media type; specificity -1: no range
    matches it."""
    main, _, sub = media_type.lower().partition("/")
    best: tuple[int, float] | None = None
    for r in ranges:
        if r.main == main and r.sub == sub:
            spec = EXACT + r.params
        elif r.main == main and r.sub == "*":
            spec = SUBTYPE_WILDCARD + r.params
        elif r.main == "*":
            spec = ANY + r.params
        else:
            continue
        if best is None or spec > best[0]:
            best = (spec, r.q)
    return (0.0, -1) if best is None else (best[1], best[0])


@functools.lru_cache(maxsize=256)  # clients send few distinct Accept headers; it is pure
def negotiate(accept: str | None, offers: tuple[Format, ...]) -> Format | None:
    """The acceptable format with the highest q (ties: more specific match, then our order)."""
    ranges = parse_accept(accept)
    scored = []
    for index, fmt in enumerate(offers):
        q, spec = quality(fmt.media_type, ranges)
        for alias in fmt.aliases:  # an alias counts only when named exactly (not via a wildcard)
            alias_q, alias_spec = quality(alias, ranges)
            if alias_spec >= EXACT and spec < EXACT:
                q, spec = alias_q, alias_spec
        if q > 0:
            scored.append((-q, -spec, index, fmt))
    return min(scored)[3] if scored else None


# Other names of media types the pages offer (older or generic ones clients still send):
# honoured only when named exactly, never through a wildcard, and never over an offer of
# that very type (the pages' JSON twin is application/json, not JSON-LD).
MEDIA_ALIASES = {
    "text/turtle": ("application/x-turtle",),
    "application/n-triples": ("text/plain",),  # rdflib's Accept for format="nt"
    "application/rdf+xml": ("application/xml", "text/xml"),
    "application/ld+json": ("application/json",),
}


@functools.lru_cache(maxsize=256)
def best_match(accept: str | None, offers: tuple[str, ...]) -> str | None:
    """The offered media type (a plain list, in our order of preference) to answer with:
    highest q, then the more specific match, then the first offered — so no ``Accept``
    header, or ``*/*``, gets the first offer. None: nothing offered is acceptable (406)."""
    formats = tuple(Format(m, m, tuple(a for a in MEDIA_ALIASES.get(m, ()) if a not in offers)) for m in offers)
    chosen = negotiate(accept, formats)
    return chosen.media_type if chosen else None


def by_name(value: str, offers: tuple[Format, ...]) -> Format | None:
    """A `format=` parameter: short name, nickname or media type."""
    key = value.strip().lower()
    key = NICKNAMES.get(key, key)
    for fmt in offers:
        if key == fmt.name or key in fmt.types():
            return fmt
    return None


def prefers_html(accept: str | None) -> bool:
    """True when a browser asks: text/html is explicitly acceptable and at least as
    welcome as any RDF format we could answer with."""
    ranges = parse_accept(accept)
    q_html, spec = quality("text/html", ranges)
    if q_html <= 0 or spec < SUBTYPE_WILDCARD:
        return False
    rdf_best = max(quality(f.media_type, ranges)[0] for f in GRAPHS)
    return q_html >= rdf_best


def offered(offers: Sequence) -> list[str]:
    return [f.media_type if isinstance(f, Format) else f for f in offers]
