"""The ontology and the vocabularies, written into their graphs on every load so that queries
can read the labels of classes and concepts (parsed once per process and base)."""

from __future__ import annotations

from functools import cache

import pyoxigraph as ox

from justicegraph.namespaces import Minter
from justicegraph.resources import VOCABULARY_FILE, ontology_files, package_dir


def graphs(minter: Minter) -> set[str]:
    return {minter.ontology_graph, minter.vocabulary_graph}


def quads(minter: Minter) -> list[ox.Quad]:
    return list(_quads(minter.base))


@cache
def _quads(base: str) -> tuple[ox.Quad, ...]:
    minter = Minter(base)
    out = []
    for path, graph in [*((p, minter.ontology_graph) for p in ontology_files()),
                        (package_dir("ontology") / VOCABULARY_FILE, minter.vocabulary_graph)]:
        g = ox.NamedNode(graph)
        out += [ox.Quad(t.subject, t.predicate, t.object, g) for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    return tuple(out)
