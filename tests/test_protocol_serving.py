"""How the server is run: gunicorn's options from the settings, Flask's dev server with
--dev, an in-memory store, and an operator allow-list that lets SERVICE reach one endpoint."""

from __future__ import annotations

import subprocess
import sys

import pyoxigraph as ox
import pytest
import requests
from servers import Listener, running_server
from stores import served

from justicegraph.cli.serve import gunicorn_options
from justicegraph.settings import Settings

pytestmark = pytest.mark.server


def test_gunicorn_options_come_from_settings():
    options = gunicorn_options(Settings.from_env({}, workers=3, threads=7, port=8123, host="0.0.0.0",
                                                 query_timeout=12))
    assert options["bind"] == "0.0.0.0:8123"
    assert (options["workers"], options["threads"], options["worker_class"]) == (3, 7, "gthread")
    assert options["timeout"] == 42 and options["preload_app"] is True


@pytest.mark.embedded_only("writes the store directory offline and publishes a new snapshot")
def test_dev_server_answers(tmp_path):
    store = tmp_path / "store"
    s = ox.Store(str(store))
    s.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("dev"), ox.NamedNode("http://e/g")))
    s.flush()
    del s
    with running_server(store, dev=True) as server:
        r = requests.get(server.url + "/sparql", params={"query": "SELECT ?o { ?s ?p ?o }"}, timeout=30)
        assert r.json()["results"]["bindings"][0]["o"]["value"] == "dev"
        assert "Werkzeug" in r.headers.get("Server", "")
        # the store is written offline while the server runs; `publish` makes it visible
        offline = ox.Store(str(store))
        offline.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("later"),
                            ox.NamedNode("http://e/g")))
        offline.flush()
        del offline
        ask = {"query": 'ASK { ?s ?p "later" }'}
        assert requests.get(server.url + "/sparql", params=ask, timeout=30).json()["boolean"] is False
        done = subprocess.run([sys.executable, "-m", "justicegraph.cli", "--store", str(store), "publish"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert requests.get(server.url + "/sparql", params=ask, timeout=30).json()["boolean"] is True


def test_memory_store_is_served_inline():
    with running_server("memory", workers=1, threads=2,
                        env={"JUSTICEGRAPH_WRITE_TOKEN": "memory-store-write-token"}) as server:
        auth = {"Authorization": "Bearer memory-store-write-token"}
        r = requests.post(server.url + "/sparql", data={"update": "INSERT DATA { <http://e/a> <http://e/b> 1 }"},
                          headers=auth, timeout=30)
        assert r.status_code == 204, r.text
        r = requests.get(server.url + "/sparql", params={"query": "ASK { <http://e/a> <http://e/b> 1 }"}, timeout=30)
        assert r.json()["boolean"] is True
        assert requests.get(server.url + "/healthz", timeout=30).json()["snapshot"] is None


def test_allow_listed_service_is_reached_and_nothing_else(tmp_path):
    allowed, other = Listener(), Listener()
    try:
        store, env = served(tmp_path / "store", lambda s: None)
        with running_server(store, workers=1, threads=2,
                            env={**env, "JUSTICEGRAPH_SERVICE_ALLOWLIST": allowed.url}) as server:
            query = f"SELECT * WHERE {{ SERVICE SILENT <{allowed.url}sparql> {{ ?s ?p ?o }} }}"
            r = requests.get(server.url + "/sparql", params={"query": query}, timeout=30)
            assert r.status_code == 200, r.text
            assert allowed.requests, "the allow-listed endpoint was not reached"
            # its answer (one row, tests/servers.py Listener) comes back: the engine ran the SERVICE
            assert [b["o"]["value"] for b in r.json()["results"]["bindings"]] == ["http://x/o"]
            refused = requests.get(server.url + "/sparql", timeout=30, params={
                "query": f"SELECT * WHERE {{ SERVICE <{other.url}> {{ ?s ?p ?o }} }}"})
            assert refused.status_code == 400 and other.requests == []
            description = requests.get(server.url + "/sparql", headers={"Accept": "application/n-triples"}, timeout=30)
            assert "BasicFederatedQuery" in description.text
    finally:
        allowed.close()
        other.close()
