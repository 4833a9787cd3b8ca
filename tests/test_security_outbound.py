"""No requests on a user's behalf: SERVICE and LOAD reach only allow-listed endpoints; no
parser fetches external entities, remote JSON-LD contexts or FROM IRIs.

A loopback listener stands in for "the network": it answers every connection with an empty
SPARQL result and records it. Each hostile request is sent through the app; afterwards the
listener must have received nothing, and the app must have answered without a 5xx. A
positive control (an allow-listed SERVICE) proves the listener would have seen a request.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from fixtures.restricted.harness import route_exists

from justicegraph.server.app import create_app
from justicegraph.settings import Settings

WRITE = "outbound-write-token"
AUTH = {"Authorization": f"Bearer {WRITE}"}
SECRET_FILE_TEXT = "jg-local-file-secret-5521"


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        body = b'{"head":{"vars":[]},"results":{"bindings":[]}}'
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.requests.append(conn.recv(4096))
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                                 b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
                except OSError:
                    self.requests.append(b"(connection)")

    def settle(self) -> list[bytes]:
        time.sleep(0.1)  # a connection attempt in flight is accepted before we look
        return self.requests

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = tmp_path_factory.mktemp("outbound") / "store"
    app = create_app(Settings.from_env({}, store=str(store), write_token=WRITE, rate_limit="",
                                       query_timeout=5.0))
    if not route_exists(app, "/sparql", "POST"):
        pytest.skip("/sparql is not implemented yet")
    return app.test_client()


def hostile_queries(url: str) -> list[str]:
    host = url.rstrip("/")
    return [
        f"SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"select * {{ service <{url}sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SeRvIcE\n# a comment between keyword and IRI\n<{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ SERVICE#c\n<{url}>{{?s ?p ?o}} }}",
        f"BASE <{url}> SELECT * {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
        f"BASE <{url}> SELECT * {{ SERVICE <> {{ ?s ?p ?o }} }}",
        f"PREFIX ep: <{url}> SELECT * {{ SERVICE ep:sparql {{ ?s ?p ?o }} }}",
        f"PREFIX : <{host}> SELECT * {{ SERVICE :\\/sparql {{ ?s ?p ?o }} }}",
        f"SELECT * {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        f"SELECT * {{ BIND(<{url}> AS ?e) SERVICE SILENT ?e {{ ?s ?p ?o }} }}",
        f"SELECT * {{ OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * {{ {{ SELECT * {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
        f"ASK {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * {{ ?s ?p ?o MINUS {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"DESCRIBE <{url}x>",
        f"SELECT * FROM <{url}data.ttl> {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{url}named.ttl> {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f'SELECT * {{ SERVICE <http://127.0.0.1:\\u0030{host.rsplit(":", 1)[1]}/> {{ ?s ?p ?o }} }}',
        f"SELECT * {{ SERVICE <{host}/\\u0073parql> {{ ?s ?p ?o }} }}",
        f'SELECT * {{ ?s ?p "SERVICE <x>" . SERVICE <{url}> {{ ?s ?p ?o }} }}',
        # keywords glued to the next token, which pyoxigraph's PEG parser reads as keywords
        f"PREFIX : <{url}> SELECT * {{ SERVICE:sparql {{ ?s ?p ?o }} }}",
        f"PREFIX ep: <{url}> SELECT * {{ SERVICESILENT ep:sparql {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p trueSERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * {{ ?s ?p 1SERVICE <{url}> {{ ?s ?p ?o }} }}",
    ]


def hostile_updates(url: str) -> list[str]:
    return [
        f"LOAD <{url}data.ttl>",
        f"load silent <{url}data.ttl>",
        f"LOAD <{url}data.ttl> INTO GRAPH <urn:jg:g>",
        f"INSERT DATA {{ GRAPH <urn:jg:g> {{ <urn:a> <urn:b> <urn:c> }} }} ;\nLOAD <{url}x.ttl>",
        f"BASE <{url}> LOAD <x.ttl>",
        f"PREFIX ep: <{url}> LOAD ep:x",
        f"# comment\nLoAd\n<{url}x.ttl>",
        f"INSERT {{ GRAPH <urn:jg:g> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"DELETE {{ ?s ?p ?o }} WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        f"CLEAR SILENT GRAPH <urn:jg:none> ; BASE <{url}> LOAD SILENT <y.ttl>",
        f"PREFIX : <{url}> LOAD:x.ttl",
        f"LOADSILENT <{url}x.ttl>",
    ]


def test_listener_sees_a_request_when_the_operator_allows_it(tmp_path, listener):
    """Positive control: with the listener allow-listed, SERVICE does reach it."""
    app = create_app(Settings.from_env({}, store=str(tmp_path / "s"), rate_limit="", query_timeout=5.0,
                                       service_allowlist=listener.url))
    if not route_exists(app, "/sparql"):
        pytest.skip("/sparql is not implemented yet")
    before = len(listener.requests)
    response = app.test_client().get("/sparql", query_string={
        "query": f"SELECT * {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(listener.settle()) > before


@pytest.mark.parametrize("index", range(22))
def test_hostile_queries_make_no_outbound_request(client, listener, index):
    query = hostile_queries(listener.url)[index]
    before = len(listener.requests)
    for response in (client.get("/sparql", query_string={"query": query}),
                     client.post("/sparql", data=query.encode(), content_type="application/sparql-query")):
        assert response.status_code < 500, response.get_data(as_text=True)
    assert listener.settle()[before:] == [], query


@pytest.mark.parametrize("index", range(10))
def test_hostile_updates_make_no_outbound_request(client, listener, index):
    update = hostile_updates(listener.url)[index]
    before = len(listener.requests)
    for response in (client.post("/sparql", data={"update": update}, headers=AUTH),
                     client.post("/sparql", data=update.encode(), content_type="application/sparql-update",
                                 headers=AUTH)):
        assert response.status_code < 500, response.get_data(as_text=True)
    assert listener.settle()[before:] == [], update


def test_allow_list_is_not_fooled_by_userinfo_or_longer_hosts(tmp_path, listener):
    """An allow-listed 'http://allowed.example' must not admit
    'http://allowed.example@127.0.0.1:PORT/' (the host is 127.0.0.1)."""
    app = create_app(Settings.from_env({}, store=str(tmp_path / "s"), rate_limit="", query_timeout=5.0,
                                       service_allowlist="http://allowed.example"))
    if not route_exists(app, "/sparql"):
        pytest.skip("/sparql is not implemented yet")
    before = len(listener.requests)
    for target in (f"http://allowed.example@127.0.0.1:{listener.port}/",
                   f"http://allowed.example:x@127.0.0.1:{listener.port}/"):
        response = app.test_client().get("/sparql", query_string={
            "query": f"SELECT * {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}"})
        assert response.status_code < 500
    assert listener.settle()[before:] == []


# -- parsers: external entities, remote contexts ---------------------------------------------

def rdf_xml_with_entities(url: str, secret_path) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY remote SYSTEM "{url}entity.xml">
  <!ENTITY local SYSTEM "file://{secret_path}">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="urn:jg:xxe">
    <rdfs:comment>&remote;</rdfs:comment>
    <rdfs:label>&local;</rdfs:label>
  </rdf:Description>
</rdf:RDF>
"""


