"""What the remote store must know about a query's text, found by a small SPARQL lexer:
its form (SELECT/ASK/CONSTRUCT/DESCRIBE), its dataset clauses (FROM / FROM NAMED), and where
its WHERE group opens — so that saved-query parameters can be bound by a VALUES block
placed inside that group. Nothing here splices caller text: only terms serialised by
pyoxigraph are inserted, and only dataset clauses are cut out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<var>[?$]\w+)
  | (?P<word>[^\W\d]?[\w.\-]*:(?:[\w.\-%:]|\\[_~.\-!$&'()*+,;=/?\#@%])*|[^\W\d][\w\-]*)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<other>.)
    """,
    re.X | re.S,
)

FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")


@dataclass
class Shape:
    form: str
    prefixes: dict[str, str] = field(default_factory=dict)
    from_default: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)
    dataset_spans: list[tuple[int, int]] = field(default_factory=list)
    where_open: int | None = None  # offset just after the WHERE group's "{"
    where_close: int | None = None  # offset of its matching "}"
    subselect: bool = False  # the WHERE group is itself a sub-SELECT
    template_is_pattern: bool = False  # CONSTRUCT WHERE { … }: the group is also the template
    pragmas: bool = False  # Virtuoso-style `define …` before the query form


def _tokens(text: str):
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind not in ("ws", "comment"):
            yield kind, m.group(), m.start(), m.end()


def shape(text: str) -> Shape:
    """The parts of a query the remote store needs. Raises SyntaxError when the query has no
    recognisable form or unbalanced braces (the engine would refuse it anyway), located in
    the caller's text by pyoxigraph's parser where it can (``syntax_error``)."""
    try:
        return _shape(text)
    except SyntaxError as exc:
        raise syntax_error(text) or exc from None


def _shape(text: str) -> Shape:
    toks = list(_tokens(text))
    prefixes: dict[str, str] = {}
    pragmas = False
    i = 0
    while i < len(toks):
        kind, value, *_ = toks[i]
        upper = value.upper()
        if upper == "PREFIX" and i + 2 < len(toks):
            prefixes[toks[i + 1][1].rstrip(":")] = toks[i + 2][1][1:-1]
            i += 3
            continue
        if upper == "BASE":
            i += 2
            continue
        pragmas = pragmas or upper == "DEFINE"
        if kind == "word" and upper in FORMS:
            break
        i += 1
    else:
        # SyntaxError, as pyoxigraph raises for a text that is no query: the caller answers 400.
        raise SyntaxError("not a SPARQL query: no SELECT, CONSTRUCT, DESCRIBE or ASK")
    found = Shape(form=toks[i][1].upper(), prefixes=prefixes, pragmas=pragmas)
    i += 1
    if found.form == "CONSTRUCT" and i < len(toks) and toks[i][0] == "open":
        i = _matching(toks, i) + 1  # skip the template
    elif found.form == "CONSTRUCT":
        found.template_is_pattern = True
    while i < len(toks):
        kind, value, start, end = toks[i]
        if kind == "word" and value.upper() == "FROM":
            named = i + 1 < len(toks) and toks[i + 1][1].upper() == "NAMED"
            target = toks[i + 2 if named else i + 1]
            iri = _resolve(target, prefixes)
            (found.from_named if named else found.from_default).append(iri)
            found.dataset_spans.append((start, target[3]))
            i += 3 if named else 2
            continue
        if kind == "open":
            close = _matching(toks, i)
            found.where_open, found.where_close = end, toks[close][2]
            found.subselect = i + 1 < len(toks) and toks[i + 1][1].upper() == "SELECT"
            break
        i += 1
    return found


def _matching(toks, i: int) -> int:
    depth = 0
    for j in range(i, len(toks)):
        if toks[j][0] == "open":
            depth += 1
        elif toks[j][0] == "close":
            depth -= 1
            if depth == 0:
                return j
    raise SyntaxError("unbalanced braces in the query")


def _resolve(token, prefixes: dict[str, str]) -> str:
    kind, value, *_ = token
    if kind == "iri":
        return value[1:-1]
    prefix, colon, local = value.partition(":")
    if colon and prefix in prefixes:
        return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    raise SyntaxError(f"FROM names an unknown prefix or a bad IRI: {value!r}")


def without_dataset_clauses(text: str, found: Shape) -> str:
    """The query with its FROM / FROM NAMED clauses blanked out (same length, same lines)."""
    chars = list(text)
    for start, end in found.dataset_spans:
        for k in range(start, end):
            if chars[k] != "\n":
                chars[k] = " "
    return "".join(chars)


def values_block(substitutions: Mapping[ox.Variable, object]) -> str:
    """A one-row VALUES block from typed pyoxigraph terms (never from raw text)."""
    names, terms = [], []
    for var, term in substitutions.items():
        if not isinstance(var, ox.Variable):
            var = ox.Variable(str(var).lstrip("?$"))
        if isinstance(term, ox.BlankNode) or not isinstance(term, ox.NamedNode | ox.Literal):
            raise ValueError(f"cannot bind {var} to {term!r}: only IRIs and literals can be bound")
        names.append(str(var))
        terms.append(str(term))
    return f" VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }} "


