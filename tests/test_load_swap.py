"""Big loads commit by building the new state in a checkpoint of the store and swapping the
directories (justicegraph/store/swap.py). Forced onto that path (``swap_min_quads=1``), a
load writes exactly what the one-transaction path writes, re-loads stay idempotent, a refused
load changes nothing and leaves no staging copy, and a system that cannot swap falls back to
the transaction. A staging copy left by a killed commit is removed at the next open; changes
with blank nodes keep their labels, and one cut short is completed from the store's journal
at the next open. (SIGKILL during the swap path: tests/test_crash.py, test_crash_load.py,
test_crash_write.py.)"""

from __future__ import annotations

import os

import pyoxigraph as ox
import pytest
from loader_helpers import copy_fixture, data_quads, edit_csv, snapshot

from justicegraph.loaders import LoadError, load, system
from justicegraph.namespaces import Minter
from justicegraph.store import OxigraphStore
from justicegraph.store import swap as store_swap


def leftovers(path) -> list[str]:
    return sorted(p.name for p in store_swap.state_dir(path).glob(store_swap.STAGING_PREFIX + "*"))


def test_swap_load_writes_what_a_transaction_writes_and_reloads_idempotently(tmp_path):
    records = copy_fixture(tmp_path)
    plain = OxigraphStore(tmp_path / "plain", swap_min_quads=None)
    swapped = OxigraphStore(tmp_path / "swapped", swap_min_quads=1)
    load(plain, [records], dataset="sample")
    inode = os.stat(tmp_path / "swapped").st_ino
    load(swapped, [records], dataset="sample")
    assert os.stat(tmp_path / "swapped").st_ino != inode, "the load did not take the swap path"
    assert data_quads(swapped) == data_quads(plain)
    assert len(swapped) == len(plain)
    # the ontology's blank nodes keep their labels: the next load sees them unchanged
    assert system.unchanged(swapped, Minter())
    first = data_quads(swapped)
    load(swapped, [records], dataset="sample")
    assert data_quads(swapped) == first and len(swapped) == len(plain)
    assert leftovers(tmp_path / "swapped") == []
    plain.close()
    swapped.close()


BAD_TTL = """@prefix jg: <https://w3id.org/justicegraph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/justicegraph/id/event-t> a jg:Event ; jg:recordId "event-t" ;
    jg:earliest "1990-01-01"^^xsd:date ; jg:latest "1980-01-01"^^xsd:date .
"""


@pytest.mark.parametrize("breakage", ["record", "shacl"])
def test_refused_swap_load_changes_nothing(tmp_path, breakage):
    records = copy_fixture(tmp_path)
    store = OxigraphStore(tmp_path / "store", swap_min_quads=1)
    load(store, [records], dataset="sample")
    before = snapshot(store)
    if breakage == "record":
        edit_csv(records / "people.csv", "¶", "§")
    else:  # passes the record checks, refused by SHACL while the change is being staged
        (records / "bad.ttl").write_text(BAD_TTL, encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(store, [records], dataset="sample")
    if breakage == "shacl":
        assert any("shacl:" in str(e) for e in info.value.errors)
    assert snapshot(store) == before
    assert leftovers(tmp_path / "store") == []
    store.close()


def quad(i: int, graph: str) -> ox.Quad:
    return ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), ox.Literal(f"v{i}"), ox.NamedNode(graph))


def test_staged_change_is_invisible_until_commit_and_abort_discards_it(tmp_path):
    store = OxigraphStore(tmp_path / "store", swap_min_quads=1)
    store.apply(insert=[quad(i, "urn:g1") for i in range(5)])
    staged = store.stage(drop_graphs=["urn:g1"], insert=[quad(i, "urn:g2") for i in range(3)])
    assert staged is not None
    assert store.graphs() == ["urn:g1"] and len(store) == 5
    staged.abort()
    assert store.graphs() == ["urn:g1"] and leftovers(tmp_path / "store") == []
    staged = store.stage(drop_graphs=["urn:g1"], insert=[quad(i, "urn:g2") for i in range(3)])
    staged.commit()
    assert store.graphs() == ["urn:g2"] and len(store) == 3
    store.close()


