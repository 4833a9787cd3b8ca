"""Pages for people and for linked-data clients: the home page, every IRI the data mints
(dereferenceable, by content negotiation), search results, the query editor, the ontology,
the vocabularies, the JSON-LD context and the dump.

URL scheme (stable): an IRI ``{base}{path}`` is served at ``/{path}`` whatever host the
server runs on — ``id/…`` entities, ``graph/…`` graphs, ``load/…``, ``reasoning/…`` and
``write/…`` activities; the fixed IRIs ``https://w3id.org/justicegraph/ontology[/…]`` and
``…/vocab/…`` at ``/ontology[/…]`` and ``/vocab/…``. A suffix (``.html .json .ttl .jsonld
.nt .rdf .trig .nq``) picks a representation, otherwise ``Accept`` does (RFC 9110, parsed by
server/web/conneg.py; ``Vary: Accept``). Data IRIs default to HTML, ontology and
vocabulary IRIs to RDF/XML (what OWL tools read; a browser asks for HTML). Every HTML page
of the data has a JSON twin (``.json`` or ``Accept: application/json``). JSON-LD is
compacted against the context published at ``/context.jsonld`` (server/protocol/jsonld.py).
"""

from __future__ import annotations

import functools
import threading
import time
import zlib
from collections import OrderedDict

import pyoxigraph as ox
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from justicegraph import access, resources
from justicegraph.namespaces import DEFAULT_BASE, JG, ONTOLOGY_IRI, PREFIXES, VOCAB
from justicegraph.server.content import entity, ontology_doc, view
from justicegraph.server.content.search import RDF_TYPE, norm, store_fingerprint, visible_quads
from justicegraph.server.protocol import caching, jsonld
from justicegraph.server.web import conneg, context

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
    """The representation to answer with: the suffix's, else the best by Accept (q-values,
    wildcards, parameters; ties and a missing Accept go to the order of ``offers``), else 406."""
    if forced:
        if forced not in offers:
            abort(404)
        return forced
    best = conneg.best_match(request.headers.get("Accept"), tuple(offers))
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
    """The quads in an RDF syntax. Triple syntaxes carry their RDF merge; JSON-LD carries the
    merge in its default graph (what a tool that reads a graph sees: the same triples as the
    Turtle) and the quads in named graphs (which graph asserts what); TriG and N-Quads the quads."""
    fmt, quad_format = RDF[media_type]
    everything = list(dict.fromkeys([*quads, *extra_triples]))
    if fmt == ox.RdfFormat.JSON_LD:
        data = jsonld.from_quads(everything, all_prefixes(), merge=True)
    elif quad_format:
        data = ox.serialize(everything, format=fmt, **_prefixes(fmt))
    else:
        triples = list(dict.fromkeys(q.triple for q in everything))
        data = ox.serialize(triples, format=fmt, **_prefixes(fmt))
    response = Response(data, mimetype=media_type)
    response.vary.add("Accept")
    return response


def all_prefixes() -> dict[str, str]:
    """The project's prefixes and those of the IRIs minted under this server's base."""
    return {**PREFIXES, **context.settings().minter.prefixes}


def _prefixes(fmt) -> dict:
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML):
        return {"prefixes": all_prefixes()}
    return {}


KNOWN_LICENCES = {"https://creativecommons.org/licenses/by/4.0/": "CC BY 4.0",
                  "https://creativecommons.org/licenses/by-sa/4.0/": "CC BY-SA 4.0",
                  "https://creativecommons.org/publicdomain/zero/1.0/": "CC0 1.0"}


@bp.app_context_processor
def _licence_in_templates() -> dict:
    """Every page's footer names the data's licence (base.html)."""
    licence = context.settings().data_license
    return {"data_license": {"iri": licence, "label": KNOWN_LICENCES.get(licence, licence)} if licence else None}


