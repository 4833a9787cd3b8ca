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
  lists graphs, 100–600x slower with thousands of testimony graphs. A write's view is the
  previous view plus the public part of the write's change (server/protocol/public.py).
* Next to each snapshot, ``<name>.json`` records a fingerprint of the primary's files as
  the snapshot was made. While the primary's files are unchanged (RocksDB writes a new
  MANIFEST and log whenever a store is opened read-write, e.g. by an offline
  ``justicegraph load``), the current snapshot and view are exact: the server starts on them
  without opening the primary, and the next write updates the view incrementally. Otherwise
  the next session or start publishes afresh, with the view built in full.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from justicegraph.access import is_restricted
from justicegraph.server.protocol import public as public_view
from justicegraph.store import OxigraphStore

PUBLIC_SUFFIX = public_view.SUFFIX
_SNAPSHOT_NAME = re.compile(r"^[0-9]{20}-[0-9]+$")


def is_disk_store(location: str) -> bool:
    """Whether the ``store`` setting names an on-disk store (then it is read through snapshots)."""
    return location != "memory" and "://" not in location


class SnapshotStore:
    def __init__(self, primary: str | Path, *, grace: float = 120.0, audit=None):
        self.primary = Path(primary).resolve()
        # server/protocol/audit.py: records a session left in the audit graphs are moved to
        # the audit log before any snapshot is made, so no reader ever sees them.
        self.audit = audit
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
        self.last_view_build: str | None = None  # "incremental" or "full" (tests, logs)
        self._holds: tuple | None = None

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

    def holds_restricted(self) -> tuple[Path, bool] | None:
        """(current snapshot, whether it holds restricted graphs — then its public view
        exists), from the record made with it; None when there is no record (a snapshot of
        an older version) or its view is missing."""
        path = self.current()
        cached = self._holds
        if cached is None or cached[0] != path:
            try:
                meta = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
                holds = bool(meta["view"])
                if holds and not path.with_name(path.name + PUBLIC_SUFFIX).is_dir():
                    holds = None
            except (OSError, ValueError, KeyError):
                holds = None
            self._holds = cached = (path, holds)
        return None if cached[1] is None else (cached[0], cached[1])

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
        """Open the primary read-write for one write session; publish a snapshot on success.

        Write through the yielded store's ``apply`` (recorded, so the public view is updated
        by the change alone); a write through its ``engine`` must be reported with
        ``record(store, Delta)``; ``update``/``bulk_import`` make the view be rebuilt."""
        if not self._publishing and not self.pointer.exists():
            self.publish()  # the first snapshot is made before the session takes the lock
        with self.locked():
            base = self._in_sync()
            with self._session(base) as session:
                yield session

    def publish(self) -> Path:
        """Make a snapshot of the primary as it is now (server start, after an offline load);
        nothing to do when the current snapshot already holds exactly the primary's content."""
        self._publishing = True
        try:
            with self.locked():
                base = self._in_sync()
                if base is None:
                    with self._session(None):
                        pass
        finally:
            self._publishing = False
        return self.current()

    def up_to_date(self) -> bool:
        """The current snapshot holds what the primary holds (no lock; a hint for start-up)."""
        return self._in_sync() is not None

    @contextmanager
    def _session(self, base: tuple[str, dict] | None) -> Iterator[OxigraphStore]:
        for leftover in public_view.leftovers(self.snapshots) if self.snapshots.is_dir() else ():
            shutil.rmtree(leftover, ignore_errors=True)  # a view build killed mid-way
        store = OxigraphStore(self.primary)
        session = _Session(store)
        name = None
        try:
            yield session
            if self.audit is not None:
                self.audit.move_out(session)
            store.flush()
            self.snapshots.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns():020d}-{os.getpid()}"
            store.engine.backup(str(self.snapshots / name))
            has_view = self._build_public_view(store, name, base, session.deltas)
        finally:
            session.close()
            store.close()
            del store
        if name is not None:
            changed = (base[0], session.deltas) if base is not None and session.deltas is not None else None
            self._commit(name, has_view, changed, self._public_version(name, base, session.deltas))

    def _build_public_view(self, store: OxigraphStore, name: str, base, deltas) -> bool:
        if not any(is_restricted(g) for g in store.graphs()):
            return False
        target = self.snapshots / (name + PUBLIC_SUFFIX)
        if base is not None and deltas is not None:
            # The previous view (or the whole previous snapshot, when it held nothing
            # restricted) plus the public part of this session's changes.
            previous = self.snapshots / (base[0] + PUBLIC_SUFFIX if base[1].get("view") else base[0])
            if previous.is_dir():
                public_view.build_incremental(previous, deltas, target)
                self.last_view_build = "incremental"
                return True
        public_view.build_full(store.engine, target)
        self.last_view_build = "full"
        return True

    def _public_version(self, name: str, base, deltas) -> str:
        """The snapshot whose public graphs this one's equal: the previous one's when the
        session changed no public graph (a restricted-only write must change nothing the
        public can see, not even the snapshot name /healthz shows; issue #17, item 6)."""
        if base is None or deltas is None:
            return name
        hidden = set(self.audit.graphs) if self.audit is not None else set()

        def public(graph) -> bool:
            value = graph if isinstance(graph, str) else getattr(graph, "value", None)
            return value is None or (not is_restricted(value) and value not in hidden)

        for delta in deltas:
            if any(public(g) for g in delta.dropped + delta.created) or \
                    any(public(q.graph_name) for q in delta.removed + delta.added):
                return name
        return base[1].get("public", base[0])

    def public_version(self) -> str:
        """The name of the current snapshot, as far as the public graphs tell (see above)."""
        path = self.current()
        cached = getattr(self, "_version", None)
        if cached is None or cached[0] != path:
            try:
                meta = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
                version = meta.get("public", path.name)
            except (OSError, ValueError):
                version = path.name
            self._version = cached = (path, version)
        return cached[1]

    def _commit(self, name: str, has_view: bool, changed: tuple[str, list] | None = None,
                public: str | None = None) -> None:
        """Record what the snapshot was made from, then switch readers to it (the pointer
        replacement is the commit point: a crash before it leaves the previous snapshot).
        ``changed``: (previous snapshot, the changes that lead from it to this one), kept in
        ``<name>.delta`` for executors holding in-memory copies (server/protocol/memory.py)."""
        if changed is not None:
            tmp = self.snapshots / f"{name}.delta.{os.getpid()}.tmp"
            with open(tmp, "wb") as handle:
                pickle.dump({"base": changed[0], "deltas": changed[1]}, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.snapshots / (name + ".delta"))
        meta = {"primary": fingerprint(self.primary), "view": has_view, "public": public or name}
        _write_atomically(self.snapshots / (name + ".json"), json.dumps(meta))
        _write_atomically(self.pointer, name + "\n")
        self._collect(keep=name)

    def _in_sync(self) -> tuple[str, dict] | None:
        """(name, meta) of the current snapshot when the primary has not been opened for
        writing since it was made (RocksDB starts a new MANIFEST and log on every read-write
        open, so the primary's file list changes); None otherwise."""
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
            meta = json.loads((self.snapshots / (name + ".json")).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not (self.snapshots / name).is_dir() or meta.get("primary") != fingerprint(self.primary):
            return None
        if OxigraphStore.has_unfinished_write(self.primary):
            return None  # a session opens the primary read-write, which completes the write
        if meta.get("view") and not (self.snapshots / (name + PUBLIC_SUFFIX)).is_dir():
            return None
        return name, meta

    def _collect(self, keep: str) -> None:
        """Delete snapshots (and their public views) superseded longer than ``grace`` seconds ago."""
        names = sorted(p.name for p in self.snapshots.iterdir() if p.is_dir() and _SNAPSHOT_NAME.match(p.name))
        now = time.time_ns()
        for older, newer in zip(names, names[1:], strict=False):
            if older == keep:
                continue
            superseded_at = int(newer.split("-")[0])
            if (now - superseded_at) / 1e9 > self.grace:
                shutil.rmtree(self.snapshots / older, ignore_errors=True)
                shutil.rmtree(self.snapshots / (older + PUBLIC_SUFFIX), ignore_errors=True)
                (self.snapshots / (older + ".json")).unlink(missing_ok=True)
                (self.snapshots / (older + ".delta")).unlink(missing_ok=True)


class _Session:
    """The primary as a write session hands it out: ``apply`` records each change for the
    public view; writes the view cannot follow (``update``, ``bulk_import``) make it be
    rebuilt in full. Everything else is the store's."""

    def __init__(self, store: OxigraphStore):
        self._store = store
        self.deltas: list[public_view.Delta] | None = []

    def apply(self, *, drop_graphs=(), delete=(), insert=(), create_graphs=()) -> None:
        drop_graphs, delete, insert = list(drop_graphs), list(delete), list(insert)
        create_graphs = list(create_graphs)
        self._store.apply(drop_graphs=drop_graphs, delete=delete, insert=insert, create_graphs=create_graphs)
        self.record(public_view.Delta(dropped=drop_graphs, removed=delete, added=insert, created=create_graphs))

    def record(self, delta: public_view.Delta) -> None:
        if self.deltas is not None:
            self.deltas.append(delta)

    def update(self, text: str) -> None:
        self.deltas = None
        self._store.update(text)

    def bulk_import(self, quads) -> None:
        self.deltas = None
        self._store.bulk_import(quads)

    def close(self) -> None:
        self._store = None

    def __getattr__(self, name):
        store = self.__dict__.get("_store")
        if store is None:
            raise RuntimeError("the write session is over")
        return getattr(store, name)


def record(store, delta: public_view.Delta) -> None:
    """Report a change written through a session store's ``engine`` (no-op for other stores)."""
    if isinstance(store, _Session):
        store.record(delta)


def fingerprint(directory: Path) -> str:
    """Names, sizes and times of a RocksDB directory's files (not its info logs or lock)."""
    try:
        entries = sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(directory)
                         if e.is_file() and e.name != "LOCK" and not e.name.startswith("LOG"))
    except FileNotFoundError:
        return "absent"
    return hashlib.sha256(repr(entries).encode()).hexdigest()


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
