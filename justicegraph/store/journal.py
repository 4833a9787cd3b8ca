"""A redo journal for the one kind of change pyoxigraph cannot make in one call.

pyoxigraph has no transaction in its Python API: one ``Store.update`` or ``Store.extend``
call is one transaction, and that is how every change is committed — except one whose
blank nodes must keep their identity. SPARQL Update cannot name a stored blank node
(``DELETE DATA`` refuses them) and gives fresh ones to those it inserts, so such a change
takes several calls (``remove`` per quad, ``extend``, ``remove_graph``); a process killed
between them would leave the store half-changed (issue #17: a Graph Store PUT over a graph
of blank nodes, killed at its first call, left the graph empty).

So the change is first written here, complete and flushed to disk, under
``<store>.jg/journal`` (a directory renamed into place only when whole: ``change.json``
with the graphs to drop and create, ``delete.nq`` and ``insert.nq`` in N-Quads, which keep
blank node labels). Then the calls run, then the journal is deleted. The next read-write
open of the store finds a journal left by a killed process and applies the change again
from the start: each step (drop, remove, insert, create) gives the same result when
repeated on a store that already holds part of it, so the store ends with all of the
change; a journal not yet renamed into place means nothing of the change was applied.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyoxigraph as ox

NAME = "journal"
_TMP_PREFIX = "journal.tmp-"


def pending(state: Path) -> bool:
    """Whether a change was journaled and not (known to be) completed."""
    return (state / NAME / "change.json").is_file()


def has_blank_nodes(quads) -> bool:
    return any(_blank(q.subject) or _blank(q.object) or isinstance(q.graph_name, ox.BlankNode) for q in quads)


def _blank(term) -> bool:
    if isinstance(term, ox.BlankNode):
        return True
    return isinstance(term, ox.Triple) and (_blank(term.subject) or _blank(term.object))


def write(state: Path, drop_graphs: list[str], delete: list[ox.Quad], insert: list[ox.Quad],
          create_graphs: list[str]) -> Path:
    """Write the change durably; returns the journal directory (the commit point is its rename)."""
    state.mkdir(parents=True, exist_ok=True)
    tmp = state / f"{_TMP_PREFIX}{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    _write_file(tmp / "delete.nq", ox.serialize(delete, format=ox.RdfFormat.N_QUADS) if delete else b"")
    _write_file(tmp / "insert.nq", ox.serialize(insert, format=ox.RdfFormat.N_QUADS) if insert else b"")
    # written last: its presence in a renamed journal is what ``pending`` looks for
    _write_file(tmp / "change.json", json.dumps({"drop_graphs": drop_graphs, "create_graphs": create_graphs,
                                                 "delete": len(delete), "insert": len(insert)}).encode())
    fsync_dir(tmp)
    target = state / NAME
    shutil.rmtree(target, ignore_errors=True)  # a completed journal whose deletion was cut short
    os.rename(tmp, target)
    fsync_dir(state)
    return target


def read(state: Path) -> tuple[list[str], list[ox.Quad], list[ox.Quad], list[str]]:
    """The journaled change: (drop_graphs, delete, insert, create_graphs). Raises OSError
    when the journal cannot be read whole (it is then left in place, never ignored)."""
    directory = state / NAME
    try:
        meta = json.loads((directory / "change.json").read_text(encoding="utf-8"))
        delete = list(ox.parse(input=(directory / "delete.nq").read_bytes(), format=ox.RdfFormat.N_QUADS))
        insert = list(ox.parse(input=(directory / "insert.nq").read_bytes(), format=ox.RdfFormat.N_QUADS))
    except (OSError, ValueError, SyntaxError) as exc:
        raise OSError(f"the store's write journal {directory} cannot be read ({exc}); "
                      "the store is left as it is") from None
    if len(delete) != meta["delete"] or len(insert) != meta["insert"]:
        raise OSError(f"the store's write journal {directory} is incomplete; the store is left as it is")
    return list(meta["drop_graphs"]), delete, insert, list(meta["create_graphs"])


def remove(state: Path) -> None:
    shutil.rmtree(state / NAME, ignore_errors=True)
    fsync_dir(state)


def leftovers(state: Path) -> list[Path]:
    """Journals whose writing was cut short (never renamed into place: nothing was applied)."""
    return [p for p in state.glob(_TMP_PREFIX + "*") if p.is_dir()]


def apply_steps(store: ox.Store, drop_graphs: list[str], delete: list[ox.Quad], insert: list[ox.Quad],
                create_graphs: list[str]) -> None:
    """The change as calls that each give the same result when repeated: graphs dropped and
    quads without blank nodes removed in one Update, the other quads removed one by one,
    the new quads added with their blank node labels kept, empty graphs created."""
    from justicegraph.store.interface import change_as_update

    by_value = [q for q in delete if not has_blank_nodes((q,))]
    text = change_as_update(drop_graphs, by_value, ())
    if text:
        store.update(text)
    for quad in delete:
        if has_blank_nodes((quad,)):
            store.remove(quad)
    if insert:
        store.extend(insert)
    for graph in create_graphs:
        store.add_graph(ox.NamedNode(graph))


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new entry in ``directory`` durable (swaps and the journal)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
