"""HTTP caching of anonymous reads (issue #18; server/protocol/caching.py): a strong ETag
named by the public snapshot, the URL and the variant; If-None-Match → 304 before any query
runs or any page is built; ``public, max-age=0, must-revalidate`` for anonymous answers only.
A restricted-only write keeps every anonymous ETag; a public write changes them. Token
holders and POST queries get no shared-cache headers."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from justicegraph.server.app import create_app
from justicegraph.settings import Settings
from justicegraph.store import OxigraphStore

pytestmark = pytest.mark.embedded_only("the ETag names an on-disk snapshot (server/protocol/snapshot.py)")

READ, WRITE = "caching-read-token-5d1e9a", "caching-write-token-0b7c42"
BASE = "https://w3id.org/justicegraph/"
PERSON = f"{BASE}id/caching-person"
PUBLIC_GRAPH = f"{BASE}graph/import/caching/public"
RESTRICTED_GRAPH = f"{BASE}graph/import/caching/restricted"
LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
TURTLE = {"Accept": "text/turtle"}
LOOKUP = {"query": f"SELECT ?p ?o WHERE {{ <{PERSON}> ?p ?o }}"}
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


@pytest.fixture
def client(tmp_path):
    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.apply(insert=[
        ox.Quad(ox.NamedNode(PERSON), LABEL, ox.Literal("Caching Person", language="en"), ox.NamedNode(PUBLIC_GRAPH)),
        ox.Quad(ox.NamedNode(PERSON), LABEL, ox.Literal("Sealed name"), ox.NamedNode(RESTRICTED_GRAPH)),
    ])
    store.close()
    del store
    settings = Settings(store=str(path), read_token=READ, write_token=WRITE, rate_limit="")
    app = create_app(settings)
    yield app.test_client()
    endpoint = app.extensions["justicegraph.endpoint"]
    if endpoint._executor is not None:
        endpoint._executor.close()


def _etag(response) -> str:
    tag = response.headers.get("ETag")
    assert tag and tag.startswith('"') and not tag.startswith("W/"), response.headers  # strong
    return tag


def _anonymous_headers(response) -> None:
    assert response.headers["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert {"Accept", "Authorization"} <= {v.strip() for v in response.headers["Vary"].split(",")}


def _forbid(monkeypatch, target: str) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError(f"{target} ran for a conditional GET that matched")
    monkeypatch.setattr(target, refuse)


def test_entity_document_answers_304_to_a_repeated_get(client, monkeypatch):
    first = client.get("/id/caching-person", headers=TURTLE)
    assert first.status_code == 200 and b"Caching Person" in first.data
    tag = _etag(first)
    _anonymous_headers(first)
    assert client.get("/id/caching-person", headers=TURTLE).data == first.data  # same bytes: a strong tag
    # the page is not built again: neither the description nor its provenance is read
    _forbid(monkeypatch, "justicegraph.server.content.entity.gather")
    again = client.get("/id/caching-person", headers={**TURTLE, "If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert _etag(again) == tag
    _anonymous_headers(again)
    assert client.get("/id/caching-person", headers={**TURTLE, "If-None-Match": f'"other", W/{tag}'}).status_code == 304
    assert client.head("/id/caching-person", headers={**TURTLE, "If-None-Match": tag}).status_code == 304
    monkeypatch.undo()
    # another variant (by Accept or by suffix) is another representation: another tag
    other = client.get("/id/caching-person", headers={"Accept": "application/n-triples"})
    assert other.status_code == 200 and _etag(other) != tag
    assert client.get("/id/caching-person", headers={"Accept": "application/n-triples",
                                                     "If-None-Match": tag}).status_code == 200
    assert _etag(client.get("/id/caching-person.ttl")) != tag  # another URL


def test_sparql_get_answers_304_to_a_repeated_get(client, monkeypatch):
    first = client.get("/sparql", query_string=LOOKUP, headers=JSON_RESULTS)
    assert first.status_code == 200 and b"Caching Person" in first.data and b"Sealed" not in first.data
    tag = _etag(first)
    _anonymous_headers(first)
    _forbid(monkeypatch, "justicegraph.server.sparql._run")  # the query does not run again
    again = client.get("/sparql", query_string=LOOKUP, headers={**JSON_RESULTS, "If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert _etag(again) == tag
    monkeypatch.undo()
    # the tag names the query text, its parameters and the negotiated format
    csv = client.get("/sparql", query_string=LOOKUP, headers={"Accept": "text/csv", "If-None-Match": tag})
    assert csv.status_code == 200 and _etag(csv) != tag
    other = client.get("/sparql", query_string={"query": LOOKUP["query"] + " LIMIT 1"},
                       headers={**JSON_RESULTS, "If-None-Match": tag})
    assert other.status_code == 200 and _etag(other) != tag
    named = client.get("/sparql", query_string={**LOOKUP, "default-graph-uri": PUBLIC_GRAPH},
                       headers={**JSON_RESULTS, "If-None-Match": tag})
    assert named.status_code == 200 and _etag(named) != tag


def _tags(client) -> tuple[str, str]:
    return (_etag(client.get("/id/caching-person", headers=TURTLE)),
            _etag(client.get("/sparql", query_string=LOOKUP, headers=JSON_RESULTS)))


def test_etag_ignores_restricted_only_writes_and_follows_public_ones(client):
    before = _tags(client)
    auth = {"Authorization": f"Bearer {WRITE}"}
    restricted = client.post("/sparql", headers=auth, content_type="application/sparql-update",
                             data=f'INSERT DATA {{ GRAPH <{RESTRICTED_GRAPH}> {{ <{PERSON}> <urn:jg:note> "x" }} }}')
    assert restricted.status_code == 204
    assert client.get("/sparql", headers=auth, query_string={"query": "ASK { ?s <urn:jg:note> ?o }"},
                      ).get_json()["boolean"] is True  # written
    assert _tags(client) == before
    assert client.get("/id/caching-person", headers={**TURTLE, "If-None-Match": before[0]}).status_code == 304
    public = client.post("/sparql", headers=auth, content_type="application/sparql-update",
                         data=f'INSERT DATA {{ GRAPH <{PUBLIC_GRAPH}> {{ <{PERSON}> <urn:jg:note> "y" }} }}')
    assert public.status_code == 204
    after = _tags(client)
    assert after[0] != before[0] and after[1] != before[1]
    assert client.get("/id/caching-person", headers={**TURTLE, "If-None-Match": before[0]}).status_code == 200


@pytest.mark.parametrize("token", [READ, WRITE, "not-a-token-of-this-server"])
def test_token_holders_get_no_shared_cache_headers(client, token):
    anonymous = _tags(client)
    auth = {"Authorization": f"Bearer {token}"}
    for path, kw, tag in (("/id/caching-person", {"headers": {**TURTLE, **auth}}, anonymous[0]),
                          ("/sparql", {"query_string": LOOKUP, "headers": {**JSON_RESULTS, **auth}}, anonymous[1])):
        response = client.get(path, **kw)
        assert response.status_code == 200
        assert "ETag" not in response.headers
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "Authorization" in response.headers["Vary"]
        # the anonymous tag opens no 304 for a token holder: their answer is another one
        conditional = client.get(path, **{**kw, "headers": {**kw["headers"], "If-None-Match": tag}})
        assert conditional.status_code == 200 and "ETag" not in conditional.headers
    if token == READ:
        assert b"Sealed" in client.get("/id/caching-person", headers={**TURTLE, **auth}).data


def test_post_queries_are_not_cached(client):
    tag = _tags(client)[1]
    for kw in ({"data": LOOKUP}, {"data": LOOKUP["query"], "content_type": "application/sparql-query"}):
        response = client.post("/sparql", headers={**JSON_RESULTS, "If-None-Match": tag}, **kw)
        assert response.status_code == 200 and b"Caching Person" in response.data
        assert "ETag" not in response.headers
        assert "public" not in response.headers.get("Cache-Control", "")
