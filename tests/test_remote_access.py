"""Access control on Virtuoso without graph lists (justicegraph/store/remote/access.py): the
anonymous endpoint reads only the graphs our writes made public, a reader account reads
ours, staging and Virtuoso's own graphs are private. Adversarial: every query below is run
as an anonymous caller must be answered (the dataset access.dataset gives) and straight
against the engine's anonymous endpoint; nothing restricted may come back — neither
content nor a restricted graph's name. Includes Virtuoso's own shortcuts found here (its
known-graphs answer to `SELECT DISTINCT ?g …` ignores graph security)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import requests
from conftest import open_backend

from justicegraph import access
from justicegraph.store.remote.base import QueryTimeout, RemoteStoreError

pytestmark = pytest.mark.server  # starts Virtuoso on 127.0.0.1

EX = "https://example.org/"
PUBLIC = EX + "graph/testimony/t1"
SECRET = EX + "graph/testimony/t2/restricted"
SECRET_NAME = "Secret person"


def n(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


@pytest.fixture
def secured(request, tmp_path):
    store = open_backend(request, "virtuoso", tmp_path)
    store.apply(insert=[
        ox.Quad(n("a"), n("name"), ox.Literal("Ali"), ox.NamedNode(PUBLIC)),
        ox.Quad(n("c"), n("name"), ox.Literal(SECRET_NAME), ox.NamedNode(SECRET)),
        ox.Quad(n("c"), n("seenIn"), ox.NamedNode(SECRET), ox.NamedNode(SECRET)),
        ox.Quad(n("d"), n("name"), ox.Literal("in the default graph"), ox.DefaultGraph()),
    ])
    yield store
    store.close()


ATTACKS = [
    "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",  # Virtuoso's known-graphs shortcut
    "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o . } } LIMIT 100",
    "SELECT DISTINCT (?g AS ?h) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    f"SELECT * WHERE {{ GRAPH <{SECRET}> {{ ?s ?p ?o }} }}",
    f"SELECT * FROM <{SECRET}> WHERE {{ ?s ?p ?o }}",
    f"SELECT * FROM NAMED <{SECRET}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ VALUES ?g {{ <{SECRET}> }} GRAPH ?g {{ ?s ?p ?o }} }}",
    "SELECT * WHERE { { SELECT ?g ?o WHERE { GRAPH ?g { ?s ?p ?o } } } }",
    f"SELECT * WHERE {{ GRAPH <{PUBLIC}> {{ ?a ?b ?c }} GRAPH ?g {{ ?s ?p ?o }} }}",
    f"ASK {{ GRAPH <{SECRET}> {{ ?s ?p ?o }} }}",
    f"ASK {{ <{EX}c> ?p ?o }}",
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
    f"DESCRIBE <{EX}c>",
]


def leaked(result) -> bool:
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    text = result.serialize(format=ox.QueryResultsFormat.JSON if isinstance(result, ox.QuerySolutions)
                            else ox.RdfFormat.N_TRIPLES).decode()
    return SECRET_NAME in text or "restricted" in text


@pytest.mark.parametrize("query", ATTACKS)
def test_anonymous_callers_never_see_restricted(secured, query):
    kw = access.dataset(secured.graphs(), restricted_ok=False)
    assert not leaked(secured.query(query, **kw))


@pytest.mark.parametrize("query", ATTACKS)
def test_the_engine_itself_refuses_restricted_to_the_anonymous_user(secured, query):
    """Straight at /sparql, with every way a caller could name the dataset (the server never
    sends these for an anonymous caller; the engine must refuse them anyway)."""
    variants = [
        {"query": query},
        {"query": query, "default-graph-uri": SECRET, "named-graph-uri": SECRET},
        {"query": f"define input:default-graph-uri <{SECRET}>\ndefine input:named-graph-uri <{SECRET}>\n{query}"},
    ]
    for form in variants:
        resp = requests.post(secured.query_url, data=form, timeout=30,
                             headers={"Accept": "application/sparql-results+json, application/n-triples"})
        # content only: without the store's pragmas the known-graphs shortcut still lists
        # restricted graph *names* to anyone who asks the engine directly — expose the
        # engine's /sparql only through justicegraph (docs/scaling.md)
        assert SECRET_NAME not in resp.text


def test_anonymous_queries_carry_no_graph_list(secured, monkeypatch):
    sent = []
    original = secured._post

    def spy(url, data, *args, **kwargs):
        sent.append((url, data))
        return original(url, data, *args, **kwargs)

    monkeypatch.setattr(secured, "_post", spy)
    kw = access.dataset(secured.graphs(), restricted_ok=False)
    sent.clear()
    rows = secured.query("SELECT ?name WHERE { ?s ?p ?name }", **kw)
    assert {r["name"].value for r in rows} == {"Ali", "in the default graph"}
    (url, data), = sent
    assert url == secured.query_url  # the anonymous endpoint: the engine hides the rest
    assert [k for k, _ in data] == ["query"] and "graph-uri <" not in data[0][1]


def test_token_holders_read_every_graph_of_ours_and_no_system_graph(secured):
    kw = access.dataset(secured.graphs(), restricted_ok=True)
    assert kw == {"union": True}
    rows = secured.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", **kw)
    assert {r["g"].value for r in rows} == {PUBLIC, SECRET}
    names = {r["o"].value for r in secured.query("SELECT ?o WHERE { ?s ?p ?o }", **kw)}
    assert {"Ali", SECRET_NAME, "in the default graph"} <= names
    assert len(secured.graphs()) == 2 and len(secured) == 4


def test_staged_content_is_invisible_to_every_reader_until_swapped(secured, monkeypatch):
    """A write stages new triples in hidden graphs first; they are private (only the writer
    sees them), so neither the anonymous user nor a token holder sees a half-written source."""
    seen = []
    original = secured.update

    def before_swap(text, **kwargs):
        if "MOVE" in text or "ADD" in text:
            for restricted_ok in (False, True):
                kw = access.dataset(secured.graphs(), restricted_ok=restricted_ok)
                seen.append({r["o"].value for r in secured.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", **kw)})
        return original(text, **kwargs)

    monkeypatch.setattr(secured, "update", before_swap)
    secured.apply(drop_graphs=[PUBLIC], insert=[ox.Quad(n("e"), n("name"), ox.Literal("Elham"), ox.NamedNode(PUBLIC)),
                                                ox.Quad(n("f"), n("name"), ox.Literal("Farid"), ox.NamedNode(SECRET))])
    assert len(seen) == 2 and not any({"Elham", "Farid"} & s for s in seen)
    assert "Ali" in seen[0] and SECRET_NAME in seen[1]
    kw = access.dataset(secured.graphs(), restricted_ok=False)
    after = {r["o"].value for r in secured.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", **kw)}
    assert "Elham" in after and "Farid" not in after and "Ali" not in after


def test_only_public_graphs_can_be_granted(secured):
    with pytest.raises((SyntaxError, RemoteStoreError)):  # the engine's procedure checks our rule too
        secured.writer_query(f'SELECT (sql:JG_PUBLISH_GRAPH("{SECRET}") AS ?r) WHERE {{}}')
    anonymous = requests.post(secured.query_url, timeout=30, data={
        "query": f'SELECT (sql:JG_PUBLISH_GRAPH("{EX}graph/x") AS ?r) WHERE {{}}'})
    assert anonymous.status_code >= 400  # nobody may execute it


def test_graphs_written_by_update_text_follow_the_rule(secured):
    other, hidden = EX + "graph/source/s9", EX + "graph/source/s9/restricted"
    secured.update(f'INSERT DATA {{ GRAPH <{other}> {{ <{EX}x> <{EX}name> "open" }} '
                   f'GRAPH <{hidden}> {{ <{EX}y> <{EX}name> "closed" }} }}')
    kw = access.dataset(secured.graphs(), restricted_ok=False)
    names = {r["o"].value for r in secured.query("SELECT ?o WHERE { ?s ?p ?o }", **kw)}
    assert "open" in names and "closed" not in names


@pytest.mark.slow
def test_thousands_of_graphs_need_no_list():
    """9,000 graphs (Virtuoso refuses a per-query list near 8,800): loaded by the engine's bulk
    loader, made readable by sync_access, then queried as the API queries them. On an engine of
    its own: after other modules' writes on the session's engine, a listing right after the
    bulk load missed one graph in some full-suite runs (cause not found; it never passes a
    graph the anonymous user may not read — a missed graph stays hidden)."""
    from stores import engine, new_store

    virtuoso_engine = engine("virtuoso", slot="many-graphs")
    store = new_store(kind="virtuoso", slot="many-graphs")
    lines = []
    for i in range(9000):
        graph = f"{EX}graph/testimony/b{i}" + ("/restricted" if i % 9 == 0 else "")
        lines.append(f'<{EX}p{i}> <{EX}name> "person {i}" <{graph}> .')
    folder = virtuoso_engine.workdir
    (folder / "many.nq").write_text("\n".join(lines) + "\n", encoding="utf-8")
    virtuoso_engine.isql(f"ld_dir('{folder}', 'many.nq', 'urn:justicegraph:unused');\nrdf_loader_run();\ncheckpoint;\n")
    try:
        loaded = {f"{EX}graph/testimony/b{i}" + ("/restricted" if i % 9 == 0 else "") for i in range(9000)}
        granted = store.sync_access()  # the slow part: ~1 ms per grant, more on a busy machine
        graphs = store.graphs()
        assert (granted, sorted(loaded ^ set(graphs))) == (8000, [])
        kw = access.dataset(graphs, restricted_ok=False)
        assert len(kw["named_graphs"]) == 8000
        rows = store.query("SELECT (COUNT(DISTINCT ?g) AS ?n) (COUNT(*) AS ?t) WHERE { GRAPH ?g { ?s ?p ?o } }", **kw)
        row = next(iter(rows))
        assert (int(row["n"].value), int(row["t"].value)) == (8000, 8000)
        mine = store.query(f'ASK {{ <{EX}p9> ?p ?o }}', **kw)
        assert not bool(mine)  # p9 is in a restricted graph
        token = store.query("SELECT (COUNT(*) AS ?t) WHERE { GRAPH ?g { ?s ?p ?o } }",
                            **access.dataset(graphs, restricted_ok=True))
        assert int(next(iter(token))["t"].value) == 9000
    except (QueryTimeout, RemoteStoreError) as exc:  # pragma: no cover - reported, not hidden
        pytest.fail(f"the engine could not answer at 9,000 graphs: {exc}")
    finally:
        virtuoso_engine.isql("delete from DB.DBA.load_list;")
        # 9,000 graphs would make the next test's clear_store (one DROP per graph over
        # SPARQL) overrun the engine's time limit: remove them in SQL, where it has none
        virtuoso_engine.isql(f"log_enable(3,1);\nDELETE FROM DB.DBA.RDF_QUAD WHERE "
                             f"id_to_iri(G) LIKE '{EX}graph/testimony/b%';\n")
