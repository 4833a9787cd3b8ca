"""The remote store's lane (server/protocol/remote_lane.py) answers anonymous queries exactly
as the app does, on both engines with a public view (Virtuoso's anonymous endpoint,
``oxigraph serve`` with a public dataset): for each query and Accept value below, the
lane's answer and the app's answer to the same request (the app reached past the lane) have
the same status, the same body byte for byte and the same headers; the row cap cuts both
alike; restricted material is in neither. What the lane does not answer — an engine error,
a time out — the app answers from the lane's outcome, without asking the engine again;
what it must not run (SERVICE, a token, FROM, another parameter) reaches the engine only
through the app, whose refusals come first."""

from __future__ import annotations

from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from lane_helpers import by_app, comparable, environ, headers_of

from justicegraph.server.app import create_app
from justicegraph.server.protocol.executor import OUTCOME
from justicegraph.store.remote import engines
from justicegraph.store.remote.wire import Wire

pytestmark = pytest.mark.server  # starts oxigraph serve (a pair) and Virtuoso on 127.0.0.1

READ = "remote-lane-read-token-3b9d"
BASE = "https://w3id.org/justicegraph/"
PEOPLE = [f"{BASE}id/rl-person-{i}" for i in range(3)]
PUBLIC_GRAPH = f"{BASE}graph/import/rl/public"
RESTRICTED_GRAPH = f"{BASE}graph/import/rl/restricted"
LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
KNOWS = "http://xmlns.com/foaf/0.1/knows"
AGE = "http://xmlns.com/foaf/0.1/age"
ROW_CAP = 5

ACCEPTS = [None, "*/*", "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
           "text/tab-separated-values", "application/json",
           "text/csv;q=0.4, application/sparql-results+json;q=0.9"]