def bind(text: str, substitutions: Mapping[ox.Variable, object], found: Shape | None = None) -> str:
    """The query with the variables bound, as pyoxigraph's ``substitutions`` binds them
    before evaluation: a VALUES block opens the WHERE group, so filters, OPTIONALs and
    aggregates of that group all see the bound values."""
    found = found or shape(text)
    if found.where_open is None or found.template_is_pattern:
        raise ValueError("this query has no WHERE group that can take bound parameters")
    block = values_block(substitutions)
    # pyoxigraph binds the variables in sub-SELECTs too (a sub-select with LIMIT that projects
    # a bound variable must see it before it cuts): each such WHERE group gets its own block.
    text = _bind_subselects(text, found, substitutions)
    if found.subselect:  # `{ SELECT … }` cannot take a sibling: wrap the sub-select in a group
        return (text[: found.where_open] + block + "{" + text[found.where_open : found.where_close]
                + "}" + text[found.where_close :])
    return text[: found.where_open] + block + text[found.where_open :]


def _bind_subselects(text: str, found: Shape, substitutions: Mapping[ox.Variable, object]) -> str:
    """``text`` with a VALUES block opening the WHERE group of every sub-SELECT inside the
    main WHERE group that projects a bound variable (or ``*``). Offsets before
    ``found.where_open`` are unchanged."""
    names = {str(v if isinstance(v, ox.Variable) else ox.Variable(str(v).lstrip("?$"))): t
             for v, t in substitutions.items()}
    toks = list(_tokens(text))
    inserts: list[tuple[int, str]] = []
    for i, (kind, value, start, _) in enumerate(toks):
        if start < found.where_open or kind != "word" or value.upper() != "SELECT":
            continue
        projected: set[str] = set()
        j = i + 1
        while j < len(toks) and toks[j][0] != "open":
            if toks[j][0] == "var":
                projected.add("?" + toks[j][1][1:])
            elif toks[j][1] == "*":
                projected |= set(names)
            j += 1
        bound = {ox.Variable(n[1:]): names[n] for n in names if n in projected}
        if bound and j < len(toks):
            inserts.append((toks[j][3], values_block(bound)))
    for offset, block in sorted(inserts, reverse=True):
        text = text[:offset] + block + text[offset:]
    return text


def iris(text: str, found: Shape, limit: int = 500) -> set[str]:
    """Absolute IRIs the query names (written out or as prefixed names), at most ``limit``."""
    out: set[str] = set()
    for kind, value, *_ in _tokens(text):
        iri = None
        if kind == "iri" and ":" in value:
            iri = value[1:-1]
        elif kind == "word" and ":" in value and value.partition(":")[0] in found.prefixes:
            iri = _resolve((kind, value), found.prefixes)
        if iri is not None and _absolute(iri):  # (a relative PREFIX IRI is the engine's to resolve)
            out.add(iri)
        if len(out) >= limit:
            break
    return out


def syntax_error(query: str, base: str | None = None) -> SyntaxError | None:
    """pyoxigraph's syntax error for ``query`` ("error at LINE:COLUMN: …", as the embedded
    store reports it), or None when pyoxigraph reads it (or when the text names SERVICE or
    LOAD, which is never read here). Parsing only: SELECT, CONSTRUCT and DESCRIBE are
    evaluated lazily (never iterated here, on an empty store). An ASK, which pyoxigraph
    evaluates at once, is first read as a SELECT of a constant (the same grammar after the
    keyword); only when that fails is the ASK itself read, for the caller's columns."""
    words = [(value.upper(), start) for kind, value, start, _ in _tokens(query) if kind == "word"]
    if any(word in ("SERVICE", "LOAD") for word, _ in words):
        return None  # pyoxigraph calls a SERVICE as soon as it reads the query: never here
    form = next(((word, start) for word, start in words if word in FORMS), None)
    texts = [query]
    if form is not None and form[0] == "ASK":
        texts = [query[:form[1]] + "SELECT (1 AS ?justicegraph_parse_only)" + query[form[1] + 3:], query]
    error = None
    for text in texts:
        try:
            ox.Store().query(text, base_iri=base)
        except SyntaxError as exc:
            error = exc
            continue
        except (OSError, ValueError, RuntimeError):  # read, then failed running: not a syntax error
            pass
        return error
    return error


def has_relative_iri(text: str) -> bool:
    """Whether the query writes a relative IRI (one its base resolves)."""
    return any(kind == "iri" and not _absolute(value[1:-1]) for kind, value, *_ in _tokens(text))


def _absolute(iri: str) -> bool:
    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return True


def constant_graph(text: str) -> bool:
    """Whether any ``GRAPH`` keyword of the text is followed by an IRI (not a variable)."""
    toks = list(_tokens(text))
    return any(value.upper() == "GRAPH" and kind == "word" and i + 1 < len(toks) and toks[i + 1][0] != "var"
               for i, (kind, value, *_) in enumerate(toks))


def dataset_pragmas(default: list[str], named: list[str]) -> str:
    """Virtuoso's statement of a query dataset, from IRIs serialised by pyoxigraph."""
    parts = [f"define input:default-graph-uri {ox.NamedNode(g)}" for g in default]
    parts += [f"define input:named-graph-uri {ox.NamedNode(g)}" for g in named]
    return "\n".join(parts) + "\n"


_LIMIT = re.compile(r"(?i)\bLIMIT\s+(\d+)")


def limit(text: str, found: Shape) -> int | None:
    """The query's top-level LIMIT (after its WHERE group), if any."""
    if found.where_close is None:
        return None
    match = _LIMIT.search(text, found.where_close)
    return int(match.group(1)) if match else None
