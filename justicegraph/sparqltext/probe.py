"""Queries whose work a few index probes can bound, so they may run in the web worker.

``bounded.py`` takes one triple pattern, whose work the answer bounds. Lookups of other shapes
— two patterns on an entity, a FILTER, ``skos:prefLabel|skos:altLabel``, a CONSTRUCT of an
entity's triples — went to an executor process, the one place a query can be stopped at the
time limit. Their work is bounded too, by the data rather than the answer: evaluated in any
order, by nested loops or hash joins, a pattern never yields more solutions than it matches
alone (bindings only narrow its index range), so a group of ``k`` patterns that match
``c1 … ck`` quads alone makes at most ``k · c1 ⋯ ck`` intermediate solutions. FILTERs (without
EXISTS) cost a bounded amount per solution; OPTIONAL, UNION, DISTINCT, ORDER BY, LIMIT and a
CONSTRUCT template add no more than that product.

``patterns`` reads the narrow class where that holds and returns the patterns to probe:
``SELECT`` (variables, ``*`` or ``(expression AS ?v)`` — aggregates too —, optional
DISTINCT/REDUCED), ``ASK`` or ``CONSTRUCT`` (a template or ``CONSTRUCT WHERE``) over a group of
triple patterns — terms, ``a``, a predicate that is one IRI, ``^IRI`` or an alternative of
those — with FILTER, BIND, OPTIONAL and UNION groups of the same, then GROUP BY, HAVING,
ORDER BY variables, LIMIT and OFFSET; and ``DESCRIBE <iri>`` of a resource none of whose
objects is a blank node (its description is then its own triples). Anything else (BASE, relative IRIs, codepoint escapes,
EXISTS, subqueries, GRAPH, VALUES, MINUS, SERVICE, property paths beyond alternatives,
``[]`` and collections, DESCRIBE of anything but one IRI) is not probed, nor is a pattern with neither subject nor
object a constant (it counts a predicate's every use: nearly always over the cap). A probe's
term is an IRI or None (anything else: a variable or a literal, which only widens the
probe). ``within`` then counts each pattern's matches in the store (stopping at
``PROBE_CAP``), and the query runs inline only when the product stays under
``WORK_CAP`` — and, times the length of its expressions and template, under ``EVAL_CAP`` (a
FILTER is evaluated, a template written, for every solution); otherwise an executor runs it as
before. Expressions may call only functions whose value is no bigger than their arguments
(no CONCAT, REPLACE, GROUP_CONCAT, REGEX — whose pattern may be compiled per solution): one
solution cannot build a huge value in the web worker.

One shape beyond that class is the commonest lookup of all, an entity's triples with the
labels of what they point to: ``SELECT ?p ?o ?l { <e> ?p ?o OPTIONAL { ?o skos:prefLabel ?l }
}``. Its OPTIONAL's pattern has no constant, so counting it would count the predicate's every
use — and the engine may indeed read all of them, by a hash join. ``_Reader._lateral`` takes
that shape (probed triples, perhaps one triple anchored by their variables — the same lookup
without OPTIONAL —, then OPTIONALs of one pattern anchored by a variable of the triples before
them; nothing that drops or holds rows) and runs the anchored parts as ``LATERAL { … }``: the
same answer, evaluated per solution by definition, so its work is bounded by the answer, which
the inline run caps at its budget of bytes.
"""

from __future__ import annotations

from typing import NamedTuple

from justicegraph.sparqltext.lexer import Names, Token, iri_value, is_relative

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PROBE_CAP = 512  # quads counted per pattern before the probe gives up (then: an executor)
WORK_CAP = 20_000  # k · c1 ⋯ ck: at most this many intermediate solutions in the web worker
# … times the characters of the query's expressions (FILTER, BIND, projection, GROUP BY, HAVING)
# and CONSTRUCT template: what evaluating and writing them for every solution may cost
EVAL_CAP = 2_000_000
# The words an expression may use: operators' keywords and functions whose value is no larger
# than their arguments (a cast by an XSD datatype IRI is allowed too). Not CONCAT, REPLACE,
# GROUP_CONCAT or ENCODE_FOR_URI (a value many times an argument's size), REGEX (its pattern
# may be compiled for every solution), EXISTS (a pattern per solution), nor custom functions.
EXPRESSION_WORDS = frozenset("""
    AS IN NOT DISTINCT TRUE FALSE STR LANG LANGMATCHES DATATYPE BOUND SAMETERM ISIRI ISURI ISBLANK
    ISLITERAL ISNUMERIC STRLEN LCASE UCASE STRSTARTS STRENDS CONTAINS STRBEFORE STRAFTER SUBSTR ABS
    ROUND CEIL FLOOR YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ IF COALESCE STRDT STRLANG IRI
    URI COUNT SUM MIN MAX AVG SAMPLE""".split())
