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

SECTIONS = ("load", "validate", "direct", "http", "batch")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="CI run: 1,000 people, 3 s per HTTP cell.")
    parser.add_argument("--scales", default="5000,50000", help="People per scale, comma-separated.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"Any of {', '.join(SECTIONS)}.")
    parser.add_argument("--engines", default="justicegraph,oxigraph,virtuoso")
    parser.add_argument("--clients", default="4,16")
    parser.add_argument("--duration", type=float, default=20.0, help="Seconds per HTTP cell.")
    parser.add_argument("--cap", type=int, default=20_000, help="Most requests per HTTP cell.")
    parser.add_argument("--layouts", default="2x4", help="justicegraph gunicorn layouts, WORKERSxTHREADS.")
    parser.add_argument("--repeats", type=int, default=5, help="Runs per query in the direct section.")
    parser.add_argument("--api-timeout", type=float, default=30.0,
                        help="Seconds a saved query may take when run as the API runs it (0: skip that mode).")
    parser.add_argument("--request-timeout", type=float, default=120.0, help="HTTP client timeout per request.")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="Cache of generated data and stores.")
    parser.add_argument("--label", default=None)
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


def log(message: str) -> None:
    print(message, flush=True)


def run_scale(people: int, args, sections: set[str]) -> dict:
    scale = pipeline.Scale(people, args.seed, args.data)
    out: dict = {"people": people}
    log(f"\n=== {people:,} people ===")
    built = scale.build(log)
    fresh = bool(built)
    out["load"] = dict(built)
    out["triples"] = pipeline.store_size(scale.store)
    out["public_quads"] = sum(1 for _ in open(scale.public_nq, "rb"))
    log(f"  store: {out['triples']:,} quads ({out['public_quads']:,} public)")
    work = scale.dir / "work"
    params = Params.from_records(scale.records)
    if "load" in sections:
        out["load"].update(pipeline.bulk_import(scale.all_nq, work))
        if not fresh:
            out["load"].update(_reload(scale, work))
    if "batch" in sections:
        out["batch"] = _guarded("batch", lambda: pipeline.batch_cost(scale, work, log))
    if "validate" in sections:
        log("  validation: project validator vs plain pyshacl…")
        out["validate"] = _guarded("validate", lambda: pipeline.validation(scale.all_nq))
    if "direct" in sections:
        log("  direct queries on the store:")
        out["direct"] = direct.run(scale.store, params, args.repeats, log, args.api_timeout)
    if "http" in sections:
        out["http"] = http_bench.run(scale, params, args, log)
    return out


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
