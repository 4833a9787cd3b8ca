"""Compiled shapes (shacl_compile) run as SPARQL on an in-memory pyoxigraph store.

Each constraint becomes a SELECT over the union of the store's graphs answering the
violating (focus node, value) pairs. A focus pattern is a SPARQL group binding ``?this``:
the shape's targets at the top, the value nodes of the outer shape for sh:node / sh:or /
sh:and / sh:not. Patterns are inlined rather than DISTINCT subqueries (Oxigraph then joins
through its indexes, ~8x faster), and duplicate rows are merged in Python.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyoxigraph as ox

from justicegraph.validation.compile import COMPONENTS, Fallback, Shape
from justicegraph.validation.values import (
    SURE_LESS_OR_EQUAL,
    VALUE_TESTS,
    condition,
    less_or_equal,
    term,
    to_rdflib,
)

_PREFIXES = ("PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
             "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
             "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> ")


@dataclass(frozen=True, eq=False)
class Result:
    focus: object
    shape: Shape
    component: str
    value: object = None
    details: tuple = ()  # the value's own results, for sh:node (sh:detail, as pyshacl)


class Evaluator:
    def __init__(self, store: ox.Store):
        self.store = store
        self.counter = itertools.count(1)  # variable names, unique across threads
        self.subclasses: dict = {}

    def select(self, body: str):
        """A boolean for ASK, else the rows as tuples of terms: pyoxigraph's result objects
        belong to the thread that made them, so none leaves this call."""
        results = self.store.query(_PREFIXES + body, use_default_graph_as_union=True)
        if isinstance(results, ox.QueryBoolean):
            return bool(results)
        rows = [tuple(row) for row in results]
        del results
        return rows

    def run(self, shapes: list[Shape], threads: int = 2) -> list[Result]:
        """All results of the top-level shapes. Shapes are checked on ``threads`` threads:
        pyoxigraph releases the GIL while it evaluates a query but holds it while the rows
        become Python tuples and the queries are built, so the threads overlap only in part
        (and during a load the staged commit's child process has the other core)."""
        required: dict[str, list[Shape]] = {}  # focus pattern -> property shapes with sh:minCount 1
        with ThreadPoolExecutor(max(1, threads)) as pool:
            parts = list(pool.map(lambda shape: self.check(shape, self.targets(shape), required), shapes))
            parts += pool.map(lambda item: self.required(*item), list(required.items()))
        return [r for part in parts for r in part]

    def check(self, shape: Shape, focus: str, required: dict | None = None) -> list[Result]:
        """The results of ``shape`` (and its property shapes) on the nodes ``focus`` binds;
        sh:minCount 1 is left in ``required`` (when given) to run with others of that focus."""
        out: list[Result] = []
        tests = [(name, param) for name, param in shape.constraints if name in VALUE_TESTS]
        if tests:
            out += self.value_tests(shape, focus, tests)
        for name, param in shape.constraints:
            if name == "minCount" and param == 1 and required is not None:
                required.setdefault(focus, []).append(shape)
            elif name == "node":
                out += self._node(shape, focus, param)
            elif name not in VALUE_TESTS:
                component = COMPONENTS[name]
                out += [Result(f, shape, component, v) for f, v in getattr(self, "_" + name)(shape, focus, param)]
        for prop in shape.properties:
            out += self.check(prop, focus, required)
        return out

    def required(self, focus: str, props: list[Shape]) -> list[Result]:
        """sh:minCount 1 of several property shapes with the same focus nodes, in one query."""
        binds = " ".join(f"BIND(NOT EXISTS {{ ?this {p.path} [] }} AS ?m{i})" for i, p in enumerate(props))
        flags = " ".join(f"?m{i}" for i in range(len(props)))
        rows = self.select(f"SELECT DISTINCT ?this {flags} WHERE {{ {focus} {binds} "
                           f"FILTER({' || '.join(f'?m{i}' for i in range(len(props)))}) }}")
        component = COMPONENTS["minCount"]
        return [Result(row[0], p, component) for row in rows for i, p in enumerate(props) if row[1 + i].value == "true"]

    def one_row_each(self, path: str, key: str, condition: str = "") -> bool:
        """Whether the rows ``?this path ?v`` all have different ``key``s (then no node has two
        values, or two of one language): two counts, ~3x cheaper than the self-join they spare
        (the same triple in several graphs counts once)."""
        row = self.select(f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT {key}) AS ?d) "
                          f"WHERE {{ SELECT DISTINCT ?this ?v WHERE {{ ?this {path} ?v {condition} }} }}")[0]
        return row[0].value == row[1].value

    def exists(self, shape: Shape, pattern: str) -> bool:
        """Whether any node at all (focus or not) has values matching ``pattern``: a scan of
        the path without the focus join, ~2x cheaper, which valid data answers with no."""
        if shape.path is None:
            return True
        return self.select(f"ASK {{ ?this {shape.path} ?v . {pattern} }}")

    def failing(self, shape: Shape, focus: str) -> set:
        return {r.focus for r in self.check(shape, focus)}

    def failing_with_results(self, shape: Shape, focus: str) -> dict:
        out: dict = {}
        for r in self.check(shape, focus):
            out.setdefault(r.focus, []).append(r)
        return out

    # ------------------------------------------------------------ patterns

    def instance(self, var: str, cls) -> str:
        """A pattern matching the SHACL instances of ``cls`` (rdf:type/rdfs:subClassOf*): a
        union of plain type lookups, much faster in Oxigraph than the path per node."""
        if cls not in self.subclasses:
            rows = self.select(f"SELECT DISTINCT ?c WHERE {{ ?c rdfs:subClassOf* {term(cls)} }}")
            self.subclasses[cls] = sorted({str(r[0]) for r in rows if not isinstance(r[0], ox.Literal)}
                                          | {term(cls)})
        return " UNION ".join(f"{{ {var} rdf:type {c} }}" for c in self.subclasses[cls])

    def targets(self, shape: Shape) -> str:
        parts = []
        for kind, value in shape.targets:
            if kind == "targetClass":
                parts.append(f"{{ {self.instance('?this', value)} }}")
            elif kind == "targetSubjectsOf":
                parts.append(f"{{ ?this {term(value)} [] }}")
            elif kind == "targetObjectsOf":
                parts.append(f"{{ [] {term(value)} ?this }}")
            else:
                parts.append(f"{{ VALUES ?this {{ {term(value)} }} }}")
        return parts[0] if len(parts) == 1 else "{ " + " UNION ".join(parts) + " }"

    def values_focus(self, shape: Shape, focus: str) -> str:
        """A focus pattern binding ``?this`` to the value nodes of ``shape``."""
        if shape.path is None:
            return focus
        outer = f"?f{next(self.counter)}"
        return f"{focus.replace('?this', outer)} {outer} {shape.path} ?this ."

    def value_pattern(self, shape: Shape, focus: str) -> str:
        if shape.path is None:
            return f"{focus} BIND(?this AS ?v)"
        if focus == f"{{ ?this {shape.path} [] }}":  # sh:targetSubjectsOf p, sh:path p: no join needed
            return f"?this {shape.path} ?v ."
        return f"{focus} ?this {shape.path} ?v ."

    def pairs(self, shape: Shape, focus: str) -> list[tuple]:
        return list({(r[0], r[1]) for r in self.select(f"SELECT ?this ?v WHERE {{ {self.value_pattern(shape, focus)} }}")})

    def foci(self, body: str) -> list[tuple]:
        return [(f, None) for f in {r[0] for r in self.select(body)}]

    # ------------------------------------------------------------ value constraints, one query

    def value_tests(self, shape: Shape, focus: str, tests: list) -> list[Result]:
        conditions = [condition(name, param, self.instance) for name, param in tests]
        binds = " ".join(f"BIND(COALESCE({c}, true) AS ?b{i})" for i, (c, _) in enumerate(conditions))
        flags = " ".join(f"?b{i}" for i in range(len(conditions)))
        any_set = " || ".join(f"?b{i}" for i in range(len(conditions)))
        if not self.exists(shape, f"{binds} FILTER({any_set})"):
            return []
        rows = self.select(f"SELECT DISTINCT ?this ?v {flags} WHERE {{ {self.value_pattern(shape, focus)} "
                           f"{binds} FILTER({any_set}) }}")
        out = []
        for row in rows:
            f, v = row[0], row[1]
            for i, (name, _) in enumerate(tests):
                check = conditions[i][1]
                if row[2 + i].value == "true" and (check is None or check(v)):
                    out.append(Result(f, shape, COMPONENTS[name], v))
        return out

    # ------------------------------------------------------------ cardinality, pairs

    def _minCount(self, shape, focus, n):
        if n <= 0:
            return []
        if n == 1:
            return self.foci(f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {shape.path} ?v }} }}")
        return self.foci(f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {shape.path} ?v }} }} "
                         f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})")

    def _maxCount(self, shape, focus, n):
        if n == 1:  # two different values; no GROUP BY (several times slower in Oxigraph)
            if self.one_row_each(shape.path, "?this"):
                return []
            return self.foci(f"SELECT ?this WHERE {{ {self.value_pattern(shape, focus)} ?this {shape.path} ?w "
                             "FILTER(!sameTerm(?v, ?w)) }")
        return self.foci(f"SELECT ?this WHERE {{ {self.value_pattern(shape, focus)} }} "
                         f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})")

    def _hasValue(self, shape, focus, value):
        if shape.path is None:
            return self.foci(f"SELECT ?this WHERE {{ {focus} FILTER(!sameTerm(?this, {term(value)})) }}")
        return self.foci(f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {shape.path} {term(value)} }} }}")

    def _uniqueLang(self, shape, focus, _on):
        # one result per focus node and shared language, as pyshacl
        if self.one_row_each(shape.path, 'CONCAT(STR(?this), "@", LCASE(lang(?v)))', 'FILTER(lang(?v) != "")'):
            return []
        if not self.exists(shape, f"?this {shape.path} ?w FILTER(lang(?v) != \"\" && !sameTerm(?v, ?w) && "
                                  "LCASE(lang(?v)) = LCASE(lang(?w)))"):
            return []
        rows = self.select(f"SELECT DISTINCT ?this (LCASE(lang(?v)) AS ?l) WHERE {{ {self.value_pattern(shape, focus)} "
                           f"?this {shape.path} ?w FILTER(lang(?v) != \"\" && !sameTerm(?v, ?w) && "
                           "LCASE(lang(?v)) = LCASE(lang(?w))) }")
        return [(r[0], None) for r in rows]

    def _lessThanOrEquals(self, shape, focus, other):
        if not self.exists(shape, f"?this {term(other)} ?o FILTER(!COALESCE({SURE_LESS_OR_EQUAL}, false))"):
            return []
        rows = self.select(f"SELECT DISTINCT ?this ?v ?o WHERE {{ {self.value_pattern(shape, focus)} "
                           f"?this {term(other)} ?o FILTER(!COALESCE({SURE_LESS_OR_EQUAL}, false)) }}")
        return list({(r[0], r[1]) for r in rows if not less_or_equal(to_rdflib(r[1]), to_rdflib(r[2]))})

    # ------------------------------------------------------------ shape-based and logical

    def _nested(self, shape, focus, bad: set):
        return [(f, v) for f, v in self.pairs(shape, focus) if v in bad] if bad else []

    def _node(self, shape, focus, inner) -> list[Result]:
        if inner.path is not None:
            raise Fallback("sh:node names a property shape")  # pyshacl stops with an error
        bad = self.failing_with_results(inner, self.values_focus(shape, focus))
        return [Result(f, shape, COMPONENTS["node"], v, tuple(bad[v])) for f, v in self._nested(shape, focus, set(bad))]

    def _or(self, shape, focus, members):
        values = self.values_focus(shape, focus)
        bad = None
        for member in members:
            bad = self.failing(member, values) if bad is None else bad & self.failing(member, values)
            if not bad:
                return []
        return self._nested(shape, focus, bad or set())

    def _and(self, shape, focus, members):
        values = self.values_focus(shape, focus)
        return self._nested(shape, focus, set().union(*(self.failing(m, values) for m in members)))

    def _not(self, shape, focus, inner):
        values = self.values_focus(shape, focus)
        every = {r[0] for r in self.select(f"SELECT DISTINCT ?this WHERE {{ {values} }}")}
        return self._nested(shape, focus, every - self.failing(inner, values))
