"""What a page says an item is: a project's summary is never a quotation, a derived value is
never someone's words, the reasoner's inferences are the reasoner's, a caption is the
source's. One test per kind, on the pages' fixture with the records of that kind added."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
from markupsafe import escape
from test_pages import text_of
from test_pages_fixture import BASE, app, client, store  # noqa: F401

JG = "https://w3id.org/justicegraph/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
EDTF = "http://id.loc.gov/datatypes/edtf/EDTF"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
KAMRAN = BASE + "graph/testimony/kamran-sample-report-2023"
SOURCE = BASE + "graph/source/report-2023"
INFERRED = BASE + "graph/inferred"
PROVENANCE = BASE + "graph/provenance"
# Internal names a reader must never see: prefixed names, graph classes, the old wording.
INTERNAL = re.compile(r"\b(jg|rdfs|rdf|skos|dcterms|prov|owl|xsd|foaf|edtf):[A-Za-z]|CuratedGraph|AssertionGraph|"
                      r"InferredGraph|SourceNarration|\[Testimony\]|[Cc]urated record|stated by")


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri if "://" in iri else BASE + "id/" + iri)


def quad(s, p, o, g) -> ox.Quad:
    return ox.Quad(n(s), ox.NamedNode(p if "://" in p else JG + p),
                   o if isinstance(o, (ox.Literal, ox.NamedNode)) else n(o), ox.NamedNode(g))


def visible_text(html: str) -> str:
    """The page as a reader sees it: no script blocks (the network's data), no attributes."""
    return text_of(re.sub(r"<script.*?</script>", " ", html, flags=re.S))


def section(html: str, ident: str) -> str:
    start = html.index(f'id="{ident}"')
    end = html.find("<section", start + 1)
    return html[start:end if end > 0 else len(html)]


def summaries_are_plain(html: str, summaries) -> None:
    """Every summary sits in a span.summary, and nothing on the page is set as a quotation."""
    assert "<q" not in html and "<blockquote" not in html
    for summary in (str(escape(s)) for s in summaries):  # as the page writes it
        assert f'<span class="summary" title="The project\'s summary, in its own words">{summary}</span>' in html, summary
        for before, after in (("“", "”"), ('"', '"'), ("‘", "’"), ("&#34;", "&#34;"), ("&quot;", "&quot;")):
            assert f"{before}{summary}{after}" not in html, summary


def test_a_derived_time_is_marked_worked_out_and_no_computed_bound_is_shown(client, store):  # noqa: F811
    store.apply(insert=[
        quad("death-commission-gohardasht", "timeNote", ox.Literal("Worked out from the hearing before it."), KAMRAN),
        quad("death-commission-gohardasht", "timeDerived", ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
             KAMRAN)])
    for url in ("/id/death-commission-gohardasht", "/id/hamid-noury", "/id/gohardasht-prison", "/id/trial-noury",
                "/graph/testimony/kamran-sample-report-2023"):
        html = client.get(url).get_data(as_text=True)
        # the loader's earliest/latest days order timelines: never shown as anyone's value
        for computed in ("1988-07-01", "1988-08-31", "2021-08-01", "2022-07-31"):
            assert computed not in visible_text(html), (url, computed)
        assert not INTERNAL.search(visible_text(html)), (url, INTERNAL.search(visible_text(html)))
    html = client.get("/id/death-commission-gohardasht").get_data(as_text=True)
    when = section(html, "when-where")
    derived = re.search(r'<span class="when derived">(.*?)</span></span>', when, re.S)
    assert derived and "July – August 1988" in derived.group(1) and "worked out" in derived.group(1)
    assert "Worked out from the hearing before it." in derived.group(1)
    assert "according to" not in derived.group(0) and "Kamran Sample" not in derived.group(0)
    data = client.get("/id/death-commission-gohardasht.json").get_json()
    assert [w["derived"] for w in data["event"]["when"]] == [True]
    # a time as stated is someone's: it says whose
    trial = client.get("/id/trial-noury").get_data(as_text=True)
    assert re.search(r"August 2021 – July 2022</time> <small>— <span class=\"cite\"><span class=\"voice voice-source\">"
                     r"according to", trial)


def test_summaries_are_the_projects_words_never_quotations(client, store):  # noqa: F811
    summaries = ("Says the official read out the names of prisoners taken to the commission.",
                 "Says she saw the official during her imprisonment.", "Calls the killings a genocide.")
    for url in ("/id/hamid-noury", "/id/massacre-1988", "/id/kamran-sample", "/id/shirin-example",
                "/graph/testimony/kamran-sample-report-2023", "/graph/testimony/shirin-example-report-2023"):
        html = client.get(url).get_data(as_text=True)
        summaries_are_plain(html, [s for s in summaries if s in html])
    # the mode says how the source carried what the summary sums up; the summary stays plain
    store.apply(insert=[
        quad("s-kamran-accuses-noury", "mode", n("https://w3id.org/justicegraph/vocab/mode/quotation"), KAMRAN),
        quad("s-shirin-saw-noury", "mode", n("https://w3id.org/justicegraph/vocab/mode/paraphrase"),
             BASE + "graph/testimony/shirin-example-report-2023")])
    html = client.get("/id/hamid-noury").get_data(as_text=True)
    summaries_are_plain(html, summaries[:2])
    text = visible_text(section(html, "said-about"))
    assert re.search(r"read out the names .* quoted Kamran Sample ?, in their own words as quoted", text)
    assert re.search(r"saw the official .* reported speech Shirin Example ?, as reported", text)
    data = client.get("/id/hamid-noury.json").get_json()
    assert {s["cite"]["mode"] for g in data["said_about"] for s in g["items"]} == {"quotation", "paraphrase"}
    # the editors' description is theirs, not the person's
    assert re.search(r"Former prison official \(test fixture\)\. — the project's description",
                     visible_text(html))


def test_inferred_statements_read_as_the_reasoners_and_graphs_keep_their_voice(client, store):  # noqa: F811
    reasoning = BASE + "reasoning/run-1"
    store.apply(insert=[
        quad("death-commission-gohardasht", "participant", "hamid-noury", INFERRED),
        quad("hamid-noury", RDF_TYPE, n(JG + "Agent"), INFERRED),
        # what the reasoner infers about the graphs themselves (their superclass)
        ox.Quad(n(BASE + "graph/curated/fixture"), ox.NamedNode(RDF_TYPE), n(JG + "AssertionGraph"),
                ox.NamedNode(INFERRED)),
        ox.Quad(n(KAMRAN), ox.NamedNode(RDF_TYPE), n(JG + "AssertionGraph"), ox.NamedNode(INFERRED)),
        ox.Quad(n(INFERRED), ox.NamedNode(RDF_TYPE), n(JG + "InferredGraph"), ox.NamedNode(PROVENANCE)),
        ox.Quad(n(INFERRED), ox.NamedNode(PROV + "wasGeneratedBy"), n(reasoning), ox.NamedNode(PROVENANCE))])
    html = client.get("/id/hamid-noury").get_data(as_text=True)
    text = visible_text(html)
    assert not INTERNAL.search(text), INTERNAL.search(text)
    derived = visible_text(section(html, "derived"))
    assert "Worked out by the reasoner" in derived and "Death commission at Gohardasht" in derived
    assert "according to" not in derived
    data = client.get("/id/hamid-noury.json").get_json()
    assert {c["voice"] for name in data["names"] for c in name["cites"]} == {"project"}
    assert {s["cite"]["voice"] for g in data["said_about"] for s in g["items"]} == {"testimony"}
    assert [d["cite"]["voice"] for d in data["derived"]] == ["reasoner"]
    assert data["derived"][0]["cite"]["mode"] == "derived"
    graph = client.get("/graph/inferred").get_data(as_text=True)
    assert "Inferences by the reasoner" in graph and not INTERNAL.search(visible_text(graph))


def test_a_caption_reads_as_the_sources_caption(client, store):  # noqa: F811
    store.apply(insert=[
        quad("p-noury-trial", "mode", n("https://w3id.org/justicegraph/vocab/mode/caption"), SOURCE)])
    timeline = visible_text(section(client.get("/id/hamid-noury").get_data(as_text=True), "timeline"))
    # (every item of the page comes from that one source, named once at the top)
    assert re.search(r"as defendant — the source's caption ?, ¶12", timeline)


def test_relationship_records_carry_their_locator_and_mode(client, store):  # noqa: F811
    """A relation given as one voice's jg:Relationship (with locator and mode) beside its
    plain triple: one relative, cited once, with the paragraph and how the source gives it."""
    rel = "r-shirin-kamran"
    store.apply(insert=[
        quad("shirin-example", "siblingOf", "kamran-sample", BASE + "graph/testimony/shirin-example-report-2023"),
        quad(rel, RDF_TYPE, n(JG + "Relationship"), BASE + "graph/testimony/shirin-example-report-2023"),
        quad(rel, "person", "shirin-example", BASE + "graph/testimony/shirin-example-report-2023"),
        quad(rel, "other", "kamran-sample", BASE + "graph/testimony/shirin-example-report-2023"),
        quad(rel, "relationType", n("https://w3id.org/justicegraph/vocab/relation/sibling"),
             BASE + "graph/testimony/shirin-example-report-2023"),
        quad(rel, "locator", ox.Literal("¶57"), BASE + "graph/testimony/shirin-example-report-2023"),
        quad(rel, "mode", n("https://w3id.org/justicegraph/vocab/mode/quotation"),
             BASE + "graph/testimony/shirin-example-report-2023")])
    for here, other in (("kamran-sample", "Shirin Example"), ("shirin-example", "Kamran Sample")):
        relatives = client.get(f"/id/{here}.json").get_json()["relatives"]
        assert [(r["person"]["label"], r["relation"]) for r in relatives] == [(other, "sibling")]
        assert [(c["locator"], c["mode"]) for c in relatives[0]["cites"]] == [("¶57", "quotation")]


def test_the_source_page_says_where_the_original_is_and_indexes_its_paragraphs(client, store):  # noqa: F811
    html = client.get("/id/report-2023").get_data(as_text=True)
    assert "does not record where the original is published" in html
    for anchor in ("p12", "p41", "p55", "p56", "p57"):
        assert f'id="{anchor}"' in html, anchor
    p41 = section(html, "p41") if 'id="p41"' in html else ""
    assert "read out the names of prisoners" in html[html.index('id="p41"'):html.index('id="p55"')], p41
    store.apply(insert=[quad("report-2023", "http://xmlns.com/foaf/0.1/page",
                             n("https://example.org/reports/conference"), BASE + "graph/curated/fixture")])
    html = client.get("/id/report-2023").get_data(as_text=True)
    assert '<a class="original" href="https://example.org/reports/conference" rel="noopener noreferrer">' in html


def test_a_testimony_page_shows_what_was_said_in_it(client):  # noqa: F811
    html = client.get("/graph/testimony/kamran-sample-report-2023").get_data(as_text=True)
    text = visible_text(html)
    assert "Testimony of Kamran Sample" in text
    assert "Says the official read out the names of prisoners taken to the commission." in text
    events = visible_text(section(html, "events"))
    assert re.search(r"Death commission at Gohardasht .*Hamid Noury as alleged perpetrator ¶41", events)
    assert re.search(r"Kamran Sample as detainee ¶41", events)
    assert 'href="/id/report-2023#p40"' in html  # the testimony's span, linked into the source
    assert not INTERNAL.search(text)


@pytest.mark.parametrize("url", ["/id/hamid-noury", "/id/ghezelhesar-prison", "/id/death-commission-gohardasht",
                                 "/id/report-2023", "/id/stockholm-court", "/id/s-kamran-accuses-noury",
                                 "/id/p-noury-dc", "/graph/curated/fixture", "/graph/source/report-2023",
                                 "/graph/provenance"])
def test_no_internal_names_reach_a_reader(client, url):  # noqa: F811
    html = client.get(url).get_data(as_text=True)
    found = INTERNAL.search(visible_text(html))
    assert not found, (url, found and visible_text(html)[max(0, found.start() - 80):found.end() + 80])
