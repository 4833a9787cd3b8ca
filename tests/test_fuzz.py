"""Bad input, generated: hostile SPARQL, broken RDF in every syntax, odd paths and search
text. No request may answer 5xx or show a traceback; every refusal is a 4xx in the one JSON
error shape with a message. A refused write changes nothing. (Malformed records for the
loaders: test_fuzz_records.py.)"""

from __future__ import annotations

import pytest
from fixtures.restricted.harness import build_backend, route_exists
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

WRITE = "fuzz-write-token"
AUTH = {"Authorization": f"Bearer {WRITE}"}
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = build_backend(tmp_path_factory.mktemp("fuzz") / "store", write_token=WRITE, rate_limit="",
                        query_timeout=1.0, max_query_length=5000, max_body=200_000)
    return app.test_client()


def assert_clean(response, what) -> None:
    body = response.get_data(as_text=True)
    # 503 is the time limit doing its job (a generated path or nesting can be slow), not a failure.
    timed_out = response.status_code == 503 and response.is_json
    assert response.status_code < 500 or timed_out, (what, response.status_code, body[:500])
    assert "Traceback" not in body and 'File "/' not in body, (what, body[:500])
    if response.status_code >= 400 and response.mimetype == "application/json":
        error = response.get_json()["error"]
        assert error["status"] == response.status_code and error["message"].strip(), (what, error)


# -- hostile SPARQL --------------------------------------------------------------------------

KEYWORDS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "FROM", "NAMED", "GRAPH", "OPTIONAL", "UNION",
            "MINUS", "FILTER", "BIND", "VALUES", "SERVICE", "SILENT", "EXISTS", "NOT", "GROUP", "BY", "HAVING",
            "ORDER", "LIMIT", "OFFSET", "DISTINCT", "REDUCED", "AS", "COUNT", "SUM", "REGEX", "PREFIX", "BASE",
            "INSERT", "DELETE", "DATA", "LOAD", "CLEAR", "DROP", "WITH", "USING", "*", "{", "}", "(", ")", ".",
            ";", ",", "|", "/", "^", "+", "?", "!", "=", "<", ">", "&&", "||", "a", "UNDEF", "TRUE"]
ATOMS = st.one_of(
    st.sampled_from(KEYWORDS),
    st.from_regex(r"\?[a-z]{1,3}", fullmatch=True),
    st.sampled_from(["<urn:x>", "<http://127.0.0.1:9/>", "<>", "<a b>", "<\\u0000>", "jg:Person", "_:b",
                     "\"str\"@en", "'''x'''", "\"\\u0000\"", "1e999999", "-0", "99999999999999999999999",
                     "\"x\"^^<urn:dt>", "#comment\n", "\u202e", "\x00", "\ufffd", "💥"]),
    st.text(max_size=8),
)
QUERIES = st.one_of(
    st.lists(ATOMS, max_size=40).map(" ".join),
    st.text(max_size=200),
    st.integers(1, 400).map(lambda n: "SELECT * WHERE " + "{" * n + " ?s ?p ?o " + "}" * n),
    st.integers(1, 60).map(lambda n: "SELECT * { ?s " + "/".join(["<urn:p>"] * n) + " ?o }"),
    st.integers(1, 60).map(lambda n: "SELECT * { " + " UNION ".join(["{ ?s ?p ?o }"] * n) + " }"),
)


def test_sparql_route_exists(client):
    if not route_exists(client.application, "/sparql", "POST"):
        pytest.skip("/sparql is not implemented yet")
    assert client.get("/sparql", query_string={"query": "ASK {}"},
                      headers={"Accept": "application/sparql-results+json"}).status_code == 200


@FUZZ
@given(query=QUERIES, how=st.sampled_from(["get", "form", "direct", "update"]))
def test_hostile_sparql_is_refused_cleanly(client, query, how):
    if not route_exists(client.application, "/sparql", "POST"):
        pytest.skip("/sparql is not implemented yet")
    if how == "get":
        response = client.get("/sparql", query_string={"query": query})
    elif how == "form":
        response = client.post("/sparql", data={"query": query})
    elif how == "direct":
        response = client.post("/sparql", data=query.encode("utf-8", "surrogatepass"),
                               content_type="application/sparql-query")
    else:
        response = client.post("/sparql", data=query.encode("utf-8", "surrogatepass"),
                               content_type="application/sparql-update", headers=AUTH)
    assert_clean(response, query)


@FUZZ
@given(body=st.binary(max_size=300), ctype=st.sampled_from(
    ["application/sparql-query", "application/sparql-update", "application/x-www-form-urlencoded",
     "multipart/form-data", "text/plain", "application/json", ""]))
