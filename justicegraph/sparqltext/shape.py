"""What the remote store must know about a query's text: its form (SELECT/ASK/CONSTRUCT/
DESCRIBE), its dataset clauses (FROM / FROM NAMED) and where they are, where its WHERE group
opens and closes — so that saved-query parameters can be bound by a VALUES block placed
inside that group — the IRIs it names, whether it writes a relative IRI or a constant GRAPH,
its top-level LIMIT and a final ORDER BY. Nothing here splices caller text: only terms
serialised by pyoxigraph are inserted, and only dataset clauses are cut out.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pyoxigraph as ox

from justicegraph.sparqltext.lexer import CACHE_ENTRIES, CACHE_MAX_CHARS, Names, Token, iri_value, tokenize
from justicegraph.sparqltext.parse import syntax_error
from justicegraph.sparqltext.scan import FORMS


@dataclass(frozen=True)
class Shape:
    form: str
    prefixes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    from_default: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()
    dataset_spans: tuple[tuple[int, int], ...] = ()
    where_open: int | None = None  # offset just after the WHERE group's "{"
    where_close: int | None = None  # offset of its matching "}"
    subselect: bool = False  # the WHERE group is itself a sub-SELECT
    template_is_pattern: bool = False  # CONSTRUCT WHERE { … }: the group is also the template
    pragmas: bool = False  # Virtuoso-style `define …` before the query form


def shape(text: str) -> Shape:
    """The parts of a query the remote store needs (immutable, cached for short texts).
    Raises SyntaxError when the query has no recognisable form or unbalanced braces (the
    engine would refuse it anyway), located in the caller's text by pyoxigraph's parser
    where it can (``syntax_error``)."""
    try:
        return _cached(text) if len(text) <= CACHE_MAX_CHARS else _shape(text)
    except SyntaxError as exc:
        raise syntax_error(text) or exc from None


@functools.lru_cache(maxsize=CACHE_ENTRIES)
def _cached(text: str) -> Shape:
    return _shape(text)


def _shape(text: str) -> Shape:
    toks = tokenize(text)
    names = Names(None)  # relative IRIs stay relative: the engine's base resolves them
    pragmas = False
    i, n = 0, len(toks)
    while True:
        i = names.prologue(toks, i)
        if i >= n:
            # SyntaxError, as pyoxigraph raises for a text that is no query: the caller answers 400.
            raise SyntaxError("not a SPARQL query: no SELECT, CONSTRUCT, DESCRIBE or ASK")
        if toks[i].keyword in FORMS:
            break
        pragmas = pragmas or toks[i].keyword == "DEFINE"
        i += 1
    form = toks[i].keyword
    template_is_pattern = False
    i += 1
    if form == "CONSTRUCT" and i < n and toks[i].text == "{":
        i = _matching(toks, i) + 1  # skip the template
    elif form == "CONSTRUCT":
        template_is_pattern = True
    from_default, from_named, spans = [], [], []
    where_open = where_close = None
    subselect = False
    while i < n:
        tok = toks[i]
        if tok.keyword == "FROM":
            named = i + 1 < n and toks[i + 1].keyword == "NAMED"
            k = i + 2 if named else i + 1
            if k >= n:
                raise SyntaxError("FROM names no graph")
            iri = names.iri(toks[k])
            if iri is None:
                raise SyntaxError(f"FROM names an unknown prefix or a bad IRI: {toks[k].text!r}")
            (from_named if named else from_default).append(iri)
            spans.append((tok.start, toks[k].end))
            i = k + 1
            continue
        if tok.text == "{" and tok.kind == "punct":
            close = _matching(toks, i)
            where_open, where_close = tok.end, toks[close].start
            subselect = i + 1 < n and toks[i + 1].keyword == "SELECT"
            break
        i += 1
    return Shape(form=form, prefixes=MappingProxyType(dict(names.prefixes)), from_default=tuple(from_default),
                 from_named=tuple(from_named), dataset_spans=tuple(spans), where_open=where_open,
                 where_close=where_close, subselect=subselect, template_is_pattern=template_is_pattern,
                 pragmas=pragmas)


def _matching(toks: tuple[Token, ...], i: int) -> int:
    depth = toks[i].depth
    for j in range(i + 1, len(toks)):
        if toks[j].depth == depth and toks[j].text == "}" and toks[j].kind == "punct":
            return j
    raise SyntaxError("unbalanced braces in the query")


def without_dataset_clauses(text: str, found: Shape) -> str:
    """The query with its FROM / FROM NAMED clauses blanked out (same length, same lines)."""
    chars = list(text)
    for start, end in found.dataset_spans:
        for k in range(start, end):
            if chars[k] != "\n":
                chars[k] = " "
    return "".join(chars)


# -- binding parameters -------------------------------------------------------------------------
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
    toks = tokenize(text)
    inserts: list[tuple[int, str]] = []
    for i, tok in enumerate(toks):
        if tok.start < found.where_open or tok.keyword != "SELECT":
            continue
        projected: set[str] = set()
        j = i + 1
        while j < len(toks) and toks[j].text != "{":
            if toks[j].kind == "var":
                projected.add("?" + toks[j].text[1:])
            elif toks[j].text == "*":
                projected |= set(names)
            j += 1
        bound = {ox.Variable(n[1:]): names[n] for n in names if n in projected}
        if bound and j < len(toks):
            inserts.append((toks[j].end, values_block(bound)))
    for offset, block in sorted(inserts, reverse=True):
        text = text[:offset] + block + text[offset:]
    return text


def with_values(text: str, block: str) -> str:
    """``block`` inserted just after the first ``WHERE {`` (not one in a comment, string or
    IRI); the text unchanged if it has none."""
    toks = tokenize(text)
    for i, tok in enumerate(toks[:-1]):
        if tok.keyword == "WHERE" and toks[i + 1].text == "{":
            at = toks[i + 1].end
            return text[:at] + block + text[at:]
    return text


# -- what the text names ------------------------------------------------------------------------
def iris(text: str, found: Shape, limit: int = 500) -> set[str]:
    """Absolute IRIs the query names (written out or as prefixed names), at most ``limit``."""
    names = Names(None)
    names.prefixes = dict(found.prefixes)
    out: set[str] = set()
    for tok in tokenize(text):
        iri = None
        if tok.kind == "iri" and ":" in tok.text:
            iri = iri_value(tok)
        elif tok.kind == "pname":
            iri = names.iri(tok)
        if iri is not None and _absolute(iri):  # (a relative PREFIX IRI is the engine's to resolve)
            out.add(iri)
        if len(out) >= limit:
            break
    return out


def has_relative_iri(text: str) -> bool:
    """Whether the query writes a relative IRI (one its base resolves)."""
    return any(tok.kind == "iri" and not _absolute(iri_value(tok)) for tok in tokenize(text))


def _absolute(iri: str) -> bool:
    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return True


def constant_graph(text: str) -> bool:
    """Whether any ``GRAPH`` keyword of the text is followed by an IRI (not a variable)."""
    toks = tokenize(text)
    return any(tok.keyword == "GRAPH" and i + 1 < len(toks) and toks[i + 1].kind != "var"
               for i, tok in enumerate(toks))


def variables(text: str) -> set[str]:
    """The names of the variables the text uses (``?x`` and ``$x`` are both ``x``)."""
    return {tok.text[1:] for tok in tokenize(text) if tok.kind == "var"}


def limit(text: str, found: Shape) -> int | None:
    """The query's top-level LIMIT (after its WHERE group), if any."""
    if found.where_close is None:
        return None
    toks = tokenize(text)
    for i, tok in enumerate(toks[:-1]):
        if tok.start >= found.where_close and tok.depth == 0 and tok.keyword == "LIMIT":
            following = toks[i + 1]
            return int(following.text) if following.kind == "number" and following.text.isdigit() else None
    return None


def final_order_by(text: str, found: Shape) -> tuple[int, int, frozenset[str]] | None:
    """For a SELECT whose last clause is ORDER BY: the offset of the SELECT keyword (what is
    before it is the prologue), that of ORDER, and the variables the ORDER BY names. None
    if the query has no ORDER BY after its WHERE group, or a LIMIT, OFFSET or VALUES after it."""
    if found.form != "SELECT" or found.where_close is None:
        return None
    toks = tokenize(text)
    tail = [t for t in toks if t.start > found.where_close]
    words = [t.text.upper() for t in tail]
    if "ORDER" not in words:
        return None
    at = words.index("ORDER")
    if any(w in ("LIMIT", "OFFSET", "VALUES", "ORDER") for w in words[at + 1:]):
        return None
    form = next(t.start for t in toks if t.keyword == "SELECT")
    keys = frozenset(t.text[1:] for t in tail[at:] if t.kind == "var")
    return form, tail[at].start, keys
