"""Pages for people and for linked-data clients: the home page, entity and graph IRIs
(dereferenceable, by content negotiation), search results, the query editor, the ontology
and the dump.

URL scheme (stable): an IRI ``{base}id/{id}`` is served at ``/id/{id}`` and ``{base}graph/…``
at ``/graph/…`` whatever host the server runs on; a suffix (``.html .json .ttl .jsonld .nt
.rdf .trig .nq``) picks a representation, otherwise ``Accept`` does (``Vary: Accept``).
Every HTML page has a JSON twin (``.json`` or ``Accept: application/json``).
"""

from __future__ import annotations

import zlib

import pyoxigraph as ox
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from justicegraph import access, resources
from justicegraph.namespaces import JG, PREFIXES
from justicegraph.server.content import entity, ontology_doc
from justicegraph.server.content.search import RDF_TYPE, norm, store_fingerprint, visible_quads
from justicegraph.server.web import context

bp = Blueprint("pages", __name__)

HTML, JSON = "text/html", "application/json"
# media type → (pyoxigraph format, carries named graphs)
RDF = {
    "text/turtle": (ox.RdfFormat.TURTLE, False),
    "application/ld+json": (ox.RdfFormat.JSON_LD, True),
    "application/n-triples": (ox.RdfFormat.N_TRIPLES, False),
    "application/rdf+xml": (ox.RdfFormat.RDF_XML, False),
    "application/trig": (ox.RdfFormat.TRIG, True),
    "application/n-quads": (ox.RdfFormat.N_QUADS, True),
}
SUFFIXES = {".html": HTML, ".json": JSON, ".ttl": "text/turtle", ".jsonld": "application/ld+json",
            ".nt": "application/n-triples", ".rdf": "application/rdf+xml", ".owl": "application/rdf+xml",
            ".trig": "application/trig", ".nq": "application/n-quads"}
ENTITY_OFFERS = [HTML, JSON, *RDF]
PAGE_OFFERS = [HTML, JSON]


# -- negotiation -------------------------------------------------------------------------------

def split_suffix(path: str) -> tuple[str, str | None]:
    """``hamid-noury.ttl`` → (``hamid-noury``, ``text/turtle``). Record ids never hold a dot."""
    stem, dot, ext = path.rpartition(".")
    if dot and "." + ext in SUFFIXES and "/" not in ext:
        return stem, SUFFIXES["." + ext]
    return path, None


def choose(offers: list[str], forced: str | None) -> str:
    """The representation to answer with: the suffix's, else the best by Accept (q-values;
    ties go to the order of ``offers``), else 406."""
    if forced:
        if forced not in offers:
            abort(404)
        return forced
    if not request.headers.get("Accept", "").strip():
        return offers[0]
    best = request.accept_mimetypes.best_match(offers)
    if best is None:
        raise NotAcceptable(offers)
    return best


class NotAcceptable(Exception):
    def __init__(self, offers):
        super().__init__("not acceptable")
        self.offers = offers


@bp.app_errorhandler(NotAcceptable)
def _not_acceptable(exc: NotAcceptable):
    body = {"error": {"status": 406, "title": "Not Acceptable",
                      "message": "None of the media types in the Accept header is offered here.",
                      "detail": {"offered": exc.offers}}}
    response = jsonify(body)
    response.status_code = 406
    response.vary.add("Accept")
    return response


def page(template: str, data: dict, offers=None, forced: str | None = None, status: int = 200) -> Response:
    """An HTML page or its JSON twin."""
    chosen = choose(offers or PAGE_OFFERS, forced)
    if chosen == JSON:
        response = jsonify(data)
    else:
        response = Response(render_template(template, data=data, **data), mimetype=HTML)
    response.status_code = status
    response.vary.add("Accept")
    return response


def rdf_response(quads: list[ox.Quad], media_type: str, extra_triples: list[ox.Quad] = ()) -> Response:
    fmt, quad_format = RDF[media_type]
    everything = list(dict.fromkeys([*quads, *extra_triples]))
    if quad_format:
        data = ox.serialize(everything, format=fmt, **_prefixes(fmt))
    else:
        triples = list(dict.fromkeys(q.triple for q in everything))
        data = ox.serialize(triples, format=fmt, **_prefixes(fmt))
    response = Response(data, mimetype=media_type)
    response.vary.add("Accept")
    return response


def _prefixes(fmt) -> dict:
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        s = context.settings()
        return {"prefixes": {**PREFIXES, "id": s.base + "id/", "graph": s.base + "graph/"}}
    return {}


def alternates(path: str, media_types) -> str:
    ext = {v: k for k, v in reversed(SUFFIXES.items())}
    return ", ".join(f'<{path}{ext[m]}>; rel="alternate"; type="{m}"' for m in media_types if m in ext)


# -- entities and graphs -------------------------------------------------------------------------

