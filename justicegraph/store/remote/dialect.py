"""What differs between SPARQL engines, measured on the engines themselves (docs/scaling.md):
how to list graphs, which graphs are the engine's own, whether one Update request is one
transaction, how the engine signals a timeout or a cut answer, and its result quirks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox
import requests

from justicegraph.store.remote.base import EVALUATION_REFUSED

_TIMEOUT_TEXT = re.compile(rb"(?i)time ?out|timed out|S1T00|S1TAT|deadline|cancelled")
_VIRTUOSO_BNODE = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*"|<bnode>)nodeID://')
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
    secured_graphs_query: str = ""  # lists graphs for the read account (engine procedure)
    # sent before a DESCRIBE so the engine describes as pyoxigraph does: the resource's
    # triples as subject, and recursively those of blank nodes they reach (a Concise
    # Bounded Description, without reification)
    describe_preamble: str = ""
    fixes: tuple[Callable[[bytes], bytes], ...] = field(default=())
    # literal datatypes the engine cannot store, written under a stand-in datatype IRI
    # (datatype, stand-in) and given back by ``rdf_fixes`` / ``fixes`` as the datatype
    stored_datatypes: tuple[tuple[str, str], ...] = ()
    rdf_fixes: tuple[Callable[[bytes], bytes], ...] = field(default=())  # for CONSTRUCT/DESCRIBE answers
    # SELECT/ASK answers are asked for in this format (JSON or XML; both parsed by pyoxigraph)
    results_media: str = "application/sparql-results+json"

    def fix_results(self, body: bytes) -> bytes:
        for fix in self.fixes:
            body = fix(body)
        return body

    def fix_rdf(self, body: bytes) -> bytes:
        for fix in self.rdf_fixes:
            body = fix(body)
        return body

    def stored(self, quad: ox.Quad) -> ox.Quad:
        """The quad as the engine can store it (a stand-in datatype where it needs one)."""
        o = quad.object
        if self.stored_datatypes and isinstance(o, ox.Literal):
            for datatype, stand_in in self.stored_datatypes:
                if o.datatype.value == datatype:
                    return ox.Quad(quad.subject, quad.predicate, ox.Literal(o.value, datatype=ox.NamedNode(stand_in)),
                                   quad.graph_name)
        return quad

    def complete(self, body: bytes, tabular: bool) -> None:
        """Raise unless a 200 answer is whole: engines that stream (Oxigraph) report a
        timeout by appending a message to an answer already begun."""
        from justicegraph.store.remote.base import QueryTimeout, RemoteStoreError

        tail = body.rstrip()[-300:]
        last = tail.splitlines()[-1].strip() if tail else b""
        ends = (b"}", b"</sparql>") if tabular else (b".",)
        if not tail or last.endswith(ends) or (not tabular and last.startswith(b"#")):
            return
        if _TIMEOUT_TEXT.search(tail):
            raise QueryTimeout("the engine stopped the query at its time limit (its answer was cut)")
        raise RemoteStoreError(f"the engine's answer is incomplete: …{tail[-120:].decode('utf-8', 'replace')}")

    def check(self, resp: requests.Response, body: bytes, limit: int | None = None) -> None:
        """Raise for every answer that is not a complete success. ``limit``: the query's own
        LIMIT (an engine cap at or above it cut nothing)."""
        from justicegraph.store.remote.base import QueryTimeout, RemoteStoreError

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
        message = _without_echo(text.decode("utf-8", "replace")).strip()
        if status in (503, 504) or (status >= 500 and _TIMEOUT_TEXT.search(text)):
            raise QueryTimeout(f"the engine stopped the request at its time limit: {message[:300]}")
        if status in (401, 403):
            raise PermissionError(f"the engine refused the credentials ({status}): {message[:300]}")
        refused = _VIRTUOSO_REFUSAL.match(message)
        if refused and refused.group(1)[:2] in _QUERY_STATES:
            # Virtuoso answers 500 for errors of the query itself (a parse error its compiler
            # finds, an evaluation error such as 1/0 — SPARQL 1.1 would leave the value unbound):
            # the caller's to fix, so a 400 — as Fuseki and Oxigraph answer a query they refuse.
            state, code, text_ = refused.groups()
            what = EVALUATION_REFUSED if state.startswith("22") else "the SPARQL engine refused the query:"
            raise QueryRefused(f"{what} {text_.strip()[:500]} (Virtuoso {state} {code})")
        if status in (400, 415, 422):
            raise SyntaxError(f"the engine refused the request: {message[:1000]}")
        raise RemoteStoreError(f"the engine failed ({status}): {message[:1000]}")


class QueryRefused(SyntaxError):
    """The engine refused to evaluate the query (its own parse or evaluation error): a 400."""


# "Virtuoso 22012 Error SR084: Division by 0." — SQLSTATE classes of errors in the query
# itself: 22 data exception (1/0), 37 syntax error, 07 a construct its SQL cannot take
# (GROUP_CONCAT without a separator). (Not 42, access rules: a set-up fault.)
_VIRTUOSO_REFUSAL = re.compile(r"Virtuoso (\w{5}) Error (\w+): (.*)", re.S)
_QUERY_STATES = ("07", "22", "37")
_ECHO = re.compile(r"\n\s*\n?SPARQL query:\n.*", re.S)


def _without_echo(message: str) -> str:
    """An engine's error text without the query it echoes: that text is ours (the dataset
    pragmas and graph lists sent to the engine), not the caller's, and is never shown."""
    return _ECHO.sub("", message)


