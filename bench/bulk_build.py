#!/usr/bin/env python
"""Build a scale's store without SHACL, for sizes where the validated load would take longer
than a run can wait (5M quads). The records still go through the project's loader — reading,
record checks, id resolution, mapping to RDF, provenance — and only two things differ from
`justicegraph load`: SHACL is off, and the commit into the (new, empty) store is pyoxigraph's
`bulk_extend`, which is not atomic. The scale records this in `built-by.json`, and the
benchmark's tables say so next to its numbers.

    python bench/bulk_build.py SCALE_DIR PEOPLE SEED     # prints one JSON line

Run by `bench/run.py --bulk-build` in a child process, so its time and peak RSS are its own."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

BUILT_BY = ("the project's loader with SHACL off (record checks on), committed with bulk_extend "
            "(not atomic) — bench/bulk_build.py")


def build(scale_dir: Path, people: int, seed: int) -> dict:
    from justicegraph.generate import generate
    from justicegraph.loaders.pipeline import load
    from justicegraph.store import OxigraphStore

    class BulkStore(OxigraphStore):
        """A new, empty store whose one commit is a bulk import: there is nothing to drop."""

        def apply(self, *, drop_graphs=(), delete=(), insert=()) -> None:
            if len(self) or list(delete):
                raise RuntimeError("bulk build needs an empty store")
            self.bulk_import(insert)

    records, store_dir = scale_dir / "records", scale_dir / "store"
    started = time.perf_counter()
    if not (scale_dir / "records.ok").exists():
        generate(records, people=people, seed=seed)
        (scale_dir / "records.ok").write_text("ok\n")
    generated = time.perf_counter() - started
    stages: dict[str, float] = {}
    mark = [time.perf_counter(), "start"]

    def progress(stage: str) -> None:
        now = time.perf_counter()
        key = "reading" if mark[1].startswith("reading") else mark[1]
        stages[key] = round(stages.get(key, 0.0) + now - mark[0], 2)
        mark[:] = [now, stage]

    store = BulkStore(store_dir)
    t0 = time.perf_counter()
    result = load(store, [records], dataset="synthetic", shacl=False, progress=progress)
    store.flush()
    seconds = time.perf_counter() - t0
    progress("end")
    quads = len(store)
    store.close()
    return {"built_by": BUILT_BY, "generate_s": round(generated, 1), "bulk_build_s": round(seconds, 1),
            "bulk_build_quads": quads, "records": result.records,
            "bulk_build_triples_per_s": round(result.inserted / seconds), "bulk_build_stages_s": stages,
            "bulk_build_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


if __name__ == "__main__":
    scale_dir, people, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(build(scale_dir, people, seed)))
