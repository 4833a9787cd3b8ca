"""Lookups whose work a few index probes bound run in the web worker (sparqltext/probe.py):
which texts are probed, what the probes count, and, through the app, that such a query is
answered inline exactly as an executor answers it — and that one probe over its cap, or a
dataset the caller does not see whole, sends it to an executor."""

from __future__ import annotations

import json
import random
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lane_helpers import close_executor
from lane_helpers import executor_runs as record_runs

from justicegraph.server.app import create_app
from justicegraph.settings import Settings
from justicegraph.sparqltext import scan_query
from justicegraph.sparqltext.probe import EVAL_CAP, PROBE_CAP, WORK_CAP, Probes, _count, within
from justicegraph.store import OxigraphStore

pytestmark = pytest.mark.embedded_only("inline runs read an on-disk snapshot (server/protocol/snapshot.py)")

EX = "http://example.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
P = f"PREFIX ex: <{EX}> PREFIX skos: <{SKOS}> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
PUBLIC, RESTRICTED = "https://w3id.org/justicegraph/graph/import/probe/public", \
    "https://w3id.org/justicegraph/graph/import/probe/restricted"


@pytest.mark.parametrize("query, probes", [
    ("SELECT ?l ?t WHERE { ex:e skos:prefLabel ?l ; a ?t }",
     [(EX + "e", SKOS + "prefLabel", None), (EX + "e", TYPE, None)]),
    ("SELECT * { ex:e ?p ?o FILTER(isLiteral(?o) && ?o != 'x') }", [(EX + "e", None, None)]),
    ("SELECT ?l { ex:e skos:prefLabel|^skos:altLabel ?l }",
     [(EX + "e", SKOS + "prefLabel", None), (None, SKOS + "altLabel", EX + "e")]),
    ("SELECT DISTINCT ?o { { ex:e ?p ?o } UNION { ?o ?p ex:e } OPTIONAL { ?o a ex:T } } ORDER BY DESC(?o) LIMIT 5",
     [(EX + "e", None, None), (None, None, EX + "e"), (None, TYPE, EX + "T")]),
    ("CONSTRUCT WHERE { ex:e ?p ?o }", [(EX + "e", None, None)]),
    ("CONSTRUCT { ?o ex:of ex:e } WHERE { ex:e ex:p ?o , 'a'@en , 3 . }", [(EX + "e", EX + "p", None)] * 3),
    ("ASK { ex:e ex:p ?o . ?o ex:q ex:f }", [(EX + "e", EX + "p", None), (None, EX + "q", EX + "f")]),
    ("ASK { ex:e ex:p ?o . ?o ex:q ?r }", None),  # a pattern with no constant subject or object
    # a label lookup: its OPTIONAL's pattern is anchored by a variable of the required triples,
    # and evaluated per solution (LATERAL): only the required triples are probed
    ("SELECT ?p ?o ?l { ex:e ?p ?o OPTIONAL { ?o skos:prefLabel ?l } }", [(EX + "e", None, None)]),
    ("SELECT * { ?s ?p ex:e OPTIONAL { ?s a ?t } OPTIONAL { ?p skos:prefLabel ?l } OPTIONAL { ?x a ex:T } } LIMIT 9",
     [(None, None, EX + "e"), (None, TYPE, EX + "T")]),  # the last OPTIONAL: anchored by a constant alone
    ("SELECT ?o ?l { ex:e ?p ?o . ?o skos:prefLabel ?l }", [(EX + "e", None, None)]),  # a lone triple, joined
    ("SELECT * { ex:e ?p ?o . ?o skos:prefLabel ?l OPTIONAL { ?l ex:q ?x } } LIMIT 3", [(EX + "e", None, None)]),
    ("SELECT * { ?o skos:prefLabel ?l . ex:e ?p ?o }", None),  # written before what anchors it
    ("SELECT * { ex:e ?p ?o . ?o skos:prefLabel ?l . ?o a ?t }", None),  # a second join: may drop rows
    ("SELECT * { ex:e ?p ?o . ?o skos:prefLabel ?l ; a ?t }", None),
    ("SELECT * { ex:e ?p ?o . ?o skos:prefLabel ?l FILTER(LANG(?l) = 'en') }", None),
    ("SELECT * { ex:e ?p ?o . ?x skos:prefLabel ?l }", None),  # not anchored: every label
    ("SELECT * { ex:e ?p ?o OPTIONAL { ?o skos:prefLabel ?l ; a ?t } }", None),  # a join inside the OPTIONAL
    ("SELECT * { ex:e ?p ?o OPTIONAL { ?o ex:p ?x } OPTIONAL { ?x skos:prefLabel ?l } }", None),  # ?x may be unbound
    ("SELECT * { ex:e ?p ?o OPTIONAL { ?o ex:p ?x OPTIONAL { ?x ex:q ?l } } }", None),
    ("SELECT * { ex:e ?p ?o OPTIONAL { ?o skos:prefLabel ?l } ex:e ?q ?r }", None),  # a join after it
    ("SELECT * { ex:e ?p ?o OPTIONAL { ?o skos:prefLabel ?l } FILTER(!BOUND(?l)) }", None),  # rows dropped
    ("SELECT DISTINCT ?l { ex:e ?p ?o OPTIONAL { ?o skos:prefLabel ?l } }", None),
    ("SELECT * { ex:e ?p ?o OPTIONAL { ?o skos:prefLabel ?l } } ORDER BY ?l", None),  # rows held
    ("SELECT * { ex:e ?p ?o OPTIONAL { ?o skos:prefLabel ?l } } LIMIT 5 OFFSET 5", None),
    ("SELECT (STR(?l) AS ?s) { ex:e ?p ?o OPTIONAL { ?o skos:prefLabel ?l } }", None),
    ("ASK { ex:e ?p ?o OPTIONAL { ?o skos:prefLabel ?l } }", None),
    ("CONSTRUCT { ?o ?p ?l } WHERE { ex:e ?p ?o OPTIONAL { ?o skos:prefLabel ?l } }", None),
    ("SELECT ?p (COUNT(?o) AS ?n) { ex:e ?p ?o BIND(STR(?o) AS ?s) } GROUP BY ?p HAVING (COUNT(?o) > 1) "
     "ORDER BY DESC(?n)", [(EX + "e", None, None)]),
    ("SELECT * { ex:e ?p ?o FILTER(xsd:integer(?o) > 3 && STRLEN(STR(?o)) < 9 && ?o NOT IN (1, 2)) }",
     [(EX + "e", None, None)]),
    # outside the class: an executor runs them
    ("SELECT * { ex:e ?p ?o FILTER regex(?o, 'a') }", None),  # a pattern that may be compiled per solution
    ("SELECT * { ex:e ?p ?o BIND(REPLACE(?o, '(.)', '$1$1$1$1') AS ?x) }", None),  # values bigger than
    ("SELECT (CONCAT(?o, ?o, ?o) AS ?x) { ex:e ?p ?o }", None),                    # their arguments
    ("SELECT (GROUP_CONCAT(?o) AS ?x) { ex:e ?p ?o }", None),
    ("SELECT * { ex:e ?p ?o FILTER ex:f(?o) }", None),  # a custom function
    ("SELECT * { ex:e ?p ?o FILTER(<http://example.org/f>(?o)) }", None),
    ("SELECT * { ex:e ?p ?o FILTER NOT EXISTS { ?o ?q ?r } }", None),
    ("SELECT * { ex:e ?p ?o FILTER EXISTS { ?o ?q ?r } }", None),
    ("SELECT * { ex:e ?p ?o { SELECT ?o { ?o ?q ?r } } }", None),
    ("SELECT * { GRAPH ?g { ex:e ?p ?o } }", None),
    ("SELECT * { ex:e ?p ?o VALUES ?o { 1 2 } }", None),
    ("SELECT * { ex:e ?p ?o MINUS { ?o ?q ?r } }", None),
    ("SELECT * { SERVICE <http://127.0.0.1/> { ex:e ?p ?o } }", None),
    ("SELECT * { ex:e ex:p/ex:q ?o }", None),
    ("SELECT * { ex:e ex:p+ ?o . ex:e ?q ?r }", None),
    ("SELECT * { ex:e ex:p [ ex:q ?o ] }", None),
    ("SELECT ((EXISTS { ?s ?p ?o }) AS ?n) { ex:e ?p ?o }", None),
    ("SELECT ?o { ex:e ?p ?o BIND(EXISTS { ?o ?q ?r } AS ?x) }", None),
    ("SELECT ?o { ex:e ?p ?o } GROUP BY ?o ORDER BY COUNT(?p)", None),
    ("SELECT * FROM <http://example.org/g> { ex:e ?p ?o . ?o ?q ?r }", None),
    ("DESCRIBE ex:e", [(EX + "e", None, None)]),  # inline unless it reaches a blank node
    ("DESCRIBE ex:e ex:f", None),
    ("DESCRIBE ?x WHERE { ex:e ?p ?x }", None),
    ("DESCRIBE ex:e FROM <http://example.org/g>", None),
    ("BASE <http://example.org/> SELECT * { <e> ?p ?o . <e> ?q ?r }", None),
    ("PREFIX r: <rel/> SELECT * { r:e ?p ?o . r:e ?q ?r }", None),  # a relative namespace
    ("SELECT * { <e> ?p ?o . ?o ?q ?r }", None),  # relative: resolved against a base the probe does not take
    ("SELECT * { <http://example.org/\\u0065> ?p ?o . ?o ?q ?r }", None),  # escapes: not read here
    ("SELECT * { nope:e ?p ?o . ?o ?q ?r }", None),  # an undeclared prefix
    ("SELECT * { ex:e ?p ?o FILTER(?o IN (1, 2)) } ORDER BY str(?o)", None),
    ("SELECT * { " + " . ".join(f"ex:e ex:p ?o{i}" for i in range(9)) + " }", None),  # more than 8 patterns
])
def test_what_is_probed(query, probes):
    scan = scan_query(P + query)
    assert (list(scan.probes.patterns) if scan.probes is not None else None) == probes


