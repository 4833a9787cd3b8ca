"""A re-load through a remote engine replaces a source as a whole: a reader looking between
any two of the write's requests sees the store as it was or as it is after, never a mix —
on `oxigraph serve` (one Update request is one transaction) and on Virtuoso (staged: hidden
staging graphs, then one swap request; docs/scaling.md "Writes"). And a re-load writes
only what changed: an unchanged ontology is left alone on every backend."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import open_backend
from loader_helpers import copy_fixture, edit_csv, snapshot
from stores import new_store

from justicegraph.loaders import load, system
from justicegraph.namespaces import Minter
from justicegraph.store import change_as_update
from justicegraph.store.remote.base import QueryTimeout

M = Minter()


@pytest.mark.parametrize("kind", ["oxigraph", "virtuoso"])
def test_readers_between_the_writes_requests_see_before_or_after(request, tmp_path, kind):
    store = open_backend(request, kind, tmp_path)
    folder = copy_fixture(tmp_path)
    load(store, [folder])
    # the re-load removes a statement and a restricted testimony, so before != after
    edit_csv(folder / "testimonies.csv", "t-hidden,src-sample,person-beta,¶7–8,closed session,restricted\n", "")
    edit_csv(folder / "participations.csv", "execution-gamma,brother-of-beta,relative,t-hidden,¶8,,\n", "")
    lines = (folder / "statements.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "statements.csv").write_text("".join(x for x in lines if not x.startswith("s-alpha-accuses")),
                                           encoding="utf-8")
    before = snapshot(store)
    seen, requests = [], []
    post = store._post  # every request the store sends; a reader looks before each write

    def observed(url, data, *args, **kwargs):
        if any(key == "update" for key, _ in data):
            seen.append(snapshot_by(store, post))
            requests.append(next(text for key, text in data if key == "update"))
        return post(url, data, *args, **kwargs)

    store._post = observed
    load(store, [folder])
    store._post = post
    after = snapshot(store)
    assert after != before
    assert M.restricted_twin(M.testimony_graph("t-hidden")) not in store.graphs()
    assert requests  # the re-load wrote
    for i, state in enumerate(seen):
        assert state in (before, after), f"a reader before write request {i} saw a mix:\n{requests[i - 1][:2000]}"


def snapshot_by(store, post) -> list[str]:
    """The store as a reader sees it, read while the writer is paused (its own requests
    go out unobserved)."""
    observed, store._post = store._post, post
    try:
        return snapshot(store)
    finally:
        store._post = observed


@pytest.mark.parametrize("kind", ["memory", "oxigraph", "virtuoso"])
def test_a_reload_leaves_an_unchanged_ontology_alone(request, tmp_path, kind):
    """The ontology and vocabularies are rewritten only when they changed. INSERT DATA gives
    their blank nodes new names, which used to count as a change: every load rewrote them."""
    store = open_backend(request, kind, tmp_path)
    folder = copy_fixture(tmp_path)
    load(store, [folder])
    assert system.unchanged(store, M)
    kept = {g: set(store.quads(g)) for g in system.graphs(M)}
    load(store, [folder])
    assert {g: set(store.quads(g)) for g in system.graphs(M)} == kept  # same blank nodes: not rewritten


def test_a_changed_blank_node_structure_is_a_change():
    store = new_store(kind="memory")
    quads = system.quads(M)
    blank = [q for q in quads if isinstance(q.subject, ox.BlankNode)]
    first, other = blank[0], next(q.subject for q in blank if q.subject != blank[0].subject)
    moved = ox.Quad(other, first.predicate, first.object, first.graph_name)  # same triples count, same IRIs
    assert moved not in quads
    store.apply(insert=[moved if q == first else q for q in quads])
    assert not system.unchanged(store, M)
    renamed = new_store(kind="memory")  # written by INSERT DATA: every blank node renamed
    renamed.update(change_as_update(sorted(system.graphs(M)), (), quads))  # (apply keeps labels)
    assert not set(renamed.quads(M.ontology_graph)) <= set(quads)
    assert system.unchanged(renamed, M)


def test_a_swap_the_client_gave_up_on_still_lands_whole(request, tmp_path):
    """Virtuoso: the client stops waiting for the swap request (timeout, lost connection) but
    the engine runs it later. The staging graphs it moves must still be there: a MOVE SILENT
    from a dropped staging graph empties the target graph."""
    store = open_backend(request, "virtuoso", tmp_path)
    graphs = [M.testimony_graph(f"t{i}") for i in range(3)]
    old = [quad(g, "old") for g in graphs]
    store.apply(insert=old)
    update, late = store.update, []

    def gives_up_on_the_swap(text, **kwargs):
        if "MOVE" in text and not late:
            late.append(text)  # sent; the engine will run it after the client gave up
            raise QueryTimeout("the SPARQL engine did not answer within 600 s")
        return update(text, **kwargs)

    store.update = gives_up_on_the_swap
    new = [quad(g, "new") for g in graphs]
    with pytest.raises(QueryTimeout):
        store.apply(drop_graphs=graphs, insert=new)
    store.update = update
    assert set(store.quads()) == set(old)  # nothing swapped yet
    update(late[0], grant=False)  # the engine gets to the request
    assert set(store.quads()) == set(new)


def quad(graph: str, value: str) -> ox.Quad:
    return ox.Quad(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/says"),
                   ox.Literal(value, language="en"), ox.NamedNode(graph))
