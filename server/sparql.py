"""/sparql: the SPARQL 1.1 Protocol (query and update), the Service Description (CORS for
every read route, /sparql included: server/web/cors.py).

The request path is lean: read the request (protocol_request), scan the text once
(sparqltext: form, FROM, SERVICE/LOAD), narrow the dataset to what the caller may see,
negotiate the format, and hand the job to the executor, whose output is streamed back.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import time

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, request
from werkzeug.sansio.utils import get_current_url

from justicegraph import access
from justicegraph.namespaces import PREFIXES
from justicegraph.server.protocol import caching
from justicegraph.server.protocol import write as protocol_write
from justicegraph.server.protocol.executor import OUTCOME, Busy, QueryTimeout
from justicegraph.server.protocol.jobs import NOT_MALFORMED
from justicegraph.server.protocol.machinery import endpoint
from justicegraph.server.protocol.process import EngineCrash
from justicegraph.server.protocol.request import parse_request
from justicegraph.server.protocol.results import write_rdf
from justicegraph.server.protocol.sd import service_description, stats
from justicegraph.server.web import conneg, context
from justicegraph.server.web.errors import ApiError, error_response
from justicegraph.sparqltext import allowed, scan_query, scan_update, with_using
from justicegraph.sparqltext.complexity import too_complex
from justicegraph.store.remote.base import EVALUATION_REFUSED

bp = Blueprint("sparql", __name__)

ALLOW = "GET, HEAD, POST, OPTIONS"
GRAPH_NICKNAMES = {"json": "jsonld", "xml": "rdfxml"}
_POSITION = re.compile(r"error at (\d+):(\d+)")
_MISSING_GRAPH = re.compile(r"The graph <([^>]+)> does not exist")


@bp.route("/sparql", methods=["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"])
def sparql():
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": ALLOW})
    if request.method not in ("GET", "HEAD", "POST"):
        return error_response(405, f"{request.method} is not a SPARQL Protocol operation; use GET or POST.",
                              headers={"Allow": ALLOW})
    req = parse_request()
    if req.operation is None:
        return _service_description(req.format)
    if len(req.text) > context.settings().max_query_length:
        raise ApiError(413, f"The {req.operation} has {len(req.text)} characters; the limit is "
                            f"{context.settings().max_query_length}.")
    refusal = too_complex(req.text, req.operation)  # before any parser: deep nesting kills it
    if refusal:
        raise ApiError(400, refusal)
    if req.operation == "query":
        return _query(req)
    return _update(req)


# --- queries ---------------------------------------------------------------------------------
def _formats(fmt_param: str | None):
    accept = request.headers.get("Accept")
    if fmt_param:
        rf = conneg.by_name(fmt_param, conneg.RESULTS)
        gf = conneg.by_name(GRAPH_NICKNAMES.get(fmt_param.lower(), fmt_param), conneg.GRAPHS)
        if rf is None and gf is None:
            raise ApiError(400, f"Unknown format {fmt_param!r}.",
                           {"formats": [f.name for f in conneg.RESULTS + conneg.GRAPHS]})
        return rf, gf
    return conneg.negotiate(accept, conneg.RESULTS), conneg.negotiate(accept, conneg.GRAPHS)


def _refuse_network(services, loads) -> None:
    allowlist = [p.strip() for p in context.settings().service_allowlist.split(",") if p.strip()]
    for kind, targets in (("SERVICE", services), ("LOAD", loads)):
        for target in targets:
            if not allowed(target, allowlist):
                shown = "a variable endpoint" if target is None else f"<{target}>"
                raise ApiError(400, f"{kind} {shown} is not allowed: this server makes no outbound requests "
                                    "except to endpoints the operator allow-lists (service_allowlist).",
                               {"operation": kind, "target": target})


def _not_acceptable(kind: str, offers) -> ApiError:
    return ApiError(406, f"None of the media types in Accept can carry a {kind} result.",
                    {"available": conneg.offered(offers)})


@functools.lru_cache(maxsize=64)
def _current_url(scheme: str, host: str, root_path: str, path: str) -> str:
    return get_current_url(scheme, host, root_path, path)


def _query(req) -> Response:
    s, ep = context.settings(), endpoint()
    base = _current_url(request.scheme, request.host, request.root_path, request.path)  # = request.base_url
    # read once (cached for repeated texts), with what later steps need: the bounded decision
    scan = scan_query(req.text, base)
    _refuse_network(scan.services, [])
    restricted_ok = context.can_read_restricted()
    if req.default_graphs is not None or req.named_graphs is not None:
        dataset = ep.dataset(restricted_ok=restricted_ok, default_graph_uris=req.default_graphs or [],
                             named_graph_uris=req.named_graphs or [])
    elif scan.from_graphs or scan.from_named:
        # FROM / FROM NAMED name graphs of this store (never fetched), narrowed to the visible.
        dataset = ep.dataset(restricted_ok=restricted_ok, default_graph_uris=scan.from_graphs,
                             named_graph_uris=scan.from_named)
    else:
        dataset = ep.dataset(restricted_ok=restricted_ok)
    rf, gf = _formats(req.format)
    if scan.form in ("SELECT", "ASK") and rf is None:
        raise _not_acceptable(scan.form, conneg.RESULTS)
    if scan.form in ("CONSTRUCT", "DESCRIBE") and gf is None:
        raise _not_acceptable(scan.form, conneg.GRAPHS)
    # An anonymous GET names its answer (public snapshot, URL, format): a client or cache that
    # holds it is told so before anything runs (server/protocol/caching.py).
    variant = rf if scan.form in ("SELECT", "ASK") else gf if scan.form in ("CONSTRUCT", "DESCRIBE") else None
    tag = caching.etag(variant.name) if variant is not None else None
    unchanged = caching.not_modified(tag)
    if unchanged is not None:
        return unchanged
    job = {"kind": "query", "query": req.text, "base": base, "dataset": dataset,
           "results_format": rf and rf.name, "graph_format": gf and gf.name,
           "row_cap": s.row_cap, "prefixes": {**PREFIXES, **s.minter.prefixes}}
    # A writer naming an audit graph (FROM, FROM NAMED, the protocol's dataset) queries the
    # audit, and only the audit (server/protocol/audit.py).
    audit = ep.audit.query_source(*_named_dataset(req, scan), may_read=context.can_write())
    if audit is not None:
        job["dataset"], job["audit"] = audit
    inline = s.inline_lookups and audit is None and (scan.bounded or scan.probes is not None)
    meta, body = _run(job, "query", bounded=inline, probes=None if scan.bounded else scan.probes)
    ep.metrics.inc("justicegraph_queries_total", form=meta["form"])
    family = conneg.RESULTS if meta["form"] in ("SELECT", "ASK") else conneg.GRAPHS
    fmt = next(f for f in family if f.name == meta["format"])
    if request.method == "HEAD":
        for _ in body:  # run to the end so the executor is free again; send headers only
            pass
        body = iter(())
    response = Response(_guard(body), status=200, content_type=fmt.content_type)
    response.vary.add("Accept")
    response.headers["X-JusticeGraph-Row-Cap"] = str(s.row_cap)
    if meta["truncated"]:
        response.headers["X-JusticeGraph-Truncated"] = "true"
        ep.metrics.inc("justicegraph_rows_truncated_total")
    return caching.mark(response, tag if fmt is variant else None)


def _run(job: dict, what: str, *, bounded: bool = False, probes: tuple | None = None):
    s, ep = context.settings(), endpoint()
    started = time.monotonic()
    executor = ep.executor
    # The fast lane ran this very job in an executor and leaves its outcome to be answered
    # here (an error, a timeout, a streamed answer): mapped below as if run here, never run twice.
    handed = request.environ.pop(OUTCOME, None)
    try:
        answer = None
        if handed is not None and handed[0] == job:
            started -= handed[1]
            if isinstance(handed[2], BaseException):
                raise handed[2]
            answer = handed[2]
        elif bounded and hasattr(executor, "run_bounded"):
            # Work bounded by a small answer (justicegraph/sparqltext/bounded.py) or by its patterns'
            # counts (sparqltext/probe.py): no executor round trip.
            answer = executor.run_bounded(job, s.query_timeout, probes)
            if answer is not None:
                ep.metrics.inc("justicegraph_inline_queries_total")
        meta, body = answer or executor.run(job, s.query_timeout)
    except QueryTimeout:
        ep.metrics.inc("justicegraph_query_timeouts_total")
        ep.metrics.inc("justicegraph_executor_restarts_total")
        raise ApiError(503, f"The {what} was stopped: it ran longer than the time limit of "
                            f"{s.query_timeout:g} s. Narrow it (LIMIT, more specific patterns) and retry.",
                       {"time_limit_seconds": s.query_timeout}, headers={"Retry-After": "1"}) from None
    except Busy:
        raise ApiError(503, "Every query executor stayed busy until the time limit; retry shortly.",
                       headers={"Retry-After": "2"}) from None
    except EngineCrash:
        ep.metrics.inc("justicegraph_executor_restarts_total")
        ep.metrics.inc("justicegraph_query_errors_total")
        raise ApiError(400, f"The query engine (pyoxigraph) stopped on this {what} (it panicked or ran out of "
                            "stack) and was restarted. Rewrite it (an ORDER BY over values of different kinds, "
                            "deep nesting) and retry.") from None
    except (EOFError, OSError, RuntimeError) as exc:
        ep.metrics.inc("justicegraph_executor_restarts_total")
        raise ApiError(500, f"The query executor failed: {exc!r}") from None
    ep.metrics.inc("justicegraph_query_seconds_total", time.monotonic() - started)
    if "error" in meta:
        status, message = meta["error"]
        ep.metrics.inc("justicegraph_query_errors_total")
        if status == 400 and message.startswith((EVALUATION_REFUSED, *NOT_MALFORMED)):
            raise ApiError(400, message)  # read, then refused by the engine: e.g. 1/0 on Virtuoso, an unknown function
        if status == 400:
            match = _POSITION.search(message)
            detail = {"line": int(match.group(1)), "column": int(match.group(2))} if match else None
            raise ApiError(400, f"Malformed {what}: {message}", detail)
        raise ApiError(status, message)
    return meta, body


def _guard(body):
    """Count a timeout that cuts a streaming answer (the connection is then aborted, so a
    client never mistakes a cut answer for a complete one)."""
    try:
        yield from body
    except QueryTimeout:
        endpoint().metrics.inc("justicegraph_query_timeouts_total")
        raise


def _named_dataset(req, scan) -> tuple[list[str], list[str]]:
    """The graphs a query names for its dataset: the protocol's parameters, or else FROM / FROM NAMED."""
    if req.default_graphs is not None or req.named_graphs is not None:
        return list(req.default_graphs or []), list(req.named_graphs or [])
    return list(scan.from_graphs), list(scan.from_named)


