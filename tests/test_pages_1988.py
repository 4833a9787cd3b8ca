"""Every entity page of the 1988 dataset, as a researcher reads it (Flask test client): a
network whose every edge joins two drawn nodes, no internal names, every ¶ link landing on
an anchor of the source's page, summaries never set as quotations, derived values never
given as a speaker's — and, after the reasoner's inferred graph is written, inferences read
as the reasoner's while every graph keeps its voice."""

from __future__ import annotations

import re
import shutil
from collections import Counter

import pytest
from markupsafe import escape
from stores import new_store, settings
from test_pages_modes import INTERNAL, section, summaries_are_plain, visible_text

from justicegraph.server.app import create_app

BASE = "https://w3id.org/justicegraph/"
LABELLED = """SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }
  FILTER(STRSTARTS(STR(?s), "https://w3id.org/justicegraph/id/")) } ORDER BY ?s"""
SUMMARIES = "SELECT DISTINCT ?t WHERE { GRAPH ?g { ?s <https://w3id.org/justicegraph/ontology#summary> ?t } }"
LOCATOR_LINK = re.compile(r'href="/id/([a-z0-9-]+)#p(\d+)"')


@pytest.fixture(scope="module")
def loaded():
    from justicegraph.loaders import load
    from justicegraph.resources import dataset_dir

    store = new_store()
    load(store, [dataset_dir("1988")])
    return store


@pytest.fixture(scope="module")
def pages(loaded):
    """Every entity page, HTML and JSON, read once for the module."""
    client = create_app(settings(), store=loaded).test_client()
    ids = [r["s"].value[len(BASE + "id/"):] for r in loaded.query(LABELLED, union=True)]
    assert len(ids) >= 186  # docs/dataset.md: people, organisations, places, events, documents, the source
    out = {}
    for record_id in ids:
        html = client.get(f"/id/{record_id}", headers={"Accept": "text/html"})
        data = client.get(f"/id/{record_id}.json")
        assert html.status_code == data.status_code == 200, record_id
        out[record_id] = (html.get_data(as_text=True), data.get_json())
    return client, out


def test_every_entity_page_has_a_network_whose_edges_join_drawn_nodes(pages):
    _, found = pages
    for record_id, (_, data) in found.items():
        network = data["network"]
        ids = {n["id"] for n in network["nodes"]}
        assert len(ids) >= 2, record_id  # never an empty box
        dangling = [e for e in network["edges"] if e["source"] not in ids or e["target"] not in ids]
        assert not dangling, (record_id, dangling[:3])
        assert all(e["label"] for e in network["edges"]), record_id  # every line says what it is
        assert all(n["label"] and not n["label"].startswith("http") for n in network["nodes"]), record_id


def test_no_page_shows_internal_names(pages):
    client, found = pages
    for record_id, (html, _) in found.items():
        text = visible_text(html)
        hit = INTERNAL.search(text)
        assert not hit, (record_id, text[max(0, hit.start() - 80):hit.end() + 80])
    for graph in ("testimony/t-hajinejad", "source/inn-live-report", "curated/1988", "provenance"):
        text = visible_text(client.get(f"/graph/{graph}").get_data(as_text=True))
        assert not INTERNAL.search(text), graph


def test_every_paragraph_link_lands_on_an_anchor_of_the_source_page(pages):
    client, found = pages
    links = Counter()
    for html, _ in found.values():
        links.update(LOCATOR_LINK.findall(html))
    links.update(LOCATOR_LINK.findall(client.get("/graph/testimony/t-hajinejad").get_data(as_text=True)))
    assert {source for source, _ in links} == {"inn-live-report"}
    assert len(links) > 60  # most paragraphs of the report are cited somewhere
    source = found["inn-live-report"][0]
    for _, paragraph in links:
        assert f'<div class="paragraph" id="p{paragraph}">' in source, paragraph
    # the source's page lists what was recorded from ¶56, Hajinejad's testimony among it
    p56 = source[source.index('id="p56"'):source.index('id="p57"')]
    assert "Hajinejad says the regime killed four of her brothers and sisters." in p56


