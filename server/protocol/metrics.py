"""Counters for /metrics, shared by every gunicorn worker.

The counters live in one anonymous shared-memory array created when the app is built;
``justicegraph serve`` builds the app in the gunicorn master (preload), so the forked workers
all add into the same array and /metrics answers the server's totals whichever worker
serves it. (Built in a single process, e.g. the dev server, they are that process's.)

Two audiences: a request that carried a valid token (read or write) is counted apart from
the others, and /metrics shows the public only the counts of requests made without one —
so nothing a token holder does (a query of restricted graphs, a restricted-only write) moves
a public counter (issue #17, item 6); a token holder sees the totals.

Each process adds into its own row of the array (claimed once, under the shared lock), so a
request's increments take only a lock of its own process: a lock shared by every worker
stalls them all whenever its holder is descheduled, which on a busy machine is often.
/metrics sums the rows. A respawned worker claims a fresh row, so totals survive it; when
the rows run out, processes share the last one under the shared lock.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from itertools import product

ROWS = 64  # processes that can each count without a shared lock (workers, respawns)
_CLAIMING = threading.Lock()

ROUTES = ("sparql", "graphs", "meta", "other")
STATUSES = ("200", "201", "204", "303", "400", "401", "403", "404", "405", "406", "413", "414",
            "415", "422", "429", "500", "503", "other")
FORMS = ("SELECT", "ASK", "CONSTRUCT", "UPDATE", "GSP")

COUNTERS = {
    "justicegraph_http_requests_total": ("HTTP requests answered, by route and status.",
                                          [{"route": r, "status": s} for r, s in product(ROUTES, STATUSES)]),
    "justicegraph_queries_total": ("SPARQL queries and writes executed, by form.",
                                   [{"form": f} for f in FORMS]),
    "justicegraph_query_timeouts_total": ("Queries or updates stopped at the time limit (503).", [{}]),
    "justicegraph_query_errors_total": ("Queries or updates refused or failed (4xx/5xx from the engine).", [{}]),
    "justicegraph_rows_truncated_total": ("Answers cut at the row cap.", [{}]),
    "justicegraph_executor_restarts_total": ("Executor processes killed and replaced.", [{}]),
    "justicegraph_inline_queries_total": ("Queries answered in the web worker, without an executor: one triple "
                                          "pattern, a few whose counts bound the work, or a label lookup "
                                          "(inline_lookups).", [{}]),
    "justicegraph_writes_refused_total": ("Writes refused by SHACL validation.", [{}]),
    "justicegraph_query_seconds_total": ("Seconds spent answering queries (until the first byte).", [{}]),
    "justicegraph_memory_copies_total": ("serve_mode memory: web workers whose in-memory copy of the public view "
                                         "has loaded since the start (each worker's executors are then forked "
                                         "from it; until then they read the snapshot on disk).", [{}]),
}


def _key(name: str, labels: dict) -> tuple:
    return (name, tuple(sorted(labels.items())))


class Metrics:
    def __init__(self):
        self._index = {}
        for name, (_, label_sets) in COUNTERS.items():
            for labels in label_sets:
                self._index[_key(name, labels)] = len(self._index)
        self._public_width = len(self._index)
        self._width = 2 * self._public_width  # public counts, then those of token holders
        # Whether the current increment is a token holder's (set by the app: machinery.init_app).
        self.private = lambda: False
        self._values = multiprocessing.RawArray("d", self._width * ROWS)
        self._next_row = multiprocessing.RawValue("i", 0)
        self._lock = multiprocessing.Lock()
        self._pid: int | None = None
        self._row = 0
        self._local = threading.Lock()

    def _claim(self) -> None:
        with self._lock:
            row = self._next_row.value
            if row < ROWS - 1:
                self._next_row.value = row + 1
            self._row = min(row, ROWS - 1)
        self._local = self._lock if self._row == ROWS - 1 else threading.Lock()
        self._pid = os.getpid()

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        if name == "justicegraph_http_requests_total" and labels.get("status") not in STATUSES:
            labels["status"] = "other"
        index = self._index.get(_key(name, labels))
        if index is None:
            return
        if self.private():
            index += self._public_width
        if self._pid != os.getpid():  # first use in this process (a forked worker)
            with _CLAIMING:
                if self._pid != os.getpid():
                    self._claim()
        with self._local:
            self._values[self._row * self._width + index] += amount

    def index(self, name: str, **labels: str) -> int:
        """The position of a public counter, for ``add_public``."""
        return self._index[_key(name, labels)]

    def add_public(self, *increments: tuple[int, float]) -> None:
        """Add to public counters (``index``) in one step: a request known to carry no
        token (the fast lane, server/protocol/lane.py) need not ask, once per counter."""
        if self._pid != os.getpid():
            with _CLAIMING:
                if self._pid != os.getpid():
                    self._claim()
        base = self._row * self._width
        with self._local:
            for index, amount in increments:
                self._values[base + index] += amount

    def value(self, name: str, *, private: bool = True, **labels: str) -> float:
        """The total (``private``) or the public count only."""
        index = self._index[_key(name, labels)]
        offsets = (0, self._public_width) if private else (0,)
        return sum(self._values[row * self._width + index + o] for row in range(ROWS) for o in offsets)

    def render(self, private: bool = True) -> str:
        """Prometheus text exposition format 0.0.4: the totals, or (``private`` false) the
        counts of requests made without a token."""
        lines = []
        for name, (help_text, label_sets) in COUNTERS.items():
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} counter")
            for labels in label_sets:
                value = self.value(name, private=private, **labels)
                if labels and name == "justicegraph_http_requests_total" and value == 0:
                    continue  # keep the exposition short: unseen route/status pairs are 0
                shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
                number = repr(value) if value != int(value) else str(int(value))
                lines.append(f"{name}{{{shown}}} {number}" if shown else f"{name} {number}")
        return "\n".join(lines) + "\n"
