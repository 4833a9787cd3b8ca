"""The access rule's union shortcut (justicegraph/access.py ``dataset``): "nothing is hidden,
so use the engine's union" is concluded from a listing of the graphs. A caller who may not
read restricted graphs gets it only on a stable store (a read-only snapshot, a store the
process holds); elsewhere the union would be the engine's graphs when the query runs, and a
restricted graph another process wrote since the listing would be in it. Shown on a real
store: the listing is taken, a restricted graph is written, then the query runs."""

from __future__ import annotations

import pyoxigraph as ox

from justicegraph.access import dataset
from justicegraph.store import OxigraphStore

BASE = "https://w3id.org/justicegraph/"
PUBLIC = f"{BASE}graph/import/union/public"
RESTRICTED = f"{BASE}graph/import/union/restricted"
S, P = ox.NamedNode(f"{BASE}id/union-person"), ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")


def test_an_anonymous_caller_never_gets_a_union_concluded_from_an_old_listing(tmp_path):
    store = OxigraphStore(tmp_path / "store")
    store.apply(insert=[ox.Quad(S, P, ox.Literal("public name"), ox.NamedNode(PUBLIC))])
    listed = store.graphs()  # nothing restricted yet
    kwargs = dataset(listed, restricted_ok=False)
    assert "union" not in kwargs  # the names, not "everything"
    # another writer adds a restricted graph before the query runs
    store.apply(insert=[ox.Quad(S, P, ox.Literal("sealed name"), ox.NamedNode(RESTRICTED))])
    seen = {row["o"].value for row in store.query("SELECT ?o WHERE { ?s ?p ?o }", **kwargs)}
    assert seen == {"public name"}


def test_the_union_is_kept_where_it_is_safe():
    listed = [PUBLIC]
    assert dataset(listed, restricted_ok=True) == {"union": True}       # sees everything anyway
    assert dataset(listed, restricted_ok=False, stable=True) == {"union": True}  # cannot change
    assert "union" not in dataset([PUBLIC, RESTRICTED], restricted_ok=False, stable=True)