def jsonld_with_remote_context(url: str) -> str:
    return json.dumps({"@context": f"{url}context.jsonld", "@id": "urn:jg:ctx", "name": "x"})


def jsonld_with_import(url: str) -> str:
    return json.dumps({"@context": {"@version": 1.1, "@import": f"{url}import.jsonld"}, "@id": "urn:jg:ctx",
                       "name": "x"})


@pytest.mark.parametrize("kind", ["rdfxml-entities", "jsonld-remote-context", "jsonld-import"])
def test_graph_store_uploads_fetch_nothing(client, listener, tmp_path, kind):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET_FILE_TEXT)
    if kind == "rdfxml-entities":
        body, ctype = rdf_xml_with_entities(listener.url, secret), "application/rdf+xml"
    elif kind == "jsonld-remote-context":
        body, ctype = jsonld_with_remote_context(listener.url), "application/ld+json"
    else:
        body, ctype = jsonld_with_import(listener.url), "application/ld+json"
    app = client.application
    if not route_exists(app, "/graphs", "PUT"):
        pytest.skip("/graphs is not implemented yet")
    before = len(listener.requests)
    response = client.put("/graphs", query_string={"graph": "urn:jg:upload"}, data=body.encode(),
                          content_type=ctype, headers=AUTH)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert listener.settle()[before:] == []
    stored = client.get("/graphs", query_string={"graph": "urn:jg:upload"},
                        headers={"Accept": "application/n-triples", **AUTH})
    assert SECRET_FILE_TEXT not in stored.get_data(as_text=True)
    if response.status_code < 300:  # accepted: entities must not have been expanded from outside
        assert SECRET_FILE_TEXT not in stored.get_data(as_text=True)
    else:
        assert response.is_json and response.get_json()["error"]["message"]


@pytest.mark.parametrize(("target", "ok"), [
    ("http://allowed.example/sparql", True),
    ("http://allowed.example:80/sparql", True),
    ("http://allowed.example", True),
    ("http://allowed.example@127.0.0.1/", False),
    ("http://user:pw@allowed.example/", False),
    ("http://allowed.example.evil.net/", False),
    ("http://allowed.example:8080/", False),
    ("https://allowed.example/", False),
    ("http://allowed.example:x/", False),
    (None, False),
])
def test_allow_list_compares_origins(target, ok):
    from justicegraph.sparqltext import allowed

    assert allowed(target, ["http://allowed.example"]) is ok
    assert allowed(target, []) is False
