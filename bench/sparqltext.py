#!/usr/bin/env python
"""What reading SPARQL text costs per request (justicegraph/sparqltext): tokenizing, the
protocol's scan (with the bounded decision), the remote store's shape, and pyoxigraph's own
parse (what a refused query costs to locate), for three texts — a one-pattern lookup, a saved
query, a 10 KB query — with and without the cache, and rdflib's parser for comparison
(off the hot path: the W3C test's referee only).

    python bench/sparqltext.py            # prints a Markdown table (µs per call, best of 5)
"""

from __future__ import annotations

import importlib
import timeit
from pathlib import Path

import pyoxigraph as ox

from justicegraph.sparqltext import lexer, scan

shape = importlib.import_module("justicegraph.sparqltext.shape")  # (the package's `shape` is the function)

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8000/sparql"


def texts() -> dict[str, str]:
    lookup = "SELECT ?p ?o WHERE { <https://w3id.org/justicegraph/person/p-0001> ?p ?o }"
    saved = (ROOT / "queries" / "cq15-corroborated-statements.rq").read_text(encoding="utf-8")
    patterns = "\n".join(f"  ?s{i} <https://w3id.org/justicegraph/ontology#p{i}> ?o{i} . # pattern {i}"
                         for i in range(140))
    big = f"PREFIX jg: <https://w3id.org/justicegraph/ontology#>\nSELECT * WHERE {{\n{patterns}\n}} LIMIT 10"
    return {"one-pattern lookup": lookup, "saved query (cq15)": saved, f"{len(big) // 1024} KB query": big}


def best(fn, number: int) -> float:
    """Microseconds per call, best of 5 repeats."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def measure() -> list[tuple[str, int, dict[str, float]]]:
    from rdflib.plugins.sparql.parser import parseQuery

    rows = []
    for name, text in texts().items():
        n = 2000 if len(text) < 2000 else 200
        row = {
            "tokenize": best(lambda t=text: lexer._tokenize(t), n),
            "scan (uncached)": best(lambda t=text: _uncached_scan(t), n),
            "scan (cached)": best(lambda t=text: scan.scan_query(t, BASE), n),
            "shape (uncached)": best(lambda t=text: _uncached_shape(t), n),
            "pyoxigraph parse": best(lambda t=text: ox.Store().query(t, base_iri=BASE), max(n // 10, 20)),
            "rdflib parse": _rdflib(parseQuery, text),
        }
        rows.append((name, len(text), row))
    return rows


def _rdflib(parse, text: str) -> float | None:
    try:
        parse(text)
    except RecursionError:  # pyparsing recurses per triple pattern: a long query is beyond it
        return None
    return best(lambda: parse(text), 5)


def _uncached_scan(text: str):
    lexer._cached.cache_clear()
    scan._query_cached.cache_clear()
    return scan.scan_query(text, BASE)


def _uncached_shape(text: str):
    lexer._cached.cache_clear()
    shape._cached.cache_clear()
    return shape.shape(text)


def main() -> None:
    rows = measure()
    columns = list(rows[0][2])
    print("| text | chars | " + " | ".join(columns) + " |")
    print("|---|---:|" + "---:|" * len(columns))
    for name, chars, row in rows:
        cells = ["fails (RecursionError)" if row[c] is None else f"{row[c]:,.1f}" for c in columns]
        print(f"| {name} | {chars:,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
