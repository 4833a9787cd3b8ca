"""Loaders: records (CSV, JSON, YAML) and RDF files → the graph, in one atomic transaction.

    from justicegraph.loaders import load, LoadError
    result = load(store, ["data/1988"])          # raises LoadError, nothing written, on any error
    result = load(store, ["data/1988"], dry_run=True)   # check only (``justicegraph validate``)

The record format is docs/records.md; the RDF produced is described in the README.
"""

from justicegraph.loaders.errors import LoadError, RecordError

__all__ = ["LoadError", "LoadResult", "RecordError", "load"]


def __getattr__(name: str):
    # The pipeline (and with it pyshacl) is imported on first use, not by every importer of a
    # loader module: the server's serving path needs only the input checks (rdfimport).
    if name in ("load", "LoadResult"):
        from justicegraph.loaders import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
