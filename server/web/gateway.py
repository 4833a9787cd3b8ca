"""The app under granian (a Rust HTTP server): an RSGI application that reads each request
whole in granian's event loop, then runs the WSGI app on a bounded pool of threads.

Why not granian's own WSGI interface: it calls the app as soon as the head has arrived, and
the app's read of the body then holds a Python thread for as long as the client takes to
send it (measured: one thread, a body sent in two halves 2 s apart, and every other request
waited). Here, as in the buffering front it replaces (server/front.py), a slow client costs
a coroutine and its buffer, never a thread:

- granian parses HTTP/1.1 and HTTP/2 and decodes chunked bodies; it bounds the head's size
  and the time it may take (``http1_settings``, set by ``justicegraph serve``);
- a body larger than ``max_body`` (by its Content-Length, or as it arrives) is a 413 without
  reading on; a body may pause at most ``IDLE_SECONDS`` and must arrive within
  ``BODY_SECONDS`` (else 408); bodies held at once by a worker are bounded by
  ``MAX_BUFFERED`` (else 503); a body that is not valid HTTP/1.1 (bad chunk sizes) is a 400;
- the app sees the body with a Content-Length, never chunked, and the client's address as
  ``REMOTE_ADDR`` (an ``X-JusticeGraph-Client`` header from the client is dropped);
- ``threads`` requests run at once per worker; an answer the app makes at once is sent in
  one piece; a streamed answer (a large result) is pulled from the app's iterator on the
  pool and sent as it comes.

The access log line is gunicorn's combined format, tokens redacted (server/web/accesslog.py).
"""

from __future__ import annotations

import asyncio
import io
import sys
from concurrent.futures import ThreadPoolExecutor

IDLE_SECONDS = 10.0
BODY_SECONDS = 120.0
MAX_BUFFERED = 256 * 1024 * 1024
BATCH = 256 * 1024  # a streamed answer is sent in pieces of about this size
_TITLES = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large", 503: "Service Unavailable"}
_DROPPED = frozenset({"x-justicegraph-client", "transfer-encoding", "content-length", "connection", "keep-alive",
                      "proxy-connection", "te", "trailer", "upgrade"})


# The headers the fast lane reads; any other header leaves its answer unchanged (it declines
# a request carrying the last two).
_LANE_HEADERS = {"host": "HTTP_HOST", "accept": "HTTP_ACCEPT", "origin": "HTTP_ORIGIN", "referer": "HTTP_REFERER",
                 "user-agent": "HTTP_USER_AGENT", "authorization": "HTTP_AUTHORIZATION",
                 "if-none-match": "HTTP_IF_NONE_MATCH", "content-type": "CONTENT_TYPE"}
