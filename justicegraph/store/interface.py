"""What every backend offers (``GraphStore``), and the one way a change is written as
SPARQL Update text (``change_as_update``), shared by the embedded and the remote stores."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal


@runtime_checkable
class GraphStore(Protocol):
    """What every backend offers. Writes are atomic: all of a change or none of it."""

    read_only: bool

    def query(
        self,
        query: str,
        *,
        default_graph: list[ox.NamedNode | ox.DefaultGraph] | None = None,
        named_graphs: list[ox.NamedNode] | None = None,
        union: bool = False,
        substitutions: Mapping[ox.Variable, Term] | None = None,
    ) -> Any:
        """Run SPARQL. ``default_graph``/``named_graphs`` restrict the dataset (the means of
        access control); ``union`` makes the default graph the union of all graphs."""

    def update(self, update: str) -> None:
        """Run a SPARQL Update as one transaction."""

    def apply(
        self,
        *,
        drop_graphs: Iterable[str] = (),
        delete: Iterable[ox.Quad] = (),
        insert: Iterable[ox.Quad] = (),
    ) -> None:
        """One transaction: drop whole graphs, delete quads, then insert quads."""

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        """Every quad, or those of one named graph."""

    def graphs(self) -> list[str]:
        """IRIs of the named graphs."""

    def __len__(self) -> int: ...

    def close(self) -> None: ...


def change_as_update(drop_graphs: Iterable[str], delete: Iterable[ox.Quad], insert: Iterable[ox.Quad],
                     create_graphs: Iterable[str] = ()) -> str:
    """A SPARQL Update text for one atomic change (graphs dropped, then created, quads
    deleted, then inserted). Terms are written by pyoxigraph's own N-Triples serialisation of
    typed terms, never spliced from user text."""
    parts = [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in drop_graphs]
    parts += [f"CREATE SILENT GRAPH {ox.NamedNode(g)}" for g in create_graphs]
    deleted = _data_block(delete)
    if deleted:
        parts.append("DELETE DATA {\n" + deleted + "}")
    inserted = _data_block(insert)
    if inserted:
        parts.append("INSERT DATA {\n" + inserted + "}")
    return " ;\n".join(parts)


def _data_block(quads: Iterable[ox.Quad]) -> str:
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        key = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
        by_graph.setdefault(key, []).append(f"{q.subject} {q.predicate} {q.object} .")
    lines = []
    for graph, triples in by_graph.items():
        body = "\n".join(triples)
        lines.append(f"GRAPH {graph} {{\n{body}\n}}\n" if graph else body + "\n")
    return "".join(lines)
