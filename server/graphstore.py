"""/graphs: the SPARQL 1.1 Graph Store HTTP Protocol.

Indirect identification: ``/graphs?graph=<IRI>`` or ``/graphs?default``; direct
identification: ``/graphs/<path>`` names the graph whose IRI is that request URL. ``GET
/graphs`` alone returns the whole visible dataset (N-Quads or TriG); ``POST /graphs`` alone
creates a new graph and answers 201 with its Location. Writes need the write token and go
through validation and provenance like every write (protocol_write).
"""

from __future__ import annotations

import datetime as dt
import uuid

import pyoxigraph as ox
from flask import Blueprint, Response, request

from justicegraph.loaders.rdfimport import unsafe_input
from justicegraph.server.protocol import write as protocol_write
from justicegraph.server.protocol.machinery import endpoint
from justicegraph.server.protocol.results import write_rdf
from justicegraph.server.protocol.write import Change
from justicegraph.server.web import conneg, context
from justicegraph.server.web.errors import ApiError, error_response

bp = Blueprint("graphstore", __name__)

ALLOW = "GET, HEAD, PUT, POST, DELETE, OPTIONS"
DEFAULT = ""  # the default graph as a target


@bp.route("/graphs", methods=["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"])
@bp.route("/graphs/<path:_rest>", methods=["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"])
def graphs(_rest: str | None = None):
    if request.method == "OPTIONS":
        return Response(status=204, headers={"Allow": ALLOW})
    if request.method == "PATCH":
        return error_response(405, "PATCH is not part of the Graph Store Protocol.", headers={"Allow": ALLOW})
    target = _target(_rest is not None)
    if request.method in ("GET", "HEAD"):
        return _get(target)
    protocol_write.require_writer()
    if target:
        protocol_write.refuse_system_graphs([target])
    if request.method == "DELETE":
        return _delete(target)
    return _write(target, replace=request.method == "PUT")


def _target(direct: bool) -> str | None:
    """The graph a request names: an IRI, DEFAULT, or None (the whole store / a new graph)."""
    has_graph, has_default = "graph" in request.args, "default" in request.args
    if direct:
        if has_graph or has_default:
            raise ApiError(400, "A directly identified graph takes no ?graph or ?default parameter.")
        return request.base_url
    if has_graph and has_default:
        raise ApiError(400, "Use either ?graph=<IRI> or ?default, not both.")
    if has_default:
        return DEFAULT
    if has_graph:
        values = request.args.getlist("graph")
        if len(values) != 1:
            raise ApiError(400, "Name exactly one graph.")
        try:
            return ox.NamedNode(values[0]).value
        except ValueError:
            raise ApiError(400, f"?graph must be an absolute IRI, not {values[0]!r}.") from None
    return None


def _graph_term(target: str):
    return ox.DefaultGraph() if target == DEFAULT else ox.NamedNode(target)


def _may_see(target: str) -> bool:
    from justicegraph import access

    return not access.is_restricted(target) or context.can_read_restricted()


def _exists(target: str) -> bool:
    return target == DEFAULT or (target in endpoint().graphs() and _may_see(target))


