"""The roles (docs/security.md, "Who may do what"; issue #17, item 8): anonymous, reader (the
read token), writer (the write token, which also opens what the read token opens). One
token has one meaning on every route: what SPARQL shows a token, the Graph Store, the pages
and the dataset listing show it too. No write moves restricted material into a public graph:
an update whose effect on the public graphs depends on a restricted graph is refused (403)
and changes nothing. Only a writer ever gets a validation (SHACL) answer, so a restricted id
cannot be probed through one."""

from __future__ import annotations

import gzip

import pytest
from fixtures.restricted.harness import (
    PUBLIC_CURATED,
    R_CURATED,
    R_TESTIMONY,
    build_backend,
    leaks,
)

READ, WRITE = "roles-read-token-5c1e9", "roles-write-token-92ab7"
BASE = "https://w3id.org/justicegraph/"
TOKENS = {"anonymous": None, "reader": READ, "writer": WRITE, "wrong token": "not-a-token-at-all"}
SEES_RESTRICTED = {"anonymous": False, "reader": True, "writer": True, "wrong token": False}
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = build_backend(tmp_path_factory.mktemp("roles") / "store", read_token=READ, write_token=WRITE,
                        rate_limit="")
    client = app.test_client()
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    return client


def auth(token: str | None) -> dict:
    return {"Authorization": f"Bearer {token}"} if token else {}


