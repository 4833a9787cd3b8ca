"""serve_mode = memory: executors query in-memory copies of the snapshot, with every guarantee
of the on-disk mode — anonymous callers see only the public graphs, a committed write is
seen by the next query, writes are validated, runaway queries are stopped."""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest
from fixtures.restricted.harness import build_store, leaks

from justicegraph.server.app import create_app
from justicegraph.server.protocol import memory as protocol_memory
from justicegraph.server.protocol.machinery import endpoint
from justicegraph.settings import Settings

pytestmark = pytest.mark.embedded_only("memory mode loads embedded snapshots into memory")

READ, WRITE = "memory-mode-read-token-0001", "memory-mode-write-token-0001"
JSON = {"Accept": "application/sparql-results+json"}
GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
EVERYTHING = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
NEW = "https://w3id.org/justicegraph/graph/testimony/memory-mode"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = build_store(tmp_path_factory.mktemp("memory") / "store")
    app = create_app(Settings.from_env({}, store=str(path), serve_mode="memory", read_token=READ,
                                       write_token=WRITE, rate_limit="", query_timeout=2.0, executors=1))
    with app.app_context():
        executor = endpoint().executor
        executor.warm()  # as gunicorn's workers do at start: the zygote loads the copy
        deadline = time.monotonic() + 120
        while not executor.memory_ready and time.monotonic() < deadline:
            time.sleep(0.05)
        assert executor.memory_ready, "the in-memory copy was not loaded"
    yield app
    with app.app_context():
        endpoint().executor.close()


def select(app, query, token=None):
    headers = dict(JSON, **({"Authorization": f"Bearer {token}"} if token else {}))
    r = app.test_client().get("/sparql", query_string={"query": query}, headers=headers)
    return r


# An ASK of one triple pattern is a bounded lookup, answered in the web worker; with a FILTER
# it is not (justicegraph/sparqltext/bounded.py): an executor, holding the copy, answers it.
ANY = "ASK { ?s ?p ?o FILTER(true) }"


def test_metrics_count_the_copy_once_it_is_loaded(app):
    # An operator (or a benchmark) waits for this before measuring the fast mode.
    deadline, found = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        text = app.test_client().get("/metrics").get_data(as_text=True)
        found = next((line for line in text.splitlines() if line.startswith("justicegraph_memory_copies_total ")), None)
        if found == "justicegraph_memory_copies_total 1":
            break
        time.sleep(0.05)
    assert found == "justicegraph_memory_copies_total 1"


def test_executors_load_the_snapshot_into_memory(app):
    assert select(app, ANY).get_json()["boolean"] is True
    with app.app_context():
        executor = endpoint().executor
        assert executor.memory is True
        idle = list(executor._idle.queue)
        # the executor that answered was forked from the zygote, which holds the copy
        assert idle and all(handle.memory for handle in idle)
        zygote = executor._zygote.pid
        for handle in idle:
            with open(f"/proc/{handle.pid}/stat") as stat:
                assert int(stat.read().rsplit(")", 1)[1].split()[1]) == zygote


def test_anonymous_callers_see_only_public_graphs(app):
    r = select(app, GRAPHS)
    assert r.status_code == 200
    seen = {b["g"]["value"] for b in r.get_json()["results"]["bindings"]}
    assert seen and not any(g.endswith("/restricted") for g in seen)
    assert leaks(select(app, EVERYTHING).get_data(as_text=True)) == []


def test_the_read_token_sees_restricted_graphs(app):
    seen = {b["g"]["value"] for b in select(app, GRAPHS, READ).get_json()["results"]["bindings"]}
    assert any(g.endswith("/restricted") for g in seen)


def test_a_token_holders_snapshot_is_read_on_disk_until_the_zygote_holds_it_too(app):
    """The zygote loaded only the public view at start: a token holder's query is answered from
    the snapshot on disk at once (no executor loads a copy within a query's time limit), the
    zygote loads it in the background, and the executors are forked again to share it."""
    first = sorted(b["g"]["value"] for b in select(app, GRAPHS, READ).get_json()["results"]["bindings"])
    with app.app_context():
        executor = endpoint().executor
        full = str(executor.snapshots.current())
        deadline = time.monotonic() + 120
        while full not in executor._held and time.monotonic() < deadline:
            time.sleep(0.05)
        assert full in executor._held
        while not all(h.generation == executor._generation for h in list(executor._idle.queue)) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
    again = sorted(b["g"]["value"] for b in select(app, GRAPHS, READ).get_json()["results"]["bindings"])
    assert again == first and any(g.endswith("/restricted") for g in again)
    with app.app_context():
        idle = list(executor._idle.queue)
        assert idle and all(h.memory and full in h.held and h.generation == executor._generation for h in idle)


