"""Shared fixtures. Each capability's tests live in their own file; fixtures here are small."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture
def settings(tmp_path):
    from justicegraph.settings import Settings

    return Settings.from_env({}, store="memory")


# --- Remote SPARQL engines (issue 8; helpers in justicegraph/engines.py) ------------------
# Each engine starts once per session, only when a test asks for it, on 127.0.0.1 at a free
# port, and is skipped (saying why) only where it cannot be installed.
# JUSTICEGRAPH_TEST_STORE=oxigraph|virtuoso|disk makes the `graph_store` fixture (an empty
# GraphStore) use that backend instead of the in-memory store.
# Engine-side query time limits of the test engines (Virtuoso needs ~5 s for one of the
# loader's validation queries on the 1988 data).
ENGINE_QUERY_LIMIT_S = {"oxigraph": 3, "virtuoso": 10}


def _start_engine(tmp_path_factory, name: str):
    from justicegraph import engines

    missing = engines.oxigraph_missing() if name == "oxigraph" else engines.virtuoso_missing()
    if missing:
        pytest.skip(missing)
    workdir = tmp_path_factory.mktemp(name)
    if name == "oxigraph":
        return engines.start_oxigraph(workdir, timeout_s=ENGINE_QUERY_LIMIT_S[name])
    return engines.start_virtuoso(workdir, max_seconds=ENGINE_QUERY_LIMIT_S[name], buffers=60_000)


@pytest.fixture(scope="session")
def oxigraph_engine(tmp_path_factory):
    engine = _start_engine(tmp_path_factory, "oxigraph")
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def virtuoso_engine(tmp_path_factory):
    engine = _start_engine(tmp_path_factory, "virtuoso")
    yield engine
    engine.stop()


def open_backend(request, kind: str, tmp_path):
    """An empty GraphStore of one kind: memory, disk, oxigraph (serve) or virtuoso."""
    from justicegraph.engines import clear_store
    from justicegraph.store import OxigraphStore

    if kind == "memory":
        return OxigraphStore(None)
    if kind == "disk":
        return OxigraphStore(tmp_path / "store")
    store = request.getfixturevalue(f"{kind}_engine").open()
    clear_store(store)
    return store


@pytest.fixture
def graph_store(request, tmp_path):
    import os

    store = open_backend(request, os.environ.get("JUSTICEGRAPH_TEST_STORE", "memory"), tmp_path)
    yield store
    store.close()
