"""The Graph Store HTTP Protocol at /graphs on the running server, and validated writes.

The W3C Graph Store Protocol cases (tests/w3c/sparql/sparql11/http-rdf-update/
manifest.ttl) are restated in order as one scenario each (their $GRAPHSTORE$ is /graphs,
direct identification /graphs/person/1.ttl). Then: an invalid write, through Update and
through the Graph Store Protocol, is refused with a SHACL report and leaves the store with
exactly the same content (the whole store exported as N-Quads before and after).
"""

from __future__ import annotations

import json

import pytest
import rdflib
import requests
from rdflib.compare import isomorphic
from servers import Listener, running_server
from stores import served

pytestmark = pytest.mark.server

WRITE, READ = "gsp-write-token", "gsp-read-token"
AUTH = {"Authorization": f"Bearer {WRITE}"}
TURTLE = {"Content-Type": "text/turtle; charset=utf-8"}
BASE = "https://w3id.org/justicegraph/"
CURATED = BASE + "graph/curated/gsp"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store, env = served(tmp_path_factory.mktemp("gsp") / "store", lambda s: None)
    env |= {"JUSTICEGRAPH_WRITE_TOKEN": WRITE, "JUSTICEGRAPH_READ_TOKEN": READ}
    with running_server(store, env=env, workers=2, threads=2) as s:
        yield s


def person(server, n: int) -> str:
    return f"{server.url}/graphs/person/{n}"


def doc(server, body: str) -> str:
    return ("@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n@prefix v: <http://www.w3.org/2006/vcard/ns#> .\n"
            + body.replace("$PERSON1", f"<{person(server, 1)}>"))


def graph_of(response) -> rdflib.Graph:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/turtle")
    return rdflib.Graph().parse(data=response.text, format="turtle")


JOHN = '$PERSON1 a foaf:Person; foaf:businessCard [ a v:VCard; v:fn "John Doe" ].'
JANE = '$PERSON1 a foaf:Person; foaf:businessCard [ a v:VCard; v:fn "Jane Doe" ].'
ALICE = '[] a foaf:Person; foaf:businessCard [ a v:VCard; v:given-name "Alice" ] .'


