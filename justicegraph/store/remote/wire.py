"""The anonymous query path's HTTP client: a form POST on a keep-alive connection held per
thread (http.client), for the requests that carry no credentials (the public dataset's
engine, Virtuoso's anonymous endpoint).

Why not requests for these: it spends ~1 ms of CPU per call on work an anonymous query to a
fixed endpoint never needs (proxy settings read from the environment on every call, the
request prepared and merged through several layers) — measured in process through the app
on a 100k lookup: most of justicegraph's 1.6–2.0 ms of CPU per request (docs/performance.md,
"Remote engines at the engine's speed"). Every other call (writes, the reader account,
listings, digest authentication) keeps requests.

The same bounds as requests' path in client.py: 10 s to connect, ``timeout`` between two
reads, a total deadline, the response size cap; a connection that an engine closed while
idle is opened again once (a query is safe to send twice: it writes nothing).
"""

from __future__ import annotations

import http.client
import threading
import time
from urllib.parse import urlencode, urlsplit

from justicegraph.store.remote.base import QueryTimeout, RemoteStoreError

CONNECT_SECONDS = 10
CHUNK = 1 << 16
# a kept connection the engine closed meanwhile: these, before any byte of an answer
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class Answer:
    """What dialect.check reads of an answer (requests.Response's names)."""

    __slots__ = ("status_code", "headers")

    def __init__(self, status_code: int, headers):
        self.status_code, self.headers = status_code, headers  # headers: case-insensitive .get


class Wire:
    """``Wire(url).post(form, accept, timeout, max_bytes)`` → (Answer, body)."""

    def __init__(self, url: str, user_agent: str = "justicegraph-remote-store"):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self.secure = parts.scheme == "https"
        self.host, self.port = parts.hostname or "", parts.port
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.user_agent = user_agent
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            kind = http.client.HTTPSConnection if self.secure else http.client.HTTPConnection
            conn = self._local.conn = kind(self.host, self.port, timeout=CONNECT_SECONDS)
        return conn

    def post(self, form: list[tuple[str, str]], accept: str, timeout: float, max_bytes: int) -> tuple[Answer, bytes]:
        deadline = time.monotonic() + timeout
        body = urlencode(form).encode("ascii")
        headers = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded",
                   "User-Agent": self.user_agent}
        for attempt in (0, 1):
            conn = self._connection()
            reused = conn.sock is not None
            try:
                if not reused:
                    conn.connect()  # within CONNECT_SECONDS
            except OSError as exc:
                conn.close()
                raise RemoteStoreError(f"cannot reach the SPARQL engine at {self.url}: {exc}") from None
            try:
                conn.sock.settimeout(timeout)  # then at most ``timeout`` between two reads
                # http.client writes the head and the body in two sends. One send was 30 µs
                # cheaper, but oxigraph serve then answered some requests 500 "Resource
                # temporarily unavailable (os error 11)" (tests/test_endpoint.py on oxigraph)
                conn.request("POST", self.target, body, headers)
                resp = conn.getresponse()
            except _STALE as exc:
                conn.close()
                if reused and attempt == 0:
                    continue
                raise RemoteStoreError(f"cannot reach the SPARQL engine at {self.url}: {exc}") from None
            except TimeoutError:
                conn.close()
                raise QueryTimeout(f"the SPARQL engine did not answer within {timeout:g} s") from None
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise RemoteStoreError(f"cannot reach the SPARQL engine at {self.url}: {exc}") from None
            return Answer(resp.status, resp.headers), self._read(conn, resp, deadline, max_bytes)
        raise AssertionError("unreachable")

    def _read(self, conn, resp, deadline: float, max_bytes: int) -> bytes:
        chunks, size = [], 0
        try:
            while True:
                chunk = resp.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise RemoteStoreError(f"the engine's answer exceeds {max_bytes >> 20} MB; "
                                           "narrow the query (store_max_response_mb)")
                if time.monotonic() > deadline:
                    raise QueryTimeout("the SPARQL engine's answer took longer than the query timeout")
                chunks.append(chunk)
        except (QueryTimeout, RemoteStoreError):
            conn.close()  # the rest of the answer is never read: the connection cannot be reused
            raise
        except TimeoutError:
            conn.close()
            raise QueryTimeout("the SPARQL engine did not answer within the query timeout") from None
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise RemoteStoreError(f"the SPARQL engine's answer was cut: {exc}") from None
        return b"".join(chunks)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