@bp.get("/id/<path:rest>")
def entity_iri(rest: str):
    record_id, forced = split_suffix(rest)
    settings = context.settings()
    iri = settings.minter.entity(record_id)
    chosen = choose(ENTITY_OFFERS, forced)
    if not is_iri(iri):
        return not_found(f"{iri!r} is not an IRI.", chosen)
    dataset = context.query_dataset()
    store = context.store()
    if chosen in RDF:
        got = entity.gather(store, iri, dataset)
        if not got.own and not got.incoming:
            return not_found(f"No visible statement mentions {iri}.", chosen)
        quads = got.quads()
        prov = entity.graph_provenance(store, {q.graph_name for q in quads}, dataset)
        response = rdf_response(quads, chosen, entity.provenance_quads(prov, settings.minter.provenance_graph))
    else:
        data = entity.entity_page(store, iri, dataset, settings)
        if data is None:
            return not_found(f"No visible statement mentions {iri}.", chosen)
        data["alternates"] = _alternate_links(f"/id/{record_id}")
        response = page("entity.html", data, ENTITY_OFFERS, chosen)
    response.headers["Link"] = alternates(f"/id/{record_id}", ENTITY_OFFERS)
    return response


GRAPH_SIZE = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@bp.get("/graph/<path:rest>")
def graph_iri(rest: str):
    """A graph IRI: its provenance description (who asserts it, from which source, which load)."""
    path, forced = split_suffix(rest)
    settings = context.settings()
    iri = settings.base + "graph/" + path
    chosen = choose(ENTITY_OFFERS, forced)
    visible = access.visible_graphs(context.store().graphs(), restricted_ok=context.can_read_restricted())
    if iri not in visible:
        return not_found(f"No visible graph {iri}.", chosen)
    store, dataset = context.store(), context.query_dataset()
    prov = entity.graph_provenance(store, [ox.NamedNode(iri)], dataset)
    quads = entity.provenance_quads(prov, settings.minter.provenance_graph)
    if chosen in RDF:
        response = rdf_response(quads, chosen)
    else:
        names = entity.Labels(store, dataset, settings.base)
        size = next(iter(store.query(GRAPH_SIZE, substitutions={ox.Variable("g"): ox.NamedNode(iri)},
                                     **dataset)), None)
        data = {"iri": iri, "label": path, "triples": int(size["n"].value) if size else 0,
                "attribution": entity.attribution(iri, prov, names),
                "statements": [{"relation": entity.relation(q.predicate.value), "value": names.term(q.object)}
                               for q in quads],
                "alternates": _alternate_links(f"/graph/{path}")}
        response = page("graph.html", data, ENTITY_OFFERS, chosen)
    response.headers["Link"] = alternates(f"/graph/{path}", ENTITY_OFFERS)
    return response


def is_iri(text: str) -> bool:
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


def _alternate_links(path: str) -> list[dict]:
    names = {".json": "JSON", ".ttl": "Turtle", ".jsonld": "JSON-LD", ".nt": "N-Triples", ".rdf": "RDF/XML",
             ".trig": "TriG", ".nq": "N-Quads"}
    return [{"label": label, "href": path + ext} for ext, label in names.items()]


def not_found(message: str, chosen: str) -> Response:
    if chosen == HTML:
        response = Response(render_template("error.html", status=404, message=message), status=404, mimetype=HTML)
    else:
        response = jsonify({"error": {"status": 404, "title": "Not Found", "message": message}})
        response.status_code = 404
    response.vary.add("Accept")
    return response


# -- home, search ----------------------------------------------------------------------------

COUNTS = """SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?class } }
GROUP BY ?class ORDER BY DESC(?n) ?class"""
SOURCES = """PREFIX jg: <https://w3id.org/justicegraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s (SAMPLE(?t) AS ?title) (SAMPLE(?d) AS ?date) WHERE { GRAPH ?g { ?s a jg:Source }
  OPTIONAL { GRAPH ?g1 { ?s dcterms:title|skos:prefLabel ?t } } OPTIONAL { GRAPH ?g2 { ?s dcterms:date ?d } } }
GROUP BY ?s ORDER BY ?s LIMIT 200"""


@bp.get("/")
@bp.get("/index.json", endpoint="home_json", defaults={"forced": JSON})
def home(forced: str | None = None):
    store, dataset, s = context.store(), context.query_dataset(), context.settings()
    level = ("home", context.can_read_restricted(), s.include_inferred, s.union_default_graph)
    # Counting every typed node is a full scan: done once per store state, like the search index.
    classes, sources = current_app.extensions["justicegraph.search"].get(
        level, lambda: store_fingerprint(store, dataset), lambda: _holdings(store, dataset, s.base))
    graphs = access.visible_graphs(store.graphs(), restricted_ok=context.can_read_restricted())
    data = {"classes": classes, "sources": sources, "graph_count": len(graphs),
            "testimony_count": sum("/graph/testimony/" in g for g in graphs),
            "saved_queries": saved_query_list(), "restricted_access": context.can_read_restricted(),
            "links": {"query": url_for("pages.query_editor"), "dump": url_for("pages.dump"),
                      "ontology": url_for("pages.ontology"), "sparql": "/sparql", "search": "/api/search",
                      "openapi": "/api/openapi.json"}}
    return page("home.html", data, forced=forced)