def test_a_label_lookup_runs_its_optionals_as_lateral_groups():
    """Only the OPTIONALs anchored by a required variable are rewritten, at their own offsets;
    the rest of the user's text (comments, spacing, case) is kept."""
    query = P + "select ?o ?l { ex:e ?p ?o # note\n optional{?o skos:prefLabel ?l}OPTIONAL { ?x a ex:T } }"
    assert scan_query(query).probes.lateral == P + (
        "select ?o ?l { ex:e ?p ?o # note\n LATERAL { optional{?o skos:prefLabel ?l} }OPTIONAL { ?x a ex:T } }")
    assert scan_query(P + "SELECT * { ex:e ?p ?o OPTIONAL { ex:e a ?t } }").probes.lateral is None
    # pyoxigraph reads LATERAL (SEP-0006): were it dropped, inline label lookups would fail here
    ox.Store().query("SELECT * { ?s ?p ?o LATERAL { OPTIONAL { ?o ?q ?r } } }")


_V = st.sampled_from(["?s", "?p", "?o", "?x", "?y"])
_LATERAL_TERMS = st.sampled_from(["ex:a", "ex:b", "ex:c", '"1"'])


@st.composite
def label_lookups(draw) -> str:
    """A query of the label-lookup class: a required pattern on ex:a, perhaps a lone triple
    anchored by one of its variables, then OPTIONALs, each of one pattern anchored by a required
    variable, whose other terms are variables (shared with other OPTIONALs or not), constants
    or literals."""
    required = draw(st.sampled_from(["ex:a ?p ?o", "?s ?p ex:a", "ex:a ex:p ?o . ex:a ?p ex:c"]))
    anchors = [v for v in ("?s", "?p", "?o") if v in required]
    optionals = []
    if draw(st.booleans()):  # a lone triple joined to the required ones, anchored by one of their variables
        anchor = draw(st.sampled_from(anchors))
        lone = f"{anchor} {draw(st.sampled_from(['ex:p', '?q']))} ?y"
        required += " . " + (lone if draw(st.booleans()) else " ".join(reversed(lone.split())))
        anchors.append("?y")
    for k in range(draw(st.integers(0 if " . ?" in required or "?y ?" in required else 1, 3))):
        anchor = draw(st.sampled_from(anchors))
        predicate = draw(st.sampled_from(["ex:p", "ex:q", "?q", "?p"]))
        other = draw(_V if k == 0 else st.one_of(_V, _LATERAL_TERMS))  # the first: no constant
        pattern = f"{anchor} {predicate} {other}" if draw(st.booleans()) or other.startswith('"') \
            else f"{other} {predicate} {anchor}"
        optionals.append(f"OPTIONAL {{ {pattern} }}")
    return f"SELECT * {{ {required} {' '.join(optionals)} }}"


