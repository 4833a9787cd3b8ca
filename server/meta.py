"""/healthz, /metrics (Prometheus text) and /.well-known/void (VoID description of the data)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from justicegraph import access
from justicegraph.server.protocol.machinery import endpoint
from justicegraph.server.protocol.results import write_rdf
from justicegraph.server.protocol.sd import PREFIXES, stats, void_description
from justicegraph.server.web import conneg, context
from justicegraph.server.web.errors import ApiError

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
def healthz():
    """Alive and able to read the store (the current snapshot opens and answers)."""
    ep = endpoint()
    restricted_ok = context.can_read_restricted()
    try:
        # what the caller may see: for the public, the same as a store that never held
        # restricted graphs (issue #17, item 6)
        graphs = len(access.visible_graphs(ep.graphs(), restricted_ok=restricted_ok))
        ok = bool(ep.store().query("ASK {}"))
    except OSError as exc:
        return Response(f'{{"status": "error", "message": {str(exc)!r}}}\n', status=503,
                        mimetype="application/json")
    snapshot = None
    if ep.snapshots is not None:
        snapshot = ep.snapshots.current().name if restricted_ok else ep.snapshots.public_version()
    body = {"status": "ok" if ok else "error", "graphs": graphs, "snapshot": snapshot,
            "writes": context.settings().writes_enabled}
    response = Response(_json(body), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def metrics():
    # The public sees the counts of requests made without a token; a token holder, all.
    response = Response(endpoint().metrics.render(private=context.can_read_restricted()), mimetype="text/plain")
    response.headers["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/.well-known/void")
def void():
    fmt_param = request.args.get("format")
    fmt = (conneg.by_name(fmt_param, conneg.GRAPHS) if fmt_param
           else conneg.negotiate(request.headers.get("Accept"), conneg.GRAPHS))
    if fmt is None:
        raise ApiError(406, "None of the media types in Accept can carry the VoID description.",
                       {"available": conneg.offered(conneg.GRAPHS)})
    ep = endpoint()
    triples = void_description(request.url_root, context.settings(), stats(ep, context.can_read_restricted()))
    chunks: list[bytes] = []
    write_rdf(fmt.name, triples, chunks.append, PREFIXES)
    response = Response(b"".join(chunks), content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _json(value) -> str:
    import json

    return json.dumps(value) + "\n"
