"""Loaders: records (CSV, JSON, YAML) and RDF files → the graph, in one atomic transaction.

    from justicegraph.loaders import load, LoadError
    result = load(store, ["data/1988"])          # raises LoadError, nothing written, on any error
    result = load(store, ["data/1988"], dry_run=True)   # check only (``justicegraph validate``)

The record format is docs/records.md; the RDF produced is described in the README.
"""

from .errors import LoadError, RecordError
from .pipeline import LoadResult, load

__all__ = ["LoadError", "LoadResult", "RecordError", "load"]
