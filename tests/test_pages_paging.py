"""Paged entity pages (issue #18, item 7; server/content/view.py ``Page._place_index``): a
place lists the people held or present there and the events there a page at a time, in a
fixed order (people by name, events by date), with first/previous/next links in the JSON
twin (``paging``) and as ``Link`` headers; counts and pages are taken over the caller's
visible graphs only. Also the kept answers of expensive pages (server/pages.py ``BodyCache``):
served again only under the same ETag, never to a token holder.

The fixture is written here: a prison with 130 public people (a few with two stays, two with
the same name, some events undated) and 12 restricted people whose every triple is in a
restricted graph (their IRIs contain "sealed", their names "Sealed")."""

from __future__ import annotations

import importlib
import re

import pyoxigraph as ox
import pytest

from justicegraph.server import pages
from justicegraph.server.app import create_app
from justicegraph.settings import Settings
from justicegraph.store import OxigraphStore

pytestmark = pytest.mark.embedded_only("paging and kept answers are measured on an on-disk snapshot")

READ, WRITE = "paging-read-token-7f3a", "paging-write-token-91c0"
BASE = "https://w3id.org/justicegraph/"
J, SKOS = "https://w3id.org/justicegraph/ontology#", "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PUBLIC, SEALED = 130, 12
SIZE = 50  # server/content/view.py PLACE_PAGE_SIZE
SURNAMES = ("Zand", "Amini", "Rahimi", "Karimi", "Bagheri", "Tehrani", "Nouri")


def _q(s, p, o, g):
    node = lambda v: v if isinstance(v, (ox.Literal, ox.NamedNode)) else ox.NamedNode(BASE + v)  # noqa: E731
    return ox.Quad(node(s), ox.NamedNode(p), node(o), ox.NamedNode(BASE + g))


def _person(quads, n: int, label: str, graph: str, testimony: str, prefix: str = "person") -> None:
    me, event, part = f"id/{prefix}-{n:03d}", f"id/{prefix}-{n:03d}-detention", f"id/{prefix}-{n:03d}-held"
    quads += [_q(me, RDF_TYPE, ox.NamedNode(J + "Person"), graph),
              _q(me, SKOS + "prefLabel", ox.Literal(label, language="en"), graph),
              _q(event, RDF_TYPE, ox.NamedNode(J + "Event"), graph),
              _q(event, SKOS + "prefLabel", ox.Literal(f"Detention of {label}", language="en"), graph),
              _q(event, J + "place", "id/big-prison", graph),
              _q(part, RDF_TYPE, ox.NamedNode(J + "VictimParticipation"), testimony),
              _q(part, J + "event", event, testimony), _q(part, J + "agent", me, testimony),
              _q(part, J + "role", ox.NamedNode(BASE + "vocab/role/detainee"), testimony)]
    if n % 9:  # every ninth event undated: listed after the dated ones
        quads.append(_q(event, J + "time", ox.Literal(f"1981-{n % 12 + 1:02d}"), graph))


def fixture_quads() -> list[ox.Quad]:
    curated = "graph/curated/paging"
    quads = [_q("id/big-prison", RDF_TYPE, ox.NamedNode(J + "Prison"), curated),
             _q("id/big-prison", SKOS + "prefLabel", ox.Literal("Big Prison", language="en"), curated)]
    for n in range(PUBLIC):
        label = "Same Name" if n in (7, 70) else f"{SURNAMES[n % len(SURNAMES)]} {n:03d}"
        _person(quads, n, label, curated, f"graph/testimony/t-{n}")
        if n % 25 == 0:  # a second stay: moved away from the prison
            move, part = f"id/person-{n:03d}-transfer", f"id/person-{n:03d}-moved"
            quads += [_q(move, RDF_TYPE, ox.NamedNode(J + "Event"), curated),
                      _q(move, SKOS + "prefLabel", ox.Literal(f"Transfer {n}", language="en"), curated),
                      _q(move, J + "fromPlace", "id/big-prison", curated),
                      _q(move, J + "time", ox.Literal("1982"), curated),
                      _q(part, RDF_TYPE, ox.NamedNode(J + "VictimParticipation"), f"graph/testimony/t-{n}"),
                      _q(part, J + "event", move, f"graph/testimony/t-{n}"),
                      _q(part, J + "agent", f"id/person-{n:03d}", f"graph/testimony/t-{n}")]
    for n in range(SEALED):
        graph = f"graph/testimony/t-sealed-{n}/restricted"
        _person(quads, n, f"Sealed Prisoner {n}", graph, graph, prefix="sealed")
    return quads


