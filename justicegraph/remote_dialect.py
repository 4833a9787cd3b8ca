"""What differs between SPARQL engines, measured on the engines themselves (docs/scaling.md):
how to list graphs, which graphs are the engine's own, whether one Update request is one
transaction, how the engine signals a timeout or a cut answer, and its result quirks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox
import requests

_TIMEOUT_TEXT = re.compile(rb"(?i)time ?out|timed out|S1T00|S1TAT|deadline|cancelled")
_VIRTUOSO_BNODE = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')
_PER_OP = 2000  # Virtuoso's SPARQL parser gives up ("memory exhausted") near 5,000 triples in one operation


@dataclass(frozen=True)
class Dialect:
    name: str
    atomic_requests: bool = True
    auth: str = "basic"
    graphs_query: str = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"
    system_graphs: tuple[str, ...] = ()
    name_absent_graphs: bool = False  # add the query's non-graph IRIs to named-graph-uri
    dataset_pragmas: bool = False  # state the dataset as `define input:…` (Virtuoso)
    graph_security: bool = False  # per-graph read permissions kept by our writes (remote_access.py)
    secured_preamble: str = ""  # sent before queries that rely on graph security (no GRAPH <iri>)
    secured_union: str = ""  # … and states the default graph as the union of readable graphs
    fixes: tuple[Callable[[bytes], bytes], ...] = field(default=())

    def fix_results(self, body: bytes) -> bytes:
        for fix in self.fixes:
            body = fix(body)
        return body

    def complete(self, body: bytes, tabular: bool) -> None:
        """Raise unless a 200 answer is whole: engines that stream (Oxigraph) report a
        timeout by appending a message to an answer already begun."""
        from .remote import QueryTimeout, RemoteStoreError

        tail = body.rstrip()[-300:]
        last = tail.splitlines()[-1].strip() if tail else b""
        if not tail or last.endswith(b"}" if tabular else b".") or (not tabular and last.startswith(b"#")):
            return
        if _TIMEOUT_TEXT.search(tail):
            raise QueryTimeout("the engine stopped the query at its time limit (its answer was cut)")
        raise RemoteStoreError(f"the engine's answer is incomplete: …{tail[-120:].decode('utf-8', 'replace')}")

    def check(self, resp: requests.Response, body: bytes, limit: int | None = None) -> None:
        """Raise for every answer that is not a complete success. ``limit``: the query's own
        LIMIT (an engine cap at or above it cut nothing)."""
        from .remote import QueryTimeout, RemoteStoreError

        status, text = resp.status_code, body[:2000]
        if resp.headers.get("X-SQL-State", "").upper() == "S1TAT":
            raise QueryTimeout("the engine stopped the query at its time limit (its answer would be partial)")
        if status < 300:
            cap = resp.headers.get("X-SPARQL-MaxRows")
            if cap is not None and (limit is None or not cap.isdigit() or limit > int(cap)):
                raise RemoteStoreError(
                    f"the engine cut the answer at {cap} rows; raise its row limit "
                    "(Virtuoso: [SPARQL] ResultSetMaxRows) above justicegraph's row_cap")
            return
        message = text.decode("utf-8", "replace").strip()
        if status in (503, 504) or (status >= 500 and _TIMEOUT_TEXT.search(text)):
            raise QueryTimeout(f"the engine stopped the request at its time limit: {message[:300]}")
        if status in (401, 403):
            raise PermissionError(f"the engine refused the credentials ({status}): {message[:300]}")
        if status in (400, 415, 422):
            raise SyntaxError(f"the engine refused the request: {message[:1000]}")
        raise RemoteStoreError(f"the engine failed ({status}): {message[:1000]}")


def _virtuoso_bnodes(body: bytes) -> bytes:
    # Virtuoso names blank nodes "nodeID://b123", which is not a blank node label.
    return _VIRTUOSO_BNODE.sub(rb"\1", body)


GENERIC = Dialect("generic")
OXIGRAPH = Dialect("oxigraph")
VIRTUOSO = Dialect(
    "virtuoso",
    atomic_requests=False,  # measured: a failing operation leaves the earlier ones committed
    auth="digest",
    name_absent_graphs=True,
    dataset_pragmas=True,
    graph_security=True,
    # Measured on Virtuoso 7.2 (tests/test_remote_access.py): it answers exactly
    # `SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }` from its list of known graphs,
    # ignoring graph security (restricted graph names reached the anonymous user). Excluding
    # graphs that hold nothing of ours turns that shortcut off and changes no answer; the
    # default graph is then empty unless stated, so it is stated as "all but nothing"
    # (the union of what the account may read). With any such pragma `GRAPH <iri>` finds
    # nothing at all, so queries naming a graph constant (never that shortcut's shape) go
    # without pragmas: the engine's default dataset is the same union.
    secured_preamble=("define input:named-graph-exclude <urn:justicegraph:empty-graph>\n"
                      "define input:named-graph-exclude <urn:justicegraph:default-graph>\n"),
    secured_union="define input:default-graph-exclude <urn:justicegraph:empty-graph>\n",
    # DISTINCT ?g takes seconds on Virtuoso 7 even on a small store; GROUP BY ?g is ~100x faster.
    graphs_query="SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    system_graphs=(
        "http://www.openlinksw.com/", "http://www.w3.org/ns/ldp#", "http://localuriqaserver/",
        "http://www.w3.org/2002/07/owl#", "urn:activitystreams-owl:", "urn:core:services:",
        "http://localhost:8890/", "virtrdf-label",
    ),
    fixes=(_virtuoso_bnodes,),
)
_BY_NAME = {d.name: d for d in (GENERIC, OXIGRAPH, VIRTUOSO)}


def by_name(name: str) -> Dialect:
    try:
        return _BY_NAME[name.lower()]
    except KeyError:
        raise ValueError(f"unknown store engine {name!r}: use one of {', '.join(_BY_NAME)}") from None


def detect(session: requests.Session, query_url: str) -> str:
    """The engine's name from its Server header (one small ASK); 'generic' when unknown."""
    try:
        resp = session.get(query_url, params={"query": "ASK {}"}, timeout=(10, 30),
                           headers={"Accept": "application/sparql-results+json"})
    except requests.RequestException:
        return "generic"
    server = resp.headers.get("Server", "").lower()
    return next((name for name in ("virtuoso", "oxigraph") if name in server), "generic")


