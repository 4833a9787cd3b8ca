"""Hostile texts for the scan that stands between a caller and the network: a SERVICE or LOAD
the scan misses is a request the server makes on a caller's behalf.

Each case states what the scan must report; pyoxigraph, given the same text with a loopback
listener standing in for every endpoint, is the referee: where the scan reports nothing,
the engine must reach nothing. Random token soup (hypothesis) never crashes the analysis,
and the same referee holds for it — including keywords glued to the next token, which
pyoxigraph's PEG parser reads (``SERVICE:a {}`` is ``SERVICE :a {}``).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import Listener

from justicegraph import sparqltext

A = "http://a.example/"


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.close()


# -- what the scan reports -------------------------------------------------------------------
QUERIES = [  # (text, SERVICE targets the scan must report)
    # in comments, strings (all four quotings), IRIs, prefixed names, variables
    (f"SELECT * {{ ?s ?p ?o }} # SERVICE <{A}> {{}}", []),
    (f"SELECT * {{ ?s ?p ?o #x\rSERVICE <{A}> {{}} }}", [A]),  # a comment ends at CR
    (f"SELECT * {{ ?s ?p 'SERVICE <{A}> {{}}' }}", []),
    (f'SELECT * {{ ?s ?p "SERVICE <{A}> {{}}" }}', []),
    (f"SELECT * {{ ?s ?p '''x'' SERVICE <{A}> {{}}''' }}", []),
    (f'SELECT * {{ ?s ?p """x"" \nSERVICE <{A}> {{}}""" }}', []),
    (f'SELECT * {{ ?s ?p "\\" SERVICE <{A}> {{}}" }}', []),
    (f"SELECT * {{ ?s <{A}SERVICE> ?o }}", []),
    (f"PREFIX ex: <{A}> SELECT * {{ ?s ex:service ex:SERVICE }}", []),
    (f"PREFIX service: <{A}> SELECT * {{ ?service service:x service:service . }}", []),
    (f"PREFIX service: <{A}> SELECT * {{ GRAPH service:g {{ ?s ?p ?o }} }}", []),
    ("SELECT ?service ?SERVICE $service { ?service ?p ?SERVICE }", []),
    # the keyword itself: any case, SILENT, a variable endpoint, wherever a group may be
    (f"select * {{ service <{A}> {{}} }}", [A]),
    (f"SELECT * {{ SeRvIcE SiLeNt <{A}> {{}} }}", [A]),
    ("SELECT * { SERVICE ?endpoint {} }", [None]),
    (f"SELECT * {{ {{ {{ {{ SERVICE <{A}> {{}} }} }} }} }}", [A]),
    (f"SELECT * {{ {{ SELECT * {{ SERVICE <{A}x> {{}} }} }} }}", [f"{A}x"]),
    (f"SELECT * {{ OPTIONAL {{ SERVICE <{A}o> {{}} }} MINUS {{ SERVICE <{A}m> {{}} }} "
     f"{{ SERVICE <{A}u> {{}} }} UNION {{ SERVICE <{A}v> {{}} }} }}", [f"{A}o", f"{A}m", f"{A}u", f"{A}v"]),
    (f"SELECT * {{ FILTER EXISTS {{ SERVICE <{A}e> {{}} }} }}", [f"{A}e"]),
    (f"ASK {{ SERVICE <{A}> {{}} }}", [A]),
    (f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{A}> {{}} }}", [A]),
    (f"DESCRIBE ?s WHERE {{ SERVICE <{A}> {{}} }}", [A]),
    (f"PREFIX s: <{A}> SELECT * {{ SERVICE s:a\\/b {{}} }}", [f"{A}a/b"]),
    (f"BASE <{A}> SELECT * {{ SERVICE <../x> {{}} }}", [f"{A}x"]),
    (f"SELECT * {{ SERVICE <{A}\\u0078> {{}} }}", [f"{A}x"]),
    ("SELECT * { SERVICE nope:x {} }", [None]),  # an undeclared prefix: unreadable, refused
    # glued to the next token, as pyoxigraph's PEG parser reads them
    (f"PREFIX : <{A}> SELECT * {{ SERVICE:a {{}} }}", [f"{A}a"]),
    (f"PREFIX ex: <{A}> SELECT * {{ SERVICEex:a {{}} }}", [f"{A}a"]),
    (f"PREFIX : <{A}> SELECT * {{ SERVICESILENT:a {{}} }}", [f"{A}a"]),
    (f"SELECT * {{ SERVICESILENT <{A}> {{}} }}", [A]),
    (f"SELECT * {{ SERVICE<{A}>{{}} }}", [A]),
    (f"SELECT * {{ ?s ?p trueSERVICE <{A}> {{}} }}", [A]),
    (f"SELECT * {{ ?s ?p 1SERVICE <{A}> {{}} }}", [A]),
    (f"PREFIX:<{A}> SELECT * {{ SERVICE :a {{}} }}", [f"{A}a"]),
    (f"PREFIXex:<{A}> SELECT * {{ SERVICE ex:a {{}} }}", [f"{A}a"]),
    # codepoint escapes, decoded before parsing by some engines (SPARQL 1.1 §19.2)
    (f"SELECT * {{ \\u0053ERVICE <{A}> {{}} }}", [A]),
    (f'SELECT * {{ ?s ?p "\\u0022 SERVICE <{A}> {{}} \\u0022" }}', [A]),
]

UPDATES = [  # (text, SERVICE targets, LOAD targets)
    (f"INSERT DATA {{ <{A}s> <{A}p> 'LOAD <{A}> ; SERVICE <{A}> {{}}' }}", [], []),
    (f"# LOAD <{A}>\nCLEAR ALL", [], []),
    ("INSERT DATA { ?load <x:p> $LOAD }", [], []),
    (f"PREFIX load: <{A}> INSERT DATA {{ load:s load:p load:o }} ; WITH load:g DELETE {{}} WHERE {{}}", [], []),
    (f"load <{A}x>", [], [f"{A}x"]),
    (f"LOAD SILENT <{A}x> INTO GRAPH <{A}g>", [], [f"{A}x"]),
    (f"CLEAR ALL ; LOAD <{A}y>", [], [f"{A}y"]),
    (f"PREFIX a: <{A}> CLEAR ALL ; PREFIX b: <{A}b/> LOAD b:y", [], [f"{A}b/y"]),
    (f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{A}w> {{ ?s ?p ?o }} }}", [f"{A}w"], []),
    ("DELETE WHERE { ?s ?p ?o } ; INSERT {} WHERE { OPTIONAL { SERVICE ?x {} } }", [None], []),
    (f"PREFIX : <{A}> LOAD:a", [], [f"{A}a"]),
    (f"LOADSILENT <{A}>", [], [A]),
    (f"PREFIX : <{A}> LOADSILENT:a INTO GRAPH :g", [], [f"{A}a"]),
    (f"CREATE GRAPH <{A}g> LOAD <{A}z>", [], [f"{A}z"]),  # (malformed: no ';') still reported
]


@pytest.mark.parametrize(("text", "services"), QUERIES)
def test_query_scan(text, services):
    assert list(sparqltext.scan_query(text).services) == services


@pytest.mark.parametrize(("text", "services", "loads"), UPDATES)
def test_update_scan(text, services, loads):
    scan = sparqltext.scan_update(text)
    assert list(scan.services) == services and list(scan.loads) == loads


# -- pyoxigraph as the referee --------------------------------------------------------------
def run_on_pyoxigraph(text: str, update: bool) -> None:
    """Give the text to pyoxigraph on an empty store (every outcome but a hang is fine)."""
    store = ox.Store()
    try:
        if update:
            store.update(text)
            return
        result = store.query(text)
        if not isinstance(result, ox.QueryBoolean):
            for _ in result:
                pass
    except (SyntaxError, OSError, ValueError, RuntimeError):
        pass


def at(listener, text: str) -> str:
    return text.replace(A, listener.url)


@pytest.mark.parametrize(("text", "services"), [case for case in QUERIES if "\\u" not in case[0]])
def test_where_the_scan_sees_no_service_pyoxigraph_calls_none(listener, text, services):
    text = at(listener, text)
    before = len(listener.requests)
    run_on_pyoxigraph(text, update=False)
    called = len(listener.requests) > before
    if not sparqltext.scan_query(text).services:
        assert not called, text
    elif services and services[0] is not None and "SILENT" not in text.upper():
        assert called, f"positive control: pyoxigraph did not call {text}"


def test_pyoxigraph_reads_glued_keywords(listener):
    """Why the scan reads glued keywords: pyoxigraph calls these."""
    for text in (f"PREFIX : <{listener.url}> SELECT * {{ SERVICE:a {{}} }}",
                 f"SELECT * {{ ?s ?p trueSERVICE <{listener.url}> {{}} }}"):
        before = len(listener.requests)
        run_on_pyoxigraph(text, update=False)
        assert len(listener.requests) > before, text


VOCABULARY = [
    "SELECT", "ASK", "CONSTRUCT", "WHERE", "*", "{", "}", "{", "}", "(", ")", ".", ";", ",", "?s", "?p", "?o", "$x",
    "SERVICE", "service", "SILENT", "LOAD", "load", "INTO", "GRAPH", "FROM", "NAMED", "OPTIONAL", "UNION",
    "MINUS", "FILTER", "EXISTS", "BIND", "AS", "VALUES", "UNDEF", "INSERT", "DELETE", "DATA", "WITH", "USING",
    "CLEAR", "ALL", "DROP", "CREATE", "COPY", "TO", "a", "true", "1", "1.", "'x'", '"y"', "'''z'''", '"""w"""',
    "<A>", "<A>", ":a", ":", "ex:a", "ex:b.", "service:x", "load:x", "SERVICE:a", "SERVICEex:a",
    "SERVICESILENT", "LOAD:a", "LOADSILENT", "trueSERVICE", "_:b", "[]", "# c\n", "'#'", "\\u0053ERVICE",
]


@st.composite
def soup(draw):
    parts = draw(st.lists(st.sampled_from(VOCABULARY), max_size=24))
    seps = draw(st.lists(st.sampled_from(["", " ", " ", "\n", "\r", "\t"]), min_size=len(parts), max_size=len(parts)))
    return "".join(p + s for p, s in zip(parts, seps, strict=True))


def analyse_everything(text: str) -> tuple[sparqltext.Scan, sparqltext.Scan]:
    query, update = sparqltext.scan_query(text, A), sparqltext.scan_update(text, A)
    sparqltext.is_bounded(text)
    sparqltext.written_graphs(text)
    sparqltext.variables(text)
    sparqltext.has_relative_iri(text)
    sparqltext.constant_graph(text)
    sparqltext.with_values(text, " VALUES ?x { 1 } ")
    try:
        found = sparqltext.shape(text)
    except SyntaxError:
        return query, update
    sparqltext.without_dataset_clauses(text, found)
    sparqltext.iris(text, found)
    sparqltext.limit(text, found)
    sparqltext.final_order_by(text, found)
    try:
        sparqltext.bind(text, {ox.Variable("x"): ox.Literal(1)}, found)
    except ValueError:
        pass
    return query, update


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(soup())
def test_token_soup_never_crashes_and_never_hides_a_call(listener, body):
    prologue = f"BASE <{A}> PREFIX : <{A}> PREFIX ex: <{A}> PREFIX service: <{A}> PREFIX load: <{A}>\n"
    text = at(listener, prologue + body.replace("<A>", f"<{A}>"))
    query, update = analyse_everything(text)
    for scan, is_update in ((query, False), (update, True)):
        if scan.services or scan.loads:
            continue  # refused before any engine sees it
        before = len(listener.requests)
        run_on_pyoxigraph(text, update=is_update)
        assert len(listener.requests) == before, text