def test_w3c_graph_store_scenario(server):
    url1 = person(server, 1) + ".ttl"
    # PUT - initial state: a new graph is created
    r = requests.put(url1, data=doc(server, JOHN).encode(), headers={**TURTLE, **AUTH}, timeout=30)
    assert r.status_code == 201, r.text
    # GET of PUT - initial state, by indirect identification
    got = graph_of(requests.get(server.url + "/graphs", params={"graph": url1},
                                headers={"Accept": "text/turtle"}, timeout=30))
    assert isomorphic(got, rdflib.Graph().parse(data=doc(server, JOHN), format="turtle"))
    # PUT - graph already in store: replaced, 204
    r = requests.put(url1, data=doc(server, JANE).encode(), headers={**TURTLE, **AUTH}, timeout=30)
    assert r.status_code == 204
    got = graph_of(requests.get(url1, headers={"Accept": "text/turtle"}, timeout=30))
    assert isomorphic(got, rdflib.Graph().parse(data=doc(server, JANE), format="turtle"))
    # PUT - default graph (empty before): 201; GET of it returns what was put
    r = requests.put(server.url + "/graphs?default", data=doc(server, ALICE).encode(),
                     headers={**TURTLE, **AUTH}, timeout=30)
    assert r.status_code == 201
    got = graph_of(requests.get(server.url + "/graphs?default", headers={"Accept": "text/turtle"}, timeout=30))
    assert isomorphic(got, rdflib.Graph().parse(data=doc(server, ALICE), format="turtle"))
    # DELETE - existing graph (made here first), then GET of it: 404
    url2 = person(server, 2) + ".ttl"
    assert requests.put(url2, data=doc(server, JOHN).encode(), headers={**TURTLE, **AUTH}, timeout=30).status_code == 201
    assert requests.delete(url2, headers=AUTH, timeout=30).status_code in (200, 204)
    assert requests.get(url2, timeout=30).status_code == 404
    # DELETE - non-existent graph: 404
    assert requests.delete(url2, headers=AUTH, timeout=30).status_code == 404
    # POST - existing graph: merged
    name = doc(server, '$PERSON1 foaf:name "Jane Doe" .')
    assert requests.post(url1, data=name.encode(), headers={**TURTLE, **AUTH}, timeout=30).status_code in (200, 204)
    got = graph_of(requests.get(url1, headers={"Accept": "text/turtle"}, timeout=30))
    assert (rdflib.URIRef(person(server, 1)), rdflib.FOAF.name, rdflib.Literal("Jane Doe")) in got
    assert len(got) == 5
    # POST - multipart/form-data: every part merged
    files = {"lastName.ttl": ("lastName.ttl", doc(server, '$PERSON1 foaf:familyName "Doe" .'), "text/turtle"),
             "firstName.ttl": ("firstName.ttl", doc(server, '$PERSON1 foaf:givenName "Jane" .'), "text/turtle")}
    assert requests.post(url1, files=files, headers=AUTH, timeout=30).status_code in (200, 204)
    got = graph_of(requests.get(url1, timeout=30))
    assert {str(o) for o in got.objects(rdflib.URIRef(person(server, 1)))} >= {"Jane Doe", "Jane", "Doe"}
    # POST - create new graph: 201 and its Location; GET of it, twice (after a no-op)
    r = requests.post(server.url + "/graphs", data=doc(server, ALICE).encode(), headers={**TURTLE, **AUTH}, timeout=30)
    assert r.status_code == 201 and r.headers["Location"].startswith(server.url + "/graphs/")
    for _ in range(2):
        got = graph_of(requests.get(r.headers["Location"], headers={"Accept": "text/turtle"}, timeout=30))
        assert isomorphic(got, rdflib.Graph().parse(data=doc(server, ALICE), format="turtle"))
    # HEAD on an existing graph: headers only; on a missing one: 404
    head = requests.head(url1, timeout=30)
    assert head.status_code == 200 and head.headers["Content-Type"].startswith("text/turtle")
    assert int(head.headers["Content-Length"]) > 0 and head.content == b""
    assert requests.head(person(server, 4) + ".ttl", timeout=30).status_code == 404


def test_every_write_is_recorded_in_the_audit(server):
    url = person(server, 7) + ".ttl"
    assert requests.put(url, data=doc(server, JOHN).encode(), headers={**TURTLE, **AUTH}, timeout=30).status_code == 201
    query = f"""PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX jg: <https://w3id.org/justicegraph/ontology#>
    SELECT ?level ?who FROM NAMED <{BASE}graph/audit> WHERE {{ GRAPH <{BASE}graph/audit> {{
        <{url}> a jg:AssertionGraph ; jg:accessLevel ?level ; prov:wasGeneratedBy ?w .
        ?w a prov:Activity ; prov:generated <{url}> ; jg:writtenBy ?who ; jg:checksum ?sum ;
           prov:startedAtTime ?t0 ; prov:endedAtTime ?t1 }} }}"""
    rows = requests.get(server.url + "/sparql", params={"query": query}, headers=AUTH,
                        timeout=30).json()["results"]["bindings"]
    assert rows == [{"level": {"type": "uri", "value": BASE + "vocab/access/public"},
                     "who": {"type": "literal", "value": "operator"}}]
    # outside the dataset: a reader, or a query that does not name the audit, sees none of it
    assert requests.get(server.url + "/sparql", params={"query": query}, headers={"Authorization": f"Bearer {READ}"},
                        timeout=30).json()["results"]["bindings"] == []
    graphs = requests.get(server.url + "/sparql", params={"query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"},
                          headers=AUTH, timeout=30).json()["results"]["bindings"]
    assert BASE + "graph/audit" not in {g["g"]["value"] for g in graphs}


@pytest.mark.parametrize("headers, status", [({}, 401), ({"Authorization": f"Bearer {READ}"}, 403),
                                             ({"Authorization": "Bearer nope"}, 401)])
