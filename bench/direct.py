"""Per-query latency directly on the store (no HTTP): the saved queries (queries/*.rq, run
as the API runs them: public graphs, parameters bound by the engine) and one query of each
kind in the light and heavy mixes (union of all graphs)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pyoxigraph as ox
from mixes import Params, one_of_each

from justicegraph.namespaces import Minter


def _consume(result) -> int:
    if isinstance(result, bool):
        return 1
    if isinstance(result, ox.QuerySolutions):
        return sum(1 for _ in result)
    return sum(1 for _ in result)  # QueryTriples


def timed(fn, repeats: int) -> dict:
    times, rows = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        rows = _consume(fn())
        times.append(time.perf_counter() - started)
    times.sort()
    return {"rows": rows, "median_ms": round(statistics.median(times) * 1000, 2),
            "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))] * 1000, 2), "runs": repeats}


def saved_query_values(query, params: Params) -> dict[str, str]:
    """A plausible value for each parameter without a default, chosen by type and name."""
    values = {}
    for name, p in query.params.items():
        if p.default is not None:
            continue
        if p.enum:
            values[name] = p.enum[0]
        elif p.type == "entity":
            values[name] = _entity_for(name, params)
        elif p.type == "string":
            values[name] = "nouri"
        elif p.type == "integer":
            values[name] = "10"
        elif p.type == "date":
            values[name] = "1988-08-01"
    return values


def _entity_for(name: str, params: Params) -> str:
    if "prison" in name or "place" in name:
        return params.prisons[0]
    if "event" in name or "massacre" in name:
        return "massacre-1988"
    if "source" in name:
        return "src-1"
    return params.victims[0]


def run(store_path: Path, params: Params, repeats: int, log) -> list[dict]:
    from justicegraph.savedqueries import ParamError, load_saved_queries
    from justicegraph.store import OxigraphStore

    store = OxigraphStore(store_path, read_only=True)
    rows = []
    for name, q in sorted(load_saved_queries().items()):
        values = saved_query_values(q, params)
        try:
            q.bind(values, Minter())
        except ParamError as exc:
            rows.append({"query": f"saved:{name}", "skipped": str(exc)})
            continue
        rows.append({"query": f"saved:{name}", **timed(lambda q=q, v=values: q.run(store, v, Minter()), repeats)})
    for mix in ("light", "heavy"):
        for name, text in one_of_each(mix, params):
            rows.append({"query": f"{mix}:{name}", **timed(lambda t=text: store.query(t, union=True), repeats)})
    for row in rows:
        log(f"    {row['query']:<40} " + (f"{row['median_ms']:>9.2f} ms  rows={row['rows']}"
                                              if "median_ms" in row else f"skipped: {row['skipped']}"))
    store.close()
    return rows
