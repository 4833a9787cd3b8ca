"""Content negotiation: parse ``Accept`` (q-values, wildcards, q=0) and pick a format.

A *format* is a short name (``json``, ``turtle`` …) with the media type we answer with and
the media types that select it (aliases such as ``application/json`` for SPARQL JSON).
For each offered media type the most specific matching range decides its q (RFC 9110
§12.5.1): ``text/turtle;q=0`` refuses Turtle even when ``*/*`` is welcome.
"""

from __future__ import annotations

import functools
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


def parse_accept(header: str | None) -> list[tuple[str, str, float]]:
    """[(type, subtype, q)] from an Accept header; malformed parts are skipped."""
    if not header or not header.strip():
        return [("*", "*", 1.0)]
    ranges = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            if media == "*":
                media = "*/*"
            else:
                continue
        main, _, sub = media.partition("/")
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    q = 0.0
        ranges.append((main, sub, q))
    return ranges


def quality(media_type: str, ranges: list[tuple[str, str, float]]) -> tuple[float, int]:
    """(q, specificity) the Accept ranges give one media type."""
    main, _, sub = media_type.partition("/")
    best: tuple[int, float] | None = None
    for rmain, rsub, q in ranges:
        if rmain == main and rsub == sub:
            spec = 2
        elif rmain == main and rsub == "*":
            spec = 1
        elif rmain == "*" and rsub == "*":
            spec = 0
        else:
            continue
        if best is None or spec > best[0]:
            best = (spec, q)
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
            if alias_spec == 2 and spec < 2:
                q, spec = alias_q, alias_spec
        if q > 0:
            scored.append((-q, -spec, index, fmt))
    return min(scored)[3] if scored else None


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
    if q_html <= 0 or spec < 1:
        return False
    rdf_best = max(quality(t, ranges)[0] for f in GRAPHS for t in (f.media_type,))
    return q_html >= rdf_best


def offered(offers: tuple[Format, ...]) -> list[str]:
    return [f.media_type for f in offers]
