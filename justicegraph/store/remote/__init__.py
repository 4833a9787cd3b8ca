"""The store on a remote SPARQL engine (``oxigraph serve``, Virtuoso, any SPARQL 1.1
endpoint): the same ``GraphStore`` interface as the embedded store, over HTTP.

- ``base``: errors, the graphs reserved on the engine, literals (a leaf);
- ``client``: ``RemoteStore``, reads and writes over SPARQL 1.1 Query, Update and the
  Graph Store Protocol;
- ``dialect``: what differs between engines, measured on them (Virtuoso's staged writes);
- ``access``: engine-side graph security (Virtuoso accounts and grants);
- ``public``: the public-only second dataset for engines without graph security;
- ``order``: ordering an answer the engine refuses to sort;
- ``engines``: starting real engines on loopback, for tests and benchmarks.

This module opens a store from the settings (``open_remote``) and attaches its public
dataset. May import: ``justicegraph.store.interface``, ``justicegraph.access``,
``justicegraph.settings`` and ``justicegraph.sparqltext``; the modules here import ``base``,
never this package or ``justicegraph.store`` itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from justicegraph.store.remote.base import PublicBehind, QueryTimeout, RemoteStoreError

if TYPE_CHECKING:
    from justicegraph.store.remote.client import RemoteStore

__all__ = ["PublicBehind", "PublicStore", "QueryTimeout", "RemoteStore", "RemoteStoreError", "open_remote", "open_url",
           "sync_public"]

# The HTTP client (requests, urllib3: a tenth of a second) is imported on first use: importing
# ``base`` — as every query executor and web worker does, for its errors — does not pull it in.
_LAZY = {"RemoteStore": ("client", "RemoteStore"), "split_location": ("client", "split_location"),
         "PublicStore": ("public", "PublicStore"), "sync_public": ("public", "sync")}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value


def open_url(location: str, settings=None, *, read_only: bool = False) -> RemoteStore:
    """The store at ``location`` (``sparql+http://…``), the rest of its settings from
    ``settings`` or else the environment."""
    from justicegraph.settings import Settings

    settings = (settings or Settings.from_env()).replace(store=location)
    return open_remote(settings, read_only=read_only)


def open_remote(settings, *, read_only: bool = False) -> RemoteStore:
    """The store the ``store`` setting names, with its public dataset when one is set."""
    from justicegraph.store.remote.client import RemoteStore, split_location
    from justicegraph.store.remote.public import PublicStore

    query_url, params = split_location(settings.store)
    update = settings.store_update_url or params.get("update")
    gsp = settings.store_graph_store_url or params.get("store")
    read = settings.store_read_url or params.get("read")
    engine = settings.store_engine if settings.store_engine != "auto" else params.get("engine", "auto")
    store = RemoteStore(
        query_url, update_url=urljoin(query_url, update) if update else None,
        graph_store_url=urljoin(query_url, gsp) if gsp else None, engine=engine,
        user=settings.store_user, password=settings.store_password, auth=settings.store_auth,
        query_timeout=settings.query_timeout, update_timeout=settings.store_update_timeout,
        max_response_bytes=settings.store_max_response_mb * 2**20, read_only=read_only,
        read_url=urljoin(query_url, read) if read else None, reader_user=settings.store_reader_user,
        reader_password=settings.store_reader_password, graphs_max_age=settings.store_graphs_max_age,
    )
    PublicStore.attach(store, settings)
    return store