# --- updates ---------------------------------------------------------------------------------
def _update(req) -> Response:
    protocol_write.require_writer()
    ep = endpoint()
    base = request.base_url
    scan = scan_update(req.text, base)
    _refuse_network(scan.services, scan.loads)
    text = req.text
    if req.using_graphs or req.using_named:
        if scan.has_dataset_clause:
            raise ApiError(400, "using-graph-uri / using-named-graph-uri cannot be combined with "
                                "USING or WITH in the update (SPARQL 1.1 Protocol §2.2.3).")
        graphs = [_iri(g) for g in req.using_graphs], [_iri(g) for g in req.using_named]
        text = with_using(text, scan.using_positions, *graphs)
    started = dt.datetime.now(dt.UTC)
    body = protocol_write.checksum(req.text.encode("utf-8"))
    with ep.write_session() as primary:
        meta, rest = _run({"kind": "diff", "update": text, "base": base,
                           "insert_data_only": scan.insert_data_only}, "update")
        for _ in rest:  # nothing follows the change but the end: frees the executor
            pass
        change = protocol_write.Change(**meta["change"])
        if not scan.insert_data_only:
            _refuse_restricted_to_public(change, text, base)
        if change:
            protocol_write.commit(primary, ep.store(), change, description="SPARQL Update through /sparql",
                                  body_checksum=body, started=started, metrics=ep.metrics,
                                  audit=ep.audit, audit_in_store=ep.snapshots is not None)
    ep.metrics.inc("justicegraph_queries_total", form="UPDATE")
    return Response(status=204)


