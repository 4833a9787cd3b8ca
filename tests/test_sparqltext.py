"""The one reading of SPARQL text (justicegraph/sparqltext): the tokenizer, the scan the
protocol relies on (form, FROM, SERVICE, LOAD, update operations, USING positions, graphs
written, the SERVICE allow-list), the bounded-lookup decision, and pyoxigraph's syntax
error read without running anything. (Shape, for the remote store: test_sparqltext_shape.py;
hostile texts: test_sparqltext_hostile.py; the W3C syntax suites: test_sparqltext_w3c.py.)"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from servers import Listener

from justicegraph.sparqltext import (
    allowed,
    is_bounded,
    scan_query,
    scan_update,
    syntax_error,
    tokenize,
    with_using,
    written_graphs,
)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


# -- the tokenizer --------------------------------------------------------------------------
def test_a_prefixed_name_does_not_end_with_a_dot():
    assert kinds("?s ex:p ex:o.") == [("var", "?s"), ("pname", "ex:p"), ("pname", "ex:o"), ("punct", ".")]
    assert kinds("ex:a.b") == [("pname", "ex:a.b")]
    assert kinds("_:b1. _:b.c") == [("bnode", "_:b1"), ("punct", "."), ("bnode", "_:b.c")]


def test_pn_local_escapes_and_percent_encodings_stay_in_the_name():
    assert kinds(r"ex:a\/b\.c ex:%20x ex:") == [("pname", r"ex:a\/b\.c"), ("pname", "ex:%20x"), ("pname", "ex:")]
    assert kinds(":x :1 a:b:c") == [("pname", ":x"), ("pname", ":1"), ("pname", "a:b:c")]


@pytest.mark.parametrize("literal", ["'a'", '"a"', "'''a'b''c'''", '"""a\n"b""c"""', r"'\''", r'"\"\\"',
                                     '"\\u0041"', "''''''", '""'])
def test_the_four_string_quotings(literal):
    assert kinds(f"?s ?p {literal} .") == [("var", "?s"), ("var", "?p"), ("string", literal), ("punct", ".")]


def test_comments_end_at_lf_or_cr_and_not_inside_iris_or_strings():
    assert kinds("# x\r?a # y\n?b") == [("var", "?a"), ("var", "?b")]
    assert kinds('<http://x/#a> "#b"') == [("iri", "<http://x/#a>"), ("string", '"#b"')]


def test_variables_keywords_and_a():
    assert kinds("$x ?y ?1 SeLeCt a A") == [("var", "$x"), ("var", "?y"), ("var", "?1"), ("word", "SeLeCt"),
                                             ("word", "a"), ("word", "A")]
    toks = tokenize("select ?x")
    assert toks[0].keyword == "SELECT" and toks[1].keyword == ""


def test_numbers_stop_where_the_grammar_stops_them():
    assert kinds("1. 1.5 .5 1e3 1.e3 1SERVICE") == [
        ("number", "1"), ("punct", "."), ("number", "1.5"), ("number", ".5"), ("number", "1e3"),
        ("number", "1.e3"), ("number", "1"), ("word", "SERVICE")]


def test_offsets_depths_and_typed_literals():
    text = 'SELECT * { { ?s ?p "x"^^<t> } }'
    toks = tokenize(text)
    assert all(text[t.start:t.end] == t.text for t in toks)
    assert [t.depth for t in toks if t.text in "{}"] == [0, 1, 1, 0]
    assert ("punct", "^^") in kinds(text)


def test_nothing_is_skipped_silently():
    """A character no terminal starts with is a token of its own: a scan still sees it."""
    assert kinds('"open SERVICE') == [("punct", '"'), ("word", "open"), ("word", "SERVICE")]
    assert kinds("\u00a0") == [("punct", "\u00a0")]  # not SPARQL whitespace


def test_the_token_cache_is_bounded_to_short_texts():
    from justicegraph.sparqltext import lexer

    lexer._cached.cache_clear()
    tokenize("SELECT * {}")
    tokenize("SELECT * {}")
    assert lexer._cached.cache_info().hits == 1
    tokenize("SELECT * {} #" + "x" * lexer.CACHE_MAX_CHARS)
    assert lexer._cached.cache_info().currsize == 1


