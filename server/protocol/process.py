"""One executor process: its main loop (the child side, ``python -m
justicegraph.server.protocol.process <fd>``) and its handle in the web worker (``_Handle``).

The child imports only what running a job needs (pyoxigraph and ``jobs``), so it starts
fast and inherits no RocksDB or thread state from the web worker. The pools that use it
are in ``executor`` (queries) and ``remote_diff`` (updates of a remote store).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection

import pyoxigraph as ox

from justicegraph.server.protocol.jobs import run_job

STARTUP_SECONDS = 60.0
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class QueryTimeout(Exception):
    """The deadline passed; the work was stopped."""


class EngineCrash(RuntimeError):
    """The executor process died during a job by a signal it did not get from us: pyoxigraph
    aborted (a panic in one of its threads, e.g. "comparison function does not correctly
    implement a total order") or ran out of stack. The request caused it; the executor is
    replaced."""

    def __init__(self, signal_number: int):
        super().__init__(f"the query executor process died by signal {signal_number}")
        self.signal_number = signal_number


def _child_main(conn) -> None:
    """Executor process: open the snapshots jobs name (a few kept open: the current snapshot and
    its public view, which anonymous and token-holding callers alternate between), run jobs."""
    stores: dict[str, ox.Store] = {}
    datasets: dict = {}  # dataset key → the description, sent once per executor
    remotes: dict = {}  # remote stores, by their connection parameters
    conn.send(("ready",))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the web worker went away
        if job["kind"] == "open":  # warming up: open the current snapshot(s) before any query
            for path in job["snapshots"]:
                _open(stores, path, job.get("memory", False))
            conn.send(("opened",))
            continue
        try:
            if "remote" in job:  # an update's diff on a remote store (server/protocol/remote_diff.py)
                store = open_remote(remotes, job["remote"])
            else:
                store = _open(stores, job["snapshot"], job.get("memory", False))
        except (OSError, ValueError) as exc:
            conn.send(("error", 500, f"cannot open the store snapshot: {exc}"))
            continue
        key = job.get("dataset_key")
        if key is not None:
            if "dataset" in job:
                if job.get("dataset_reset"):
                    datasets.clear()
                datasets[key] = job["dataset"]
            job["dataset"] = datasets[key]
        run_job(job, store, _Replies(conn.send))


STORES_KEPT = 2  # the current snapshot and its public view


def _open(stores: dict, path: str, memory: bool = False) -> ox.Store:
    store = stores.pop(path, None)
    if store is None and memory:
        # The copy of the previous snapshot, advanced by the write that made this one.
        from justicegraph.server.protocol.memory import advance

        store = advance(stores, path)
    if store is not None:
        stores[path] = store  # most recently used last
    else:
        while len(stores) >= STORES_KEPT:  # the oldest: superseded snapshots go first
            del stores[next(iter(stores))]
        if memory:  # serve_mode = memory (server/protocol/memory.py)
            from justicegraph.server.protocol.memory import load_in_memory

            store = stores[path] = load_in_memory(path)
        else:
            store = stores[path] = ox.Store.read_only(path)
    return store


class _Replies:
    """Sends a job's messages; a whole answer ("result") or an error before any data is
    final, so its trailing "done" is not sent (one message per typical query)."""

    def __init__(self, send):
        self.send = send
        self.final = False
        self._started = False

    def __call__(self, message: tuple) -> None:
        if message[0] == "done" and self.final:
            return
        self.final = message[0] == "result" or (message[0] == "error" and not self._started)
        self._started = True
        self.send(message)


class _Handle:
    """One executor: a fresh ``python -m justicegraph.server.protocol.process`` (imports only the
    executor; no inherited RocksDB or thread state) talking over a socket pair."""

    def __init__(self):
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "justicegraph.server.protocol.process", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self.conn = Connection(ours.detach())
        self.datasets: set = set()  # dataset keys this executor holds
        # Wait until the interpreter is up, so a query's time limit never pays for a start.
        if not self.conn.poll(STARTUP_SECONDS) or self.conn.recv() != ("ready",):
            self.kill()
            raise RuntimeError("a query executor did not start")

    def recv(self, deadline: float):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self.conn.poll(remaining):
            raise QueryTimeout()
        try:
            return self.conn.recv()
        except EOFError:
            try:
                code = self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
            if code is not None and code < 0:
                raise EngineCrash(-code) from None
            raise RuntimeError("the query executor process died") from None

    def rss_mb(self) -> float:
        """Resident memory of the executor process (0 when it cannot be read)."""
        try:
            with open(f"/proc/{self.process.pid}/statm") as handle:
                return int(handle.read().split()[1]) * _PAGE / 2**20
        except (OSError, ValueError, IndexError):
            return 0.0

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        finally:
            self.conn.close()


def open_remote(stores: dict, spec: dict):
    """Executor side: the remote store named by ``spec`` (RemoteStore.spec()), kept open."""
    key = repr(sorted(spec.items()))
    store = stores.get(key)
    if store is None:
        from justicegraph.store.remote import RemoteStore

        store = stores[key] = RemoteStore(**spec)
    return store


if __name__ == "__main__":  # an executor process: python -m justicegraph.server.protocol.process <fd>
    _child_main(Connection(int(sys.argv[1])))
