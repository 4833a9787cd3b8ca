"""The change an INSERT DATA update makes to a remote store is found by asking the engine
which of its quads it already holds — without copying the store (server/protocol/jobs.py
``_absent``); other updates still run on a copy, in a killable process (server/protocol/remote_diff.py)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import open_backend

from justicegraph.server.protocol.jobs import run_job

pytestmark = pytest.mark.server  # starts oxigraph serve and Virtuoso on 127.0.0.1

EX = "http://example.org/"
G = ox.NamedNode(EX + "g")
INT = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_insert_data_diff_asks_the_engine_instead_of_copying_it(request, tmp_path, monkeypatch, kind):
    store = open_backend(request, kind, tmp_path)
    held = [ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "n"), ox.Literal("1", datatype=INT), G),
            ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "label"), ox.Literal("Ali", language="en"), G),
            ox.Quad(ox.NamedNode(EX + "d"), ox.NamedNode(EX + "p"), ox.Literal("in the default graph"),
                    ox.DefaultGraph())]
    store.apply(insert=held)

    def no_copy(*args, **kwargs):
        raise AssertionError("the whole store was read")

    monkeypatch.setattr(store, "quads", no_copy)
    update = (f"INSERT DATA {{ GRAPH <{G.value}> {{ <{EX}a> <{EX}n> 1 . <{EX}a> <{EX}label> 'Ali'@en . "
              f"<{EX}a> <{EX}n> 2 . <{EX}a> <{EX}label> 'Ali'@fa . _:x <{EX}p> <{EX}a> }} "
              f"<{EX}d> <{EX}p> 'in the default graph' . <{EX}d> <{EX}p> 'new' }} ;"
              f"INSERT DATA {{ GRAPH <{EX}other> {{ <{EX}a> <{EX}n> 1 }} }}")
    messages = []
    run_job({"kind": "diff", "update": update, "base": None, "insert_data_only": True}, store, messages.append)
    assert messages[0][0] == "meta", messages
    added = messages[0][1]["change"]["added"]
    shown = {str(q) for q in added if not isinstance(q.subject, ox.BlankNode)}
    assert shown == {
        f'<{EX}a> <{EX}n> "2"^^<{INT.value}> <{G.value}>',
        f'<{EX}a> <{EX}label> "Ali"@fa <{G.value}>',
        f'<{EX}d> <{EX}p> "new"',
        f'<{EX}a> <{EX}n> "1"^^<{INT.value}> <{EX}other>',
    }
    assert sum(isinstance(q.subject, ox.BlankNode) for q in added) == 1  # a new blank node is always new
    store.close()