# A POST the lane may take: a query's body (a form body is at most three bytes per character
# of the longest query the settings allow; the lane checks the length of the text itself).
LANE_BODY = 3 * 1024 * 1024
LANE_BODY_KEY = "justicegraph.lane.body"  # the environ key of that body
# Where the fast lane leaves an executor's outcome for the app (server/protocol/executor.py OUTCOME).
OUTCOME_KEY = "justicegraph.executor_outcome"


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Gateway:
    """``Gateway(wsgi_app, threads=8, max_body=…, access_log=stream or None)``: an RSGI app."""

    def __init__(self, app, *, threads: int, max_body: int, access_log=None, server=("127.0.0.1", "5000"),
                 lane=None):
        self.app = app
        # An anonymous lookup bounded by its answer is answered here, in the event loop, without
        # the hop to a thread (server/protocol/lane.py); everything else goes to the pool.
        self.lane = lane
        self.threads = threads
        self.max_body = max_body
        self.access_log = access_log
        self.buffered = 0
        self.pool: ThreadPoolExecutor | None = None
        self.base = {
            "wsgi.version": (1, 0), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.input_terminated": True,
            "SCRIPT_NAME": "", "SERVER_NAME": server[0], "SERVER_PORT": str(server[1]),
            "SERVER_SOFTWARE": "justicegraph (granian)",
        }

    def __rsgi_init__(self, loop) -> None:
        # Called in each worker after the fork: threads never cross a fork.
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="jg-request")

    def __rsgi_del__(self, loop) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    async def __rsgi__(self, scope, proto) -> None:
        if scope.proto != "http":  # websockets: not served
            return
        if self.pool is None:
            self.__rsgi_init__(None)
        headers = scope.headers
        body = b""
        size = 0
        try:
            if "transfer-encoding" in headers or headers.get("content-length", "0") not in ("", "0"):
                body = await self._body(proto, headers)
                size = len(body)
        except Refused as exc:
            self._error(proto, exc.status, exc.message)
            self._log(scope, exc.status, None)
            return
        except ConnectionError:
            return  # the client went away mid-body: nobody to answer
        try:
            loop = asyncio.get_running_loop()
            if self.lane is not None and scope.path == "/sparql" and (
                    (scope.method == "GET" and not body) or (scope.method == "POST" and 0 < size <= LANE_BODY)):
                environ = self._lane_environ(scope, body)
                try:
                    answer = self.lane.start(environ)
                except Exception:  # noqa: BLE001 - the app answers it, errors included
                    answer = None
                if isinstance(answer, tuple):
                    status, head, first = answer
                    proto.response_bytes(status, head, first)
                    self._log(scope, status, len(first), environ)
                    return
                if answer is not None:  # an executor runs it: waited for on the pool, not here
                    status, head, first, rest = await loop.run_in_executor(self.pool, self._finish, answer, scope, body)
                    await self._send(loop, proto, scope, environ, status, head, first, rest)
                    return
            environ = self._environ(scope, body)
            status, head, first, rest = await loop.run_in_executor(self.pool, self._call, environ)
            await self._send(loop, proto, scope, environ, status, head, first, rest)
        finally:
            self.buffered -= size

    # -- the body --------------------------------------------------------------------------
    async def _body(self, proto, headers) -> bytes:
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise Refused(400, "The Content-Length header is not a number.")
            if int(length) > self.max_body:
                raise Refused(413, f"The request body is larger than the limit of {self.max_body} bytes.")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BODY_SECONDS
        parts, size, ended = [], 0, False
        chunks = proto.__aiter__()
        while True:
            wait = min(IDLE_SECONDS, deadline - loop.time())
            try:
                if wait <= 0:
                    raise TimeoutError
                part = await asyncio.wait_for(chunks.__anext__(), wait)
            except StopAsyncIteration:
                break
            except TimeoutError:
                raise Refused(408, "The request body did not arrive in time.") from None
            except Exception:  # noqa: BLE001 - granian's protocol errors
                raise Refused(400, "The request body is not valid HTTP/1.1 or ended early.") from None
            if ended:
                # granian ends a complete body with one empty piece; a malformed or cut one
                # (bad chunk size, no terminator, connection closed) with a second: never take
                # a broken body for a whole one (tests/test_request_bodies.py)
                raise Refused(400, "The request body is not valid HTTP/1.1 or ended early.")
            if not part:
                ended = True
                continue
            size += len(part)
            if size > self.max_body:
                raise Refused(413, f"The request body is larger than the limit of {self.max_body} bytes.")
            if self.buffered + size > MAX_BUFFERED:
                raise Refused(503, "The server holds too many request bodies; retry shortly.")
            parts.append(part)
        if length is not None and size != int(length):
            raise ConnectionError("the body ended before its Content-Length")
        self.buffered += size
        return b"".join(parts)

    # -- the app ---------------------------------------------------------------------------
    def _environ(self, scope, body: bytes) -> dict:
        environ = dict(self.base)
        host, _, port = scope.client.rpartition(":")
        environ.update({
            "REQUEST_METHOD": scope.method, "PATH_INFO": _path(scope.path),
            "QUERY_STRING": scope.query_string, "RAW_URI": scope.path + ("?" + scope.query_string
                                                                         if scope.query_string else ""),
            "SERVER_PROTOCOL": f"HTTP/{scope.http_version}", "REMOTE_ADDR": host.strip("[]"),
            "REMOTE_PORT": port, "wsgi.url_scheme": scope.scheme, "wsgi.input": io.BytesIO(body),
        })
        if body or scope.method in ("POST", "PUT", "PATCH"):
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in scope.headers.items():
            if name in _DROPPED:
                continue
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
                continue
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        if scope.authority and "HTTP_HOST" not in environ:  # HTTP/2
            environ["HTTP_HOST"] = scope.authority
        return environ

    def _lane_environ(self, scope, body: bytes) -> dict:
        """What the fast lane reads of a request (server/protocol/lane.py ``answer``): the
        request line, the client, the headers that can change its answer, a POST's body."""
        environ = {"REQUEST_METHOD": scope.method, "PATH_INFO": "/sparql", "SCRIPT_NAME": "",
                   "QUERY_STRING": scope.query_string, "wsgi.url_scheme": scope.scheme,
                   "SERVER_NAME": self.base["SERVER_NAME"], "SERVER_PORT": self.base["SERVER_PORT"],
                   "REMOTE_ADDR": scope.client.rpartition(":")[0].strip("[]")}
        for name, value in scope.headers.items():  # a repeated header is joined, as in the full environ
            key = _LANE_HEADERS.get(name)
            if key is not None:
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        if "HTTP_HOST" not in environ and scope.authority:
            environ["HTTP_HOST"] = scope.authority
        if body:
            environ[LANE_BODY_KEY] = body
        return environ

    async def _send(self, loop, proto, scope, environ, status, head, first, rest) -> None:
        if rest is None:
            proto.response_bytes(status, head, first)
            sent = len(first)
        else:
            sent = await self._stream(loop, proto, status, head, first, rest)
        self._log(scope, status, sent, environ)

    def _finish(self, pending, scope, body: bytes):
        """On the pool: the lane's answer from an executor, or else the app's, given the
        executor's outcome (server/protocol/lane.py ``Pending``: never run twice) and the
        request's body (a POST's query)."""
        answer = pending.finish()
        if answer is not None:
            return *answer, None
        environ = self._environ(scope, body)
        pending.pass_on(environ)
        try:
            return self._call(environ)
        finally:
            _drop_unused(environ)

    def _call(self, environ):
        """On the pool: run the app; its answer whole if it ends within BATCH bytes, else the
        first piece and the iterator to pull the rest from."""
        answer = []

        def start_response(status, headers, exc_info=None):
            answer[:] = [int(status.split(" ", 1)[0]), headers]

        result = self.app(environ, start_response)
        if isinstance(result, list) and len(result) <= 1:
            return answer[0], answer[1], result[0] if result else b"", None
        iterator = iter(result)
        first, done = _pull(iterator)
        if done:
            _close(result)
            return answer[0], answer[1], first, None
        return answer[0], answer[1], first, (result, iterator)

    async def _stream(self, loop, proto, status, head, first, rest) -> int:
        result, iterator = rest
        transport = proto.response_stream(status, head)
        sent = 0
        try:
            piece, done = first, False
            while True:
                if piece:
                    await transport.send_bytes(piece)
                    sent += len(piece)
                if done:
                    return sent
                piece, done = await loop.run_in_executor(self.pool, _pull, iterator)
        finally:
            await loop.run_in_executor(self.pool, _close, result)

    # -- answers of the gateway itself and the log ------------------------------------------
    def _error(self, proto, status: int, message: str) -> None:
        import json

        title = _TITLES.get(status, "Error")
        body = json.dumps({"error": {"status": status, "title": title, "message": message}}).encode() + b"\n"
        proto.response_bytes(status, [("content-type", "application/json"), ("connection", "close"),
                                      ("x-content-type-options", "nosniff")], body)

    def _log(self, scope, status: int, sent, environ=None) -> None:
        if self.access_log is None:
            return
        from justicegraph.server.web.accesslog import write_line

        host = scope.client.rpartition(":")[0].strip("[]")
        target = scope.path + ("?" + scope.query_string if scope.query_string else "")
        get = (environ or {}).get
        write_line(self.access_log, host, scope.method, target, f"HTTP/{scope.http_version}", status, sent,
                   get("HTTP_REFERER", "-"), get("HTTP_USER_AGENT", "-"))


def _path(raw: str) -> str:
    """PATH_INFO as WSGI wants it: percent-decoded, as latin-1 text of the UTF-8 bytes."""
    if "%" not in raw and raw.isascii():
        return raw
    from urllib.parse import unquote_to_bytes

    return unquote_to_bytes(raw).decode("latin-1")


def _pull(iterator) -> tuple[bytes, bool]:
    parts, size = [], 0
    for part in iterator:
        if part:
            parts.append(part)
            size += len(part)
            if size >= BATCH:
                return b"".join(parts), False
    return b"".join(parts), True


def _close(result) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def _drop_unused(environ) -> None:
    """An executor's outcome the app did not take (it refused the request first, e.g. over
    the rate limit): close its answer, which frees the executor."""
    outcome = environ.pop(OUTCOME_KEY, None)
    if outcome is None or isinstance(outcome[2], BaseException):
        return
    close = getattr(outcome[2][1], "close", None)
    if close is not None:
        close()
