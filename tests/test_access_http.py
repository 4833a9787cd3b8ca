"""The access rule over HTTP, on every route: SPARQL (GET, POST form, POST direct, dataset
parameters), Graph Store GET/HEAD, entity and graph pages, search, saved queries, VoID,
the Service Description, the dump, health and metrics, error answers.

Differential, as at the engine: an anonymous caller of the app on the full fixture store
must get exactly the answer (status and content) that the app on a store without the
restricted graphs gives — a restricted record is indistinguishable from one that never
existed. The read-token holder must get the restricted material (so every case can fail).
Each route is checked to exist first: a missing route is a skip that names it, never a pass.

Both apps run on the backend under test (remote: the public one on a second engine of the
same kind), and over SPARQL the token holder's answer is compared with the same engine
answering with no access layer: these tests are about access control, not SPARQL
conformance, so an engine's deviations from SPARQL 1.1 (docs/scaling.md) appear on both
sides and can neither pass for a leak nor hide one.
"""

from __future__ import annotations

import gzip
import html
import re

import pytest
from fixtures.restricted.harness import (
    ADVERSARIAL,
    BASE,
    R_CURATED,
    R_PROV,
    R_TESTIMONY,
    as_response_outcome,
    build_backend,
    build_store,
    leaks,
    plain_answer,
    reaches_restricted,
    response_outcome,
    route_exists,
)
from werkzeug.datastructures import MultiDict

READ, WRITE = "fixture-read-7c1e", "fixture-write-92ab"
TOKEN = {"Authorization": f"Bearer {READ}"}
WRONG = {"Authorization": "Bearer not-the-token"}


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    root = tmp_path_factory.mktemp("access")
    made = []
    options = {"read_token": READ, "write_token": WRITE, "rate_limit": "", "include_inferred": True}
    # Both on the backend under test (remote: the reference is a second engine of the same kind).
    made.append(build_backend(root / "full", **options))
    made.append(build_backend(root / "public", public_only=True, slot="reference", **options))
    yield made
    for app in made:
        for ext in app.extensions.values():  # stop executor processes the endpoint may have started
            close = getattr(ext, "close", None)
            if callable(close) and ext.__class__.__module__.startswith("justicegraph.server"):
                close()


@pytest.fixture(scope="module")
def engine_store(apps):
    """The full fixture as the app under test holds it, for queries with no access layer:
    remote, the engine itself (as the app left it); embedded, the same data in pyoxigraph."""
    from stores import REMOTE, current_store

    return current_store() if REMOTE else build_store(None)


def need(app, path, method="GET"):
    if not route_exists(app, path, method):
        pytest.skip(f"{method} {path} is not implemented yet")


def body_of(response) -> str:
    data = response.get_data()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def normalised(response) -> tuple[int, str]:
    """Status and body, with what legitimately differs between two processes removed."""
    text = body_of(response)
    text = re.sub(r"\d+(\.\d+)?\s*ms\b", "N ms", text)
    text = re.sub(r"_:[A-Za-z0-9]+", "_:b", text)
    if response.mimetype in ("application/n-quads", "application/n-triples", "application/gzip"):
        # one statement per line, in the engine's order (a remote engine's plan may differ;
        # the dump is gzipped N-Quads)
        text = "\n".join(sorted(text.splitlines()))
    return response.status_code, text


def without_echo(text: str, path: str, query_string) -> str:
    """The answer minus the request's own text (a 404 may name the IRI that was asked for)."""
    values = list((query_string or {}).values()) if isinstance(query_string, dict) else []
    for echo in sorted([BASE + path.lstrip("/"), path, *map(str, values)], key=len, reverse=True):
        text = text.replace(echo, "").replace(html.escape(echo), "")
    return text


def same_as_public(apps, method, path, **kw):
    """The anonymous answer of the full app, checked against the public app's."""
    full, public = apps
    got = getattr(full.test_client(), method)(path, **kw)
    got.get_data()  # finish a streamed answer before the next request
    expected = getattr(public.test_client(), method)(path, **kw)
    expected.get_data()
    assert leaks(without_echo(body_of(got), path, kw.get("query_string"))) == [], (path, leaks(body_of(got)))
    assert normalised(got) == normalised(expected), path
    return got


# -- SPARQL -------------------------------------------------------------------------------

def _sparql(client, query, params, how, headers=None):
    accept = "application/n-triples" if re.search(r"\b(CONSTRUCT|DESCRIBE)\b", query) else \
        "application/sparql-results+json"
    headers = {"Accept": accept, **(headers or {})}
    args = [("default-graph-uri", g) for g in params.get("default-graph-uri", [])] + \
        [("named-graph-uri", g) for g in params.get("named-graph-uri", [])]
    if how == "get":
        return client.get("/sparql", query_string=[("query", query), *args], headers=headers)
    if how == "form":
        return client.post("/sparql", data=MultiDict([("query", query), *args]), headers=headers)
    return client.post("/sparql", query_string=args, data=query.encode(), headers=headers,
                       content_type="application/sparql-query")


