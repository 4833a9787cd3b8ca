"""Query execution with a time limit that really stops the work.

pyoxigraph has no timeout and a running query cannot be interrupted from Python, so on an
on-disk store every query runs in an **executor process** (a small pool per web worker,
each a fresh interpreter). Each executor opens the current read-only snapshot
(protocol_snapshot) and streams results back through a pipe; the web thread relays them to
the client. When the deadline passes the executor is SIGKILLed and replaced: the work stops,
the web worker stays healthy, the next query gets a fresh executor.

An in-memory store cannot be shared with another process; it is queried inline (the limit is
then only checked between messages — documented; production uses the on-disk store).
"""

from __future__ import annotations

import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pyoxigraph as ox

from justicegraph.server.protocol.jobs import run_job
from justicegraph.server.protocol.process import (
    STARTUP_SECONDS,
    QueryTimeout,
    Zygote,
    ZygoteBusy,
    _Handle,
    _open,
)
from justicegraph.server.protocol.remote_diff import KillableDiff
from justicegraph.server.web.gateway import OUTCOME_KEY
from justicegraph.sparqltext.probe import within as probe_within


class Busy(Exception):
    """Every executor stayed busy until the deadline."""


# The environ key under which the fast lane hands an executor's outcome that it does not answer
# itself (an error, a refusal, a timeout, a streamed answer) to the app: (job, seconds, (meta,
# body) or the exception). The app maps it as its own (server/sparql.py ``_run``), never running
# the job again; a client cannot set it (headers arrive as HTTP_* keys).
OUTCOME = OUTCOME_KEY


EXECUTOR_START_GRACE = 5.0
DATASETS_KEPT = 16  # graph-list datasets an executor keeps by key
INLINE_BUDGET = 1024 * 1024  # bytes of answer a bounded query may produce in the web worker
BOUNDED_GRAPHS = 16  # most graphs a dataset may list for a query to run in the web worker  # seconds a waiting request allows for a replacement to start


