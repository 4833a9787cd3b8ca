"""Crash safety: a write killed with SIGKILL at any moment leaves the store with the whole
change or none of it, and the store opens read-write cleanly afterwards.

A real child process writes through ``OxigraphStore.apply`` (the path every load and every
server write takes) in a loop; the test kills it after a random delay, many times over the
same store, and checks the store after each kill. Each change *replaces* a graph (as a
re-load does), drops an old batch graph and adds a new one, in one transaction, so a
half-applied change shows as a mixed version, a partial or missing batch, or a batch
without its version.

``JUSTICEGRAPH_CRASH_POINTS`` sets the number of kills (default 50; the report's larger run
used more). ``test_crash_load.py`` does the same to ``justicegraph load``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pyoxigraph as ox
import pytest

from justicegraph.store import OxigraphStore

pytestmark = pytest.mark.embedded_only("SIGKILLs a process writing pyoxigraph's RocksDB store and reopens its files")

POINTS = int(os.environ.get("JUSTICEGRAPH_CRASH_POINTS", "50"))
SWAP_POINTS = max(4, POINTS // 4)  # the swap path's changes are slower (a checkpoint each)
QUADS_PER_CHANGE = 1000
MAIN = "urn:jg:crash/main"
BATCH = "urn:jg:crash/batch/"

CHILD = textwrap.dedent(f"""
    import sys
    import pyoxigraph as ox
    from justicegraph.store import OxigraphStore

    # argv[3]: the smallest insert committed by swapping directories ("none": never)
    store = OxigraphStore(sys.argv[1], swap_min_quads=None if sys.argv[3] == "none" else int(sys.argv[3]))
    start = int(sys.argv[2])
    print("ready", flush=True)
    k = start
    while True:
        version = [ox.Quad(ox.NamedNode(f"urn:jg:s/{{i}}"), ox.NamedNode("urn:jg:version"),
                           ox.Literal(str(k)), ox.NamedNode("{MAIN}")) for i in range({QUADS_PER_CHANGE})]
        batch = [ox.Quad(ox.NamedNode(f"urn:jg:b/{{k}}/{{i}}"), ox.NamedNode("urn:jg:member"),
                         ox.Literal(f"item {{i}} of batch {{k}}"), ox.NamedNode(f"{BATCH}{{k}}"))
                 for i in range({QUADS_PER_CHANGE})]
        # One transaction: drop the main graph and the batch before last-but-one, insert both.
        store.apply(drop_graphs=["{MAIN}", f"{BATCH}{{k - 3}}"], insert=version + batch)
        print("done", k, flush=True)
        k += 1
""")


def state_of(path) -> tuple[int | None, dict[int, int]]:
    """(the one version the main graph holds, quads per batch graph) — or fails if the
    main graph mixes versions or is partial."""
    store = OxigraphStore(path)  # read-write: must open cleanly after any kill
    try:
        versions = {int(row["v"].value): int(row["n"].value) for row in store.query(
            f"SELECT ?v (COUNT(*) AS ?n) {{ GRAPH <{MAIN}> {{ ?s ?p ?v }} }} GROUP BY ?v")}
        batches = {int(row["g"].value[len(BATCH):]): int(row["n"].value) for row in store.query(
            f'SELECT ?g (COUNT(*) AS ?n) {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{BATCH}")) }} '
            "GROUP BY ?g")}
    finally:
        store.close()
    if not versions:
        return None, batches
    assert len(versions) == 1, f"main graph mixes versions: {versions}"
    (version, count), = versions.items()
    assert count == QUADS_PER_CHANGE, "main graph holds a partial change"
    return version, batches


def kill_once(path, start: int, rng: random.Random, change_time: list[float], swap: str) -> int | None:
    """Start a writer, let it acknowledge 0–2 changes, then kill it at a random moment within
    about one more change (timed from the changes seen so far, so the kills land inside
    transactions whatever the machine's speed). Returns the last acknowledged change."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(start), swap],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    acknowledged, last = [], time.monotonic()
    for _ in range(rng.randint(0, 2)):
        line = child.stdout.readline()
        assert line.startswith("done"), "the writer failed"
        acknowledged.append(int(line.split()[1]))
        now = time.monotonic()
        change_time.append(now - last)
        last = now
    typical = sorted(change_time)[len(change_time) // 2] if change_time else 0.2
    time.sleep(rng.uniform(0.0, 1.2 * typical))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the writer ended on its own: it failed"
    # Only whole lines count: the kill may land while the writer prints ("do", "done 1" of "done 12").
    whole = child.stdout.read().split("\n")[:-1]
    acknowledged += [int(line.split()[1]) for line in whole if line.startswith("done ")]
    child.stdout.close()
    return acknowledged[-1] if acknowledged else None


# Each change through one transaction, and each through a checkpoint + bulk_extend + directory
# swap (the path big loads take: justicegraph/store/swap.py).
@pytest.mark.parametrize("swap", ["none", "1"], ids=["transaction", "swap"])
def test_sigkill_at_random_points_leaves_whole_changes_only(tmp_path, swap):
    path = tmp_path / "store"
    rng = random.Random(int(os.environ.get("JUSTICEGRAPH_CRASH_SEED", "1988")))
    version, acknowledged_total, change_time = None, 0, []
    for _point in range(POINTS if swap == "none" else SWAP_POINTS):
        start = 0 if version is None else version + 1
        acked = kill_once(path, start, rng, change_time, swap)
        new_version, batches = state_of(path)
        # Whole change or none: the version moved by the acknowledged changes, plus at most
        # the one in flight; exactly the last three batches up to it exist, each complete.
        if acked is not None:
            assert new_version in (acked, acked + 1), (acked, new_version)
            acknowledged_total += acked - start + 1
        else:
            assert new_version in (version, start)
        assert set(batches) == (set() if new_version is None else set(range(max(0, new_version - 2),
                                                                             new_version + 1)))
        assert all(n == QUADS_PER_CHANGE for n in batches.values()), "a batch graph is partial"
        version = new_version
    assert acknowledged_total > 0, "no change ever committed: the kills proved nothing"
    # The store is still writable and consistent after all the kills.
    store = OxigraphStore(path)
    store.apply(insert=[ox.Quad(ox.NamedNode("urn:jg:after"), ox.NamedNode("urn:jg:p"), ox.Literal("ok"),
                                ox.NamedNode("urn:jg:after-graph"))])
    assert "urn:jg:after-graph" in store.graphs()
    store.close()
