"""Big loads commit by building the new state in a checkpoint of the store and swapping the
directories (justicegraph/store/swap.py). Forced onto that path (``swap_min_quads=1``), a
load writes exactly what the one-transaction path writes, re-loads stay idempotent, a refused
load changes nothing and leaves no staging copy, and a system that cannot swap falls back to
the transaction. (SIGKILL during the swap path: tests/test_crash.py, test_crash_load.py.)"""

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
