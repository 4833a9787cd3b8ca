"""The access rule from the records up: restricted records (tests/fixtures/restricted/
records, loaded by `justicegraph load`) land only in restricted graphs — their names, ids,
numbers and provenance appear in no public graph — and the adversarial queries answer an
anonymous caller exactly as a copy without the restricted graphs does. A public record that
points at a restricted one is refused (its reference would publish the restricted id)."""

from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from fixtures.restricted.harness import ADVERSARIAL, RECORDS, engine_answer, is_restricted_quad, leaks
from stores import REMOTE, current_store, environ, location, new_store

from justicegraph.cli import main as cli_main
from justicegraph.store import OxigraphStore


def load(store, records, dataset="fixture"):
    if "load" not in cli_main.commands:
        pytest.skip("`justicegraph load` is not implemented yet")
    target = location(store) if REMOTE else str(store)  # remote: the engine (tests/stores.py)
    return CliRunner().invoke(cli_main, ["--store", target, "load", "--dataset", dataset, str(records)],
                              env=environ())


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("loaded")
    if REMOTE:
        new_store().close()  # the engine, emptied
    result = load(root / "full", RECORDS)
    assert result.exit_code == 0, result.output
    full = current_store() if REMOTE else OxigraphStore(root / "full")
    # the reference without restricted graphs: same backend (remote: a second engine)
    public = new_store(slot="reference")
    public.bulk_import(q for q in full.quads() if not is_restricted_quad(q))
    yield full, public
    full.close()


def test_restricted_records_are_only_in_restricted_graphs(stores):
    full, _ = stores
    public_text = "\n".join(str(q) for q in full.quads() if not is_restricted_quad(q))
    assert leaks(public_text) == []
    restricted_text = "\n".join(str(q) for q in full.quads() if is_restricted_quad(q))
    for marker in ("Sealed Witness Parvaneh", "Sealedwitness P.", "id/sealed-transfer", "4321",
                   "Sealed accusation", "id/sealed-interview", "graph/testimony/t-sealed/restricted"):
        assert marker in restricted_text, f"{marker!r} was not loaded at all"


@pytest.mark.parametrize(("name", "query", "params"), ADVERSARIAL, ids=[a[0] for a in ADVERSARIAL])
def test_adversarial_queries_on_the_loaded_store(stores, name, query, params):
    full, public = stores
    anonymous = engine_answer(full, query, params, restricted_ok=False)
    assert anonymous == engine_answer(public, query, params, restricted_ok=False)
    if not leaks(query):
        assert leaks(repr(anonymous)) == []


def test_public_record_pointing_at_a_restricted_one_is_refused(tmp_path):
    records = tmp_path / "records"
    shutil.copytree(RECORDS, records)
    with (records / "participations.csv").open("a", encoding="utf-8") as handle:
        handle.write("open-witness-arrest,sealed-witness,witness,t-open,¶3,\n")
    if REMOTE:
        new_store().close()
    result = load(tmp_path / "store", records)
    assert result.exit_code != 0
    assert "participations.csv:5" in result.output and "sealed-witness" in result.output
    assert "Traceback" not in result.output
    store = current_store() if REMOTE else ox.Store(str(tmp_path / "store"))
    assert len(store) == 0, "a refused load wrote something"