def test_a_write_is_seen_by_the_next_query_and_invalid_writes_are_refused(app):
    client = app.test_client()
    ask = f"ASK {{ GRAPH <{NEW}> {{ ?s ?p ?o }} }}"
    assert select(app, ask).get_json()["boolean"] is False
    update = (f'INSERT DATA {{ GRAPH <{NEW}> {{ <https://w3id.org/justicegraph/id/memory-mode> '
              f'<http://www.w3.org/2000/01/rdf-schema#comment> "added in memory mode"@en }} }}')
    r = client.post("/sparql", data={"update": update}, headers={"Authorization": f"Bearer {WRITE}"})
    assert r.status_code == 204, r.get_data(as_text=True)
    assert select(app, ask).get_json()["boolean"] is True
    bad = (f"INSERT DATA {{ GRAPH <{NEW}> {{ <https://w3id.org/justicegraph/id/nameless> a "
           f"<https://w3id.org/justicegraph/ontology#Person> }} }}")  # a person needs a label
    refused = client.post("/sparql", data={"update": bad}, headers={"Authorization": f"Bearer {WRITE}"})
    assert refused.status_code == 422
    nameless = "ASK { <https://w3id.org/justicegraph/id/nameless> ?p ?o FILTER(true) }"
    assert select(app, nameless).get_json()["boolean"] is False


def test_a_runaway_query_is_stopped(app):
    # five-way cross product of the fixture (~10^10 rows): far past the limit whatever a write added
    r = select(app, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }")
    assert r.status_code == 503
    assert select(app, ANY).get_json()["boolean"] is True


def test_load_in_memory_copies_every_quad_and_empty_graph(tmp_path):
    disk = ox.Store(str(tmp_path / "s"))
    quad = ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("o"), ox.NamedNode("urn:g"))
    disk.add(quad)
    disk.add_graph(ox.NamedNode("urn:empty"))
    disk.flush()
    del disk
    copy = protocol_memory.load_in_memory(str(tmp_path / "s"))
    assert list(copy) == [quad]
    assert set(copy.named_graphs()) == {ox.NamedNode("urn:g"), ox.NamedNode("urn:empty")}


def test_an_in_memory_copy_advances_by_the_write_instead_of_reloading(tmp_path):
    from justicegraph.server.protocol.snapshot import SnapshotStore
    from justicegraph.store import OxigraphStore

    def q(s, o, g):
        return ox.Quad(ox.NamedNode("urn:" + s), ox.NamedNode("urn:p"), ox.Literal(o), ox.NamedNode(g))

    public, secret = "urn:g/public", "urn:g/restricted"
    store = OxigraphStore(tmp_path / "store")
    store.apply(insert=[q("a", "open", public), q("b", "sealed", secret), q("c", "gone", public)])
    store.close()
    del store
    snaps = SnapshotStore(tmp_path / "store")
    snaps.publish()
    old, old_view = str(snaps.current()), str(snaps.public_view())
    stores = {old: protocol_memory.load_in_memory(old), old_view: protocol_memory.load_in_memory(old_view)}
    copies = {id(s) for s in stores.values()}
    with snaps.writer() as primary:
        primary.apply(drop_graphs=[], delete=[q("c", "gone", public)],
                      insert=[q("d", "new open", public), q("e", "new sealed", secret)])
    new, new_view = str(snaps.current()), str(snaps.public_view())
    advanced_view = protocol_memory.advance(stores, new_view)
    advanced = protocol_memory.advance(stores, new)
    assert {id(advanced), id(advanced_view)} == copies and stores == {}  # the same copies, changed
    assert set(advanced_view) == set(ox.Store.read_only(new_view)) == {q("a", "open", public), q("d", "new open", public)}
    assert set(advanced) == set(ox.Store.read_only(new))
    assert protocol_memory.advance({}, new) is None  # no copy of the previous one: load afresh


def test_if_the_zygote_dies_queries_are_answered_from_disk(tmp_path):
    path = build_store(tmp_path / "store")
    app = create_app(Settings.from_env({}, store=str(path), serve_mode="memory", read_token=READ, rate_limit="",
                                       query_timeout=2.0, executors=1, inline_lookups=False))
    try:
        with app.app_context():
            executor = endpoint().executor
            executor.warm()
            deadline = time.monotonic() + 120
            while not executor.memory_ready and time.monotonic() < deadline:
                time.sleep(0.05)
            assert executor.memory_ready
            expected = select(app, GRAPHS, READ).get_json()
            executor._zygote._handle.process.kill()  # e.g. the kernel's out-of-memory killer
            executor._zygote._handle.process.wait()
            # the runaway query's executor is killed at the limit; its replacement cannot be forked
            r = select(app, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }")
            assert r.status_code == 503
            for _ in range(3):
                assert select(app, GRAPHS, READ).get_json() == expected
            assert not executor.memory_ready
            assert [h.memory for h in list(executor._idle.queue)] == [False]  # reads the snapshot on disk
    finally:
        with app.app_context():
            endpoint().executor.close()
