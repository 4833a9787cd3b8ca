"""The backend the suite runs against, for tests that make or fill a store.

``JUSTICEGRAPH_TEST_STORE`` picks it: ``memory`` (default) or ``disk`` — pyoxigraph's
embedded store — or ``oxigraph`` / ``virtuoso``: a running ``oxigraph serve`` or Virtuoso,
started once per session on 127.0.0.1 (justicegraph/store/remote/engines.py) and stopped at its end::

    from stores import new_store, location, settings   # tests/ is on sys.path under pytest

    store = new_store(tmp_path / "store")   # empty: a new embedded store, or the engine cleared
    load(store, [records])
    app = create_app(settings(tmp_path / "store", read_token=READ), store=store)
    CliRunner().invoke(main, ["--store", location(tmp_path / "store"), "stats"], env=environ())

An engine holds ONE dataset: ``new_store`` empties it, so a store made earlier in the same
test (or by a module-scoped fixture of the same module) is emptied too. Tests that need two
live stores at once, or that are about the embedded engine itself, carry
``@pytest.mark.embedded_only("why")`` and are skipped, with that reason, on remote backends.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest

KIND = os.environ.get("JUSTICEGRAPH_TEST_STORE", "memory")
REMOTE = KIND in ("oxigraph", "virtuoso")
if KIND not in ("memory", "disk", "oxigraph", "virtuoso"):
    raise RuntimeError(f"JUSTICEGRAPH_TEST_STORE={KIND!r}: expected memory, disk, oxigraph or virtuoso")

# Engine-side query time limits of the test engines (Virtuoso needs ~5 s for one of the
# loader's validation queries on the 1988 data).
ENGINE_QUERY_LIMIT_S = {"oxigraph": 3, "virtuoso": 10}
_ENGINES: dict[str, object] = {}
_GENERATION = [0]  # bumped each time an engine is emptied: what it held is gone


def engine(kind: str = KIND, slot: str = "main"):
    """The session's running engine of ``kind`` (started on first use), skipping the test
    when it cannot be installed here. Another ``slot`` is a second engine of the same kind,
    for a test that compares two datasets side by side."""
    from justicegraph.store.remote import engines

    if slot != "main":
        kind_slot = f"{kind}:{slot}"
        if kind_slot not in _ENGINES:
            first = engine(kind)  # skips when the engine is missing
            workdir = Path(tempfile.mkdtemp(prefix=f"jg-test-{kind}-{slot}-"))
            _ENGINES[kind_slot] = (engines.start_oxigraph(workdir, timeout_s=ENGINE_QUERY_LIMIT_S[kind], public=True)
                                   if kind == "oxigraph" else
                                   engines.start_virtuoso(workdir, max_seconds=ENGINE_QUERY_LIMIT_S[kind],
                                                          buffers=20_000))
            assert first is not _ENGINES[kind_slot]
        return _ENGINES[kind_slot]
    if kind not in _ENGINES:
        missing = engines.oxigraph_missing() if kind == "oxigraph" else engines.virtuoso_missing()
        if missing:
            pytest.skip(missing)
        workdir = Path(tempfile.mkdtemp(prefix=f"jg-test-{kind}-"))
        if kind == "oxigraph":
            # with its public dataset (a second oxigraph serve): anonymous reads go there
            started = engines.start_oxigraph(workdir, timeout_s=ENGINE_QUERY_LIMIT_S[kind], public=True)
        else:
            started = engines.start_virtuoso(workdir, max_seconds=ENGINE_QUERY_LIMIT_S[kind], buffers=60_000)
        _ENGINES[kind] = started
    return _ENGINES[kind]


def stop_engines() -> None:
    while _ENGINES:
        _, running = _ENGINES.popitem()
        running.stop()
        shutil.rmtree(running.workdir, ignore_errors=True)


atexit.register(stop_engines)  # also when the session ends abnormally


def new_store(path: str | os.PathLike | None = None, *, kind: str = KIND, slot: str = "main"):
    """An empty GraphStore on the backend under test. Remote: the engine, cleared. Embedded: on
    disk at ``path`` when given (what the test would make anyway), else in memory (a new
    temporary directory when the kind is disk)."""
    from justicegraph.store import OxigraphStore

    if kind in ("oxigraph", "virtuoso"):
        from justicegraph.store.remote.engines import clear_store

        store = engine(kind, slot).open()
        clear_store(store)
        if slot == "main":
            _GENERATION[0] += 1
        return store
    if kind == "disk" and path is None:
        path = tempfile.mkdtemp(prefix="jg-test-disk-")
    return OxigraphStore(path)


def current_store():
    """The engine as it is (not emptied) — remote kinds only."""
    return engine().open()


def shared_store(fill, path: str | os.PathLike | None = None):
    """A store made once and filled by ``fill(store)``, for module-scoped fixtures. On a
    remote engine, which holds one dataset at a time, the store is refilled before use
    whenever another test emptied the engine since (so module fixtures and per-test stores
    can share a module)."""
    store = new_store(path)
    fill(store)
    return _Refilled(store, fill) if REMOTE else store


def ready(store):
    """``store``, its dataset back in the engine if another test emptied it (see shared_store)."""
    return store.ready() if isinstance(store, _Refilled) else store


class _Refilled:
    """A remote store that puts its dataset back when the engine was emptied by someone else."""

    def __init__(self, store, fill):
        self._store, self._fill, self._generation = store, fill, _GENERATION[0]

    def _current(self):
        if self._generation != _GENERATION[0]:
            from justicegraph.store.remote.engines import clear_store

            clear_store(self._store)
            self._fill(self._store)
            _GENERATION[0] += 1
            self._generation = _GENERATION[0]
        return self._store

    def __getattr__(self, name):
        return getattr(self._current(), name)

    def ready(self):
        """The engine holding this dataset (before something other than this object reads it,
        e.g. a command line or a server process)."""
        return self._current()

    def __len__(self) -> int:
        return len(self._current())


def served(path: str | os.PathLike, fill) -> tuple[str, dict[str, str]]:
    """A new store on the backend (on disk at ``path`` when embedded) filled by ``fill(store)``
    and closed, for a server process or command line to open: (location, environment)."""
    import gc

    store = new_store(path)
    fill(store)
    store.close()
    del store
    gc.collect()  # RocksDB releases its lock when the store object is gone
    return location(path), environ()


def location(path: str | os.PathLike | None = None, slot: str = "main") -> str:
    """The ``store`` setting naming the store ``new_store(path)`` made (CLI --store, servers)."""
    if REMOTE:
        return engine(KIND, slot).store_url
    return "memory" if path is None else str(path)


def environ(slot: str = "main") -> dict[str, str]:
    """Settings the backend needs besides the location, as JUSTICEGRAPH_* variables (for a
    remote engine, also where the audit of HTTP writes goes: not the working directory's var/)."""
    if not REMOTE:
        return {}
    running = engine(KIND, slot)
    return {**running.environ, "JUSTICEGRAPH_AUDIT_LOG": str(Path(running.workdir) / "audit.nq")}


def settings(path: str | os.PathLike | None = None, *, slot: str = "main", **overrides):
    """Settings whose store is the one ``new_store(path)`` made."""
    from justicegraph.settings import Settings

    return Settings.from_env(environ(slot), **{"store": location(path, slot), **overrides})


def load_rdf(store, data: bytes | str | None = None, *, path: str | os.PathLike | None = None,
             format: ox.RdfFormat = ox.RdfFormat.TRIG, to_graph=None) -> None:
    """Add RDF to any GraphStore (what ``store.engine.load`` does on the embedded one)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    parsed = ox.parse(data, format=format) if path is None else ox.parse(path=str(path), format=format)
    if to_graph is not None:
        parsed = (ox.Quad(q.subject, q.predicate, q.object, to_graph) for q in parsed)
    store.bulk_import(list(parsed))
