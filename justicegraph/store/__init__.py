"""The store interface: the one place that knows which engine holds the graph.

Loaders, validation and the server reach data only through ``GraphStore``; the
embedded default is pyoxigraph's on-disk (or in-memory) ``Store``. A remote SPARQL
engine implements the same interface (``open_store`` picks by the ``store`` setting).

Layout: ``interface`` (the ``GraphStore`` protocol and ``change_as_update``), ``embedded``
(pyoxigraph), ``swap`` (big commits by swapping directories), ``journal`` (changes with blank
nodes made atomic by a redo journal), ``remote/`` (SPARQL engines over HTTP). This module only re-exports them and opens the one a location names.
May import: the core modules (``justicegraph.access``, ``namespaces``, ``settings``) and
``justicegraph.sparqltext``; never validation, loaders, reasoning, server or cli.
"""

from __future__ import annotations

from justicegraph.store.embedded import SWAP_COMMIT_MIN_QUADS, OxigraphStore
from justicegraph.store.interface import GraphStore, Term, change_as_update

__all__ = ["SWAP_COMMIT_MIN_QUADS", "GraphStore", "OxigraphStore", "Term", "change_as_update", "open_store"]


def open_store(location: str, *, read_only: bool = False, settings=None) -> GraphStore:
    """The backend a ``store`` setting names: a directory, 'memory', or a remote engine URL
    (whose credentials and limits come from ``settings``, else from the environment)."""
    if location == "memory":
        return OxigraphStore(None)
    if location.startswith(("sparql+http://", "sparql+https://")):
        from justicegraph.store.remote import open_url  # only imported when a remote engine is configured

        return open_url(location, settings, read_only=read_only)
    return OxigraphStore(location, read_only=read_only)