def _virtuoso_bnodes(body: bytes) -> bytes:
    # Virtuoso names blank nodes "nodeID://b123", which is not a blank node label.
    return _VIRTUOSO_BNODE.sub(rb"\1", body)


_XSD_BOOLEAN = rb'"http://www.w3.org/2001/XMLSchema#boolean"'
_VIRTUOSO_BOOLEAN = re.compile(
    rb'("datatype"\s*:\s*' + _XSD_BOOLEAN + rb'\s*,\s*"value"\s*:\s*")([01])(")'
    rb'|("value"\s*:\s*")([01])("\s*,\s*"datatype"\s*:\s*' + _XSD_BOOLEAN + rb')'
    rb'|(<literal datatype=' + _XSD_BOOLEAN + rb'>)([01])(</literal>)')


def _virtuoso_booleans(body: bytes) -> bytes:
    # Virtuoso keeps xsd:boolean values as numbers and answers "1"/"0"^^xsd:boolean for a
    # stored "true"/"false"^^xsd:boolean: an encoding of the same value, written back in the
    # canonical form every other engine returns.
    def canonical(m: re.Match) -> bytes:
        first = next(i for i in (1, 4, 7) if m.group(i))
        head, digit, tail = m.group(first), m.group(first + 1), m.group(first + 2)
        return head + (b"true" if digit == b"1" else b"false") + tail

    return _VIRTUOSO_BOOLEAN.sub(canonical, body) if _XSD_BOOLEAN in body else body


# Virtuoso 7.2 refuses to store an xsd:duration literal at all ("Literal of type xsd:duration
# can not be created from SQL value of type INTEGER", SR553; xsd:yearMonthDuration likewise,
# xsd:dayTimeDuration is kept as seconds): it is written under a stand-in datatype and every
# answer gives it back as xsd:duration. The engine compares and orders them as strings
# (docs/scaling.md, "Virtuoso's deviations").
XSD_DURATION = "http://www.w3.org/2001/XMLSchema#duration"
VIRTUOSO_DURATION = "urn:x-justicegraph:datatype:duration"


def _virtuoso_durations(body: bytes) -> bytes:
    stand_in = VIRTUOSO_DURATION.encode()
    return body.replace(stand_in, XSD_DURATION.encode()) if stand_in in body else body


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
    secured_graphs_query="SELECT (sql:JG_GRAPH_LIST() AS ?list) WHERE { }",
    # Virtuoso's default DESCRIBE adds the triples naming the resource as object (measured:
    # other triples than the embedded store's); its "CBD" mode is pyoxigraph's description
    describe_preamble='define sql:describe-mode "CBD"\n',
    # DISTINCT ?g takes seconds on Virtuoso 7 even on a small store; GROUP BY ?g is ~100x faster.
    graphs_query="SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    system_graphs=(
        "http://www.openlinksw.com/", "http://www.w3.org/ns/ldp#", "http://localuriqaserver/",
        "http://www.w3.org/2002/07/owl#", "urn:activitystreams-owl:", "urn:core:services:",
        "http://localhost:8890/", "virtrdf-label",
    ),
    fixes=(_virtuoso_bnodes, _virtuoso_booleans, _virtuoso_durations),
    stored_datatypes=((XSD_DURATION, VIRTUOSO_DURATION),),
    rdf_fixes=(_virtuoso_durations,),
    # Virtuoso writes SPARQL XML 2-8x faster than SPARQL JSON (measured on its anonymous
    # endpoint at 1M triples: a 26,322-row answer 7.3 s vs 13.2 s, 13,333 rows 3.8 vs 9.9 s,
    # 10,155 rows of two IRIs 0.14 vs 1.12 s): for big answers the writer is most of the time
    results_media="application/sparql-results+xml",
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


