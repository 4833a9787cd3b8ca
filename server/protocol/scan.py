"""A SPARQL tokenizer that finds what the server must know before the engine sees a request.

It reads the text the way the SPARQL grammar does — IRIs, strings (all four quotings),
comments, variables, prefixed names, language tags — so a keyword inside a string, an IRI,
a comment or a prefixed name (``ex:service``, ``?load``) is never mistaken for one. From the
tokens it reports: the query form, FROM / FROM NAMED graphs, every SERVICE and LOAD target,
and per update operation where USING clauses may go and whether WITH/USING is present.

It is not a validating parser (pyoxigraph parses and reports syntax errors with their
position); it only has to be right about the tokens, and it is cheap (one regex pass).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
        |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<bnode>_:[\w.\-]*)
  | (?P<pname>(?:[^\W\d_][\w.\-]*)?:(?:[\w:%\-.]|\\.)*)
  | (?P<word>[^\W\d][\w]*)
  | (?P<number>\d[\w.]*)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    depth: int  # brace depth before this token

    @property
    def keyword(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def tokenize(text: str) -> list[Token]:
    tokens, depth = [], 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("ws", "comment"):
            continue
        value = match.group()
        if kind == "punct" and value == "}":
            depth -= 1
        tokens.append(Token(kind, value, match.start(), depth))
        if kind == "punct" and value == "{":
            depth += 1
    return tokens


@dataclass
class Scan:
    form: str | None = None  # SELECT, CONSTRUCT, DESCRIBE, ASK (queries)
    from_graphs: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)
    services: list[str | None] = field(default_factory=list)  # None: a variable endpoint
    loads: list[str | None] = field(default_factory=list)
    has_dataset_clause: bool = False  # an update uses WITH or USING
    using_positions: list[int] = field(default_factory=list)  # where USING clauses may go
    operations: list[str] = field(default_factory=list)  # first two keywords of each update operation

    @property
    def insert_data_only(self) -> bool:
        return bool(self.operations) and all(op == "INSERT DATA" for op in self.operations)


class _Resolver:
    """Turns IRIREF / prefixed-name tokens into IRIs as the prologue declares them."""

    def __init__(self, base: str | None):
        self.base = base
        self.prefixes: dict[str, str] = {}

    def iri(self, token: Token) -> str | None:
        if token.kind == "iri":
            value = token.text[1:-1]
            if self.base and not re.match(r"^[A-Za-z][\w+.\-]*:", value):
                from urllib.parse import urljoin

                return urljoin(self.base, value)
            return value
        if token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            namespace = self.prefixes.get(prefix)
            return None if namespace is None else namespace + re.sub(r"\\(.)", r"\1", local)
        return None

    def prologue(self, tokens: list[Token], i: int) -> int:
        """Consume BASE/PREFIX declarations from tokens[i]; return the next index."""
        while i < len(tokens):
            kw = tokens[i].keyword
            if kw == "BASE" and i + 1 < len(tokens):
                self.base = self.iri(tokens[i + 1]) or self.base
                i += 2
            elif kw == "PREFIX" and i + 2 < len(tokens) and tokens[i + 1].kind == "pname":
                self.prefixes[tokens[i + 1].text[:-1]] = self.iri(tokens[i + 2]) or ""
                i += 3
            else:
                return i
        return i


def scan_query(text: str, base: str | None = None) -> Scan:
    tokens = tokenize(text)
    resolver = _Resolver(base)
    i = resolver.prologue(tokens, 0)
    scan = Scan()
    if i < len(tokens) and tokens[i].keyword in ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK"):
        scan.form = tokens[i].keyword
    for j in range(i, len(tokens)):
        tok = tokens[j]
        if tok.keyword == "FROM" and tok.depth == 0 and j + 1 < len(tokens):
            named = tokens[j + 1].keyword == "NAMED"
            target = tokens[j + 2] if named and j + 2 < len(tokens) else tokens[j + 1]
            iri = resolver.iri(target)
            if iri is not None:
                (scan.from_named if named else scan.from_graphs).append(iri)
        elif tok.keyword == "SERVICE":
            scan.services.append(_target(tokens, j, resolver))
    return scan


def scan_update(text: str, base: str | None = None) -> Scan:
    tokens = tokenize(text)
    resolver = _Resolver(base)
    scan = Scan()
    i = 0
    while i < len(tokens):
        i = resolver.prologue(tokens, i)
        end = i
        while end < len(tokens) and not (tokens[end].text == ";" and tokens[end].depth == 0
                                          and tokens[end].kind == "punct"):
            end += 1
        _scan_operation(tokens[i:end], resolver, scan)
        i = end + 1
    return scan


def _scan_operation(op: list[Token], resolver: _Resolver, scan: Scan) -> None:
    if not op:
        return
    first = op[0].keyword
    second = op[1].keyword if len(op) > 1 else ""
    scan.operations.append(f"{first} {second}".strip())
    for j, tok in enumerate(op):
        if tok.keyword == "SERVICE":
            scan.services.append(_target(op, j, resolver))
    if first == "LOAD":
        scan.loads.append(_target(op, 0, resolver))
        return
    is_modify = first == "WITH" or (first in ("DELETE", "INSERT") and second not in ("DATA", "WHERE"))
    if not is_modify:
        return
    for tok in op:
        if tok.depth == 0 and tok.keyword in ("WITH", "USING"):
            scan.has_dataset_clause = True
        if tok.depth == 0 and tok.keyword == "WHERE":
            scan.using_positions.append(tok.start)
            break


def _target(tokens: list[Token], j: int, resolver: _Resolver) -> str | None:
    k = j + 1
    if k < len(tokens) and tokens[k].keyword == "SILENT":
        k += 1
    if k < len(tokens):
        return resolver.iri(tokens[k])
    return None


def with_using(text: str, positions: list[int], default: list[str], named: list[str]) -> str:
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
    from urllib.parse import urlsplit

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
