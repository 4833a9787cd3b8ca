"""How several processes share one on-disk store safely (RocksDB allows one writer and
pyoxigraph 0.5 has no secondary mode; ``Store.read_only`` next to a live writer is undefined).

The scheme (docs/endpoint.md, "Concurrency and the store"):

* The primary directory (``settings.store``) is opened read-write **only inside a write
  session**, by whichever process holds an exclusive ``flock`` on ``<store>.jg/write.lock``,
  and is closed again at the end of the session. No process keeps it open between writes.
* At the end of every committed write session the writer makes a RocksDB checkpoint
  (``Store.backup``: hard links, milliseconds) into ``<store>.jg/snapshots/<name>`` and then
  atomically replaces the pointer file ``<store>.jg/CURRENT`` with that name.
* Every reader (web workers, query executor processes) opens the *snapshot* the pointer
  names with ``Store.read_only``. A snapshot is never written after it is made, so a
  read-only open of it is well defined. Before each request a reader ``stat``s the pointer
  (microseconds) and reopens when it changed, so readers see a write as soon as it commits.
* Old snapshots are deleted by a later writer once they have been superseded for longer
  than any query may run (``grace``), so no executor is still reading them.
* When a snapshot holds restricted graphs, the writer also builds its **public view**
  (``<name>-public``): a store with only the public graphs. Anonymous queries run there over
  the engine's own union — pyoxigraph evaluates every pattern once per graph when a dataset
  lists graphs, 100–600x slower with thousands of testimony graphs. It costs the disk space
  of the public graphs and a bulk copy per write.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from justicegraph.access import is_restricted
from justicegraph.store import OxigraphStore

PUBLIC_SUFFIX = "-public"


class SnapshotStore:
    def __init__(self, primary: str | Path, *, grace: float = 120.0):
        self.primary = Path(primary).resolve()
        self.state = self.primary.parent / (self.primary.name + ".jg")
        self.snapshots = self.state / "snapshots"
        self.pointer = self.state / "CURRENT"
        self.lock_path = self.state / "write.lock"
        self.grace = grace
        self._reader: OxigraphStore | None = None
        self._reader_key: tuple | None = None
        self._graphs: list[str] | None = None
        self._mutex = threading.Lock()
        self._current: tuple | None = None
        self._publishing = False

    # --- readers ------------------------------------------------------------------------
    def current(self) -> Path:
        """The directory of the newest committed snapshot (made on first use). The pointer
        is read again only when its inode/mtime/size changed (one stat per call)."""
        key = self._key()
        cached = self._current
        if key is not None and cached is not None and cached[0] == key:
            return cached[1]
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            self.publish()
            name = self.pointer.read_text(encoding="utf-8").strip()
        path = self.snapshots / name
        self._current = (key, path) if key is not None else None
        return path

    def public_view(self) -> Path | None:
        """The public view of the current snapshot, when it has one (only snapshots holding
        restricted graphs do). Immutable, like the snapshot itself."""
        path = self.current()
        view = path.with_name(path.name + PUBLIC_SUFFIX)
        return view if view.is_dir() else None

    def _key(self) -> tuple | None:
        try:
            st = os.stat(self.pointer)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def reader(self) -> OxigraphStore:
        """A read-only store on the current snapshot, shared by this process's threads."""
        key = self._key()
        if key is not None and key == self._reader_key and self._reader is not None:
            return self._reader
        with self._mutex:
            key = self._key()
            if key is None or key != self._reader_key or self._reader is None:
                path = self.current()
                self._reader = OxigraphStore(path, read_only=True)
                self._reader_key = self._key()
                self._graphs = None
            return self._reader

    def public_reader(self) -> OxigraphStore | None:
        """A read-only store on the current snapshot's public view, or None without one."""
        view = self.public_view()
        if view is None:
            return None
        with self._mutex:
            cached = getattr(self, "_public", None)
            if cached is None or cached[0] != view:
                self._public = cached = (view, OxigraphStore(view, read_only=True))
            return cached[1]

    def graphs(self) -> list[str]:
        """Named graphs of the current snapshot, listed once per snapshot."""
        reader = self.reader()
        graphs = self._graphs
        if graphs is None:
            graphs = self._graphs = reader.graphs()
        return graphs

    # --- the writer -----------------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[None]:
        self.state.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def writer(self) -> Iterator[OxigraphStore]:
        """Open the primary read-write for one write session; publish a snapshot on success."""
        if not self._publishing and not self.pointer.exists():
            self.publish()  # the first snapshot is made before the session takes the lock
        with self.locked():
            store = OxigraphStore(self.primary)
            try:
                yield store
                store.flush()
                self._checkpoint(store)
            finally:
                store.close()
                del store

    def publish(self) -> Path:
        """Make a snapshot of the primary as it is now (server start, after an offline load)."""
        self._publishing = True
        try:
            with self.writer():
                pass
        finally:
            self._publishing = False
        return self.current()

    def _checkpoint(self, store: OxigraphStore) -> None:
        self.snapshots.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}"
        store.engine.backup(str(self.snapshots / name))
        self._build_public_view(store, self.snapshots / (name + PUBLIC_SUFFIX))
        tmp = self.state / f"CURRENT.{os.getpid()}.tmp"
        tmp.write_text(name + "\n", encoding="utf-8")
        os.replace(tmp, self.pointer)
        self._collect(keep=name)

    @staticmethod
    def _build_public_view(store: OxigraphStore, path: Path) -> None:
        restricted = [g for g in store.graphs() if is_restricted(g)]
        if not restricted:
            return
        view = ox.Store(str(path))
        view.bulk_extend(q for q in store.engine
                         if not (isinstance(q.graph_name, ox.NamedNode) and is_restricted(q.graph_name.value)))
        view.flush()
        del view

    def _collect(self, keep: str) -> None:
        """Delete snapshots (and their public views) superseded longer than ``grace`` seconds ago."""
        names = sorted(p.name for p in self.snapshots.iterdir() if p.is_dir() and not p.name.endswith(PUBLIC_SUFFIX))
        now = time.time_ns()
        for older, newer in zip(names, names[1:], strict=False):
            if older == keep:
                continue
            superseded_at = int(newer.split("-")[0])
            if (now - superseded_at) / 1e9 > self.grace:
                shutil.rmtree(self.snapshots / older, ignore_errors=True)
                shutil.rmtree(self.snapshots / (older + PUBLIC_SUFFIX), ignore_errors=True)