def _app(path):
    store = OxigraphStore(path)
    store.apply(insert=fixture_quads())
    store.close()
    del store
    return create_app(Settings(store=str(path), read_token=READ, write_token=WRITE, rate_limit=""))


def _close(app) -> None:
    endpoint = app.extensions["justicegraph.endpoint"]
    if endpoint._executor is not None:
        endpoint._executor.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = _app(tmp_path_factory.mktemp("paging") / "store")
    yield app
    _close(app)


@pytest.fixture
def client(app):
    return app.test_client()


AUTH = {"Authorization": f"Bearer {READ}"}


def walk(client, url: str, headers=None) -> list[dict]:
    """Every page of the JSON twin from ``url``, by its next links."""
    out, seen = [], set()
    while url:
        assert url not in seen, f"a next link leads back to {url}"
        seen.add(url)
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200, (url, response.status_code)
        data = response.get_json()
        out.append(data)
        url = data["paging"]["next_url"]
    return out


def _labels_key(person: dict) -> tuple:
    return (person["agent"]["label"].lower(), person["agent"]["value"])


def test_walking_every_page_gives_each_person_and_event_once_in_order(client):
    got = walk(client, "/id/big-prison.json")
    assert len(got) == 3  # 130 people, 50 a page
    people = [p for page in got for p in page["held_here"]]
    events = [e for page in got for e in page["events_here"]]
    expected_people = {f"{BASE}id/person-{n:03d}" for n in range(PUBLIC)}
    assert len(people) == len({p["agent"]["value"] for p in people}) == PUBLIC  # no duplicate, none lost
    assert {p["agent"]["value"] for p in people} == expected_people
    assert people == sorted(people, key=_labels_key)  # by name, then IRI (two share a name)
    assert len(events) == len({e["event"]["value"] for e in events}) == PUBLIC + len(range(0, PUBLIC, 25))
    dated = [e["sort"] for e in events if e["sort"]]
    assert dated == sorted(dated) and all(e["sort"] for e in events[:len(dated)])  # by date, undated last
    for n, page in enumerate(got, 1):
        paging = page["paging"]
        assert (paging["page"], paging["pages"], paging["size"]) == (n, 3, SIZE)
        assert paging["people"]["total"] == PUBLIC and paging["events"]["total"] == len(events)
        assert paging["people"]["first"] == (n - 1) * SIZE + 1
        assert paging["people"]["last"] == min(n * SIZE, PUBLIC)
        assert len(page["held_here"]) == paging["people"]["last"] - paging["people"]["first"] + 1
    moved = [s for p in people for s in p["stays"] if s["moved_from"]]
    assert len(moved) == len(range(0, PUBLIC, 25))
    assert all(len(p["stays"]) == 2 for p in people if int(p["agent"]["value"][-3:]) % 25 == 0)


def test_links_in_json_and_headers(client):
    first = client.get("/id/big-prison.json")
    paging = first.get_json()["paging"]
    assert paging["prev_url"] is None and paging["next_url"] == "/id/big-prison.json?page=2"
    assert paging["first_url"] == "/id/big-prison.json"
    assert '</id/big-prison.json?page=2>; rel="next"' in first.headers["Link"]
    assert 'rel="prev"' not in first.headers["Link"]
    assert 'rel="alternate"' in first.headers["Link"]  # the variants are still listed
    second = client.get("/id/big-prison", headers={"Accept": "text/html"}, query_string={"page": 2})
    assert second.status_code == 200 and second.mimetype == "text/html"
    links = second.headers["Link"]
    assert '</id/big-prison>; rel="prev"' in links and '</id/big-prison?page=3>; rel="next"' in links
    html = second.get_data(as_text=True)
    assert 'rel="next" href="/id/big-prison?page=3"' in html and 'rel="prev" href="/id/big-prison"' in html
    assert "51–100 of 130" in html
    last = client.get("/id/big-prison.json?page=3")
    assert last.get_json()["paging"]["next_url"] is None and 'rel="next"' not in last.headers["Link"]
    # the saved queries that give the lists whole
    assert any(q["href"] == "/queries/cq02-people-in-prison?prison=big-prison"
               for q in first.get_json()["paging"]["full_lists"])


