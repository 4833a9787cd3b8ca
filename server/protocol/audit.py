"""The audit of writes over HTTP: an append-only N-Quads log outside the store.

Every SPARQL Update and Graph Store write is described as a ``prov:Activity`` (who by token
name, when, which graphs, the checksum of the request body; protocol_write.provenance). That
description is bookkeeping, not data: kept in the store, it would show under ``GRAPH ?g`` in
every user's answers (the W3C Update suite passed 54 of 146 that way). So it lives in a log
next to the store (``audit_log``; ``<store>.jg/audit.nq`` by default), in the graphs
``{base}graph/audit`` and ``{base}graph/audit/restricted`` (a write that touched a restricted
graph). Those graphs are outside every dataset: a query sees them only when a writer names
them (FROM / FROM NAMED, default-graph-uri / named-graph-uri, or the Graph Store's
``?graph=``), and then sees nothing else (docs/security.md, "Audit").

Atomic with the write it describes: on an on-disk store the record is inserted in the same
transaction as the change, into the audit graph of the primary, and moved from there into
the log when the write session ends, before a snapshot is published (``move_out``). No
reader ever opens the primary, so no query sees it there; a crash leaves either the change
with its record (the next session or start moves it) or neither. Moving appends before it
deletes, so a crash in between appends the record twice: identical quads, one when read.
Other stores (memory, a remote engine) append the record after the write.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from justicegraph.access import is_restricted

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
ASSERTION_GRAPH = ox.NamedNode("https://w3id.org/justicegraph/ontology#AssertionGraph")
DESCRIBING = {RDF_TYPE, ox.NamedNode("https://w3id.org/justicegraph/ontology#accessLevel"),
              ox.NamedNode("http://www.w3.org/ns/prov#wasGeneratedBy")}


class AuditLog:
    def __init__(self, path: str | os.PathLike, graphs: tuple[str, str]):
        self.path = Path(path)
        self.graphs = graphs  # (public writes, writes that touched a restricted graph)
        self._lock = threading.Lock()
        self._read_to = 0  # bytes of the log read into _descriptions
        self._descriptions: dict[str, list[ox.Quad]] = {}

    def __getstate__(self):  # sent to a spawned process (justicegraph serve's first publish)
        return {"path": self.path, "graphs": self.graphs}

    def __setstate__(self, state):
        self.__init__(state["path"], state["graphs"])

    @classmethod
    def for_settings(cls, settings) -> AuditLog:
        minter = settings.minter
        return cls(location(settings), minter.audit_graphs)

    # --- writing ----------------------------------------------------------------------------
    def append(self, quads: Iterable[ox.Quad]) -> None:
        """Append quads, durably (fsync), under a lock of the file (writers in several processes)."""
        data = b"".join(f"{q} .\n".encode() for q in quads)
        if not data:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the lock

    def move_out(self, session) -> None:
        """Move the records a write session left in the store's audit graphs into the log
        (called by the session before it publishes a snapshot)."""
        engine = getattr(session, "engine", None)
        if engine is None:
            return
        present = [g for g in self.graphs if engine.contains_named_graph(ox.NamedNode(g))]
        if not present:
            return
        quads = [q for g in present for q in engine.quads_for_pattern(None, None, None, ox.NamedNode(g))]
        self.append(quads)
        session.apply(drop_graphs=present)

    # --- reading ----------------------------------------------------------------------------
    def quads(self, graphs: Iterable[str] | None = None) -> list[ox.Quad]:
        """The records in ``graphs`` (default: all), each once."""
        return sorted(set(read(str(self.path), list(graphs) if graphs is not None else None)), key=str)

    def descriptions(self, graphs: Iterable[str]) -> list[ox.Quad]:
        """How the audit describes these graphs (``jg:AssertionGraph``, access level, the
        write that made it): a graph made over HTTP is described there, not in the
        provenance graph, which only loads write. Read incrementally: the log only grows."""
        with self._lock:
            self._refresh()
            return [q for g in graphs for q in self._descriptions.get(g, ())]

    def _refresh(self) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size < self._read_to:  # replaced by a shorter file (rotated by the operator)
            self._read_to, self._descriptions = 0, {}
        if size == self._read_to:
            return
        with open(self.path, "rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)  # whole appends only
            handle.seek(self._read_to)
            data = handle.read()
        data = data[:data.rfind(b"\n") + 1]
        self._read_to += len(data)
        found: dict[str, list[ox.Quad]] = {}
        for q in ox.parse(data, ox.RdfFormat.N_QUADS):
            if q.predicate in DESCRIBING and isinstance(q.subject, ox.NamedNode):
                found.setdefault(q.subject.value, []).append(q)
        for graph, quads in found.items():
            if graph in self._descriptions or any(q.predicate == RDF_TYPE and q.object == ASSERTION_GRAPH
                                                  for q in quads):
                known = self._descriptions.setdefault(graph, [])
                known += [q for q in quads if q not in known]

    def visible(self, restricted_ok: bool) -> list[str]:
        return [g for g in self.graphs if restricted_ok or not is_restricted(g)]

    def query_source(self, default: list[str], named: list[str], *, may_read: bool) -> tuple[dict, dict] | None:
        """(dataset, source) for a query job over the audit when its dataset names an audit
        graph and the caller may read the audit (a writer); None otherwise — then an audit
        graph is a graph the store does not hold, and answers nothing."""
        if not may_read or not set(self.graphs) & {*default, *named}:
            return None
        visible = set(self.visible(restricted_ok=True))
        dataset = {"default": [g for g in default if g in visible] or [""],
                   "named": [g for g in named if g in visible]}
        return dataset, {"path": str(self.path), "graphs": sorted(visible)}


def location(settings) -> Path:
    """Where the audit of ``settings``' store is kept (the ``audit_log`` setting, or its default)."""
    if settings.audit_log:
        return Path(settings.audit_log)
    store = settings.store
    if store == "memory":
        return _scratch()
    if "://" in store:
        return Path("var") / "audit.nq"
    primary = Path(store).resolve()
    return primary.parent / (primary.name + ".jg") / "audit.nq"


_SCRATCH: list[Path] = []


def _scratch() -> Path:
    """An in-memory store's audit: a temporary file, gone with the process (as the store is)."""
    fd, name = tempfile.mkstemp(prefix="justicegraph-audit-", suffix=".nq")
    os.close(fd)
    path = Path(name)
    if not _SCRATCH:
        atexit.register(lambda: [p.unlink(missing_ok=True) for p in _SCRATCH])
    _SCRATCH.append(path)
    return path


def read(path: str, graphs: list[str] | None) -> Iterable[ox.Quad]:
    """The quads of the log at ``path`` (in ``graphs``, when given). A line cut by a crash
    while it was written is left out."""
    try:
        with open(path, "rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)  # whole appends only
            data = handle.read()
    except FileNotFoundError:
        return []
    data = data[:data.rfind(b"\n") + 1]
    wanted = None if graphs is None else {ox.NamedNode(g) for g in graphs}
    return (q for q in ox.parse(data, ox.RdfFormat.N_QUADS) if wanted is None or q.graph_name in wanted)


def store_of(source: dict) -> ox.Store:
    """An in-memory store of the audit a query job names ({"path", "graphs"}): the executor
    side of a query of the audit graphs."""
    store = ox.Store()
    store.bulk_extend(read(source["path"], source["graphs"]))
    return store
