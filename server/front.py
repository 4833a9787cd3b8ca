"""The buffering front of ``justicegraph serve``: an asyncio HTTP/1.1 server (h11) on the
public address that reads each request whole — head and body, under time limits — before it
hands it to gunicorn on a private Unix socket, and relays the answer back.

Why: gunicorn's threaded workers give a connection a thread as soon as its first byte
arrives, and the thread then waits for the rest. Eight clients sending a byte a second held
all 2 x 4 threads, and /healthz answered 2 probes of 5; a body shorter than its
Content-Length held a thread for 40 s (issue #17, item 11). Here a slow client costs a
coroutine and its buffer, never a worker thread:

- the request head must arrive within ``HEAD_SECONDS`` (else 408), at most ``MAX_HEAD``
  bytes (else 431); a body may pause at most ``IDLE_SECONDS`` between reads and must arrive
  within ``BODY_SECONDS`` (else 408); a body over ``max_body`` is 413 without reading on;
  bodies held at once are bounded by ``MAX_BUFFERED`` (else 503); chunked bodies are decoded
  here and reach gunicorn with a Content-Length;
- the client's address goes to the app in ``X-JusticeGraph-Client`` (any such header from
  the client is dropped), which the app trusts only from the Unix socket
  (server/web/security.py), so rate limits and the access log see the real client;
- one connection to gunicorn per request; answers are streamed back as they come.

Run by ``justicegraph serve`` (setting ``front``): ``python -m justicegraph.server.front HOST
PORT SOCKET MAX_BODY``. It exits when its parent (the gunicorn master) goes.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import h11

HEAD_SECONDS = 10.0
IDLE_SECONDS = 10.0
BODY_SECONDS = 120.0
KEEPALIVE_SECONDS = 5.0
SEND_SECONDS = 60.0  # a client that does not read an answer for this long is dropped
MAX_HEAD = 64 * 1024
MAX_BUFFERED = 256 * 1024 * 1024
READ = 64 * 1024
CLIENT_HEADER = b"x-justicegraph-client"
HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"trailer", b"upgrade",
              b"proxy-connection", b"proxy-authenticate", b"proxy-authorization", CLIENT_HEADER, b"content-length",
              b"expect"}


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Front:
    def __init__(self, backend: str, max_body: int):
        self.backend = backend
        self.max_body = max_body
        self.buffered = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        client = peer[0] if isinstance(peer, tuple) else "-"
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        try:
            first = True
            while True:
                try:
                    request = await self._head(conn, reader, writer, HEAD_SECONDS if first else KEEPALIVE_SECONDS)
                except Refused as exc:
                    await self._error(conn, writer, exc.status, exc.message)
                    return
                if request is None:
                    return
                first = False
                try:
                    body = await self._body(conn, reader, writer, request)
                except Refused as exc:
                    await self._error(conn, writer, exc.status, exc.message)
                    return
                try:
                    await self._forward(conn, writer, request, body, client)
                finally:
                    self.buffered -= len(body)
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                    return
                try:
                    conn.start_next_cycle()
                except h11.LocalProtocolError:
                    return
        except (TimeoutError, ConnectionError, h11.LocalProtocolError):
            return
        finally:
            writer.close()

    async def _next(self, conn, reader, deadline: float):
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError
            data = await asyncio.wait_for(reader.read(READ), remaining)
            conn.receive_data(data)

    async def _head(self, conn, reader, writer, seconds: float):
        deadline = asyncio.get_running_loop().time() + seconds
        try:
            event = await self._next(conn, reader, deadline)
        except TimeoutError:
            if conn.their_state is h11.IDLE and not conn.trailing_data[0]:
                return None  # nothing asked: just close (keep-alive over)
            raise Refused(408, "The request head did not arrive in time.") from None
        except h11.RemoteProtocolError as exc:
            raise Refused(exc.error_status_hint, f"The request is not valid HTTP/1.1 ({exc}).") from None
        if isinstance(event, h11.ConnectionClosed):
            return None
        if not isinstance(event, h11.Request):
            raise Refused(400, "The request is not valid HTTP/1.1.")
        return event

    async def _body(self, conn, reader, writer, request) -> bytes:
        length = next((int(v) for k, v in request.headers if k == b"content-length" and v.isdigit()), None)
        if length is not None and length > self.max_body:
            raise Refused(413, f"The request body is larger than the limit of {self.max_body} bytes.")
        if conn.they_are_waiting_for_100_continue:
            writer.write(conn.send(h11.InformationalResponse(status_code=100, headers=[])))
        loop = asyncio.get_running_loop()
        total_deadline = loop.time() + BODY_SECONDS
        parts, size = [], 0
        while True:
            deadline = min(total_deadline, loop.time() + IDLE_SECONDS)
            try:
                event = await self._next(conn, reader, deadline)
            except TimeoutError:
                raise Refused(408, "The request body did not arrive in time.") from None
            except h11.RemoteProtocolError as exc:
                raise Refused(400, f"The request body is not valid HTTP/1.1 ({exc}).") from None
            if isinstance(event, h11.Data):
                size += len(event.data)
                if size > self.max_body:
                    raise Refused(413, f"The request body is larger than the limit of {self.max_body} bytes.")
                if self.buffered + size > MAX_BUFFERED:
                    raise Refused(503, "The server holds too many request bodies; retry shortly.")
                parts.append(event.data)
            elif isinstance(event, h11.EndOfMessage):
                body = b"".join(parts)
                self.buffered += len(body)
                return body
            else:  # ConnectionClosed before the end
                raise ConnectionError("the client went away")

    async def _forward(self, conn, writer, request, body: bytes, client: str) -> None:
        headers = [(k, v) for k, v in request.headers if k not in HOP_BY_HOP]
        headers += [(b"content-length", str(len(body)).encode()), (CLIENT_HEADER, client.encode()),
                    (b"connection", b"close")]
        # A raw socket, not asyncio streams: when the app answers before reading the whole body
        # (a 401, 403 or 413 decided from the headers), gunicorn closes its end with the body
        # unread and our send fails — the answer is still in the socket's queue, but a stream
        # transport would drop it with the error; a raw socket reads it first.
        loop = asyncio.get_running_loop()
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        up.setblocking(False)
        try:
            await loop.sock_connect(up, self.backend)
        except OSError:
            up.close()
            await self._error(conn, writer, 503, "The server is starting or restarting; retry shortly.")
            raise ConnectionError("no backend") from None
        started = False
        try:
            backend = h11.Connection(h11.CLIENT)
            payload = backend.send(h11.Request(method=request.method, target=request.target, headers=headers))
            payload += (backend.send(h11.Data(data=body)) if body else b"") + backend.send(h11.EndOfMessage())
            try:
                await loop.sock_sendall(up, payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # answered before the whole body was read: the answer is read below
            while True:
                event = backend.next_event()
                if event is h11.NEED_DATA:
                    try:
                        data = await loop.sock_recv(up, READ)
                    except ConnectionResetError:  # after the queued answer: the backend's end is gone
                        data = b""
                    backend.receive_data(data)
                    continue
                if isinstance(event, h11.InformationalResponse):
                    continue
                if isinstance(event, h11.Response):
                    kept = [(k, v) for k, v in event.headers if k not in HOP_BY_HOP or k == b"content-length"]
                    writer.write(conn.send(h11.Response(status_code=event.status_code, headers=kept,
                                                       reason=event.reason)))
                    started = True
                elif isinstance(event, h11.Data):
                    writer.write(conn.send(h11.Data(data=event.data)))
                    await asyncio.wait_for(writer.drain(), SEND_SECONDS)
                elif isinstance(event, h11.EndOfMessage):
                    writer.write(conn.send(h11.EndOfMessage()))
                    await asyncio.wait_for(writer.drain(), SEND_SECONDS)
                    return
                else:  # the backend closed without finishing: the client must see a cut answer as cut
                    raise ConnectionError("the backend closed mid-answer")
        except h11.RemoteProtocolError:
            if not started:
                await self._error(conn, writer, 502, "The server's answer could not be read.")
            raise ConnectionError("the backend's answer broke off") from None
        finally:
            up.close()

    async def _error(self, conn, writer, status: int, message: str) -> None:
        """Answer with the one JSON error shape and close (written directly: the request may
        be incomplete, where h11 would not let us answer)."""
        import json

        title = _TITLES.get(status, "Error")
        body = json.dumps({"error": {"status": status, "title": title, "message": message}}).encode() + b"\n"
        head = (f"HTTP/1.1 {status} {title}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\nX-Content-Type-Options: nosniff\r\n\r\n").encode()
        try:
            writer.write(head + body)
            await asyncio.wait_for(writer.drain(), SEND_SECONDS)
        except (TimeoutError, ConnectionError):
            pass


_TITLES = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large",
           431: "Request Header Fields Too Large", 502: "Bad Gateway", 503: "Service Unavailable"}


async def main(host: str, port: int, backend: str, max_body: int) -> None:
    front = Front(backend, max_body)
    server = await asyncio.start_server(front.serve, host, port, reuse_address=True, backlog=1024,
                                        limit=MAX_HEAD)
    parent = os.getppid()
    async with server:
        while os.getppid() == parent:  # the gunicorn master went: so do we
            await asyncio.sleep(1.0)


if __name__ == "__main__":  # python -m justicegraph.server.front HOST PORT SOCKET MAX_BODY
    host, port, backend, max_body = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    try:
        asyncio.run(main(host, port, backend, max_body))
    except KeyboardInterrupt:
        pass
