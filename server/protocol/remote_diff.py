"""The change a SPARQL Update makes to a remote store, worked out in a killable process.

On a remote engine the update itself never reaches the engine: like on the embedded store,
it runs on an in-memory copy (server/protocol/jobs.py ``_diff``) and only the validated
change is written (INSERT/DELETE DATA, or the staged form on Virtuoso). The copy and the
update used to run in the web worker's own thread, where pyoxigraph cannot be interrupted:
a runaway update (a cross product in its WHERE) ran on for ever, holding the write lock.
Here the job goes to an executor process of its own (the same ``python -m
justicegraph.server.protocol.process`` the on-disk store uses), which opens the remote store from
its connection parameters; at the time limit the process is killed — nothing was written,
the write lock is released, and the next update gets a fresh process.
"""

from __future__ import annotations

import threading
import time

from justicegraph.server.protocol.process import QueryTimeout, _Handle


class KillableDiff:
    """One executor process per web worker for update diffs (kept between updates: the
    write session lets one update through at a time)."""

    def __init__(self):
        self._handle: _Handle | None = None
        self._lock = threading.Lock()
        self.killed = 0

    def run(self, spec: dict, job: dict, timeout: float) -> list[tuple]:
        """The job's messages up to and including "done" (or its error); QueryTimeout when
        it outruns ``timeout`` (the process is then killed)."""
        with self._lock:
            handle, self._handle = self._handle, None
            if handle is None or handle.process.poll() is not None:
                handle = _Handle()
            deadline = time.monotonic() + timeout
            messages: list[tuple] = []
            try:
                handle.conn.send(dict(job, remote=spec))
                while True:
                    message = handle.recv(deadline)
                    messages.append(message)
                    if message[0] == "done" or (message[0] == "error" and len(messages) == 1):
                        break
            except BaseException:
                handle.kill()
                self.killed += 1
                raise
            self._handle = handle
            return messages

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.kill()
                self._handle = None


__all__ = ["KillableDiff", "QueryTimeout"]