@settings(max_examples=200, deadline=None)
@given(query=label_lookups(), seed=st.integers(0, 2**16))
def test_a_lateral_label_lookup_has_the_answer_of_the_users_text(query, seed):
    """LATERAL { OPTIONAL { pattern } } and OPTIONAL { pattern }, LATERAL { triple } and the
    triple, give the same solutions, whatever they share (pyoxigraph as the referee, on small
    random data)."""
    rng = random.Random(seed)
    nodes = [ox.NamedNode(EX + x) for x in "abc"] + [ox.Literal("1")]
    preds = [ox.NamedNode(EX + x) for x in "pq"]
    store = ox.Store()
    store.extend(ox.Quad(rng.choice(nodes[:3]), rng.choice(preds), rng.choice(nodes)) for _ in range(rng.randint(0, 14)))
    probes = scan_query(P + query).probes
    assert probes is not None and probes.lateral is not None, query

    def solutions(text):
        answer = json.loads(store.query(text).serialize(format=ox.QueryResultsFormat.JSON))
        return sorted(json.dumps(row, sort_keys=True) for row in answer["results"]["bindings"])
    assert solutions(probes.lateral) == solutions(P + query)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("probe") / "store"
    store = OxigraphStore(path)
    quads = [ox.Quad(ox.NamedNode(f"{EX}hub"), ox.NamedNode(f"{EX}p"), ox.NamedNode(f"{EX}o{i}"), ox.NamedNode(PUBLIC))
             for i in range(PROBE_CAP + 1)]  # one pattern over the cap
    for i in range(5):
        person = ox.NamedNode(f"{EX}e{i}")
        quads += [ox.Quad(person, ox.NamedNode(SKOS + "prefLabel"), ox.Literal(f"Person {i}", language="en"),
                          ox.NamedNode(PUBLIC)),
                  ox.Quad(person, ox.NamedNode(TYPE), ox.NamedNode(EX + "Person"), ox.NamedNode(PUBLIC)),
                  ox.Quad(person, ox.NamedNode(EX + "knows"), ox.NamedNode(f"{EX}e{(i + 1) % 5}"), ox.NamedNode(PUBLIC)),
                  ox.Quad(person, ox.NamedNode(SKOS + "altLabel"), ox.Literal(f"Sealed {i}"), ox.NamedNode(RESTRICTED))]
    note = ox.BlankNode()
    quads += [ox.Quad(ox.NamedNode(f"{EX}noted"), ox.NamedNode(f"{EX}note"), note, ox.NamedNode(PUBLIC)),
              ox.Quad(note, ox.NamedNode(f"{EX}text"), ox.Literal("a blank node's own triple"), ox.NamedNode(PUBLIC))]
    quads += [ox.Quad(ox.NamedNode(f"{EX}big"), ox.NamedNode(f"{EX}p{i}"), ox.Literal(f"{i:04d}" + "x" * 20_000),
                      ox.NamedNode(PUBLIC)) for i in range(100)]  # 2 MB of terms: over an inline answer's 1 MiB
    quads.append(ox.Quad(ox.NamedNode(f"{EX}pointer"), ox.NamedNode(f"{EX}to"), ox.NamedNode(f"{EX}big"),
                         ox.NamedNode(PUBLIC)))
    store.apply(insert=quads)
    store.close()
    return path


