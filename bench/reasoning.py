"""How long `justicegraph reason` takes: the 1988 dataset (target: under 30 s) and synthetic
datasets of N people (default 10,000) made by `justicegraph generate`.

    .venv/bin/python bench/reasoning.py                  # 1988 + 10,000 people
    .venv/bin/python bench/reasoning.py --people 2000 5000
    .venv/bin/python bench/reasoning.py --skip-1988 --people 10000

For each dataset it loads the records into an in-memory store (SHACL off: not what is
measured), then times one consistency check and one full materialisation (HermiT's
classification and realisation, then the SPARQL property rules), and prints one line each.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from justicegraph import reasoning
from justicegraph.generate import generate
from justicegraph.loaders.pipeline import load
from justicegraph.namespaces import Minter
from justicegraph.reasoning.store import asserted_graphs, read_quads
from justicegraph.resources import dataset_dir
from justicegraph.store import OxigraphStore


def measure(name: str, paths: list[Path]) -> dict:
    store = OxigraphStore(None)
    started = time.perf_counter()
    load(store, paths, dataset=name, shacl=False)
    loaded = time.perf_counter() - started
    quads = read_quads(store, asserted_graphs(store, Minter()))
    started = time.perf_counter()
    outcome = reasoning.check(quads, derive=True)
    total = time.perf_counter() - started
    return {"dataset": name, "triples": len(quads), "individuals": outcome.individuals,
            "consistent": outcome.ok, "inferred": len(outcome.inferred), "load_records_s": loaded,
            "reason_s": total, **{f"{k}_s": v for k, v in outcome.seconds.items()}}


def show(row: dict) -> None:
    parts = [f"{row['dataset']:>14}", f"{row['triples']:>8} triples", f"{row['individuals']:>7} individuals",
             "consistent" if row["consistent"] else "INCONSISTENT", f"{row['inferred']:>7} inferred",
             f"reason {row['reason_s']:6.1f} s (owlready2 load {row.get('load_s', 0):.1f}, "
             f"HermiT {row.get('hermit_s', 0):.1f}, rules {row.get('rules_s', 0):.1f})"]
    print("  ".join(parts), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="*", default=[10_000])
    parser.add_argument("--skip-1988", action="store_true")
    args = parser.parse_args(argv)
    rows = []
    if not args.skip_1988:
        rows.append(measure("1988", [dataset_dir("1988")]))
        show(rows[-1])
        if rows[-1]["reason_s"] >= 30:
            print("  1988 dataset: over the 30 s target", flush=True)
    for people in args.people:
        with tempfile.TemporaryDirectory(prefix="jg-bench-") as tmp:
            generate(tmp, people=people, seed=1)
            rows.append(measure(f"synthetic-{people}", [Path(tmp)]))
        show(rows[-1])
    return 0 if all(r["consistent"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
