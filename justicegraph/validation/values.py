"""Constraints on each value node, as SPARQL conditions on ``?v``, for the fast validator.

A property shape's value constraints run in ONE query that binds a flag per constraint and
answers only the rows where some flag is set. Where SPARQL and pyshacl (the reference) could
disagree — Python regular expressions, rdflib's ordering of literals — the condition only
rules out what surely conforms, and a Python check, written as pyshacl's, decides the rest.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

import pyoxigraph as ox
from pyshacl.rdfutil.compare import compare_literal
from rdflib import BNode, Literal, URIRef

from justicegraph.validation.compile import Fallback, Unsupported

VALUE_TESTS = ("class", "datatype", "nodeKind", "in", "pattern", "minLength", "maxLength",
               "minInclusive", "minExclusive", "maxInclusive", "maxExclusive")
_KINDS = {"IRI": "isIRI(?v)", "BlankNode": "isBlank(?v)", "Literal": "isLiteral(?v)",
          "BlankNodeOrIRI": "(isBlank(?v) || isIRI(?v))", "BlankNodeOrLiteral": "(isBlank(?v) || isLiteral(?v))",
          "IRIOrLiteral": "(isIRI(?v) || isLiteral(?v))"}
_RANGES = {"minInclusive": (">=", operator.ge), "minExclusive": (">", operator.gt),
           "maxInclusive": ("<=", operator.le), "maxExclusive": ("<", operator.lt)}
Check = Callable[[object], bool] | None  # value -> violates?


def term(t) -> str:
    if isinstance(t, ox.BlankNode):
        raise Unsupported("a blank node as a constraint parameter")
    return str(t)


def condition(name: str, param, instance: Callable[[str, object], str]) -> tuple[str, Check]:
    """(SPARQL expression, true when ?v may violate; Python check confirming it, or None)."""
    if name == "class":
        return f"NOT EXISTS {{ {instance('?v', param)} }}", None
    if name == "datatype":
        # ill-typed literals were taken out beforehand, as for pyshacl
        if param.value == "http://www.w3.org/2000/01/rdf-schema#Literal":
            return "!isLiteral(?v)", None
        return f"!(isLiteral(?v) && datatype(?v) = {term(param)})", None
    if name == "nodeKind":
        test = _KINDS.get(param.value.rsplit("#", 1)[-1])
        if test is None:
            raise Unsupported(f"sh:nodeKind {param}")
        return f"!{test}", None
    if name == "in":
        # sameTerm, not '=': pyshacl compares terms ("01"^^xsd:integer is not "1"^^xsd:integer)
        return "!(" + (" || ".join(f"sameTerm(?v, {term(v)})" for v in param) or "false") + ")", None
    if name == "pattern":
        return _pattern(*param)
    if name == "minLength":
        return "true", lambda v: param > 0 and (isinstance(v, ox.BlankNode) or len(v.value) < param)
    if name == "maxLength":
        return "true", lambda v: isinstance(v, ox.BlankNode) or len(v.value) > param
    return _range(name, param)


def _pattern(pattern: str, flags: str) -> tuple[str, Check]:
    lowered = flags.lower()
    matcher = re.compile(pattern, (re.I if "i" in lowered else 0) | (re.M if "m" in lowered else 0))

    def check(v) -> bool:  # pyshacl: a blank node never matches; otherwise re.search on the lexical form
        return isinstance(v, ox.BlankNode) or not matcher.search(v.value)

    if flags:
        return "true", check
    # Without line breaks in the string, '^', '$' and '.' mean the same to Oxigraph's regex
    # as to Python's: what it matches surely conforms; Python decides every other row.
    return (f"!(!isBlank(?v) && !REGEX(STR(?v), \"[\\r\\n]\") && REGEX(STR(?v), {ox.Literal(pattern)}))",
            check)


def _range(name: str, bound) -> tuple[str, Check]:
    symbol, op = _RANGES[name]
    limit = to_rdflib(bound)
    sure = "true"
    if isinstance(bound, ox.Literal) and bound.datatype.value.endswith(("#integer", "#decimal")):
        sure = f"!(isLiteral(?v) && datatype(?v) = {term(bound.datatype)} && ?v {symbol} {term(bound)})"
    return sure, lambda v: not in_range(to_rdflib(v), limit, op)


def in_range(v, limit, op) -> bool:
    """pyshacl's value range test (constraints/core/value_range_constraints.py)."""
    if not isinstance(v, Literal):
        return False
    if isinstance(limit.value, str) != isinstance(v.value, str):
        return False
    try:
        return op(compare_literal(v, limit), 0)
    except (TypeError, NotImplementedError):
        return False


# rows where SPARQL surely orders ?v <= ?o the way rdflib does (same datatype, no timezone)
SURE_LESS_OR_EQUAL = ("isLiteral(?v) && isLiteral(?o) && datatype(?v) = datatype(?o) && ("
                      "(datatype(?v) IN (xsd:date, xsd:dateTime) && TZ(?v) = \"\" && TZ(?o) = \"\") || "
                      "datatype(?v) = xsd:integer) && ?v <= ?o")


def less_or_equal(v, o) -> bool:
    """pyshacl's sh:lessThanOrEquals test (constraints/core/property_pair_constraints.py); it
    stops with an error on a blank node, so such data goes to pyshacl itself."""
    if isinstance(v, BNode) or isinstance(o, BNode):
        raise Fallback("sh:lessThanOrEquals on a blank node")
    v_str = isinstance(v, URIRef) or (isinstance(v, Literal) and isinstance(v.value, str))
    o_str = isinstance(o, URIRef) or (isinstance(o, Literal) and isinstance(o.value, str))
    if v_str != o_str:
        return False
    left = str(v) if isinstance(v, URIRef) else v.value if v_str else v
    right = str(o) if isinstance(o, URIRef) else o.value if o_str else o
    return bool(left <= right)


def to_rdflib(t):
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    if t.language:
        return Literal(t.value, lang=t.language)
    return Literal(t.value, datatype=URIRef(t.datatype.value))
