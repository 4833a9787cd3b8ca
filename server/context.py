"""Per-request access to the settings, the store and the caller's rights, shared by every
blueprint. The store is opened once per process, on first use."""

from __future__ import annotations

from flask import current_app, request

from justicegraph import access
from justicegraph.settings import Settings
from justicegraph.store import GraphStore, open_store


def settings() -> Settings:
    return current_app.config["JUSTICEGRAPH"]


def store() -> GraphStore:
    """The store to read. With an on-disk store this is the current read-only snapshot
    (server/protocol_snapshot.py): write through ``protocol.endpoint().write_session()``."""
    ext = current_app.extensions
    if ext.get("justicegraph.endpoint") is not None:
        return ext["justicegraph.endpoint"].store()
    if ext.get("justicegraph.store") is None:
        ext["justicegraph.store"] = open_store(settings().store)
    return ext["justicegraph.store"]


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def can_read_restricted() -> bool:
    return access.token_matches(bearer_token(), settings().read_token)


def can_write() -> bool:
    return access.token_matches(bearer_token(), settings().write_token)


def query_dataset(**kwargs) -> dict:
    """Dataset keyword arguments for ``store().query`` limited to what this caller may see."""
    s = settings()
    exclude = s.excluded_graphs
    endpoint = current_app.extensions.get("justicegraph.endpoint")
    return access.dataset(
        endpoint.graphs() if endpoint is not None else store().graphs(),  # cached per snapshot
        restricted_ok=can_read_restricted(),
        union=s.union_default_graph,
        exclude=exclude,
        **kwargs,
    )
