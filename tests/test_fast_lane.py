"""The fast lane (server/protocol/lane.py) answers anonymous lookups exactly as the app does:
for each request below, the lane's answer and the app's answer to the same request (the app
reached past the lane) have the same status, the same body byte for byte and the same
headers — the rate-limit window counted once per request on the one shared counter. What the
lane must not answer (a token, a conditional GET, other parameters, FROM, SERVICE, a query
that is not bounded, a client over its limit, a POST) it leaves to the app. Restricted
material stays out of both."""

from __future__ import annotations

from urllib.parse import quote, quote_plus, urlencode

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lane_helpers import by_app, close_executor, comparable, environ, headers_of
from lane_helpers import executor_runs as record_runs
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from justicegraph.server.app import create_app
from justicegraph.server.protocol.executor import OUTCOME
from justicegraph.server.protocol.lane import _one_query
from justicegraph.server.web.gateway import LANE_BODY_KEY as BODY
from justicegraph.settings import Settings
from justicegraph.sparqltext import scan_query
from justicegraph.store import OxigraphStore

pytestmark = pytest.mark.embedded_only("the lane reads an on-disk snapshot (server/protocol/snapshot.py)")

READ = "lane-read-token-6f2c1e8a"
BASE = "https://w3id.org/justicegraph/"
PEOPLE = [f"{BASE}id/lane-person-{i}" for i in range(3)]
PUBLIC_GRAPH = f"{BASE}graph/import/lane/public"
RESTRICTED_GRAPH = f"{BASE}graph/import/lane/restricted"
LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
KNOWS = ox.NamedNode("http://xmlns.com/foaf/0.1/knows")

ACCEPTS = [None, "*/*", "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values", "application/json",
           "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
           "text/csv;q=0.4, application/sparql-results+json;q=0.9"]
QUERIES = [f"SELECT ?p ?o WHERE {{ <{p}> ?p ?o }}" for p in PEOPLE] + [
    f"SELECT * WHERE {{ <{PEOPLE[0]}> ?p ?o }}",
    f"SELECT ?s WHERE {{ ?s <{KNOWS.value}> <{PEOPLE[1]}> }}",
    f"PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?l WHERE {{ <{PEOPLE[2]}> skos:prefLabel ?l }}",
    "SELECT ?p ?o WHERE { <https://w3id.org/justicegraph/id/nobody> ?p ?o }",
    f"ASK {{ <{PEOPLE[0]}> ?p ?o }}",
]
# Not bounded: an executor process runs them (or the lane inline, when their patterns' counts are
# small: sparqltext/probe.py); the lane answers a whole answer itself and leaves anything else (an
# error, a streamed answer) to the app with the executor's outcome.
UNBOUNDED = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?s ?l WHERE { ?s skos:prefLabel ?l } ORDER BY ?l",
    f"SELECT ?g ?s WHERE {{ GRAPH ?g {{ ?s <{KNOWS.value}> ?o }} }} ORDER BY ?g ?s",
    f"SELECT ?x WHERE {{ <{PEOPLE[0]}> <{KNOWS.value}>+ ?x }}",
    "ASK { ?s ?p \"Sealed name 1\" }",
    "SELECT ?p WHERE { ?s ?p }",  # malformed: the executor's error, mapped by the app
    "SELECT (1/0 AS ?x) ?y WHERE { BIND(<urn:f>(1) AS ?y) }",  # an unknown function: refused by the engine
]

