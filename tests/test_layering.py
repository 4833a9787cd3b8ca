"""The architecture, checked on the import graph (docs/architecture.md, "Layering").

The graph is read from the source with ``ast`` (every import statement, also those inside
functions), over the three trees that make up the ``justicegraph`` namespace: justicegraph/,
server/ (``justicegraph.server``) and loaders/ (``justicegraph.loaders``). ``from pkg import
name`` counts as an import of ``pkg.name`` when that is a module, else of ``pkg`` — as
import-linter reads it. Each rule names the offending imports with file and line.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TREES = {"justicegraph": ROOT / "justicegraph", "justicegraph.server": ROOT / "server",
         "justicegraph.loaders": ROOT / "loaders"}

# Lowest first. A module may import modules of its own layer or of a lower one, never higher.
# The first matching prefix decides a module's layer (longest prefixes are listed first).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("justicegraph", "justicegraph.access", "justicegraph.namespaces", "justicegraph.resources",
              "justicegraph.edtf", "justicegraph.savedqueries", "justicegraph.stats", "justicegraph.settings",
              "justicegraph.sparqltext")),
    ("store", ("justicegraph.store",)),
    ("services", ("justicegraph.validation", "justicegraph.reasoning", "justicegraph.generate")),
    ("loaders", ("justicegraph.loaders",)),
    ("server plumbing", ("justicegraph.server.web",)),
    ("server machinery", ("justicegraph.server.protocol", "justicegraph.server.content")),
    ("server blueprints", ("justicegraph.server",)),
    ("cli", ("justicegraph.cli",)),
]

# What the rest of the code may import from the store: its interface, never an engine's insides.
STORE_API = {"justicegraph.store", "justicegraph.store.interface", "justicegraph.store.remote",
             "justicegraph.store.remote.base"}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    where: str  # file:line

    def __str__(self) -> str:
        return f"{self.where}: {self.source} imports {self.target}"


def modules() -> dict[str, Path]:
    found = {}
    for package, tree in TREES.items():
        for path in sorted(tree.rglob("*.py")):
            parts = list(path.relative_to(tree).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def import_graph() -> list[Edge]:
    known = modules()
    edges = []
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package
                    for _ in range(node.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    base = f"{anchor}.{base}" if base else anchor
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
            for target in targets:
                while target and target not in known:  # `import a.b.c` of a module: a.b.c
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.append(Edge(name, target, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return edges


def layer(module: str) -> int:
    best, depth = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            exact_root = prefix == "justicegraph"
            matches = module == prefix if exact_root else module == prefix or module.startswith(prefix + ".")
            if matches and prefix.count(".") > depth:
                best, depth = index, prefix.count(".")
    assert best is not None, f"{module} is in no layer: add it to LAYERS (and docs/architecture.md)"
    return best


def cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph = defaultdict(set)
    for e in edges:
        graph[e.source].add(e.target)
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(set(graph) | {e.target for e in edges}):  # a module with no edges is in no cycle
        if v not in index:
            visit(v)
    return out


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    return import_graph()


def test_the_graph_is_read_from_every_tree(edges):
    sources = {e.source.split(".")[1] for e in edges if "." in e.source}
    assert {"server", "loaders", "store", "validation", "cli"} <= sources


def test_no_import_cycles(edges):
    found = cycles(edges)
    assert not found, "import cycles:\n" + "\n".join(
        " ↔ ".join(c) + "\n  " + "\n  ".join(str(e) for e in edges if e.source in c and e.target in c)
        for c in found)


def test_no_module_imports_a_higher_layer(edges):
    upward = [e for e in edges if layer(e.target) > layer(e.source)]
    assert not upward, "imports against the layering (docs/architecture.md):\n" + "\n".join(
        f"{e}  ({LAYERS[layer(e.source)][0]} → {LAYERS[layer(e.target)][0]})" for e in upward)


def test_the_store_is_reached_only_through_its_interface(edges):
    inside = [e for e in edges if not e.source.startswith("justicegraph.store")
              and e.target.startswith("justicegraph.store") and e.target not in STORE_API]
    assert not inside, "imports of a store's insides (use justicegraph.store / .store.remote):\n" + "\n".join(
        map(str, inside))


def test_every_package_says_what_it_holds():
    missing = [name for name, path in modules().items()
               if path.name == "__init__.py" and not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))]
    assert not missing, f"packages without a docstring: {missing}"


# The checker itself, on small graphs written for the test.
def test_a_cycle_is_found_and_named():
    fake = [Edge("a", "b", "a.py:1"), Edge("b", "c", "b.py:1"), Edge("c", "a", "c.py:1"), Edge("c", "d", "c.py:2"),
            Edge("d", "e", "d.py:1")]
    assert cycles(fake) == [["a", "b", "c"]]
    assert cycles(fake[3:]) == []


@pytest.mark.parametrize(("module", "name"), [
    ("justicegraph.access", "core"), ("justicegraph.sparqltext.lexer", "core"),
    ("justicegraph.store.remote.client", "store"), ("justicegraph.validation.fast", "services"),
    ("justicegraph.loaders.pipeline", "loaders"), ("justicegraph.server.web.conneg", "server plumbing"),
    ("justicegraph.server.protocol.jobs", "server machinery"), ("justicegraph.server.sparql", "server blueprints"),
    ("justicegraph.cli.data", "cli"),
])
def test_layers_are_assigned_by_the_longest_prefix(module, name):
    assert LAYERS[layer(module)][0] == name
