#!/usr/bin/env python
"""justicegraph benchmark: load, validation, direct queries, HTTP serving against `oxigraph
serve` and Virtuoso, start time and memory — side by side in one run, per scale.

    python bench/run.py                  # default scales: 5,000 and 50,000 people (~100k, ~1M triples)
    python bench/run.py --small          # 1,000 people, short HTTP runs (CI)
    python bench/run.py --scales 250000  # ~5M triples

Prints a table per section and writes bench/results/<time>-<label>.json. Data are built
once per scale and cached under bench/data/ (git-ignored). Optional engines (Virtuoso, the
`oxigraph` server) are skipped with the reason when they cannot run here. See
docs/performance.md for what is measured and the targets."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import direct  # noqa: E402
import http_bench  # noqa: E402
import pipeline  # noqa: E402
import report  # noqa: E402
from mixes import Params  # noqa: E402

SECTIONS = ("load", "validate", "direct", "start", "http", "batch")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="CI run: 1,000 people, 3 s per HTTP cell.")
    parser.add_argument("--scales", default="5000,50000", help="People per scale, comma-separated.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"Any of {', '.join(SECTIONS)}.")
    parser.add_argument("--engines", default="justicegraph,oxigraph,virtuoso")
    parser.add_argument("--clients", default="4,16")
    parser.add_argument("--mixes", default="light,lookups,heavy,pages",
                        help="HTTP mixes: light (one-pattern lookups), lookups (general lookups: joins, OPTIONAL, "
                             "FILTER, paths, CONSTRUCT), heavy (every engine), pages (justicegraph's entity pages).")
    parser.add_argument("--duration", type=float, default=20.0, help="Seconds per HTTP cell.")
    parser.add_argument("--cap", type=int, default=20_000, help="Most requests per HTTP cell.")
    parser.add_argument("--layouts", default="2x4", help="justicegraph gunicorn layouts, WORKERSxTHREADS, each "
                        "with optional settings: 2x4+access_log=false (one more justicegraph row per layout).")
    parser.add_argument("--repeats", type=int, default=5, help="Runs per query in the direct section.")
    parser.add_argument("--api-timeout", type=float, default=30.0,
                        help="Seconds a saved query may take when run as the API runs it (0: skip that mode).")
    parser.add_argument("--request-timeout", type=float, default=120.0, help="HTTP client timeout per request.")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="Cache of generated data and stores.")
    parser.add_argument("--label", default=None)
    parser.add_argument("--bulk-build", action="store_true",
                        help="Build a scale not yet cached with SHACL off and a bulk commit (bench/bulk_build.py), "
                             "for sizes the validated load cannot reach in a run; labelled so in the results.")
    args = parser.parse_args(argv)
    if args.small:
        args.scales, args.duration, args.cap, args.repeats = "1000", 3.0, 2_000, 3
        args.api_timeout, args.request_timeout = 0.0, 15.0
        args.label = args.label or "small"
    return args


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    import os

    import pyoxigraph

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "python": platform.python_version(),
            "pyoxigraph": pyoxigraph.__version__, "platform": platform.platform()}


def commit() -> str:
    """The code measured: HEAD, and whether the working tree differed from it (others' work
    in progress in a shared tree)."""
    import subprocess

    def git(*a):
        return subprocess.run(["git", *a], cwd=HERE.parent, capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "?"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "justicegraph", "server", "loaders")
    return head + (" + uncommitted changes in justicegraph/, server/ or loaders/" if dirty else "")


def log(message: str) -> None:
    print(message, flush=True)


class LoadAverage:
    """The 1-minute load average, sampled every 5 s while a section runs: the machine is
    shared, and a ratio between engines means little without knowing how busy it was."""

    def __init__(self):
        import threading

        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        import os

        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(5):
                return

    def __enter__(self) -> LoadAverage:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def summary(self) -> dict:
        s = self.samples or [0.0]
        return {"min": round(min(s), 2), "mean": round(sum(s) / len(s), 2), "max": round(max(s), 2),
                "samples": len(s)}


def section(out: dict, name: str, fn):
    """Run one section, keeping its numbers under ``name`` and the load average under
    ``load_average[name]``."""
    with LoadAverage() as load:
        started = time.time()
        value = fn()
    out.setdefault("load_average", {})[name] = {**load.summary(), "seconds": round(time.time() - started)}
    return value


def run_scale(people: int, args, sections: set[str]) -> dict:
    scale = pipeline.Scale(people, args.seed, args.data)
    out: dict = {"people": people}
    log(f"\n=== {people:,} people ===")
    if args.bulk_build and not (scale.dir / "built.ok").exists():
        section(out, "bulk-build", lambda: _bulk_build(scale, log))
    built = section(out, "build", lambda: scale.build(log))
    by = scale.dir / "built-by.json"
    if by.exists():  # a store not made by the validated load says so next to its numbers
        built = {**json.loads(by.read_text()), **built}
    fresh = bool(built)
    out["load"] = dict(built)
    out["triples"] = pipeline.store_size(scale.store)
    out["public_quads"] = sum(1 for _ in open(scale.public_nq, "rb"))
    log(f"  store: {out['triples']:,} quads ({out['public_quads']:,} public)")
    work = scale.dir / "work"
    params = Params.from_records(scale.records)
    if "load" in sections:
        out["load"].update(section(out, "load", lambda: pipeline.bulk_import(scale.all_nq, work)))
        if not fresh:
            out["load"].update(section(out, "reload", lambda: _reload(scale, work)))
    if "batch" in sections:
        out["batch"] = section(out, "batch", lambda: _guarded("batch", lambda: pipeline.batch_cost(scale, work, log)))
    if "validate" in sections:
        log("  validation: project validator vs plain pyshacl…")
        out["validate"] = section(out, "validate", lambda: _guarded("validate", lambda: pipeline.validation(
            scale.all_nq)))
    if "direct" in sections:
        log("  direct queries on the store:")
        out["direct"] = section(out, "direct", lambda: direct.run(scale.store, params, args.repeats, log,
                                                                  args.api_timeout))
    if "start" in sections:
        out["start"] = section(out, "start", lambda: _guarded("start", lambda: start_times(scale.store, work, log)))
    if "http" in sections:
        out["http"] = section(out, "http", lambda: http_bench.run(scale, params, args, log))
    return out


def start_times(store: Path, work: Path, log, starts: int = 2) -> list[dict]:
    """Start `justicegraph serve` (2 workers × 4 threads) on the store and stop it at its first
    answer, twice: the first start finds the store as the last load or run left it (it may
    publish a snapshot), the second finds the snapshot published — a restart."""
    import servers

    out = []
    for i in range(starts):
        server = servers.start_justicegraph(store, work, workers=2, threads=4)
        try:
            rss, cpu = servers.tree_rss_mb(server.process.pid), servers.tree_cpu_s(server.process.pid)
            out.append({"start": i + 1, "first_answer_s": round(server.first_answer_s, 3),
                        "cpu_to_first_answer_s": round(cpu, 2), "rss_at_first_answer_mb": round(rss, 1),
                        "notes": server.notes})
            log(f"  start {i + 1}: first answer after {server.first_answer_s:.2f} s ({cpu:.1f} CPU s), RSS {rss:,.0f} MB "
                f"({'; '.join(server.notes)})")
        finally:
            server.stop()
    return out


def _bulk_build(scale, log) -> None:
    import os
    import subprocess

    log(f"  building {scale.people:,} people without SHACL, bulk commit (bench/bulk_build.py)…")
    scale.dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, str(HERE / "bulk_build.py"), str(scale.dir), str(scale.people),
                           str(scale.seed)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONHASHSEED="0"))
    if done.returncode:
        raise RuntimeError(f"bulk build failed:\n{(done.stdout + done.stderr)[-3000:]}")
    numbers = json.loads(done.stdout.strip().splitlines()[-1])
    log(f"  built {numbers['bulk_build_quads']:,} quads in {numbers['bulk_build_s']} s "
        f"(peak RSS {numbers['bulk_build_peak_rss_mb']:,} MB); exporting N-Quads…")
    scale.export()
    (scale.dir / "built-by.json").write_text(json.dumps(numbers, indent=1))
    (scale.dir / "built.ok").write_text("ok\n")


def _reload(scale, work: Path) -> dict:
    """A cached scale still measures the pipeline: load the records again into a new store."""
    import shutil

    target = work / "reload-store"
    shutil.rmtree(target, ignore_errors=True)
    loaded = pipeline.run_load(scale.records, target, "synthetic")
    shutil.rmtree(target, ignore_errors=True)
    return pipeline.load_numbers(loaded)


def _guarded(name: str, fn):
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 — a broken section is reported, the others still run
        traceback.print_exc()
        return {"error": f"{type(exc).__name__}: {exc}"[:1000]}


def main(argv=None) -> int:
    args = parse_args(argv)
    sections = set(args.sections.split(","))
    started = time.time()
    results = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)), "machine": machine(),
               "commit": commit(),
               "args": {k: str(v) for k, v in vars(args).items()}, "scales": []}
    for people in (int(x) for x in args.scales.split(",")):
        results["scales"].append(run_scale(people, args, sections))
    results["elapsed_s"] = round(time.time() - started)
    results["targets"] = report.targets(results)
    report.print_tables(results, log)
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    label = args.label or "full"
    path = out_dir / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(started))}-{label}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    log(f"\nresults: {path}  ({results['elapsed_s']} s)")
    failures = [c for c in results["targets"] if c.get("status") == "error"]
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