# Graph answers (an executor runs them, or the lane inline when probed small), negotiated among the RDF formats.
GRAPH_QUERIES = [
    f"CONSTRUCT WHERE {{ <{PEOPLE[0]}> ?p ?o }}",
    f"DESCRIBE <{PEOPLE[2]}>",
    f"CONSTRUCT {{ ?s <{KNOWS.value}> ?o }} WHERE {{ ?s <{KNOWS.value}> ?o }}",
    "CONSTRUCT WHERE { ?s ?p }",  # malformed
]
GRAPH_ACCEPTS = [None, "*/*", "text/turtle", "application/n-triples", "application/ld+json",
                 "application/rdf+xml", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                 "application/sparql-results+json"]  # the last: not acceptable for a graph (406)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("lane") / "store"
    store = OxigraphStore(path)
    quads = []
    for i, person in enumerate(PEOPLE):
        quads.append(ox.Quad(ox.NamedNode(person), LABEL, ox.Literal(f"Lane Person {i}", language="en"),
                             ox.NamedNode(PUBLIC_GRAPH)))
        quads.append(ox.Quad(ox.NamedNode(person), LABEL, ox.Literal(f"Sealed name {i}"),
                             ox.NamedNode(RESTRICTED_GRAPH)))
    quads.append(ox.Quad(ox.NamedNode(PEOPLE[0]), KNOWS, ox.NamedNode(PEOPLE[1]), ox.NamedNode(PUBLIC_GRAPH)))
    quads.append(ox.Quad(ox.NamedNode(PEOPLE[2]), KNOWS, ox.NamedNode(PEOPLE[1]), ox.NamedNode(RESTRICTED_GRAPH)))
    store.apply(insert=quads)
    store.close()
    del store
    app = create_app(Settings(store=str(path), read_token=READ, rate_limit="1000 per minute",
                              cors_origins="https://one.example, https://two.example"))
    yield app
    close_executor(app)


@pytest.fixture
def executor_runs(app, monkeypatch):
    """How many jobs reached an executor process (ProcessExecutor.run)."""
    return record_runs(app, monkeypatch)


@pytest.mark.parametrize("query", GRAPH_QUERIES)
@pytest.mark.parametrize("accept", GRAPH_ACCEPTS)
@pytest.mark.parametrize("origin", [None, "https://two.example"])
def test_the_lane_answers_graphs_as_the_app_does(app, executor_runs, query, accept, origin):
    lane = app.extensions["justicegraph.lane"]
    headers = {k: v for k, v in {"Accept": accept, "Origin": origin}.items() if v is not None}
    qs = urlencode({"query": query})
    env = environ(qs, headers)
    fast = lane.answer(env)
    lane_runs = len(executor_runs)
    app_status, app_headers, app_body = by_app(app, environ(qs, headers))
    assert b"Sealed" not in app_body
    if fast is None:
        if OUTCOME not in env:  # left before anything ran: the app refuses the Accept
            assert app_status == 406 and lane_runs == 0
            return
        runs = len(executor_runs)
        handed = by_app(app, env)
        assert len(executor_runs) == runs, "the app ran the job again"
        assert (handed[0], handed[2]) == (app_status, app_body)
        assert comparable(handed[1]) == comparable(app_headers)
        assert app_status != 200, "a whole graph answer is the lane's to give"
        return
    # an executor ran it, or — its patterns' counts small on this store (sparqltext/probe.py) — the lane
    assert lane_runs == (1 if scan_query(query, "http://localhost/sparql").probes is None else 0)
    status, fast_headers, fast_body = fast[0], headers_of(fast[1]), fast[2]
    assert (status, fast_body) == (app_status, app_body)
    assert comparable(fast_headers) == comparable(app_headers)
    assert fast_headers["content-length"] == [str(len(fast_body))]
    assert b"Sealed" not in fast_body


