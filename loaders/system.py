"""The ontology and the vocabularies, written into their graphs on every load so that queries
can read the labels of classes and concepts (parsed once per process and base)."""

from __future__ import annotations

import hashlib
from functools import cache

import pyoxigraph as ox

from justicegraph.namespaces import Minter
from justicegraph.resources import VOCABULARY_FILE, ontology_files, package_dir


def graphs(minter: Minter) -> set[str]:
    return {minter.ontology_graph, minter.vocabulary_graph}


def unchanged(store, minter: Minter) -> bool:
    """Whether the store's ontology and vocabulary graphs hold exactly these quads, up to
    the names of blank nodes: a SPARQL ``INSERT DATA`` (remote engines, the embedded store's
    transaction commit) gives them new ones, so comparing labels alone rewrote both graphs
    on every such load."""
    expected = set(_quads(minter.base))
    found = {q for graph in graphs(minter) for q in store.quads(graph)}
    if found == expected:
        return True
    if len(found) != len(expected) or _ground(found) != _ground(expected):
        return False
    return _canonical(found) == _canonical_expected(minter.base)


def _ground(quads: set[ox.Quad]) -> set[ox.Quad]:
    return {q for q in quads if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}


def _canonical(quads) -> set[ox.Quad]:
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


@cache
def _canonical_expected(base: str) -> frozenset[ox.Quad]:
    return frozenset(_canonical(_quads(base)))


def quads(minter: Minter) -> list[ox.Quad]:
    return list(_quads(minter.base))


@cache
def _quads(base: str) -> tuple[ox.Quad, ...]:
    minter = Minter(base)
    out = []
    for path, graph in [*((p, minter.ontology_graph) for p in ontology_files()),
                        (package_dir("ontology") / VOCABULARY_FILE, minter.vocabulary_graph)]:
        g = ox.NamedNode(graph)
        label = _Labels(hashlib.sha256(path.read_bytes()).hexdigest()[:16])
        out += [ox.Quad(label(t.subject), t.predicate, label(t.object), g)
                for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    return tuple(out)


class _Labels:
    """Blank nodes labelled by the file's checksum and their order in it, instead of the
    parser's random labels: the same files give the same quads in every process, so that
    ``unchanged`` can compare them with the store's."""

    def __init__(self, checksum: str):
        self.prefix = f"jgsys{checksum}n"
        self.seen: dict[ox.BlankNode, ox.BlankNode] = {}

    def __call__(self, term):
        if not isinstance(term, ox.BlankNode):
            return term
        found = self.seen.get(term)
        if found is None:
            found = self.seen[term] = ox.BlankNode(f"{self.prefix}{len(self.seen)}")
        return found
