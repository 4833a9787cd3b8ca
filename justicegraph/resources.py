"""The files that ship inside the package: ontology, shapes, saved queries, datasets.

Read through importlib.resources so that an installed wheel works without the checkout.
Parsed graphs are cached per process: parse once, never per request.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import as_file, files
from pathlib import Path

from rdflib import Graph

ONTOLOGY_FILES = ("justicegraph.ttl", "alignment.ttl")
VOCABULARY_FILE = "vocabulary.ttl"


def package_dir(name: str) -> Path:
    """Filesystem path of a data package (`ontology`, `shapes`, `queries`, `data`)."""
    with as_file(files(f"justicegraph.{name}")) as path:
        return Path(path)


def ontology_files() -> list[Path]:
    folder = package_dir("ontology")
    return [folder / n for n in ONTOLOGY_FILES if (folder / n).exists()]


@cache
def ontology_graph() -> Graph:
    """The ontology (core + alignment), without the controlled vocabularies."""
    graph = Graph()
    for path in ontology_files():
        graph.parse(path, format="turtle")
    return graph


@cache
def ontology_documents() -> dict[str, Path]:
    """Which shipped file each ontology IRI and version IRI names: the ontology IRI and the
    current ``owl:versionIRI`` of ``justicegraph.ttl`` and ``alignment.ttl``, and the version
    IRI of every archived version in ``versions/`` (read from the files, never listed here)."""
    from rdflib.namespace import OWL, RDF

    folder = package_dir("ontology")
    documents: dict[str, Path] = {}
    archived = sorted((folder / "versions").glob("*.ttl")) if (folder / "versions").is_dir() else []
    for path in [*archived, *ontology_files()]:  # current files last: they win a shared IRI
        graph = Graph().parse(path, format="turtle")
        for ontology in graph.subjects(RDF.type, OWL.Ontology):
            if path not in archived:
                documents[str(ontology)] = path
            for version in graph.objects(ontology, OWL.versionIRI):
                documents[str(version)] = path
    return documents


@cache
def vocabulary_graph() -> Graph:
    """The SKOS concept schemes: roles, event types, characterisations, access levels."""
    return Graph().parse(package_dir("ontology") / VOCABULARY_FILE, format="turtle")


@cache
def shapes_graph() -> Graph:
    graph = Graph()
    for path in sorted(package_dir("shapes").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def dataset_dir(name: str) -> Path:
    """A dataset shipped with the package, e.g. ``1988``."""
    path = package_dir("data") / name
    if not path.is_dir():
        known = sorted(p.name for p in package_dir("data").iterdir() if p.is_dir() and not p.name.startswith("_"))
        raise FileNotFoundError(f"no packaged dataset {name!r}; packaged: {', '.join(known) or 'none'}")
    return path