@pytest.mark.parametrize("query", QUERIES + UNBOUNDED)
@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("origin", [None, "https://two.example", "https://elsewhere.example"])
def test_the_lane_answers_as_the_app_does(app, executor_runs, query, accept, origin):
    lane = app.extensions["justicegraph.lane"]
    headers = {k: v for k, v in {"Accept": accept, "Origin": origin}.items() if v is not None}
    qs = urlencode({"query": query})
    env = environ(qs, headers)
    fast = lane.answer(env)
    bounded = scan_query(query, "http://localhost/sparql").bounded
    if fast is None:
        app_status, app_headers, app_body = by_app(app, environ(qs, headers))
        if bounded:
            # left to the app (an answer format the inline run does not hold whole); never JSON
            assert OUTCOME not in env
            assert accept not in (None, "*/*", "application/sparql-results+json", "application/json")
            return
        # the executor ran it once; the app answers its outcome as it answers its own run
        assert OUTCOME in env
        runs = len(executor_runs)
        handed = by_app(app, env)
        assert len(executor_runs) == runs, "the app ran the job again"
        assert (handed[0], handed[2]) == (app_status, app_body)
        assert comparable(handed[1]) == comparable(app_headers)
        assert app_status != 200 or accept in ("text/csv", "text/csv;q=0.4, application/sparql-results+json;q=0.9")
        assert b"Sealed" not in app_body
        return
    probed = scan_query(query, "http://localhost/sparql").probes is not None
    if bounded:
        assert len(executor_runs) == 0
    elif probed:  # inline on this small store, or an executor for a format not held whole (CSV)
        assert len(executor_runs) in (0, 1)
    else:
        assert len(executor_runs) == 1
    status, fast_headers, fast_body = fast[0], headers_of(fast[1]), fast[2]
    app_status, app_headers, app_body = by_app(app, environ(qs, headers))
    assert (status, fast_body) == (app_status, app_body)
    assert comparable(fast_headers) == comparable(app_headers)
    assert fast_headers["content-length"] == [str(len(fast_body))]
    # one window, counted once per request: the app's answer came one request later
    assert int(app_headers["x-ratelimit-remaining"][0]) == int(fast_headers["x-ratelimit-remaining"][0]) - 1
    assert abs(int(app_headers["x-ratelimit-reset"][0]) - int(fast_headers["x-ratelimit-reset"][0])) <= 1
    assert b"Sealed" not in fast_body


@pytest.mark.parametrize("qs, headers", [
    (urlencode({"query": QUERIES[0]}), {"Authorization": f"Bearer {READ}"}),
    (urlencode({"query": QUERIES[0]}), {"If-None-Match": '"x"'}),
    (urlencode({"query": QUERIES[0], "default-graph-uri": PUBLIC_GRAPH}), {}),
    (urlencode({"query": QUERIES[0], "format": "csv"}), {}),
    (urlencode({"query": f"SELECT ?p ?o FROM <{PUBLIC_GRAPH}> WHERE {{ <{PEOPLE[0]}> ?p ?o }}"}), {}),
    (urlencode({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}), {}),
    (urlencode({"query": "CONSTRUCT WHERE { <urn:x> ?p ?o }"}), {"Accept": "application/sparql-results+json"}),  # 406
    (urlencode({"query": "SELECT ?p WHERE { <urn:x> ?p "}), {}),  # malformed: the app's error
    (urlencode({"query": "SELECT ?p ?o WHERE { <urn:x> ?p ?o }"}), {"Accept": "image/png"}),  # 406
    ("query=", {}),
    ("", {}),
])
def test_the_lane_leaves_the_rest_to_the_app(app, qs, headers):
    lane = app.extensions["justicegraph.lane"]
    before = _remaining(app)
    assert lane.answer(environ(qs, headers)) is None
    assert _remaining(app) == before, "a request the lane leaves is counted once, by the app"


def posted(body: bytes, content_type: str, headers: dict | None = None, query_string: str = "",
           whole: bool = True) -> dict:
    """A POST's environ; ``whole``: with its body as the gateway hands it to the lane."""
    env = EnvironBuilder("/sparql", method="POST", data=body, content_type=content_type, headers=headers or {},
                         query_string=query_string, environ_base={"REMOTE_ADDR": "192.0.2.7"}).get_environ()
    if whole:
        env[BODY] = body
    return env


