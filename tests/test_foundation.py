"""The foundation: settings, IRIs, access rule and the store's atomic change."""

import pyoxigraph as ox
import pytest
from stores import new_store

from justicegraph.access import dataset, is_restricted, token_matches
from justicegraph.namespaces import Minter
from justicegraph.settings import Settings


def test_settings_read_environment_and_hide_tokens():
    s = Settings.from_env({"JUSTICEGRAPH_PORT": "7001", "JUSTICEGRAPH_WRITE_TOKEN": "s3cret"})
    assert s.port == 7001 and s.writes_enabled
    assert "s3cret" not in repr(s)


def test_settings_reject_bad_values():
    with pytest.raises(ValueError, match="JUSTICEGRAPH_PORT"):
        Settings.from_env({"JUSTICEGRAPH_PORT": "many"})


def test_every_setting_is_documented():
    for name, _default, help_text in Settings().documented():
        assert help_text, name


def test_minter():
    m = Minter("http://example.org/")
    assert m.entity("hamid-noury") == "http://example.org/id/hamid-noury"
    assert m.record_id("http://example.org/id/x") == "x"
    assert m.restricted_twin(m.testimony_graph("t1")).endswith("/testimony/t1/restricted")


def test_access_rule():
    assert is_restricted("http://e/graph/testimony/t/restricted")
    assert not is_restricted("http://e/graph/testimony/t")
    assert token_matches("abc", "abc") and not token_matches("abc", "") and not token_matches(None, "abc")


def test_restricted_graphs_invisible_without_token():
    store = new_store()
    pub, res = "http://e/g/public", "http://e/g/secret/restricted"
    store.apply(insert=[
        ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"), ox.Literal("1"), ox.NamedNode(pub)),
        ox.Quad(ox.NamedNode("http://e/b"), ox.NamedNode("http://e/p"), ox.Literal("2"), ox.NamedNode(res)),
    ])
    q = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    anon = dataset(store.graphs(), restricted_ok=False)
    assert next(iter(store.query(q, **anon)))["n"].value == "2"  # public triple, seen twice
    reader = dataset(store.graphs(), restricted_ok=True)
    assert next(iter(store.query(q, **reader)))["n"].value == "4"
    # Asking for the restricted graph explicitly does not widen the dataset.
    narrowed = dataset(store.graphs(), restricted_ok=False, named_graph_uris=[res])
    assert list(store.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", **narrowed)) == []


def test_apply_drops_deletes_and_inserts_as_one_change():
    """Atomicity under SIGKILL is tested in test_crash.py; here, what one change does."""
    store = new_store()
    g, h = "http://e/g", "http://e/h"

    def quad(s, o, graph):
        return ox.Quad(ox.NamedNode(f"http://e/{s}"), ox.NamedNode("http://e/p"), ox.Literal(o), ox.NamedNode(graph))

    store.apply(insert=[quad("a", "1", g), quad("b", "2", g), quad("c", "3", h), quad("d", "4", h)])
    store.apply(drop_graphs=[g], delete=[quad("c", "3", h)], insert=[quad("e", "5", g)])
    assert set(store.quads()) == {quad("d", "4", h), quad("e", "5", g)}
    store.apply(insert=[quad("f", "6", h)])  # a pure insert takes the Store.extend path
    assert set(store.quads(h)) == {quad("d", "4", h), quad("f", "6", h)}
