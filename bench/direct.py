"""Per-query latency directly on the store (no HTTP): the saved queries (queries/*.rq, over
the union of all graphs, and as the API runs them for an anonymous caller: on the public
view, parameters bound by the engine) and one query of each kind in the light and heavy
mixes (union of all graphs)."""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from pathlib import Path
from queue import Empty

import pyoxigraph as ox
from mixes import Params, one_of_each

from justicegraph.namespaces import Minter


def _consume(result) -> int:
    if isinstance(result, bool):
        return 1
    if isinstance(result, ox.QuerySolutions):
        return sum(1 for _ in result)
    return sum(1 for _ in result)  # QueryTriples


def timed(fn, repeats: int, budget: float = 5.0) -> dict:
    """Up to ``repeats`` runs, fewer once ``budget`` seconds are spent (a slow query at 1M
    quads would otherwise hold the whole benchmark up)."""
    times, rows = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        rows = _consume(fn())
        times.append(time.perf_counter() - started)
        if sum(times) > budget:
            break
    repeats = len(times)
    times.sort()
    return {"rows": rows, "median_ms": round(statistics.median(times) * 1000, 2),
            "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))] * 1000, 2), "runs": repeats}


def saved_query_values(query, params: Params) -> dict[str, str]:
    """A value from the synthetic data for each parameter (the defaults name records of the
    1988 dataset, which the synthetic data do not hold), chosen by type and name."""
    values = {}
    for name, p in query.params.items():
        if p.enum:
            values[name] = p.enum[0]
        elif p.type == "entity":
            values[name] = _entity_for(name, params)
        elif p.type == "string":
            values[name] = params.labels[params.victims[0]]
        elif p.type == "integer":
            values[name] = "1988"
    return values


def _entity_for(name: str, params: Params) -> str:
    return {"prison": params.prisons[0], "place": params.prisons[0], "event": "massacre-1988",
            "conference": params.conference, "speaker": params.speaker,
            "organization": "united-nations"}.get(name, params.victims[0])


def run(store_path: Path, params: Params, repeats: int, log, api_timeout: float) -> list[dict]:
    from justicegraph.savedqueries import ParamError, load_saved_queries

    rows, saved = [], []
    for name, q in sorted(load_saved_queries().items()):
        values = saved_query_values(q, params)
        try:
            q.bind(values, Minter())
        except ParamError as exc:
            rows.append({"query": f"saved:{name}", "skipped": str(exc)})
            continue
        saved.append((name, q, values))
    # The engine's own cost (the union of all graphs), then as the API runs them; each in a
    # child stopped after the timeout, as pyoxigraph has no query timeout.
    timeout = api_timeout if api_timeout > 0 else 30.0
    rows += capped(store_path, saved, timeout, repeats, union=True)
    if api_timeout > 0:
        rows += capped(api_store(store_path), saved, api_timeout, 1, union=False)
    from justicegraph.store import OxigraphStore

    store = OxigraphStore(store_path, read_only=True)
    for mix in ("light", "heavy"):
        for name, text in one_of_each(mix, params):
            rows.append({"query": f"{mix}:{name}", **timed(lambda t=text: store.query(t, union=True), repeats)})
    store.close()
    for row in rows:
        log(f"    {row['query']:<52} " + (f"{row['median_ms']:>10.2f} ms  rows={row['rows']}"
                                              if "median_ms" in row else f"{row.get('skipped')}"))
    return rows


def api_store(store_path: Path) -> Path:
    """Where the API runs an anonymous caller's saved query: the public view of the current
    snapshot (only public graphs; the dataset is then the engine's union), or the snapshot
    itself when nothing is restricted (server/web/context.py)."""
    from justicegraph.server.protocol.snapshot import SnapshotStore

    snapshots = SnapshotStore(store_path)
    return snapshots.public_view() or snapshots.current()


def capped(store_path: Path, saved: list, timeout: float, repeats: int, *, union: bool) -> list[dict]:
    """Each saved query over the union of all graphs, or as the API runs it for an anonymous
    caller (``SavedQuery.run`` on the public view), in a child process stopped after
    ``timeout`` s."""
    ctx = mp.get_context("fork")
    mode = "union" if union else "API, public view"
    rows, i = [], 0
    while i < len(saved):
        queue = ctx.Queue()
        child = ctx.Process(target=_child, args=(store_path, saved[i:], repeats, union, queue))
        child.start()
        while i < len(saved):
            label = f"saved:{saved[i][0]} ({mode})"
            i += 1
            try:
                rows.append({"query": label, **queue.get(timeout=timeout * repeats)})
            except Empty:
                rows.append({"query": label, "skipped": f"> {timeout:g} s (stopped)"})
                break
        child.terminate()
        child.join()
    return rows


def _child(store_path: Path, saved: list, repeats: int, union: bool, queue) -> None:
    from justicegraph.store import OxigraphStore

    store = OxigraphStore(store_path, read_only=True)
    for _name, q, values in saved:
        if union:
            substitutions = q.bind(values, Minter())
            queue.put(timed(lambda q=q, s=substitutions: store.query(q.text, substitutions=s, union=True), repeats))
        else:
            queue.put(timed(lambda q=q, v=values: q.run(store, v, Minter()), 1))
