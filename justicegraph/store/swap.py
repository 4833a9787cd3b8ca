"""Committing a big change to an on-disk store by swapping directories.

``Store.extend`` and ``Store.update`` are one RocksDB transaction each, but slow for big
changes (every quad through the transaction's write batch, ~15-35k quads/s here);
``Store.bulk_extend`` writes sorted files directly and is 3-4x faster, but it is not atomic.
A big change is therefore applied to a private copy and the copy is switched in at once:

1. ``Store.backup`` makes a RocksDB checkpoint of the committed store into
   ``<store>.jg/commit-<pid>-<random>`` (hard links on one filesystem: milliseconds);
2. the change runs there, with nobody else able to see it (drops and deletes as one Update,
   the inserts by a bulk load), and the copy is flushed and closed. This runs in a child
   process fed the change as N-Quads (``StagedChange``): pyoxigraph's bulk load keeps the
   GIL for most of its work, so in a thread it took turns with the load's validation; in
   its own process it has a core of its own. The load validates meanwhile and commits, or
   aborts, when validation ends. The child dies with its parent (``PR_SET_PDEATHSIG``);
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
import json
import os
import queue
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
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
    """A change being applied to a checkpoint by a child process. The inserted quads may be
    handed over in parts while the caller still produces them (``add``, ``add_nquads``),
    then ``close``; ``commit()`` waits for the copy and swaps it in (the store's
    ``_swap_in``); ``abort()`` stops the child and deletes the copy."""

    def __init__(self, owner, staging: Path, drop_graphs: list[str], delete: list, create_graphs: list[str] = ()):
        self.staging, self.drop_graphs, self.delete = staging, list(drop_graphs), list(delete)
        self.insert: list = []  # every inserted quad, for the one-transaction fallback of _swap_in
        self.create_graphs = list(create_graphs)
        self._owner = owner
        self._error: BaseException | None = None
        self._closed = False
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - read once the child has ended
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from justicegraph.store.swap import _child; _child()", str(staging),
             str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr, close_fds=True)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._send, name="jg-staged-commit", daemon=True)
        self._writer.start()
        try:  # N-Quads keep blank node labels
            deleted = ox.serialize(self.delete, format=ox.RdfFormat.N_QUADS) if self.delete else b""
        except BaseException:
            self.abort()
            raise
        head = {"drop_graphs": self.drop_graphs, "create_graphs": self.create_graphs, "delete": len(deleted)}
        self._queue.put(json.dumps(head).encode() + b"\n" + deleted)

    def add(self, quads: list) -> None:
        """Insert ``quads`` too (serialised here, holding the GIL; written by a thread)."""
        self.insert.extend(quads)
        for start in range(0, len(quads), CHUNK_QUADS):
            part = quads[start:start + CHUNK_QUADS]
            self.add_nquads(ox.serialize(part, format=ox.RdfFormat.N_QUADS), len(part))

    def add_nquads(self, data: bytes, count: int) -> None:
        """Insert ``count`` quads given as N-Quads (the caller keeps them in ``insert`` for the
        fallback: see ``close``)."""
        if data:
            self._queue.put(_CHUNK.pack(len(data), count) + data)

    def close(self, insert: list | None = None) -> None:
        """No more quads; ``insert``, when given, is the whole of what was inserted."""
        if insert is not None:
            self.insert = insert
        if not self._closed:
            self._closed = True
            self._queue.put(_CHUNK.pack(0, 0))
            self._queue.put(None)

    def _send(self) -> None:
        while (part := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._process.stdin.write(part)
                except (BrokenPipeError, OSError, ValueError) as exc:  # the child ended or was stopped: its exit tells
                    self._error = exc
        try:
            self._process.stdin.close()
        except (BrokenPipeError, OSError, ValueError) as exc:
            self._error = self._error or exc

    def built(self) -> None:
        """Wait until the copy is complete and closed (the child has exited); raises OSError
        when it could not be built (the copy is then deleted)."""
        self.close()
        self._writer.join()
        code = self._process.wait()
        if code != 0:
            self._stderr.seek(0)
            detail = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
            shutil.rmtree(self.staging, ignore_errors=True)
            raise OSError(f"building the change in {self.staging} failed (exit {code}): "
                          f"{detail[-1] if detail else self._error or 'no message'}")

    def commit(self) -> None:
        try:
            self.built()
        finally:
            self._stderr.close()
        self._owner._swap_in(self)

    def abort(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._closed = True
        self._queue.put(None)
        self._writer.join()
        self._stderr.close()
        shutil.rmtree(self.staging, ignore_errors=True)


# The child bulk-loads what it has received once it holds this many quads (and at the end):
# the loads start while the parent still maps, and several small ones cost no more CPU and
# far less memory than one of a million (1.15M quads in one bulk load: 14.9 CPU s, in 4:
# 11.2–14.4, in 12: 13.5, on a busy machine; the child's peak RSS 0.4 GB instead of 1.8).
BATCH_QUADS = 100_000
CHUNK_QUADS = 50_000  # quads serialised at a time by ``add``
_CHUNK = struct.Struct(">QQ")  # a part's length in bytes and in quads; (0, 0) ends the input


def _child() -> None:
    """The child of ``StagedChange``: ``python -c ... STAGING PARENT_PID``, the change on
    stdin: a JSON head line and the deleted quads as N-Quads, then the inserted quads in
    parts, each a ``_CHUNK`` header and N-Quads, ended by an empty header. Exits 0 once the
    copy is complete, flushed and closed; anything else is a failed build."""
    staging, parent = sys.argv[1], int(sys.argv[2])
    try:  # die with the parent: a killed load leaves nobody writing into its staging copy
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        sys.exit("the loading process has gone")
    source = sys.stdin.buffer
    head = json.loads(source.readline())
    deleted = source.read(head["delete"])
    if len(deleted) != head["delete"]:
        sys.exit("the change was cut short")
    copy = ox.Store(staging)
    # in the private copy the steps need not be one transaction (nobody sees them)
    apply_steps(copy, head["drop_graphs"], list(ox.parse(input=deleted, format=ox.RdfFormat.N_QUADS)), (), ())
    batch: list[bytes] = []
    held = 0
    while True:
        header = source.read(_CHUNK.size)
        if len(header) != _CHUNK.size:
            sys.exit("the change was cut short")
        size, count = _CHUNK.unpack(header)
        if size == 0:
            break
        part = source.read(size)
        if len(part) != size:
            sys.exit("the change was cut short")
        batch.append(part)
        held += count
        if held >= BATCH_QUADS:
            bulk_insert_nquads(copy, b"".join(batch))
            batch, held = [], 0
    if batch:
        bulk_insert_nquads(copy, b"".join(batch))
    for graph in head["create_graphs"]:
        copy.add_graph(ox.NamedNode(graph))
    copy.flush()
    del copy  # closes the copy's RocksDB: the swap moves a closed, complete store


def bulk_insert_nquads(store: ox.Store, data: bytes) -> None:
    """Bulk-load quads from N-Quads bytes: ``Store.bulk_load`` is faster than ``bulk_extend``
    and skips building Python objects. It relabels blank nodes, so lines holding '_:' (blank
    nodes, or that text inside a literal) are added by ``bulk_extend`` with their labels kept
    (the ontology's are deterministic)."""
    labelled, kept, start = [], [], 0
    found = data.find(b"_:")
    while found != -1:  # few such lines (the ontology's): cut them out without splitting every line
        line_start = data.rfind(b"\n", 0, found) + 1
        line_end = data.find(b"\n", found)
        line_end = len(data) if line_end == -1 else line_end + 1
        kept.append(data[start:line_start])
        labelled.append(data[line_start:line_end])
        start = line_end
        found = data.find(b"_:", start)
    if labelled:
        data = b"".join([*kept, data[start:]])
        store.bulk_extend(ox.parse(input=b"\n".join(labelled), format=ox.RdfFormat.N_QUADS))
    if data.strip():
        # every term was checked when its quad was built: the parse may skip IRI checks
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