@pytest.mark.parametrize(("index", "case"), list(enumerate(ADVERSARIAL)), ids=[a[0] for a in ADVERSARIAL])
def test_sparql_adversarial_queries(apps, engine_store, index, case):
    """The reference for the token holder is the same engine answering with no access layer;
    that the case reaches restricted material at all is checked under SPARQL 1.1 (embedded)."""
    full, public = apps
    need(full, "/sparql", "POST")
    name, query, params = case
    how = ("get", "form", "direct")[index % 3]
    opened = _sparql(full.test_client(), query, params, how, TOKEN)
    plain = as_response_outcome(plain_answer(engine_store, query, params))
    assert response_outcome(opened) == plain, body_of(opened)[:500]
    anonymous = _sparql(full.test_client(), query, params, how)
    wrong = _sparql(full.test_client(), query, params, how, WRONG)
    expected = _sparql(public.test_client(), query, params, how)
    if plain[0] == 200:  # an answer, unless the engine itself refuses the query (e.g. Virtuoso: 1/0)
        assert expected.status_code == 200, body_of(expected)[:500]
    for answer in (anonymous, wrong):
        assert response_outcome(answer) == response_outcome(expected), name
        if not leaks(query):
            assert leaks(body_of(answer)) == []
    assert reaches_restricted(query, params), f"{name}: the case reaches no restricted material"


def test_sparql_service_description_lists_no_restricted_graph(apps):
    full, _ = apps
    need(full, "/sparql")
    opened = full.test_client().get("/sparql", headers={"Accept": "text/turtle", **TOKEN})
    assert opened.status_code == 200
    same_as_public(apps, "get", "/sparql", headers={"Accept": "text/turtle"})


def test_sparql_errors_do_not_tell_restricted_graphs_apart(apps):
    full, _ = apps
    need(full, "/sparql")
    for query in (f"SELECT * FROM <{R_CURATED}> WHERE {{ ?s ?p }}",        # syntax error naming the graph
                  f"SELECT * {{ GRAPH <{R_TESTIMONY}> {{ ?s ?p ?o }} }} LIMIT -1"):
        got = same_as_public(apps, "get", "/sparql", query_string={"query": query})
        assert got.status_code == 400


# -- Graph Store --------------------------------------------------------------------------

@pytest.mark.parametrize("graph", [R_CURATED, R_TESTIMONY, R_PROV])
def test_graph_store_hides_restricted_graphs(apps, graph):
    full, _ = apps
    need(full, "/graphs")
    opened = full.test_client().get("/graphs", query_string={"graph": graph},
                                    headers={"Accept": "application/n-triples", **TOKEN})
    assert opened.status_code == 200 and "sealed" in body_of(opened).lower()
    for method in ("get", "head"):
        got = same_as_public(apps, method, "/graphs", query_string={"graph": graph},
                             headers={"Accept": "application/n-triples"})
        assert got.status_code == 404
        got = same_as_public(apps, method, "/graphs", query_string={"graph": graph},
                             headers={"Accept": "application/n-triples", **WRONG})


def test_graph_store_default_and_whole_dataset_are_public_only(apps):
    full, _ = apps
    need(full, "/graphs")
    same_as_public(apps, "get", "/graphs", query_string={"default": ""}, headers={"Accept": "application/n-triples"})
    same_as_public(apps, "get", "/graphs", headers={"Accept": "application/n-quads"})


# -- pages, search, saved queries ---------------------------------------------------------------

ENTITY_PAGES = ["/id/sealed-witness", "/id/sealed-transfer", "/id/s-sealed-count", "/id/s-sealed-accusation",
                "/id/sealed-interview", "/id/sealed-transfer--hamid-noury--alleged-perpetrator"]


@pytest.mark.parametrize("path", ENTITY_PAGES)
@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/ld+json", "application/json"])
def test_restricted_entity_pages_look_like_missing_ones(apps, path, accept):
    full, _ = apps
    need(full, path)
    opened = full.test_client().get(path, headers={"Accept": accept, **TOKEN})
    assert opened.status_code == 200, (path, accept, body_of(opened)[:300])
    assert "sealed" in body_of(opened).lower()
    got = same_as_public(apps, "get", path, headers={"Accept": accept})
    assert got.status_code == 404