def _refuse_restricted_to_public(change, text: str, base: str) -> None:
    """No write moves restricted material into a public graph (docs/security.md): the
    update's effect on the public graphs must be what it makes of the public graphs alone.
    When the store holds restricted graphs it is run again on the public graphs only: a COPY,
    ADD, MOVE or INSERT … WHERE reading a restricted graph, or a write (or its absence) that a
    restricted graph decides (FILTER EXISTS …, GRAPH ?g), then differs or fails, and is
    refused. A restricted graph that an operation of the update names and needs (CLEAR, DROP,
    MOVE without SILENT) is given to that run as an empty graph."""
    graphs = endpoint().graphs()
    if not any(access.is_restricted(g) for g in graphs):
        return
    public, empty = protocol_write.public_part(change), []
    while True:
        try:
            meta, rest = _run({"kind": "diff", "update": text, "base": base, "public_only": True,
                               "empty_graphs": empty}, "update")
            for _ in rest:
                pass
            break
        except ApiError as exc:
            if exc.status == 503:  # the time limit: not an answer about the update
                raise
            missing = _MISSING_GRAPH.search(exc.message)
            graph = missing.group(1) if missing else None
            if graph is None or not access.is_restricted(graph) or graph in empty or graph not in graphs:
                # it ran on the whole store, so it fails on the public graphs by needing the rest
                raise protocol_write.refuse_restricted_flow() from None
            empty.append(graph)
    if protocol_write.public_part(protocol_write.Change(**meta["change"])) != public:
        raise protocol_write.refuse_restricted_flow()


def _iri(value: str) -> str:
    try:
        return ox.NamedNode(value).value
    except ValueError:
        raise ApiError(400, f"Not an absolute IRI: {value!r}.") from None


# --- service description -------------------------------------------------------------------
def _service_description(fmt_param: str | None) -> Response:
    accept = request.headers.get("Accept")
    if not fmt_param and conneg.prefers_html(accept):
        return redirect("/query", code=303)
    fmt = (conneg.by_name(GRAPH_NICKNAMES.get(fmt_param.lower(), fmt_param), conneg.GRAPHS) if fmt_param
           else conneg.negotiate(accept, conneg.GRAPHS))
    if fmt is None:
        raise _not_acceptable("service description", conneg.GRAPHS)
    ep = endpoint()
    triples = service_description(request.base_url, context.settings(),
                                  stats(ep, context.can_read_restricted()))
    chunks: list[bytes] = []
    write_rdf(fmt.name, triples, chunks.append, {"sd": "http://www.w3.org/ns/sparql-service-description#",
                                                 "void": "http://rdfs.org/ns/void#",
                                                 "formats": "http://www.w3.org/ns/formats/"})
    response = Response(b"".join(chunks), content_type=fmt.content_type)
    response.vary.add("Accept")
    return response