def data_licence(response: Response) -> Response:
    """Name the data's licence on a response that carries data (RFC 8288 ``rel="license"``)."""
    licence = context.settings().data_license
    if licence:
        link = response.headers.get("Link")
        mine = f'<{licence}>; rel="license"'
        response.headers["Link"] = f"{link}, {mine}" if link else mine
    return response


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
    # An anonymous GET names its answer (public snapshot, URL, variant): a client or cache
    # that holds it is told so before the page is built (server/protocol/caching.py).
    tag = caching.etag(chosen)
    unchanged = caching.not_modified(tag)
    if unchanged is not None:
        return unchanged
    kept = bodies().get(tag)
    if kept is not None:
        return kept
    started = time.thread_time()
    dataset = context.query_dataset()
    store = context.store()
    number = page_number()
    if number is None:
        return not_found("page must be a whole number from 1.", chosen)
    if chosen in RDF:
        if number != 1:  # the RDF description is one document (server/content/entity.py)
            return not_found("The RDF description of an entity has no pages.", chosen)
        response = _description(store, iri, dataset, chosen)
        if response is None:
            return not_found(f"No visible statement mentions {iri}.", chosen)
    else:
        data = view.entity_page(store, iri, dataset, settings, number)
        if data is None:
            return not_found(f"No visible statement mentions {iri}." if number == 1
                             else f"{iri} has no page {number}.", chosen)
        data["alternates"] = _alternate_links(f"/id/{record_id}")
        links = page_links(data, record_id)
        response = page("entity.html", data, ENTITY_OFFERS, chosen)
        if links:
            response.headers["Link"] = links
    link = alternates(f"/id/{record_id}", ENTITY_OFFERS)
    response.headers["Link"] = f"{response.headers['Link']}, {link}" if "Link" in response.headers else link
    response = caching.mark(data_licence(response), tag)
    if getattr(response, "hub", False) or time.thread_time() - started >= BodyCache.MIN_CPU_S:
        bodies().put(tag, response)
    return response


class BodyCache:
    """Anonymous answers of entity IRIs that were expensive to build (a prison's page, a
    hub's RDF description: tens of ms of CPU), kept by their ETag, least recently used out
    first, bounded in bytes per process.

    The ETag names everything an anonymous answer is made of (server/protocol/caching.py:
    the public version of the snapshot, the deployment and its settings, the full URL, the
    variant), so an answer kept under it is the answer a rebuild would give, byte for byte.
    Requests with a token have no ETag: never kept, never served from here. Cheap answers (a
    person's page, 1–3 ms) are not kept: rebuilding them costs less than the memory; the RDF
    description of a hub (≥ ``HUB_LINKS`` links to it) is, however quick."""

    MAX_BYTES = 32 * 1024 * 1024
    MIN_CPU_S = 0.005
    HUB_LINKS = 50  # an RDF description with this many links to the entity is kept however quick
    HEADERS = ("Content-Type", "Link", "Vary", "ETag", "Cache-Control")

    def __init__(self):
        self._kept: OrderedDict[str, tuple[bytes, list]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, tag: str | None) -> Response | None:
        if tag is None:
            return None
        with self._lock:
            found = self._kept.get(tag)
            if found is None:
                return None
            self._kept.move_to_end(tag)
        body, headers = found
        return Response(body, status=200, headers=headers)

    def put(self, tag: str | None, response: Response) -> None:
        if tag is None or response.status_code != 200 or response.is_streamed:
            return
        body = response.get_data()
        if len(body) > self.MAX_BYTES // 8:
            return
        headers = [(k, v) for k, v in response.headers.items() if k in self.HEADERS]
        with self._lock:
            if tag in self._kept:
                return
            self._kept[tag] = (body, headers)
            self._bytes += len(body)
            while self._bytes > self.MAX_BYTES:
                _, (old, _) = self._kept.popitem(last=False)
                self._bytes -= len(old)


def bodies() -> BodyCache:
    """This app's kept answers (one per app: its ETags name its own store and settings)."""
    found = current_app.extensions.get("justicegraph.page_bodies")
    if found is None:
        found = current_app.extensions.setdefault("justicegraph.page_bodies", BodyCache())
    return found


def page_number() -> int | None:
    """The ``page`` parameter (1 when absent), or None when it is not a page number."""
    text = request.args.get("page")
    if text is None:
        return 1
    return int(text) if text.isdigit() and 0 < len(text) < 7 and int(text) >= 1 else None


def page_links(data: dict, record_id: str) -> str:
    """A paged entity (a place's people and events, an event's parts, the links to a hub:
    server/content/view.py): the URLs of
    the first, previous and next pages, in the JSON (``paging``) and as RFC 8288 ``Link``
    headers. The same path as asked (``/id/x`` or ``/id/x.json``), so the JSON twin's links
    lead to JSON; offset pages over a fixed order (the snapshot's data), so walking them from
    the first gives every entry once."""
    paging = data.get("paging")
    if not paging:
        return ""
    path = request.path
    at = paging["page"]
    paging["first_url"] = path
    paging["prev_url"] = (path if at == 2 else f"{path}?page={at - 1}") if at > 1 else None
    paging["next_url"] = f"{path}?page={at + 1}" if at < paging["pages"] else None
    queries = saved_query_list_names()
    paging["full_lists"] = [{"title": title, "href": f"/queries/{name}?{param}={record_id}"}
                            for name, param, title, of in FULL_LISTS
                            if name in queries and paging.get(of, {}).get("total")]
    links = [f'<{paging["first_url"]}>; rel="first"']
    if paging["prev_url"]:
        links.append(f'<{paging["prev_url"]}>; rel="prev"')
    if paging["next_url"]:
        links.append(f'<{paging["next_url"]}>; rel="next"')
    return ", ".join(links)