@pytest.mark.parametrize("page", ["4", "0", "-1", "two", "1.5", "99999999"])
def test_no_such_page(client, page):
    assert client.get("/id/big-prison.json", query_string={"page": page}).status_code == 404
    assert client.get("/id/big-prison", query_string={"page": page}, headers={"Accept": "text/html"}).status_code == 404


def test_unpaged_entities_and_rdf_have_no_second_page(client):
    assert client.get("/id/person-001.json").get_json()["paging"] is None
    assert client.get("/id/person-001.json?page=2").status_code == 404
    assert client.get("/id/big-prison.ttl?page=2").status_code == 404
    assert client.get("/id/big-prison.ttl").status_code == 200


def test_restricted_people_are_in_no_page_no_count_no_link(client):
    anonymous = walk(client, "/id/big-prison.json")
    for page in anonymous:
        body = repr(page)
        assert "sealed" not in body.lower()
    html = "".join(client.get(f"/id/big-prison?page={n}", headers={"Accept": "text/html"}).get_data(as_text=True)
                   for n in (1, 2, 3))
    assert "sealed" not in html.lower()
    assert "of 130" in html and not re.search(r"of 1(4[0-9])\b", html)
    # the token holder sees them, counted and paged
    with_token = walk(client, "/id/big-prison.json", AUTH)
    people = {p["agent"]["value"] for page in with_token for p in page["held_here"]}
    assert len(people) == PUBLIC + SEALED
    assert sum("sealed" in p for p in people) == SEALED
    assert with_token[0]["paging"]["people"]["total"] == PUBLIC + SEALED
    assert with_token[0]["paging"]["pages"] == 3
    assert [p["paging"]["people"]["total"] for p in anonymous] == [PUBLIC] * 3


def test_pages_have_their_own_etags_and_304(client):
    one, two = client.get("/id/big-prison.json"), client.get("/id/big-prison.json?page=2")
    assert one.headers["ETag"] != two.headers["ETag"]
    again = client.get("/id/big-prison.json?page=2", headers={"If-None-Match": two.headers["ETag"]})
    assert again.status_code == 304


def test_kept_answers_are_the_built_ones_and_never_a_token_holders(client, monkeypatch):
    monkeypatch.setattr(pages.BodyCache, "MIN_CPU_S", 0.0)  # keep every answer, however cheap
    first = client.get("/id/big-prison?page=2", headers={"Accept": "text/html"})
    turtle = client.get("/id/big-prison.ttl")
    built = []
    for target in ("justicegraph.server.content.view.entity_page", "justicegraph.server.content.entity.gather"):
        module, name = target.rsplit(".", 1)
        original = getattr(importlib.import_module(module), name)
        monkeypatch.setattr(target, lambda *a, _f=original, **k: built.append(a[1]) or _f(*a, **k))
    kept = client.get("/id/big-prison?page=2", headers={"Accept": "text/html"})
    assert kept.status_code == 200 and kept.data == first.data
    for name in ("ETag", "Link", "Content-Type", "Cache-Control"):
        assert kept.headers[name] == first.headers[name]
    assert client.get("/id/big-prison.ttl").data == turtle.data
    assert built == []  # neither the page nor the description was built again
    # a token holder's request has no ETag: built, never served from the kept answers
    token = client.get("/id/big-prison.json?page=3", headers=AUTH)
    assert built == [f"{BASE}id/big-prison"]
    assert "ETag" not in token.headers
    assert token.get_json()["paging"]["people"]["total"] == PUBLIC + SEALED
    html = client.get("/id/big-prison?page=2", headers={"Accept": "text/html", **AUTH})
    assert html.data != first.data and len(built) == 2


@pytest.fixture
def written_app(tmp_path):
    app = _app(tmp_path / "store")
    yield app
    _close(app)


