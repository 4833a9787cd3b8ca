"""The public dataset of a remote store (justicegraph/store/remote/public.py): a second
`oxigraph serve` that holds exactly the public graphs, kept in step by our writes (removals
before the primary is written, additions after), rebuilt by `justicegraph public-sync`, and
answering anonymous callers with no graph list. Runs its own pair of engines on 127.0.0.1."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from justicegraph.cli import main
from justicegraph.server.app import create_app
from justicegraph.store.remote import engines
from justicegraph.store.remote.base import DEFAULT_GRAPH, RemoteStoreError
from justicegraph.store.remote.public import PublicBehind, is_public, sync

pytestmark = pytest.mark.server  # starts two oxigraph serve on 127.0.0.1

EX = "https://example.org/"
PUBLIC = EX + "graph/testimony/t1"
SECRET = PUBLIC + "/restricted"
PROV, PROV_SECRET = EX + "graph/provenance", EX + "graph/provenance/restricted"
WRITE, READ = "w-" + "x" * 30, "r-" + "y" * 30
JSON = {"Accept": "application/sparql-results+json"}


def n(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


def q(s, o, graph) -> ox.Quad:
    return ox.Quad(n(s), n("says"), ox.Literal(o), ox.NamedNode(graph) if isinstance(graph, str) else graph)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    missing = engines.oxigraph_missing()
    if missing:
        pytest.skip(missing)
    started = engines.start_oxigraph(tmp_path_factory.mktemp("pair"), timeout_s=5, public=True)
    yield started
    started.stop()


@pytest.fixture
def store(engine):
    opened = engine.open()
    engines.clear_store(opened)
    opened.apply(insert=[q("a", "public", PUBLIC), q("b", "secret", SECRET), q("c", "default", ox.DefaultGraph()),
                         q("t1", "described", PROV), q("t1r", "restricted description", PROV_SECRET),
                         ox.Quad(ox.BlankNode(), n("says"), ox.Literal("blank"), ox.NamedNode(PUBLIC))])
    yield opened
    opened.close()


def shape(quads) -> set[str]:
    """Quads as text with blank node labels erased (each engine names its own)."""
    return {str(ox.Quad(ox.BlankNode("b") if isinstance(x.subject, ox.BlankNode) else x.subject, x.predicate,
                        ox.BlankNode("b") if isinstance(x.object, ox.BlankNode) else x.object, x.graph_name))
            for x in quads}


def public_part(store) -> set[str]:
    return shape(x for x in store.quads() if isinstance(x.graph_name, ox.DefaultGraph) or is_public(x.graph_name.value))


def test_holds_exactly_the_public_part_after_each_write(store):
    assert shape(store.public.quads()) == public_part(store)
    assert store.public.graphs() == [PROV, PUBLIC]
    # a record withdrawn to the restricted twin, a blank node removed, a graph dropped, one added
    blank = [x for x in store.quads(PUBLIC) if isinstance(x.subject, ox.BlankNode)]
    store.apply(delete=[q("a", "public", PUBLIC), *blank], insert=[q("a", "public", SECRET), q("d", "new", EX + "g2")])
    assert shape(store.public.quads()) == public_part(store) == shape(
        [q("c", "default", ox.DefaultGraph()), q("t1", "described", PROV), q("d", "new", EX + "g2")])
    store.apply(drop_graphs=[EX + "g2", DEFAULT_GRAPH])
    assert shape(store.public.quads()) == public_part(store) == shape([q("t1", "described", PROV)])
    store.bulk_import([q("e", "bulk", PUBLIC), q("f", "bulk secret", SECRET)])
    assert shape(store.public.quads()) == public_part(store)
    assert not any("secret" in str(x) or "restricted" in str(x) for x in store.public.quads())


def test_a_change_bigger_than_a_request_keeps_the_public_part_exact(store, monkeypatch):
    """Both engines are written by bounded requests (the primary staged, then one swap; the
    public dataset in chunks): the public part is still exactly what the primary holds."""
    from justicegraph.store.remote import dialect, public

    monkeypatch.setattr(dialect, "ONE_REQUEST_QUADS", 5)
    monkeypatch.setattr(public, "CHUNK_QUADS", 3)
    sent, post = [], type(store.public)._post
    monkeypatch.setattr(type(store.public), "_post", lambda self, url, data, *a, **kw: (
        sent.append(url), post(self, url, data, *a, **kw))[1])
    store.apply(insert=[q(f"m{i}", "many", PUBLIC) for i in range(10)] + [q(f"s{i}", "hidden", SECRET) for i in range(4)])
    assert shape(store.public.quads()) == public_part(store)
    store.apply(delete=[q(f"m{i}", "many", PUBLIC) for i in range(8)], insert=[q("n", "added", EX + "g3")])
    assert shape(store.public.quads()) == public_part(store)
    assert len([u for u in sent if u == store.public.update_url]) >= 6  # 10 in chunks of 3, then 8


def test_removals_go_first_additions_after(store, monkeypatch):
    """While the primary is written, the public dataset holds neither what the change
    withdraws nor what it adds: a subset of what is public both before and after."""
    seen = []
    write = type(store).update

    def spying(self, text, **kw):
        seen.append(shape(store.public.quads()))
        return write(self, text, **kw)

    monkeypatch.setattr(type(store), "update", spying)
    store.apply(delete=[q("a", "public", PUBLIC)], insert=[q("a", "public", SECRET), q("n", "added", PUBLIC)])
    monkeypatch.undo()
    (during,) = seen
    assert shape([q("a", "public", PUBLIC)]) <= public_part_before(store) and not during & shape(
        [q("a", "public", PUBLIC), q("n", "added", PUBLIC), q("a", "public", SECRET)])
    assert shape([q("n", "added", PUBLIC)]) <= shape(store.public.quads()) == public_part(store)


def public_part_before(store) -> set[str]:  # what the fixture wrote publicly
    return shape([q("a", "public", PUBLIC), q("c", "default", ox.DefaultGraph()), q("t1", "described", PROV)])


def test_a_failed_removal_writes_nothing_a_failed_addition_leaves_less_then_sync_repairs(store, monkeypatch):
    before_primary, before_public = shape(store.quads()), shape(store.public.quads())
    apply = type(store.public).apply

    def refusing(self, *, drop_graphs=(), delete=(), insert=()):
        if list(delete) or list(drop_graphs):
            raise RemoteStoreError("public engine down")
        return apply(self, insert=insert)

    monkeypatch.setattr(type(store.public), "apply", refusing)
    with pytest.raises(RemoteStoreError):
        store.apply(delete=[q("a", "public", PUBLIC)], insert=[q("z", "late", PUBLIC)])
    assert shape(store.quads()) == before_primary and shape(store.public.quads()) == before_public

    def refusing_additions(self, *, drop_graphs=(), delete=(), insert=()):
        if list(insert):
            raise RemoteStoreError("public engine down")
        return apply(self, drop_graphs=drop_graphs, delete=delete)

    monkeypatch.setattr(type(store.public), "apply", refusing_additions)
    with pytest.raises(PublicBehind, match="public-sync"):
        store.apply(delete=[q("a", "public", PUBLIC)], insert=[q("z", "late", PUBLIC)])
    monkeypatch.undo()
    assert shape([q("z", "late", PUBLIC)]) <= shape(store.quads())
    assert shape(store.public.quads()) < public_part(store)  # behind: less, never more
    sync(store)
    assert shape(store.public.quads()) == public_part(store)


def test_public_sync_rebuilds_from_the_primary(engine, store):
    store.update(f"INSERT DATA {{ GRAPH <{PUBLIC}> {{ <{EX}w> <{EX}says> 'behind our back' }} }}")
    planted = (f"INSERT DATA {{ GRAPH <{SECRET}> {{ <{EX}x> <{EX}says> 'planted' }} "
               f"GRAPH <{EX}stray> {{ <{EX}x> <{EX}says> 'stray' }} }}")
    store.public._post(store.public.update_url, [("update", planted)], "*/*", 30)
    result = CliRunner().invoke(main, ["public-sync"], env=engine.environ)
    assert result.exit_code == 0, result.output
    assert "2 public graphs" in result.output and "2 graphs removed" in result.output
    assert shape(store.public.quads()) == public_part(store)
    assert "behind our back" in str(shape(store.public.quads()))


def test_public_sync_without_a_public_dataset_is_a_clear_error(engine):
    env = {k: v for k, v in engine.environ.items() if k != "JUSTICEGRAPH_STORE_PUBLIC_URL"}
    result = CliRunner().invoke(main, ["public-sync"], env=env)
    assert result.exit_code == 1 and "store_public_url" in result.output


def _app(engine, store, **overrides):
    app = create_app(engine.settings(write_token=WRITE, read_token=READ, **overrides), store=store)
    app.config["TESTING"] = True
    return app.test_client()


def _values(response, var="o") -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {b[var]["value"] for b in response.get_json()["results"]["bindings"]}


def test_anonymous_queries_are_answered_by_the_public_dataset(engine, store):
    """A marker only the public engine holds shows where each caller's query went: anonymous
    callers to the public dataset (its union default graph), token holders to the primary."""
    marker = f"INSERT DATA {{ GRAPH <{EX}graph/marker> {{ <{EX}m> <{EX}says> 'only in the public dataset' }} }}"
    store.public._post(store.public.update_url, [("update", marker)], "*/*", 30)
    client = _app(engine, store)
    every = "SELECT ?o WHERE { ?s ?p ?o }"
    anonymous = _values(client.get("/sparql", query_string={"query": every}, headers=JSON))
    assert anonymous == {"only in the public dataset", "public", "default", "described", "blank"}
    reader = _values(client.get("/sparql", query_string={"query": every},
                                headers={**JSON, "Authorization": f"Bearer {READ}"}))
    assert "only in the public dataset" not in reader and "secret" in reader
    for sneaky in (f"SELECT ?o FROM <{SECRET}> WHERE {{ ?s ?p ?o }}",
                   f"SELECT ?o WHERE {{ GRAPH <{SECRET}> {{ ?s ?p ?o }} }}",
                   "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }"):
        got = _values(client.get("/sparql", query_string={"query": sneaky}, headers=JSON))
        assert not got & {"secret", "restricted description"}
    graphs = _values(client.get("/sparql", query_string={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"},
                                headers=JSON), "g")
    assert graphs == {PUBLIC, PROV, EX + "graph/marker"}  # no restricted name, no internal one


def test_strict_dataset_anonymously_is_the_default_graph(engine, store):
    client = _app(engine, store, union_default_graph=False)
    got = _values(client.get("/sparql", query_string={"query": "SELECT ?o WHERE { ?s ?p ?o }"}, headers=JSON))
    assert got == {"default"}
    named = _values(client.get("/sparql", query_string={"query": "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }"},
                               headers=JSON))
    assert named == {"public", "described", "blank"}


def test_anonymous_update_path_keeps_the_public_dataset_in_step(engine, store):
    client = _app(engine, store)
    update = (f"DELETE {{ GRAPH <{PUBLIC}> {{ ?s ?p ?o }} }} INSERT {{ GRAPH <{SECRET}> {{ ?s ?p ?o }} }} "
              f"WHERE {{ GRAPH <{PUBLIC}> {{ ?s ?p ?o FILTER isIRI(?s) }} }}")
    done = client.post("/sparql", data={"update": update}, headers={"Authorization": f"Bearer {WRITE}"})
    assert done.status_code == 204, done.get_data(as_text=True)
    assert shape(store.public.quads()) == public_part(store)
    anonymous = _values(client.get("/sparql", query_string={"query": "SELECT ?o WHERE { ?s ?p ?o }"}, headers=JSON))
    assert "public" not in anonymous and "blank" in anonymous


def test_pages_read_the_public_dataset_anonymously(engine, store):
    """Entity pages (context.store()) follow the same route: the public dataset anonymously,
    with no listing of its graphs; the primary for the read token."""
    jg = "https://w3id.org/justicegraph/"
    store.apply(insert=[ox.Quad(ox.NamedNode(jg + "id/hidden"), n("says"), ox.Literal("secret page"),
                                ox.NamedNode(jg + "graph/testimony/t9/restricted"))])
    marker = (f"INSERT DATA {{ GRAPH <{jg}graph/testimony/m> {{ <{jg}id/marker> <{EX}says> 'public page' }} }}")
    store.public._post(store.public.update_url, [("update", marker)], "*/*", 30)
    client = _app(engine, store)
    turtle = {"Accept": "text/turtle"}
    page = client.get("/id/marker", headers=turtle)
    assert page.status_code == 200 and "public page" in page.get_data(as_text=True)
    assert client.get("/id/hidden", headers=turtle).status_code == 404
    reader = {**turtle, "Authorization": f"Bearer {READ}"}
    assert client.get("/id/marker", headers=reader).status_code == 404
    assert "secret page" in client.get("/id/hidden", headers=reader).get_data(as_text=True)


def test_a_write_the_public_dataset_cannot_follow_says_so(engine, store, monkeypatch):
    apply = type(store.public).apply

    def refusing_additions(self, *, drop_graphs=(), delete=(), insert=()):
        if list(insert):
            raise RemoteStoreError("public engine down")
        return apply(self, drop_graphs=drop_graphs, delete=delete)

    monkeypatch.setattr(type(store.public), "apply", refusing_additions)
    client = _app(engine, store)
    update = f"INSERT DATA {{ GRAPH <{PUBLIC}> {{ <{EX}late> <{EX}says> 'late' }} }}"
    r = client.post("/sparql", data={"update": update}, headers={"Authorization": f"Bearer {WRITE}"})
    assert r.status_code == 500
    assert "was written" in r.get_json()["error"]["message"] and "public-sync" in r.get_json()["error"]["message"]
    monkeypatch.undo()
    assert "late" not in str(shape(store.public.quads())) and "late" in str(shape(store.quads()))
    sync(store)
    assert shape(store.public.quads()) == public_part(store)