def test_a_post_from_a_stream_is_left_to_the_app(app):
    lane = app.extensions["justicegraph.lane"]
    assert lane.answer(posted(QUERIES[0].encode(), "application/sparql-query", whole=False)) is None
    # the same POSTs, whole: the lane's (direct, form; bounded, through an executor, a graph)
    for body, content_type in POSTS[:4] + POSTS[5:6] + POSTS[7:]:
        assert lane.answer(posted(body, content_type))[0] == 200, (body, content_type)


POSTS = [
    (QUERIES[0].encode(), "application/sparql-query"),
    (QUERIES[5].encode(), "application/sparql-query; charset=UTF-8"),
    (UNBOUNDED[0].encode(), "application/sparql-query"),
    (GRAPH_QUERIES[0].encode(), "application/sparql-query"),
    ("SELECT ?l WHERE { ?s ?p ?l FILTER(?l = \"Lane Person 0\"@en || ?l = \"é\") }".encode(), "application/sparql-query"),
    (urlencode({"query": QUERIES[0]}).encode(), "application/x-www-form-urlencoded"),
    (urlencode({"query": UNBOUNDED[1]}).encode(), "application/x-www-form-urlencoded; charset=utf-8"),
    (urlencode({"query": GRAPH_QUERIES[1]}).encode(), "application/x-www-form-urlencoded"),
]


@pytest.mark.parametrize("body, content_type", POSTS)
@pytest.mark.parametrize("accept", [None, "application/sparql-results+xml", "text/turtle"])
@pytest.mark.parametrize("origin", [None, "https://two.example"])
def test_the_lane_answers_posts_as_the_app_does(app, executor_runs, body, content_type, accept, origin):
    lane = app.extensions["justicegraph.lane"]
    headers = {k: v for k, v in {"Accept": accept, "Origin": origin}.items() if v is not None}
    env = posted(body, content_type, headers)
    fast = lane.answer(env)
    app_status, app_headers, app_body = by_app(app, posted(body, content_type, headers, whole=False))
    if fast is None:
        if OUTCOME in env:
            handed = by_app(app, env)
            assert (handed[0], handed[2]) == (app_status, app_body)
            assert comparable(handed[1]) == comparable(app_headers)
        assert app_status != 200 or accept == "application/sparql-results+xml" or "csv" in str(accept)
        return
    status, fast_headers, fast_body = fast[0], headers_of(fast[1]), fast[2]
    assert (status, fast_body) == (app_status, app_body)
    assert comparable(fast_headers) == comparable(app_headers)
    assert "etag" not in fast_headers  # a POST names no cacheable answer
    assert b"Sealed" not in fast_body


@pytest.mark.parametrize("body, content_type, query_string", [
    (QUERIES[0].encode(), "application/sparql-query", "default-graph-uri=" + quote(PUBLIC_GRAPH)),
    (QUERIES[0].encode(), "application/sparql-query; charset=latin-1", ""),  # 415
    (QUERIES[0].encode(), "text/plain", ""),  # 415
    ("SELECT ?o WHERE { <urn:\xe9> ?p ?o }".encode("latin-1"), "application/sparql-query", ""),  # not UTF-8: 400
    (urlencode({"query": QUERIES[0], "format": "csv"}).encode(), "application/x-www-form-urlencoded", ""),
    (urlencode({"update": "CLEAR ALL"}).encode(), "application/x-www-form-urlencoded", ""),
    (b"CLEAR ALL", "application/sparql-update", ""),
])
def test_the_lane_leaves_other_posts_to_the_app(app, executor_runs, body, content_type, query_string):
    lane = app.extensions["justicegraph.lane"]
    before = _remaining(app)
    assert lane.answer(posted(body, content_type, query_string=query_string)) is None
    assert not executor_runs and _remaining(app) == before


