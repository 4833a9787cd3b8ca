"""``serve_mode = memory``: executor processes load the snapshot (or public view) a job
names into an in-memory pyoxigraph store instead of reading it in place (server/executor.py
keeps the last two it opened: the current snapshot and its public view).

Snapshots are immutable, so a loaded copy stays exact for as long as the snapshot is the
one jobs name; a write publishes a new snapshot, the next job names it and the executor
loads that one (the first query after a write waits for the load, within its time limit).
When an executor starts it loads only the view anonymous callers read (or the snapshot
when there is no view); the other is loaded by the first query that needs it.

Memory mode trades memory and start time for speed: pyoxigraph's in-memory store answers
scans and joins several times faster than RocksDB, but each executor holds its own copy
(about 400 MB per million quads) and loading one takes seconds per million quads (see
docs/performance.md). It suits stores of up to a few million quads with few executors.
"""

from __future__ import annotations

import pyoxigraph as ox


def load_in_memory(path: str) -> ox.Store:
    """An in-memory copy of the on-disk store at ``path`` (every quad and every named graph,
    empty ones too)."""
    source = ox.Store.read_only(path)
    copy = ox.Store()
    copy.bulk_extend(source)
    for graph in source.named_graphs():
        copy.add_graph(graph)
    return copy