def test_no_summary_is_set_as_a_quotation(pages, loaded):
    _, found = pages
    summaries = {r["t"].value for r in loaded.query(SUMMARIES, union=True)}
    shown = Counter()
    for html, _ in found.values():
        on_page = [s for s in summaries if str(escape(s)) in html]
        summaries_are_plain(html, on_page)
        shown.update(on_page)
    assert set(shown) == summaries  # every statement appears on some page, always as a summary


def test_no_derived_value_is_given_as_a_speakers(pages):
    """The Noury trial: its time was worked out by the editors; its earliest/latest days
    were computed by the loader. Neither reads "stated by" or "according to" anyone."""
    _, found = pages
    html, data = found["noury-trial"]
    text = visible_text(html)
    assert "2021-06-01" not in text and "2021-12-31" not in text and "stated by" not in text
    when = section(html, "when-where")
    derived = re.search(r'<span class="when derived">.*?</span></span>', when, re.S).group(0)
    assert "June – December 2021" in derived and "worked out" in derived
    assert "Under way at the time of the conference" in derived
    assert "according to" not in derived and "Hajinejad" not in derived
    assert [w["derived"] for w in data["event"]["when"]] == [True]
    for record_id, (page, _) in found.items():  # no computed bound anywhere
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", visible_text(page)), record_id


def test_person_prison_event_and_source_pages_read_as_prose(pages):
    _, found = pages
    person = visible_text(found["mehri-hajinejad"][0])
    for heading in ("What happened to them", "What they said", "Relatives", "Names and spellings"):
        assert heading in person
    # her imprisonment: the report's caption and her own testimony, each with its paragraph
    imprisonment = next(e for e in found["mehri-hajinejad"][1]["timeline"]
                        if e["event"]["label"] == "Imprisonment of Mehri Hajinejad")
    assert [(r["role"], [(c["voice"], c["locator"]) for c in r["cites"]]) for r in imprisonment["roles"]] == \
        [("detainee", [("source", "¶54–55"), ("testimony", "¶56")])]
    assert 'href="/id/inn-live-report#p54"' in found["mehri-hajinejad"][0]
    prison = found["evin-prison"][1]
    held = {p["agent"]["label"]: [s["role"] for s in p["stays"]] for p in prison["held_here"]}
    assert held["Abulfazl Mahzoon"] == ["detainee", "detainee"] and "Ashraf Ahmadi" in held
    event = found["massacre-1988"][1]
    assert {g["role"] for g in event["participants"]} >= {"victim", "alleged perpetrator", "survivor"}
    assert len(event["parts"]) > 10
    source = found["inn-live-report"][1]
    assert source["source"]["publisher"] == "Iran News Now" and source["source"]["url"] is None
    assert len(source["testimonies"]) == 20
    assert "does not record where the original is published" in visible_text(found["inn-live-report"][0])


@pytest.mark.skipif(shutil.which("java") is None, reason="Java is not installed (HermiT needs it)")
def test_after_reasoning_inferences_are_the_reasoners_and_records_keep_their_voice(loaded):
    """The documented `reason --materialize`: inferred triples read as the reasoner's, never
    "[InferredGraph]"; the identity records stay the project's (not "graph [AssertionGraph]")."""
    from stores import REMOTE

    from justicegraph.reasoning.store import reason_store

    if REMOTE:
        pytest.skip("reasons over the embedded test store")
    s = settings()
    outcome, _ = reason_store(loaded, s, materialize=True)
    client = create_app(s, store=loaded).test_client()
    for record_id in ("mehri-hajinejad", "hajinejad-sibling-1", "massacre-1988", "evin-prison"):
        html = client.get(f"/id/{record_id}").get_data(as_text=True)
        assert not INTERNAL.search(visible_text(html)), record_id
        data = client.get(f"/id/{record_id}.json").get_json()
        assert {c["voice"] for name in data["names"] for c in name["cites"]} == {"project"}, record_id
        assert all(d["cite"]["voice"] == "reasoner" for d in data["derived"]), record_id
    sibling = client.get("/id/hajinejad-sibling-1.json").get_json()
    assert sibling["derived"], "the reasoner adds the sibling relation read both ways"