def test_within_counts_each_pattern_up_to_its_cap(store_path):
    store = ox.Store.read_only(str(store_path))
    e0, hub = EX + "e0", EX + "hub"
    assert within(store, Probes(((e0, None, None), (None, EX + "knows", None)), 0))  # 4 · 5 · 2
    assert not within(store, Probes(((hub, EX + "p", None),), 0))  # PROBE_CAP + 1 matches
    assert not within(store, Probes(((None, None, None),), 0))
    # the product: two patterns of 150 matches each pass the cap alone, not together
    wide = ox.Store()
    wide.extend(ox.Quad(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.Literal(str(i))) for i in range(150))
    assert within(wide, Probes(((EX + "s", EX + "p", None),), 0))  # counted by the engine past SMALL
    # exact up to the cap, in the default graph and the named graphs alike
    assert _count(wide, (EX + "s", EX + "p", None)) == (150, False)
    assert _count(store, (hub, EX + "p", None)) == (PROBE_CAP + 1, False)
    assert _count(store, (e0, None, None)) == (4, False) and _count(wide, (EX + "s", EX + "other", None)) == (0, False)
    # and whether an object is a blank node (a DESCRIBE would follow it), below and past SMALL
    assert _count(store, (EX + "noted", None, None)) == (1, True)
    wide.extend(ox.Quad(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.BlankNode()) for _ in range(2))
    assert _count(wide, (EX + "s", EX + "p", None)) == (152, True)
    assert not within(store, Probes((("not an IRI", None, None),), 0))  # refused by pyoxigraph: left to an executor
    assert 2 * 150 * 150 > WORK_CAP and not within(wide, Probes(((EX + "s", EX + "p", None),) * 2, 0))
    # a FILTER is evaluated, a template written, for every solution: their length counts too
    assert 150 * 10_000 <= EVAL_CAP < 150 * 20_000
    assert within(wide, Probes(((EX + "s", EX + "p", None),), 10_000))
    assert not within(wide, Probes(((EX + "s", EX + "p", None),), 20_000))


