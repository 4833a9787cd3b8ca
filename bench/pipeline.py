"""Data for each scale, built once and cached, and the load and validation measurements.

Per scale (a number of people), under bench/data/p{people}-s{seed}/:
  records/   — `justicegraph generate` output (CSV per kind)
  store/     — the on-disk store after `justicegraph load records` (records → RDF → SHACL → commit)
  public.nq  — the store's public graphs as N-Quads (what the other engines load)
  all.nq     — every quad (for bulk import and validation)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).resolve().parent


def run_load(records: Path, store: Path, dataset: str, profile: Path | None = None) -> dict:
    """One validated load in a child process (bench/load_once.py): seconds, quads, stages, RSS."""
    cmd = [sys.executable, str(HERE / "load_once.py"), str(store), str(records), dataset]
    if profile:
        cmd += ["--profile", str(profile)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, PYTHONHASHSEED="0"))
    if done.returncode != 0:
        raise RuntimeError(f"load of {records} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_numbers(loaded: dict) -> dict:
    return {"pipeline_load_s": loaded["seconds"], "triples": loaded["quads"], "records": loaded["records"],
            "pipeline_triples_per_s": round(loaded["inserted"] / loaded["seconds"]),
            "pipeline_peak_rss_mb": loaded["peak_rss_mb"], "pipeline_stages_s": loaded["stages"],
            # the staged commit's child process (its bulk load), beside the load's own process
            "pipeline_child_peak_rss_mb": loaded.get("child_peak_rss_mb"),
            "compact_s": loaded.get("compact_s"),  # justicegraph load's compaction after the commit
            "pipeline_warmup_s": loaded.get("warmup_s"),
            # CPU seconds of the load's process (all threads) and of its staged commit's child:
            # steadier than wall time on a shared machine
            "pipeline_cpu_s": loaded.get("cpu_s"), "pipeline_stages_cpu_s": loaded.get("stages_cpu")}


def store_size(path: Path) -> int:
    store = ox.Store.read_only(str(path))
    return len(store)


class Scale:
    def __init__(self, people: int, seed: int, data_root: Path):
        self.people, self.seed = people, seed
        self.dir = data_root / f"p{people}-s{seed}"
        self.records = self.dir / "records"
        self.store = self.dir / "store"
        self.public_nq = self.dir / "public.nq"
        self.all_nq = self.dir / "all.nq"
        self.facts: dict = {}

    def build(self, log) -> dict:
        """Generate, load and export once; later runs reuse the files. Returns load numbers
        (only when this run did the load: a cached store has none)."""
        from justicegraph.generate import generate

        done = self.dir / "built.ok"
        if done.exists():
            log(f"  data for {self.people:,} people: cached in {self.dir}")
            return {}
        shutil.rmtree(self.dir, ignore_errors=True)
        t0 = time.perf_counter()
        generate(self.records, people=self.people, seed=self.seed)
        gen_s = time.perf_counter() - t0
        log(f"  generated {self.people:,} people in {gen_s:.1f} s; loading through the pipeline…")
        loaded = run_load(self.records, self.store, "synthetic")
        self.export()
        done.write_text("ok\n")
        return {"generate_s": round(gen_s, 2), **load_numbers(loaded)}

    def export(self) -> None:
        store = ox.Store.read_only(str(self.store))
        with open(self.all_nq, "wb") as out:
            ox.serialize(iter(store), out, ox.RdfFormat.N_QUADS)
        public = (q for q in store if not _restricted(q.graph_name))
        with open(self.public_nq, "wb") as out:
            ox.serialize(public, out, ox.RdfFormat.N_QUADS)


def _restricted(graph) -> bool:
    return isinstance(graph, ox.NamedNode) and graph.value.endswith("/restricted")


def bulk_import(nquads: Path, workdir: Path) -> dict:
    """store.bulk_import of N-Quads into a new on-disk store."""
    from justicegraph.store import OxigraphStore

    target = workdir / "bulk-store"
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    store = OxigraphStore(target)
    store.bulk_import(ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS))
    store.flush()
    seconds = time.perf_counter() - started
    n = len(store)
    store.close()
    shutil.rmtree(target, ignore_errors=True)
    return {"bulk_import_s": round(seconds, 2), "bulk_triples_per_s": round(n / seconds)}


def batch_cost(scale: Scale, workdir: Path, log, people: int = 290) -> dict:
    """Load one ~1,000-record batch into a copy of the full store and into a store holding
    only the shared world (places, organisations, the mass atrocity): the ratio is what the
    store's size adds to a batch's validated load."""
    from justicegraph.generate import generate

    batch = workdir / "batch"
    counts = generate(batch, people=people, seed=scale.seed + 1000, id_prefix="b1-", world=False)
    world = workdir / "world"
    generate(world, people=10, seed=scale.seed)
    small = workdir / "store-small"
    big = workdir / "store-big"
    for path in (small, big):
        shutil.rmtree(path, ignore_errors=True)
    run_load(world, small, "synthetic")
    shutil.copytree(scale.store, big)
    small_run = run_load(batch, small, "batch")
    big_run = run_load(batch, big, "batch")
    into_small, into_big = small_run["seconds"], big_run["seconds"]
    shutil.rmtree(big, ignore_errors=True)
    shutil.rmtree(small, ignore_errors=True)
    log(f"  batch of {sum(counts.values())} records: {into_small:.2f} s into a small store, "
        f"{into_big:.2f} s into the {scale.people:,}-people store")
    return {"batch_records": sum(counts.values()), "batch_small_s": round(into_small, 2),
            "batch_big_s": round(into_big, 2), "batch_ratio": round(into_big / into_small, 2),
            "batch_small_stages_s": small_run["stages"], "batch_big_stages_s": big_run["stages"],
            "batch_small_cpu_s": small_run.get("cpu_s"), "batch_big_cpu_s": big_run.get("cpu_s")}


def validation(nquads: Path) -> dict:
    """The project's validator vs plain pyshacl, on the same shapes and the same data."""
    import pyshacl
    from rdflib import Dataset, Graph

    from justicegraph.resources import shapes_graph
    from justicegraph.validation import background, validate

    shapes_graph()
    background()  # parsed once, as a long-running process would have them
    started = time.perf_counter()
    report = validate(ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS))
    ours = time.perf_counter() - started
    started = time.perf_counter()
    dataset = Dataset()
    dataset.parse(str(nquads), format="nquads")
    union = Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    for triple in background():
        union.add(triple)
    conforms, _, _ = pyshacl.validate(union, shacl_graph=shapes_graph(), inference="none", allow_warnings=True)
    plain = time.perf_counter() - started
    n = len(union)
    return {"validate_ours_s": round(ours, 2), "validate_ours_conforms": report.conforms,
            "validate_ours_violations": len(report.violations), "validate_pyshacl_s": round(plain, 2),
            "validate_pyshacl_conforms": bool(conforms), "validate_triples": n,
            "validate_ours_triples_per_s": round(n / ours), "validate_pyshacl_triples_per_s": round(n / plain)}
