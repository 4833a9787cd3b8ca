"""What the server must know about a request's text before an engine sees it: the query
form, FROM / FROM NAMED graphs, every SERVICE and LOAD target, per update operation where
USING clauses may go and whether WITH/USING is present, the graphs an update may write,
and whether a query is a bounded lookup (sparqltext/bounded.py) — read once per text.

SERVICE and LOAD are found wherever pyoxigraph would read them, which is more than where the
grammar puts them: its PEG parser matches keywords without a word boundary, so
``SERVICE:a {}`` is ``SERVICE :a {}``, ``SERVICESILENT <x> {}`` is ``SERVICE SILENT <x> {}``,
``trueSERVICE <x> {}`` (an object, then a SERVICE) and ``LOAD:a`` too. Any word holding
SERVICE or LOAD counts (no other keyword contains them), as does a prefixed name whose prefix
holds SERVICE and that a group follows (or, in an update, one holding LOAD at the top
level), unless it names a graph (after GRAPH, FROM, NAMED, …). A target that cannot be read
is reported as None (refused like a variable endpoint). A text with \\u escapes is also read
with them decoded everywhere (an engine may decode them before parsing, SPARQL 1.1 §19.2).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlsplit

from justicegraph.sparqltext.bounded import bounded_tokens
from justicegraph.sparqltext.lexer import (
    CACHE_ENTRIES,
    CACHE_MAX_CHARS,
    Names,
    Token,
    has_codepoint_escape,
    tokenize,
    unescape_codepoints,
)
from justicegraph.sparqltext.probe import Probes
from justicegraph.sparqltext.probe import patterns as probe_patterns

FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
_NAMES_A_GRAPH = ("GRAPH", "FROM", "NAMED", "USING", "WITH", "INTO", "TO", "ADD", "MOVE", "COPY", "SILENT",
                  "CREATE", "DROP", "CLEAR", "PREFIX")
_WRITES_AFTER = ("WITH", "INTO", "TO", "ADD", "COPY", "MOVE")


@dataclass(frozen=True)
class Scan:
    form: str | None = None  # SELECT, CONSTRUCT, DESCRIBE, ASK (queries)
    from_graphs: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()
    services: tuple[str | None, ...] = ()  # None: a variable (or unreadable) endpoint
    loads: tuple[str | None, ...] = ()
    has_dataset_clause: bool = False  # an update uses WITH or USING
    using_positions: tuple[int, ...] = ()  # where USING clauses may go
    operations: tuple[str, ...] = ()  # first two keywords of each update operation
    written: tuple[str, ...] = ()  # graphs an update may write (a superset: GRAPH in a WHERE counts)
    bounded: bool = False  # a query whose work is bounded by its answer (sparqltext/bounded.py)
    probes: Probes | None = None  # else: the patterns whose counts bound its work (sparqltext/probe.py)

    @property
    def insert_data_only(self) -> bool:
        return bool(self.operations) and all(op == "INSERT DATA" for op in self.operations)


def scan_query(text: str, base: str | None = None) -> Scan:
    """The scan of a query; repeated short texts (pages, clients, dashboards) are read once.
    The result is immutable (it may be shared)."""
    return _query_cached(text, base) if len(text) <= CACHE_MAX_CHARS else _scan_query(text, base)


def scan_update(text: str, base: str | None = None) -> Scan:
    return _update_cached(text, base) if len(text) <= CACHE_MAX_CHARS else _scan_update(text, base)


@functools.lru_cache(maxsize=CACHE_ENTRIES)
def _query_cached(text: str, base: str | None) -> Scan:
    return _scan_query(text, base)


@functools.lru_cache(maxsize=256)
def _update_cached(text: str, base: str | None) -> Scan:
    return _scan_update(text, base)


def _scan_query(text: str, base: str | None) -> Scan:
    tokens = tokenize(text)
    names = Names(base)
    i = names.prologue(tokens, 0)
    form = tokens[i].keyword if i < len(tokens) and tokens[i].keyword in FORMS else None
    from_graphs: list[str] = []
    from_named: list[str] = []
    n = len(tokens)
    for j in range(i, n):
        tok = tokens[j]
        if tok.depth == 0 and tok.keyword == "FROM" and j + 1 < n:
            named = tokens[j + 1].keyword == "NAMED"
            target = tokens[j + 2] if named and j + 2 < n else tokens[j + 1]
            iri = names.iri(target)
            if iri is not None:
                (from_named if named else from_graphs).append(iri)
    services = _services(tokens, names)
    if has_codepoint_escape(text):
        services += _alternative(text, base, query=True)[0]
    bounded = bounded_tokens(tokens)
    return Scan(form=form, from_graphs=tuple(from_graphs), from_named=tuple(from_named),
                services=tuple(_unique(services)), bounded=bounded,
                probes=None if bounded else probe_patterns(tokens, text))


def _scan_update(text: str, base: str | None) -> Scan:
    tokens = tokenize(text)
    names = Names(base)
    parts: dict[str, list] = {"services": [], "loads": [], "using_positions": [], "operations": [], "written": []}
    dataset_clause = False
    i, n = 0, len(tokens)
    while i < n:
        i = names.prologue(tokens, i)
        end = i
        while end < n and not (tokens[end].text == ";" and tokens[end].depth == 0 and tokens[end].kind == "punct"):
            end += 1
        dataset_clause |= _scan_operation(tokens[i:end], names, parts)
        i = end + 1
    if has_codepoint_escape(text):
        services, loads = _alternative(text, base, query=False)
        parts["services"] += services
        parts["loads"] += loads
    return Scan(services=tuple(_unique(parts["services"])), loads=tuple(_unique(parts["loads"])),
                has_dataset_clause=dataset_clause, using_positions=tuple(parts["using_positions"]),
                operations=tuple(parts["operations"]), written=tuple(_unique(parts["written"])))


def _scan_operation(op: tuple[Token, ...], names: Names, parts: dict[str, list]) -> bool:
    """Record one update operation; whether it has a WITH or USING clause."""
    if not op:
        return False
    first = op[0].keyword
    second = op[1].keyword if len(op) > 1 else ""
    parts["operations"].append(f"{first} {second}".strip())
    parts["services"] += _services(op, names)
    parts["loads"] += _loads(op, names)
    parts["written"] += _written(op, names)
    is_modify = first == "WITH" or (first in ("DELETE", "INSERT") and second not in ("DATA", "WHERE"))
    if not is_modify:
        return False
    dataset_clause = False
    for tok in op:
        if tok.depth == 0 and tok.keyword in ("WITH", "USING"):
            dataset_clause = True
        if tok.depth == 0 and tok.keyword == "WHERE":
            parts["using_positions"].append(tok.start)
            break
    return dataset_clause


def _alternative(text: str, base: str | None, *, query: bool) -> tuple[list, list]:
    """SERVICE and LOAD targets of the text read with its \\u escapes decoded everywhere."""
    decoded = unescape_codepoints(text)
    if decoded == text:
        return [], []
    scan = _scan_query(decoded, base) if query else _scan_update(decoded, base)
    return list(scan.services), list(scan.loads)


def _unique(items: list) -> list:
    return list(dict.fromkeys(items))


# -- SERVICE and LOAD -----------------------------------------------------------------------
def _services(tokens: tuple[Token, ...], names: Names) -> list[str | None]:
    out: list[str | None] = []
    n = len(tokens)
    for j, tok in enumerate(tokens):
        if tok.kind == "word":
            at = tok.keyword.find("SERVICE")
            if at >= 0:
                out.append(_target(tokens, j + 1, names) if tok.keyword[at + 7:] in ("", "SILENT") else None)
        elif tok.kind == "pname" and j + 1 < n and tokens[j + 1].text == "{" and not _names_a_graph(tokens, j):
            glued = _glued(tok, "SERVICE", names)
            if glued is not False:
                out.append(glued)
    return out


def _loads(op: tuple[Token, ...], names: Names) -> list[str | None]:
    out: list[str | None] = []
    for j, tok in enumerate(op):
        if tok.kind == "word":
            at = tok.keyword.find("LOAD")
            if at >= 0:
                out.append(_target(op, j + 1, names) if tok.keyword[at + 4:] in ("", "SILENT") else None)
        elif tok.kind == "pname" and tok.depth == 0 and not _names_a_graph(op, j):
            glued = _glued(tok, "LOAD", names)
            if glued is not False:
                out.append(glued)
    return out


def _names_a_graph(tokens: tuple[Token, ...], j: int) -> bool:
    """Whether the keyword before ``tokens[j]`` makes it a graph, a declared prefix or a
    SERVICE / LOAD target already counted (then it is no glued keyword)."""
    if j == 0:
        return False
    word = tokens[j - 1].keyword
    return word in _NAMES_A_GRAPH or "SERVICE" in word or "LOAD" in word


def _glued(tok: Token, keyword: str, names: Names) -> str | None | bool:
    """For a prefixed name whose prefix holds ``keyword`` (pyoxigraph reads ``SERVICE:a`` as
    ``SERVICE :a``): the target it names that way (None: unreadable); False if no keyword."""
    prefix, _, local = tok.text.partition(":")
    at = prefix.upper().find(keyword)
    if at < 0:
        return False
    rest = prefix[at + len(keyword):]
    if rest.upper().startswith("SILENT"):
        rest = rest[6:]
    return names.iri(tok._replace(text=f"{rest}:{local}"))


def _target(tokens: tuple[Token, ...], k: int, names: Names) -> str | None:
    if k < len(tokens) and tokens[k].keyword == "SILENT":
        k += 1
    return names.iri(tokens[k]) if k < len(tokens) else None


# -- graphs written -----------------------------------------------------------------------
def _written(op: tuple[Token, ...], names: Names) -> list[str]:
    """Graph IRIs the operation names as targets: ``GRAPH <g>`` (not after DROP or CLEAR),
    ``WITH <g>``, ``INTO GRAPH <g>``, ``TO <g>``, ADD/COPY/MOVE's source. A superset (a GRAPH
    of a WHERE counts too): granting read on a public name that holds nothing exposes nothing."""
    out = []
    for k, tok in enumerate(op):
        if tok.kind not in ("iri", "pname"):
            continue
        m, graph = k - 1, False
        if m >= 0 and op[m].keyword == "GRAPH":
            graph, m = True, m - 1
        if m >= 0 and op[m].keyword == "SILENT":
            m -= 1
        word = op[m].keyword if m >= 0 else ""
        if (word not in ("DROP", "CLEAR")) if graph else (word in _WRITES_AFTER):
            iri = names.iri(tok)
            if iri is not None:
                out.append(iri)
    return out


def written_graphs(update: str) -> set[str]:
    """Graph IRIs an update may write (to let the anonymous user read the public ones)."""
    return set(scan_update(update).written)


# -- the protocol's rewrites and policies ---------------------------------------------------
def with_using(text: str, positions: tuple[int, ...] | list[int], default: list[str], named: list[str]) -> str:
    """The update text with USING / USING NAMED clauses inserted before each WHERE of a
    DELETE/INSERT operation (how protocol using-graph-uri parameters apply, §2.2.3)."""
    clause = "".join(f"USING <{g}> " for g in default) + "".join(f"USING NAMED <{g}> " for g in named)
    out, last = [], 0
    for pos in positions:
        out.append(text[last:pos])
        out.append(clause)
        last = pos
    out.append(text[last:])
    return "".join(out)


def allowed(target: str | None, allowlist: list[str]) -> bool:
    """An endpoint may be reached only if it is an IRI under an operator-listed prefix — on
    the same scheme, host and port: a bare string prefix 'http://a.example' would also admit
    'http://a.example@127.0.0.1/' (user info) and 'http://a.example.evil.net/'."""
    return target is not None and any(_under(target, prefix) for prefix in allowlist if prefix)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _under(target: str, prefix: str) -> bool:
    t, p = urlsplit(target), urlsplit(prefix)
    try:
        t_port = t.port or _DEFAULT_PORTS.get(t.scheme.lower())
        p_port = p.port or _DEFAULT_PORTS.get(p.scheme.lower())
    except ValueError:  # a port that is not a number
        return False
    if t.username is not None or t.password is not None:
        return False
    same_origin = (t.scheme.lower(), t.hostname, t_port) == (p.scheme.lower(), p.hostname, p_port)
    return same_origin and t.path.startswith(p.path) and target.startswith(prefix)
