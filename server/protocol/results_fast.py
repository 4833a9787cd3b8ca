"""SELECT answers written by pyoxigraph's own (Rust) serialisers, with the row cap applied.

Writing terms in Python costs more than running a typical lookup query, so the executor lets
``QuerySolutions.serialize`` write the whole answer into memory and applies the row cap to
the bytes afterwards. That needs the row count, which each format gives cheaply and exactly:
XML — the number of ``<result>`` tags (a ``<`` inside a value is always escaped); TSV — the
number of lines less the header (TSV escapes newlines inside terms); JSON — every row takes
at least three bytes (``{},``), so an answer shorter than ``3 * cap`` cannot hold more than
``cap`` rows, and only a longer one is parsed to count and cut. (CSV quotes newlines, so it
keeps the Python writer.)

The bytes held are bounded (``budget``): a larger answer returns None and the caller runs
the query again through the streaming Python writer, which stops at the cap.
"""

from __future__ import annotations

import json

import pyoxigraph as ox

FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
           "tsv": ox.QueryResultsFormat.TSV}
MIN_BUDGET = 32 * 1024 * 1024
BYTES_PER_ROW = 512


class _TooLarge(Exception):
    pass


class _Buffer:
    """A binary file object pyoxigraph writes into (in 8 KiB pieces), refusing past ``limit``."""

    def __init__(self, limit: int):
        self.parts: list[bytes] = []
        self.size = 0
        self.limit = limit
        self.overflow = False

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            self.overflow = True
            raise _TooLarge()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def select_bytes(solutions: ox.QuerySolutions, fmt: str, cap: int, budget: int | None = None
                 ) -> tuple[bytes, bool] | None:
    """(answer, truncated) for ``fmt`` in FORMATS, or None when the answer exceeds the budget."""
    buffer = _Buffer(budget or max(MIN_BUDGET, cap * BYTES_PER_ROW))
    try:
        solutions.serialize(buffer, FORMATS[fmt])
    except Exception:
        if buffer.overflow:
            return None
        raise
    body = b"".join(buffer.parts)
    return CUT[fmt](body, cap)


def _cut_json(body: bytes, cap: int) -> tuple[bytes, bool]:
    if len(body) <= 3 * cap:
        return body, False
    answer = json.loads(body)
    bindings = answer["results"]["bindings"]
    if len(bindings) <= cap:
        return body, False
    answer["results"]["bindings"] = bindings[:cap]
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), True


def _cut_xml(body: bytes, cap: int) -> tuple[bytes, bool]:
    if body.count(b"<result>") <= cap:
        return body, False
    at = -1
    for _ in range(cap + 1):
        at = body.index(b"<result>", at + 1)
    return body[:at] + b"</results></sparql>", True


def _cut_tsv(body: bytes, cap: int) -> tuple[bytes, bool]:
    if body.count(b"\n") <= cap + 1:
        return body, False
    at = -1
    for _ in range(cap + 1):  # the header line and cap rows
        at = body.index(b"\n", at + 1)
    return body[:at + 1], True


CUT = {"json": _cut_json, "xml": _cut_xml, "tsv": _cut_tsv}
