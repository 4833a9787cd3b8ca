"""Crash safety of a real load: `justicegraph --store DIR load …` is killed with SIGKILL at
random moments — spread over the whole run and concentrated near its end, where the commit
happens. After every kill the store opens read-write cleanly and holds exactly the quads it
held before the load or exactly those of a complete load, never a count in between.

``JUSTICEGRAPH_CRASH_LOAD_POINTS`` sets the number of kills (default 2, to keep CI short;
the report's larger run used more). test_crash.py kills the store's own writer 50 times.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from fixtures.restricted.harness import RECORDS

from justicegraph.cli import main as cli_main
from justicegraph.store import OxigraphStore

pytestmark = pytest.mark.embedded_only("SIGKILLs `justicegraph load` on a RocksDB directory (transaction and directory-swap commits)")

POINTS = int(os.environ.get("JUSTICEGRAPH_CRASH_LOAD_POINTS", "2"))


def cli(store, *args) -> list[str]:
    return [sys.executable, "-m", "justicegraph.cli", "--store", str(store), *args]


# The same load through the pipeline, its commit forced onto the swap path (checkpoint +
# bulk_extend + directory exchange, justicegraph/store/swap.py) that loads of 20k quads or
# more take.
SWAP_LOAD = textwrap.dedent("""
    import sys
    from justicegraph.loaders import load
    from justicegraph.store import OxigraphStore

    store = OxigraphStore(sys.argv[1], swap_min_quads=1)
    load(store, [sys.argv[3]], dataset=sys.argv[2])
    store.close()
""")


def loader(commit: str):
    def run(store, *args) -> list[str]:
        if commit == "transaction":
            return cli(store, *args)
        _load, _flag, dataset, records = args
        return [sys.executable, "-c", SWAP_LOAD, str(store), dataset, records]
    return run


def quad_count(path) -> int:
    store = OxigraphStore(path)  # read-write: must open cleanly
    try:
        return len(store)
    finally:
        store.close()


def grown_records(target, extra_people: int):
    shutil.copytree(RECORDS, target)
    with (target / "people.csv").open("a", encoding="utf-8") as handle:
        for i in range(extra_people):
            handle.write(f"extra-person-{i},Extra Person {i},Extra P. {i},An invented person for the crash test.,¶1,\n")
    return target


@pytest.mark.slow
@pytest.mark.parametrize("commit", ["transaction", "swap"])
def test_sigkill_during_load_leaves_all_or_nothing(tmp_path, commit):
    if "load" not in cli_main.commands:
        pytest.skip("`justicegraph load` is not implemented yet")
    run = loader(commit)
    base = tmp_path / "base"
    subprocess.run(cli(base, "load", "--dataset", "fixture", str(RECORDS)), check=True, capture_output=True)
    before = quad_count(base)
    # The load under test is a re-load of the same dataset with 300 more people: the hardest
    # case, its graphs are dropped and rewritten in the one transaction.
    bigger = grown_records(tmp_path / "records", 300)
    load = ["load", "--dataset", "fixture", str(bigger)]
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    started = time.monotonic()
    subprocess.run(run(reference, *load), check=True, capture_output=True)
    whole = time.monotonic() - started
    after = quad_count(reference)
    assert after > before
    rng = random.Random(int(os.environ.get("JUSTICEGRAPH_CRASH_SEED", "1988")))
    outcomes = []
    for point in range(POINTS):
        # Half the kills anywhere in the run, half in its last fifth (parsing is done; commit).
        delay = rng.uniform(0, whole) if point % 2 == 0 else rng.uniform(0.8 * whole, 1.05 * whole)
        work = tmp_path / f"kill-{point}"
        shutil.copytree(base, work)
        process = subprocess.Popen(run(work, *load), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        count = quad_count(work)
        assert count in (before, after), f"kill at {delay:.2f}s left {count} quads (before {before}, after {after})"
        outcomes.append("after" if count == after else "before")
        # The store still takes a complete load afterwards.
        if point == 0:
            subprocess.run(run(work, *load), check=True, capture_output=True)
            assert quad_count(work) == after
        shutil.rmtree(work)
    print(f"{POINTS} kills over a {whole:.2f}s load: {outcomes.count('before')} before, "
          f"{outcomes.count('after')} after")
