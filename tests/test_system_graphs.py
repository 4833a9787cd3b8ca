"""System graphs are out of reach of the public write routes (issue #17, item 5): the
provenance graph, the ontology, the vocabularies, the inferred graphs and the audit are
written by loads (or nobody), never by a SPARQL Update or a Graph Store request, whatever
the token. A refused write is a 403 with a one-line message and the store is unchanged
(the whole dataset, exported with the write token, is the same before and after)."""

from __future__ import annotations

import gc

import pytest
from fixtures.restricted.harness import quads_of_fixture

from justicegraph.loaders import system
from justicegraph.namespaces import Minter
from justicegraph.server.app import create_app

READ, WRITE = "system-read-token-1234", "system-write-token-5678"
AUTH = {"Authorization": f"Bearer {WRITE}"}
MINTER = Minter()
SYSTEM = [MINTER.provenance_graph, MINTER.restricted_provenance_graph, MINTER.ontology_graph,
          MINTER.vocabulary_graph, *MINTER.inferred_graphs, *MINTER.audit_graphs]
NT = b"<urn:jg:x> <urn:jg:p> <urn:jg:y> .\n"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from stores import REMOTE, new_store
    from stores import settings as backend_settings

    from justicegraph.store import OxigraphStore

    quads = quads_of_fixture() + system.quads(MINTER)  # the ontology and vocabularies, as a load writes them
    options = {"read_token": READ, "write_token": WRITE, "rate_limit": ""}
    if REMOTE:
        store = new_store()
        store.apply(insert=quads)
        app = create_app(backend_settings(**options), store=store)
    else:
        path = tmp_path_factory.mktemp("system") / "store"
        store = OxigraphStore(path)
        store.apply(insert=quads)
        store.close()
        del store
        gc.collect()
        app = create_app(backend_settings(path, **options))
    client = app.test_client()
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    return client


def export(client) -> bytes:
    response = client.get("/graphs", headers={"Accept": "application/n-quads", **AUTH})
    assert response.status_code == 200
    return response.get_data()


def refused(response) -> None:
    assert response.status_code == 403, response.get_data(as_text=True)
    message = response.get_json()["error"]["message"]
    assert "system graph" in message and "\n" not in message


@pytest.mark.parametrize("graph", SYSTEM)
@pytest.mark.parametrize("method", ["put", "post", "delete"])
def test_graph_store_writes_to_system_graphs_are_refused(client, graph, method):
    before = export(client)
    response = getattr(client, method)("/graphs", query_string={"graph": graph}, data=NT,
                                       content_type="application/n-triples", headers=AUTH)
    refused(response)
    assert export(client) == before


@pytest.mark.parametrize("update", [
    f"DROP GRAPH <{MINTER.ontology_graph}>",
    f"CLEAR GRAPH <{MINTER.provenance_graph}>",
    "CLEAR ALL",
    "DROP NAMED",
    f"DELETE WHERE {{ GRAPH <{MINTER.vocabulary_graph}> {{ ?s ?p ?o }} }}",
    f"INSERT DATA {{ GRAPH <{MINTER.provenance_graph}> {{ <urn:jg:x> <urn:jg:p> 1 }} }}",
    f"INSERT DATA {{ GRAPH <{MINTER.inferred_graph}> {{ <urn:jg:x> <urn:jg:p> 1 }} }}",
    f"INSERT DATA {{ GRAPH <{MINTER.audit_graphs[0]}> {{ <urn:jg:x> <urn:jg:p> 1 }} }}",
    f"COPY <{MINTER.ontology_graph}> TO <{MINTER.vocabulary_graph}>",
    f"MOVE <{MINTER.provenance_graph}> TO <urn:jg:elsewhere>",
], ids=["drop-ontology", "clear-provenance", "clear-all", "drop-named", "delete-vocabulary",
        "insert-provenance", "insert-inferred", "insert-audit", "copy-onto-vocabulary", "move-provenance"])
def test_updates_of_system_graphs_are_refused(client, update):
    before = export(client)
    refused(client.post("/sparql", data=update, content_type="application/sparql-update", headers=AUTH))
    assert export(client) == before


def test_system_graphs_stay_readable_and_writes_elsewhere_work(client):
    # Reading a system graph is not writing it; a write that only reads one is allowed.
    got = client.get("/graphs", query_string={"graph": MINTER.ontology_graph}, headers={"Accept": "text/turtle"})
    assert got.status_code == 200 and got.get_data()
    update = (f"INSERT {{ GRAPH <urn:jg:copied-labels> {{ ?c <urn:jg:named> ?l }} }} WHERE {{ "
              f"GRAPH <{MINTER.ontology_graph}> {{ ?c <http://www.w3.org/2000/01/rdf-schema#label> ?l }} }}")
    response = client.post("/sparql", data=update, content_type="application/sparql-update", headers=AUTH)
    assert response.status_code == 204, response.get_data(as_text=True)