def test_blank_nodes_and_literals_that_look_like_them_survive_the_bulk_path(tmp_path):
    store = OxigraphStore(tmp_path / "store", swap_min_quads=1)
    g = ox.NamedNode("urn:g")
    quads = [ox.Quad(ox.BlankNode("keepme"), ox.NamedNode("urn:p"), ox.Literal("text with _: inside"), g),
             ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.BlankNode("keepme"), g),
             ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:q"), ox.Literal('a "quoted"\nline', language="en"), g)]
    store.apply(insert=quads)
    assert set(store.quads("urn:g")) == set(quads)
    store.close()


def test_without_a_directory_exchange_the_change_commits_in_one_transaction(tmp_path, monkeypatch):
    store = OxigraphStore(tmp_path / "store", swap_min_quads=1)
    store.apply(insert=[quad(i, "urn:g1") for i in range(5)])
    monkeypatch.setattr(store_swap, "exchange", lambda a, b: False)
    store.apply(drop_graphs=["urn:g1"], insert=[quad(i, "urn:g2") for i in range(3)])
    assert store.graphs() == ["urn:g2"] and len(store) == 3
    assert leftovers(tmp_path / "store") == []
    store.close()


def test_a_store_open_read_write_cannot_be_opened_again(tmp_path):
    store = OxigraphStore(tmp_path / "store")
    with pytest.raises(OSError, match="already open read-write"):
        OxigraphStore(tmp_path / "store")
    store.close()
    OxigraphStore(tmp_path / "store").close()  # released on close