class ProcessExecutor:
    """A pool of executor processes for one web worker."""

    def __init__(self, snapshots, size: int):
        self.snapshots = snapshots
        self.size = max(1, size)
        self._idle: queue.LifoQueue[_Handle] = queue.LifoQueue()
        self._count = 0
        self._lock = threading.Lock()
        self._stores: dict[str, ox.Store] = {}  # for run_bounded
        self.memory = False  # serve_mode = memory: executors query in-memory copies (memory.py)
        self._zygote: Zygote | None = None  # memory mode: holds the copy, forks executors from it
        self._zygote_started = False
        self._swap = threading.Lock()
        self._generation = 0  # bumped when the zygote loads another copy: executors forked before are replaced
        self._held: frozenset[str] = frozenset()  # the snapshots the zygote holds copies of
        self._loading: set[str] = set()  # asked of the zygote, not yet held
        self.max_rss_mb = 0  # executor_max_rss_mb: replace an executor grown past it (0: never)
        self.recycled = 0
        self.killed = 0
        self.on_memory_ready: Callable[[], None] | None = None  # called once the start copy is loaded

    def _acquire(self, deadline: float) -> _Handle:
        self._start_memory()
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._count < self.size:
                self._count += 1
                spawn = True
            else:
                spawn = False
        if spawn:
            try:
                return self._spawn(wait=False)  # a request is waiting: no wait for a load in the zygote
            except Exception:
                with self._lock:
                    self._count -= 1
                raise
        try:
            return self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise Busy() from None

    def _spawn(self, wait: bool = True) -> _Handle:
        """A new executor: in memory mode, once the zygote holds its copy, forked from it (it
        shares the copy); otherwise a fresh process reading the snapshots on disk (so memory
        mode answers from the start, as disk mode does, while the copy loads)."""
        zygote = self._zygote
        if zygote is not None:
            try:
                generation = self._generation
                handle = zygote.fork(self._current_paths(), wait)
                handle.generation = generation
                self._held = handle.held
                return handle
            except ZygoteBusy:
                pass  # from disk this time; replaced by a forked one after its job (_keep)
            except Exception:  # noqa: BLE001 - the zygote is gone: carry on from disk
                with self._lock:
                    if self._zygote is zygote:
                        self._zygote = None
                zygote.close()
        return _Handle()

    def _current_paths(self) -> list[str]:
        return [str(p) for p in (self.snapshots.public_view(), self.snapshots.current()) if p is not None]

    def _release(self, handle: _Handle) -> None:
        """Back to the pool after a job — unless the executor has grown past ``max_rss_mb``
        (a big query's working memory stays with the process), or it reads from disk while the
        memory copy is ready: then it is replaced, in the background, so the server's memory
        stays bounded by executors × the limit."""
        if self.max_rss_mb and handle.rss_mb() > self.max_rss_mb:
            self.recycled += 1
        elif self._keep(handle):
            return
        handle.kill()
        with self._lock:
            self._count -= 1
        self.warm()

    def _keep(self, handle: _Handle) -> bool:
        """Put an executor in the pool, unless it reads from disk while the memory copy is ready."""
        with self._swap:  # against _swap_idle: a stale executor is drained by it or refused here
            if self._stale(handle):
                return False
            self._idle.put(handle)
            return True

    def _discard(self, handle: _Handle) -> None:
        handle.kill()
        with self._lock:
            self._count -= 1
        self.killed += 1
        # Start a replacement at once: a request already waiting in _idle.get() is woken by
        # it, instead of waiting out its time limit and being answered Busy.
        self.warm()

    def warm(self) -> None:
        """Start every executor now (in the background), so no request pays for a start. In
        memory mode, also start the zygote loading the copy: the executors read from disk
        until it is loaded, then are replaced by executors forked from it."""
        self._start_memory()

        def start():
            while True:
                with self._lock:
                    if self._count >= self.size:
                        return
                    self._count += 1
                try:
                    handle = self._spawn()
                    self._open_snapshots(handle)
                    if not self._keep(handle):  # the copy became ready meanwhile: fork instead
                        handle.kill()
                        with self._lock:
                            self._count -= 1
                except Exception:  # noqa: BLE001 - warming is best effort
                    with self._lock:
                        self._count -= 1
                    return

        threading.Thread(target=start, name="jg-executor-warmup", daemon=True).start()

    def run_bounded(self, job: dict, timeout: float, probes: tuple | None = None) -> tuple[dict, Iterator[bytes]] | None:
        """Run a query whose work is bounded by its answer (justicegraph/sparqltext/bounded.py) —
        or, given ``probes``, by the counts of its patterns (justicegraph/sparqltext/probe.py) — in
        this thread, on stores this worker keeps open; None when the probes find it too big or
        the answer passes INLINE_BUDGET bytes (then it goes to an executor like any other)."""
        dataset = job.get("dataset", {})
        if len(dataset.get("default") or ()) + len(dataset.get("named") or ()) > BOUNDED_GRAPHS:
            return None  # pyoxigraph visits each listed graph: work no longer bounded by the answer
        if probes is not None and not (dataset.get("union") and set(dataset) <= {"union", "snapshot"}):
            # probes count the matches in every graph of the store read: only where the caller
            # sees all of it (the public view, or everything), so a count never reflects
            # restricted quads, not even in how long an answer takes
            return None
        if dataset.get("snapshot"):  # the public view
            with self._lock:
                store = _open(self._stores, dataset["snapshot"])
            snapshot = str(dataset["snapshot"])
        else:
            reader = self.snapshots.reader()  # the worker's own reader of the snapshot
            store, snapshot = reader.engine, str(reader.path)
        if probes is not None and not probe_within(store, probes, snapshot):
            return None
        messages: list[tuple] = []
        lateral = probes is not None and probes.lateral is not None
        if lateral:  # a label lookup: its anchored parts evaluated per solution (sparqltext/probe.py)
            job = dict(job, query=probes.lateral)
        run_job(dict(job, budget=INLINE_BUDGET), store, messages.append)
        first = messages[0]
        if first[0] == "overflow":
            return None
        if first[0] == "result":
            return first[1], iter((first[2],))
        if first[0] == "error":
            if lateral:
                return None  # an executor runs the user's own text, and words its error
            return {"error": (first[1], first[2])}, iter(())
        return None  # not a SELECT/ASK answer held whole: the executor's general path

    def _start_memory(self) -> None:
        if self.memory and not self._zygote_started:
            with self._lock:
                if self._zygote_started:
                    return
                self._zygote_started = True
            threading.Thread(target=self._start_zygote, name="jg-memory-copy", daemon=True).start()

    def _stale(self, handle: _Handle) -> bool:
        """Memory mode: it reads from disk though the copy is ready, or was forked before the
        zygote loaded another copy."""
        if self._zygote is None:
            return False
        return not handle.memory or handle.generation != self._generation

    def _load_in_zygote(self, path: str) -> None:
        """A forked executor was given a snapshot the zygote holds no copy of (a token holder's
        first query, a write it could not follow): it reads that one on disk meanwhile; the
        zygote loads it (or advances its copy by the recorded change) in the background, then
        the executors are forked again, sharing it."""
        with self._lock:
            if path in self._loading or path in self._held:
                return
            self._loading.add(path)

        def load():
            try:
                zygote = self._zygote
                if zygote is None:
                    return
                held = zygote.open([path], STARTUP_SECONDS * 60)
                with self._swap:
                    self._held = held
                    self._generation += 1
                self._swap_idle()
            except Exception:  # noqa: BLE001 - the executors go on reading it on disk
                pass
            finally:
                with self._lock:
                    self._loading.discard(path)

        threading.Thread(target=load, name="jg-memory-copy", daemon=True).start()

    @property
    def memory_ready(self) -> bool:
        """Memory mode: the copy is loaded and new executors are forked from it."""
        return self._zygote is not None

    def _start_zygote(self) -> None:
        """Memory mode: load the copy once, in the zygote (seconds per million quads), then
        swap the executors reading from disk for ones forked from it, idle ones at once and
        busy ones when their job ends (``_release``)."""
        try:
            zygote = Zygote()
        except Exception:  # noqa: BLE001 - memory mode unavailable: the executors stay on disk
            return
        try:
            # One copy at start (the view anonymous callers read); the other on first use.
            held = zygote.open(self._current_paths()[:1], STARTUP_SECONDS * 60)
        except Exception:  # noqa: BLE001
            zygote.close()
            return
        with self._swap:
            self._zygote = zygote
            self._held = held
        self._swap_idle()
        if self.on_memory_ready is not None:
            self.on_memory_ready()

    def _swap_idle(self) -> None:
        """Replace the idle executors that are stale (``_stale``) by ones forked now."""
        idle = []
        while True:
            try:
                idle.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for handle in idle:
            if not self._stale(handle):
                self._idle.put(handle)
                continue
            try:
                fresh = self._spawn()
            except Exception:  # noqa: BLE001
                self._idle.put(handle)
                continue
            self._idle.put(fresh)
            handle.kill()

    def _open_snapshots(self, handle: _Handle) -> None:
        """Have a new executor open the current snapshot and its public view now, so the first
        query it runs does not pay for opening them (one forked from the zygote holds them)."""
        if handle.memory:
            return
        try:
            handle.conn.send({"kind": "open", "snapshots": self._current_paths(), "memory": False})
            if handle.recv(time.monotonic() + STARTUP_SECONDS) != ("opened",):
                raise RuntimeError("a query executor could not open the snapshot")
        except BaseException:
            handle.kill()
            raise

    def run(self, job: dict, timeout: float) -> tuple[dict, Iterator[bytes]]:
        """Start a job; return its meta message and an iterator over its data. Raises
        QueryTimeout / Busy, or returns ("error", …) information inside meta. The time limit
        counts from when the job reaches an executor (waiting for a free one is bounded by
        the same limit plus EXECUTOR_START_GRACE, answered as Busy)."""
        # Waiting for a free executor is bounded apart from the run itself: when heavy
        # queries hold every executor, one is killed at its limit and replaced (a fresh
        # interpreter takes a moment to start), and a waiting light query should then run.
        handle = self._acquire(time.monotonic() + timeout + EXECUTOR_START_GRACE)
        deadline = time.monotonic() + timeout
        # A job may name an immutable view of the snapshot (the public view); else the current one.
        dataset = job.get("dataset", {})
        job = dict(job, snapshot=dataset.get("snapshot") or str(self.snapshots.current()), memory=handle.memory)
        if handle.memory and job["snapshot"] not in self._held:
            self._load_in_zygote(job["snapshot"])
        key = dataset.get("key")
        if key is not None:
            # Long graph lists cross the pipe once per executor; later jobs name them by key.
            job["dataset_key"] = key
            if key in handle.datasets:
                del job["dataset"]
            elif len(handle.datasets) >= DATASETS_KEPT:
                handle.datasets.clear()  # the executor forgets them too
                job["dataset_reset"] = True
        try:
            handle.conn.send(job)
            if key is not None:
                handle.datasets.add(key)
            first = handle.recv(deadline)
        except BaseException:
            self._discard(handle)
            raise
        if first[0] == "result":
            self._release(handle)
            return first[1], (first[2],)  # a tuple: the whole answer (the lane answers it itself)
        if first[0] == "error":
            self._release(handle)
            return {"error": (first[1], first[2])}, ()
        return first[1], _Stream(self, handle, deadline)

    def _finish(self, handle: _Handle, deadline: float) -> None:
        try:
            while handle.recv(deadline)[0] != "done":
                pass
            self._release(handle)
        except BaseException:
            self._discard(handle)

    def _stream(self, handle: _Handle, deadline: float) -> Iterator[bytes]:
        done = False
        try:
            while True:
                message = handle.recv(deadline)
                if message[0] == "data":
                    yield message[1]
                elif message[0] == "done":
                    done = True
                    return
                else:
                    raise RuntimeError(f"executor failed while streaming: {message}")
        finally:
            if done:
                self._release(handle)
            else:
                # Cut off (deadline, client gone, body not read): reuse the executor if it
                # finishes at once, otherwise kill it (it may still be working).
                self._finish(handle, min(deadline, time.monotonic() + 0.25))

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                break
        if self._zygote is not None:
            self._zygote.close()


