"""Request bodies are counted whatever their transfer encoding (issue #17, item 3): a chunked
body over ``max_body`` is a 413 and nothing is written (a 50 MiB chunked PUT used to store its
first 10 MiB and answer 201); a chunked body within the limit is read whole; a body that is
not valid chunked encoding (chunk size ``zz``) is a 400 with one line, not a 500 (item 9).
Against a real server, with its buffering front and without it (then gunicorn parses the chunks)."""

from __future__ import annotations

import socket

import pytest
import requests
from servers import running_server
from stores import served

pytestmark = pytest.mark.server

WRITE = "bodies-write-token-5e2b9d"
AUTH = {"Authorization": f"Bearer {WRITE}"}
LIMIT = 256 * 1024
GRAPH = "https://example.org/bodies/graph"


@pytest.fixture(scope="module", params=["granian", "front", "gunicorn"])
def server(tmp_path_factory, request):
    # through the buffering front (server/front.py), and with gunicorn on the port itself
    # (front = false: server/web/body.py counts the body)
    store, env = served(tmp_path_factory.mktemp("bodies") / "store", lambda s: None)
    env |= {"JUSTICEGRAPH_WRITE_TOKEN": WRITE, "JUSTICEGRAPH_MAX_BODY": str(LIMIT),
            "JUSTICEGRAPH_FRONT": str(request.param == "front").lower(),
            "JUSTICEGRAPH_HTTP_SERVER": "granian" if request.param == "granian" else "gunicorn"}
    with running_server(store, env=env, workers=1, threads=2) as s:
        yield s


def triples(count: int):
    """N-Triples in pieces: requests sends a generator body chunked, with no Content-Length."""
    for start in range(0, count, 1000):
        yield "".join(f"<urn:jg:s{i}> <urn:jg:p> \"value number {i}\" .\n"
                      for i in range(start, min(count, start + 1000))).encode()


def count(server, graph=GRAPH) -> int | None:
    r = requests.get(server.url + "/graphs", params={"graph": graph}, headers={"Accept": "application/n-triples"},
                     timeout=60)
    return None if r.status_code == 404 else len(r.content.splitlines())


def test_a_chunked_body_over_the_limit_is_refused_and_nothing_is_written(server):
    body = triples(20_000)  # about 1 MiB, four times the limit
    r = requests.put(server.url + "/graphs", params={"graph": GRAPH}, data=body,
                     headers={"Content-Type": "application/n-triples", **AUTH}, timeout=120)
    assert r.status_code == 413, r.text
    assert "\n" not in r.json()["error"]["message"].strip()
    assert count(server) is None


def test_a_chunked_body_within_the_limit_is_read_whole(server):
    r = requests.put(server.url + "/graphs", params={"graph": GRAPH + "/small"}, data=triples(2_000),
                     headers={"Content-Type": "application/n-triples", **AUTH}, timeout=120)
    assert r.status_code == 201, r.text
    assert count(server, GRAPH + "/small") == 2_000
    query = "ASK { <urn:jg:s1> <urn:jg:p> ?o }"
    r = requests.post(server.url + "/sparql", data=(c for c in [query[:10].encode(), query[10:].encode()]),
                      headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
                      timeout=60)
    assert r.status_code == 200 and r.json()["boolean"] is True


@pytest.mark.parametrize("chunks", [b"zz\r\nabc\r\n0\r\n\r\n", b"3\r\nabcXY0\r\n\r\n", b"-1\r\nabc\r\n0\r\n\r\n"],
                         ids=["size-zz", "no-terminator", "negative-size"])
def test_bad_chunked_encoding_is_a_client_error(server, chunks):
    head = (f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/sparql-query\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head + chunks)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer[:300]
    assert requests.get(server.url + "/healthz", timeout=30).status_code == 200


def test_a_chunked_body_cut_short_writes_nothing(server):
    """A PUT whose chunked body stops before its last chunk (the client closes its side) is
    never taken for a whole body: nothing is written."""
    graph = GRAPH + "/cut"
    first = b"".join(triples(50))
    head = (f"PUT /graphs?graph={graph} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Content-Type: application/n-triples\r\nAuthorization: Bearer {WRITE}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head + f"{len(first):x}\r\n".encode() + first + b"\r\n")  # no terminating 0-chunk
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    assert not answer.startswith(b"HTTP/1.1 2"), answer[:300]
    assert count(server, graph) is None