XSD = "http://www.w3.org/2001/XMLSchema#"
MAX_PATTERNS = 8
SMALL = 16  # matches counted through Python before the engine counts the rest

Pattern = tuple[str | None, str | None, str | None]
# Counts kept per (snapshot, pattern): a snapshot never changes, and an entity's patterns are
# asked again and again (its page, its lookups). Counting costs ~20 µs a pattern, more past
# SMALL matches (then the engine counts); a kept count ~0.3 µs. Counts of the public view and
# of a whole snapshot are kept under their own paths: one never answers for the other.
COUNTS_KEPT = 16_384
_COUNTS: dict[tuple[str, Pattern], tuple[int, bool]] = {}


class Probes(NamedTuple):
    patterns: tuple[Pattern, ...]
    expression_chars: int  # of FILTER, BIND, projection, GROUP BY, HAVING and a CONSTRUCT template
    # DESCRIBE <iri>: its description is its own triples, and — pyoxigraph describes a resource
    # by its Concise Bounded Description — those of the blank nodes they reach, recursively: so
    # inline only when none of its objects is a blank node
    describe: bool = False
    # a label lookup (``<e> ?p ?o OPTIONAL { ?o skos:prefLabel ?l }``): the text to run inline,
    # its anchored triple and OPTIONALs each written ``LATERAL { … }`` (see _Reader._lateral)
    lateral: str | None = None


class _Span(NamedTuple):
    """An OPTIONAL group, or a triples statement of the WHERE group."""
    start: int  # its first token (an OPTIONAL's keyword)
    end: int  # the token after its last (an OPTIONAL's closing brace)
    first: int  # its patterns: found[first:last]
    last: int
    depth: int  # 1: directly in the WHERE group


class _NotProbed(Exception):
    pass


def patterns(tokens: tuple[Token, ...], text: str) -> Probes | None:
    """The patterns to probe, or None when the query is outside the class."""
    if "\\u" in text or "\\U" in text:  # codepoint escapes: the IRIs read here might not be the engine's
        return None
    try:
        reader = _Reader(tokens)
        probes = reader.query()
    except (_NotProbed, IndexError):
        return None
    if reader.dependent:
        return probes._replace(lateral=_lateral_text(text, tokens, reader.dependent))
    return probes


def _lateral_text(text: str, tokens: tuple[Token, ...], spans: list[_Span]) -> str:
    """``text`` with each of ``spans`` (an OPTIONAL group, a triple) written ``LATERAL { … }``:
    the user's own text between the insertions, at token offsets."""
    parts, at = [], 0
    for span in sorted(spans):
        start, end = tokens[span.start].start, tokens[span.end - 1].end
        parts += [text[at:start], "LATERAL { ", text[start:end], " }"]
        at = end
    parts.append(text[at:])
    return "".join(parts)


