"""Real SPARQL clients against the running server: SPARQLWrapper (every result format and
CONSTRUCT as Turtle and JSON-LD) and rdflib's SPARQLStore / SPARQLUpdateStore."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from servers import running_server
from SPARQLWrapper import CSV, JSON, JSONLD, POST, TSV, TURTLE, XML, SPARQLWrapper
from stores import served

pytestmark = pytest.mark.server

TOKEN = "clients-write-token"
EX = "http://example.org/"
GRAPH = "https://w3id.org/justicegraph/graph/curated/clients"
NAMES = ["Ahmad", "Bahar", "Cyrus"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    def fill(store):
        quads = []
        for i, name in enumerate(NAMES):
            s = ox.NamedNode(f"{EX}p{i}")
            quads.append(ox.Quad(s, ox.NamedNode(EX + "name"), ox.Literal(name, language="en"), ox.NamedNode(GRAPH)))
            quads.append(ox.Quad(s, ox.NamedNode(EX + "age"), ox.Literal(str(30 + i), datatype=ox.NamedNode(
                "http://www.w3.org/2001/XMLSchema#integer")), ox.NamedNode(GRAPH)))
        store.apply(insert=quads)

    store_dir, env = served(tmp_path_factory.mktemp("clients") / "store", fill)
    with running_server(store_dir, env={**env, "JUSTICEGRAPH_WRITE_TOKEN": TOKEN}, workers=1, threads=4) as s:
        yield s


SELECT = f"SELECT ?s ?name ?age WHERE {{ ?s <{EX}name> ?name ; <{EX}age> ?age }} ORDER BY ?name"


def wrapper(server, query, fmt, method=None) -> SPARQLWrapper:
    sparql = SPARQLWrapper(server.url + "/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    if method:
        sparql.setMethod(method)
    return sparql


@pytest.mark.parametrize("method", [None, POST])
def test_sparqlwrapper_json(server, method):
    result = wrapper(server, SELECT, JSON, method).queryAndConvert()
    assert result["head"]["vars"] == ["s", "name", "age"]
    rows = result["results"]["bindings"]
    assert [r["name"]["value"] for r in rows] == NAMES
    assert rows[0]["name"]["xml:lang"] == "en"
    assert rows[0]["age"] == {"type": "literal", "value": "30",
                              "datatype": "http://www.w3.org/2001/XMLSchema#integer"}


def test_sparqlwrapper_xml(server):
    document = wrapper(server, SELECT, XML).queryAndConvert()  # a minidom Document
    literals = [n.firstChild.data for n in document.getElementsByTagName("literal")]
    assert literals[0::2] == NAMES


def test_sparqlwrapper_csv_and_tsv(server):
    text = wrapper(server, SELECT, CSV).queryAndConvert().decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["s", "name", "age"] and [r[1] for r in rows[1:]] == NAMES
    tsv = wrapper(server, SELECT, TSV).queryAndConvert().decode().splitlines()
    assert tsv[0] == "?s\t?name\t?age"
    assert tsv[1].split("\t")[1] == '"Ahmad"@en'


def test_sparqlwrapper_ask(server):
    assert wrapper(server, f'ASK {{ ?s <{EX}name> "Bahar"@en }}', JSON).queryAndConvert()["boolean"] is True


CONSTRUCT = f"CONSTRUCT {{ ?s <{EX}label> ?name }} WHERE {{ ?s <{EX}name> ?name }}"


def test_sparqlwrapper_construct_turtle(server):
    data = wrapper(server, CONSTRUCT, TURTLE).queryAndConvert()
    graph = rdflib.Graph().parse(data=data, format="turtle")
    assert {str(o) for o in graph.objects(None, rdflib.URIRef(EX + "label"))} == set(NAMES)


def test_sparqlwrapper_construct_jsonld(server):
    sparql = wrapper(server, CONSTRUCT, JSONLD)
    response = sparql.query()
    assert response.response.headers["Content-Type"].startswith("application/ld+json")
    graph = response.convert()  # SPARQLWrapper parses JSON-LD into an rdflib Graph
    assert {str(o) for o in graph.objects(None, rdflib.URIRef(EX + "label"))} == set(NAMES)


def test_rdflib_sparqlstore_reads(server):
    graph = rdflib.Graph(store=SPARQLStore(server.url + "/sparql"))
    rows = list(graph.query(SELECT))
    assert [str(r.name) for r in rows] == NAMES
    assert rows[0].age.toPython() == 30
    assert (rdflib.URIRef(EX + "p1"), rdflib.URIRef(EX + "name"), rdflib.Literal("Bahar", lang="en")) in graph
    assert graph.query(f'ASK {{ <{EX}p2> <{EX}name> "Cyrus"@en }}').askAnswer is True


def test_rdflib_sparqlupdatestore_writes(server):
    store = SPARQLUpdateStore(server.url + "/sparql", server.url + "/sparql",
                              headers={"Authorization": f"Bearer {TOKEN}"})
    dataset = rdflib.Dataset(store=store)
    target = dataset.graph(rdflib.URIRef(EX + "written"))
    target.add((rdflib.URIRef(EX + "p9"), rdflib.URIRef(EX + "name"), rdflib.Literal("Dara", lang="en")))
    store.update(f'INSERT DATA {{ GRAPH <{EX}written> {{ <{EX}p9> <{EX}age> 41 }} }}')
    reader = rdflib.Graph(store=SPARQLStore(server.url + "/sparql"))
    rows = list(reader.query(f"SELECT ?name ?age WHERE {{ GRAPH <{EX}written> {{ <{EX}p9> <{EX}name> ?name ; <{EX}age> ?age }} }}"))
    assert [(str(r.name), r.age.toPython()) for r in rows] == [("Dara", 41)]
    target.remove((rdflib.URIRef(EX + "p9"), rdflib.URIRef(EX + "age"), None))
    assert not reader.query(f"ASK {{ <{EX}p9> <{EX}age> ?a }}").askAnswer


def test_rdflib_sparqlupdatestore_without_token_is_refused(server):
    from urllib.error import HTTPError

    store = SPARQLUpdateStore(server.url + "/sparql", server.url + "/sparql")
    with pytest.raises(HTTPError) as refused:
        store.update(f"INSERT DATA {{ <{EX}x> <{EX}y> 1 }}")
    assert refused.value.code == 401


def test_cors_with_any_origin_never_allows_credentials(server):
    import requests

    r = requests.get(server.url + "/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://x.example"},
                     timeout=30)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in r.headers
