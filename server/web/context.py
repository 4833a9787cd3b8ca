"""Per-request access to the settings, the store and the caller's rights, shared by every
blueprint. The store is opened once per process, on first use."""

from __future__ import annotations

import weakref

from flask import current_app, g, request

from justicegraph import access
from justicegraph.settings import Settings
from justicegraph.store import GraphStore, OxigraphStore, open_store


def settings() -> Settings:
    return current_app.config["JUSTICEGRAPH"]


def store() -> GraphStore:
    """The store to read, chosen once per request. With an on-disk store this is the current
    read-only snapshot (server/protocol/snapshot.py) — or, for a caller who may not see
    restricted graphs, its public view, which holds none of them (faster, and nothing to
    leak). Write through ``protocol.endpoint().write_session()``."""
    if "jg_store" not in g:
        g.jg_store = _choose_store()
    return g.jg_store


def _choose_store() -> GraphStore:
    ext = current_app.extensions
    endpoint = ext.get("justicegraph.endpoint")
    if endpoint is not None:
        s = settings()
        if not can_read_restricted() and not s.excluded_graphs and s.union_default_graph:
            view = endpoint.public_store()
            if view is not None:
                return view
        return endpoint.store()
    if ext.get("justicegraph.store") is None:
        ext["justicegraph.store"] = open_store(settings().store, settings=settings())
    return ext["justicegraph.store"]


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def can_read_restricted() -> bool:
    """The read token opens the restricted graphs; so does the write token, whose holder may
    write them (roles: docs/security.md, "Who may do what"). One answer for every route."""
    given = bearer_token()
    s = settings()
    return access.token_matches(given, s.read_token) or access.token_matches(given, s.write_token)


def can_write() -> bool:
    return access.token_matches(bearer_token(), settings().write_token)


def query_dataset(**kwargs) -> dict:
    """Dataset keyword arguments for ``store().query`` limited to what this caller may see."""
    s = settings()
    exclude = s.excluded_graphs
    current = store()
    if not kwargs and not exclude and s.union_default_graph and getattr(current, "only_public", False):
        return {"union": True}  # a remote store's public dataset holds public graphs only: no listing
    restricted_ok = can_read_restricted()
    frozen = not kwargs and isinstance(current, OxigraphStore) and current.read_only
    if frozen:
        # A read-only embedded store (a snapshot or its public view) never changes: its
        # visible graphs are worked out once per store and caller level, not on every request
        # (filtering thousands of graph names by the access rule). Callers never mutate it.
        key = (restricted_ok, s.union_default_graph, exclude)
        found = _DATASETS.get(current, {}).get(key)
        if found is not None:
            return found
    found = access.dataset(
        current.graphs(),  # the graphs of this request's store (listed once per snapshot)
        restricted_ok=restricted_ok,
        union=s.union_default_graph,
        exclude=exclude,
        stable=frozen,
        **kwargs,
    )
    if frozen:
        _DATASETS.setdefault(current, {})[key] = found
    return found


# read-only store → {(restricted_ok, union, excluded graphs): dataset}; gone with the store
_DATASETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