def _holdings(store, dataset: dict, base: str) -> tuple[list, list]:
    fast = visible_quads(store, dataset, RDF_TYPE)
    if fast is not None:
        return _holdings_from_quads(store, dataset, base, fast)
    classes = [{"class": entity.relation(r["class"].value), "count": int(r["n"].value)}
               for r in store.query(COUNTS, **dataset) if str(r["class"].value).startswith(str(JG))]
    sources = [{"iri": r["s"].value, "href": entity.local_href(r["s"].value, base),
                "title": r["title"].value if r["title"] else entity.short_name(r["s"].value),
                "date": r["date"].value if r["date"] else None} for r in store.query(SOURCES, **dataset)]
    return classes, sources


DCTERMS_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
DCTERMS_DATE = ox.NamedNode("http://purl.org/dc/terms/date")


def _holdings_from_quads(store, dataset, base, typed) -> tuple[list, list]:
    members: dict[str, set] = {}
    for q in typed:
        if q.object.value.startswith(str(JG)):
            members.setdefault(q.object.value, set()).add(q.subject)
    classes = sorted(({"class": entity.relation(c), "count": len(s)} for c, s in members.items()),
                     key=lambda c: (-c["count"], c["class"]["iri"]))
    names = entity.Labels(store, dataset, base)
    sources = []
    for source in sorted(members.get(str(JG.Source), ()), key=lambda n: n.value)[:200]:
        term = names.term(source)
        title = entity.engine_quads(store, dataset, source, DCTERMS_TITLE)
        date = entity.engine_quads(store, dataset, source, DCTERMS_DATE)
        sources.append({"iri": source.value, "href": term["href"],
                        "title": title[0].object.value if title else term["label"],
                        "date": date[0].object.value if date else None})
    return classes, sources


def saved_query_list() -> list[dict]:
    from justicegraph.server.api import saved_queries  # the API owns the saved queries; pages only list them

    return [{"name": q.name, "title": q.title, "description": q.description,
             "href": f"/queries/{q.name}", "api": f"/api/queries/{q.name}"} for q in saved_queries().values()]


@bp.get("/search")
@bp.get("/search.json", endpoint="search_json", defaults={"forced": JSON})
def search_page(forced: str | None = None):
    """The home page's search box without JavaScript: the same index as /api/search."""
    from justicegraph.server.api import run_search

    q = request.args.get("q", "")
    hits = run_search(q, 50) if norm(q) else []
    return page("search.html", {"q": q, "hits": hits}, forced=forced)


# -- query editor -------------------------------------------------------------------------------

@bp.get("/query")
@bp.get("/query.json", endpoint="query_json", defaults={"forced": JSON})
def query_editor(forced: str | None = None):
    from justicegraph.server.api import editor_examples

    config = {"endpoint": "/sparql", "prefixes": PREFIXES, "examples": editor_examples()}
    return page("query.html", {"config": config}, forced=forced)


# -- ontology ------------------------------------------------------------------------------------

ONTOLOGY_RDF = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/n-triples": "nt",
                "application/ld+json": "json-ld"}


@bp.get("/ontology")
@bp.get("/ontology.<ext>", endpoint="ontology_file")
def ontology(ext: str | None = None):
    if ext is not None and "." + ext not in SUFFIXES:
        abort(404)
    forced = SUFFIXES["." + ext] if ext else None
    chosen = choose([HTML, *ONTOLOGY_RDF, JSON], forced)
    if chosen in ONTOLOGY_RDF:
        data = resources.ontology_graph().serialize(format=ONTOLOGY_RDF[chosen])
        response = Response(data, mimetype=chosen)
        response.vary.add("Accept")
    else:
        response = page("ontology.html", ontology_doc.document(), [HTML, *ONTOLOGY_RDF, JSON], chosen)
    response.headers["Link"] = alternates("/ontology", ONTOLOGY_RDF)
    return response


# -- dump ------------------------------------------------------------------------------------------

@bp.get("/dump")
@bp.get("/dump.nq.gz", endpoint="dump_file")
def dump():
    """Every visible graph as gzipped N-Quads, streamed graph by graph (never held in memory)."""
    store = context.store()
    settings = context.settings()
    exclude = () if settings.include_inferred else (settings.minter.inferred_graph,)
    graphs = access.visible_graphs(store.graphs(), restricted_ok=context.can_read_restricted(), exclude=exclude)
    response = Response(stream_with_context(_gzip(_nquads(store, graphs))), mimetype="application/gzip")
    response.headers["Content-Disposition"] = 'attachment; filename="justicegraph.nq.gz"'
    response.headers["X-Content-Media-Type"] = "application/n-quads"
    return response


def _nquads(store, graphs):
    for graph in graphs:
        lines = []
        for q in store.quads(graph):
            lines.append(f"{q.subject} {q.predicate} {q.object} {q.graph_name} .\n")
            if len(lines) >= 5000:
                yield "".join(lines).encode("utf-8")
                lines = []
        if lines:
            yield "".join(lines).encode("utf-8")


def _gzip(chunks):
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip container
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()

