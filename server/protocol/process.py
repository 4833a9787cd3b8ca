"""One executor process: its main loop (the child side, ``python -m
justicegraph.server.protocol.process <fd>``) and its handle in the web worker (``_Handle``).

The child imports only what running a job needs (pyoxigraph and ``jobs``), so it starts
fast and inherits no RocksDB or thread state from the web worker. The pools that use it
are in ``executor`` (queries) and ``remote_diff`` (updates of a remote store).

``serve_mode = memory`` adds a **zygote** (``python -m justicegraph.server.protocol.process
<fd> zygote``, handle ``Zygote``): one process per pool that loads the in-memory copy once
and forks the executors from it, so they share its pages copy-on-write instead of each
loading (and holding) a copy of its own (server/protocol/memory.py).
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from multiprocessing.reduction import recvfds, sendfds

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


def _child_main(conn, stores: dict[str, ox.Store] | None = None) -> None:
    """Executor process: open the snapshots jobs name (a few kept open: the current snapshot and
    its public view, which anonymous and token-holding callers alternate between), run jobs.
    ``stores``: the in-memory copies an executor forked by the zygote starts with."""
    datasets: dict = {}  # dataset key → the description, sent once per executor
    remotes: dict = {}  # remote stores, by their connection parameters
    if stores is None:
        stores = {}
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
                # An executor never loads a copy itself (the zygote does): what it holds no copy
                # of, it reads on disk meanwhile (server/protocol/executor.py asks the zygote).
                store = _open(stores, job["snapshot"], job.get("memory", False), load=False)
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


def _open(stores: dict, path: str, memory: bool = False, load: bool = True) -> ox.Store:
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
        if memory and load:  # serve_mode = memory (server/protocol/memory.py)
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

    memory = False  # it reads snapshots in place (a job asks it for memory copies or not)
    generation = 0  # memory mode: the zygote's copies it was forked with (ProcessExecutor._stale)

    def __init__(self, *role: str):
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "justicegraph.server.protocol.process", str(theirs.fileno()), *role],
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
            code = self._exit_code()
            if code is not None and code < 0:
                raise EngineCrash(-code) from None
            raise RuntimeError("the query executor process died") from None

    def _exit_code(self) -> int | None:
        try:
            return self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        """Resident memory of the executor process (0 when it cannot be read)."""
        try:
            with open(f"/proc/{self.pid}/statm") as handle:
                return int(handle.read().split()[1]) * _PAGE / 2**20
        except (OSError, ValueError, IndexError):
            return 0.0

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        finally:
            self.conn.close()


class _ForkedHandle(_Handle):
    """An executor forked by the zygote (``Zygote.fork``): it starts holding the zygote's
    in-memory copies. Not our child, so it is signalled through a pidfd (never a pid that may
    have been reused) and its exit status is asked of the zygote, which reaps it."""

    memory = True
    held: frozenset[str] = frozenset()  # the snapshots it was forked holding copies of

    def __init__(self, zygote: Zygote, pid: int, conn: Connection, pidfd: int):
        self.zygote = zygote
        self._pid = pid
        self.conn = conn
        self.pidfd = pidfd
        self.datasets = set()

    @property
    def pid(self) -> int:
        return self._pid

    def _exit_code(self) -> int | None:
        return self.zygote.exit_code(self._pid)

    def kill(self) -> None:
        try:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass  # already gone
            select.select([self.pidfd], [], [], 5)  # readable once the process has exited
        finally:
            os.close(self.pidfd)
            self.conn.close()


class ZygoteBusy(RuntimeError):
    """The zygote is loading a copy; it forks once that is done."""


class Zygote:
    """The web worker's handle on the zygote (``_zygote_main``): a fresh interpreter that loads
    the in-memory copies once, then forks an executor per request. Requests are serialised (one
    connection); ``open`` may take as long as loading the copy takes."""

    def __init__(self):
        import threading

        self._handle = _Handle("zygote")
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self._handle.process.pid

    def _ask(self, request: dict, seconds: float, wait: bool | float = True):
        """``wait``: True, False (ZygoteBusy at once while another request, e.g. a load, is
        under way) or the seconds to wait for it."""
        acquired = self._lock.acquire(timeout=wait) if not isinstance(wait, bool) else self._lock.acquire(blocking=wait)
        if not acquired:
            raise ZygoteBusy()
        try:
            self._handle.conn.send(request)
            reply = self._handle.recv(time.monotonic() + seconds)
            if reply[0] == "forked":  # then its socket and pidfd, passed as file descriptors
                with socket.fromfd(self._handle.conn.fileno(), socket.AF_UNIX, socket.SOCK_STREAM) as raw:
                    return reply, *recvfds(raw, 2)
            return reply
        finally:
            self._lock.release()

    def open(self, paths: list[str], seconds: float) -> frozenset[str]:
        """Load ``paths`` into memory (advanced from a copy it holds where a recorded change
        allows; else seconds per million quads); the paths it now holds."""
        reply = self._ask({"kind": "open", "snapshots": paths}, seconds)
        if reply[0] != "opened":
            raise RuntimeError("the memory-mode zygote could not load the snapshot")
        return frozenset(reply[1])

    def fork(self, paths: list[str], wait: bool = True) -> _ForkedHandle:
        """A new executor holding the zygote's copies, first advanced to ``paths`` where a
        recorded change allows (never a full load here: ``open`` does that). ``held`` on the
        handle: the paths the copies are of. ``wait=False``: raise ZygoteBusy at once while the
        zygote is loading (a request waiting for an executor must not wait for a load)."""
        (_, pid, held), sock, pidfd = self._ask({"kind": "fork", "snapshots": paths}, STARTUP_SECONDS, wait)
        handle = _ForkedHandle(self, pid, Connection(sock), pidfd)
        handle.held = frozenset(held)
        return handle

    def exit_code(self, pid: int) -> int | None:
        try:  # not for long while the zygote loads a copy: then the crash is reported as a failure
            return self._ask({"kind": "status", "pid": pid}, 5, wait=2.0)[1]
        except (QueryTimeout, EOFError, OSError, RuntimeError):
            return None

    def close(self) -> None:
        self._handle.kill()


def _zygote_main(conn) -> None:
    """Zygote: load the copies the pool asks for, then fork executors from them. It stays
    single-threaded in Python (pyoxigraph's in-memory store survives a fork; RocksDB's idle
    background threads of the read-only source do not, and no forked executor writes RocksDB)."""
    from justicegraph.server.protocol.memory import advance

    stores: dict[str, ox.Store] = {}
    statuses: dict[int, int] = {}  # reaped executors: pid → exit code (-signal when killed by one)
    conn.send(("ready",))
    while True:
        _reap(statuses)
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job["kind"] == "open":
            gate = os.environ.get("JG_TEST_MEMORY_GATE")
            while gate and not os.path.exists(gate):  # tests only: hold the copy back (tests/test_serve_memory_start.py)
                time.sleep(0.05)
            for path in job["snapshots"]:
                _open(stores, path, True)
            conn.send(("opened", sorted(stores)))
        elif job["kind"] == "fork":
            for path in job["snapshots"]:  # follow writes made since the copy was loaded, cheaply
                if path not in stores:
                    advanced = advance(stores, path)
                    if advanced is not None:
                        stores[path] = advanced
            ours, theirs = socket.socketpair()
            pid = os.fork()
            if pid == 0:  # the executor
                conn.close()
                ours.close()
                code = 0
                try:
                    _child_main(Connection(theirs.detach()), stores)
                except BaseException:  # noqa: BLE001 - reported, then the process ends
                    import traceback

                    traceback.print_exc()
                    code = 1
                os._exit(code)
            theirs.close()
            pidfd = os.pidfd_open(pid)  # before any reaping: it names this process, whatever happens
            conn.send(("forked", pid, sorted(stores)))
            with socket.fromfd(conn.fileno(), socket.AF_UNIX, socket.SOCK_STREAM) as raw:
                sendfds(raw, [ours.fileno(), pidfd])
            ours.close()
            os.close(pidfd)
        elif job["kind"] == "status":
            deadline = time.monotonic() + 2
            while job["pid"] not in statuses and time.monotonic() < deadline:
                time.sleep(0.01)
                _reap(statuses)
            conn.send(("status", statuses.pop(job["pid"], None)))


def _reap(statuses: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if len(statuses) > 256:  # statuses nobody asked for (executors killed on purpose)
            statuses.clear()
        statuses[pid] = os.waitstatus_to_exitcode(status)


def open_remote(stores: dict, spec: dict):
    """Executor side: the remote store named by ``spec`` (RemoteStore.spec()), kept open."""
    key = repr(sorted(spec.items()))
    store = stores.get(key)
    if store is None:
        from justicegraph.store.remote import RemoteStore

        store = stores[key] = RemoteStore(**spec)
    return store


if __name__ == "__main__":  # an executor process: python -m justicegraph.server.protocol.process <fd> [zygote]
    if sys.argv[2:] == ["zygote"]:
        _zygote_main(Connection(int(sys.argv[1])))
    else:
        _child_main(Connection(int(sys.argv[1])))
