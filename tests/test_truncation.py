"""An answer cut at the row cap says so, whichever path writes it (issue #17, item 15):
``X-JusticeGraph-Truncated: true`` and exactly ``row_cap`` rows (or triples) — for SELECTs
written by pyoxigraph's serialisers (JSON, XML, TSV), by the Python writer (CSV), and for one
too big for the fast writer's buffer (more than 32 MiB: run again through the streaming
writer); for CONSTRUCT and DESCRIBE in every graph syntax; for a lookup answered in the web
worker. An answer that fits is not marked. On the production path (on-disk store, executor
processes)."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest
from fixtures.restricted.harness import build_backend

CAP = 5
EVERYTHING = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
LOOKUP = "SELECT * WHERE { ?s ?p ?o }"  # one triple pattern: answered in the web worker
# Three-way product of the fixture's triples: ~10^6 rows, far beyond the fast writer's 32 MiB.
HUGE = "SELECT ?a ?b ?c ?d WHERE { ?a ?p1 ?b . ?c ?p2 ?d . ?e ?p3 ?f }"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = build_backend(tmp_path_factory.mktemp("cap") / "store", rate_limit="", row_cap=CAP, query_timeout=120)
    return app.test_client()


def ask(client, query, accept):
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    body = response.get_data()
    assert response.status_code == 200, body[:300]
    assert response.headers["X-JusticeGraph-Row-Cap"] == str(CAP)
    return response, body


def rows(accept: str, body: bytes) -> int:
    text = body.decode("utf-8")
    if "json" in accept:
        return len(json.loads(text)["results"]["bindings"])
    if "xml" in accept:
        return text.count("<result>")
    if accept == "text/csv":
        return len(list(csv.reader(io.StringIO(text)))) - 1
    return len(text.splitlines()) - 1  # TSV: header, then one line per row


SELECT_TYPES = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values"]


@pytest.mark.parametrize("accept", SELECT_TYPES)
@pytest.mark.parametrize("query", [EVERYTHING, LOOKUP], ids=["executor", "web-worker"])
def test_select_answers_cut_at_the_cap_are_marked(client, accept, query):
    response, body = ask(client, query, accept)
    assert response.headers.get("X-JusticeGraph-Truncated") == "true"
    assert rows(accept, body) == CAP


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/tab-separated-values"])
def test_a_select_too_big_for_the_fast_writer_is_cut_and_marked(client, accept):
    response, body = ask(client, HUGE, accept)
    assert response.headers.get("X-JusticeGraph-Truncated") == "true"
    assert rows(accept, body) == CAP


GRAPH_TYPES = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
               "application/rdf+xml": ox.RdfFormat.RDF_XML, "application/ld+json": ox.RdfFormat.JSON_LD}


@pytest.mark.parametrize("accept", list(GRAPH_TYPES))
@pytest.mark.parametrize("query", ["CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                                   "DESCRIBE ?s WHERE { ?s ?p ?o }"], ids=["construct", "describe"])
def test_graph_answers_cut_at_the_cap_are_marked(client, accept, query):
    response, body = ask(client, query, accept)
    assert response.headers.get("X-JusticeGraph-Truncated") == "true"
    assert len(list(ox.parse(body, GRAPH_TYPES[accept]))) == CAP


@pytest.mark.parametrize("accept", SELECT_TYPES + ["text/turtle"])
def test_an_answer_that_fits_is_not_marked(client, accept):
    query = (EVERYTHING if "turtle" not in accept else "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }") + " LIMIT 3"
    response, _ = ask(client, query, accept)
    assert "X-JusticeGraph-Truncated" not in response.headers
