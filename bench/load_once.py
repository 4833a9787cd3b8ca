#!/usr/bin/env python
"""One validated load (records → RDF → SHACL → commit) into an on-disk store, in its own
process so that its time and peak memory are its own. Prints one JSON line: seconds, quads
in the store, seconds per stage, the warm-up (parsing shapes and ontology, not counted), peak RSS. ``--profile FILE`` writes cProfile stats.

    python bench/load_once.py STORE RECORDS_DIR DATASET [--profile out.prof]"""

from __future__ import annotations

import argparse
import cProfile
import json
import resource
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("records")
    parser.add_argument("dataset")
    parser.add_argument("--profile")
    parser.add_argument("--no-shacl", action="store_true", help="skip SHACL (to measure the rest of the pipeline)")
    args = parser.parse_args()
    from justicegraph.loaders.pipeline import load
    from justicegraph.resources import shapes_graph
    from justicegraph.store import OxigraphStore
    from justicegraph.validation import background

    # Parse shapes, ontology and vocabularies first, as a long-running server has them: the
    # measured load is then the marginal cost of the records, the warm-up reported apart.
    warm = time.perf_counter()
    shapes_graph()
    background()
    warmup = time.perf_counter() - warm
    store = OxigraphStore(args.store)
    stages: dict[str, float] = {}
    # CPU seconds per stage (this process, all threads, and the child processes it has waited
    # for: the staged commit's bulk load runs in one and counts when the commit waits for it)
    cpu: dict[str, float] = {}

    def process_time() -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    mark = [time.perf_counter(), "start", process_time()]

    def progress(stage: str) -> None:
        now, cpu_now = time.perf_counter(), process_time()
        key = "reading" if mark[1].startswith("reading") else mark[1]
        stages[key] = round(stages.get(key, 0.0) + now - mark[0], 3)
        cpu[key] = round(cpu.get(key, 0.0) + cpu_now - mark[2], 3)
        mark[:] = [now, stage, cpu_now]

    profiler = cProfile.Profile() if args.profile else None
    started, cpu_started = time.perf_counter(), process_time()
    if profiler:
        profiler.enable()
    result = load(store, [args.records], dataset=args.dataset, progress=progress, shacl=not args.no_shacl)
    store.flush()
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    seconds = time.perf_counter() - started
    cpu_seconds = process_time() - cpu_started
    progress("end")
    # What `justicegraph load` does after its commit (reported apart: not part of the load's
    # time): compact the store, so the served snapshots read as users' stores read.
    compact = time.perf_counter()
    store.optimize()
    compact_s = time.perf_counter() - compact
    print(json.dumps({"seconds": round(seconds, 3), "quads": len(store), "inserted": result.inserted,
                      "compact_s": round(compact_s, 3),
                      "records": result.records, "stages": stages,
                      "cpu_s": round(cpu_seconds, 3), "stages_cpu": cpu, "warmup_s": round(warmup, 3),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "child_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
                      "loadavg": open("/proc/loadavg").read().split()[:3]}))
    store.close()


if __name__ == "__main__":
    main()
