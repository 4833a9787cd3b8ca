"""Writing query results: SPARQL Results JSON / XML / CSV / TSV for SELECT and ASK, and
RDF syntaxes (pyoxigraph's Rust serialisers) for CONSTRUCT and DESCRIBE.

SELECT rows are written here rather than by ``QuerySolutions.serialize`` because the row
cap must be known before the response headers go out and pyoxigraph cannot serialise a
prefix of a solution sequence; rows are written in batches, so output streams.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from justicegraph.server.protocol import jsonld

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
BATCH = 500  # rows per chunk

RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}


# --- SPARQL Results JSON -------------------------------------------------------------
def term_json(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {"subject": term_json(term.subject),
                                         "predicate": term_json(term.predicate),
                                         "object": term_json(term.object)}}


def _json_rows(names: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    yield (json.dumps({"head": {"vars": list(names)}})[:-1] + ',"results":{"bindings":[').encode()
    batch, first = [], True
    for row in rows:
        binding = {n: term_json(t) for n, t in zip(names, row, strict=False) if t is not None}
        batch.append(json.dumps(binding, ensure_ascii=False))
        if len(batch) >= BATCH:
            yield (("" if first else ",") + ",\n".join(batch)).encode()
            batch, first = [], False
    yield (("" if first or not batch else ",") + ",\n".join(batch) + "]}}\n").encode()


# --- SPARQL Results XML --------------------------------------------------------------
def term_xml(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (f"<triple><subject>{term_xml(term.subject)}</subject><predicate>{term_xml(term.predicate)}"
            f"</predicate><object>{term_xml(term.object)}</object></triple>")


_XML_HEAD = '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'


def _xml_rows(names: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    head = "".join(f"<variable name={quoteattr(n)}/>" for n in names)
    yield (_XML_HEAD + f"<head>{head}</head>\n<results>\n").encode()
    batch = []
    for row in rows:
        cells = "".join(f"<binding name={quoteattr(n)}>{term_xml(t)}</binding>"
                        for n, t in zip(names, row, strict=False) if t is not None)
        batch.append(f"<result>{cells}</result>\n")
        if len(batch) >= BATCH:
            yield "".join(batch).encode()
            batch = []
    yield ("".join(batch) + "</results>\n</sparql>\n").encode()


# --- CSV and TSV ---------------------------------------------------------------------
def term_csv(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        value = "_:" + term.value
    elif isinstance(term, ox.NamedNode | ox.Literal):
        value = term.value
    else:
        value = str(term)
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def term_tsv(term) -> str:
    # pyoxigraph writes terms in N-Triples syntax, escaping tab and newline in literals.
    return "" if term is None else str(term)


def _text_rows(names, rows, cell: Callable, sep: str, eol: str, header: str) -> Iterator[bytes]:
    yield (sep.join(header + n for n in names) + eol).encode()
    batch = []
    for row in rows:
        batch.append(sep.join(cell(t) for t in row) + eol)
        if len(batch) >= BATCH:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode()


def select_chunks(fmt: str, names: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    if fmt == "json":
        return _json_rows(names, rows)
    if fmt == "xml":
        return _xml_rows(names, rows)
    if fmt == "csv":
        return _text_rows(names, rows, term_csv, ",", "\r\n", "")
    if fmt == "tsv":
        return _text_rows(names, rows, term_tsv, "\t", "\n", "?")
    raise ValueError(f"no SELECT writer for {fmt!r}")


def boolean_bytes(fmt: str, value: bool) -> bytes:
    word = "true" if value else "false"
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode() + b"\n"
    if fmt == "xml":
        return (_XML_HEAD + f"<head/>\n<boolean>{word}</boolean>\n</sparql>\n").encode()
    if fmt == "csv":
        return f"_askResult\r\n{word}\r\n".encode()
    return f"?_askResult\n{word}\n".encode()


# --- RDF -------------------------------------------------------------------------------
class ChunkWriter:
    """A binary file-like object pyoxigraph writes into; hands each chunk to ``emit``."""

    def __init__(self, emit: Callable[[bytes], None]):
        self.emit = emit

    def write(self, data: bytes) -> int:
        if data:
            self.emit(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def write_rdf(fmt: str, items: Iterable, emit: Callable[[bytes], None], prefixes: dict | None = None) -> None:
    """Serialise triples (or quads, for N-Quads/TriG) with pyoxigraph, streaming to ``emit``;
    JSON-LD compacted with a context of ``prefixes`` (server/protocol/jsonld.py)."""
    if fmt == "jsonld":
        jsonld.write(items, emit, prefixes)
        return
    rdf_format = RDF_FORMATS[fmt]
    kwargs = {"prefixes": prefixes} if prefixes and fmt in ("turtle", "trig") else {}
    if fmt in ("nquads", "trig"):
        items = (i if isinstance(i, ox.Quad) else ox.Quad(i.subject, i.predicate, i.object) for i in items)
    ox.serialize(items, ChunkWriter(emit), rdf_format, **kwargs)
