"""Pages for people: entity pages, home, search, query editor, ontology — and their JSON twins."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pyoxigraph as ox
import pytest
from test_pages_fixture import AUTH, BASE, SECRETS, app, client, store  # noqa: F401

from justicegraph import resources


class Scripts(HTMLParser):
    """Collects <script> tags: (attributes, body)."""

    def __init__(self):
        super().__init__()
        self.scripts, self._current = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._current = [dict(attrs), ""]

    def handle_data(self, data):
        if self._current is not None:
            self._current[1] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._current is not None:
            self.scripts.append(tuple(self._current))
            self._current = None


def scripts_of(html: str):
    parser = Scripts()
    parser.feed(html)
    return parser.scripts


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_person_page_shows_names_and_the_testimonies_about_him_with_speakers(client):  # noqa: F811
    response = client.get("/id/hamid-noury", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    text = text_of(html)
    assert "<h1>Hamid Noury</h1>" in html
    for spelling in ("Hamid Nouri", "Hamid Abbasi", "حميد نوري"):
        assert spelling in text
    assert '<span class="name" lang="fa">حميد نوري</span> <small>Persian</small>' in html
    # what others said about him: the summary, then who said it, where (a ¶ link into the source)
    said_about = text_of(html[html.index('id="said-about"'):html.index('id="network"')])
    assert re.search(r"read out the names of prisoners .*according to Kamran Sample ?, ¶41", said_about)
    assert re.search(r"saw the official .*according to Shirin Example ?, ¶56", said_about)
    assert 'href="/id/report-2023#p41"' in html and 'href="/id/report-2023#p56"' in html
    assert "Everything on this page comes from" in text and "Conference report (fixture)" in text
    # what happened to him: his roles in events, linked, in date order, each with its voice
    timeline = html[html.index('id="timeline"'):html.index('id="said-about"')]
    assert 'href="/id/death-commission-gohardasht"' in timeline and "alleged perpetrator" in timeline
    assert 'href="/id/trial-noury"' in timeline and "defendant" in timeline
    assert timeline.index("July – August 1988") < timeline.index("August 2021 – July 2022")
    assert re.search(r"as defendant — according to Conference report \(fixture\) ?, ¶12", text_of(timeline))


def test_prison_page_lists_who_was_held_there_when_and_according_to_whom(client):  # noqa: F811
    html = client.get("/id/ghezelhesar-prison").get_data(as_text=True)
    assert "Ghezel Hesar Prison" in html
    held = html[html.index('id="held-here"'):]
    row = text_of(held[held.index("Azadali Hajilouei"):held.index("</tr>", held.index("Azadali Hajilouei"))])
    assert "detainee" in row and "Detention of Azadali Hajilouei" in row and "1984 – 1988" in row
    assert re.search("according to Shirin Example ?, ¶55", row)
    event = client.get("/id/death-commission-gohardasht.json").get_json()
    assert {g["role"] for g in event["participants"]} == {"detainee", "alleged perpetrator"}
    assert event["event"]["when"][0]["edtf"] == "1988-07/1988-08" and not event["event"]["when"][0]["derived"]
    assert [w["term"]["label"] for w in event["event"]["where"]] == ["Gohardasht Prison"]


def test_page_json_twin_by_suffix_and_accept(client):  # noqa: F811
    by_suffix = client.get("/id/hamid-noury.json")
    by_accept = client.get("/id/hamid-noury", headers={"Accept": "application/json"})
    assert by_suffix.mimetype == by_accept.mimetype == "application/json"
    data = by_suffix.get_json()
    assert data == by_accept.get_json()
    assert data["iri"] == BASE + "id/hamid-noury" and data["kind"] == "person"
    speakers = {item["cite"]["speaker"]["label"] for group in data["said_about"] for item in group["items"]}
    assert speakers == {"Kamran Sample", "Shirin Example"}
    nodes = {n["id"] for n in data["network"]["nodes"]}
    assert {BASE + "id/trial-noury", BASE + "id/kamran-sample", BASE + "id/death-commission-gohardasht"} <= nodes
    assert all(e["source"] in nodes and e["target"] in nodes for e in data["network"]["edges"])


def test_restricted_material_only_with_the_read_token(client):  # noqa: F811
    for url in ("/id/hamid-noury", "/id/hamid-noury.json", "/", "/index.json", "/id/report-2023"):
        body = client.get(url).get_data(as_text=True)
        assert not any(secret in body for secret in SECRETS), url
    opened = client.get("/id/hamid-noury", headers=AUTH).get_data(as_text=True)
    assert "CONFIDENTIAL-MARKER" in opened and "Hidden Witness Zarbaf" in opened and "restricted" in opened


def test_values_are_escaped_and_no_inline_script(client, store):  # noqa: F811
    evil = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'
    person = ox.NamedNode(BASE + "id/hamid-noury")
    store.apply(insert=[ox.Quad(person, ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel"),
                                ox.Literal(evil, language="en"), ox.NamedNode(BASE + "graph/curated/fixture")),
                        ox.Quad(ox.NamedNode(BASE + "id/kamran-sample"),
                                ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
                                ox.Literal(evil, language="fa"), ox.NamedNode(BASE + "graph/curated/fixture"))])
    for url in ("/id/hamid-noury", "/search?q=script", "/queries/none", "/"):
        response = client.get(url, headers={"Accept": "text/html"})
        html = response.get_data(as_text=True)
        assert '<script>alert' not in html and "<img src=x" not in html, url
        for attrs, body in scripts_of(html):
            # every script is a file from this origin or an inert JSON data block
            assert attrs.get("src", "").startswith("/static/") or attrs.get("type") == "application/json", url
            if attrs.get("type") == "application/json":
                json.loads(body)  # still valid JSON after escaping
                assert "</" not in body
    page = client.get("/id/hamid-noury").get_data(as_text=True)
    assert "&lt;/script&gt;&lt;script&gt;alert" in page


def test_security_headers_on_pages(client):  # noqa: F811
    for url in ("/", "/id/hamid-noury", "/query", "/ontology", "/search?q=evin"):
        csp = client.get(url).headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "connect-src 'self'" in csp


def test_home_page_counts_sources_saved_queries_and_links(client):  # noqa: F811
    data = client.get("/index.json").get_json()
    counts = {c["class"]["short"]: c["count"] for c in data["classes"]}
    assert counts["jg:Person"] == 4  # the restricted person is not counted
    assert counts["jg:Prison"] == 2
    assert [s["title"] for s in data["sources"]] == ["Conference report (fixture)"]
    assert data["links"]["query"] == "/query" and data["links"]["dump"] == "/dump"
    assert client.get("/index.json", headers=AUTH).get_json()["classes"][0]["count"] >= 5
    html = client.get("/").get_data(as_text=True)
    assert 'action="/search"' in html and 'href="/query"' in html and 'href="/dump"' in html
    assert "Conference report (fixture)" in html
    for query in data["saved_queries"]:
        assert f'href="/queries/{query["name"]}"' in html


def test_search_page_without_javascript(client):  # noqa: F811
    html = client.get("/search?q=Nouri").get_data(as_text=True)
    assert 'href="/id/hamid-noury"' in html
    assert client.get("/search.json?q=ghezel hesar").get_json()["hits"][0]["href"] == "/id/ghezelhesar-prison"


def test_query_editor_is_served_from_this_server(client):  # noqa: F811
    html = client.get("/query").get_data(as_text=True)
    sources = [attrs["src"] for attrs, _ in scripts_of(html) if "src" in attrs]
    assert "/static/vendor/yasgui.min.js" in sources
    assert all(src.startswith("/static/") for src in sources)
    assert client.get("/static/vendor/yasgui.min.js").status_code == 200
    assert client.get("/static/vendor/yasgui.min.css").status_code == 200
    assert client.get("/static/vendor/cytoscape.min.js").status_code == 200
    config = client.get("/query.json").get_json()["config"]
    from justicegraph.namespaces import PREFIXES

    assert config["prefixes"] == PREFIXES and config["endpoint"] == "/sparql"
    assert {e["name"] for e in config["examples"]} == {q["name"] for q in client.get("/api/queries").get_json()["queries"]}


def test_ontology_documentation_covers_every_term(client):  # noqa: F811
    from rdflib import OWL, RDF, URIRef

    html = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    onto = resources.ontology_graph()
    jg = "https://w3id.org/justicegraph/ontology#"
    terms = {s for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
             for s in onto.subjects(RDF.type, kind) if isinstance(s, URIRef) and str(s).startswith(jg)}
    assert len(terms) > 30
    for term in terms:
        assert f'id="{term[len(jg):]}"' in html, term
    assert 'id="vocab-role-victim"' in html
    doc = client.get("/ontology.json").get_json()
    assert sum(len(s["terms"]) for s in doc["sections"]) >= len(terms)


class WithoutEngine:
    """The same store seen through the GraphStore interface only (as a remote store is):
    pages then take their SPARQL path instead of reading the engine's indexes."""

    def __init__(self, store):  # noqa: F811
        self._store = store

    def __getattr__(self, name):
        if name == "engine":
            raise AttributeError(name)
        return getattr(self._store, name)