def test_a_public_write_changes_the_kept_answer(written_app, monkeypatch):
    monkeypatch.setattr(pages.BodyCache, "MIN_CPU_S", 0.0)
    client = written_app.test_client()
    before = client.get("/id/big-prison.json?page=3")
    total = before.get_json()["paging"]["events"]["total"]
    auth = {"Authorization": f"Bearer {WRITE}"}
    update = (f'INSERT DATA {{ GRAPH <{BASE}graph/import/paging/public> {{ <{BASE}id/zz-event> '
              f'<{SKOS}prefLabel> "Zz event"@en ; <{J}place> <{BASE}id/big-prison> }} }}')
    written = client.post("/sparql", headers=auth, content_type="application/sparql-update", data=update)
    assert written.status_code == 204, written.get_data(as_text=True)
    after = client.get("/id/big-prison.json?page=3")
    assert after.headers["ETag"] != before.headers["ETag"] and after.data != before.data
    assert after.get_json()["paging"]["events"]["total"] == total + 1
    assert after.get_json()["events_here"][-1]["event"]["value"] == f"{BASE}id/zz-event"  # undated: last


def test_a_hubs_rdf_description_is_kept_a_persons_is_not(client, monkeypatch):
    monkeypatch.setattr(pages.BodyCache, "MIN_CPU_S", 1e9)  # only the hub rule keeps anything
    built = []
    original = importlib.import_module("justicegraph.server.content.entity").gather
    monkeypatch.setattr("justicegraph.server.content.entity.gather",
                        lambda store, iri, *a, **k: built.append(iri) or original(store, iri, *a, **k))
    for path in ("/id/big-prison.nt", "/id/big-prison.nt", "/id/person-002.nt", "/id/person-002.nt"):
        assert client.get(path).status_code == 200
    assert built == [f"{BASE}id/big-prison", f"{BASE}id/person-002", f"{BASE}id/person-002"]


def test_the_links_to_a_hub_are_paged_too(tmp_path):
    """A hub linked from many entities (a country every person's nationality names): its
    "also linked from" list is paged like a place's lists, and walking it gives every link once."""
    quads = [_q("id/hub-country", RDF_TYPE, ox.NamedNode(J + "Country"), "graph/curated/hub"),
             _q("id/hub-country", SKOS + "prefLabel", ox.Literal("Hub Country", language="en"), "graph/curated/hub")]
    for n in range(120):
        quads += [_q(f"id/citizen-{n:03d}", SKOS + "prefLabel", ox.Literal(f"Citizen {n:03d}", language="en"),
                     "graph/curated/hub"),
                  _q(f"id/citizen-{n:03d}", J + "nationality", "id/hub-country", f"graph/testimony/c-{n % 7}")]
    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.apply(insert=quads)
    store.close()
    del store
    app = create_app(Settings(store=str(path), rate_limit=""))
    try:
        got = walk(app.test_client(), "/id/hub-country.json")
    finally:
        _close(app)
    assert [p["paging"]["links"]["total"] for p in got] == [120] * 3
    values = [v["term"]["value"] for page in got for g in page["linked_from"] for v in g["values"]]
    assert len(values) == len(set(values)) == 120  # each once, none lost
    assert set(values) == {f"{BASE}id/citizen-{n:03d}" for n in range(120)}
    assert got[0]["paging"]["full_lists"] == []  # no people or events here: no saved query for them


@pytest.mark.parametrize("token", [False, True])
def test_the_engines_reading_of_a_place_equals_the_pattern_reading(app, token, monkeypatch):
    """Page._place_rows (two queries the engine answers whole) gives the same lists, in the
    same order, as reading the patterns one by one (the path of stores that cannot answer
    such a query over the caller's dataset)."""
    from justicegraph.server.content import view
    from justicegraph.server.web import context

    headers = {"Authorization": f"Bearer {READ}"} if token else {}
    with app.test_request_context("/id/big-prison", headers=headers):
        app.preprocess_request()
        store, dataset = context.store(), context.query_dataset()
        assert set(dataset) == {"union"}  # a snapshot: the engine's path is taken

        def index(rows):
            page = view.Page(store, f"{BASE}id/big-prison", dataset, app.config["JUSTICEGRAPH"])
            page.reader.memo, page._labelled = None, {}
            if not rows:
                monkeypatch.setattr(page, "_place_rows", lambda events: None)
            own = page.reader.quads(None, None, page.node)
            events = list(dict.fromkeys(q.subject for q in own if q.predicate.value.endswith(("#place", "#fromPlace"))))
            return page._place_index(events)

        engine, patterns = index(True), index(False)
    assert engine == patterns
    assert len(engine["people"]) == PUBLIC + (SEALED if token else 0)