def ask(client, query: str, token: str | None) -> bool:
    response = client.get("/sparql", query_string={"query": query}, headers={**JSON, **auth(token)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["boolean"]


def graphs_by_sparql(client, token) -> set[str]:
    response = client.get("/sparql", query_string={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
                          headers={**JSON, **auth(token)})
    return {row["g"]["value"] for row in response.get_json()["results"]["bindings"]}


def graphs_by_graph_store(client, token) -> set[str]:
    import pyoxigraph as ox

    response = client.get("/graphs", headers={"Accept": "application/n-quads", **auth(token)})
    assert response.status_code == 200
    return {q.graph_name.value for q in ox.parse(response.get_data(), ox.RdfFormat.N_QUADS)
            if isinstance(q.graph_name, ox.NamedNode)}


def export(client, token=WRITE) -> bytes:
    response = client.get("/graphs", headers={"Accept": "application/n-quads", **auth(token)})
    assert response.status_code == 200
    return response.get_data()


@pytest.mark.parametrize("role", list(TOKENS))
def test_one_token_one_answer_on_every_route(client, role):
    token, sees = TOKENS[role], SEES_RESTRICTED[role]
    assert ask(client, f"ASK {{ GRAPH <{R_CURATED}> {{ ?s ?p ?o }} }}", token) is sees
    assert (client.get("/graphs", query_string={"graph": R_CURATED}, headers=auth(token)).status_code
            == (200 if sees else 404))
    by_sparql, by_gsp = graphs_by_sparql(client, token), graphs_by_graph_store(client, token)
    assert by_sparql == by_gsp
    assert (R_CURATED in by_gsp) is sees
    page = client.get("/id/sealed-witness", headers={"Accept": "text/turtle", **auth(token)})
    assert page.status_code == (200 if sees else 404)
    void = client.get("/.well-known/void", headers={"Accept": "application/n-triples", **auth(token)})
    assert bool(leaks(void.get_data(as_text=True))) is sees
    search = client.get("/api/search", query_string={"q": "Parvaneh"}, headers=auth(token))
    assert search.status_code == 200 and bool(leaks(search.get_data(as_text=True))) is sees
    dump = client.get("/dump", headers=auth(token))
    assert dump.status_code == 200 and bool(leaks(gzip.decompress(dump.get_data()).decode())) is sees


FLOWS = {
    "insert-where": f"INSERT {{ GRAPH <{PUBLIC_CURATED}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{R_CURATED}> {{ ?s ?p ?o }} }}",
    "copy": f"COPY <{R_TESTIMONY}> TO <{BASE}graph/import/copied>",
    "add": f"ADD <{R_TESTIMONY}> TO <{PUBLIC_CURATED}>",
    "move": f"MOVE <{R_TESTIMONY}> TO <{BASE}graph/import/moved>",
    "graph-variable": f"INSERT {{ GRAPH <{BASE}graph/import/all> {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "default-union-into-public": f"INSERT {{ GRAPH <{BASE}graph/import/labels> {{ ?s ?p ?o }} }} "
                                 f"WHERE {{ GRAPH ?g {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o }} "
                                 f"BIND(<http://www.w3.org/2000/01/rdf-schema#label> AS ?p) }}",
    "exists-oracle": f"INSERT {{ GRAPH <{BASE}graph/import/oracle> {{ <urn:jg:probe> <urn:jg:found> true }} }} "
                     f"WHERE {{ FILTER EXISTS {{ GRAPH <{R_CURATED}> {{ ?s ?p ?o }} }} }}",
    "not-exists-oracle": f"INSERT {{ GRAPH <{BASE}graph/import/oracle> {{ <urn:jg:probe> <urn:jg:absent> true }} }} "
                         f"WHERE {{ FILTER NOT EXISTS {{ GRAPH <{R_CURATED}> {{ ?s ?p ?o }} }} }}",
    "delete-chosen-by-restricted": f"DELETE {{ GRAPH <{PUBLIC_CURATED}> {{ ?s ?p ?o }} }} WHERE {{ "
                                   f"GRAPH <{PUBLIC_CURATED}> {{ ?s ?p ?o }} GRAPH <{R_TESTIMONY}> {{ ?x ?q ?s }} }}",
}


@pytest.mark.parametrize("update", list(FLOWS.values()), ids=list(FLOWS))
def test_no_write_moves_restricted_material_into_a_public_graph(client, update):
    before, public_before = export(client), export(client, None)
    response = client.post("/sparql", data=update, content_type="application/sparql-update", headers=auth(WRITE))
    assert response.status_code == 403, response.get_data(as_text=True)
    assert "restricted" in response.get_json()["error"]["message"]
    assert export(client) == before and export(client, None) == public_before


def test_restricted_material_may_move_between_restricted_graphs(client):
    target = f"{BASE}graph/import/kept/restricted"
    update = (f"INSERT {{ GRAPH <{target}> {{ ?copy <urn:jg:label> ?o }} }} WHERE {{ GRAPH <{R_CURATED}> {{ "
              f"?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?o }} "
              f"BIND(IRI(CONCAT('urn:jg:copy:', ENCODE_FOR_URI(STR(?s)))) AS ?copy) }}")
    response = client.post("/sparql", data=update, content_type="application/sparql-update", headers=auth(WRITE))
    assert response.status_code == 204, response.get_data(as_text=True)
    assert ask(client, f"ASK {{ GRAPH <{target}> {{ ?s ?p ?o }} }}", READ) is True
    assert ask(client, f"ASK {{ GRAPH <{target}> {{ ?s ?p ?o }} }}", None) is False
    assert leaks(export(client, None).decode()) == []


def test_updates_of_public_graphs_alone_still_work_beside_restricted_ones(client):
    update = (f"INSERT {{ GRAPH <{BASE}graph/import/types> {{ ?copy <urn:jg:kind> ?c }} }} "
              f"WHERE {{ GRAPH <{PUBLIC_CURATED}> {{ ?s a ?c }} "
              f"BIND(IRI(CONCAT('urn:jg:copy:', ENCODE_FOR_URI(STR(?s)))) AS ?copy) }}")
    response = client.post("/sparql", data=update, content_type="application/sparql-update", headers=auth(WRITE))
    assert response.status_code == 204, response.get_data(as_text=True)
    assert ask(client, f"ASK {{ GRAPH <{BASE}graph/import/types> {{ ?s ?p ?c }} }}", None) is True


@pytest.mark.parametrize("role", ["anonymous", "reader", "wrong token"])
def test_only_writers_get_a_validation_answer(client, role):
    # A record id held by a restricted record and one held by nobody: the same answer to a
    # caller who may not write — refused before any validation runs.
    def put(record_id: str):
        body = f'<{BASE}id/probe-{record_id}> <https://w3id.org/justicegraph/ontology#recordId> "{record_id}" .'
        return client.put("/graphs", query_string={"graph": f"{BASE}graph/import/probe"}, data=body.encode(),
                          content_type="application/n-triples", headers=auth(TOKENS[role]))

    taken, free = put("sealed-witness"), put("never-used-by-anyone")
    assert taken.status_code == free.status_code and taken.status_code in (401, 403)
    assert taken.get_json() == free.get_json()