@pytest.mark.embedded_only("compares the embedded engine's index path with the SPARQL path remote stores take")
def test_sparql_path_and_engine_path_give_the_same_pages(store):  # noqa: F811
    from test_pages_fixture import READ_TOKEN

    from justicegraph.server.app import create_app
    from justicegraph.settings import Settings

    settings = Settings.from_env({}, store="memory", read_token=READ_TOKEN)
    fast = create_app(settings, store=store).test_client()
    portable = create_app(settings, store=WithoutEngine(store)).test_client()
    for url in ("/id/hamid-noury.json", "/id/ghezelhesar-prison.json", "/id/death-commission-gohardasht.json",
                "/index.json", "/api/search?q=nouri", "/graph/testimony/kamran-sample-report-2023.json"):
        for headers in ({}, AUTH):
            assert canonical(fast.get(url, headers=headers).get_json()) == \
                canonical(portable.get(url, headers=headers).get_json()), url


def canonical(value):
    """The same content whatever order the quads came in."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


@pytest.mark.parametrize("edtf, words", [
    ("1988", "1988"), ("1988-07", "July 1988"), ("1988-07-19", "19 July 1988"), ("1988-22", "summer 1988"),
    ("198X", "the 1980s"), ("19XX", "the 1900s"), ("1988~", "about 1988"), ("1988?", "1988 (uncertain)"),
    ("1988-07/1988-08", "July – August 1988"), ("1981/1988", "1981 – 1988"), ("../1979", "until 1979"),
    ("1986/..", "from 1986"), ("2021-06/2022-01", "June 2021 – January 2022"), ("not a time", "not a time"),
])
def test_times_read_in_words_as_pages_print_them(edtf, words):
    from justicegraph.server.content.view import human_time

    assert human_time(edtf) == words


def test_counts_and_durations_read_in_words():
    from justicegraph.server.content.view import count_text, human_duration, unit_words

    four, thirty = ox.Literal("4"), ox.Literal("30000")
    assert count_text(four, four) == "4" and count_text(thirty, None) == "at least 30,000"
    assert count_text(None, ox.Literal("600")) == "at most 600"
    assert count_text(ox.Literal("P30Y"), None, human_duration) == "at least 30 years"
    assert human_duration("P1Y6M") == "1 year 6 months" and human_duration("PT2H") == "2 hours"
    assert unit_words("person", "4") == "people" and unit_words("person", "1") == "person"
    assert unit_words("per cent", "at least 90") == "per cent" and unit_words("document", "2") == "documents"