@pytest.fixture(scope="module")
def app(store_path):
    app = create_app(Settings(store=str(store_path), read_token="probe-read-token", rate_limit="10000 per minute"))
    yield app
    close_executor(app)


@pytest.fixture
def executor_runs(app, monkeypatch):
    return record_runs(app, monkeypatch)


def reference(store_path, query: str) -> list[dict]:
    """The public graphs' answer, evaluated by pyoxigraph directly (a copy without the restricted graph)."""
    store, public = ox.Store.read_only(str(store_path)), ox.Store()
    public.extend(q for q in store.quads_for_pattern(None, None, None, ox.NamedNode(PUBLIC)))
    answer = public.query(query, use_default_graph_as_union=True)
    return sorted(json.dumps(r, sort_keys=True) for r in json.loads(
        answer.serialize(format=ox.QueryResultsFormat.JSON))["results"]["bindings"])


def rows(response) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in response.json["results"]["bindings"])


@pytest.mark.parametrize("query", [
    "SELECT ?l ?t WHERE { ex:e1 skos:prefLabel ?l ; a ?t }",
    "SELECT ?p ?o WHERE { ex:e2 ?p ?o FILTER(isIRI(?o)) } ORDER BY ?p",
    "SELECT ?l WHERE { ex:e3 skos:prefLabel|skos:altLabel ?l }",  # the altLabel is restricted: never shown
    "SELECT ?who WHERE { ex:e0 ex:knows ?who . ?who ex:knows ex:e2 }",
    "SELECT DISTINCT ?x WHERE { { ex:e0 ex:knows ?x } UNION { ?x ex:knows ex:e0 } }",
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ex:e1 ?p ?o BIND(STR(?o) AS ?s) } GROUP BY ?p HAVING (COUNT(*) >= 1)",
    "SELECT ?p ?o ?l WHERE { ex:e1 ?p ?o OPTIONAL { ?o skos:prefLabel ?l } }",  # a label lookup
    "SELECT * WHERE { ?s ex:knows ex:e1 OPTIONAL { ?s skos:altLabel ?a } OPTIONAL { ?s a ?t } }",
    "SELECT ?o ?l WHERE { ex:e1 ?p ?o . ?o skos:prefLabel ?l }",  # labels of what it points to, joined
    "SELECT ?o ?l WHERE { ex:e1 ?p ?o . ?o skos:altLabel ?l }",  # … whose labels are all restricted
])
def test_a_probed_lookup_is_answered_inline_as_an_executor_answers_it(app, store_path, executor_runs, query):
    metrics = app.extensions["justicegraph.endpoint"].metrics
    before = metrics.value("justicegraph_inline_queries_total", private=False)
    r = app.test_client().get("/sparql?" + urlencode({"query": P + query}),
                              headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and rows(r) == reference(store_path, P + query)
    assert b"Sealed" not in r.data
    assert executor_runs == [] and metrics.value("justicegraph_inline_queries_total", private=False) == before + 1


def test_a_label_lookup_too_big_to_hold_goes_to_an_executor(app, store_path, executor_runs):
    """Each of the OPTIONAL's matches gives a row: past the 1 MiB an inline answer may hold, the
    inline run stops and an executor answers the user's text, whole."""
    query = P + "SELECT * WHERE { ex:pointer ?p ?o OPTIONAL { ?o ?q ?x } }"
    r = app.test_client().get("/sparql?" + urlencode({"query": query}),
                              headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and rows(r) == reference(store_path, query) and len(rows(r)) == 100
    assert len(executor_runs) == 1


def test_a_label_lookups_error_is_worded_on_the_users_text(app, executor_runs):
    """The engine refuses it: the error, with its line and column, is the user's text's, not
    the LATERAL text's (an executor runs the user's text)."""
    query = "SELECT * WHERE { <http://example.org/e1> ?p ?o OPTIONAL { ?o ?q ?x } } LIMIT 99999999999999999999999"
    expected = str(pytest.raises(SyntaxError, ox.Store().query, query).value).split(":")[0:2]
    # through the fast lane, and through the app alone (a conditional request: the lane leaves it)
    for headers in ({}, {"If-None-Match": '"another-answer"'}):
        r = app.test_client().get("/sparql?" + urlencode({"query": query}), headers=headers)
        assert r.status_code == 400 and ":".join(expected) in r.get_data(as_text=True)
    assert len(executor_runs) == 2


def test_a_construct_is_answered_inline(app, executor_runs):
    r = app.test_client().get("/sparql?" + urlencode({"query": P + "CONSTRUCT WHERE { ex:e4 ?p ?o }"}),
                              headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and len(r.data.strip().splitlines()) == 3 and executor_runs == []


def shape(triples) -> list[tuple[str, ...]]:
    """Triples as text, blank node labels erased (each evaluation names its own)."""
    return sorted(tuple("_:b" if isinstance(x, ox.BlankNode) else str(x) for x in (t.subject, t.predicate, t.object))
                  for t in triples)


def described(store_path, resource: str) -> list[tuple[str, ...]]:
    store, public = ox.Store.read_only(str(store_path)), ox.Store()
    public.extend(q for q in store.quads_for_pattern(None, None, None, ox.NamedNode(PUBLIC)))
    return shape(public.query(f"DESCRIBE <{resource}>", use_default_graph_as_union=True))


@pytest.mark.parametrize("resource, inline", [(EX + "e2", True), (EX + "noted", False)])
def test_describe_is_inline_unless_it_reaches_a_blank_node(app, store_path, executor_runs, resource, inline):
    """A description that reaches a blank node takes in that node's triples too (recursively):
    not bounded by one probe, so an executor gives it."""
    r = app.test_client().get("/sparql?" + urlencode({"query": f"DESCRIBE <{resource}>"}),
                              headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    assert shape(ox.parse(r.data, format=ox.RdfFormat.N_TRIPLES)) == described(store_path, resource)
    assert len(executor_runs) == (0 if inline else 1)


def test_a_construct_too_big_to_hold_goes_to_an_executor(app, executor_runs):
    """Its patterns match little, but its terms pass the 1 MiB an inline answer may hold: the
    inline run stops there and an executor answers, whole."""
    r = app.test_client().get("/sparql?" + urlencode({"query": P + "CONSTRUCT WHERE { ex:big ?p ?o }"}),
                              headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and len(r.data.strip().splitlines()) == 100 and len(executor_runs) == 1


@pytest.mark.parametrize("query", [
    "SELECT ?o WHERE { ex:hub ex:p ?o . ex:hub ?q ?o }",  # patterns over the cap
    "SELECT ?o ?l WHERE { ex:hub ex:p ?o OPTIONAL { ?o skos:prefLabel ?l } }",  # its required part
    "SELECT ?s ?l WHERE { ?s ?p ?o . ?s skos:prefLabel ?l }",
])
def test_a_lookup_the_probes_find_big_goes_to_an_executor(app, store_path, executor_runs, query):
    r = app.test_client().get("/sparql?" + urlencode({"query": P + query}),
                              headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and rows(r) == reference(store_path, P + query)
    assert len(executor_runs) == 1


def test_kept_counts_belong_to_one_snapshot(tmp_path, monkeypatch):
    """A count is kept for the snapshot it was made on: after a write gives the entity more
    types than a probe allows, the same lookup is counted again and goes to an executor."""
    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.apply(insert=[ox.Quad(ox.NamedNode(EX + "k"), ox.NamedNode(SKOS + "prefLabel"), ox.Literal("K"),
                                ox.NamedNode(PUBLIC)),
                        ox.Quad(ox.NamedNode(EX + "k"), ox.NamedNode(TYPE), ox.NamedNode(EX + "T"), ox.NamedNode(PUBLIC))])
    store.close()
    app = create_app(Settings(store=str(path), write_token="probe-write-token", rate_limit="10000 per minute"))
    try:
        runs = record_runs(app, monkeypatch)
        client = app.test_client()
        url = "/sparql?" + urlencode({"query": P + "SELECT ?l ?t WHERE { ex:k skos:prefLabel ?l ; a ?t }"})
        accept = {"Accept": "application/sparql-results+json"}
        assert len(client.get(url, headers=accept).json["results"]["bindings"]) == 1 and runs == []
        types = " ".join(f"ex:k a ex:T{i} ." for i in range(PROBE_CAP + 1))
        r = client.post("/sparql", data=P + f"INSERT DATA {{ GRAPH <{PUBLIC}> {{ {types} }} }}",
                        content_type="application/sparql-update", headers={"Authorization": "Bearer probe-write-token"})
        assert r.status_code in (200, 204)
        assert len(client.get(url, headers=accept).json["results"]["bindings"]) == PROBE_CAP + 2
        assert [job["kind"] for job in runs] == ["diff", "query"]  # the write, then the lookup: counted again
    finally:
        close_executor(app)


def test_probes_run_only_where_the_caller_sees_every_graph(app, executor_runs):
    """An explicit dataset on the whole store (restricted graphs in it): a count there could
    reflect restricted quads in how long the answer takes, so an executor runs it."""
    query = P + "SELECT ?l ?t WHERE { ex:e1 skos:prefLabel ?l ; a ?t }"
    r = app.test_client().get("/sparql?" + urlencode({"query": query, "default-graph-uri": PUBLIC}),
                              headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and len(r.json["results"]["bindings"]) == 1
    assert len(executor_runs) == 1
