"""Queries whose work is bounded by their answer, so they may run in the web worker.

A query that is one triple pattern — ``SELECT ?p ?o WHERE { <x> ?p ?o }``, the lookups an
entity page makes — is answered from one index range: the engine does work in proportion to
the rows it returns (with the union default graph, to the quads behind them), and never
sorts, groups, joins or follows paths. The web worker may then run it itself, skipping the
round trip to an executor process, provided it also stops once the answer passes a small
size (``INLINE_BUDGET`` in server/protocol/executor.py; a larger answer goes to an executor
as usual). So the work done outside a killable process stays small whatever the data holds,
and the time limit keeps its meaning.

The test is deliberately narrow and conservative: prologue, ``SELECT`` with plain variables
or ``*`` (or ``ASK``, which stops at the pattern's first match), an optional ``WHERE``, one triple pattern of IRIs / prefixed names / variables /
literals / ``a``, and an optional ``LIMIT``. Anything else (DISTINCT, FILTER, OPTIONAL, a
second pattern, property paths, blank nodes, FROM, GRAPH, ORDER BY, OFFSET, VALUES, SERVICE)
takes the executor. The decision is part of a query's scan (``Scan.bounded``).
"""

from __future__ import annotations

from justicegraph.sparqltext.lexer import Token, tokenize

_TERMS = ("iri", "pname", "var", "number")


def is_bounded(text: str) -> bool:
    return bounded_tokens(tokenize(text))


def bounded_tokens(tokens: tuple[Token, ...]) -> bool:
    i = _prologue(tokens)
    if i is None or i >= len(tokens) or tokens[i].keyword not in ("SELECT", "ASK"):
        return False
    i += 1
    if tokens[i - 1].keyword == "ASK":
        pass  # the engine stops at the pattern's first match: one index seek
    elif i < len(tokens) and tokens[i].text == "*" and tokens[i].kind == "punct":
        i += 1
    else:
        start = i
        while i < len(tokens) and tokens[i].kind == "var":
            i += 1
        if i == start:
            return False
    if i < len(tokens) and tokens[i].keyword == "WHERE":
        i += 1
    if i >= len(tokens) or tokens[i].text != "{":
        return False
    i += 1
    for position in range(3):
        i = _term(tokens, i, predicate=position == 1)
        if i is None:
            return False
    if i < len(tokens) and tokens[i].text == "." and tokens[i].kind == "punct":
        i += 1
    if i >= len(tokens) or tokens[i].text != "}":
        return False
    i += 1
    if i + 1 < len(tokens) and tokens[i].keyword == "LIMIT" and tokens[i + 1].kind == "number" \
            and tokens[i + 1].text.isdigit():
        i += 2
    return i == len(tokens)


def _prologue(tokens: tuple[Token, ...]) -> int | None:
    i = 0
    while i < len(tokens):
        keyword = tokens[i].keyword
        if keyword == "BASE":
            if i + 1 >= len(tokens) or tokens[i + 1].kind != "iri":
                return None
            i += 2
        elif keyword == "PREFIX":
            if i + 2 >= len(tokens) or tokens[i + 1].kind != "pname" or not tokens[i + 1].text.endswith(":") \
                    or tokens[i + 2].kind != "iri":
                return None
            i += 3
        else:
            return i
    return i


def _term(tokens: tuple[Token, ...], i: int, *, predicate: bool) -> int | None:
    """The index after one RDF term starting at ``i``, or None if it is not a plain term."""
    if i >= len(tokens):
        return None
    token = tokens[i]
    if token.kind in _TERMS:
        return i + 1
    if predicate and token.kind == "word" and token.text == "a":
        return i + 1
    if not predicate and token.keyword in ("TRUE", "FALSE"):
        return i + 1
    if not predicate and token.kind == "string":
        i += 1
        if i < len(tokens) and tokens[i].kind == "lang":
            return i + 1
        if i + 1 < len(tokens) and tokens[i].text == "^^" and tokens[i + 1].kind in ("iri", "pname"):
            return i + 2
        return i
    return None