@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "application/json"])
def test_public_entity_page_shows_no_restricted_name_or_role(apps, accept):
    full, _ = apps
    need(full, "/id/hamid-noury")
    opened = full.test_client().get("/id/hamid-noury", headers={"Accept": accept, **TOKEN})
    assert opened.status_code == 200 and "sealed alias" in body_of(opened).lower()
    assert same_as_public(apps, "get", "/id/hamid-noury", headers={"Accept": accept}).status_code == 200
    assert same_as_public(apps, "get", "/id/open-witness", headers={"Accept": accept}).status_code == 200


@pytest.mark.parametrize("path", ["/graph/curated/fixture/restricted", "/graph/testimony/t-sealed/restricted",
                                  "/graph/provenance/restricted", "/graph/provenance"])
def test_graph_pages(apps, path):
    full, _ = apps
    need(full, path)
    opened = full.test_client().get(path, headers=TOKEN)
    assert opened.status_code == 200  # the page describes the graph (from the provenance graph)
    same_as_public(apps, "get", path)


@pytest.mark.parametrize("route", ["/api/search", "/search", "/search.json"])
@pytest.mark.parametrize(("q", "finds"), [("sealed", "sealed-witness"), ("Parvaneh", "sealed-witness"),
                                          ("Sealedwitness", "sealed-witness"), ("Seald Witnes", None),
                                          ("Sealed alias", "Sealed alias of Noury"), ("Noury", None)])
def test_search_finds_restricted_names_only_with_the_token(apps, route, q, finds):
    full, _ = apps
    need(full, route)
    opened = full.test_client().get(route, query_string={"q": q}, headers=TOKEN)
    assert opened.status_code == 200
    if finds:
        assert finds in body_of(opened), (route, q)
    same_as_public(apps, "get", route, query_string={"q": q})


def test_saved_queries_answer_the_public_store_anonymously(apps):
    full, _ = apps
    need(full, "/api/queries")
    listing = full.test_client().get("/api/queries", headers={"Accept": "application/json"})
    assert listing.status_code == 200
    same_as_public(apps, "get", "/api/queries", headers={"Accept": "application/json"})
    names = re.findall(r'"/api/queries/([a-z0-9-]+)"', body_of(listing))
    if not names:
        pytest.skip("no saved query exists yet (queries/*.rq)")
    opened_any = False
    for name in sorted(set(names)):
        for accept in ("application/sparql-results+json", "text/html"):
            for path in (f"/api/queries/{name}", f"/queries/{name}"):
                same_as_public(apps, "get", path, headers={"Accept": accept})
                same_as_public(apps, "get", path, query_string={"person": "sealed-witness", "q": "sealed"},
                               headers={"Accept": accept})
        opened = full.test_client().get(f"/api/queries/{name}", headers={"Accept": "application/json", **TOKEN})
        opened_any |= "sealed" in body_of(opened).lower()
    assert opened_any, "no saved query shows restricted material to the token holder"


@pytest.mark.parametrize("path", ["/", "/index.json", "/query", "/ontology"])
def test_pages_count_and_list_public_graphs_only(apps, path):
    full, _ = apps
    need(full, path)
    assert full.test_client().get(path, headers=TOKEN).status_code == 200
    same_as_public(apps, "get", path)


# -- VoID, statistics, dump, health -------------------------------------------------------------

@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples"])
def test_void_counts_public_graphs_only(apps, accept):
    full, _ = apps
    need(full, "/.well-known/void")
    opened = full.test_client().get("/.well-known/void", headers={"Accept": accept, **TOKEN})
    assert opened.status_code == 200 and leaks(body_of(opened)), "VoID does not describe restricted graphs to the token"
    same_as_public(apps, "get", "/.well-known/void", headers={"Accept": accept})


def test_dump_holds_public_graphs_only(apps):
    full, _ = apps
    need(full, "/dump")
    opened = full.test_client().get("/dump", headers=TOKEN)
    assert opened.status_code == 200 and "sealed" in body_of(opened).lower()
    anonymous = same_as_public(apps, "get", "/dump")
    assert "hamid-noury" in body_of(anonymous)
    same_as_public(apps, "get", "/dump.nq.gz")


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_health_and_metrics_reveal_no_restricted_size(apps, path):
    full, _ = apps
    need(full, path)
    got = full.test_client().get(path)
    assert got.status_code == 200
    assert leaks(body_of(got)) == []
    assert "119" not in re.findall(r"\b\d+\b", body_of(got)), "the full store's quad count is shown"


def test_openapi_description_mentions_no_restricted_graph(apps):
    full, _ = apps
    need(full, "/api/openapi.json")
    same_as_public(apps, "get", "/api/openapi.json")