def within(store, probes: Probes, snapshot: str | None = None) -> bool:
    """Whether the query's work is small on this store: every pattern matches at most
    PROBE_CAP quads (in any graph: an upper bound for every dataset), k times the product of
    the counts is at most WORK_CAP, and that times the expressions' length at most EVAL_CAP.
    ``snapshot`` names the store's immutable content (a snapshot's path): its counts are then
    kept, and a pattern asked again on it is not counted again."""
    bound = len(probes.patterns)
    cap = min(WORK_CAP, EVAL_CAP // max(probes.expression_chars, 1))
    # the most specific first: a pattern over the limit is found before the others are counted
    for probe in sorted(probes.patterns, key=lambda t: sum(x is None for x in t)):
        key = (snapshot, probe)
        found = _COUNTS.get(key) if snapshot is not None else None
        try:
            count, blank = found if found is not None else _count(store, probe)
        except (ValueError, SyntaxError, OSError, RuntimeError):
            return False  # an IRI pyoxigraph refuses: the executor reports the query's error
        if found is None and snapshot is not None:
            if len(_COUNTS) >= COUNTS_KEPT:
                _COUNTS.clear()  # a new generation: cheaper than an LRU's bookkeeping on every hit
            _COUNTS[key] = (count, blank)
        if count > PROBE_CAP or (probes.describe and blank):
            return False
        bound *= max(count, 1)
        if bound > cap:
            return False
    return True


def _count(store, probe: Pattern) -> tuple[int, bool]:
    """The pattern's matches in every graph, up to PROBE_CAP + 1, and whether an object among
    them is a blank node. A few are counted through Python; past SMALL, the engine counts (a
    match costs ~4 µs as a Python object, ~0.4 µs there)."""
    import pyoxigraph as ox

    terms = [ox.NamedNode(x) if x is not None else None for x in probe]
    count, blank = 0, False
    for quad in store.quads_for_pattern(*terms):
        count += 1
        blank = blank or isinstance(quad.object, ox.BlankNode)
        if count > SMALL:
            break
    else:
        return count, blank
    # typed terms written by pyoxigraph, never the query's own text
    pattern = " ".join(str(t) if t is not None else v for t, v in zip(terms, ("?s", "?p", "?o"), strict=True))
    text = (f"SELECT (COUNT(*) AS ?c) (SUM(IF(isBlank(?o), 1, 0)) AS ?b) WHERE {{ SELECT ?o WHERE {{ "
            f"{{ {pattern} }} UNION {{ GRAPH ?g {{ {pattern} }} }} }} LIMIT {PROBE_CAP + 1} }}")
    row = next(iter(store.query(text)))
    return int(row["c"].value), row["b"].value != "0"


class _Reader:
    def __init__(self, tokens: tuple[Token, ...]):
        self.tokens, self.i = tokens, 0
        self.names = Names(None)
        self.found: list[Pattern] = []
        self.variables: list[tuple[str | None, str | None, str | None]] = []  # found's variable names
        self.expression_chars = 0
        # the label-lookup class (_lateral): nothing but triples and OPTIONALs, and no modifier
        # but LIMIT; the OPTIONAL groups and triples statements read, and what runs as LATERAL
        self.plain = True
        self.depth = 0
        self.optionals: list[_Span] = []
        self.statements: list[_Span] = []  # the WHERE group's own triples statements
        self.dependent: list[_Span] = []  # what runs as LATERAL

    # -- the query ------------------------------------------------------------------------
    def query(self) -> Probes:
        self._prologue()
        form = self._keyword()
        if form == "SELECT":
            if self._peek_keyword() in ("DISTINCT", "REDUCED"):
                self.i += 1
                self.plain = False
            if not self._punct("*"):
                self._projection()
            self._optional_keyword("WHERE")
            self._group()
        elif form == "ASK":
            self.plain = False
            self._optional_keyword("WHERE")
            self._group()
        elif form == "DESCRIBE":
            if self.tokens[self.i].kind not in ("iri", "pname"):
                raise _NotProbed
            resource = self._iri()
            if self.i != len(self.tokens):
                raise _NotProbed  # one resource named by an IRI, nothing else
            return Probes(((resource, None, None),), 0, describe=True)
        elif form == "CONSTRUCT":
            self.plain = False
            start, short = self.i, self._peek_keyword() == "WHERE"
            if short:
                self.i += 1
                self._triples_group(template=False)  # CONSTRUCT WHERE { triples }: its own template
            else:
                self._triples_group(template=True)
            # the template is written for every solution
            self.expression_chars += sum(len(t.text) for t in self.tokens[start:self.i])
            if not short:
                self._optional_keyword("WHERE")
                self._group()
        else:
            raise _NotProbed
        self._modifiers()
        if self.i != len(self.tokens) or not self.found or len(self.found) > MAX_PATTERNS:
            raise _NotProbed
        if any(s is None and o is None for s, _, o in self.found):
            # `?o skos:prefLabel ?l`: a predicate's every use, nearly always over the cap — counting
            # it first would only delay the executor — unless it is a label lookup's OPTIONAL
            return Probes(self._lateral(), self.expression_chars)
        return Probes(tuple(self.found), self.expression_chars)

    def _lateral(self) -> tuple[Pattern, ...]:
        """The patterns to probe of a label lookup, ``SELECT ?p ?o ?l { <e> ?p ?o OPTIONAL {
        ?o skos:prefLabel ?l } }`` or ``SELECT ?o ?l { <e> ?p ?o . ?o skos:prefLabel ?l }``:
        required triple patterns with a constant subject or object (probed); then at most one
        required triple written alone, whose subject or object is a variable of those (not
        probed); then OPTIONAL groups of one triple pattern each, anchored by a variable of the
        required triples (not probed) or else by a constant (probed). No FILTER, BIND, UNION,
        nested group, expression or DISTINCT, no modifier but LIMIT.

        The triple and such OPTIONALs run as ``LATERAL { … }`` (SEP-0006, which pyoxigraph
        reads): the same solutions, but evaluated once per solution of what precedes them, with
        its values in place — an index range per solution, by the definition of LATERAL rather
        than by the engine's choice of join (a hash join would read the predicate's every use:
        188 ms a query at 1.2M for a two-pattern OPTIONAL, measured). The work is then bounded:
        the probes bound the solutions of the first patterns; the lone triple costs one index
        seek for each and gives a row for every match; an OPTIONAL keeps every row and adds one
        for every match beyond the first. So apart from the seeks (bounded like any probed
        solution) the work is bounded by the answer, and a run that stops at the inline budget of
        answer bytes has done a bounded amount of it: nothing (FILTER, DISTINCT, ORDER BY, GROUP
        BY, OFFSET, a second join) drops or holds rows before they are written."""
        if not self.plain:
            raise _NotProbed
        required = [k for k in range(len(self.found)) if not self._in_optional(k)]
        anchored = [k for k in required if self.found[k][0] is not None or self.found[k][2] is not None]
        if not anchored:
            raise _NotProbed
        anchors = {name for k in anchored for name in self.variables[k] if name is not None}
        for k in required:
            if k in anchored:
                continue
            statement = next(x for x in self.statements if x.first <= k < x.last)
            subject, _, obj = self.variables[k]
            if (self.dependent or statement.last - statement.first != 1 or k < max(anchored)
                    or (subject not in anchors and obj not in anchors)):
                raise _NotProbed  # a second one, not alone, before an anchored one, or not anchored
            self.dependent.append(statement)
        bound = {name for k in required for name in self.variables[k] if name is not None}
        probed = [self.found[k] for k in anchored]
        for optional in self.optionals:
            if optional.depth != 1 or optional.last - optional.first != 1:
                raise _NotProbed  # nested, or more than one pattern: a join inside the OPTIONAL
            subject, _, obj = self.variables[optional.first]
            if subject in bound or obj in bound:
                self.dependent.append(optional)  # evaluated per solution: not probed
                continue
            s, _, o = self.found[optional.first]
            if s is None and o is None:
                raise _NotProbed
            probed.append(self.found[optional.first])  # anchored by a constant alone: probed
        return tuple(probed)

    def _in_optional(self, k: int) -> bool:
        return any(optional.first <= k < optional.last for optional in self.optionals)

    def _prologue(self) -> None:
        """PREFIX declarations, read as everywhere else (lexer.Names); not BASE, nor a relative
        namespace: the engine resolves those against a base this reading does not take."""
        end = self.names.prologue(self.tokens, 0)
        if any(t.keyword == "BASE" or (t.kind == "iri" and is_relative(iri_value(t))) for t in self.tokens[:end]):
            raise _NotProbed
        self.i = end

    def _projection(self) -> None:
        """Variables and ``(expression AS ?v)``: an aggregate or a function of a solution."""
        count = 0
        while self.i < len(self.tokens):
            if self.tokens[self.i].kind == "var":
                self.i += 1
            elif self.tokens[self.i].text == "(" and self.tokens[self.i].kind == "punct":
                self.plain = False
                self._bracketed()
            else:
                break
            count += 1
        if count == 0:
            raise _NotProbed

    def _modifiers(self) -> None:
        if self._peek_keyword() in ("GROUP", "HAVING", "ORDER"):
            self.plain = False
        if self._peek_keyword() == "GROUP":
            self.i += 1
            if self._keyword() != "BY" or self._conditions() == 0:
                raise _NotProbed
        if self._peek_keyword() == "HAVING":
            self.i += 1
            if self._conditions() == 0:
                raise _NotProbed
        if self._peek_keyword() == "ORDER":
            self.i += 1
            if self._keyword() != "BY":
                raise _NotProbed
            count = 0
            while True:
                if self.i < len(self.tokens) and self.tokens[self.i].kind == "var":
                    self.i += 1
                elif self._peek_keyword() in ("ASC", "DESC") and self.tokens[self.i + 1].text == "(" \
                        and self.tokens[self.i + 2].kind == "var" and self.tokens[self.i + 3].text == ")":
                    self.i += 4
                else:
                    break
                count += 1
            if count == 0:
                raise _NotProbed
        for _ in range(2):
            if self._peek_keyword() in ("LIMIT", "OFFSET"):
                self.plain = self.plain and self._peek_keyword() == "LIMIT"  # an OFFSET skips rows
                self.i += 1
                if self.tokens[self.i].kind != "number" or not self.tokens[self.i].text.isdigit():
                    raise _NotProbed
                self.i += 1

    # -- groups ---------------------------------------------------------------------------
    def _group(self) -> None:
        """``{ … }``: triples, FILTER, OPTIONAL { … }, { … } UNION { … }."""
        self._expect("{")
        self.depth += 1
        while not self._punct("}"):
            keyword = self._peek_keyword()
            if keyword == "FILTER":
                self.plain = False
                self.i += 1
                self._filter()
            elif keyword == "BIND":
                self.plain = False
                self.i += 1
                self._bracketed()
            elif keyword == "OPTIONAL":
                start, first, depth = self.i, len(self.found), self.depth
                self.i += 1
                self._group()
                self.optionals.append(_Span(start, self.i, first, len(self.found), depth))
            elif self.tokens[self.i].text == "{" and self.tokens[self.i].kind == "punct":
                self.plain = False
                self._group()
                while self._peek_keyword() == "UNION":
                    self.i += 1
                    self._group()
            elif self._punct("."):
                pass
            else:
                if self.depth == 1 and self.optionals:
                    self.plain = False  # a required triple after an OPTIONAL: it may drop rows
                start, first = self.i, len(self.found)
                self._triples(template=False)
                self.statements.append(_Span(start, self.i, first, len(self.found), self.depth))
        self.depth -= 1

    def _triples_group(self, *, template: bool) -> None:
        self._expect("{")
        while not self._punct("}"):
            if not self._punct("."):
                self._triples(template=template)

    def _conditions(self) -> int:
        """GROUP BY / HAVING terms: variables, bracketed expressions, calls; how many."""
        count = 0
        while self.i < len(self.tokens):
            tok = self.tokens[self.i]
            if tok.kind == "var":
                self.i += 1
            elif tok.kind == "punct" and tok.text == "(":
                self._bracketed()
            elif tok.kind in ("word", "pname", "iri") and self.tokens[self.i + 1].text == "(" \
                    and tok.keyword not in ("ORDER", "LIMIT", "OFFSET", "HAVING"):
                self._filter()
            else:
                break
            count += 1
        return count

    def _filter(self) -> None:
        """A FILTER's constraint: a bracketed expression or a call, with no group inside
        (EXISTS and NOT EXISTS evaluate a pattern per solution: not bounded by the probes)."""
        tok = self.tokens[self.i]
        if tok.kind in ("word", "pname", "iri"):  # a function call: isLiteral(?o), xsd:integer(…)
            self._function(tok)
            self.expression_chars += len(tok.text)
            self.i += 1
        self._bracketed()

    def _function(self, tok: Token) -> None:
        if tok.kind == "word" and tok.keyword not in EXPRESSION_WORDS:
            raise _NotProbed
        if tok.kind in ("iri", "pname") and not (self.names.iri(tok) or "").startswith(XSD):
            raise _NotProbed  # a function by IRI: only XSD casts

    def _bracketed(self) -> None:
        """``( … )`` balanced, with no group, EXISTS, subquery or SERVICE inside: an
        expression whose cost per solution its length bounds."""
        if self.tokens[self.i].text != "(":
            raise _NotProbed
        depth = 0
        while True:
            tok = self.tokens[self.i]
            self.i += 1
            self.expression_chars += len(tok.text)
            if tok.kind == "punct" and tok.text in "{}":
                raise _NotProbed
            if tok.kind == "word" or (tok.kind in ("iri", "pname") and self.tokens[self.i].text == "("):
                self._function(tok)
            if tok.kind == "punct" and tok.text == "(":
                depth += 1
            elif tok.kind == "punct" and tok.text == ")":
                depth -= 1
                if depth == 0:
                    return

    # -- triples --------------------------------------------------------------------------
    def _triples(self, *, template: bool) -> None:
        subject_name = self._variable()
        subject = self._term(subject=True)
        while True:
            predicate_name = self._variable()
            verbs = self._verb(template)
            while True:
                object_name = self._variable()
                obj = self._term(subject=False)
                if not template:
                    for inverse, predicate in verbs:
                        self.found.append((obj, predicate, subject) if inverse else (subject, predicate, obj))
                        self.variables.append((object_name, predicate_name, subject_name) if inverse
                                              else (subject_name, predicate_name, object_name))
                if not self._punct(","):
                    break
            if not self._punct(";"):
                return
            if self.tokens[self.i].text in (".", "}") and self.tokens[self.i].kind == "punct":
                return  # a trailing ';'

    def _verb(self, template: bool) -> list[tuple[bool, str | None]]:
        tok = self.tokens[self.i]
        if tok.kind == "var":
            self.i += 1
            return [(False, None)]
        if template:
            return [(False, self._iri())]
        verbs = [self._path_step()]
        while self._punct("|"):
            verbs.append(self._path_step())
        return verbs

    def _path_step(self) -> tuple[bool, str | None]:
        inverse = self._punct("^")
        return inverse, self._iri()

    def _iri(self) -> str:
        tok = self.tokens[self.i]
        if tok.kind == "word" and tok.text == "a":
            self.i += 1
            return RDF_TYPE
        if tok.kind == "iri" and not is_relative(iri_value(tok)) or tok.kind == "pname":
            iri = self.names.iri(tok)
            if iri:
                self.i += 1
                return iri
        raise _NotProbed

    def _term(self, *, subject: bool) -> str | None:
        """An IRI, or None for a variable, a blank node label or a literal."""
        tok = self.tokens[self.i]
        if tok.kind in ("var", "bnode"):
            self.i += 1
            return None
        if tok.kind in ("iri", "pname"):
            return self._iri()
        if subject:
            raise _NotProbed
        if tok.kind == "number" or tok.keyword in ("TRUE", "FALSE"):
            self.i += 1
            return None
        if tok.kind == "punct" and tok.text in "+-" and self.tokens[self.i + 1].kind == "number":
            self.i += 2
            return None
        if tok.kind == "string":
            self.i += 1
            nxt = self.tokens[self.i]
            if nxt.kind == "lang":
                self.i += 1
            elif nxt.kind == "punct" and nxt.text == "^^":
                self.i += 1
                self._iri()
            return None
        raise _NotProbed

    # -- tokens ---------------------------------------------------------------------------
    def _variable(self) -> str | None:
        """The name of the variable at this token (``?x`` and ``$x`` are one), else None."""
        tok = self.tokens[self.i]
        return tok.text[1:] if tok.kind == "var" else None

    def _peek_keyword(self) -> str:
        return self.tokens[self.i].keyword if self.i < len(self.tokens) else ""

    def _keyword(self) -> str:
        keyword = self._peek_keyword()
        self.i += 1
        return keyword

    def _optional_keyword(self, keyword: str) -> None:
        if self._peek_keyword() == keyword:
            self.i += 1

    def _punct(self, text: str) -> bool:
        if self.i < len(self.tokens) and self.tokens[self.i].kind == "punct" and self.tokens[self.i].text == text:
            self.i += 1
            return True
        return False

    def _expect(self, text: str) -> None:
        if not self._punct(text):
            raise _NotProbed
