"""The W3C SPARQL 1.1 Protocol test cases (tests/w3c/sparql/sparql11/protocol/
manifest.ttl), each restated here as a request to the running server and the answer the
protocol requires. The server runs with strict dataset semantics (the default graph is the
store's own default graph) as the test suite assumes, and with a write token for the update
cases. The manifest's 34 entries are all here; test names follow the manifest's.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pyoxigraph as ox
import pytest
import requests
from conftest import W3C
from servers import running_server
from stores import served

pytestmark = pytest.mark.server

PROTOCOL = W3C / "sparql/sparql11/protocol"
KASEI = "http://kasei.us/2009/09/sparql/data/"
TOKEN = "w3c-protocol-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
RESULT_TYPES = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values")
RDF_TYPES = ("text/turtle", "application/n-triples", "application/rdf+xml")


def load_test_data(store) -> None:
    """data1/2/3.nt as named graphs named like the manifest's ut:graphData labels."""
    for n in (1, 2, 3):
        graph = ox.NamedNode(f"{KASEI}data{n}.rdf")
        data = (PROTOCOL / f"data{n}.nt").read_bytes()
        store.apply(insert=[ox.Quad(t.subject, t.predicate, t.object, graph)
                            for t in ox.parse(data, ox.RdfFormat.N_TRIPLES)])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store, env = served(tmp_path_factory.mktemp("w3c") / "store", load_test_data)
    env |= {"JUSTICEGRAPH_UNION_DEFAULT_GRAPH": "false", "JUSTICEGRAPH_WRITE_TOKEN": TOKEN}
    with running_server(store, env=env, workers=1, threads=4) as s:
        yield s


def q(value: str) -> str:
    return quote(value, safe="")


def ask_result(response) -> bool:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/sparql-results+json")
    return json.loads(response.text)["boolean"]


def post_query(server, text, params="", **headers):
    return requests.post(f"{server.url}/sparql{params}", data=text.encode(),
                         headers={"Content-Type": "application/sparql-query", **headers}, timeout=30)


DOC1, DOC2, DOC3 = (f"<{KASEI}data{n}.rdf>" for n in (1, 2, 3))
DG = lambda n: f"default-graph-uri={q(f'{KASEI}data{n}.rdf')}"  # noqa: E731
NG = lambda n: f"named-graph-uri={q(f'{KASEI}data{n}.rdf')}"  # noqa: E731