def test_arbitrary_bodies_are_refused_cleanly(client, body, ctype):
    if not route_exists(client.application, "/sparql", "POST"):
        pytest.skip("/sparql is not implemented yet")
    assert_clean(client.post("/sparql", data=body, content_type=ctype, headers=AUTH), (body, ctype))


# -- broken RDF in every syntax ------------------------------------------------------------------

VALID = {
    "text/turtle": '@prefix ex: <urn:ex:> .\nex:a ex:label "Alpha"@en ; ex:n 1 .\nex:b ex:knows ex:a .\n',
    "application/n-triples": '<urn:ex:a> <urn:ex:label> "Alpha"@en .\n<urn:ex:b> <urn:ex:knows> <urn:ex:a> .\n',
    "application/n-quads": '<urn:ex:a> <urn:ex:label> "Alpha"@en <urn:ex:g> .\n',
    "application/trig": '<urn:ex:g> { <urn:ex:a> <urn:ex:label> "Alpha"@en . }\n',
    "application/rdf+xml": ('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
                            ' xmlns:ex="urn:ex:">\n <rdf:Description rdf:about="urn:ex:a">'
                            '<ex:label xml:lang="en">Alpha</ex:label></rdf:Description>\n</rdf:RDF>\n'),
    "application/ld+json": '{"@id": "urn:ex:a", "urn:ex:label": {"@value": "Alpha", "@language": "en"}}',
}


@st.composite
def broken(draw):
    ctype = draw(st.sampled_from(sorted(VALID)))
    data = VALID[ctype].encode()
    cut = draw(st.integers(0, len(data)))
    mutation = draw(st.sampled_from(["truncate", "insert", "delete", "bad-utf8", "nul", "huge-literal", "bom"]))
    if mutation == "truncate":
        data = data[:cut]
    elif mutation == "insert":
        data = data[:cut] + draw(st.binary(min_size=1, max_size=12)) + data[cut:]
    elif mutation == "delete":
        data = data[:cut] + data[cut + draw(st.integers(1, 10)):]
    elif mutation == "bad-utf8":
        data = data[:cut] + b"\xff\xfe\xc3" + data[cut:]
    elif mutation == "nul":
        data = data[:cut] + b"\x00" + data[cut:]
    elif mutation == "huge-literal":
        data = data.replace(b"Alpha", b"A" * 150_000)
    else:
        data = b"\xef\xbb\xbf" + data
    return ctype, data


@FUZZ
@given(case=broken(), method=st.sampled_from(["put", "post"]))
def test_broken_rdf_uploads_are_refused_cleanly_and_change_nothing(client, case, method):
    if not route_exists(client.application, "/graphs", "PUT"):
        pytest.skip("/graphs is not implemented yet")
    ctype, data = case
    graph = "https://w3id.org/justicegraph/graph/import/fuzz"
    before = client.get("/graphs", query_string={"graph": graph}, headers={"Accept": "application/n-triples"})
    response = getattr(client, method)("/graphs", query_string={"graph": graph}, data=data, content_type=ctype,
                                       headers=AUTH)
    assert_clean(response, (ctype, data[:200]))
    if response.status_code >= 400:
        after = client.get("/graphs", query_string={"graph": graph}, headers={"Accept": "application/n-triples"})
        assert (after.status_code, sorted(after.get_data().splitlines())) == \
            (before.status_code, sorted(before.get_data().splitlines()))


# -- paths and search text -------------------------------------------------------------------------

PATH_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)


@FUZZ
@given(text=PATH_TEXT, suffix=st.sampled_from(["", ".ttl", ".json", ".html", ".nt", ".xyz"]))
def test_any_entity_or_graph_path_answers_cleanly(client, text, suffix):
    from urllib.parse import quote

    for prefix in ("/id/", "/graph/"):
        if not route_exists(client.application, prefix + "x"):
            pytest.skip(f"{prefix}… is not implemented yet")
        assert_clean(client.get(prefix + quote(text, safe="") + suffix), text)


@FUZZ
@given(q=st.text(max_size=300), limit=st.one_of(st.none(), st.text(max_size=5), st.integers(-5, 10**9)))
def test_any_search_text_answers_cleanly(client, q, limit):
    if not route_exists(client.application, "/api/search"):
        pytest.skip("/api/search is not implemented yet")
    params = {"q": q} if limit is None else {"q": q, "limit": str(limit)}
    for route in ("/api/search", "/search"):
        assert_clean(client.get(route, query_string=params), (route, params))