KILLED_WHILE_STAGING = """
import os, signal, sys
import pyoxigraph as ox
from justicegraph.store import OxigraphStore

store = OxigraphStore(sys.argv[1], swap_min_quads=1)
staged = store.stage(drop_graphs=["urn:g1"], insert=[ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"),
                                                             ox.Literal(str(i)), ox.NamedNode("urn:g2"))
                                                     for i in range(2000)])
staged.built()  # the copy is complete: killed just before its swap
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_staging_left_by_a_killed_commit_is_removed_at_the_next_open(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.apply(insert=[quad(i, "urn:g1") for i in range(5)])
    store.close()
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_STAGING, str(path)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    left = leftovers(path)
    assert len(left) == 1, "the killed commit left no staging copy: nothing to clean"
    assert any(f.is_file() for f in (store_swap.state_dir(path) / left[0]).iterdir())
    store = OxigraphStore(path)  # an ordinary open, no commit
    assert leftovers(path) == []
    assert store.graphs() == ["urn:g1"] and len(store) == 5
    store.close()


def blank_quads(graph: str, label: str) -> list[ox.Quad]:
    card, g = ox.BlankNode(label), ox.NamedNode(graph)
    return [ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:card"), card, g),
            ox.Quad(card, ox.NamedNode("urn:name"), ox.Literal(label), g)]


@pytest.mark.parametrize("swap_min_quads", [None, 1], ids=["transaction", "swap"])
def test_a_change_deleting_and_inserting_blank_nodes_keeps_their_labels(tmp_path, swap_min_quads):
    store = OxigraphStore(tmp_path / "store", swap_min_quads=swap_min_quads)
    store.apply(insert=blank_quads("urn:g", "old") + blank_quads("urn:h", "other"))
    store.apply(drop_graphs=["urn:h"], delete=blank_quads("urn:g", "old"), insert=blank_quads("urn:g", "new"),
                create_graphs=["urn:empty"])
    assert set(store.quads("urn:g")) == set(blank_quads("urn:g", "new"))
    assert store.graphs() == ["urn:empty", "urn:g"]
    assert not OxigraphStore.has_unfinished_write(tmp_path / "store")
    store.close()


def test_a_journaled_change_cut_short_is_completed_at_the_next_open(tmp_path, monkeypatch):
    import gc

    from justicegraph.store import journal

    path = tmp_path / "store"
    store = OxigraphStore(path, swap_min_quads=None)
    store.apply(insert=blank_quads("urn:g", "old") + [quad(i, "urn:g") for i in range(3)])
    steps = journal.apply_steps

    def cut_short(engine, drop_graphs, delete, insert, create_graphs):
        steps(engine, drop_graphs, delete, [], [])  # the deletes are made, then the store fails
        raise RuntimeError("disk gone")

    monkeypatch.setattr(journal, "apply_steps", cut_short)
    try:
        store.apply(delete=blank_quads("urn:g", "old") + [quad(0, "urn:g")], insert=blank_quads("urn:g", "new"))
    except OSError as exc:
        assert "completed when the store is next opened" in str(exc)
    else:
        raise AssertionError("the failed write was not reported")
    monkeypatch.undo()
    assert OxigraphStore.has_unfinished_write(path)
    store.close()
    gc.collect()  # the exception's frames held the engine: RocksDB closes when it is collected
    with pytest.raises(OSError, match="did not finish"):
        OxigraphStore(path, read_only=True)
    store = OxigraphStore(path)
    assert set(store.quads("urn:g")) == set(blank_quads("urn:g", "new") + [quad(1, "urn:g"), quad(2, "urn:g")])
    assert not OxigraphStore.has_unfinished_write(path) and not journal.leftovers(store_swap.state_dir(path))
    store.close()


def test_a_load_streamed_to_its_staged_commit_in_parts_writes_what_a_transaction_writes(tmp_path, monkeypatch):
    from justicegraph.loaders import pipeline

    records = copy_fixture(tmp_path)
    plain = OxigraphStore(tmp_path / "plain", swap_min_quads=None)
    load(plain, [records], dataset="sample")
    parts = []
    add_nquads = store_swap.StagedChange.add_nquads
    monkeypatch.setattr(store_swap.StagedChange, "add_nquads",
                        lambda self, data, count: (parts.append(count), add_nquads(self, data, count)))
    monkeypatch.setattr(pipeline, "MAP_PART_RECORDS", 3)
    streamed = OxigraphStore(tmp_path / "streamed", swap_min_quads=40)  # staged from the first 40 quads on
    load(streamed, [records], dataset="sample")
    assert len(parts) > 3, "the mapped quads were not handed over in parts"
    assert data_quads(streamed) == data_quads(plain) and len(streamed) == len(plain)
    assert system.unchanged(streamed, Minter())
    assert leftovers(tmp_path / "streamed") == []
    plain.close()
    streamed.close()


def test_a_staged_change_whose_copy_cannot_be_built_is_refused_and_leaves_the_store_as_it_was(tmp_path):
    store = OxigraphStore(tmp_path / "store", swap_min_quads=1)
    store.apply(insert=[quad(i, "urn:g1") for i in range(5)])
    staged = store.stage(drop_graphs=["urn:g1"], streamed=1)
    staged.add_nquads(b"<urn:s> <urn:p> this is not N-Quads .\n", 1)
    staged.close()
    with pytest.raises(OSError, match="building the change"):
        staged.commit()
    assert store.graphs() == ["urn:g1"] and len(store) == 5
    assert leftovers(tmp_path / "store") == []
    store.close()


KILLED_WHILE_STREAMING = """
import os, signal, sys, time
import pyoxigraph as ox
from justicegraph.store import OxigraphStore

store = OxigraphStore(sys.argv[1], swap_min_quads=1)
staged = store.stage(drop_graphs=["urn:g1"], streamed=1)
staged.add([ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), ox.Literal(str(i)), ox.NamedNode("urn:g2"))
            for i in range(2000)])
print(staged._process.pid, flush=True)
time.sleep(0.5)  # the child has opened the copy and waits for the rest of the change
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_load_takes_the_child_building_its_copy_with_it(tmp_path):
    import subprocess
    import sys
    import time

    path = tmp_path / "store"
    store = OxigraphStore(path)
    store.apply(insert=[quad(i, "urn:g1") for i in range(5)])
    store.close()
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_STREAMING, str(path)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    child = int(killed.stdout.split()[0])

    def running() -> bool:
        try:
            with open(f"/proc/{child}/stat") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has stopped
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 10
    while running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(), "the child building the staging copy outlived the killed load"
    store = OxigraphStore(path)
    assert leftovers(path) == []
    assert store.graphs() == ["urn:g1"] and len(store) == 5
    store.close()
