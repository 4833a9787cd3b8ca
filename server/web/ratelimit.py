"""The rate limit: one fixed-window budget per client for the whole server.

``RateLimit`` counts a request against its client's window and gives the headers of the
answer (``X-RateLimit-Limit``, ``-Remaining``, ``-Reset``, ``Retry-After``, as flask-limiter,
which this replaces, gave them); the app's hooks (server/web/security.py) and the fast lane
(server/protocol/lane.py) count through the same object, on the same counter. It is the one
place a request is counted: flask-limiter's hooks cost 0.1–0.15 ms of CPU per request
(docs/performance.md) and its ``memory://`` storage kept a dictionary per process, so with
two workers a client got twice the limit (issue #17, item 12).

The counters (``SharedMemoryStorage``) are a table of anonymous shared memory made when the
app is built — before the server forks its workers — so every worker counts into the same
table under one lock, as the /metrics counters do.

The table has ``SLOTS`` entries (a 64-bit hash of the limiter's key, the count, the end of
its window); a key is looked for in ``PROBES`` slots from its hash. When all of them hold
live windows of other keys (more than ``SLOTS`` clients within one window), the one whose
window ends first is taken over: that client starts a fresh window (documented in
docs/security.md: the limit then errs towards letting a request through).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import time

from limits import parse
from limits.storage import Storage

SLOTS = 8192
PROBES = 32


class SharedMemoryStorage(Storage):
    STORAGE_SCHEME = ["jgshared"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._hashes = multiprocessing.RawArray("Q", SLOTS)
        self._counts = multiprocessing.RawArray("q", SLOTS)
        self._ends = multiprocessing.RawArray("d", SLOTS)
        self._lock = multiprocessing.Lock()

    @property
    def base_exceptions(self):
        return ValueError

    @staticmethod
    def _hash(key: str) -> int:
        return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big") or 1

    def _find(self, h: int) -> int | None:
        start = h % SLOTS
        for i in range(PROBES):
            slot = (start + i) % SLOTS
            if self._hashes[slot] == h:
                return slot
        return None

    def _claim(self, h: int, now: float) -> int:
        """A slot for a new window of ``h``: a free or expired one, else the one ending first."""
        start = h % SLOTS
        best = start
        for i in range(PROBES):
            slot = (start + i) % SLOTS
            if self._hashes[slot] == 0 or self._ends[slot] <= now:
                return slot
            if self._ends[slot] < self._ends[best]:
                best = slot
        return best

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        return self._add(key, expiry, amount)[0]

    def hit(self, key: str, expiry: float) -> tuple[int, float]:
        """``incr`` by one and the window's end, under one lock (``RateLimit.hit``)."""
        return self._add(key, expiry, 1)

    def _add(self, key: str, expiry: float, amount: int) -> tuple[int, float]:
        """Add ``amount`` to the key's window (a fresh one when none is live): (count, end)."""
        h, now = self._hash(key), time.time()
        with self._lock:
            slot = self._find(h)
            if slot is None or self._ends[slot] <= now:
                slot = self._claim(h, now) if slot is None else slot
                self._hashes[slot], self._counts[slot], self._ends[slot] = h, 0, now + expiry
            self._counts[slot] += amount
            return self._counts[slot], self._ends[slot]

    def get(self, key: str) -> int:
        with self._lock:
            slot = self._find(self._hash(key))
            if slot is None or self._ends[slot] <= time.time():
                return 0
            return self._counts[slot]

    def get_expiry(self, key: str) -> float:
        with self._lock:
            slot = self._find(self._hash(key))
            return self._ends[slot] if slot is not None else time.time()

    def clear(self, key: str) -> None:
        with self._lock:
            slot = self._find(self._hash(key))
            if slot is not None:
                self._hashes[slot], self._counts[slot], self._ends[slot] = 0, 0, 0.0

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            cleared = sum(1 for h in self._hashes if h)
            for slot in range(SLOTS):
                self._hashes[slot], self._counts[slot], self._ends[slot] = 0, 0, 0.0
            return cleared


class RateLimit:
    """``RateLimit("600 per minute")`` (any of the ``limits`` package's forms)."""

    def __init__(self, limit: str):
        self.item = parse(limit)
        self.storage = SharedMemoryStorage()
        self.expiry = self.item.get_expiry()
        self._keys: dict[str, str] = {}

    def describe(self) -> str:
        return str(self.item)

    def key(self, address: str | None) -> str:
        address = address or "127.0.0.1"
        key = self._keys.get(address)
        if key is None:
            if len(self._keys) > 4096:  # a cache of key strings, not of counts: safe to drop
                self._keys.clear()
            key = self._keys[address] = self.item.key_for(address, "global")
        return key

    def hit(self, address: str | None) -> tuple[float, int] | None:
        """Count one request; its window (end, remaining), or None when it is over the limit."""
        count, end = self.storage.hit(self.key(address), self.expiry)
        return (end, max(0, self.item.amount - count)) if count <= self.item.amount else None

    def unhit(self, address: str | None) -> None:
        """Take back a count (the fast lane's, for a request it leaves to the app)."""
        self.storage.incr(self.key(address), self.expiry, amount=-1)

    def window(self, address: str | None) -> tuple[float, int]:
        key = self.key(address)
        return self.storage.get_expiry(key), max(0, self.item.amount - self.storage.get(key))

    def headers(self, window: tuple[float, int]) -> list[tuple[str, str]]:
        reset_at = int(window[0] + 1)
        return [("X-RateLimit-Limit", str(self.item.amount)), ("X-RateLimit-Remaining", str(window[1])),
                ("X-RateLimit-Reset", str(reset_at)), ("Retry-After", str(max(0, int(reset_at - time.time()))))]
