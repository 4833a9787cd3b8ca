"""Crash safety of the server's writes whose change holds blank nodes (issue #17, item 1).

A Graph Store PUT over a graph of blank nodes, and a SPARQL Update deleting and inserting
blank nodes, are sent to the app in a child process (Flask's test client: the server's own
request handling, write session, SHACL check and commit, on an on-disk store). Every call the
write makes on the store (pyoxigraph's ``Store``, wrapped to count them, and the writing of
the store's redo journal) is a kill point: the child is SIGKILLed before its N-th call, for
every N, and after its last. After each kill the
store is opened as the next server start opens it and must hold the graph exactly as before
the write (and no record of the write) or exactly as after it (with the write's provenance).
A first run without a kill counts the calls and gives the state after.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from justicegraph.cli.serve import _prepare
from justicegraph.server.app import create_app
from justicegraph.settings import Settings
from justicegraph.store import OxigraphStore

pytestmark = [pytest.mark.embedded_only("SIGKILLs a process writing pyoxigraph's RocksDB store"), pytest.mark.slow]

TOKEN = "crash-write-token-0123456789"
GRAPH = "https://example.org/crash/graph"
CHECKSUM = "https://w3id.org/justicegraph/ontology#checksum"
OLD = """
<https://example.org/crash/s> <https://example.org/crash/card> _:c1 , _:c2 .
_:c1 <https://example.org/crash/name> "old one" .
_:c2 <https://example.org/crash/name> "old two" .
<https://example.org/crash/s> <https://example.org/crash/note> "kept" .
"""
NEW = """
<https://example.org/crash/s> <https://example.org/crash/card> [ <https://example.org/crash/name> "new one" ] .
<https://example.org/crash/s> <https://example.org/crash/note> "kept" .
"""
UPDATE = f"""
DELETE {{ GRAPH <{GRAPH}> {{ ?s <https://example.org/crash/card> ?c . ?c ?p ?o }} }}
WHERE {{ GRAPH <{GRAPH}> {{ ?s <https://example.org/crash/card> ?c . ?c ?p ?o }} }} ;
INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://example.org/crash/s> <https://example.org/crash/card> [
    <https://example.org/crash/name> "new one" ] }} }}
"""

CHILD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from justicegraph.store import embedded

    primary, kill_after, write = Path(sys.argv[1]).resolve(), int(sys.argv[2]), sys.argv[3]
    calls, counting = [0], [False]
    READS = {"query", "quads_for_pattern", "named_graphs", "contains_named_graph", "dump"}

    class Counting:
        # pyoxigraph's Store, each call of the write counted; SIGKILL before call number kill_after + 1
        def __init__(self, inner):
            self._inner = inner

        def __getattr__(self, name):
            attr = getattr(self._inner, name)
            if name in READS or not callable(attr):
                return attr

            def call(*args, **kwargs):
                if counting[0]:
                    if calls[0] == kill_after:
                        os.kill(os.getpid(), signal.SIGKILL)
                    calls[0] += 1
                return attr(*args, **kwargs)
            return call

        def __len__(self):
            return len(self._inner)

        def __iter__(self):
            return iter(self._inner)

    opened = embedded.OxigraphStore.__init__

    def counted_init(self, path=None, **kwargs):
        opened(self, path, **kwargs)
        if path is not None and not kwargs.get("read_only") and Path(path).resolve() == primary:
            self._store = Counting(self._store)

    embedded.OxigraphStore.__init__ = counted_init
    try:  # writing the store's redo journal is a kill point too (before it: nothing applied)
        from justicegraph.store import journal
    except ImportError:
        journal = None
    if journal is not None:
        journal_write = journal.write

        def counted_write(*args, **kwargs):
            if counting[0]:
                if calls[0] == kill_after:
                    os.kill(os.getpid(), signal.SIGKILL)
                calls[0] += 1
            return journal_write(*args, **kwargs)
        journal.write = counted_write

    from justicegraph.server.app import create_app
    from justicegraph.settings import Settings

    app = create_app(Settings.from_env({}, store=str(primary), rate_limit="", write_token=sys.argv[4]))
    client = app.test_client()
    assert client.get("/graphs", query_string={"graph": sys.argv[5]}).status_code == 200  # snapshot published
    auth = {"Authorization": "Bearer " + sys.argv[4]}
    counting[0] = True
    if write == "put":
        r = client.put("/graphs", query_string={"graph": sys.argv[5]}, data=sys.argv[6].encode(),
                       headers={**auth, "Content-Type": "text/turtle"})
    else:
        r = client.post("/sparql", data={"update": sys.argv[6]}, headers=auth)
    assert r.status_code in (201, 204), r.get_data(as_text=True)
    if calls[0] == kill_after:
        os.kill(os.getpid(), signal.SIGKILL)  # after the last call
    print("calls", calls[0], flush=True)
    os._exit(0)  # executors end when their pipe closes
""")


def graph_of(quads) -> rdflib.Graph:
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) if triples else b""
    return rdflib.Graph().parse(data=data, format="nt")


def base_store(path: Path) -> Path:
    store = OxigraphStore(path)
    store.apply(insert=[ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(GRAPH))
                        for t in ox.parse(input=OLD.encode(), format=ox.RdfFormat.TURTLE)])
    store.close()
    return path


def state(path: Path) -> tuple[rdflib.Graph, int]:
    """The graph and the number of writes recorded, as the next read-write open finds them.
    A write's record (its jg:checksum) counts wherever it is: in a graph of the store, or in
    an audit log beside it (``<store>.jg/audit.nq``, where a server may move the records of
    writes over HTTP); one record found in both places is one."""
    store = OxigraphStore(path)
    try:
        graph = graph_of(store.quads(GRAPH))
        records = {q.subject for q in store.engine.quads_for_pattern(None, ox.NamedNode(CHECKSUM), None, None)}
    finally:
        store.close()
    log = path.parent / (path.name + ".jg") / "audit.nq"
    if log.is_file():
        records |= {q.subject for q in ox.parse(path=str(log), format=ox.RdfFormat.N_QUADS)
                    if q.predicate == ox.NamedNode(CHECKSUM)}
    return graph, len(records)


def served_graph(path: Path) -> rdflib.Graph:
    """The graph as a server started on the store answers it: ``justicegraph serve`` first
    publishes a snapshot unless the current one still holds what the store holds."""
    settings = Settings.from_env({}, store=str(path), rate_limit="")
    _prepare(settings)
    app = create_app(settings)
    r = app.test_client().get("/graphs", query_string={"graph": GRAPH}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200, r.get_data(as_text=True)
    return rdflib.Graph().parse(data=r.get_data(as_text=True), format="nt")


def run(path: Path, kill_after: int, write: str, body: str) -> subprocess.CompletedProcess:
    process = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(kill_after), write, TOKEN, GRAPH, body],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=300)
    finally:
        try:  # executors the child started are in its process group
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.parametrize("write", ["put", "update"])
def test_kill_at_every_store_call_of_a_blank_node_write(tmp_path, write):
    body = NEW if write == "put" else UPDATE
    base = base_store(tmp_path / "base")
    before, _ = state(base)
    assert len(before) == 5

    whole = tmp_path / "whole"
    shutil.copytree(base, whole)
    done = run(whole, -1, write, body)
    assert done.returncode == 0, done.stderr
    calls = int(done.stdout.split()[-1])
    after, recorded = state(whole)
    assert recorded == 1
    assert isomorphic(after, graph_of(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(GRAPH))
                                      for t in ox.parse(input=NEW.encode(), format=ox.RdfFormat.TURTLE)))
    assert calls >= 3, "the write made fewer store calls than expected: nothing to kill between"

    outcomes = []
    for kill_after in range(calls + 1):
        work = tmp_path / f"kill-{kill_after}"
        shutil.copytree(base, work)
        killed = run(work, kill_after, write, body)
        assert killed.returncode == -signal.SIGKILL, f"not killed after {kill_after} calls: {killed.stderr}"
        served = served_graph(work)  # the next server start, before anything else opens the store
        graph, writes = state(work)
        assert isomorphic(served, graph), "the server started on the store answers another state"
        if isomorphic(graph, before):
            assert writes == 0, f"after {kill_after} calls: the graph is unchanged but the write is recorded"
            outcomes.append("before")
        else:
            assert isomorphic(graph, after), (f"killed after {kill_after} of {calls} calls: the graph is "
                                              f"neither as before nor as after:\n{graph.serialize(format='nt')}")
            assert writes == 1, f"after {kill_after} calls: the change is there without its provenance"
            outcomes.append("after")
        shutil.rmtree(work)
    assert "before" in outcomes and "after" in outcomes, outcomes