# The saved queries that give a place's lists whole, in one table (queries/*.rq).
FULL_LISTS = (("cq02-people-in-prison", "prison", "Everyone held here, as a saved query", "people"),
              ("cq23-events-at-place", "place", "Every event here, as a saved query", "events"))


def saved_query_list_names() -> set[str]:
    from justicegraph.server.api import saved_queries  # the API owns the saved queries

    return set(saved_queries())


def _description(store, iri: str, dataset: dict, media_type: str) -> Response | None:
    """The RDF description of a resource: what the visible graphs say about it, with the
    provenance of those graphs (entity.gather); None when no visible statement mentions it."""
    got = entity.gather(store, iri, dataset)
    if not got.own and not got.incoming:
        return None
    quads = got.quads()
    prov = entity.graph_provenance(store, {q.graph_name for q in quads}, dataset)
    response = rdf_response(quads, media_type, entity.provenance_quads(prov, context.settings().minter.provenance_graph,
                                                                       entity.snapshot_memo(store, dataset)))
    # a hub's description (a prison, an event with many victims) grows with the data: worth
    # keeping even when it was quick to build (BodyCache); hubs are few, people are many
    response.hub = len(got.incoming) >= BodyCache.HUB_LINKS
    return response


# Activities the system records in the provenance graph: loads (the loaders), reasoner runs
# (justicegraph reason) and writes over HTTP (server/protocol/write.py), with their inputs.
@bp.get("/load/<path:rest>", defaults={"kind": "load"})
@bp.get("/reasoning/<path:rest>", defaults={"kind": "reasoning"}, endpoint="reasoning_iri")
@bp.get("/write/<path:rest>", defaults={"kind": "write"}, endpoint="write_iri")
def activity_iri(kind: str, rest: str):
    """A load, reasoner run or write: its PROV-O description and the graphs it generated,
    from the graphs the caller may see (a restricted load's inputs stay restricted)."""
    path, forced = split_suffix(rest)
    iri = f"{context.settings().base}{kind}/{path}"
    chosen = choose(ENTITY_OFFERS, forced)
    if not is_iri(iri):
        return not_found(f"{iri!r} is not an IRI.", chosen)
    store, dataset = context.store(), context.query_dataset()
    if chosen in RDF:
        response = _description(store, iri, dataset, chosen)
        if response is None:
            return not_found(f"No visible statement mentions {iri}.", chosen)
    else:
        got = entity.gather(store, iri, dataset)
        if not got.own and not got.incoming:
            return not_found(f"No visible statement mentions {iri}.", chosen)
        names = entity.Labels(store, dataset, context.settings().base)
        data = {"iri": iri, "label": f"{kind}/{path}",
                "statements": [{"relation": entity.relation(q.predicate.value), "value": names.term(q.object)}
                               for q in got.own],
                "linked_from": [{"subject": names.term(q.subject), "relation": entity.relation(q.predicate.value)}
                                for q in got.incoming],
                "alternates": _alternate_links(f"/{kind}/{path}")}
        response = page("resource.html", data, ENTITY_OFFERS, chosen)
    response.headers["Link"] = alternates(f"/{kind}/{path}", ENTITY_OFFERS)
    return data_licence(response)


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
    if not quads and iri in settings.minter.system_graph_labels:  # no provenance describes these
        quads = [ox.Quad(ox.NamedNode(iri), RDFS_LABEL, ox.Literal(settings.minter.system_graph_labels[iri],
                                                                   language="en"))]
    if chosen in RDF:
        response = rdf_response(quads, chosen)
    else:
        size = next(iter(store.query(GRAPH_SIZE, substitutions={ox.Variable("g"): ox.NamedNode(iri)},
                                     **dataset)), None)
        # what the graph holds, as a page: a testimony shows what was said in it
        data = view.graph_page(store, iri, dataset, settings, int(size["n"].value) if size else 0)
        data["alternates"] = _alternate_links(f"/graph/{path}")
        response = page("graph.html", data, ENTITY_OFFERS, chosen)
    response.headers["Link"] = alternates(f"/graph/{path}", ENTITY_OFFERS)
    return data_licence(response)


RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


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

# RDF/XML first: what a client that sends no Accept (owlready2, urllib, wget) or */* gets,
# as W3C vocabularies answer; OWL tools (owlready2, the OWL API) all read it. Browsers name
# text/html and get the documentation.
ONTOLOGY_RDF = {"application/rdf+xml": "xml", "text/turtle": "turtle", "application/n-triples": "nt",
                "application/ld+json": "json-ld"}
FIXED_BASE = DEFAULT_BASE  # the ontology's and vocabularies' IRIs do not follow the `base` setting


@bp.get("/ontology", defaults={"rest": ""})
@bp.get("/ontology.<ext>", endpoint="ontology_file", defaults={"rest": ""})
@bp.get("/ontology/<path:rest>", endpoint="ontology_part")
def ontology(rest: str, ext: str | None = None):
    """An ontology document by its ontology IRI or version IRI (resources.ontology_documents):
    the core ``/ontology`` (``/ontology/{version}``), the alignments ``/ontology/alignment``
    (which import the core), archived versions. Each IRI serves its own file, so an import
    is a request to this server and nothing else."""
    if ext is not None:
        rest, forced = "", SUFFIXES.get("." + ext) or abort(404)
    else:
        rest, forced = split_suffix(rest)
    iri = ONTOLOGY_IRI + ("/" + rest if rest else "")
    path = resources.ontology_documents().get(iri)
    if path is None:
        abort(404)
    current = path in resources.ontology_files()  # the documentation describes the current files only
    offers = [*ONTOLOGY_RDF, *((HTML, JSON) if current else ())]
    chosen = choose(offers, forced)
    if chosen in ONTOLOGY_RDF:
        response = Response(_ontology_bytes(str(path), chosen), mimetype=chosen)
        response.vary.add("Accept")
    else:
        response = page("ontology.html", ontology_doc.document(), offers, chosen)
    response.headers["Link"] = alternates("/" + iri[len(FIXED_BASE):], ONTOLOGY_RDF)
    return response


@functools.cache  # shipped files: serialised once per process and format
def _ontology_bytes(path: str, media_type: str) -> bytes:
    graph = Graph().parse(path, format="turtle")
    if media_type == "application/ld+json":
        return _graph_jsonld(graph)
    return graph.serialize(format=ONTOLOGY_RDF[media_type], encoding="utf-8")


def _graph_jsonld(graph: Graph) -> bytes:
    triples = ox.parse(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return jsonld.dumps(jsonld.document(triples, None, PREFIXES))


# -- controlled vocabularies ---------------------------------------------------------------------

VOCAB_RDF = [*ONTOLOGY_RDF]


@bp.get("/vocab", defaults={"rest": ""})
@bp.get("/vocab/", defaults={"rest": ""}, endpoint="vocabulary_root")
@bp.get("/vocab/<path:rest>", endpoint="vocabulary_term")
def vocabulary(rest: str):
    """A concept scheme (its concepts included) or a concept, from the packaged vocabulary;
    ``/vocab/`` the whole vocabulary. HTML: 303 to its entry in the ontology documentation."""
    rest, forced = split_suffix(rest)
    iri = str(VOCAB) + rest.strip("/")
    graph = resources.vocabulary_graph()
    term = URIRef(iri)
    if rest.strip("/"):
        members = [term, *graph.subjects(SKOS.inScheme, term)]
        description = Graph()
        for node in members:
            for triple in graph.triples((node, None, None)):
                description.add(triple)
    else:
        description = graph
    if not len(description):
        abort(404)
    chosen = choose([*VOCAB_RDF, HTML], forced)
    if chosen == HTML:
        anchor = ontology_doc.anchor(iri) if rest.strip("/") else "vocabularies"
        response = redirect(f"/ontology#{anchor}", code=303)
    elif chosen == "application/ld+json":
        response = Response(_graph_jsonld(description), mimetype=chosen)
    else:
        response = Response(description.serialize(format=ONTOLOGY_RDF[chosen], encoding="utf-8"), mimetype=chosen)
    response.vary.add("Accept")
    response.headers["Link"] = alternates("/vocab/" + rest, VOCAB_RDF)
    return response


# -- JSON-LD context -----------------------------------------------------------------------------

@bp.get("/context.jsonld")
def jsonld_context():
    """The context every JSON-LD answer of this server is compacted with (prefixes only), for
    clients that write or compact data against it."""
    response = jsonify({"@context": jsonld.context(all_prefixes())})
    response.mimetype = "application/ld+json"
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
    return data_licence(response)


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