def test_a_client_over_its_limit_gets_the_apps_429(tmp_path):
    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.apply(insert=[ox.Quad(ox.NamedNode(PEOPLE[0]), LABEL, ox.Literal("x"), ox.NamedNode(PUBLIC_GRAPH))])
    store.close()
    del store
    app = create_app(Settings(store=str(path), rate_limit="3 per minute"))
    try:
        client = app.test_client()
        url = "/sparql?" + urlencode({"query": QUERIES[0]})
        statuses = [client.get(url, environ_base={"REMOTE_ADDR": "192.0.2.9"}).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        # the lane answered the first three (a Content-Length: Flask streams this answer without one)
        assert client.get(url, environ_base={"REMOTE_ADDR": "192.0.2.10"}).headers.get("Content-Length")
    finally:
        close_executor(app)


@pytest.mark.parametrize("query, inline", [(QUERIES[0], 1), (UNBOUNDED[0], 0)])
def test_metrics_count_lane_answers_as_app_answers(app, query, inline):
    metrics = app.extensions["justicegraph.endpoint"].metrics
    names = [("justicegraph_http_requests_total", {"route": "sparql", "status": "200"}),
             ("justicegraph_queries_total", {"form": "SELECT"}), ("justicegraph_inline_queries_total", {})]
    before = [metrics.value(n, private=False, **labels) for n, labels in names]
    qs = urlencode({"query": query})
    assert app.extensions["justicegraph.lane"].answer(environ(qs, {})) is not None
    middle = [metrics.value(n, private=False, **labels) for n, labels in names]
    by_app(app, environ(qs, {}))
    after = [metrics.value(n, private=False, **labels) for n, labels in names]
    assert [m - b for m, b in zip(middle, before, strict=True)] == [a - m for a, m in zip(after, middle, strict=True)] \
        == [1, 1, inline]


def _remaining(app) -> int:
    storage = app.extensions["justicegraph.limiter"].storage  # server/web/ratelimit.py
    return storage.get("LIMITER/192.0.2.7/global/1000/1/minute")


@settings(max_examples=400, deadline=None)
@given(st.text(min_size=1, max_size=200), st.booleans())
def test_the_lanes_query_string_reading_agrees_with_werkzeug(text, plus):
    qs = "query=" + (quote_plus(text, safe="") if plus else quote(text, safe=""))
    assert _one_query(qs) == _args(qs).get("query") == text


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="%+&;=\\0123456789abcdefABCDEFxyz ?<>{}", max_size=40))
def test_a_query_string_the_lane_reads_is_read_as_werkzeug_reads_it(raw):
    qs = "query=" + raw
    ours = _one_query(qs)
    if ours is not None:
        values = _args(qs)
        assert list(values.keys()) == ["query"] and values.getlist("query") == [ours]


def _args(qs: str):
    """The query string's parameters as the app reads them (werkzeug's request.args)."""
    return Request(EnvironBuilder("/sparql", query_string=qs).get_environ()).args