# Measured on Virtuoso 7.2: a request of ~20,000 graph operations is refused ("generated SQL
# text has exceeded 10000 lines"); 200 operations per request stay far below.
_OPS_PER_REQUEST = 200
_STAGE_OPS_PER_REQUEST = 10  # INSERT DATA operations (≤ _PER_OP triples each) per staging request


# Above this many quads, or this many characters of Update text, a change to an engine where
# one request is one transaction is staged (staged_apply(atomic=True)) instead of sent as one
# request: oxigraph serve refuses bodies over 128 MiB (a 1M-quad load was one 247 MB form
# body), and form encoding can triple a text (%XX for '<', '"', each non-ASCII byte).
ONE_REQUEST_QUADS = 200_000
ONE_REQUEST_CHARS = 16 << 20


def staged_apply(store, drop: list[str], delete: list[ox.Quad], insert: list[ox.Quad], token: str, *,
                 atomic: bool = False) -> None:
    """Writes in two steps: new triples go first into hidden staging graphs, by requests of
    bounded size (a failure there leaves the store as it was), then a swap applies the change.

    ``atomic=False``, for engines that commit operation by operation (Virtuoso): the swap
    drops, deletes and moves the staged graphs into place: content graphs first, then —
    last — the graphs with deletions (the provenance that describes the content) and the
    drops of graphs the new content no longer has. Each graph is replaced by one MOVE
    (atomic per graph); the swap is one request up to _OPS_PER_REQUEST operations, else several.

    ``atomic=True``, for engines where one request is one transaction but the change is too
    big for one request (oxigraph serve): the quads to delete are staged too, and ONE small
    request does what change_as_update does — drops, then deletions (DELETE … WHERE the
    staged copy), then additions (ADD) — and drops the staging graphs: readers see all of
    the change or none of it."""
    from justicegraph.store.remote import access as remote_access
    from justicegraph.store.remote.base import STAGING_PREFIX

    if any(isinstance(t, ox.BlankNode) for q in delete for t in (q.subject, q.object)):
        raise ValueError("blank-node quads cannot be deleted by value on this engine; drop their graph instead")
    by_graph, removed = _by_graph(insert), _by_graph(delete) if atomic else {}
    staging = {g: f"{STAGING_PREFIX}{token}/{i}" for i, g in enumerate(sorted(by_graph))}
    unstaging = {g: f"{STAGING_PREFIX}{token}/-{i}" for i, g in enumerate(sorted(removed))}
    hidden = [*staging.values(), *unstaging.values()]
    secured = bool(store.read_url)
    sent: set[str] = set()  # staging graphs named by a swap request already sent
    try:
        if secured:
            # staged content (restricted records too) is private before it is written: only
            # the writer sees it; the public targets are granted before the swap, so a
            # source appears whole (remote_access.py)
            remote_access.set_private(store, hidden, True)
        _stage(store, by_graph, staging)
        _stage(store, removed, unstaging)
        if secured:
            remote_access.publish(store, by_graph)
        named = {str(ox.NamedNode(g)): g for g in hidden}  # as the swap requests write them
        swap = [_one_swap(drop, staging, unstaging)] if atomic else _swap_requests(drop, delete, staging)
        for request in swap:
            text = " ;\n".join(request)
            sent.update(named[word] for word in set(text.split()) & named.keys())
            store.update(text, grant=False)
    except BaseException:
        # A swap request that failed on our side (timeout, lost connection) may still run in
        # the engine: its staging graphs are left in place (private, hidden), since a MOVE
        # SILENT from a graph dropped under it empties the target (measured on Virtuoso).
        _discard(store, [g for g in hidden if g not in sent])
        raise
    if secured:
        _unlist_private(store, hidden)


def _by_graph(quads: list[ox.Quad]) -> dict[str, list[ox.Quad]]:
    grouped: dict[str, list[ox.Quad]] = {}
    for q in quads:
        grouped.setdefault(q.graph_name.value, []).append(q)
    return grouped


def _one_swap(drop: list[str], staging: dict[str, str], unstaging: dict[str, str]) -> list[str]:
    """The operations of an atomic swap, in change_as_update's order."""
    ops = [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in drop]
    ops += [f"DELETE {{ GRAPH {ox.NamedNode(g)} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {ox.NamedNode(staged)} {{ ?s ?p ?o }} }}"
            for g, staged in unstaging.items()]
    ops += [f"ADD SILENT GRAPH {ox.NamedNode(staged)} TO GRAPH {ox.NamedNode(g)}" for g, staged in staging.items()]
    return ops + [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in [*staging.values(), *unstaging.values()]]


