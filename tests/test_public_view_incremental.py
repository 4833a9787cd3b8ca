"""The public view follows each write by the write's own change (server/protocol/public.py):
after every kind of change it holds exactly the public graphs of the new snapshot, it is
rebuilt in full when the change is not known or the primary was changed offline, and an
interrupted build leaves the previous snapshot in service. The server starts on the current
snapshot without publishing when the primary is unchanged."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from justicegraph.server.protocol import write as protocol_write
from justicegraph.server.protocol.public import SUFFIX, copy_store
from justicegraph.server.protocol.snapshot import SnapshotStore, fingerprint
from justicegraph.store import OxigraphStore

pytestmark = pytest.mark.embedded_only("the public view is a twin of an embedded snapshot (RocksDB checkpoint)")

G = "https://w3id.org/justicegraph/graph/"
PUBLIC_A, PUBLIC_B = G + "testimony/a", G + "testimony/b"
SECRET_A, SECRET_B = PUBLIC_A + "/restricted", G + "testimony/c/restricted"
P = ox.NamedNode("https://w3id.org/justicegraph/ontology#summary")


def quad(subject: str, value: str, graph: str | None) -> ox.Quad:
    g = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    return ox.Quad(ox.NamedNode("https://w3id.org/justicegraph/id/" + subject), P, ox.Literal(value), g)


START = [quad("x", "open a", PUBLIC_A), quad("y", "open b", PUBLIC_B), quad("z", "in default", None),
         quad("x", "sealed a", SECRET_A), quad("w", "sealed c", SECRET_B)]


@pytest.fixture
def snapshots(tmp_path):
    store = OxigraphStore(tmp_path / "store")
    store.apply(insert=START)
    store.close()
    del store
    snaps = SnapshotStore(tmp_path / "store", grace=0.0)
    snaps.publish()
    return snaps


def contents(path) -> set[ox.Quad]:
    store = ox.Store.read_only(str(path))
    return set(store)


def assert_view_exact(snaps: SnapshotStore) -> set[ox.Quad]:
    """The view holds exactly the public quads of the current snapshot (and nothing else)."""
    full = contents(snaps.current())
    view = snaps.public_view()
    assert view is not None
    public = {q for q in full if not (isinstance(q.graph_name, ox.NamedNode)
                                      and q.graph_name.value.endswith("/restricted"))}
    assert contents(view) == public
    assert public != full  # the snapshot does hold restricted quads
    return public


def test_first_publish_builds_the_view_in_full(snapshots):
    assert snapshots.last_view_build == "full"
    public = assert_view_exact(snapshots)
    assert quad("x", "open a", PUBLIC_A) in public and quad("x", "sealed a", SECRET_A) not in public


def test_a_write_touching_public_and_restricted_graphs_updates_the_view_by_its_change(snapshots):
    with snapshots.writer() as primary:
        primary.apply(delete=[quad("y", "open b", PUBLIC_B), quad("w", "sealed c", SECRET_B)],
                      insert=[quad("v", "new open", PUBLIC_B), quad("v", "new sealed", SECRET_A),
                              quad("z", "new default", None)])
    assert snapshots.last_view_build == "incremental"
    public = assert_view_exact(snapshots)
    assert quad("v", "new open", PUBLIC_B) in public and quad("z", "new default", None) in public
    assert quad("y", "open b", PUBLIC_B) not in public
    assert not any(q.object.value.startswith("new sealed") for q in contents(snapshots.public_view()))


def test_a_graph_drop_and_a_delete(snapshots):
    with snapshots.writer() as primary:
        primary.apply(drop_graphs=[PUBLIC_A, SECRET_B], delete=[quad("z", "in default", None)])
    assert snapshots.last_view_build == "incremental"
    public = assert_view_exact(snapshots)
    view = ox.Store.read_only(str(snapshots.public_view()))
    assert ox.NamedNode(PUBLIC_A) not in set(view.named_graphs())
    assert public == {quad("y", "open b", PUBLIC_B)}


def test_writes_through_the_engine_are_followed_when_reported(snapshots):
    """The Graph Store / Update path: blank nodes go through the engine; protocol_write
    reports the change, including a created empty graph."""
    bnode = ox.Quad(ox.BlankNode(), P, ox.Literal("blank"), ox.NamedNode(PUBLIC_B))
    sealed = ox.Quad(ox.BlankNode(), P, ox.Literal("blank sealed"), ox.NamedNode(SECRET_A))
    change = protocol_write.Change(added=[bnode, sealed], removed=[quad("y", "open b", PUBLIC_B)],
                                   created=[G + "testimony/empty"])
    with snapshots.writer() as primary:
        protocol_write.apply(primary, change, [])
    assert snapshots.last_view_build == "incremental"
    assert_view_exact(snapshots)
    view = ox.Store.read_only(str(snapshots.public_view()))
    assert ox.NamedNode(G + "testimony/empty") in set(view.named_graphs())
    assert [q.object.value for q in view.quads_for_pattern(None, P, None, ox.NamedNode(PUBLIC_B))] == ["blank"]


def test_successive_writes_and_the_last_restricted_graph_going(snapshots):
    for i in range(3):
        with snapshots.writer() as primary:
            primary.apply(insert=[quad(f"n{i}", f"open {i}", PUBLIC_A), quad(f"n{i}", f"sealed {i}", SECRET_A)])
        assert snapshots.last_view_build == "incremental"
        assert_view_exact(snapshots)
    with snapshots.writer() as primary:
        primary.apply(drop_graphs=[SECRET_A, SECRET_B])
    assert snapshots.public_view() is None  # nothing restricted: the snapshot itself is public
    with snapshots.writer() as primary:  # restricted again: the view starts from the snapshot
        primary.apply(insert=[quad("q", "sealed again", SECRET_B), quad("q", "open again", PUBLIC_B)])
    assert snapshots.last_view_build == "incremental"
    assert_view_exact(snapshots)


def test_an_unrecorded_write_rebuilds_the_view_in_full(snapshots):
    with snapshots.writer() as primary:
        primary.update(f'INSERT DATA {{ GRAPH <{PUBLIC_A}> {{ <urn:u> <urn:p> "by update" }} }}')
    assert snapshots.last_view_build == "full"
    assert ox.Quad(ox.NamedNode("urn:u"), ox.NamedNode("urn:p"), ox.Literal("by update"),
                   ox.NamedNode(PUBLIC_A)) in assert_view_exact(snapshots)


def test_an_offline_change_of_the_primary_is_noticed(snapshots):
    assert snapshots.up_to_date()
    name = snapshots.current().name
    assert snapshots.publish().name == name  # unchanged: nothing published, no store opened
    offline = OxigraphStore(snapshots.primary)  # e.g. `justicegraph load` while no server runs
    offline.apply(insert=[quad("o", "offline", PUBLIC_A)])
    offline.close()
    del offline
    assert not snapshots.up_to_date()
    assert snapshots.publish().name != name
    assert snapshots.last_view_build == "full"
    assert quad("o", "offline", PUBLIC_A) in assert_view_exact(snapshots)
    # and the next write is incremental again
    with snapshots.writer() as primary:
        primary.apply(insert=[quad("o", "online", PUBLIC_B)])
    assert snapshots.last_view_build == "incremental"


def test_an_interrupted_view_build_leaves_the_previous_snapshot_and_is_cleaned_up(snapshots, monkeypatch):
    before = snapshots.current()
    from justicegraph.server.protocol import public as protocol_public

    def killed(previous, deltas, target):
        copy_store(previous, target.with_name(target.name + ".tmp"))
        raise OSError("killed while building the view")

    monkeypatch.setattr(protocol_public, "build_incremental", killed)
    with pytest.raises(OSError), snapshots.writer() as primary:
        primary.apply(insert=[quad("k", "never seen", PUBLIC_A)])
    assert snapshots.current() == before
    assert quad("k", "never seen", PUBLIC_A) not in contents(snapshots.public_view())
    assert list(snapshots.snapshots.glob("*" + SUFFIX + ".tmp"))
    monkeypatch.undo()
    # The primary holds the change but no snapshot does: the next session rebuilds in full.
    assert not snapshots.up_to_date()
    with snapshots.writer() as primary:
        primary.apply(insert=[quad("k", "after", PUBLIC_B)])
    assert snapshots.last_view_build == "full"
    public = assert_view_exact(snapshots)
    assert {quad("k", "never seen", PUBLIC_A), quad("k", "after", PUBLIC_B)} <= public
    assert not list(snapshots.snapshots.glob("*" + SUFFIX + ".tmp"))


def test_fingerprint_ignores_read_only_opens(snapshots):
    before = fingerprint(snapshots.primary)
    reader = ox.Store.read_only(str(snapshots.primary))
    assert len(reader) == len(START)
    del reader
    assert fingerprint(snapshots.primary) == before

