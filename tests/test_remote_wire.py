"""The anonymous query path's HTTP client (justicegraph/store/remote/wire.py) keeps every
bound of the requests path it replaces: for each engine answer below, a query through the
anonymous session (wire) and through the writer's session (requests) end alike — the same
body, or the same error class. And it keeps its connection: one per thread, opened again
when the engine closed it while idle, never sending credentials."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from justicegraph.store.remote.base import QueryTimeout, RemoteStoreError
from justicegraph.store.remote.client import RemoteStore
from justicegraph.store.remote.engines import free_port

EMPTY = b'{"head":{"vars":["n"]},"results":{"bindings":[]}}'


class Engine(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the engines answer
    reply: tuple = (200, {}, EMPTY, 0.0, False)
    seen: list = []
    connections: set = set()

    def do_POST(self):
        Engine.connections.add(self.client_address)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Engine.seen.append((dict(self.headers), body))
        status, headers, answer, delay, chunked = Engine.reply
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", headers.get("Content-Type", "application/sparql-results+json"))
        for k, v in headers.items():
            if k != "Content-Type":
                self.send_header(k, v)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(answer), 7):
                part = answer[start:start + 7]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def engine():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Engine)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Engine.seen, Engine.connections = [], set()
    store = RemoteStore(f"http://127.0.0.1:{server.server_port}/query", engine="generic", query_timeout=0.5,
                        max_response_bytes=10_000, user="writer", password="s3cret")

    def post(session, *, status=200, body=EMPTY, delay=0.0, chunked=False, **headers):
        Engine.reply = (status, headers, body, delay, chunked)
        return store._post(store.query_url, [("query", "SELECT ?n WHERE { ?n ?p ?o }")],
                           "application/sparql-results+json", store.query_timeout, session=session)

    yield store, post
    store.close()
    server.shutdown()
    server.server_close()


CASES = [
    dict(),
    dict(chunked=True, body=EMPTY * 3),
    dict(delay=1.5),
    dict(body=b"{" + b" " * 20_000 + b"}"),
    dict(**{"X-SQL-State": "S1TAT"}),
    dict(**{"X-SPARQL-MaxRows": "10000"}),
    dict(status=400, body=b"no"), dict(status=401, body=b"no"), dict(status=500, body=b"no"),
    dict(status=503, body=b"no"), dict(status=500, body=b"Virtuoso 37000 Error SP030: syntax error"),
]


@pytest.mark.parametrize("case", CASES, ids=[str(sorted(c)) + str(c.get("status", "")) for c in CASES])
def test_the_wire_ends_as_the_requests_path_does(engine, case):
    store, post = engine

    def outcome(session):
        try:
            return post(session, **case)
        except Exception as exc:  # noqa: BLE001 - compared below
            return type(exc)

    wire, reference = outcome(store._anonymous), outcome(store._session)
    assert wire == reference
    if isinstance(wire, type):
        assert issubclass(wire, (OSError, SyntaxError, PermissionError))
    assert store._wires, "the anonymous session's query went through the wire"


def test_one_connection_per_thread_reopened_after_the_engine_closed_it(engine):
    store, post = engine
    for _ in range(3):
        assert post(store._anonymous)[0] == EMPTY
    assert len(Engine.connections) == 1
    # the engine closes the kept connection while it is idle (Virtuoso's KeepAliveTimeout)
    store._wires[store.query_url]._connection().sock.shutdown(2)
    assert post(store._anonymous)[0] == EMPTY  # sent again on a new connection
    assert len(Engine.connections) == 2
    # an answer that ends its connection (Connection: close): the next query opens another
    assert post(store._anonymous, Connection="close")[0] == EMPTY
    assert post(store._anonymous)[0] == EMPTY
    assert len(Engine.connections) == 3
    answers = []
    other = threading.Thread(target=lambda: answers.append(post(store._anonymous)[0]))
    other.start()
    other.join()
    assert answers == [EMPTY] and len(Engine.connections) == 4


def test_the_wire_sends_no_credentials_and_a_timeout_frees_the_connection(engine):
    store, post = engine
    post(store._session)
    assert "Authorization" in Engine.seen[-1][0] or store._session.auth is None
    post(store._anonymous)
    assert "Authorization" not in Engine.seen[-1][0]
    assert b"query=SELECT" in Engine.seen[-1][1]
    with pytest.raises(QueryTimeout):
        post(store._anonymous, delay=1.0)
    time.sleep(0.6)  # the late answer must not be read as the next query's
    assert post(store._anonymous, body=b'{"head":{"vars":[]},"boolean":true}')[0] == b'{"head":{"vars":[]},"boolean":true}'


def test_an_unreachable_engine_is_a_remote_store_error():
    store = RemoteStore(f"http://127.0.0.1:{free_port()}/query", engine="generic")
    with pytest.raises(RemoteStoreError, match="cannot reach"):
        store._post(store.query_url, [("query", "ASK {}")], "application/sparql-results+json", 5,
                    session=store._anonymous)
