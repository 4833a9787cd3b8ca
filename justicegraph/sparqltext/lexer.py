"""THE SPARQL tokenizer: the terminals of the SPARQL 1.1 grammar (§19.8), longest match first.

A keyword inside a string, an IRI, a comment, a prefixed name (``ex:service``) or a variable
(``?load``) is never mistaken for one. Faithful where a sloppier lexer goes wrong: a prefixed
name cannot end with '.' (``ex:o.`` is ``ex:o`` then ``.``), PN_LOCAL escapes (``ex:a\\/b``)
and percent-encodings, ``'''`` / ``\"\"\"`` strings, comments that end at CR as well as LF,
``$var``, keywords matched case-insensitively while ``a`` is its own token, numbers that stop
where the grammar stops them (``1.`` is ``1`` then ``.``), whitespace that is only what the
grammar calls whitespace. Characters no terminal starts with are single ``punct`` tokens
(also ``^^``), so nothing is ever skipped silently.

It is not a parser: pyoxigraph parses (sparqltext/parse.py). The token list is what every
analysis here reads; it is cached for texts of up to ``CACHE_MAX_CHARS`` characters.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

CACHE_MAX_CHARS = 4096  # longer texts are rarely repeated: not worth holding
CACHE_ENTRIES = 1024

_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
         "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_U = _BASE + "_"  # PN_CHARS_U
_C = _U + r"\-0-9\u00B7\u0300-\u036F\u203F-\u2040"  # PN_CHARS
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = rf"""\\[tbnrf\\"']|{_UCHAR}"""
PN_PREFIX = rf"[{_BASE}](?:[{_C}.]*[{_C}])?"
PN_LOCAL = rf"(?:[{_U}:0-9]|{_PLX})(?:(?:[{_C}.:]|{_PLX})*(?:[{_C}:]|{_PLX}))?"

# One match per token, the whitespace and comments before it included (half the matches of
# a pattern that matches them apart); alternatives in the order of their frequency, each
# written so it cannot backtrack (possessive quantifiers). A word is a keyword unless a
# prefixed name goes on from it (`ex:`, `a.b:`): then the pname alternative reads it.
_TOKEN = re.compile(r"(?:[ \t\r\n]++|#[^\r\n]*+)*+(?:" + "|".join([
    rf"(?P<var>[?$][{_U}0-9][{_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*+)",
    rf"(?P<word>[A-Za-z][A-Za-z0-9_]*+(?!(?:[{_C}.]*[{_C}])?:))",
    rf"""(?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]++|{_UCHAR})*+>)""",
    "(?P<string>"
    rf"'''(?:(?:'|'')?(?:[^'\\]++|{_ECHAR}))*+'''"
    rf'|"""(?:(?:"|"")?(?:[^"\\]++|{_ECHAR}))*+"""'
    rf"|'(?:[^'\\\n\r]++|{_ECHAR})*+'"
    rf'|"(?:[^"\\\n\r]++|{_ECHAR})*+"'
    ")",
    rf"(?P<pname>(?:{PN_PREFIX})?:(?:{PN_LOCAL})?)",
    r"(?P<number>[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.?[0-9]+[eE][+-]?[0-9]+|[0-9]*\.[0-9]+|[0-9]+)",
    r"(?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)",
    rf"(?P<bnode>_:[{_U}0-9](?:[{_C}.]*[{_C}])?)",
    r"(?P<punct>\^\^|.)",
    r"(?P<end>\Z)",  # trailing whitespace and comments: one last match, no token
]) + ")", re.DOTALL)


class Token(NamedTuple):
    kind: str  # iri, string, var, lang, bnode, pname, number, word, punct
    text: str
    start: int  # offsets into the text: text[start:end] == self.text
    end: int
    depth: int  # brace depth before this token ("{" opens after itself, "}" closes before)

    @property
    def keyword(self) -> str:
        """The upper-cased word ("" for anything else): keywords are case-insensitive."""
        return self.text.upper() if self.kind == "word" else ""


def tokenize(text: str) -> tuple[Token, ...]:
    """The tokens of ``text`` (whitespace and comments left out), cached for short texts."""
    return _cached(text) if len(text) <= CACHE_MAX_CHARS else _tokenize(text)


@functools.lru_cache(maxsize=CACHE_ENTRIES)
def _cached(text: str) -> tuple[Token, ...]:
    return _tokenize(text)


def _tokenize(text: str) -> tuple[Token, ...]:
    tokens: list[Token] = []
    append, new, depth = tokens.append, tuple.__new__, 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "end":
            break
        start, end = match.start(kind), match.end()
        value = text[start:end]
        if kind == "punct":
            if value == "{":
                append(new(Token, (kind, value, start, end, depth)))
                depth += 1
                continue
            if value == "}":
                depth -= 1
        append(new(Token, (kind, value, start, end, depth)))
    return tuple(tokens)


# -- IRIs ---------------------------------------------------------------------------------------
_UCHAR_RE = re.compile(_UCHAR)
_LOCAL_ESCAPE = re.compile(r"\\(.)")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_PARTS = re.compile(r"(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL)  # RFC 3986 B


def _uchar(match: re.Match) -> str:
    return chr(int(match.group()[2:], 16))


def iri_value(token: Token) -> str:
    """The IRI an IRIREF token writes, its \\u escapes decoded (unresolved)."""
    inner = token.text[1:-1]
    return _UCHAR_RE.sub(_uchar, inner) if "\\" in inner else inner


def is_relative(iri: str) -> bool:
    return _SCHEME.match(iri) is None


def resolve(base: str, ref: str) -> str:
    """``ref`` resolved against ``base`` as RFC 3986 §5.2 says (and pyoxigraph does): for
    any scheme, keeping an empty query or fragment (urllib's urljoin does neither)."""
    scheme, authority, path, query, fragment = _PARTS.fullmatch(ref).groups()
    if scheme is None:
        b_scheme, b_authority, b_path, b_query, _ = _PARTS.fullmatch(base).groups()
        scheme = b_scheme
        if authority is None:
            authority = b_authority
            if path == "":
                path = b_path
                query = b_query if query is None else query
            else:
                if not path.startswith("/"):
                    if b_authority is not None and b_path == "":
                        path = "/" + path
                    else:
                        path = b_path[: b_path.rfind("/") + 1] + path
    rootless = not path.startswith("/")
    path = _remove_dot_segments(path)
    if authority is None and rootless and path.startswith("/"):
        path = path[1:]  # (as pyoxigraph: "tag:x/y" and "../g" give "tag:g", not "tag:/g")
    out = f"{scheme}:" if scheme is not None else ""
    if authority is not None:
        out += "//" + authority
    out += path
    if query is not None:
        out += "?" + query
    if fragment is not None:
        out += "#" + fragment
    return out


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    out: list[str] = []
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith("./"):
            path = path[2:]
        elif path.startswith("/./"):
            path = path[2:]
        elif path == "/.":
            path = "/"
        elif path.startswith("/../"):
            path = path[3:]
            if out:
                out.pop()
        elif path == "/..":
            path = "/"
            if out:
                out.pop()
        elif path in (".", ".."):
            path = ""
        else:
            at = path.find("/", 1)
            at = len(path) if at < 0 else at
            out.append(path[:at])
            path = path[at:]
    return "".join(out)


class Names:
    """Turns IRIREF / prefixed-name tokens into IRIs as the prologue declares them."""

    def __init__(self, base: str | None = None):
        self.base = base
        self.prefixes: dict[str, str] = {}

    def iri(self, token: Token) -> str | None:
        """The IRI the token names; None for anything else or an undeclared prefix."""
        if token.kind == "iri":
            value = iri_value(token)
            return resolve(self.base, value) if self.base and is_relative(value) else value
        if token.kind == "pname":
            prefix, _, local = token.text.partition(":")
            namespace = self.prefixes.get(prefix)
            if namespace is None:
                return None
            return namespace + (_LOCAL_ESCAPE.sub(r"\1", local) if "\\" in local else local)
        return None

    def prologue(self, tokens: tuple[Token, ...], i: int) -> int:
        """Read BASE / PREFIX / VERSION declarations from ``tokens[i]``; the index after them.
        Also as pyoxigraph's PEG parser reads them when glued: ``PREFIX:<…>`` declares the
        empty prefix, ``PREFIXex:<…>`` the prefix ``ex``."""
        n = len(tokens)
        while i < n:
            tok = tokens[i]
            kw = tok.keyword
            if kw == "BASE" and i + 1 < n:
                self.base = self.iri(tokens[i + 1]) or self.base
                i += 2
            elif kw == "PREFIX" and i + 2 < n and tokens[i + 1].kind == "pname" and tokens[i + 1].text.endswith(":"):
                self.prefixes[tokens[i + 1].text[:-1]] = self.iri(tokens[i + 2]) or ""
                i += 3
            elif (tok.kind == "pname" and tok.text.upper().startswith("PREFIX") and tok.text.endswith(":")
                  and tok.text.count(":") == 1 and i + 1 < n and tokens[i + 1].kind == "iri"):
                self.prefixes[tok.text[6:-1]] = self.iri(tokens[i + 1]) or ""
                i += 2
            elif kw == "VERSION" and i + 1 < n and tokens[i + 1].kind == "string":
                i += 2  # SPARQL 1.2's version declaration (pyoxigraph reads it)
            else:
                return i
        return i


# -- codepoint escapes --------------------------------------------------------------------------
def has_codepoint_escape(text: str) -> bool:
    return ("\\u" in text or "\\U" in text) and _UCHAR_RE.search(text) is not None


def unescape_codepoints(text: str) -> str:
    """``text`` with every \\uXXXX / \\UXXXXXXXX replaced by its character, everywhere — as
    SPARQL 1.1 §19.2 says a processor may do before parsing (pyoxigraph does it only inside
    strings and IRIs; another engine may do it anywhere, so the scan reads this text too)."""
    def one(match: re.Match) -> str:
        code = int(match.group()[2:], 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group()

    return _UCHAR_RE.sub(one, text)
