"""The running endpoint (gunicorn, 2 workers) through plain HTTP: content negotiation,
every status code, the dataset and access rules, limits (time, rows, size), no outbound
requests, CORS, Service Description, VoID, health and metrics."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest
import rdflib
import requests
from servers import Listener, running_server
from stores import served

pytestmark = pytest.mark.server

EX = "http://example.org/"
PUBLIC = "https://w3id.org/justicegraph/graph/curated/test"
SECRET = PUBLIC + "/restricted"
WRITE, READ = "endpoint-write-token", "endpoint-read-token"
ROWS = 3000
CAP = 1000
TIMEOUT = 3.0  # generous: a loaded CI machine must still answer the normal queries in time


def fill(store) -> None:
    p = ox.NamedNode(EX + "p")
    person = ox.NamedNode("https://w3id.org/justicegraph/id/person-1")
    store.apply(insert=[
        *(ox.Quad(ox.NamedNode(f"{EX}s{i}"), p, ox.Literal(str(i), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer")), ox.NamedNode(PUBLIC)) for i in range(ROWS)),
        ox.Quad(ox.NamedNode(EX + "hidden"), ox.NamedNode(EX + "says"), ox.Literal("secret"), ox.NamedNode(SECRET)),
        ox.Quad(person, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode("https://w3id.org/justicegraph/ontology#Person"), ox.NamedNode(PUBLIC)),
        ox.Quad(ox.NamedNode(EX + "plain"), ox.NamedNode(EX + "label"),
                ox.Literal('tab\there, "quoted", comma', language="en"), ox.DefaultGraph())])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store, env = served(tmp_path_factory.mktemp("endpoint") / "store", fill)
    env |= {"JUSTICEGRAPH_WRITE_TOKEN": WRITE, "JUSTICEGRAPH_READ_TOKEN": READ,
            "JUSTICEGRAPH_ROW_CAP": str(CAP), "JUSTICEGRAPH_QUERY_TIMEOUT": str(TIMEOUT),
            "JUSTICEGRAPH_CORS_ORIGINS": "https://app.example", "JUSTICEGRAPH_MAX_BODY": "200000",
            "JUSTICEGRAPH_MAX_QUERY_LENGTH": "5000"}
    with running_server(store, env=env, workers=2, threads=4) as s:
        yield s


@pytest.fixture(scope="module")
def listener():
    listen = Listener()
    yield listen
    listen.close()


def get(server, query, accept=None, **params):
    headers = {"Accept": accept} if accept else {}
    return requests.get(server.url + "/sparql", params={"query": query, **params}, headers=headers, timeout=30)


COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s <http://example.org/p> ?o }"


# --- content negotiation --------------------------------------------------------------------
@pytest.mark.parametrize("accept, expected", [
    (None, "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("text/csv;q=0.9, application/sparql-results+xml;q=0.5", "text/csv"),
    ("*/*;q=0.1, text/tab-separated-values", "text/tab-separated-values"),
    ("application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
    ("text/*", "text/csv"),
    ("application/json", "application/sparql-results+json"),
])
def test_select_negotiation_with_q_values(server, accept, expected):
    r = get(server, COUNT, accept)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0] == expected
    assert "Accept" in r.headers["Vary"]


def test_each_select_format_carries_the_same_answer(server):
    query = "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o FILTER(?o < 3) } ORDER BY ?o"
    as_json = get(server, query, "application/sparql-results+json").json()
    assert [b["o"]["value"] for b in as_json["results"]["bindings"]] == ["0", "1", "2"]
    assert as_json["results"]["bindings"][0]["o"]["datatype"].endswith("#integer")
    rows = list(csv.reader(io.StringIO(get(server, query, "text/csv").text)))
    assert rows[0] == ["s", "o"] and [r[1] for r in rows[1:]] == ["0", "1", "2"]
    tsv = get(server, query, "text/tab-separated-values").text.splitlines()
    assert tsv[0] == "?s\t?o" and tsv[1].startswith(f"<{EX}s0>\t")
    xml = get(server, query, "application/sparql-results+xml").text
    assert xml.count("<result>") == 3 and 'datatype="http://www.w3.org/2001/XMLSchema#integer"' in xml


def test_csv_and_tsv_escape_awkward_literals(server):
    query = "SELECT ?l WHERE { <http://example.org/plain> ?p ?l }"
    rows = list(csv.reader(io.StringIO(get(server, query, "text/csv").text)))
    assert rows == [["l"], ['tab\there, "quoted", comma']]
    tsv = get(server, query, "text/tab-separated-values").text.splitlines()
    assert tsv == ["?l", '"tab\\there, \\"quoted\\", comma"@en']


@pytest.mark.parametrize("accept, media, rdflib_format", [
    ("text/turtle", "text/turtle", "turtle"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("application/n-quads", "application/n-quads", "nquads"),
    ("application/trig", "application/trig", "trig"),
    ("text/html;q=0.9, application/rdf+xml;q=0.1", "application/rdf+xml", "xml"),
])
def test_construct_formats(server, accept, media, rdflib_format):
    query = "CONSTRUCT { ?s <http://example.org/q> ?o } WHERE { ?s <http://example.org/p> ?o FILTER(?o < 5) }"
    r = get(server, query, accept)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0] == media
    graph = rdflib.Dataset() if rdflib_format in ("nquads", "trig") else rdflib.Graph()
    graph.parse(data=r.text, format=rdflib_format)
    assert len(graph) == 5 if rdflib_format not in ("nquads", "trig") else len(list(graph.quads())) == 5


def test_format_parameter_overrides_accept(server):
    assert get(server, COUNT, "text/html", format="csv").headers["Content-Type"].startswith("text/csv")
    r = get(server, "CONSTRUCT WHERE { <http://example.org/s1> ?p ?o }", "text/html", format="json")
    assert r.headers["Content-Type"].startswith("application/ld+json")
    assert get(server, COUNT, format="yaml").status_code == 400


def test_nothing_acceptable_is_406(server):
    r = get(server, COUNT, "text/html")
    assert r.status_code == 406
    assert "application/sparql-results+json" in r.json()["error"]["detail"]["available"]
    assert get(server, "CONSTRUCT WHERE { ?s ?p ?o }", "application/sparql-results+json").status_code == 406
    assert get(server, COUNT, "text/csv;q=0").status_code == 406


# --- status codes and errors ----------------------------------------------------------------------
def test_malformed_query_gives_parser_message_and_position(server):
    r = get(server, "SELECT * WHERE {\n  ?s ?p \n}")
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["status"] == 400 and error["title"] == "Bad Request"
    assert error["detail"]["line"] == 3
    assert f"error at 3:{error['detail']['column']}:" in error["message"]


def test_post_without_query_or_update_is_400(server):
    assert requests.post(server.url + "/sparql", data={"default-graph-uri": PUBLIC}, timeout=30).status_code == 400


def test_query_and_update_together_is_400(server):
    r = requests.post(server.url + "/sparql", data={"query": "ASK {}", "update": "CLEAR ALL"},
                      headers={"Authorization": f"Bearer {WRITE}"}, timeout=30)
    assert r.status_code == 400


def test_wrong_method_is_405_with_allow(server):
    r = requests.delete(server.url + "/sparql", timeout=30)
    assert r.status_code == 405 and "POST" in r.headers["Allow"]
    assert r.json()["error"]["status"] == 405


def test_unsupported_body_is_415(server):
    r = requests.post(server.url + "/sparql", data=b"{}", headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 415
    assert "application/sparql-query" in r.json()["error"]["detail"]["accepted"]


def test_too_large_body_and_too_long_query_are_413(server):
    r = requests.post(server.url + "/sparql", data=b"#" * 300_000,
                      headers={"Content-Type": "application/sparql-query"}, timeout=30)
    assert r.status_code == 413
    long_query = "ASK {} #" + "x" * 6000
    assert requests.post(server.url + "/sparql", data=long_query.encode(),
                         headers={"Content-Type": "application/sparql-query"}, timeout=30).status_code == 413


# --- dataset and access ------------------------------------------------------------------------------
def test_default_graph_is_union_of_public_graphs(server):
    assert get(server, COUNT).json()["results"]["bindings"][0]["n"]["value"] == str(ROWS)
    r = get(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").json()
    graphs = {b["g"]["value"] for b in r["results"]["bindings"]}
    assert PUBLIC in graphs and SECRET not in graphs


@pytest.mark.parametrize("how", ["default-graph-uri", "named-graph-uri", "FROM", "FROM NAMED", "GRAPH"])
def test_restricted_graph_cannot_be_reached_without_token(server, how):
    says = "?s <http://example.org/says> ?o"
    query = {"default-graph-uri": f"SELECT ?o WHERE {{ {says} }}",
             "named-graph-uri": f"SELECT ?o WHERE {{ GRAPH ?g {{ {says} }} }}",
             "FROM": f"SELECT ?o FROM <{SECRET}> WHERE {{ {says} }}",
             "FROM NAMED": f"SELECT ?o FROM NAMED <{SECRET}> WHERE {{ GRAPH ?g {{ {says} }} }}",
             "GRAPH": f"SELECT ?o WHERE {{ GRAPH <{SECRET}> {{ {says} }} }}"}[how]
    params = {how: SECRET} if how.endswith("-uri") else {}
    r = get(server, query, **params)
    assert r.status_code == 200 and r.json()["results"]["bindings"] == []
    opened = requests.get(server.url + "/sparql", params={"query": query, **params},
                          headers={"Authorization": f"Bearer {READ}"}, timeout=30)
    assert [b["o"]["value"] for b in opened.json()["results"]["bindings"]] == ["secret"]


def test_from_names_a_store_graph_and_fetches_nothing(server, listener):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{listener.url}data.ttl> FROM NAMED <{listener.url}g> WHERE {{ ?s ?p ?o }}"
    r = get(server, query)
    assert r.status_code == 200 and r.json()["results"]["bindings"][0]["n"]["value"] == "0"
    r = get(server, f"SELECT (COUNT(*) AS ?n) FROM <{PUBLIC}> WHERE {{ ?s <{EX}p> ?o }}")
    assert r.json()["results"]["bindings"][0]["n"]["value"] == str(ROWS)
    assert listener.requests == []


# --- no outbound requests ---------------------------------------------------------------------------
@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "select * where { service silent <{url}sparql> { ?s ?p ?o } }",
    "PREFIX remote: <{url}> SELECT * WHERE { SERVICE remote:sparql { ?s ?p ?o } }",
    "SELECT * WHERE { BIND(<{url}> AS ?e) SERVICE ?e { ?s ?p ?o } }",
])
def test_service_is_refused_before_the_engine(server, listener, query):
    r = get(server, query.replace("{url}", listener.url))
    assert r.status_code == 400, r.text
    assert r.json()["error"]["detail"]["operation"] == "SERVICE"
    assert listener.requests == []


@pytest.mark.parametrize("update", [
    "LOAD <{url}data.ttl>",
    "LOAD SILENT <{url}data.ttl> INTO GRAPH <http://example.org/loaded>",
    "INSERT { ?s ?p ?o } WHERE { SERVICE <{url}> { ?s ?p ?o } }",
])
def test_load_and_service_in_updates_are_refused(server, listener, update):
    r = requests.post(server.url + "/sparql", data={"update": update.replace("{url}", listener.url)},
                      headers={"Authorization": f"Bearer {WRITE}"}, timeout=30)
    assert r.status_code == 400, r.text
    assert listener.requests == []


def test_keywords_in_strings_comments_and_names_are_not_refused(server, listener):
    query = (f"PREFIX service: <{EX}>\n# SERVICE <{listener.url}> in a comment\n"
             f'SELECT ?service WHERE {{ ?service service:load "SERVICE <{listener.url}>" }}')
    assert get(server, query).status_code == 200
    assert listener.requests == []


# --- limits ------------------------------------------------------------------------------------------
def test_row_cap_marks_truncated_answers(server):
    r = get(server, "SELECT ?s WHERE { ?s <http://example.org/p> ?o }")
    assert len(r.json()["results"]["bindings"]) == CAP
    assert r.headers["X-JusticeGraph-Truncated"] == "true"
    assert r.headers["X-JusticeGraph-Row-Cap"] == str(CAP)
    small = get(server, "SELECT ?s WHERE { ?s <http://example.org/p> ?o } LIMIT 10")
    assert len(small.json()["results"]["bindings"]) == 10 and "X-JusticeGraph-Truncated" not in small.headers


def test_runaway_query_is_stopped_and_the_server_stays_healthy(server):
    forever = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    before = _metric(server, "justicegraph_query_timeouts_total")
    r = get(server, forever)
    assert r.status_code == 503
    assert "time limit" in r.json()["error"]["message"]
    assert r.json()["error"]["detail"]["time_limit_seconds"] == TIMEOUT
    # the next queries are answered normally, by whichever worker takes them
    for _ in range(4):
        answer = get(server, COUNT)
        assert answer.status_code == 200, (answer.status_code, answer.text[:500])  # what went wrong, if it did
        assert answer.json()["results"]["bindings"][0]["n"]["value"] == str(ROWS)
    assert _metric(server, "justicegraph_query_timeouts_total") >= before + 1
    assert requests.get(server.url + "/healthz", timeout=30).json()["status"] == "ok"


def test_runaway_update_is_stopped_and_changes_nothing(server):
    before = _export(server)
    update = ("INSERT { ?a <http://example.org/x> ?i } WHERE { GRAPH ?g1 { ?a ?b ?c } GRAPH ?g2 { ?d ?e ?f } "
              "GRAPH ?g3 { ?g ?h ?i } }")
    r = requests.post(server.url + "/sparql", data={"update": update},
                      headers={"Authorization": f"Bearer {WRITE}"}, timeout=30)
    assert r.status_code == 503
    assert "time limit" in r.json()["error"]["message"]
    assert _export(server) == before
    # the write lock was released: the next update is made, and undone
    insert = f"INSERT DATA {{ GRAPH <{EX}after-runaway> {{ <{EX}a> <{EX}b> 1 }} }}"
    for text in (insert, f"DROP GRAPH <{EX}after-runaway>"):
        r = requests.post(server.url + "/sparql", data={"update": text},
                          headers={"Authorization": f"Bearer {WRITE}"}, timeout=30)
        assert r.status_code == 204, r.text


def _export(server) -> bytes:
    r = requests.get(server.url + "/graphs", headers={"Accept": "application/n-quads",
                                                      "Authorization": f"Bearer {WRITE}"}, timeout=30)
    assert r.status_code == 200
    return r.content


def _metric(server, name: str) -> float:
    for line in requests.get(server.url + "/metrics", timeout=30).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


# --- writes need the token -------------------------------------------------------------------------------
@pytest.mark.parametrize("auth, status", [(None, 401), ("Bearer wrong", 401), (f"Bearer {READ}", 403)])
def test_update_without_the_write_token_is_refused(server, auth, status):
    headers = {"Authorization": auth} if auth else {}
    r = requests.post(server.url + "/sparql", data={"update": "CLEAR ALL"}, headers=headers, timeout=30)
    assert r.status_code == status
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert get(server, COUNT).json()["results"]["bindings"][0]["n"]["value"] == str(ROWS)


def test_committed_writes_are_seen_by_every_worker(server):
    r = requests.post(server.url + "/sparql", headers={"Authorization": f"Bearer {WRITE}",
                                                       "Content-Type": "application/sparql-update"},
                      data=f"INSERT DATA {{ GRAPH <{EX}extra> {{ <{EX}new> <{EX}q> 1 }} }}".encode(), timeout=30)
    assert r.status_code == 204, r.text
    for _ in range(6):  # two workers, several threads: every one answers with the write
        assert get(server, f"ASK {{ <{EX}new> <{EX}q> 1 }}").json()["boolean"] is True
    audit = "https://w3id.org/justicegraph/graph/audit"
    prov = requests.get(server.url + "/sparql", headers={"Authorization": f"Bearer {WRITE}"}, timeout=30, params={
        "query": f"""SELECT ?who ?sum FROM NAMED <{audit}> WHERE {{ GRAPH <{audit}> {{
        ?w a <http://www.w3.org/ns/prov#Activity> ; <http://www.w3.org/ns/prov#generated> <{EX}extra> ;
           <https://w3id.org/justicegraph/ontology#writtenBy> ?who ;
           <https://w3id.org/justicegraph/ontology#checksum> ?sum }} }}"""}).json()["results"]["bindings"]
    assert prov[0]["who"]["value"] == "operator" and prov[0]["sum"]["value"].startswith("sha256:")


def test_concurrent_writes_through_both_workers_are_all_kept(server):
    from concurrent.futures import ThreadPoolExecutor

    def write(i: int) -> int:
        update = f"INSERT DATA {{ GRAPH <{EX}concurrent> {{ <{EX}c{i}> <{EX}n> {i} }} }}"
        return requests.post(server.url + "/sparql", data={"update": update},
                             headers={"Authorization": f"Bearer {WRITE}"}, timeout=120).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(write, range(8))) == [204] * 8
    r = get(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{EX}concurrent> {{ ?s <{EX}n> ?o }} }}")
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "8"
    assert requests.get(server.url + "/healthz", timeout=30).json()["status"] == "ok"


# --- CORS ------------------------------------------------------------------------------------------------
def test_cors_for_listed_origin_only(server):
    ok = requests.get(server.url + "/sparql", params={"query": "ASK {}"},
                      headers={"Origin": "https://app.example"}, timeout=30)
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Origin" in ok.headers["Vary"]
    assert "X-JusticeGraph-Truncated" in ok.headers["Access-Control-Expose-Headers"]
    other = requests.get(server.url + "/sparql", params={"query": "ASK {}"},
                         headers={"Origin": "https://evil.example"}, timeout=30)
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = requests.options(server.url + "/sparql", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"}, timeout=30)
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


# --- descriptions, health, metrics ---------------------------------------------------------------------------
def test_service_description(server):
    r = requests.get(server.url + "/sparql", headers={"Accept": "text/turtle"}, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = rdflib.URIRef(server.url + "/sparql")
    assert (service, rdflib.RDF.type, sd.Service) in g
    assert (service, sd.endpoint, service) in g
    assert (service, sd.supportedLanguage, sd.SPARQL11Update) in g
    assert (service, sd.feature, sd.UnionDefaultGraph) in g
    assert (service, sd.resultFormat, rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_TSV")) in g
    names = {str(o) for o in g.objects(None, sd.name)}
    assert PUBLIC in names and SECRET not in names


def test_browser_is_sent_to_the_query_page(server):
    r = requests.get(server.url + "/sparql", allow_redirects=False, timeout=30, headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/query")


def test_void(server):
    r = requests.get(server.url + "/.well-known/void", headers={"Accept": "text/turtle"}, timeout=30)
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = rdflib.URIRef(server.url + "/.well-known/void#dataset")
    assert (dataset, void.dataDump, rdflib.URIRef(server.url + "/dump")) in g
    assert (dataset, void.sparqlEndpoint, rdflib.URIRef(server.url + "/sparql")) in g
    counts = {str(g.value(s, rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#name"))):
              int(g.value(s, void.triples)) for s in g.objects(dataset, void.subset)}
    assert counts[PUBLIC] == ROWS + 1 and SECRET not in counts
    person = rdflib.URIRef("https://w3id.org/justicegraph/id/person-1")
    assert (dataset, void.exampleResource, person) in g
    partitions = {g.value(p, void["class"]): int(g.value(p, void.entities)) for p in g.objects(dataset, void.classPartition)}
    assert partitions[rdflib.URIRef("https://w3id.org/justicegraph/ontology#Person")] == 1


def test_health_and_metrics(server):
    health = requests.get(server.url + "/healthz", timeout=30).json()
    assert health["status"] == "ok" and health["writes"] is True
    get(server, "ASK {}")
    text = requests.get(server.url + "/metrics", timeout=30)
    assert text.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE justicegraph_queries_total counter" in text.text
    assert _metric(server, 'justicegraph_queries_total{form="ASK"}') >= 1
    assert 'justicegraph_http_requests_total{route="sparql",status="200"}' in text.text
    assert _metric(server, "justicegraph_memory_copies_total") == 0  # disk mode: no copy is loaded
    json.dumps(health)
