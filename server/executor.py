"""Query execution with a time limit that really stops the work.

pyoxigraph has no timeout and a running query cannot be interrupted from Python, so on an
on-disk store every query runs in an **executor process** (a small pool per web worker,
forked from a clean forkserver). Each executor opens the current read-only snapshot
(protocol_snapshot) and streams results back through a pipe; the web thread relays them to
the client. When the deadline passes the executor is SIGKILLed and replaced: the work stops,
the web worker stays healthy, the next query gets a fresh executor.

An in-memory store cannot be shared with another process; it is queried inline (the limit is
then only checked between messages — documented; production uses the on-disk store).
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox

from .protocol_jobs import run_job


class QueryTimeout(Exception):
    """The deadline passed; the work was stopped."""


class Busy(Exception):
    """Every executor stayed busy until the deadline."""


def _child_main(conn) -> None:
    """Executor process: open the snapshot a job names (reopening when it changes), run jobs."""
    store, opened = None, None
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the web worker went away
        if job["snapshot"] != opened:
            store = None
            store = ox.Store.read_only(job["snapshot"])
            opened = job["snapshot"]
        run_job(job, store, conn.send)


class _Handle:
    def __init__(self, ctx):
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_child_main, args=(child,), daemon=True, name="jg-executor")
        self.process.start()
        child.close()

    def recv(self, deadline: float):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self.conn.poll(remaining):
            raise QueryTimeout()
        return self.conn.recv()

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.join(timeout=5)
        finally:
            self.conn.close()


class ProcessExecutor:
    """A pool of executor processes for one web worker."""

    def __init__(self, snapshots, size: int):
        self.snapshots = snapshots
        self.size = max(1, size)
        self._idle: queue.LifoQueue[_Handle] = queue.LifoQueue()
        self._count = 0
        self._lock = threading.Lock()
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["justicegraph.server.executor"])
        self.killed = 0

    def _acquire(self, deadline: float) -> _Handle:
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
                return _Handle(self._ctx)
            except Exception:
                with self._lock:
                    self._count -= 1
                raise
        try:
            return self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise Busy() from None

    def _discard(self, handle: _Handle) -> None:
        handle.kill()
        with self._lock:
            self._count -= 1
        self.killed += 1

    def run(self, job: dict, timeout: float) -> tuple[dict, Iterator[bytes]]:
        """Start a job; return its meta message and an iterator over its data. Raises
        QueryTimeout / Busy, or returns ("error", …) information inside meta."""
        deadline = time.monotonic() + timeout
        handle = self._acquire(deadline)
        job = dict(job, snapshot=str(self.snapshots.current()))
        try:
            handle.conn.send(job)
            first = handle.recv(deadline)
        except BaseException:
            self._discard(handle)
            raise
        if first[0] == "error":
            self._finish(handle, deadline)
            return {"error": (first[1], first[2])}, iter(())
        return first[1], self._stream(handle, deadline)

    def _finish(self, handle: _Handle, deadline: float) -> None:
        try:
            while handle.recv(deadline)[0] != "done":
                pass
            self._idle.put(handle)
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
                self._idle.put(handle)
            else:
                # Cut off (deadline, client gone, error): the executor may still be busy.
                self._discard(handle)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return


class InlineExecutor:
    """Runs jobs in the request thread (in-memory or remote stores). The time limit is only
    checked between result chunks: it cannot interrupt the engine."""

    def __init__(self, store_getter):
        self.store_getter = store_getter
        self.killed = 0

    def run(self, job: dict, timeout: float) -> tuple[dict, Iterator[bytes]]:
        deadline = time.monotonic() + timeout
        messages: list[tuple] = []
        engine: Any = self.store_getter()
        run_job(job, getattr(engine, "engine", engine), messages.append)
        if time.monotonic() > deadline:
            raise QueryTimeout()
        first = messages[0]
        if first[0] == "error":
            return {"error": (first[1], first[2])}, iter(())
        return first[1], (m[1] for m in messages if m[0] == "data")