# -- the scan: SERVICE, FROM, the query form --------------------------------------------------
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
    ("SELECT * { SERVICE <http://a/> {} SERVICE <http://a/> {} }", ["http://a/"]),
])
def test_service_targets(text, services):
    assert list(scan_query(text).services) == services


def test_query_form_and_dataset_clauses():
    scan = scan_query("PREFIX ex: <http://ex/> # ASK\nCONSTRUCT { ?s ?p ?o } FROM ex:a FROM NAMED <http://ex/b> "
                      "WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert scan.form == "CONSTRUCT"
    assert scan.from_graphs == ("http://ex/a",) and scan.from_named == ("http://ex/b",)
    # FROM inside a sub-select is not a dataset clause of the query
    assert scan_query("SELECT * { { SELECT * FROM <http://x/> { ?s ?p ?o } } }").from_graphs == ()
    assert scan_query("BASE <http://b/> ask FROM <g> {}").from_graphs == ("http://b/g",)
    assert scan_query("SELECT * FROM <g> {}", "http://base/x").from_graphs == ("http://base/g",)


def test_a_scan_is_read_once_per_text_and_base():
    from justicegraph.sparqltext import scan

    text = "SELECT ?o { <http://x/s> ?p ?o } # test_a_scan_is_read_once"
    first = scan_query(text, "http://a/")
    assert scan_query(text, "http://a/") is first  # the cached scan, with the bounded decision in it
    assert first.bounded
    assert scan_query(text, "http://b/") is not first
    assert scan._query_cached.cache_info().maxsize == 1024


# -- updates ---------------------------------------------------------------------------------
def test_update_operations():
    scan = scan_update("LOAD <http://a/x.ttl> ; LOAD SILENT <http://b/> INTO GRAPH <http://g/> ; "
                       "INSERT DATA { <a:s> <a:p> 'WHERE' } ; DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert scan.loads == ("http://a/x.ttl", "http://b/")
    assert not scan.has_dataset_clause and len(scan.using_positions) == 1
    assert scan_update("WITH <http://g/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }").has_dataset_clause
    assert scan_update("DELETE {} USING <http://g/> WHERE {}").has_dataset_clause
    # an update of INSERT DATA only is computed without copying the store
    assert scan_update("PREFIX a: <a:> INSERT DATA { a:s a:p 1 } ; insert data { GRAPH a:g { a:s a:p 2 } }").insert_data_only
    assert not scan_update("INSERT DATA { <a:s> <a:p> 1 } ; DELETE DATA { <a:s> <a:p> 1 }").insert_data_only
    assert not scan.insert_data_only


def test_prefixes_carry_across_update_operations():
    scan = scan_update("PREFIX a: <http://a/> LOAD a:x ; PREFIX b: <http://b/> LOAD b:y ; LOAD a:z")
    assert scan.loads == ("http://a/x", "http://b/y", "http://a/z")


def test_using_is_inserted_before_each_where():
    text = "INSERT { ?s a <a:T> } WHERE { ?s ?p ?o } ; DELETE WHERE { ?s ?p ?o } ; DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"
    scan = scan_update(text)
    out = with_using(text, scan.using_positions, ["http://g/"], ["http://n/"])
    assert out.count("USING <http://g/> USING NAMED <http://n/> WHERE") == 2
    assert "DELETE WHERE { ?s ?p ?o }" in out


def test_graphs_an_update_writes():
    text = ("PREFIX ex: <http://ex/> INSERT DATA { GRAPH ex:a { ex:s ex:p ex:o } GRAPH <http://ex/b> {} } ; "
            "WITH <http://ex/c> DELETE { ?s ?p ?o } USING <http://ex/u> WHERE { ?s ?p ?o } ; "
            "LOAD <http://ex/doc> INTO GRAPH <http://ex/d> ; CREATE SILENT GRAPH <http://ex/e> ; "
            "COPY <http://ex/f> TO GRAPH <http://ex/g> ; DROP GRAPH <http://ex/x> ; CLEAR SILENT GRAPH <http://ex/y> ; "
            "INSERT { GRAPH ?g { ?s a <http://ex/T> } } WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert written_graphs(text) == {f"http://ex/{g}" for g in "abcdefg"}
    assert written_graphs("INSERT DATA { <http://ex/s> <http://ex/p> 'GRAPH <http://ex/no>' }") == set()


def test_allowlist():
    assert allowed("https://query.wikidata.org/sparql", ["https://query.wikidata.org/"])
    assert not allowed("https://query.wikidata.org.evil/x", ["https://query.wikidata.org/"])
    assert not allowed(None, ["http://"])
    assert not allowed("http://a/", [])


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_text_inside_a_string_is_never_a_keyword(inner):
    escaped = inner.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    scan = scan_query(f'SELECT * WHERE {{ ?s ?p "{escaped} SERVICE <http://a/> LOAD <http://b/>" }}')
    assert scan.services == () and scan.form == "SELECT"


# -- bounded lookups -----------------------------------------------------------------------------
BOUNDED = [
    "SELECT ?p ?o WHERE { <http://example.org/s> ?p ?o }",
    "PREFIX ex: <http://example.org/> SELECT * { ex:s ?p ?o . } LIMIT 10",
    "BASE <http://example.org/> SELECT ?s WHERE { ?s a <T> }",
    "SELECT ?s { ?s <http://example.org/p> 'x'@en }",
    'SELECT ?s { ?s <http://example.org/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> }',
    "select $s { $s <http://example.org/p> true } limit 1",
    "PREFIX ex: <http://example.org/> SELECT ?o { ex:s ex:p ?o.}",
    "ASK { ?s ?p ?o }", "PREFIX ex: <http://example.org/> ASK WHERE { ex:s a ex:Person }",
]
NOT_BOUNDED = [
    "SELECT DISTINCT ?s { ?s ?p ?o }", "SELECT ?s { ?s ?p ?o } ORDER BY ?s", "SELECT ?s { ?s ?p ?o } OFFSET 5",
    "SELECT ?s { ?s ?p ?o . ?o ?q ?r }", "SELECT ?s { ?s ?p ?o ; ?q ?r }", "SELECT ?s { ?s ?p ?o , ?r }",
    "SELECT ?s { ?s <p>/<q> ?o }", "SELECT ?s { ?s <p>+ ?o }", "SELECT ?s { ?s ^<p> ?o }", "SELECT ?s { ?s ?p [] }",
    "SELECT ?s { GRAPH ?g { ?s ?p ?o } }", "SELECT ?s FROM <http://g> { ?s ?p ?o }",
    "SELECT ?s { ?s ?p ?o FILTER(?o) }", "SELECT ?s { OPTIONAL { ?s ?p ?o } }", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
    "SELECT ?s { SERVICE <http://x/> { ?s ?p ?o } }", "ASK { ?s ?p ?o . ?o ?q ?r }", "CONSTRUCT WHERE { ?s ?p ?o }",
    "ASK ?s { ?s ?p ?o }", "ASK { ?s <p>+ ?o }", "ASK { ?s ?p ?o FILTER(?o) }",
    "SELECT ?s { ?s ?p ?o } VALUES ?s { <a> }", "SELECT ?s { ?s ?p ?o } LIMIT 5 OFFSET 1000000", "SELECT",
    "SELECT ?s { ?s ?p ?o } LIMIT 1.5", "SELECT ?s { ?s a ?o . ?o a ?c }", "SELECT ?s { ?s ?p _:b }",
]


@pytest.mark.parametrize("text", BOUNDED)
def test_one_triple_pattern_qualifies(text):
    assert is_bounded(text) and scan_query(text).bounded


@pytest.mark.parametrize("text", NOT_BOUNDED)
def test_anything_more_takes_an_executor(text):
    assert not is_bounded(text) and not scan_query(text).bounded


# -- pyoxigraph's syntax error, parse only -------------------------------------------------------
def test_a_refused_query_is_located_by_parsing_never_by_running_it():
    """syntax_error reads a query again with pyoxigraph, to say where it is malformed: it must
    not run it, nor reach a SERVICE (pyoxigraph calls one as it reads the query: such texts
    are not read; an ASK, evaluated at once, is read as a SELECT)."""
    listener = Listener()
    try:
        for text in (f"ASK {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
                     f"SELECT * {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
                     f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
                     f"PREFIX : <{listener.url}> SELECT * {{ SERVICE:x {{ ?s ?p ?o }} }}"):
            assert syntax_error(text) is None, text
        for text in (f"LOAD <{listener.url}>", f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{listener.url}> {{}} }}"):
            assert syntax_error(text, update=True) is None, text
        assert listener.requests == []
    finally:
        listener.close()
    assert str(syntax_error("ASK {")).startswith("error at 1:6:")  # the caller's own column
    assert str(syntax_error("SELECT * WHERE {\n  ?s ?p \n}")).startswith("error at 3:")
    assert syntax_error("SELECT * { <s> ?p ?o }", "http://example.org/sparql") is None  # relative, with a base
    assert str(syntax_error("ASK { ?s ?p ?o } LIMIT -1")).startswith("error at 1:")  # malformed ASK: located


def test_an_update_is_parsed_and_never_run():
    # a WHERE that would take long to evaluate: refused by the read-only store before it runs
    heavy = "INSERT { ?a ?b ?c } WHERE { " + " ".join(f"VALUES ?v{i} {{ {' '.join(map(str, range(50)))} }}"
                                                       for i in range(8)) + " }"
    assert syntax_error(heavy, update=True) is None
    assert syntax_error("INSERT DATA { <a:s> <a:p> 1 } ; CLEAR ALL", update=True) is None
    assert syntax_error("", update=True) is None
    assert str(syntax_error("INSERT DATA { <a:s> <a:p> }", update=True)).startswith("error at 1:27:")
    assert str(syntax_error("DELETE DATA { ?s <a:p> 1 }", update=True)).startswith("error at")


RFC3986_REFERENCES = ["g:h", "g", "./g", "g/", "/g", "//g", "?y", "g?y", "#s", "g#s", "g?y#s", ";x", "g;x",
                      "g;x?y#s", "", ".", "./", "..", "../", "../g", "../..", "../../", "../../g", "../../../g",
                      "/./g", "/../g", "g.", ".g", "g..", "..g", "./../g", "./g/.", "g/./h", "g/../h", "g;x=1/./y",
                      "g;x=1/../y", "g?y/./x", "g?y/../x", "g#s/./x", "g#s/../x", "ns#", "x?", "#"]


@pytest.mark.parametrize("base", ["http://a/b/c/d;p?q", "http://ex", "file:///a/b", "tag:x/y/z"])
def test_relative_iris_resolve_as_pyoxigraph_resolves_them(base):
    """RFC 3986 §5.4's examples (and an empty fragment, which urllib's urljoin drops)."""
    import pyoxigraph as ox

    from justicegraph.sparqltext.lexer import resolve

    for ref in RFC3986_REFERENCES:
        if ref == "/../g" and base.startswith("tag:"):
            continue  # RFC 3986 gives tag:/g, pyoxigraph tag:g (no authority): left as the RFC says
        expected = next(iter(ox.Store().query(f"SELECT (<{ref}> AS ?x) {{}}", base_iri=base)))["x"].value
        assert resolve(base, ref) == expected, ref


PIECES = list("aSE:.-_?$<>\"'#\\{}()@^ \n\r\t09eu%é·\u00a0") + ["'''", '"""', "\\u0041", "ex:", "_:", "^^"]


@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_tokens_cover_the_text_but_whitespace_and_comments(text):
    """Nothing is skipped silently: between tokens there is only SPARQL whitespace or a comment."""
    import re

    at = 0
    for tok in tokenize(text):
        assert tok.start >= at and text[tok.start:tok.end] == tok.text and tok.text
        assert re.fullmatch(r"(?:[ \t\r\n]|#[^\r\n]*)*", text[at:tok.start])
        at = tok.end
    assert re.fullmatch(r"(?:[ \t\r\n]|#[^\r\n]*)*", text[at:])


def test_the_package_imports_only_the_standard_library_and_pyoxigraph():
    """sparqltext is the bottom layer: everything else reads SPARQL through it."""
    import ast
    import sys
    from pathlib import Path

    import justicegraph.sparqltext as package

    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                top = name.split(".")[0]
                assert (top in sys.stdlib_module_names or top == "pyoxigraph"
                        or name.startswith("justicegraph.sparqltext")), f"{path.name} imports {name}"