@pytest.mark.server
def test_through_granian_the_lane_answers_as_the_app_does(tmp_path):
    """End to end: the same requests to a server with the lane and to one without it (the
    gateway builds the lane's environ from the request itself: server/web/gateway.py)."""
    import requests
    from servers import running_server

    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.apply(insert=[ox.Quad(ox.NamedNode(p), LABEL, ox.Literal(f"Lane Person {i}", language="en"),
                                ox.NamedNode(PUBLIC_GRAPH)) for i, p in enumerate(PEOPLE)]
                + [ox.Quad(ox.NamedNode(PEOPLE[0]), LABEL, ox.Literal("Sealed name"), ox.NamedNode(RESTRICTED_GRAPH))])
    store.close()
    del store
    cases = [({"query": QUERIES[0]}, {}), ({"query": QUERIES[1]}, {"Accept": "application/sparql-results+xml"}),
             ({"query": QUERIES[2]}, {"Accept": "text/csv;q=0.2, application/json"}),
             ({"query": QUERIES[0]}, {"Origin": "https://one.example", "Accept": "*/*"}),
             ({"query": QUERIES[0]}, {"Authorization": f"Bearer {READ}"}),
             # through an executor: answered by the lane, or its outcome by the app (CSV streams; malformed)
             ({"query": UNBOUNDED[0]}, {}), ({"query": UNBOUNDED[1]}, {"Accept": "text/csv"}),
             ({"query": UNBOUNDED[5]}, {}), ({"query": UNBOUNDED[4]}, {"Origin": "https://one.example"}),
             # graph answers
             ({"query": GRAPH_QUERIES[0]}, {"Accept": "text/turtle"}), ({"query": GRAPH_QUERIES[1]}, {}),
             ({"query": GRAPH_QUERIES[0]}, {"Accept": "application/ld+json", "Origin": "https://one.example"}),
             ({"query": GRAPH_QUERIES[0]}, {"Accept": "application/sparql-results+json"})]
    answers = {}
    for lane in ("true", "false"):
        env = {"JUSTICEGRAPH_FAST_LANE": lane, "JUSTICEGRAPH_READ_TOKEN": READ,
               "JUSTICEGRAPH_CORS_ORIGINS": "https://one.example"}
        with running_server(path, env=env, workers=1, threads=2) as server:
            got = []
            requests_sent = [lambda p=p, h=h: requests.get(server.url + "/sparql", params=p, headers=h, timeout=30)
                             for p, h in cases]
            requests_sent += [lambda b=b, c=c: requests.post(server.url + "/sparql", data=b, timeout=30,
                                                             headers={"Content-Type": c, "Origin": "https://one.example"})
                              for b, c in POSTS]
            # POSTs the lane hands to the app with the executor's outcome: a streamed answer, an error
            requests_sent += [lambda b=b, a=a: requests.post(server.url + "/sparql", data=b, timeout=30,
                                                             headers={"Content-Type": "application/sparql-query",
                                                                      "Accept": a})
                              for b, a in [(UNBOUNDED[1].encode(), "text/csv"), (UNBOUNDED[5].encode(), "*/*"),
                                           (UNBOUNDED[6].encode(), "application/sparql-results+json")]]
            for send in requests_sent:
                r = send()
                # the ETag names the settings too (fast_lane differs here): compared as present or not
                kept = {k.lower(): v for k, v in r.headers.items()
                        if k.lower() not in ("date", "server", "content-length", "transfer-encoding", "etag")}
                kept["etag"] = "ETag" in r.headers
                got.append((r.status_code, kept, r.content))
            answers[lane] = got
    for fast, slow in zip(answers["true"], answers["false"], strict=True):
        assert fast == slow
    assert [status for status, _, _ in answers["true"][-3:]] == [200, 400, 400]
    assert b"Sealed" not in answers["true"][0][2] and b"Sealed" in answers["true"][4][2]


def test_a_query_stopped_at_the_time_limit_is_answered_by_the_app_and_not_run_again(tmp_path):
    """The lane hands a timeout to the app: one executor killed, the app's 503, no second run."""
    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.apply(insert=[ox.Quad(ox.NamedNode(f"{BASE}id/t{i}"), LABEL, ox.Literal(f"t {i}"), ox.NamedNode(PUBLIC_GRAPH))
                        for i in range(300)])
    store.close()
    del store
    app = create_app(Settings(store=str(path), rate_limit="1000 per minute", query_timeout=1.0))
    lane = app.extensions["justicegraph.lane"]
    executor = app.extensions["justicegraph.endpoint"].executor
    try:
        calls = []
        run = executor.run
        executor.run = lambda job, timeout: (calls.append(job), run(job, timeout))[1]
        env = environ(urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"}),
                      {})
        killed = executor.killed
        assert lane.answer(env) is None and OUTCOME in env
        status, headers, body = by_app(app, env)
        assert status == 503 and b"time limit" in body
        assert len(calls) == 1 and executor.killed == killed + 1
        assert int(headers["x-ratelimit-remaining"][0]) == 999  # counted once, by the app
        # the next query is answered by a fresh executor, through the lane
        fast = lane.answer(environ(urlencode({"query": UNBOUNDED[0]}), {}))
        assert fast is not None and fast[0] == 200 and b'"n"' in fast[2]
    finally:
        executor.close()