def test_writes_need_the_write_token(server, headers, status):
    for method in ("put", "post", "delete"):
        r = requests.request(method, person(server, 1) + ".ttl", data=b"<a:b> <a:c> <a:d> .",
                             headers={**TURTLE, **headers}, timeout=30)
        assert r.status_code == status
        assert r.headers["WWW-Authenticate"].startswith('Bearer realm="justicegraph"')


def test_bad_bodies(server):
    url = person(server, 9) + ".ttl"
    r = requests.put(url, data=b"<a> <b> .", headers={**TURTLE, **AUTH}, timeout=30)
    assert r.status_code == 400 and "Turtle" in r.json()["error"]["message"]
    assert requests.put(url, data=b"{}", headers={"Content-Type": "application/x-yaml", **AUTH},
                        timeout=30).status_code == 415
    assert requests.put(url, data=b"x", headers=AUTH, timeout=30).status_code == 415
    assert requests.get(url, timeout=30).status_code == 404
    assert requests.patch(url, headers=AUTH, timeout=30).status_code == 405
    assert requests.get(server.url + "/graphs?graph=not%20an%20iri", timeout=30).status_code == 400
    assert requests.get(server.url + "/graphs?graph=http://a/&default", timeout=30).status_code == 400


def test_json_ld_contexts_are_never_fetched(server):
    listen = Listener()
    try:
        body = json.dumps({"@context": listen.url + "context.jsonld", "@id": "http://example.org/x",
                           "name": "X"}).encode()
        r = requests.put(person(server, 11) + ".jsonld", data=body,
                         headers={"Content-Type": "application/ld+json", **AUTH}, timeout=30)
        assert r.status_code in (400, 201, 204)
        assert listen.requests == []
    finally:
        listen.close()


def test_restricted_graphs_are_hidden_from_readers_without_token(server):
    secret = CURATED + "/restricted"
    body = b'<http://example.org/s> <http://example.org/p> "hidden" .'
    r = requests.put(server.url + "/graphs", params={"graph": secret}, data=body, headers={**TURTLE, **AUTH}, timeout=30)
    assert r.status_code == 201, r.text
    assert requests.get(server.url + "/graphs", params={"graph": secret}, timeout=30).status_code == 404
    opened = requests.get(server.url + "/graphs", params={"graph": secret},
                          headers={"Authorization": f"Bearer {READ}", "Accept": "application/n-triples"}, timeout=30)
    assert opened.status_code == 200 and "hidden" in opened.text
    everything = requests.get(server.url + "/graphs", headers={"Accept": "application/n-quads"}, timeout=30).text
    assert "hidden" not in everything and secret not in everything
    # its description went to the restricted provenance graph, not the public one
    assert secret not in requests.get(server.url + "/graphs", params={"graph": BASE + "graph/provenance"},
                                      headers={"Accept": "application/n-triples"}, timeout=30).text


# --- invalid writes change nothing --------------------------------------------------------------------
PERSON_WITHOUT_LABEL = f"<{BASE}id/nameless> a <https://w3id.org/justicegraph/ontology#Person> ."
PERSON_WITH_LABEL = (f'<{BASE}id/named> a <https://w3id.org/justicegraph/ontology#Person> ; '
                     f'<http://www.w3.org/2004/02/skos/core#prefLabel> "Named Person"@en ; '
                     f'<http://www.w3.org/2000/01/rdf-schema#label> "Named Person"@en ; '
                     f'<https://w3id.org/justicegraph/ontology#recordId> "named" .')


def export(server) -> bytes:
    r = requests.get(server.url + "/graphs", headers={"Accept": "application/n-quads", **AUTH}, timeout=30)
    assert r.status_code == 200
    return r.content


def _refused(response, accept_turtle: bool) -> None:
    assert response.status_code == 422, response.text
    if accept_turtle:
        assert response.headers["Content-Type"].startswith("text/turtle")
        report = rdflib.Graph().parse(data=response.text, format="turtle")
        sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
        assert (None, sh.conforms, rdflib.Literal(False)) in report
        assert rdflib.URIRef(f"{BASE}id/nameless") in set(report.objects(None, sh.focusNode))
    else:
        error = response.json()["error"]
        assert "nothing was written" in error["message"]
        assert any(r["focus"] == f"{BASE}id/nameless" and r["severity"] == "Violation"
                   for r in error["detail"]["results"])


