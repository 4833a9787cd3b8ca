"""The HTTP endpoint, unchanged, on a remote engine: the 1988 data loaded through the loaders,
anonymous callers never see restricted graphs, the read token opens them, SPARQL Update with
the write token reaches the engine, and a saved query answers through the API."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import open_backend

from justicegraph.loaders import load
from justicegraph.namespaces import Minter
from justicegraph.resources import dataset_dir
from justicegraph.server.app import create_app

pytestmark = pytest.mark.server  # starts oxigraph serve and Virtuoso on 127.0.0.1


WRITE, READ = "w-" + "x" * 30, "r-" + "y" * 30
SECRET_GRAPH = "https://w3id.org/justicegraph/graph/testimony/t-test/restricted"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def client(request, tmp_path_factory):
    store = open_backend(request, request.param, tmp_path_factory.mktemp("server"))
    load(store, [dataset_dir("1988")], minter=Minter(), shacl=False)
    store.apply(insert=[ox.Quad(ox.NamedNode("https://w3id.org/justicegraph/id/hidden"),
                                ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                                ox.Literal("restricted witness"), ox.NamedNode(SECRET_GRAPH))])
    engine = request.getfixturevalue(f"{request.param}_engine")
    app = create_app(engine.settings(write_token=WRITE, read_token=READ), store=store)
    app.config["TESTING"] = True
    yield app.test_client()
    store.close()


def labels(response) -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {b["l"]["value"] for b in response.get_json()["results"]["bindings"]}


def test_restricted_graph_hidden_then_opened_by_the_read_token(client):
    query = "SELECT ?l WHERE { GRAPH ?g { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } }"
    assert "restricted witness" not in labels(client.get("/sparql", query_string={"query": query}, headers=JSON))
    sneaky = f"SELECT ?l FROM <{SECRET_GRAPH}> WHERE {{ ?s ?p ?l }}"
    assert "restricted witness" not in labels(client.get("/sparql", query_string={"query": sneaky}, headers=JSON))
    opened = client.get("/sparql", query_string={"query": query}, headers={**JSON, "Authorization": f"Bearer {READ}"})
    assert "restricted witness" in labels(opened)


def test_update_with_the_write_token_reaches_the_engine(client):
    graph = "https://w3id.org/justicegraph/graph/curated/remote-test"
    update = (f"INSERT DATA {{ GRAPH <{graph}> {{ <https://w3id.org/justicegraph/id/x> "
              f"<http://www.w3.org/2000/01/rdf-schema#label> \"written over HTTP\"@en }} }}")
    refused = client.post("/sparql", data={"update": update})
    assert refused.status_code in (401, 403)
    done = client.post("/sparql", data={"update": update}, headers={"Authorization": f"Bearer {WRITE}"})
    assert done.status_code in (200, 204), done.get_data(as_text=True)
    query = f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ ?s ?p ?l }} }}"
    assert labels(client.get("/sparql", query_string={"query": query}, headers=JSON)) == {"written over HTTP"}


def test_saved_query_through_the_api(client):
    response = client.get("/api/queries/cq12-trial-of-person", headers=JSON)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "hamid-noury" in response.get_data(as_text=True)