class _Stream:
    """The data of a streamed answer. Closing it — or dropping it unread: a request refused
    after the fast lane handed its outcome on, a client gone before the first piece — frees
    its executor; a generator never started would run no ``finally`` and hold it for good."""

    def __init__(self, executor: ProcessExecutor, handle, deadline: float):
        self._executor, self._handle, self._deadline = executor, handle, deadline
        self._pieces = executor._stream(handle, deadline)
        self._started = False

    def __iter__(self) -> _Stream:
        return self

    def __next__(self) -> bytes:
        self._started = True
        return next(self._pieces)

    def close(self) -> None:
        if self._started:
            self._pieces.close()
            return
        self._started = True
        self._executor._finish(self._handle, min(self._deadline, time.monotonic() + 0.25))

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - at collection: nothing to tell
            pass


class InlineExecutor:
    """Runs jobs in the request thread (in-memory or remote stores). The time limit is only
    checked between result chunks: it cannot interrupt the engine."""

    def __init__(self, store_getter):
        self.store_getter = store_getter
        self._diffs = None  # server/protocol/remote_diff.py, on the first update of a remote store
        self._killed = 0

    @property
    def killed(self) -> int:
        return self._killed + (self._diffs.killed if self._diffs is not None else 0)

    def warm(self) -> None:
        pass

    def run(self, job: dict, timeout: float) -> tuple[dict, Iterator[bytes]]:
        deadline = time.monotonic() + timeout
        messages: list[tuple] = []
        view = job.get("dataset", {}).get("snapshot")
        store: Any = ox.Store.read_only(view) if view else self.store_getter()
        spec = getattr(store, "spec", None)
        if job["kind"] == "diff" and spec is not None:
            # A remote store's update runs on a copy in a process killed at the time limit.
            if self._diffs is None:
                self._diffs = KillableDiff()
                weakref.finalize(self, self._diffs.close)  # its process ends with this executor
            messages = self._diffs.run(spec(), job, timeout)
        else:
            # pyoxigraph's own Store when there is one (base IRI, fast paths); else the GraphStore.
            run_job(job, getattr(store, "engine", store), messages.append)
        if time.monotonic() > deadline:
            raise QueryTimeout()
        first = messages[0]
        if first[0] == "result":
            return first[1], iter((first[2],))
        if first[0] == "error":
            return {"error": (first[1], first[2])}, iter(())
        return first[1], (m[1] for m in messages if m[0] == "data")
