"""Saved-query latency on the embedded store vs `oxigraph serve` vs Virtuoso, through the
GraphStore interface (RemoteStore for the engines), on one synthetic dataset.

    .venv/bin/python bench/remote_engines.py --people 40000        # ≈1M quads
    .venv/bin/python bench/remote_engines.py --people 1000 --repeats 2   # quick

Data comes from bench/pipeline.Scale (`justicegraph generate` + `justicegraph load` into an
on-disk store, cached under bench/data/). The engines are loaded in bulk from the store's
N-Quads (`oxigraph load`; Virtuoso `ld_dir`/`rdf_loader_run`). With ``--loader-load`` the
records are also loaded into a second, empty Virtuoso through the loaders with SHACL
validation (timed; that is the path `justicegraph --store sparql+http://… load` takes), and
the saved queries run on that store too (column "virtuoso-loaded").
Every saved query runs as the API runs it (public graphs, parameters bound), ``--repeats``
times per engine; answers are compared across engines by row count.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import queue
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pipeline  # noqa: E402
from mixes import Params  # noqa: E402

from justicegraph.namespaces import Minter  # noqa: E402
from justicegraph.savedqueries import load_saved_queries  # noqa: E402
from justicegraph.store import OxigraphStore  # noqa: E402
from justicegraph.store.remote import engines  # noqa: E402

ENTITY_PARAM = {"person": "victim", "entity": "victim", "speaker": "victim", "prison": "prison",
                "event": "massacre", "conference": None, "organization": None, "place": "prison"}


def values_for(query, params: Params) -> dict[str, str]:
    """Parameter values that exist in the synthetic data (the defaults name 1988 records)."""
    out = {}
    for name, p in query.params.items():
        kind = ENTITY_PARAM.get(name) if p.type == "entity" else None
        if kind == "victim":
            out[name] = params.victims[0]
        elif kind == "prison":
            out[name] = params.prisons[0]
        elif kind == "massacre":
            out[name] = "massacre-1988"
    return out


def fingerprint(result) -> tuple[int, str]:
    """Row count and a digest of the sorted rows (blank nodes as '_', GROUP_CONCAT parts
    sorted: SPARQL leaves their order open), to check that engines give the same answers."""
    import hashlib

    import pyoxigraph as ox

    if isinstance(result, ox.QueryBoolean):
        return 1, str(bool(result))

    def shown(term):
        if isinstance(term, ox.Literal) and " | " in term.value:
            return "concat:" + " | ".join(sorted(term.value.split(" | ")))
        return "_" if isinstance(term, ox.BlankNode) else str(term)

    names = [v.value for v in result.variables]
    rows = sorted(repr(tuple(shown(row[n]) for n in names)) for row in result)
    return len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:12]


def run_one(store, q, values, repeats: int) -> dict:
    times, count, digest = [], None, None
    for _ in range(repeats):
        started = time.perf_counter()
        try:
            result = q.run(store, values, Minter())
            count, digest = fingerprint(result)
        except TimeoutError:
            return {"error": "stopped at the time limit"}
        except Exception as exc:  # noqa: BLE001 — an engine's refusal is a result here
            return {"error": str(exc).splitlines()[0][:120]}
        times.append(time.perf_counter() - started)
    times.sort()
    return {"rows": count, "answer": digest, "median_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))] * 1000, 1)}


class EngineDefaultDataset:
    """A store wrapper for the 'public mirror' layout: the engine holds only public graphs and
    queries run on its own default dataset (no per-query graph lists; parameters still bound
    by a VALUES block). For engines that cannot take thousands of graphs per query."""

    def __init__(self, store):
        self.store = store

    def graphs(self):
        return []

    def query(self, text, *, substitutions=None, **_dataset):
        import pyoxigraph as ox

        from justicegraph import sparqltext

        found = sparqltext.shape(text)
        if substitutions:
            text = sparqltext.bind(text, substitutions, found)
        tabular = found.form in ("SELECT", "ASK")
        body, _ = self.store._post(self.store.query_url, [("query", text)],
                                   "application/sparql-results+json" if tabular else "application/n-triples",
                                   self.store.query_timeout)
        return ox.parse_query_results(self.store.dialect.fix_results(body), format=ox.QueryResultsFormat.JSON)


def _merge(runs: list[dict]) -> dict:
    if any("error" in r for r in runs):
        return next(r for r in runs if "error" in r)
    times = sorted(r["median_ms"] for r in runs)
    return {"rows": runs[0]["rows"], "answer": runs[0].get("answer"), "median_ms": round(statistics.median(times), 1),
            "p95_ms": times[min(len(times) - 1, int(0.95 * len(times)))]}


def _embedded_child(path: str, name: str, values: dict, repeats: int, out) -> None:
    store = OxigraphStore(path, read_only=True)
    for _ in range(repeats):  # one message per run, so the parent can stop at the first slow one
        out.put(run_one(store, load_saved_queries()[name], values, 1))


def measure(store, saved, params, repeats: int, limit: float, embedded_path: Path | None = None) -> dict[str, dict]:
    """Each saved query ``repeats`` times. pyoxigraph cannot stop a query, so on the embedded
    store each query runs in a child process that is killed at ``limit`` seconds."""
    rows = {}
    for name, q in sorted(saved.items()):
        values = values_for(q, params)
        if embedded_path is None:
            rows[name] = run_one(store, q, values, repeats)
        else:
            out = multiprocessing.Queue()
            child = multiprocessing.Process(target=_embedded_child, args=(str(embedded_path), name, values, repeats, out))
            child.start()
            runs = []
            try:
                for _ in range(repeats):
                    runs.append(out.get(timeout=limit))
                rows[name] = _merge(runs)
            except queue.Empty:
                rows[name] = {"error": "stopped at the time limit"}
            child.kill()
            child.join()
        print(f"  {name}: {rows[name]}", flush=True)
    return rows


def embedded_public_store(public_nq: Path, work: Path) -> tuple[Path, float]:
    """The embedded store as the server serves an anonymous caller: a store holding only the
    public graphs (its public view, server/protocol/snapshot.py), queried over the union."""
    import pyoxigraph as ox

    path = work / "embedded-public"
    if (path / "built.ok").exists():
        return path, 0.0
    shutil.rmtree(path, ignore_errors=True)
    started = time.perf_counter()
    store = ox.Store(str(path))
    store.bulk_load(path=str(public_nq), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    (path / "built.ok").write_text("")
    return path, time.perf_counter() - started


def start_oxigraph_loaded(nquads: Path, work: Path, limit: float):
    shutil.rmtree(work / "oxigraph", ignore_errors=True)
    location = work / "oxigraph" / "data"
    location.mkdir(parents=True)
    started = time.perf_counter()
    subprocess.run([engines.oxigraph_binary(), "load", "--location", str(location), "--file", str(nquads)],
                   check=True, capture_output=True)
    loaded = time.perf_counter() - started
    return engines.start_oxigraph(work / "oxigraph", on_disk=True, timeout_s=limit), loaded


def start_virtuoso_loaded(nquads: Path, work: Path, limit: float):
    engine = engines.start_virtuoso(work / "virtuoso", max_rows=10_000_000, buffers=340_000, max_seconds=int(limit))
    load_dir = work / "virtuoso" / "load"
    load_dir.mkdir(exist_ok=True)
    (load_dir / "data.nq").write_bytes(nquads.read_bytes())
    started = time.perf_counter()
    engine.isql(f"ld_dir('{load_dir}', 'data.nq', 'urn:justicegraph:unused');\nrdf_loader_run();\ncheckpoint;\n",
                timeout=3600)
    loaded = time.perf_counter() - started
    # bulk-loaded graphs are invisible to the anonymous user until granted (graph security)
    started = time.perf_counter()
    granted = engine.open(store_update_timeout=3600.0).sync_access()
    print(f"  granted {granted} public graphs to the anonymous user in {time.perf_counter() - started:.1f} s",
          flush=True)
    return engine, loaded


def loader_load(records: Path, work: Path, saved, params, repeats: int, limit: float) -> tuple[dict, dict]:
    """The records through the loaders (with SHACL) into an empty Virtuoso; then every saved
    query on that store, as on the others, so its answers are compared with theirs."""
    from justicegraph.loaders import load

    engine = engines.start_virtuoso(work / "virtuoso-loader", max_rows=10_000_000, buffers=340_000,
                                    max_seconds=int(max(limit, 600)))
    try:
        store = engine.open(query_timeout=600.0, store_update_timeout=3600.0)
        started = time.perf_counter()
        result = load(store, [records], dataset="synthetic", minter=Minter())
        info = {"seconds": round(time.perf_counter() - started, 1), "quads": result.inserted, "stored": len(store)}
        print(f"  loaded: {info}", flush=True)
    except Exception as exc:  # noqa: BLE001 — reported, not hidden
        engine.stop()
        return {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}, {}
    try:
        return info, measure(engine.open(query_timeout=limit), saved, params, repeats, limit)
    finally:
        engine.stop()


def table(results: dict, engines_run: list[str]) -> str:
    head = ("| saved query | rows | same answers | " + " | ".join(f"{e} median / p95 ms" for e in engines_run)
            + " |")
    lines = [head, "|" + "---|" * (3 + len(engines_run))]
    for name in sorted(results[engines_run[0]]):
        cells = [results[e].get(name, {}) for e in engines_run]
        counts = {c.get("rows") for c in cells if "rows" in c}
        shown = str(counts.pop()) if len(counts) == 1 else " / ".join(str(c.get("rows", "–")) for c in cells)
        answers = {c["answer"] for c in cells if c.get("answer")}
        same = "–" if len(answers) == 0 else ("yes" if len(answers) == 1 and all("answer" in c for c in cells)
                                              else ("yes, where answered" if len(answers) == 1 else "NO"))
        lines.append(f"| {name} | {shown} | {same} | " + " | ".join(
            c["error"] if "error" in c else f"{c['median_ms']:g} / {c['p95_ms']:g}" for c in cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--limit", type=float, default=60.0, help="Seconds one query may run (then it is stopped).")
    parser.add_argument("--engines", default="embedded,oxigraph,virtuoso",
                        help="embedded: the full store, public graphs listed per query; embedded-public: the "
                             "public view (only public graphs, the union; what the server gives anonymous "
                             "callers); virtuoso: graph security; virtuoso-public: only the public graphs; "
                             "oxigraph-public: oxigraph serve holding the public dataset (store_public_url)")
    parser.add_argument("--loader-load", action="store_true", help="also load the records into Virtuoso through the loaders")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args(argv)
    scale = pipeline.Scale(args.people, args.seed, args.data)
    scale.build(lambda message: print(message, flush=True))
    work = scale.dir / "work-remote"
    work.mkdir(exist_ok=True)
    params, saved = Params.from_records(scale.records), load_saved_queries()
    report: dict = {"people": args.people, "quads": pipeline.store_size(scale.store), "load_s": {}, "latency": {}}
    for name in args.engines.split(","):
        print(f"== {name}", flush=True)
        if name == "embedded":
            report["latency"][name] = measure(None, saved, params, args.repeats, args.limit, scale.store)
            continue
        if name == "embedded-public":
            path, report["load_s"][name] = embedded_public_store(scale.public_nq, work)
            report["latency"][name] = measure(None, saved, params, args.repeats, args.limit, path)
            continue
        if name == "oxigraph":
            engine, report["load_s"][name] = start_oxigraph_loaded(scale.all_nq, work, args.limit)
        elif name == "oxigraph-public":
            engine, report["load_s"][name] = start_oxigraph_loaded(scale.public_nq, work, args.limit)
        elif name == "virtuoso-public":
            engine, report["load_s"][name] = start_virtuoso_loaded(scale.public_nq, work, args.limit)
        else:
            engine, report["load_s"][name] = start_virtuoso_loaded(scale.all_nq, work, args.limit)
        print(f"  bulk load: {report['load_s'][name]:.1f} s", flush=True)
        store = engine.open(query_timeout=args.limit)
        if name == "virtuoso-public":
            store = EngineDefaultDataset(store)
        elif name == "oxigraph-public":
            # the public dataset (justicegraph/store/remote/public.py) as anonymous callers get it:
            # its union default graph, no list, its graphs not listed first (server/web/context.py)
            from justicegraph.store.remote.public import PublicStore

            store = PublicStore(store.query_url, primary=None, engine="oxigraph", query_timeout=args.limit)
            store.graphs = list
        try:
            report["latency"][name] = measure(store, saved, params, args.repeats, args.limit)
        finally:
            engine.stop()
    if args.loader_load:
        print("== virtuoso through the loaders", flush=True)
        report["virtuoso_loader_load"], loaded = loader_load(scale.records, work, saved, params, args.repeats,
                                                             args.limit)
        if loaded:
            report["latency"]["virtuoso-loaded"] = loaded
    names = [n for n in [*args.engines.split(","), "virtuoso-loaded"] if n in report["latency"]]
    print(json.dumps({k: v for k, v in report.items() if k != "latency"}, indent=1))
    print(table(report["latency"], names))
    out = HERE / "results" / f"remote-engines-p{args.people}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
