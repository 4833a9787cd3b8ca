"""Committing a big change to an on-disk store by swapping directories.

``Store.extend`` and ``Store.update`` are one RocksDB transaction each, but slow for big
changes (every quad through the transaction's write batch, ~15-35k quads/s here);
``Store.bulk_extend`` writes sorted files directly and is 3-4x faster, but it is not atomic.
A big change is therefore applied to a private copy and the copy is switched in at once:

1. ``Store.backup`` makes a RocksDB checkpoint of the committed store into
   ``<store>.jg/commit-<pid>-<random>`` (hard links on one filesystem: milliseconds);
2. the change runs there, with nobody else able to see it (drops and deletes as one Update,
   the inserts by a bulk load), and the copy is flushed and closed. This runs in a thread
   that releases the GIL (``StagedChange``), so a load validates its data meanwhile and
   commits, or aborts, when validation ends;
3. the primary is closed and ``renameat2(RENAME_EXCHANGE)`` swaps the two directories in one
   atomic step: the store's path names the old state or the new one, never a mix, whenever
   the process dies. The old state, now under the staging name, is deleted.

A SIGKILL before step 3 leaves the store as it was plus a staging directory (as big as the
store), which the next read-write open of the store deletes. Opening a store read-write holds an exclusive ``flock`` on
``<store>.jg/open.lock`` for as long as it is open, so no other process can open the primary
in the instant between closing it and the swap (RocksDB's own lock is on a file inside the
directory, which moves). Where the exchange is not possible (another filesystem, no
renameat2), the caller commits in one transaction instead.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import threading
from pathlib import Path

import pyoxigraph as ox

from justicegraph.store.journal import apply_steps, fsync_dir

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
STAGING_PREFIX = "commit-"


def state_dir(path: Path) -> Path:
    """``<store>.jg``: where the store's locks, staging copies and snapshots live (the
    server's snapshot scheme uses the same directory)."""
    path = Path(path).resolve()
    return path.parent / (path.name + ".jg")


class OpenLock:
    """An exclusive flock held while a store is open read-write in this process."""

    def __init__(self, path: Path):
        directory = state_dir(path)
        directory.mkdir(parents=True, exist_ok=True)
        self._handle = open(directory / "open.lock", "a+")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.close()
            raise OSError(errno.EAGAIN, f"the store {path} is already open read-write (in this or another process)") from None

    def release(self) -> None:
        if not self._handle.closed:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()


def staging_dir(path: Path) -> Path:
    """A fresh, not yet existing staging path; leftovers of commits killed before their swap
    are deleted first (the caller holds the open lock, so none of them is in progress)."""
    directory = state_dir(path)
    directory.mkdir(parents=True, exist_ok=True)
    remove_leftovers(directory)
    return directory / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"


def remove_leftovers(directory: Path) -> None:
    """Delete staging copies (and swap probes) of commits killed before their swap. Only
    for a caller holding the store's open lock: then none of them is in progress."""
    for old in [*directory.glob(STAGING_PREFIX + "*"), *directory.glob("probe-*")]:
        shutil.rmtree(old, ignore_errors=True)


_libc = None


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories (Linux renameat2 RENAME_EXCHANGE). False when the
    system or filesystem cannot (the caller then takes the transactional path)."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        rename = _libc.renameat2
    except (OSError, AttributeError):
        return False
    done = rename(_AT_FDCWD, os.fsencode(str(a)), _AT_FDCWD, os.fsencode(str(b)), _RENAME_EXCHANGE)
    if done != 0:
        code = ctypes.get_errno()
        if code in (errno.ENOSYS, errno.EINVAL, errno.EXDEV, errno.EPERM, errno.ENOTSUP):
            return False
        raise OSError(code, f"cannot swap {a} and {b}: {os.strerror(code)}")
    for directory in {Path(a).parent, Path(b).parent}:
        fsync_dir(directory)
    return True


def can_exchange(path: Path) -> bool:
    """Whether the store's directory and its state directory can be swapped (probed once per
    store with two empty directories)."""
    directory = state_dir(path)
    directory.mkdir(parents=True, exist_ok=True)
    a, b = directory / f"probe-{os.getpid()}-a", directory / f"probe-{os.getpid()}-b"
    try:
        a.mkdir(exist_ok=True)
        b.mkdir(exist_ok=True)
        return exchange(a, b) and Path(path).resolve().parent.stat().st_dev == directory.stat().st_dev
    except OSError:
        return False
    finally:
        for d in (a, b):
            shutil.rmtree(d, ignore_errors=True)


class StagedChange:
    """A change being applied to a checkpoint in a background thread. ``commit()`` waits for
    it and swaps it in (the store's ``_swap_in``); ``abort()`` waits and deletes it."""

    def __init__(self, owner, staging: Path, drop_graphs: list[str], delete: list, insert: list,
                 create_graphs: list[str] = ()):
        self.staging, self.drop_graphs, self.delete, self.insert = staging, drop_graphs, delete, insert
        self.create_graphs = list(create_graphs)
        self._owner = owner
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._build, name="jg-staged-commit", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        try:
            copy = ox.Store(str(self.staging))
            # in the private copy the steps need not be one transaction (nobody sees them)
            apply_steps(copy, self.drop_graphs, self.delete, (), ())
            bulk_insert(copy, self.insert)
            for graph in self.create_graphs:
                copy.add_graph(ox.NamedNode(graph))
            copy.flush()
            del copy  # closes the copy's RocksDB: the swap moves a closed, complete store
        except BaseException as exc:  # noqa: BLE001 - handed to the committing thread
            self._error = exc

    def _wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            raise self._error

    def commit(self) -> None:
        self._wait()
        self._owner._swap_in(self)

    def abort(self) -> None:
        self._thread.join()
        shutil.rmtree(self.staging, ignore_errors=True)


def bulk_insert(store: ox.Store, quads: list) -> None:
    """Bulk-load quads from N-Quads bytes: ``Store.bulk_load`` releases the GIL where
    ``bulk_extend`` holds it for the whole load. ``bulk_load`` relabels blank nodes, so
    lines holding '_:' (blank nodes, or that text inside a literal) are added by
    ``bulk_extend`` with their labels kept (the ontology's are deterministic)."""
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    if b"_:" in data:
        lines = data.split(b"\n")
        labelled = b"\n".join(line for line in lines if b"_:" in line)
        data = b"\n".join(line for line in lines if b"_:" not in line)
        store.bulk_extend(ox.parse(input=labelled, format=ox.RdfFormat.N_QUADS))
    if data.strip():
        # every term was checked when its quad was built: the parse may skip IRI checks
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
