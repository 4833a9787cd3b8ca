"""Slow or stalled clients cannot starve the workers (issue #17, item 11): 64 connections
send their request at one byte a second for 30 s — 32 trickle the head, 32 send a complete
head and trickle a body that is longer than what they send — against a server with 2 x 4
worker threads, while /healthz is probed every half second on a fresh connection: every probe
is answered 200 within 1 s. (Before, eight such clients held all eight threads and /healthz
answered 2 probes of 5.) Then the server answers normally."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest
from servers import running_server
from stores import served

pytestmark = [pytest.mark.server, pytest.mark.slow]

CLIENTS = 64
SECONDS = 30.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store, env = served(tmp_path_factory.mktemp("slow") / "store", lambda s: None)
    with running_server(store, env=env, workers=2, threads=4) as s:
        yield s


def trickle(port: int, payload: bytes, stop: threading.Event, sent: list) -> None:
    """Send ``payload`` a byte a second (reconnecting when the server closes) until ``stop``."""
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                for byte in payload:
                    if stop.is_set():
                        return
                    sock.sendall(bytes([byte]))
                    sent[0] += 1
                    stop.wait(1.0)
        except OSError:
            stop.wait(0.2)


def probe(port: int) -> tuple[int | None, float]:
    started = time.monotonic()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/healthz")
        status = connection.getresponse().status
        connection.close()
    except OSError:
        status = None
    return status, time.monotonic() - started


def test_slow_clients_leave_healthz_answered(server):
    head = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"x" * 200 + b"\r\n\r\n"
    body = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 1000\r\n\r\nASK { " + b"?s ?p ?o . " * 80)
    stop, sent = threading.Event(), [0]
    threads = [threading.Thread(target=trickle, args=(server.port, head if i % 2 else body, stop, sent), daemon=True)
               for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    probes = []
    try:
        time.sleep(2.0)  # every slow client has its connection and has begun
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline:
            probes.append(probe(server.port))
            time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert sent[0] >= CLIENTS * 10, "the slow clients did not send"
    assert len(probes) >= 40
    late = [(status, round(took, 2)) for status, took in probes if status != 200 or took > 1.0]
    assert not late, f"{len(late)} of {len(probes)} probes unanswered or later than 1 s: {late[:10]}"
    status, _ = probe(server.port)
    assert status == 200
