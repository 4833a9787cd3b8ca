"""The command line leaves a store directory ready for a server: `load` publishes the snapshot
(and public view) a server reads, and the commands that only read never open the primary for
writing — which would change its files and make the next `serve` publish again (the cost of a
first start: docs/performance.md, "First answer after start")."""

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from loader_helpers import copy_fixture

from justicegraph.cli import main
from justicegraph.server.protocol.snapshot import SnapshotStore

pytestmark = pytest.mark.embedded_only("about a store directory's snapshots")

PEOPLE = "SELECT ?p WHERE { ?p a jg:Person }"


def run(store, *args):
    result = CliRunner().invoke(main, ["--store", str(store), *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def loaded(tmp_path):
    store = tmp_path / "store"
    result = run(store, "load", str(copy_fixture(tmp_path)))
    assert "published a snapshot for the server" in result.stdout
    return store


def test_load_publishes_snapshot_and_public_view(loaded):
    snapshots = SnapshotStore(loaded)
    assert snapshots.up_to_date()
    held = snapshots.holds_restricted()
    assert held is not None and held[1], "the sample holds restricted records: the load builds their public view"
    view = ox.Store.read_only(str(snapshots.public_view()))
    full = ox.Store.read_only(str(snapshots.current()))
    restricted = [g.value for g in full.named_graphs() if g.value.endswith("/restricted")]
    assert restricted and not any(g.value.endswith("/restricted") for g in view.named_graphs())
    assert len(view) < len(full)


def test_no_publish_leaves_it_to_serve(tmp_path):
    store = tmp_path / "store"
    result = run(store, "load", "--no-publish", str(copy_fixture(tmp_path)))
    assert "published" not in result.stdout
    assert not SnapshotStore(store).up_to_date()
    run(store, "publish")
    assert SnapshotStore(store).up_to_date()


@pytest.mark.parametrize("command", [
    ("query", "--format", "csv", PEOPLE),
    ("query", "--format", "csv", "--restricted", PEOPLE),
    ("stats",),
    ("export", "--format", "nquads"),
    ("validate", "--packaged", "1988"),
])
def test_reading_commands_keep_the_snapshot_current(loaded, command):
    name = SnapshotStore(loaded).current().name
    first = run(loaded, *command).stdout
    snapshots = SnapshotStore(loaded)
    assert snapshots.up_to_date() and snapshots.current().name == name
    assert run(loaded, *command).stdout == first


def test_reading_commands_see_what_the_primary_holds(loaded, tmp_path):
    """Read from the snapshot only while it holds the primary's content: after an unpublished
    load, the primary itself (read-only)."""
    before = run(loaded, "query", "--format", "csv", "--restricted", PEOPLE).stdout
    changed = copy_fixture(tmp_path, "sample", as_name="changed")
    people = changed / "people.csv"
    people.write_text(people.read_text(encoding="utf-8") + "person-omega,Omega Example,,,Added for the test.,,,¶9,\n",
                      encoding="utf-8")
    run(loaded, "load", "--no-publish", "--dataset", "sample", str(changed))
    assert not SnapshotStore(loaded).up_to_date()
    after = run(loaded, "query", "--format", "csv", "--restricted", PEOPLE).stdout
    assert "person-omega" not in before and "person-omega" in after
    assert not SnapshotStore(loaded).up_to_date()  # still unpublished: nothing was opened for writing
