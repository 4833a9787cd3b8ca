"""The endpoint's per-process machinery, built once per app: where reads come from
(snapshots or the store itself), the query executor, the write session and the metrics.

``endpoint()`` returns it for the current app. Other blueprints read through
``context.store()`` (which, for an on-disk store, is the read-only current snapshot) and
write through ``endpoint().write_session()``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pyoxigraph as ox
from flask import Flask, current_app, g, has_request_context, request

from justicegraph import access
from justicegraph.server.protocol.audit import AuditLog
from justicegraph.server.protocol.executor import InlineExecutor, ProcessExecutor
from justicegraph.server.protocol.metrics import Metrics
from justicegraph.server.protocol.snapshot import SnapshotStore, is_disk_store
from justicegraph.server.web import context
from justicegraph.settings import Settings
from justicegraph.store import GraphStore, OxigraphStore, open_store

EXTENSION = "justicegraph.endpoint"


class Endpoint:
    def __init__(self, settings: Settings, store: GraphStore | None):
        self.settings = settings
        self.metrics = Metrics()
        self._given = store
        self._store: GraphStore | None = store
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self.snapshots: SnapshotStore | None = None
        # The audit of writes over HTTP: outside the store and every dataset (protocol/audit.py).
        self.audit = AuditLog.for_settings(settings)
        if store is None and is_disk_store(settings.store):
            self.snapshots = SnapshotStore(settings.store, grace=max(120.0, 4 * settings.query_timeout),
                                           audit=self.audit)
        self._executor = None
        self._datasets: tuple | None = None  # (snapshot, {restricted_ok: dataset})

    # --- reading ---------------------------------------------------------------------------
    def store(self) -> GraphStore:
        """The store to read: the current snapshot (on disk) or the store itself."""
        if self.snapshots is not None:
            return self.snapshots.reader()
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = open_store(self.settings.store, settings=self.settings)
        return self._store

    def public_store(self) -> GraphStore | None:
        """The current snapshot's public view (only when it holds restricted graphs), or a
        remote store's public dataset (justicegraph/store/remote/public.py)."""
        if self.snapshots is not None:
            return self.snapshots.public_reader()
        return getattr(self.store(), "public", None)

    def graphs(self) -> list[str]:
        if self.snapshots is not None:
            return self.snapshots.graphs()
        return self.store().graphs()

    @property
    def executor(self):
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    if self.snapshots is not None:
                        size = self.settings.executors or self.settings.threads
                        # Executors start on demand; gunicorn starts them all at boot (warm_up).
                        self._executor = ProcessExecutor(self.snapshots, size)
                        self._executor.memory = self.settings.serve_mode == "memory"
                        # In memory mode an executor's size is its copy of the data, not bloat.
                        self._executor.max_rss_mb = 0 if self._executor.memory else self.settings.executor_max_rss_mb
                        # The start copy is the public view's: counted as the public's (no token is involved).
                        ready = (self.metrics.index("justicegraph_memory_copies_total"), 1)
                        self._executor.on_memory_ready = lambda: self.metrics.add_public(ready)
                    else:
                        self._executor = InlineExecutor(self.store)
        return self._executor

    def restarts(self) -> int:
        return 0 if self._executor is None else self._executor.killed

    # --- writing ---------------------------------------------------------------------------
    @contextmanager
    def write_session(self) -> Iterator[GraphStore]:
        """Exclusive, read-write access to the store for one change. On disk: the primary,
        under the inter-process write lock; readers see the change once the block ends
        without an exception (a new snapshot is published)."""
        with self._write_lock:
            if self.snapshots is None:
                yield self.store()
                return
            with self.snapshots.writer() as primary:
                yield primary

    def dataset(self, *, restricted_ok: bool, default_graph_uris=None, named_graph_uris=None) -> dict:
        """The picklable dataset description for a job, narrowed to what the caller may see."""
        explicit = default_graph_uris is not None or named_graph_uris is not None
        if not explicit and self.snapshots is not None:
            # The same for every request on a snapshot: worked out once (one stat per request).
            current = self.snapshots.current()
            cached = self._datasets
            if cached is None or cached[0] != current:
                cached = self._datasets = (current, {})
            found = cached[1].get(restricted_ok)
            if found is None:
                found = cached[1][restricted_ok] = self._dataset(restricted_ok, None, None, keyed=str(current))
            return found
        return self._dataset(restricted_ok, default_graph_uris, named_graph_uris)

    def _dataset(self, restricted_ok: bool, default_graph_uris, named_graph_uris, keyed: str | None = None) -> dict:
        s = self.settings
        exclude = s.excluded_graphs
        explicit = default_graph_uris is not None or named_graph_uris is not None
        known = self.snapshots.holds_restricted() if self.snapshots is not None else None
        if not explicit and not exclude and s.union_default_graph and known is not None:
            # Known from the snapshot's record, without listing its graphs (half a second at
            # 5M quads, on the way to the first answer): the caller sees everything, or the
            # view. Pinned to that snapshot: a write publishing another one meanwhile (e.g.
            # the first restricted graph) cannot change what this answer may see.
            snapshot, restricted = known
            if restricted_ok:
                return {"union": True}
            return {"union": True, "snapshot": str(snapshot.with_name(snapshot.name + "-public") if restricted
                                                   else snapshot)}
        remote = self.snapshots is None and hasattr(self.store(), "public_view")
        if not explicit and not restricted_ok and not exclude and remote and self.store().public_view() is not None:
            # A remote store's public dataset, or the anonymous endpoint of an engine with graph
            # security, holds exactly the public graphs: its own default dataset is what the
            # caller may see, with no graph list (and no listing): one engine call.
            return {"public": True, "union": True} if s.union_default_graph else \
                {"public": True, "default": [""], "named": None}
        # A remote store's graphs as last listed (at most graphs_max_age old: no listing per query)
        # for an anonymous caller; a token holder (who may write, and read what was written
        # through the other worker) gets a fresh listing.
        graphs = self.store().known_graphs() if remote and not restricted_ok else self.graphs()
        visible = access.visible_graphs(graphs, restricted_ok=restricted_ok, exclude=exclude)
        if not explicit and remote and not restricted_ok:
            # Always the list of visible names, even when nothing is hidden: "the union of every
            # graph" would be the engine's graphs at query time (the remote store lists them
            # again), and a restricted graph another process created since would be in it.
            return {"default": ["", *visible] if s.union_default_graph else [""], "named": visible}
        if not explicit and len(visible) == len(graphs):
            # Everything is visible: let the engine use its own (fast) union / default graph.
            return {"union": True} if s.union_default_graph else {"default": [""], "named": None}
        view = self.snapshots.public_view() if self.snapshots is not None else None
        if not explicit and not restricted_ok and not exclude and s.union_default_graph and view is not None:
            # The public view holds exactly the public graphs: its union is what the caller
            # may see, at the engine's own speed.
            return {"union": True, "snapshot": str(view)}
        kwargs = access.dataset(graphs, restricted_ok=restricted_ok, union=s.union_default_graph,
                                default_graph_uris=default_graph_uris, named_graph_uris=named_graph_uris,
                                exclude=exclude)
        default = ["" if isinstance(g, ox.DefaultGraph) else g.value for g in kwargs["default_graph"]]
        out = {"default": default, "named": [g.value for g in kwargs["named_graphs"]]}
        if keyed is not None:
            # Executors keep a listed dataset by this key: the lists cross the pipe once.
            out["key"] = f"{keyed}|{restricted_ok}"
        return out