def _stage(store, by_graph: dict[str, list[ox.Quad]], staging: dict[str, str]) -> None:
    """Staging writes: INSERT DATA in blocks of _PER_OP triples, many graphs per request
    (one Graph Store POST per graph costs a request each: ~10,000 of them at 1M triples);
    graphs holding blank nodes go by Graph Store POST (Virtuoso refuses them in INSERT DATA)."""
    ops, lines, graphs = [], 0, {}
    for graph, quads in by_graph.items():
        if any(isinstance(t, ox.BlankNode) for q in quads for t in (q.subject, q.object)):
            store.post_graph(staging[graph], quads)
            continue
        for start in range(0, len(quads), _PER_OP):
            part = quads[start:start + _PER_OP]
            if lines + len(part) > _PER_OP and graphs:
                ops.append(_insert_data(graphs))
                graphs, lines = {}, 0
            graphs.setdefault(staging[graph], []).extend(part)
            lines += len(part)
    if graphs:
        ops.append(_insert_data(graphs))
    for start in range(0, len(ops), _STAGE_OPS_PER_REQUEST):
        store.update(" ;\n".join(ops[start:start + _STAGE_OPS_PER_REQUEST]), grant=False)


def _insert_data(graphs: dict[str, list[ox.Quad]]) -> str:
    blocks = [f"GRAPH {ox.NamedNode(g)} {{\n" + "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
              + "\n}" for g, quads in graphs.items()]
    return "INSERT DATA {\n" + "\n".join(blocks) + "\n}"


def _swap_requests(drop: list[str], delete: list[ox.Quad], staging: dict[str, str]) -> list[list[str]]:
    replaced = set(drop) & set(staging)
    described = {q.graph_name.value for q in delete}  # provenance graphs: swapped in last
    content, final = [], []
    for graph, staged in staging.items():
        target, source = ox.NamedNode(graph), ox.NamedNode(staged)
        ops = final if graph in described else content
        if graph in replaced:
            ops.append(f"MOVE SILENT GRAPH {source} TO GRAPH {target}")
        else:
            ops += [f"ADD SILENT GRAPH {source} TO GRAPH {target}", f"DROP SILENT GRAPH {source}"]
    deletions = _delete_data(delete)
    gone = [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in drop if g not in replaced]
    ops = content + deletions + final + gone
    if len(ops) <= _OPS_PER_REQUEST:
        return [ops] if ops else []
    tail = deletions + final + gone  # kept together when it fits in one request
    head = content if len(tail) <= _OPS_PER_REQUEST else ops
    tail = tail if head is content else []
    return [head[i:i + _OPS_PER_REQUEST] for i in range(0, len(head), _OPS_PER_REQUEST)] + ([tail] if tail else [])


def _delete_data(delete: list[ox.Quad]) -> list[str]:
    """DELETE DATA operations holding ONE graph each (≤ _PER_OP triples). Measured on
    Virtuoso 7.2: in a DELETE DATA with several GRAPH blocks, triples whose object is a
    language-tagged literal or has a datatype Virtuoso does not know (EDTF) are silently kept
    — in every block — and of several blocks naming the same graph only the last is applied.
    (A re-load then kept the old load's rdfs:label and a removed restricted testimony's
    description.)"""
    by_graph: dict[str, list[str]] = {}
    for q in delete:
        by_graph.setdefault(str(q.graph_name), []).append(f"{q.subject} {q.predicate} {q.object} .")
    return [f"DELETE DATA {{ GRAPH {g} {{\n" + "\n".join(lines[start:start + _PER_OP]) + "\n} }"
            for g, lines in by_graph.items() for start in range(0, len(lines), _PER_OP)]


def _discard(store, graphs) -> None:
    graphs = list(graphs)
    if not graphs:
        return
    try:
        for start in range(0, len(graphs), _OPS_PER_REQUEST):
            store.update(" ;\n".join(f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in graphs[start:start + _OPS_PER_REQUEST]),
                         grant=False)
    except Exception:  # noqa: BLE001 — best effort; staging graphs are hidden from readers anyway
        return
    if store.read_url:
        _unlist_private(store, graphs)


def _unlist_private(store, graphs) -> None:
    """Staging graphs are gone: take them out of the private group (it would only grow)."""
    from justicegraph.store.remote import access as remote_access

    try:
        remote_access.set_private(store, graphs, False)
    except Exception:  # noqa: BLE001 — harmless leftover rows; the graphs are empty
        pass
