"""How deeply a query or update nests and how long its chains are, measured on its tokens
before any engine parses it.

pyoxigraph's parser and evaluator recurse once per level of nesting and once per link of a
chain (``1+1+…``, ``{} UNION {} …``, a group of thousands of ``BIND``s): past a few thousand
the thread's stack overflows and the process dies with SIGSEGV (measured: 1,000 nested
``CONCAT(``, 4,000 braces or ``BIND``s, 8,000 ``+`` or ``UNION``; 30,000 parentheses or
40,000 ``!`` are far past). An executor process dying takes its query with it and costs a
restart; in the web worker (in-memory stores) it would take the worker. So a text nesting
deeper than ``MAX_DEPTH`` or holding more than ``MAX_LINKS`` operators and group elements is
refused (400) before anything parses it. Real queries stay far below both (the saved queries:
depth 6 and 61 links at most; the W3C SPARQL 1.0 and 1.1 query and update tests: depth 5 and
35 links).
The contents of ``INSERT DATA`` / ``DELETE DATA`` and ``VALUES`` blocks are flat lists and are
not counted.
"""

from __future__ import annotations

from justicegraph.sparqltext.lexer import tokenize

MAX_DEPTH = 200
MAX_LINKS = 1000
_OPEN, _CLOSE = "({[", ")}]"
_OPERATORS = frozenset("|&!=<>+-*/^")  # one token per character; `^^` is one token (a datatype)
_ELEMENTS = frozenset({"UNION", "OPTIONAL", "MINUS", "BIND", "FILTER", "VALUES", "GRAPH", "SERVICE",
                       "SELECT", "EXISTS"})


def measure(text: str) -> tuple[int, int]:
    """(deepest nesting of brackets, operators and group elements outside data blocks)."""
    tokens = tokenize(text)
    depth = deepest = links = 0
    data_until = None  # the depth at which the current data block closes
    previous = ""
    for tok in tokens:
        if tok.kind == "punct" and tok.text in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
            if data_until is None and previous in ("DATA", "VALUES", "VALUES-VAR"):
                data_until = depth
        elif tok.kind == "punct" and tok.text in _CLOSE:
            if data_until is not None and depth == data_until and tok.text == "}":
                data_until = None
            depth -= 1
        if data_until is None:
            if tok.kind == "punct" and (tok.text in _OPERATORS or tok.text == "{"):
                links += 1
            elif tok.keyword in _ELEMENTS:
                links += 1
        # VALUES ?x { … } / VALUES (?x ?y) { … }: the block after the variables is data
        if tok.keyword in ("DATA", "VALUES"):
            previous = tok.keyword
        elif previous in ("VALUES", "VALUES-VAR") and (tok.kind == "var" or tok.text in "()"):
            previous = "VALUES-VAR"
        else:
            previous = ""
    return deepest, links


def _surely_within(text: str) -> bool:
    """True when counting characters and words already shows the text within both limits:
    every bracket token is an opening character of the text, every counted operator one of
    its characters and every group element one of its words, so these counts bound
    ``measure``'s from above. Most texts pass here without being tokenized — and a text of at
    most MAX_LINKS characters has no more links than characters, so only its brackets are
    counted (three scans instead of twenty-five: ~2 µs instead of ~18 on a lookup)."""
    if sum(text.count(c) for c in _OPEN) > MAX_DEPTH:
        return False
    if len(text) <= MAX_LINKS:
        return True
    upper = text.upper()
    links = sum(text.count(c) for c in _OPERATORS) + text.count("{") + sum(upper.count(k) for k in _ELEMENTS)
    return links <= MAX_LINKS


def too_complex(text: str, what: str) -> str | None:
    """The one-line refusal for a text past the limits, or None."""
    if _surely_within(text):
        return None
    depth, links = measure(text)
    if depth > MAX_DEPTH:
        return (f"The {what} nests {depth} levels deep; the limit is {MAX_DEPTH} "
                "(the engine's parser would run out of stack).")
    if links > MAX_LINKS:
        return (f"The {what} chains {links} operators and group elements; the limit is {MAX_LINKS} "
                "(the engine would run out of stack). Use VALUES for long lists of values.")
    return None
