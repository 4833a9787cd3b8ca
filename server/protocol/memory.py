"""``serve_mode = memory``: executor processes query an in-memory pyoxigraph copy of the
snapshot (or public view) a job names instead of reading it in place (server/protocol/executor.py
keeps the last two it opened: the current snapshot and its public view).

The copy is loaded once per pool, by its **zygote** (server/protocol/process.py), and the
executors are forked from it: they share its pages copy-on-write, so a pool holds one copy
plus what each executor changes (a write's delta, its queries' working memory), not one copy
per executor. Until the zygote has loaded it, the pool's executors read the snapshot on disk,
as in disk mode — the same jobs, datasets and time limit, so the server answers from the
moment its port opens — and are then replaced by forked ones (idle ones at once, busy ones
when their job ends).

Snapshots are immutable, so a loaded copy stays exact for as long as the snapshot is the
one jobs name; a write publishes a new snapshot, the next job names it, and the executor
applies that write's change (recorded beside the new snapshot) to its copy of the previous
one — the public part only to a copy of the public view — or, when it holds no such copy or
the change is not recorded, loads the new one (the first query after a write waits for it,
within its time limit).
The zygote loads only the view anonymous callers read (or the snapshot when there is no
view) at start. A job naming a snapshot the executor holds no copy of, and cannot advance
to, is run on that snapshot on disk — never a load within a query's time limit — and the
pool has the zygote load it (or advance its copy by the recorded change) in the background,
then forks the executors again so that they share it (server/protocol/executor.py,
``_load_in_zygote``).

Memory mode trades memory and start time for speed: pyoxigraph's in-memory store answers
scans and joins several times faster than RocksDB, but each pool (web worker) holds a copy
(about 400 MB per million quads) and loading one takes seconds per million quads (see
docs/performance.md, "Memory mode"). It suits stores of up to a few million quads.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pyoxigraph as ox

from justicegraph.server.protocol.public import SUFFIX, apply_deltas


def load_in_memory(path: str) -> ox.Store:
    """An in-memory copy of the on-disk store at ``path`` (every quad and every named graph,
    empty ones too)."""
    source = ox.Store.read_only(path)
    copy = ox.Store()
    copy.bulk_extend(source)
    for graph in source.named_graphs():
        copy.add_graph(graph)
    return copy


def advance(stores: dict, path: str) -> ox.Store | None:
    """The in-memory copy of snapshot (or public view) ``path`` made from the copy of the
    previous one in ``stores`` (taken out of it) and the change recorded beside ``path``
    (``<name>.delta``, written by the writer: server/protocol/snapshot.py); a view gets only
    the public part. None when there is no such copy or record (then load afresh)."""
    target = Path(path)
    view = target.name.endswith(SUFFIX)
    name = target.name[: -len(SUFFIX)] if view else target.name
    try:
        with open(target.parent / (name + ".delta"), "rb") as handle:
            record = pickle.load(handle)  # written by our own writer, beside the snapshot
    except (OSError, EOFError, pickle.UnpicklingError):
        return None
    base = str(target.parent / (record["base"] + (SUFFIX if view else "")))
    store = stores.pop(base, None)
    if store is None:
        return None
    try:
        apply_deltas(store, record["deltas"], public_only=view)
    except RuntimeError:  # not an in-memory copy after all (read-only): drop it, load afresh
        return None
    return store