def staged_apply(store, drop: list[str], delete: list[ox.Quad], insert: list[ox.Quad], token: str) -> None:
    """For engines that commit operation by operation: new triples go first into hidden
    staging graphs (one Graph Store POST each; a failure there leaves the store as it was),
    then ONE request drops, deletes and moves the staged graphs into place."""
    from . import remote_access
    from .remote import STAGING_PREFIX

    if any(isinstance(t, ox.BlankNode) for q in delete for t in (q.subject, q.object)):
        raise ValueError("blank-node quads cannot be deleted by value on this engine; drop their graph instead")
    by_graph: dict[str, list[ox.Quad]] = {}
    for q in insert:
        by_graph.setdefault(q.graph_name.value, []).append(q)
    staging = {g: f"{STAGING_PREFIX}{token}/{i}" for i, g in enumerate(sorted(by_graph))}
    secured = bool(store.read_url)
    try:
        if secured:
            # staged content (restricted records too) is private before it is written: only
            # the writer sees it; the public targets are granted before the swap, so a
            # source appears whole (remote_access.py)
            remote_access.set_private(store, staging.values(), True)
        for graph, quads in by_graph.items():
            store.post_graph(staging[graph], quads)
        if secured:
            remote_access.publish(store, by_graph)
        store.update(" ;\n".join(_swap_operations(drop, delete, staging)), grant=False)
    except BaseException:
        _discard(store, staging.values())
        raise
    if secured:
        _unlist_private(store, staging.values())


def _swap_operations(drop: list[str], delete: list[ox.Quad], staging: dict[str, str]) -> list[str]:
    replaced = set(drop) & set(staging)
    ops = [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in drop if g not in replaced]
    for start in range(0, len(delete), _PER_OP):
        # One GRAPH block per graph: measured, Virtuoso applies only the last of several
        # blocks naming the same graph in one DELETE DATA.
        by_graph: dict[str, list[str]] = {}
        for q in delete[start:start + _PER_OP]:
            by_graph.setdefault(str(q.graph_name), []).append(f"{q.subject} {q.predicate} {q.object} .")
        blocks = [f"GRAPH {g} {{\n" + "\n".join(lines) + "\n}" for g, lines in by_graph.items()]
        ops.append("DELETE DATA {\n" + "\n".join(blocks) + "\n}")
    for graph, staged in staging.items():
        target, source = ox.NamedNode(graph), ox.NamedNode(staged)
        if graph in replaced:
            ops.append(f"MOVE SILENT GRAPH {source} TO GRAPH {target}")
        else:
            ops += [f"ADD SILENT GRAPH {source} TO GRAPH {target}", f"DROP SILENT GRAPH {source}"]
    return ops


def _discard(store, graphs) -> None:
    graphs = list(graphs)
    if not graphs:
        return
    try:
        store.update(" ;\n".join(f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in graphs), grant=False)
    except Exception:  # noqa: BLE001 — best effort; staging graphs are hidden from readers anyway
        return
    if store.read_url:
        _unlist_private(store, graphs)


def _unlist_private(store, graphs) -> None:
    """Staging graphs are gone: take them out of the private group (it would only grow)."""
    from . import remote_access

    try:
        remote_access.set_private(store, graphs, False)
    except Exception:  # noqa: BLE001 — harmless leftover rows; the graphs are empty
        pass
