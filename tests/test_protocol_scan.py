"""The request scanner that finds SERVICE, LOAD, FROM and the query form before the engine
sees a request, and the Accept parser — unit tests of the pieces the HTTP tests rely on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from justicegraph.server.protocol.scan import allowed, scan_query, scan_update, with_using
from justicegraph.server.web import conneg


@pytest.mark.parametrize("text, services", [
    ("SELECT * { SERVICE <http://a/> { ?s ?p ?o } }", ["http://a/"]),
    ("select * { service silent <http://a/> {} }", ["http://a/"]),
    ("PREFIX r: <http://r/> SELECT * { SERVICE r:x {} }", ["http://r/x"]),
    ("BASE <http://b/> SELECT * { SERVICE <rel> {} }", ["http://b/rel"]),
    ("SELECT * { SERVICE ?endpoint {} }", [None]),
    ("SELECT * { ?s ?p 'SERVICE <http://a/>' }", []),
    ('SELECT * { ?s ?p """\nSERVICE <http://a/>\n""" }', []),
    ("SELECT * { ?s ?p ?o } # SERVICE <http://a/>", []),
    ("PREFIX service: <http://x/> SELECT ?service { ?service service:service ?o }", []),
    ("SELECT * { ?s <http://x/#SERVICE> ?o }", []),
])
def test_service_targets(text, services):
    assert scan_query(text).services == services


def test_query_form_and_dataset_clauses():
    scan = scan_query("PREFIX ex: <http://ex/> # ASK\nCONSTRUCT { ?s ?p ?o } FROM ex:a FROM NAMED <http://ex/b> "
                      "WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert scan.form == "CONSTRUCT"
    assert scan.from_graphs == ["http://ex/a"] and scan.from_named == ["http://ex/b"]
    # FROM inside a sub-select is not a dataset clause of the query
    assert scan_query("SELECT * { { SELECT * FROM <http://x/> { ?s ?p ?o } } }").from_graphs == []


def test_update_operations():
    scan = scan_update("LOAD <http://a/x.ttl> ; LOAD SILENT <http://b/> INTO GRAPH <http://g/> ; "
                       "INSERT DATA { <a:s> <a:p> 'WHERE' } ; DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert scan.loads == ["http://a/x.ttl", "http://b/"]
    assert not scan.has_dataset_clause and len(scan.using_positions) == 1
    assert scan_update("WITH <http://g/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }").has_dataset_clause
    assert scan_update("DELETE {} USING <http://g/> WHERE {}").has_dataset_clause
    # an update of INSERT DATA only is computed without copying the store
    assert scan_update("PREFIX a: <a:> INSERT DATA { a:s a:p 1 } ; insert data { GRAPH a:g { a:s a:p 2 } }").insert_data_only
    assert not scan_update("INSERT DATA { <a:s> <a:p> 1 } ; DELETE DATA { <a:s> <a:p> 1 }").insert_data_only
    assert not scan.insert_data_only


def test_using_is_inserted_before_each_where():
    text = "INSERT { ?s a <a:T> } WHERE { ?s ?p ?o } ; DELETE WHERE { ?s ?p ?o } ; DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"
    scan = scan_update(text)
    out = with_using(text, scan.using_positions, ["http://g/"], ["http://n/"])
    assert out.count("USING <http://g/> USING NAMED <http://n/> WHERE") == 2
    assert "DELETE WHERE { ?s ?p ?o }" in out


def test_allowlist():
    assert allowed("https://query.wikidata.org/sparql", ["https://query.wikidata.org/"])
    assert not allowed("https://query.wikidata.org.evil/x", ["https://query.wikidata.org/"])
    assert not allowed(None, ["http://"])
    assert not allowed("http://a/", [])


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_text_inside_a_string_is_never_a_keyword(inner):
    escaped = inner.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    scan = scan_query(f'SELECT * WHERE {{ ?s ?p "{escaped} SERVICE <http://a/> LOAD <http://b/>" }}')
    assert scan.services == [] and scan.form == "SELECT"


@pytest.mark.parametrize("accept, offers, expected", [
    ("text/turtle;q=0, */*", conneg.GRAPHS, "ntriples"),
    ("application/ld+json;q=0.5, text/turtle;q=0.4", conneg.GRAPHS, "jsonld"),
    ("application/*", conneg.GRAPHS, "ntriples"),
    ("", conneg.RESULTS, "json"),
    ("garbage, text/csv", conneg.RESULTS, "csv"),
    ("text/csv;q=abc, text/tab-separated-values", conneg.RESULTS, "tsv"),
    ("image/png", conneg.RESULTS, None),
])
def test_accept_negotiation(accept, offers, expected):
    chosen = conneg.negotiate(accept, offers)
    assert (chosen and chosen.name) == expected


def test_browsers_are_recognised():
    firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert conneg.prefers_html(firefox)
    assert not conneg.prefers_html("*/*")
    assert not conneg.prefers_html("text/turtle, text/html;q=0.5")