# --- reading ----------------------------------------------------------------------------------
def _get(target: str | None) -> Response:
    accept = request.headers.get("Accept")
    offers = conneg.DATASETS if target is None else conneg.GRAPHS
    fmt = conneg.by_name(request.args["format"], offers) if "format" in request.args else conneg.negotiate(accept, offers)
    if fmt is None:
        raise ApiError(406, "None of the media types in Accept can carry RDF.", {"available": conneg.offered(offers)})
    store = endpoint().store()
    if target is None:
        visible = [g for g in endpoint().graphs() if _may_see(g)]
        items = (q for g in [ox.DefaultGraph(), *map(ox.NamedNode, visible)]
                 for q in protocol_write.graph_quads(store, g))
    else:
        audit = _audit_graph(target)
        if audit is not None:
            quads = audit
        elif not _exists(target):
            raise ApiError(404, f"No graph <{target}> in this store.")
        else:
            quads = protocol_write.graph_quads(store, _graph_term(target))
        # N-Quads / TriG keep the graph's name; the triple syntaxes carry the triples.
        items = quads if fmt.name in ("nquads", "trig") else (
            ox.Triple(q.subject, q.predicate, q.object) for q in quads)
    chunks: list[bytes] = []
    write_rdf(fmt.name, items, chunks.append, context.settings() and _prefixes())
    response = Response(b"".join(chunks), content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _audit_graph(target: str) -> list | None:
    """The quads of an audit graph, for a writer who asks for it by name (server/protocol/audit.py);
    None for any other graph or caller (to whom the audit graphs do not exist)."""
    ep = endpoint()
    if target not in ep.audit.graphs or not context.can_write():
        return None
    if target not in ep.audit.visible(context.can_read_restricted()):
        return None
    return ep.audit.quads([target])


def _prefixes() -> dict:
    from justicegraph.namespaces import PREFIXES

    return PREFIXES


# --- writing ----------------------------------------------------------------------------------
def _parse_body() -> list:
    """Triples of the request body (or of every part of a multipart/form-data body), with
    fresh blank nodes so that a label in the document never merges with one in the store."""
    if request.mimetype == "multipart/form-data":
        parts = [(f.mimetype or _guess(f.filename), f.read()) for f in request.files.values()]
        if not parts:
            raise ApiError(400, "The multipart body has no file parts.")
    else:
        parts = [(request.mimetype, request.get_data(cache=True))]
    triples = []
    for mimetype, data in parts:
        if not mimetype:
            raise ApiError(415, "The body needs a Content-Type naming an RDF syntax.")
        rdf_format = ox.RdfFormat.from_media_type(mimetype)
        if rdf_format is None:
            raise ApiError(415, f"Unsupported RDF media type {mimetype!r}.",
                           {"accepted": conneg.offered(conneg.GRAPHS)})
        unsafe = unsafe_input(data, rdf_format)
        if unsafe:
            raise ApiError(400, f"The body is refused: {unsafe[1]}.", {"rule": unsafe[0]})
        try:
            triples.extend(ox.parse(data, rdf_format, base_iri=request.base_url, without_named_graphs=True))
        except SyntaxError as exc:
            raise ApiError(400, f"The body is not valid {rdf_format.name}: {exc}") from None
    return _fresh_blank_nodes(triples)


def _guess(filename: str | None):
    fmt = ox.RdfFormat.from_extension(filename.rsplit(".", 1)[-1]) if filename and "." in filename else None
    return fmt.media_type if fmt else None


def _fresh_blank_nodes(quads: list) -> list:
    names: dict[str, ox.BlankNode] = {}

    def fresh(term):
        if isinstance(term, ox.BlankNode):
            return names.setdefault(term.value, ox.BlankNode())
        return term

    return [(fresh(q.subject), q.predicate, fresh(q.object)) for q in quads]


def _write(target: str | None, *, replace: bool) -> Response:
    created_location = None
    if target is None:
        if replace:
            raise ApiError(400, "PUT needs a graph: ?graph=<IRI>, ?default, or a /graphs/… URL.")
        target = request.url_root + f"graphs/{uuid.uuid4()}"
        created_location = target
    triples = _parse_body()
    graph = _graph_term(target)
    new = [ox.Quad(s, p, o, graph) for s, p, o in triples]
    ep = endpoint()
    started = dt.datetime.now(dt.UTC)
    with ep.write_session() as primary:
        reader = ep.store()
        old = set(protocol_write.graph_quads(reader, graph))
        existed = _exists(target) if target != DEFAULT else bool(old)
        new_set = set(new)
        change = Change(added=[q for q in new_set if q not in old],
                        removed=[q for q in old if q not in new_set] if replace else [],
                        created=[target] if target != DEFAULT and not existed else [])
        if change:
            protocol_write.commit(primary, reader, change, description=f"Graph Store Protocol {request.method}",
                                  body_checksum=protocol_write.checksum(request.get_data()), started=started,
                                  metrics=ep.metrics, audit=ep.audit, audit_in_store=ep.snapshots is not None)
    ep.metrics.inc("justicegraph_queries_total", form="GSP")
    if existed:
        return Response(status=204)
    response = Response(status=201)
    if created_location:
        response.headers["Location"] = created_location
    return response


def _delete(target: str | None) -> Response:
    if target is None:
        raise ApiError(400, "DELETE needs a graph: ?graph=<IRI>, ?default, or a /graphs/… URL.")
    ep = endpoint()
    started = dt.datetime.now(dt.UTC)
    with ep.write_session() as primary:
        reader = ep.store()
        if not _exists(target):
            raise ApiError(404, f"No graph <{target}> in this store.")
        graph = _graph_term(target)
        change = Change(removed=protocol_write.graph_quads(reader, graph),
                        dropped=[target] if target != DEFAULT else [])
        protocol_write.commit(primary, reader, change, description="Graph Store Protocol DELETE",
                              body_checksum=protocol_write.checksum(b""), started=started,
                              metrics=ep.metrics, audit=ep.audit, audit_in_store=ep.snapshots is not None)
    ep.metrics.inc("justicegraph_queries_total", form="GSP")
    return Response(status=204)