# --- queries --------------------------------------------------------------------------------
def test_query_post_form(server):
    # A url-encoded form POST carries the query; the dataset parameter sits in the URL.
    r = requests.post(f"{server.url}/sparql?default-graph-uri={q(KASEI + 'data0.rdf')}",
                      data="query=ASK%20%7B%7D",
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert ask_result(r) is True


def test_query_dataset_default_graphs_get(server):
    # Two default-graph-uri parameters: the default graph is the merge of both graphs.
    text = f"ASK {{ {DOC1} a ?type . {DOC2} a ?type . }}"
    r = requests.get(f"{server.url}/sparql?query={q(text)}&{DG(1)}&{DG(2)}", timeout=30)
    assert ask_result(r) is True


def test_query_dataset_default_graphs_post(server):
    text = f"ASK {{ {DOC1} a ?type . {DOC2} a ?type . }}"
    assert ask_result(post_query(server, text, f"?{DG(1)}&{DG(2)}")) is True


def test_query_dataset_named_graphs_post(server):
    # named-graph-uri parameters make both graphs reachable through GRAPH.
    text = f"ASK {{ GRAPH ?g1 {{ {DOC1} a ?type }} GRAPH ?g2 {{ {DOC2} a ?type }} }}"
    assert ask_result(post_query(server, text, f"?{NG(1)}&{NG(2)}")) is True


def test_query_dataset_named_graphs_get(server):
    text = f"ASK {{ GRAPH ?g1 {{ {DOC1} a ?type }} GRAPH ?g2 {{ {DOC2} a ?type }} }}"
    r = requests.get(f"{server.url}/sparql?query={q(text)}&{NG(1)}&{NG(2)}", timeout=30)
    assert ask_result(r) is True


def test_query_dataset_full(server):
    # A default graph and two named graphs from the protocol at once.
    text = f"ASK {{ {DOC3} a ?type GRAPH ?g1 {{ {DOC1} a ?type }} GRAPH ?g2 {{ {DOC2} a ?type }} }}"
    assert ask_result(post_query(server, text, f"?{DG(3)}&{NG(1)}&{NG(2)}")) is True


def test_query_multiple_dataset(server):
    # FROM in the query and named-graph-uri in the protocol: the protocol's dataset wins.
    text = f"ASK FROM {DOC3} {{ GRAPH ?g1 {{ {DOC1} a ?type }} GRAPH ?g2 {{ {DOC2} a ?type }} }}"
    assert ask_result(post_query(server, text, f"?{NG(1)}&{NG(2)}")) is True


def test_query_get(server):
    r = requests.get(f"{server.url}/sparql?query={q('ASK {}')}&{DG(0)}", timeout=30)
    assert ask_result(r) is True


def test_query_post_direct(server):
    assert ask_result(post_query(server, "ASK {}")) is True


@pytest.mark.parametrize("text, allowed", [
    ("SELECT (1 AS ?value) {}", RESULT_TYPES),
    ("ASK {}", RESULT_TYPES[:2]),
    ("DESCRIBE <http://example.org/>", RDF_TYPES),
    ("CONSTRUCT { <s> <p> 1 } WHERE {}", RDF_TYPES),
], ids=["query_content_type_select", "query_content_type_ask", "query_content_type_describe",
        "query_content_type_construct"])
def test_query_content_type(server, text, allowed):
    # With no Accept header the answer comes in a media type the protocol allows for the form.
    r = requests.post(f"{server.url}/sparql?{DG(0)}", data=text.encode(),
                      headers={"Content-Type": "application/sparql-query", "Accept": ""}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0] in allowed


# --- bad queries ----------------------------------------------------------------------------
def test_bad_query_method(server):
    # PUT is not a protocol operation: 405 and the methods that are.
    r = requests.put(f"{server.url}/sparql?query={q('ASK {}')}&{DG(0)}",
                     headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"] and "POST" in r.headers["Allow"]


def test_bad_multiple_queries(server):
    r = requests.get(f"{server.url}/sparql?query={q('ASK {}')}&query={q('SELECT * {}')}", timeout=30)
    assert r.status_code == 400
    assert "more than one" in r.json()["error"]["message"]


def test_bad_query_wrong_media_type(server):
    r = requests.post(f"{server.url}/sparql", data=b"ASK {}", headers={"Content-Type": "text/plain"}, timeout=30)
    assert r.status_code == 415


def test_bad_query_missing_form_type(server):
    r = requests.post(f"{server.url}/sparql", data=b"query=ASK%20%7B%7D", timeout=30)
    assert "Content-Type" not in r.request.headers
    assert r.status_code == 415


def test_bad_query_missing_direct_type(server):
    r = requests.post(f"{server.url}/sparql", data=b"ASK {}", timeout=30)
    assert r.status_code == 415


def test_bad_query_non_utf8(server):
    r = requests.post(f"{server.url}/sparql", data="ASK {}".encode("utf-16"),
                      headers={"Content-Type": "application/sparql-query; charset=UTF-16"}, timeout=30)
    assert r.status_code == 415


def test_bad_query_syntax(server):
    r = requests.get(f"{server.url}/sparql?query={q('ASK {')}", timeout=30)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["message"].startswith("Malformed query: error at 1:")
    assert error["detail"]["line"] == 1


# --- updates ----------------------------------------------------------------------------------
PREAMBLE = "PREFIX dc: <http://purl.org/dc/terms/>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
THREE_DOCS = f"""INSERT DATA {{
    GRAPH {DOC1} {{ {DOC1} a foaf:Document }}
    GRAPH {DOC2} {{ {DOC2} a foaf:Document }}
    GRAPH {DOC3} {{ {DOC3} a foaf:Document }}
}} ;"""


def post_update(server, text, params="", content_type="application/sparql-update", auth=True):
    headers = {"Content-Type": content_type, **(AUTH if auth else {})}
    return requests.post(f"{server.url}/sparql{params}", data=text.encode(), headers=headers, timeout=60)


def test_update_dataset_default_graph(server):
    # using-graph-uri makes data1 the default graph of the INSERT … WHERE.
    text = PREAMBLE + f"""CLEAR ALL ;
INSERT DATA {{ GRAPH {DOC1} {{ {DOC1} a foaf:Document }} }} ;
INSERT {{ GRAPH <http://example.org/protocol-update-dataset-test/> {{ ?s a dc:BibliographicResource }} }}
WHERE {{ ?s a foaf:Document }}"""
    r = post_update(server, text, f"?using-graph-uri={q(KASEI + 'data1.rdf')}")
    assert r.status_code == 204, r.text
    check = f"""ASK {{ GRAPH <http://example.org/protocol-update-dataset-test/> {{
        {DOC1} a <http://purl.org/dc/terms/BibliographicResource> }} }}"""
    assert ask_result(post_query(server, check)) is True


def test_update_dataset_default_graphs(server):
    text = PREAMBLE + "DROP ALL ;\n" + THREE_DOCS + """
INSERT { GRAPH <http://example.org/protocol-update-dataset-graphs-test/> { ?s a dc:BibliographicResource } }
WHERE { ?s a foaf:Document }"""
    params = f"?using-graph-uri={q(KASEI + 'data1.rdf')}&using-graph-uri={q(KASEI + 'data2.rdf')}"
    r = post_update(server, text, params)
    assert r.status_code == 204, r.text
    check = f"""ASK {{ GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {{
        {DOC1} a <http://purl.org/dc/terms/BibliographicResource> .
        {DOC2} a <http://purl.org/dc/terms/BibliographicResource> . }}
      FILTER NOT EXISTS {{ GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {{
        {DOC3} a <http://purl.org/dc/terms/BibliographicResource> }} }} }}"""
    assert ask_result(post_query(server, check)) is True


def test_update_dataset_named_graphs(server):
    text = PREAMBLE + "DROP ALL ;\n" + THREE_DOCS + """
INSERT { GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> { ?s a dc:BibliographicResource } }
WHERE { GRAPH ?g { ?s a foaf:Document } }"""
    params = f"?using-named-graph-uri={q(KASEI + 'data1.rdf')}&using-named-graph-uri={q(KASEI + 'data2.rdf')}"
    r = post_update(server, text, params)
    assert r.status_code == 204, r.text
    check = f"""ASK {{ GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {{
        {DOC1} a <http://purl.org/dc/terms/BibliographicResource> .
        {DOC2} a <http://purl.org/dc/terms/BibliographicResource> . }}
      FILTER NOT EXISTS {{ GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {{
        {DOC3} a <http://purl.org/dc/terms/BibliographicResource> }} }} }}"""
    assert ask_result(post_query(server, check)) is True


def test_update_dataset_full(server):
    text = PREAMBLE + "DROP ALL ;\n" + THREE_DOCS + """
INSERT { GRAPH <http://example.org/protocol-update-dataset-full-test/> { ?s <http://example.org/in> ?in } }
WHERE { { GRAPH ?g { ?s a foaf:Document } BIND(?g AS ?in) } UNION { ?s a foaf:Document . BIND("default" AS ?in) } }"""
    params = f"?using-graph-uri={q(KASEI + 'data1.rdf')}&using-named-graph-uri={q(KASEI + 'data2.rdf')}"
    r = post_update(server, text, params)
    assert r.status_code == 204, r.text
    check = f"""ASK {{ GRAPH <http://example.org/protocol-update-dataset-full-test/> {{
        {DOC1} <http://example.org/in> "default" .
        {DOC2} <http://example.org/in> {DOC2} . }}
      FILTER NOT EXISTS {{ GRAPH <http://example.org/protocol-update-dataset-full-test/> {{ {DOC3} ?p ?o }} }} }}"""
    assert ask_result(post_query(server, check)) is True


def test_update_post_form(server):
    r = requests.post(f"{server.url}/sparql", data="update=CLEAR+ALL",
                      headers={"Content-Type": "application/x-www-form-urlencoded", **AUTH}, timeout=60)
    assert r.status_code == 204, r.text


def test_update_post_direct(server):
    assert post_update(server, "CLEAR ALL").status_code == 204


def test_update_base_uri(server):
    # A relative IRI in an update resolves against the service's base (the endpoint URL).
    text = ("CLEAR SILENT GRAPH <http://example.org/protocol-base-test/> ; INSERT DATA { GRAPH "
            "<http://example.org/protocol-base-test/> { <http://example.org/s> <http://example.org/p> <test> } }")
    assert post_update(server, text).status_code == 204
    check = """ASK { GRAPH <http://example.org/protocol-base-test/> {
        <http://example.org/s> <http://example.org/p> ?o FILTER (isIRI(?o) && STR(?o) != "test") } }"""
    assert ask_result(post_query(server, check)) is True


# --- bad updates --------------------------------------------------------------------------------
def test_bad_update_get(server):
    r = requests.get(f"{server.url}/sparql?update={q('CLEAR ALL')}", headers=AUTH, timeout=30)
    assert r.status_code == 400


def test_bad_multiple_updates(server):
    r = requests.post(f"{server.url}/sparql", data="update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
                      headers={"Content-Type": "application/x-www-form-urlencoded", **AUTH}, timeout=30)
    assert r.status_code == 400


def test_bad_update_wrong_media_type(server):
    assert post_update(server, "CLEAR NAMED", content_type="text/plain").status_code == 415


def test_bad_update_missing_form_type(server):
    r = requests.post(f"{server.url}/sparql", data=b"update=CLEAR%20NAMED", headers=AUTH, timeout=30)
    assert r.status_code == 415


def test_bad_update_non_utf8(server):
    r = requests.post(f"{server.url}/sparql", data="CLEAR NAMED".encode("utf-16"),
                      headers={"Content-Type": "application/sparql-update; charset=UTF-16", **AUTH}, timeout=30)
    assert r.status_code == 415


def test_bad_update_syntax(server):
    r = requests.post(f"{server.url}/sparql", data="update=CLEAR%20XYZ",
                      headers={"Content-Type": "application/x-www-form-urlencoded", **AUTH}, timeout=30)
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("Malformed update: error at 1:")


def test_bad_update_dataset_conflict(server):
    # using-named-graph-uri together with WITH in the update text is an error.
    text = """PREFIX foaf: <http://xmlns.com/foaf/0.1/>
WITH <http://example/addresses>
DELETE { ?person foaf:givenName 'Bill' } INSERT { ?person foaf:givenName 'William' }
WHERE { ?person foaf:givenName 'Bill' }"""
    r = post_update(server, text, f"?using-named-graph-uri={q('http://example/people')}")
    assert r.status_code == 400
    assert "USING or WITH" in r.json()["error"]["message"]


def test_manifest_is_covered():
    """Every entry of the W3C manifest has its test above (by name)."""
    import rdflib

    g = rdflib.Graph().parse(PROTOCOL / "manifest.ttl")
    mf = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
    entries = {str(e).split("#")[1] for e in g.items(next(g.objects(None, mf.entries)))}
    here = {name[len("test_"):] for name in globals() if name.startswith("test_")}
    here |= {"query_content_type_select", "query_content_type_ask", "query_content_type_describe",
             "query_content_type_construct"}
    assert len(entries) == 34
    assert entries <= here, entries - here