@pytest.mark.parametrize("accept_turtle", [False, True], ids=["json-report", "turtle-report"])
def test_invalid_update_is_refused_with_a_report(server, accept_turtle):
    before = export(server)
    update = f"INSERT DATA {{ GRAPH <{CURATED}> {{ {PERSON_WITHOUT_LABEL} }} }}"
    headers = {"Content-Type": "application/sparql-update", **AUTH,
               "Accept": "text/turtle" if accept_turtle else "application/json"}
    _refused(requests.post(server.url + "/sparql", data=update.encode(), headers=headers, timeout=60), accept_turtle)
    assert export(server) == before


@pytest.mark.parametrize("method", ["put", "post"])
def test_invalid_graph_store_write_is_refused_with_a_report(server, method):
    before = export(server)
    r = requests.request(method, server.url + "/graphs", params={"graph": CURATED},
                         data=PERSON_WITHOUT_LABEL.encode(), headers={**TURTLE, **AUTH, "Accept": "text/turtle"},
                         timeout=60)
    _refused(r, accept_turtle=True)
    assert export(server) == before


def test_removing_a_required_label_is_refused(server):
    assert requests.put(server.url + "/graphs", params={"graph": CURATED}, data=PERSON_WITH_LABEL.encode(),
                        headers={**TURTLE, **AUTH}, timeout=60).status_code == 201
    before = export(server)
    update = (f"DELETE DATA {{ GRAPH <{CURATED}> {{ <{BASE}id/named> "
              f'<http://www.w3.org/2004/02/skos/core#prefLabel> "Named Person"@en }} }}')
    r = requests.post(server.url + "/sparql", data={"update": update}, headers=AUTH, timeout=60)
    assert r.status_code == 422
    assert export(server) == before


def test_writes_are_off_without_a_write_token():
    from justicegraph.server.app import create_app
    from justicegraph.settings import Settings
    from justicegraph.store import OxigraphStore

    app = create_app(Settings.from_env({}, store="memory", rate_limit=""), store=OxigraphStore(None))
    client = app.test_client()
    assert client.put("/graphs?default", data=b"<a:b> <a:c> <a:d> .", content_type="text/turtle").status_code == 403
    assert client.post("/sparql", data={"update": "CLEAR ALL"}).status_code == 403


def test_entity_bomb_upload_is_refused_before_parsing(server):
    """A billion-laughs RDF/XML body would hang the parser: it is refused with 400 and the
    rule, and the server answers the next request."""
    lol = "".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};">' for i in range(1, 8))
    body = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{lol}]>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="http://e/x"><rdf:value>&l7;</rdf:value></rdf:Description></rdf:RDF>')
    r = requests.put(f"{server.url}/graphs", params={"graph": "http://e/g"}, data=body.encode(),
                     headers={"Content-Type": "application/rdf+xml", **AUTH}, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["detail"]["rule"] == "xml-entity"
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_writes_are_validated_by_the_configured_validator(monkeypatch):
    """The server passes its own `validator` setting on (not the environment's)."""
    from justicegraph import validation
    from justicegraph.server.app import create_app
    from justicegraph.settings import Settings
    from justicegraph.store import OxigraphStore

    monkeypatch.delenv("JUSTICEGRAPH_VALIDATOR", raising=False)
    calls = []
    real = validation.pyshacl.validate
    monkeypatch.setattr(validation.pyshacl, "validate", lambda *a, **k: calls.append(1) or real(*a, **k))
    body = b"<http://e/s> <http://e/p> <http://e/o> ."
    for name, expect_pyshacl in (("fast", False), ("pyshacl", True)):
        calls.clear()
        settings = Settings.from_env({}, store="memory", rate_limit="", write_token=WRITE, validator=name)
        client = create_app(settings, store=OxigraphStore(None)).test_client()
        r = client.put("/graphs?graph=http://e/g", data=body, content_type="application/n-triples",
                       headers={"Authorization": f"Bearer {WRITE}"})
        assert r.status_code in (201, 204), r.get_data(as_text=True)
        assert bool(calls) is expect_pyshacl, name
