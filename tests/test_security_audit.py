"""Audit: every write records who (the token's name, never the token), when, which graphs
and the checksum of the input — in the audit (server/protocol/audit.py), a log outside the
store and outside every dataset: the restricted audit graph when the write touched a
restricted graph. Only a writer reads it, by naming its graphs (FROM NAMED here). A refused
write records nothing."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from fixtures.restricted.harness import build_backend, route_exists

READ, WRITE = "audit-read-token-1", "audit-write-token-2"
BASE = "https://w3id.org/justicegraph/"
AUDIT_GRAPH, AUDIT_RESTRICTED = BASE + "graph/audit", BASE + "graph/audit/restricted"

AUDIT = f"""PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX jg: <https://w3id.org/justicegraph/ontology#>
SELECT ?w ?pg ?who ?sum ?start ?end ?g FROM NAMED <{AUDIT_GRAPH}> FROM NAMED <{AUDIT_RESTRICTED}> WHERE {{
  GRAPH ?pg {{ ?w a prov:Activity ; jg:writtenBy ?who ; jg:checksum ?sum ;
                 prov:startedAtTime ?start ; prov:endedAtTime ?end ; prov:generated|prov:invalidated ?g }} }}"""
DATA_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = build_backend(tmp_path_factory.mktemp("audit") / "store", read_token=READ, write_token=WRITE,
                        rate_limit="", write_token_name="auditor")
    if not route_exists(app, "/graphs", "PUT"):
        pytest.skip("/graphs is not implemented yet")
    client = app.test_client()
    # A first read publishes the store's snapshot (as `justicegraph serve` does at start); a
    # write as the very first request of a process deadlocked in protocol_snapshot (reported).
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    return client


def records(client, token=WRITE) -> list[dict]:
    headers = {"Accept": "application/sparql-results+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = client.get("/sparql", query_string={"query": AUDIT}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [{k: v["value"] for k, v in row.items()} for row in response.get_json()["results"]["bindings"]]


def sha(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def check_recorded(client, body: bytes, graph: str, provenance_graph: str, started: dt.datetime) -> None:
    mine = [r for r in records(client) if r["sum"] == sha(body)]
    assert mine, "the write left no provenance record with the checksum of its input"
    assert {r["g"] for r in mine} >= {graph}
    for r in mine:
        assert r["who"] == "auditor" and WRITE not in str(r)
        assert r["pg"] == provenance_graph
        begun = dt.datetime.fromisoformat(r["start"].replace("Z", "+00:00"))
        assert started - dt.timedelta(seconds=1) <= begun <= dt.datetime.now(dt.UTC)
        assert r["end"] >= r["start"]


def test_graph_store_put_is_recorded(client):
    graph, body = BASE + "graph/import/audit-put", b'<urn:jg:a> <urn:jg:p> "put" .\n'
    started = dt.datetime.now(dt.UTC)
    response = client.put("/graphs", query_string={"graph": graph}, data=body, content_type="application/n-triples",
                          headers={"Authorization": f"Bearer {WRITE}"})
    assert response.status_code in (200, 201, 204), response.get_data(as_text=True)
    check_recorded(client, body, graph, AUDIT_GRAPH, started)


def test_sparql_update_is_recorded(client):
    graph = BASE + "graph/import/audit-update"
    body = f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:jg:b> <urn:jg:p> "update" }} }}'.encode()
    started = dt.datetime.now(dt.UTC)
    response = client.post("/sparql", data=body, content_type="application/sparql-update",
                           headers={"Authorization": f"Bearer {WRITE}"})
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    check_recorded(client, body, graph, AUDIT_GRAPH, started)


def test_restricted_write_is_recorded_where_only_the_token_sees_it(client):
    graph = BASE + "graph/import/audit-sealed/restricted"
    body = b'<urn:jg:sealed-c> <urn:jg:p> "Sealed write" .\n'
    started = dt.datetime.now(dt.UTC)
    response = client.put("/graphs", query_string={"graph": graph}, data=body, content_type="application/n-triples",
                          headers={"Authorization": f"Bearer {WRITE}"})
    assert response.status_code in (200, 201, 204), response.get_data(as_text=True)
    check_recorded(client, body, graph, AUDIT_RESTRICTED, started)
    for token in (None, READ):  # the audit is the writers': to others its graphs do not exist
        assert records(client, token=token) == []


def test_refused_writes_record_nothing(client):
    graph, body = BASE + "graph/import/audit-refused", b'<urn:jg:d> <urn:jg:p> "refused" .\n'
    before = records(client)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {READ}"}):
        response = client.put("/graphs", query_string={"graph": graph}, data=body,
                              content_type="application/n-triples", headers=headers)
        assert response.status_code in (401, 403)
    broken = client.put("/graphs", query_string={"graph": graph}, data=b"<urn:jg:d> <urn:jg:p> .",
                        content_type="application/n-triples", headers={"Authorization": f"Bearer {WRITE}"})
    assert broken.status_code == 400
    assert records(client) == before


def test_the_audit_is_not_in_the_users_dataset(client):
    # Written above or here, the records never show under GRAPH ?g, for any caller.
    body = b'<urn:jg:e> <urn:jg:p> "seen" .\n'
    response = client.put("/graphs", query_string={"graph": BASE + "graph/import/audit-hidden"}, data=body,
                          content_type="application/n-triples", headers={"Authorization": f"Bearer {WRITE}"})
    assert response.status_code in (201, 204)
    assert [r for r in records(client) if r["sum"] == sha(body)]
    for token in (None, READ, WRITE):
        headers = {"Accept": "application/sparql-results+json", **({"Authorization": f"Bearer {token}"} if token else {})}
        rows = client.get("/sparql", query_string={"query": DATA_GRAPHS}, headers=headers).get_json()
        graphs = {row["g"]["value"] for row in rows["results"]["bindings"]}
        assert BASE + "graph/import/audit-hidden" in graphs and not graphs & {AUDIT_GRAPH, AUDIT_RESTRICTED}
        dataset = client.get("/graphs", headers={"Accept": "application/n-quads", **headers})
        assert "graph/audit" not in dataset.get_data(as_text=True)


def test_a_writer_reads_the_audit_by_the_graph_store(client):
    writer = client.get("/graphs", query_string={"graph": AUDIT_GRAPH},
                        headers={"Accept": "application/n-triples", "Authorization": f"Bearer {WRITE}"})
    assert writer.status_code == 200 and "writtenBy" in writer.get_data(as_text=True)
    for headers in ({}, {"Authorization": f"Bearer {READ}"}):  # as a graph that does not exist
        assert client.get("/graphs", query_string={"graph": AUDIT_GRAPH}, headers=headers).status_code == 404