def init_app(app: Flask, store: GraphStore | None) -> Endpoint:
    endpoint_ = Endpoint(app.config["JUSTICEGRAPH"], store)
    app.extensions[EXTENSION] = endpoint_
    # A token holder's requests are counted apart from the public's (protocol/metrics.py).
    endpoint_.metrics.private = _token_request

    @app.after_request
    def _count(response):
        path = request.path
        route = ("sparql" if path.startswith("/sparql") else "graphs" if path.startswith("/graphs")
                 else "meta" if path in ("/healthz", "/metrics", "/.well-known/void") else "other")
        endpoint_.metrics.inc("justicegraph_http_requests_total", route=route, status=str(response.status_code))
        return response

    return endpoint_


def _token_request() -> bool:
    if not has_request_context():
        return False
    private = g.get("jg_token_holder")
    if private is None:
        private = g.jg_token_holder = context.can_read_restricted()
    return private


def warm_up(app: Flask) -> None:
    """Start the query executors of this worker (gunicorn calls it after a worker boots)."""
    endpoint_ = app.extensions.get(EXTENSION)
    if endpoint_ is not None and endpoint_.snapshots is not None:
        endpoint_.executor.warm()


def endpoint() -> Endpoint:
    return current_app.extensions[EXTENSION]


__all__ = ["Endpoint", "endpoint", "init_app", "is_disk_store", "OxigraphStore"]
