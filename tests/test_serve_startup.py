"""`justicegraph serve` start-up: it publishes a snapshot only when the primary changed since
the current one was made (otherwise it starts on it without opening any store), and it
refuses an unknown serving mode in one line."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from justicegraph.cli import main
from justicegraph.cli.serve import _prepare
from justicegraph.server.protocol.snapshot import SnapshotStore
from justicegraph.settings import Settings
from justicegraph.store import OxigraphStore

pytestmark = pytest.mark.embedded_only("start-up publishes snapshots of an embedded on-disk store")

QUAD = ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("o"), ox.NamedNode("urn:g"))


def write(path, quads) -> None:
    store = OxigraphStore(path)
    store.apply(insert=quads)
    store.close()
    del store


def test_start_publishes_only_when_the_primary_changed(tmp_path):
    path = tmp_path / "store"
    write(path, [QUAD])
    settings = Settings.from_env({}, store=str(path))
    snapshots = SnapshotStore(path)
    _prepare(settings)  # first start: nothing published yet
    first = snapshots.current().name
    _prepare(settings)  # unchanged: starts on the same snapshot
    assert snapshots.current().name == first
    changed = ox.Quad(ox.NamedNode("urn:s2"), ox.NamedNode("urn:p"), ox.Literal("o"), ox.NamedNode("urn:g"))
    write(path, [changed])  # offline, between two starts
    _prepare(settings)
    assert snapshots.current().name != first
    assert set(ox.Store.read_only(str(snapshots.current()))) == {QUAD, changed}


def test_an_unknown_serve_mode_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "store"), "serve"],
                                env={"JUSTICEGRAPH_SERVE_MODE": "ram"})
    assert result.exit_code != 0
    assert "serve_mode must be 'disk' or 'memory'" in result.output


def test_publish_command_says_when_nothing_changed(tmp_path):
    path = tmp_path / "store"
    write(path, [QUAD])
    runner = CliRunner()
    first = runner.invoke(main, ["--store", str(path), "publish"])
    assert first.exit_code == 0 and "published a snapshot" in first.output
    again = runner.invoke(main, ["--store", str(path), "publish"])
    assert again.exit_code == 0 and "already holds its content" in again.output