QUERIES = [
    f"SELECT ?p ?o WHERE {{ <{PEOPLE[0]}> ?p ?o }} ORDER BY ?p ?o",  # more rows than the cap
    f"SELECT ?l WHERE {{ <{PEOPLE[1]}> <{LABEL}> ?l }}",
    f"SELECT ?s WHERE {{ ?s <{KNOWS}> <{PEOPLE[1]}> }}",
    f"SELECT ?s ?l WHERE {{ ?s <{LABEL}> ?l }} ORDER BY ?l",  # not bounded: the engine runs it anyway
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    f"SELECT ?a WHERE {{ <{PEOPLE[2]}> <{AGE}> ?a }}",
    f'ASK {{ <{PEOPLE[0]}> <{LABEL}> "Sealed name 0" }}',  # restricted: false for the anonymous
    f"ASK {{ <{PEOPLE[0]}> ?p ?o }}",
    "SELECT ?p ?o WHERE { <https://w3id.org/justicegraph/id/nobody> ?p ?o }",
]
MALFORMED = "SELECT ?p WHERE { <urn:x> ?p "
# far past the 2 s limit on both engines, and no row before the end (a row stream would be held and cut)
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o . ?q ?r ?s }"


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def app(request, tmp_path_factory):
    kind = request.param
    missing = engines.oxigraph_missing() if kind == "oxigraph" else engines.virtuoso_missing()
    if missing:
        pytest.skip(missing)
    work = tmp_path_factory.mktemp(f"rl-{kind}")
    engine = (engines.start_oxigraph(work, timeout_s=5, public=True) if kind == "oxigraph"
              else engines.start_virtuoso(work, max_seconds=5))
    try:
        store = engine.open()
        quads = []
        for i, person in enumerate(PEOPLE):
            quads.append(ox.Quad(ox.NamedNode(person), ox.NamedNode(LABEL),
                                 ox.Literal(f"Remote Person {i}", language="en"), ox.NamedNode(PUBLIC_GRAPH)))
            quads.append(ox.Quad(ox.NamedNode(person), ox.NamedNode(LABEL), ox.Literal(f"Sealed name {i}"),
                                 ox.NamedNode(RESTRICTED_GRAPH)))
        for j in range(8):
            quads.append(ox.Quad(ox.NamedNode(PEOPLE[0]), ox.NamedNode(KNOWS), ox.NamedNode(f"{BASE}id/rl-friend-{j}"),
                                 ox.NamedNode(PUBLIC_GRAPH)))
        quads.append(ox.Quad(ox.NamedNode(PEOPLE[2]), ox.NamedNode(KNOWS), ox.NamedNode(PEOPLE[1]),
                             ox.NamedNode(PUBLIC_GRAPH)))
        quads.append(ox.Quad(ox.NamedNode(PEOPLE[0]), ox.NamedNode(KNOWS), ox.NamedNode(PEOPLE[1]),
                             ox.NamedNode(RESTRICTED_GRAPH)))
        quads.append(ox.Quad(ox.NamedNode(PEOPLE[2]), ox.NamedNode(AGE), ox.Literal("41", datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer")), ox.NamedNode(PUBLIC_GRAPH)))
        store.apply(insert=quads)
        built = create_app(engine.settings(read_token=READ, rate_limit="1000 per minute", row_cap=ROW_CAP,
                                           query_timeout=2.0, cors_origins="https://one.example, https://two.example"),
                           store=store)
        built.config["TESTING"] = True
        yield built
        store.close()
    finally:
        engine.stop()


@pytest.fixture
def engine_calls(monkeypatch):
    """Every anonymous query sent to the engine (the wire: justicegraph/store/remote/wire.py)."""
    calls = []
    post = Wire.post
    monkeypatch.setattr(Wire, "post", lambda self, *a, **k: (calls.append(a[0]), post(self, *a, **k))[1])
    return calls


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("origin", [None, "https://two.example"])
def test_the_remote_lane_answers_as_the_app_does(app, engine_calls, query, accept, origin):
    lane = app.extensions["justicegraph.lane"]
    headers = {k: v for k, v in {"Accept": accept, "Origin": origin}.items() if v is not None}
    qs = urlencode({"query": query})
    assert lane.answer(environ(qs, headers)) is None  # the embedded lane never runs a remote query (event loop)
    fast = lane.threaded(environ(qs, headers))
    assert fast is not None and len(engine_calls) == 1
    status, fast_headers, fast_body = fast[0], headers_of(fast[1]), fast[2]
    app_status, app_headers, app_body = by_app(app, environ(qs, headers))
    assert (status, fast_body) == (app_status, app_body) and status == 200
    assert comparable(fast_headers) == comparable(app_headers)
    assert fast_headers["content-length"] == [str(len(fast_body))]
    assert "etag" not in fast_headers  # a remote engine's state has no name (server/protocol/caching.py)
    assert int(app_headers["x-ratelimit-remaining"][0]) == int(fast_headers["x-ratelimit-remaining"][0]) - 1
    assert b"Sealed" not in fast_body and b"rl/restricted" not in fast_body
    if query == QUERIES[0]:  # the row cap, as the app sends it
        assert fast_headers["x-justicegraph-truncated"] == ["true"] and fast_headers["x-justicegraph-row-cap"] == ["5"]
        if accept in ("text/csv", "text/tab-separated-values"):
            assert len(fast_body.strip().splitlines()) == 1 + ROW_CAP
    else:
        assert "x-justicegraph-truncated" not in fast_headers


@pytest.mark.parametrize("query", [MALFORMED, "SELECT (1/0 AS ?x) WHERE { }",
                                   SLOW])
def test_what_the_lane_does_not_answer_the_app_maps_without_a_second_engine_call(app, engine_calls, query):
    qs = urlencode({"query": query})
    env = environ(qs, {"Accept": "application/sparql-results+json"})
    lane = app.extensions["justicegraph.lane"]
    before = _remaining(app)
    fast = lane.threaded(env)
    calls = len(engine_calls)
    if fast is not None:  # an engine that answers it (1/0 leaves ?x unbound on Oxigraph)
        assert fast[0] == 200 and OUTCOME not in env
        return
    assert _remaining(app) == before
    if OUTCOME not in env:  # declined before the engine (the scan found no form): the app's 400
        assert calls == 0 and query == MALFORMED and by_app(app, env)[0] == 400
        return
    assert calls <= 1  # a malformed text may fail before the engine (sparqltext.shape)
    handed = by_app(app, env)
    assert len(engine_calls) == calls, "the app asked the engine again"
    own = by_app(app, environ(qs, {"Accept": "application/sparql-results+json"}))
    assert (handed[0], handed[2]) == (own[0], own[2]) and handed[0] >= 400
    assert comparable(handed[1]) == comparable(own[1])
    # the engine's text is never passed on raw: not the pragmas and dataset we sent it
    assert b"define input" not in handed[2] and b"SPARQL query:" not in handed[2] and b"urn:justicegraph" not in handed[2]
    if query == SLOW:  # the time limit: the app's 503
        assert handed[0] == 503 and "retry-after" in handed[1]


@pytest.mark.parametrize("qs, headers", [
    (urlencode({"query": QUERIES[1]}), {"Authorization": f"Bearer {READ}"}),
    (urlencode({"query": QUERIES[1]}), {"If-None-Match": '"x"'}),
    (urlencode({"query": QUERIES[1], "default-graph-uri": RESTRICTED_GRAPH}), {}),
    (urlencode({"query": f"SELECT ?l FROM <{RESTRICTED_GRAPH}> WHERE {{ ?s <{LABEL}> ?l }}"}), {}),
    (urlencode({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}), {}),
    (urlencode({"query": f"CONSTRUCT WHERE {{ <{PEOPLE[0]}> ?p ?o }}"}), {}),
    (urlencode({"query": QUERIES[1]}), {"Accept": "image/png"}),
    ("query=", {}),
])
def test_the_lane_leaves_the_rest_to_the_app(app, engine_calls, qs, headers):
    lane = app.extensions["justicegraph.lane"]
    before = _remaining(app)
    env = environ(qs, headers)
    assert lane.threaded(env) is None
    assert not engine_calls and OUTCOME not in env
    assert _remaining(app) == before, "a request the lane leaves is counted once, by the app"
    status, _, body = by_app(app, env)
    if "SERVICE" in qs:
        assert status == 400 and not engine_calls  # refused before the engine is called
    if "Authorization" not in headers:
        assert b"Sealed" not in body


def test_metrics_count_lane_answers_as_app_answers(app):
    metrics = app.extensions["justicegraph.endpoint"].metrics
    names = [("justicegraph_http_requests_total", {"route": "sparql", "status": "200"}),
             ("justicegraph_queries_total", {"form": "SELECT"}), ("justicegraph_rows_truncated_total", {})]
    before = [metrics.value(n, private=False, **labels) for n, labels in names]
    qs = urlencode({"query": QUERIES[0]})
    assert app.extensions["justicegraph.lane"].threaded(environ(qs, {})) is not None
    middle = [metrics.value(n, private=False, **labels) for n, labels in names]
    by_app(app, environ(qs, {}))
    after = [metrics.value(n, private=False, **labels) for n, labels in names]
    assert [m - b for m, b in zip(middle, before, strict=True)] == [a - m for a, m in zip(after, middle, strict=True)] == [1, 1, 1]


def test_through_the_wsgi_call_the_lane_answers(app, engine_calls):
    """The app's own WSGI call (as granian's gateway makes it on its thread pool) reaches the lane."""
    client = app.test_client()
    response = client.get("/sparql", query_string={"query": QUERIES[1]},
                          headers={"Accept": "application/sparql-results+json"}, environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert response.status_code == 200 and response.headers.get("Content-Length")  # Flask would stream it
    assert len(engine_calls) == 1 and b"Remote Person 1" in response.data


def _remaining(app) -> int:
    storage = app.extensions["justicegraph.limiter"].storage  # server/web/ratelimit.py
    return storage.get("LIMITER/192.0.2.7/global/1000/1/minute")
