"""The work an executor does for one request, written as a function that reports through
``emit(message)`` so the same code runs inside a killable executor process (messages go
through a pipe) or inline (in-memory stores).

Messages: either ``("result", {...meta}, bytes)`` — the whole answer at once, the common case
(one pipe message, and the web side knows its length) — or ``("meta", {...})`` once before
any data and ``("data", bytes)`` zero or more times (answers too large to hold);
``("error", status, message)`` instead on failure; and ``("done", {...})`` last. A job with a
``budget`` (bytes) answers ``("overflow",)`` instead of an answer larger than that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

from justicegraph.access import is_restricted
from justicegraph.server.protocol import results, results_fast
from justicegraph.sparqltext import has_relative_iri, syntax_error
from justicegraph.store.remote.base import EVALUATION_REFUSED

Emit = Callable[[tuple], None]
WHOLE_ANSWER_BYTES = 4 * 1024 * 1024  # larger answers are sent in CHUNK_BYTES pieces
CHUNK_BYTES = 256 * 1024


def dataset_kwargs(dataset: dict) -> dict[str, Any]:
    """pyoxigraph keyword arguments from the picklable dataset description the web side sends:
    {"union": bool} or {"default": [iri or "" for the store default], "named": [iri] | None}."""
    if dataset.get("union"):
        return {"use_default_graph_as_union": True}
    kwargs: dict[str, Any] = {}
    if dataset.get("default") is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) if g else ox.DefaultGraph() for g in dataset["default"]]
    if dataset.get("named") is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in dataset["named"]]
    return kwargs


def execute(store, text: str, base: str | None, dataset: dict):
    """Run a query on a pyoxigraph Store, or on any GraphStore (e.g. a remote engine)."""
    if isinstance(store, ox.Store):
        return store.query(text, base_iri=base, **dataset_kwargs(dataset))
    if dataset.get("public"):
        # a remote store's public dataset or anonymous endpoint; never the whole store instead
        store = store.public_view()
        if store is None:
            raise PermissionError("no public view of this store")
    kwargs = dataset_kwargs(dataset)
    if base and has_relative_iri(text):
        # relative IRIs resolve against the endpoint's URL, as pyoxigraph's base_iri does (on
        # the first line: the engine's error positions stay the caller's lines)
        text = f"BASE {ox.NamedNode(base)} {text}"
    return store.query(text, union=kwargs.pop("use_default_graph_as_union", False), **kwargs)


def run_job(job: dict, store, emit: Emit) -> None:
    try:
        if job.get("audit"):  # a writer's query of the audit log (server/protocol/audit.py)
            from justicegraph.server.protocol.audit import store_of

            store = store_of(job["audit"])
        if job["kind"] == "query":
            _query(job, store, emit)
        elif job["kind"] == "diff":
            _diff(job, store, emit)
        else:
            emit(("error", 500, f"unknown job kind {job['kind']!r}"))
    except SyntaxError as exc:
        emit(("error", 400, _syntax_error(job, store, exc)))
    except (OSError, ValueError, RuntimeError) as exc:
        emit(("error", *_failure(exc)))
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":  # pyo3's: a Rust panic in this thread
            raise
        emit(("error", 400, f"{NOT_MALFORMED[1]} on this request: {exc}. "
                            "Rewrite it (an ORDER BY over values of different kinds, for one) and retry."))
    emit(("done", {}))


def _syntax_error(job: dict, store, exc: SyntaxError) -> str:
    """The message for a query the store refused as malformed. A remote engine's parse error
    has no position (Virtuoso names a line at most, in its own words): the text is parsed again
    by pyoxigraph, the embedded store's parser, so a malformed query is reported alike — with
    line and column — on every backend. Only on this error path (no cost to good queries);
    sparqltext.syntax_error never reads a text naming SERVICE or LOAD (pyoxigraph would call
    it, and the server never fetches on a caller's behalf)."""
    message = str(exc)
    if isinstance(store, ox.Store) or job["kind"] != "query" or message.startswith(EVALUATION_REFUSED):
        return message
    # parse only (sparqltext.syntax_error): an ASK is not evaluated, pyoxigraph would at once
    located = syntax_error(job["query"], job.get("base"))
    return message if located is None else str(located)


def _failure(exc: Exception) -> tuple[int, str]:
    """Status and message for a failed job. A remote engine's failure is a 502 (the engine is
    this server's upstream) with a fixed message: the engine's own text names its internals
    (SQL views, grants, the query text we sent it with its dataset), so it is only logged."""
    from justicegraph.store.remote.base import RemoteStoreError, engine_failure  # a leaf, on failure only

    if isinstance(exc, RemoteStoreError):
        return engine_failure(exc)
    if isinstance(exc, RuntimeError) and CLIENT_ERRORS.match(str(exc)):
        return 400, f"{NOT_MALFORMED[0]}: {exc}."
    return 500, f"{type(exc).__name__}: {exc}"


# How the messages of requests that were read but could not be evaluated begin (400, not "Malformed").
NOT_MALFORMED = ("The request cannot be evaluated", "The query engine (pyoxigraph) failed")
# pyoxigraph's evaluation errors that the request itself causes (a RuntimeError, like its
# storage errors, which stay 500): an unknown function, a graph an operation needs or creates.
CLIENT_ERRORS = re.compile(r"The custom function .* is not supported|The graph <[^>]*> (does not exist|already exists)"
                           r"|The service .* is not supported|The variable encoding the service name is unbound"
                           r"|The content media type .* is not supported|The service is not returning solutions")


def _query(job: dict, store: ox.Store, emit: Emit) -> None:
    result = execute(store, job["query"], job.get("base"), job["dataset"])
    cap = job["row_cap"]
    if isinstance(result, ox.QueryBoolean):
        fmt = job["results_format"]
        if fmt is None:
            emit(("error", 406, "no acceptable media type for an ASK result"))
            return
        emit(("result", {"form": "ASK", "format": fmt, "truncated": False}, results.boolean_bytes(fmt, bool(result))))
    elif isinstance(result, ox.QuerySolutions):
        fmt = job["results_format"]
        if fmt is None:
            emit(("error", 406, "no acceptable media type for a SELECT result"))
            return
        budget = job.get("budget")
        if budget and fmt not in results_fast.FORMATS:
            emit(("overflow",))  # a bounded run holds whole answers only
            return
        answer = results_fast.select_bytes(result, fmt, cap, budget) if fmt in results_fast.FORMATS else None
        if answer is not None:
            body, truncated = answer
            meta = {"form": "SELECT", "format": fmt, "truncated": truncated}
            if len(body) <= WHOLE_ANSWER_BYTES:
                emit(("result", meta, body))
            else:  # a large answer crosses in pieces, so the web worker never holds all of it
                emit(("meta", meta))
                view = memoryview(body)
                for start in range(0, len(body), CHUNK_BYTES):
                    emit(("data", bytes(view[start:start + CHUNK_BYTES])))
            return
        if budget:
            emit(("overflow",))  # larger than a bounded run may hold: the caller uses an executor
            return
        if fmt in results_fast.FORMATS:  # too large to hold: run it again, streaming rows
            result = execute(store, job["query"], job.get("base"), job["dataset"])
        names = [v.value for v in result.variables]
        rows, truncated = _take(result, cap, tuple)
        emit(("meta", {"form": "SELECT", "format": fmt, "truncated": truncated}))
        for chunk in results.select_chunks(fmt, names, rows):
            emit(("data", chunk))
    else:
        fmt = job["graph_format"]
        if fmt is None:
            emit(("error", 406, "no acceptable media type for a CONSTRUCT or DESCRIBE result"))
            return
        budget = job.get("budget")
        try:
            # a run in the web worker holds at most ``budget`` bytes of terms (then: an executor)
            triples, truncated = _take(_up_to(budget, result) if budget else result, cap, None)
        except _Overflow:
            emit(("overflow",))
            return
        whole = _Whole(emit, {"form": "CONSTRUCT", "format": fmt, "truncated": truncated})
        results.write_rdf(fmt, triples, whole.write, job.get("prefixes"))
        whole.close()


class _Whole:
    """A graph answer sent as one "result" message when it is small (most are: the web worker,
    or the fast lane, answers it without relaying pieces), else as "meta" and "data" pieces
    once it passes WHOLE_ANSWER_BYTES — as SELECT answers are sent."""

    def __init__(self, emit: Emit, meta: dict):
        self.emit, self.meta = emit, meta
        self.parts: list[bytes] | None = []
        self.size = 0

    def write(self, data: bytes) -> None:
        if self.parts is None:
            self.emit(("data", data))
            return
        self.parts.append(data)
        self.size += len(data)
        if self.size > WHOLE_ANSWER_BYTES:
            self.emit(("meta", self.meta))
            self.emit(("data", b"".join(self.parts)))
            self.parts = None

    def close(self) -> None:
        if self.parts is not None:
            self.emit(("result", self.meta, b"".join(self.parts)))


class _Overflow(Exception):
    pass


def _up_to(budget: int, triples):
    """The triples, until their terms pass ``budget`` characters (then _Overflow; a term
    without a lexical value — a quoted triple — counts 64)."""
    size = 0
    for t in triples:
        size += sum(len(getattr(term, "value", "")) or 64 for term in (t.subject, t.predicate, t.object))
        if size > budget:
            raise _Overflow
        yield t


def _take(iterator, cap: int, convert) -> tuple[list, bool]:
    """At most ``cap`` items, and whether there were more (the row cap)."""
    items = []
    for item in iterator:
        if len(items) >= cap:
            return items, True
        items.append(convert(item) if convert else item)
    return items, False


def _diff(job: dict, store: ox.Store, emit: Emit) -> None:
    """Run an update on an in-memory copy of the store and report the change it makes.
    An update made only of INSERT DATA needs no copy: its quads, less those already stored."""
    if job.get("insert_data_only"):
        scratch = ox.Store()
        scratch.update(job["update"], base_iri=job.get("base"))
        # a GraphStore (remote engine) is asked which of these quads it holds: no copy of it
        added = [q for q in scratch if q not in store] if isinstance(store, ox.Store) else _absent(store, list(scratch))
        emit(("meta", {"form": "UPDATE", "change": {"removed": [], "added": added, "dropped": [], "created": []}}))
        return
    copy = ox.Store()
    if isinstance(store, ox.Store):
        before = set(store)
        before_graphs = set(store.named_graphs())
    else:  # any GraphStore
        before = set(store.quads())
        before_graphs = {ox.NamedNode(g) for g in store.graphs()}
    if job.get("public_only"):
        # the update as it would run on the public graphs alone (a check of what it makes of
        # restricted material: server/sparql.py, _update); the restricted graphs the update
        # names itself stay, empty (its CLEAR or DROP of them must not fail here)
        named = {ox.NamedNode(g) for g in job.get("empty_graphs", ())}
        before = {q for q in before if not _restricted(q.graph_name)}
        before_graphs = {g for g in before_graphs if not _restricted(g) or g in named}
    copy.bulk_extend(before)
    for graph in before_graphs:
        copy.add_graph(graph)
    copy.update(job["update"], base_iri=job.get("base"))
    after = set(copy)
    after_graphs = set(copy.named_graphs())
    change = {
        "removed": [q for q in before if q not in after],
        "added": [q for q in after if q not in before],
        "dropped": sorted(g.value for g in before_graphs - after_graphs),
        "created": sorted(g.value for g in after_graphs - before_graphs),
    }
    emit(("meta", {"form": "UPDATE", "change": change}))


def _restricted(graph) -> bool:
    return isinstance(graph, ox.NamedNode) and is_restricted(graph.value)


ASKED_PER_QUERY = 200


def _absent(store, quads: list[ox.Quad]) -> list[ox.Quad]:
    """The quads a GraphStore does not hold, found by asking it for the objects of their
    (subject, predicate, graph) — VALUES blocks of terms serialised by pyoxigraph — and
    comparing terms here (an engine's VALUES join on literals is not always sameTerm:
    Virtuoso misses language-tagged ones). Blank nodes from INSERT DATA are new: never held."""
    held: set[ox.Quad] = set()
    ground = [q for q in quads if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)]
    in_default = sorted({(q.subject, q.predicate) for q in ground if isinstance(q.graph_name, ox.DefaultGraph)},
                        key=str)
    named = sorted({(q.subject, q.predicate, q.graph_name) for q in ground
                    if not isinstance(q.graph_name, ox.DefaultGraph)}, key=str)
    for start in range(0, len(in_default), ASKED_PER_QUERY):
        rows = " ".join(f"({s} {p})" for s, p in in_default[start:start + ASKED_PER_QUERY])
        found = store.query(f"SELECT ?s ?p ?o WHERE {{ VALUES (?s ?p) {{ {rows} }} ?s ?p ?o }}",
                            default_graph=[ox.DefaultGraph()], named_graphs=[])
        held |= {ox.Quad(r["s"], r["p"], r["o"], ox.DefaultGraph()) for r in found}
    for start in range(0, len(named), ASKED_PER_QUERY):
        part = named[start:start + ASKED_PER_QUERY]
        rows = " ".join(f"({s} {p} {g})" for s, p, g in part)
        graphs = sorted({g.value for _, _, g in part})
        found = store.query(f"SELECT ?s ?p ?o ?g WHERE {{ VALUES (?s ?p ?g) {{ {rows} }} GRAPH ?g {{ ?s ?p ?o }} }}",
                            default_graph=[ox.DefaultGraph()], named_graphs=[ox.NamedNode(g) for g in graphs])
        held |= {ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in found}
    return [q for q in quads if q not in held]
