"""Shared fixtures. Each capability's tests live in their own file; fixtures here are small."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
W3C = ROOT / "tests" / "w3c"  # the vendored W3C test suites (tests/w3c/README.md)


@pytest.fixture
def settings(tmp_path):
    from justicegraph.settings import Settings

    return Settings.from_env({}, store="memory")


# --- Remote SPARQL engines (issue 8; helpers in tests/stores.py, justicegraph/store/remote/engines.py) ---
# Each engine starts once per session, only when a test asks for it, on 127.0.0.1 at a free
# port, and is skipped (saying why) only where it cannot be installed.
# JUSTICEGRAPH_TEST_STORE=oxigraph|virtuoso|disk runs the suite's stores on that backend
# (tests/stores.py); tests about the embedded engine itself are marked `embedded_only`.
from stores import ENGINE_QUERY_LIMIT_S, KIND, REMOTE, engine, new_store, stop_engines  # noqa: E402

__all__ = ["ENGINE_QUERY_LIMIT_S", "open_backend"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "embedded_only(reason): about pyoxigraph's embedded store itself (RocksDB files, "
        "snapshots, executor processes, crash recovery); skipped with the reason on remote backends")


# Known failures on Virtuoso (JUSTICEGRAPH_TEST_STORE=virtuoso), each a strict xfail with its
# cause, so a fix shows up as an XPASS. None is a leak: the anonymous cases were checked
# against the engine (the answer is wrong or an error, never restricted data).
# (The access suite's references are on the same engine: Virtuoso's SPARQL deviations are
# documented in docs/scaling.md and pinned in tests/test_virtuoso_deviations.py.)
_HISTORY = ("Virtuoso 7.2: after other modules ran on the same engine, its stale predicate statistics "
            "lead to a join order under which jg:locatedIn* / jg:subOrganizationOf* lose rows "
            "(pinned on a new engine in tests/test_remote_history.py; docs/scaling.md)")
VIRTUOSO_KNOWN: dict[str, str] = {
    "test_competency.py::test_cq22_who_held_posts_in_the_un_and_its_bodies": _HISTORY,
    "test_competency.py::test_cq23_what_happened_at_a_place_and_inside_it": _HISTORY,
    "test_api.py::test_editor_examples_answer_like_the_api": _HISTORY,
    "test_remote_1988.py::test_saved_queries_answer_as_on_the_embedded_store[virtuoso]": _HISTORY,
    "test_competency.py::test_durations_of_imprisonment_by_person_longest_first": (
        "Virtuoso 7.2 cannot store xsd:duration: kept under a stand-in datatype, it orders durations as text "
        "(P20D before P1Y6M; docs/scaling.md, Virtuoso's deviations)"),
}


# Not every run: a passing run of these is no news (xfail, not strict). The _HISTORY cases
# depend on which modules ran before on the session's engine: they pass alone.
VIRTUOSO_UNSTABLE: set[str] = {key for key, why in VIRTUOSO_KNOWN.items() if why is _HISTORY}


def pytest_collection_modifyitems(config, items):
    if not REMOTE:
        return
    for item in items:
        if KIND == "virtuoso":
            for key, why in VIRTUOSO_KNOWN.items():
                if item.nodeid.endswith(key) or f"{key}[" in item.nodeid:
                    item.add_marker(pytest.mark.xfail(reason=why, strict=key not in VIRTUOSO_UNSTABLE))
        marker = item.get_closest_marker("embedded_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "embedded store only")
            item.add_marker(pytest.mark.skip(reason=f"embedded store only: {reason}"))


def pytest_sessionfinish(session, exitstatus):
    stop_engines()


@pytest.fixture(scope="session")
def oxigraph_engine():
    return engine("oxigraph")


@pytest.fixture(scope="session")
def virtuoso_engine():
    return engine("virtuoso")


def open_backend(request, kind: str, tmp_path):
    """An empty GraphStore of one kind: memory, disk, oxigraph (serve) or virtuoso."""
    return new_store(tmp_path / "store" if kind == "disk" else None, kind=kind)


@pytest.fixture
def graph_store(tmp_path):
    from stores import KIND

    store = new_store(tmp_path / "store" if KIND == "disk" else None)
    yield store
    store.close()
