"""The HTTP API: saved queries as operations (grlc's idea, done safely), name search and
the OpenAPI description of every route of the pages and the API.

A saved query ``queries/<name>.rq`` answers at ``GET /api/queries/<name>?param=…`` with
SPARQL JSON results or CSV by ``Accept`` (HTML: the form page ``/queries/<name>``).
Parameters are bound by ``justicegraph.savedqueries`` as typed terms through pyoxigraph
``substitutions`` — never spliced. The saved queries are read when the blueprint is
registered, so a broken header stops the app at start-up with the file's name.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, jsonify, render_template, request

from justicegraph import savedqueries
from justicegraph.namespaces import EDTF_DATATYPE, JG
from justicegraph.server.content import entity, view
from justicegraph.server.content.search import (
    SearchIndex,
    SearchIndexes,
    compact,
    fold,
    label_rows,
    norm,
    store_fingerprint,
)
from justicegraph.server.web import conneg, context
from justicegraph.sparqltext import with_values

bp = Blueprint("api", __name__)

SPARQL_JSON, JSON, CSV, HTML = "application/sparql-results+json", "application/json", "text/csv", "text/html"
API_OFFERS = [SPARQL_JSON, JSON, CSV, HTML]
PAGE_OFFERS = [HTML, JSON, SPARQL_JSON, CSV]
SUFFIXES = {"json": JSON, "csv": CSV, "html": HTML}
EXTENSION_KEY = "justicegraph.saved_queries"


@bp.record_once
def _load_at_start(state) -> None:
    """Read (and check) every saved query when the app is built: a bad header fails here."""
    state.app.extensions[EXTENSION_KEY] = savedqueries.load_saved_queries()
    state.app.extensions["justicegraph.search"] = SearchIndexes()


@bp.after_app_request
def _invalidate_search_after_write(response: Response) -> Response:
    # A successful write through this process may change labels: re-check at the next search.
    if request.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400:
        indexes = current_app.extensions.get("justicegraph.search")
        if indexes is not None:
            indexes.bump()
    return response


def saved_queries() -> dict[str, savedqueries.SavedQuery]:
    return current_app.extensions[EXTENSION_KEY]


def error(status: int, message: str, detail=None) -> Response:
    body = {"error": {"status": status, "title": {400: "Bad Request", 404: "Not Found",
                                                    406: "Not Acceptable"}.get(status, "Error"),
                      "message": message}}
    if detail is not None:
        body["error"]["detail"] = detail
    response = jsonify(body)
    response.status_code = status
    response.vary.add("Accept")
    return response


# -- saved queries -------------------------------------------------------------------------------

@bp.get("/api/queries")
def list_queries():
    return jsonify({"queries": [describe(q) for q in saved_queries().values()]})


def describe(q: savedqueries.SavedQuery) -> dict:
    return {"name": q.name, "title": q.title, "description": q.description, "tags": list(q.tags),
            "api": f"/api/queries/{q.name}", "page": f"/queries/{q.name}",
            "params": [{"name": p.name, "type": p.type, "default": p.default, "required": p.required,
                        "description": p.description, "enum": list(p.enum) if p.enum else None}
                       for p in q.params.values()]}


@bp.get("/api/queries/<name>")
def api_query(name: str):
    return answer_saved_query(name, API_OFFERS)


@bp.get("/queries/<name>")
def query_page(name: str):
    stem, _, ext = name.rpartition(".")
    if stem and ext in SUFFIXES:
        return answer_saved_query(stem, PAGE_OFFERS, SUFFIXES[ext])
    return answer_saved_query(name, PAGE_OFFERS)


def answer_saved_query(name: str, offers: list[str], forced: str | None = None) -> Response:
    query = saved_queries().get(name)
    if query is None:
        return error(404, f"No saved query {name!r}.", {"queries": sorted(saved_queries())})
    chosen = forced or conneg.best_match(request.headers.get("Accept"), tuple(offers))  # RFC 9110
    if chosen is None:
        return error(406, "None of the media types in the Accept header is offered here.", {"offered": offers})
    values = {k: v for k, v in request.args.items()}
    strict = offers is API_OFFERS  # the form sends emptied fields (= default); the API does not
    repeated = sorted(k for k in request.args if len(request.args.getlist(k)) > 1)
    empty = sorted(k for k, v in values.items() if v == "") if strict else []
    if repeated or empty:
        which = (repeated or empty)[0]
        problem = "is given more than once" if repeated else "is empty (leave it out to use the default)"
        return error(400, f"parameter {which!r} {problem}")
    resolved: list[dict] = []
    try:
        bound, resolved = resolve_entities(query, values)
        variables, rows, truncated = run_saved(query, bound)
    except savedqueries.ParamError as exc:
        if chosen == HTML:
            return render_form(query, values, None, str(exc), 400, resolved)
        return error(400, str(exc))
    if chosen == HTML:
        return render_form(query, values, (variables, rows, truncated), None, 200, resolved)
    response = (results_csv(variables, rows) if chosen == CSV
                else results_json(variables, rows, truncated, chosen))
    if truncated:
        response.headers["X-Justicegraph-Truncated"] = "true"
    if resolved:  # a name given for an entity: what it was read as
        response.headers["X-Justicegraph-Resolved"] = ", ".join(f"{r['param']}={r['id']}" for r in resolved)
    response.vary.add("Accept")
    return response


EXISTS = "ASK { GRAPH ?g { ?s ?p ?o } }"


def visible_entity(iri: str) -> bool:
    """Whether the caller's graphs say anything of ``iri`` (a restricted entity is unknown
    to an anonymous caller, as an entity nobody recorded)."""
    store, dataset = context.store(), context.query_dataset()
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return False
    fast = entity.engine_quads(store, dataset, node)
    if fast is not None:
        return bool(fast)
    return bool(store.query(EXISTS, substitutions={ox.Variable("s"): node}, **dataset))


def resolve_entities(query, values: dict) -> tuple[dict, list[dict]]:
    """Entity parameters given as a record id, an IRI or a name. A name is looked up in the
    caller's search index: the entity whose name (any spelling, folded as search folds it) is
    the text, else the one entity of the parameter's class (``prison`` → Prison) that search
    finds for it. An id, IRI or name that names nothing the caller may see, or several
    things, is a ParamError that says so (and suggests names) — never an empty answer."""
    settings = context.settings()
    bound, resolved = dict(values), []
    for name, param in query.params.items():
        text = str(values.get(name, "")).strip()
        if param.type != "entity" or not text:
            continue
        iri = (settings.minter.entity(text) if savedqueries.RECORD_ID.match(text)
               else text if text.startswith(("http://", "https://")) else None)
        if iri is not None and visible_entity(iri):
            continue
        hits = [h for h in run_search(text, 10) if h["match"] != "fuzzy"] if norm(text) else []
        same_name = list({h["iri"]: h for h in hits if name_key(h["matched"]) == name_key(text)}.values())
        wanted = name[:1].upper() + name[1:]
        of_class = [h for h in hits if any(t.endswith("#" + wanted) for t in h["types"])]
        if len(same_name) > 1:
            same_name = [h for h in same_name if h in of_class] or same_name
        chosen = same_name if same_name else of_class
        if len(chosen) == 1:
            hit = chosen[0]
            bound[name] = settings.minter.record_id(hit["iri"]) or hit["iri"]
            resolved.append({"param": name, "given": text, "id": bound[name], "label": hit["label"],
                             "href": hit["href"]})
            continue
        listed = "; ".join(f"{h['label']} ({settings.minter.record_id(h['iri']) or h['iri']})"
                           for h in (chosen or hits)[:5])
        if len(chosen) > 1:
            raise savedqueries.ParamError(f"parameter {name!r}: {text!r} names more than one entity: {listed} "
                                          "— give the record id")
        raise savedqueries.ParamError(f"parameter {name!r}: no entity has the id or name {text!r}"
                                      + (f"; did you mean: {listed}?" if listed else ""))
    return bound, resolved


def name_key(text: str) -> str:
    """A name as search compares spellings (case, diacritics, spacing, transliteration)."""
    return fold(compact(norm(text)))


def run_saved(query, values: dict) -> tuple[list[str], list[dict], bool]:
    """(variables, rows as {var: term}, truncated) — cut at the row cap."""
    settings = context.settings()
    results = query.run(context.store(), values, settings.minter, **context.query_dataset())
    if isinstance(results, bool):  # ASK
        return ["boolean"], [{"boolean": ox.Literal("true" if results else "false")}], False
    if not isinstance(results, ox.QuerySolutions):
        raise savedqueries.ParamError(f"query {query.name!r} is not a SELECT or ASK query")
    variables = [v.value for v in results.variables]
    rows = []
    for solution in results:
        if len(rows) >= settings.row_cap:
            return variables, rows, True
        rows.append({v: solution[v] for v in variables if solution[v] is not None})
    return variables, rows, False


def term_json(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def results_json(variables, rows, truncated, media_type) -> Response:
    body = {"head": {"vars": variables},
            "results": {"bindings": [{v: term_json(t) for v, t in row.items()} for row in rows]}}
    if truncated:
        body["head"]["link"] = ["urn:justicegraph:truncated"]
    response = jsonify(body)
    response.mimetype = media_type
    return response


def results_csv(variables, rows) -> Response:
    """SPARQL 1.1 Query Results CSV: plain values, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(variables)
    for row in rows:
        writer.writerow([row[v].value if v in row else "" for v in variables])
    return Response(buffer.getvalue(), mimetype=CSV)


def render_form(query, values, answer, message, status, resolved=()) -> Response:
    s = context.settings()
    store, dataset = context.store(), context.query_dataset()
    names = entity.Labels(store, dataset, s.base)
    voices = view.Voices(view.Reader(store, dataset), names, s.minter)

    def cell(term):
        shown = names.term(term)
        if shown["type"] == "uri" and str(JG.Source) in shown["types"]:
            shown = voices.source(shown["value"])  # a source by publisher and date, as pages cite it
        elif shown.get("datatype") == str(EDTF_DATATYPE):
            shown = {**shown, "value": view.human_time(shown["value"])}  # "1981 – 1986", as pages write it
        return shown

    table = None
    if answer is not None:
        variables, rows, truncated = answer
        shown = shown_columns(variables)
        table = {"variables": shown, "headings": [heading(v) for v in shown], "truncated": truncated,
                 "rows": [[cell(row[v]) if v in row else None for v in shown] for row in rows]}
    # the JSON and CSV links carry what the names were read as
    given = urlencode({k: v for k, v in {**values, **{r["param"]: r["id"] for r in resolved}}.items() if v != ""})
    html = render_template("saved_query.html", query=describe(query), values=values, table=table,
                           message=message, text=query.text, query_string="?" + given if given else "",
                           resolved=list(resolved))
    response = Response(html, status=status, mimetype=HTML)
    response.vary.add("Accept")
    return response


def shown_columns(variables: list[str]) -> list[str]:
    """The columns of the form's table: a ``xLabel`` column is left out where ``x`` is there
    too (the table shows an IRI by its label, linked), so the table fits a window; the API,
    CSV and JSON keep every column."""
    return [v for v in variables if not (v.endswith("Label") and v[:-len("Label")] in variables)]


def heading(variable: str) -> str:
    """``saidBy`` → "said by", ``eventLabel`` → "event label"."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", variable).lower()


def editor_examples() -> list[dict]:
    """The saved queries as examples for the query editor, their parameters set to the
    defaults by a VALUES block at the start of the outer WHERE group (equivalent to the
    API's binding: FILTERs in the group see the values). The values are printed from typed
    terms of the saved query's own defaults, never from request text."""
    minter = context.settings().minter
    examples = []
    for q in saved_queries().values():
        text = q.text
        defaults = {n: p.default for n, p in q.params.items() if p.default is not None}
        if q.params and len(defaults) == len(q.params):
            terms = q.bind(defaults, minter)
            block = " VALUES ({}) {{ ({}) }}  # parameters: the saved query's defaults\n".format(
                " ".join(f"?{v.value}" for v in terms), " ".join(str(t) for t in terms.values()))
            text = with_values(text, block)
        examples.append({"name": q.name, "title": q.title, "description": q.description, "query": text})
    return examples


# -- search ------------------------------------------------------------------------------------------

def run_search(q: str, limit: int = 20, kind: str | None = None) -> list[dict]:
    store, dataset, s = context.store(), context.query_dataset(), context.settings()
    level = (context.can_read_restricted(), s.include_inferred, s.union_default_graph)
    index = current_app.extensions["justicegraph.search"].get(
        ("search", *level), lambda: store_fingerprint(store, dataset),
        lambda: SearchIndex.build(label_rows(store, dataset)))
    hits = index.search(q, limit * 3 if kind else limit)
    if kind:
        hits = [h for h in hits if any(t.endswith("#" + kind) for t in h["types"])][:limit]
    for hit in hits:
        hit["href"] = entity.local_href(hit["iri"], s.base) or hit["iri"]
        hit["kind"] = entity.kind_of(hit["types"])
        hit["id"] = s.minter.record_id(hit["iri"])  # what a saved-query form's field takes
    return hits


@bp.get("/api/search")
def api_search():
    q = request.args.get("q", "")
    try:
        limit = int(request.args.get("limit", "20"))
    except ValueError:
        return error(400, "limit must be an integer between 1 and 100")
    if not 1 <= limit <= 100:
        return error(400, "limit must be an integer between 1 and 100")
    kind = request.args.get("type") or None
    if kind is not None and not re.fullmatch(r"[A-Za-z]+", kind):
        return error(400, "type must be a class name of the ontology, e.g. Person or Prison")
    if not q:
        return error(400, "q (the name to look for) is required")
    return jsonify({"q": q, "results": run_search(q, limit, kind)})


# -- OpenAPI ------------------------------------------------------------------------------------------

@bp.get("/api/openapi.json")
def openapi():
    return jsonify(openapi_document(list(saved_queries().values()), request.host_url.rstrip("/")))


# Absolute http(s) IRIs this API accepts: host, path, optional query and fragment, ASCII
# (percent-encode anything else). Narrower than RFC 3987 so that the schema never promises
# what the parser refuses.
_CHARS = r"\-A-Za-z0-9._~!$&'()*+,;=:@/"
_PCT = r"%[0-9A-Fa-f]{2}"
HTTP_IRI = (rf"https?://[A-Za-z0-9.-]+(/([{_CHARS}]|{_PCT})*)?(\?([{_CHARS}?]|{_PCT})*)?"
            rf"(#([{_CHARS}?]|{_PCT})*)?")
PARAM_SCHEMAS = {
    # values are stripped of surrounding white space before they are read (savedqueries)
    # a record id, an IRI, or a name (looked up like search; an unknown one is a 400)
    "entity": {"type": "string", "minLength": 1, "maxLength": 500},
    "iri": {"type": "string", "pattern": rf"^\s*{HTTP_IRI}\s*$"},
    "string": {"type": "string", "minLength": 1},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
}
ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["status", "message"],
    "properties": {"status": {"type": "integer"}, "title": {"type": "string"}, "message": {"type": "string"}}}}}
RESULTS_SCHEMA = {"type": "object", "required": ["head"], "properties": {
    "head": {"type": "object", "properties": {"vars": {"type": "array", "items": {"type": "string"}}}},
    "results": {"type": "object", "properties": {"bindings": {"type": "array", "items": {"type": "object"}}}},
    "boolean": {"type": "boolean"}}}
OBJECT = {"type": "object"}
TEXT = {"type": "string"}


def _content(*types, schema=None) -> dict:
    return {t: {"schema": schema if (schema and "json" in t) else (OBJECT if "json" in t else TEXT)} for t in types}


def _errors(*statuses, html: bool = False) -> dict:
    """Error answers: the JSON error shape, and for pages also an HTML error page."""
    described = {400: "Bad parameter value", 404: "Not found", 406: "No acceptable representation",
                 413: "Query text too long", 429: "Too many requests"}
    content = _content(JSON, schema=ERROR_SCHEMA)
    if html:
        content[HTML] = {"schema": TEXT}
    return {str(s): {"description": described[s], "content": content} for s in statuses}


def _op(summary, responses, params=(), description=None, tags=("pages",)) -> dict:
    op = {"summary": summary, "tags": list(tags), "parameters": list(params), "responses": responses}
    if description:
        op["description"] = description
    return {"get": op}


def _query_param(name, schema, description="", required=False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def _path_param(name, pattern, description) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "pattern": pattern}}


def _or_empty(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


ONTOLOGY_TYPES = ("application/rdf+xml", "text/turtle", "application/n-triples", "application/ld+json")
RDF_TYPES = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml",
             "application/trig", "application/n-quads")


def openapi_document(queries, server: str) -> dict:
    """OpenAPI 3.0 description of every route of the pages and the API blueprints."""
    page = {"200": {"description": "HTML page or its JSON twin", "content": _content(HTML, JSON)}}
    json_twin = {"200": {"description": "The page's JSON twin", "content": _content(JSON)}}
    ident = _path_param("id", r"^[a-z0-9][a-z0-9-]{0,127}(\.(html|json|ttl|jsonld|nt|rdf|trig|nq))?$",
                        "Record id, optionally with a suffix choosing the representation")
    graph = _path_param("path", r"^[a-z0-9][a-z0-9-]*(\.(html|json|ttl|jsonld|nt|rdf|trig|nq))?$",
                        "Graph path under {base}graph/ (one segment here; nested paths work too)")
    activity = _path_param("id", r"^[A-Za-z0-9][A-Za-z0-9-]{0,127}(\.(html|json|ttl|jsonld|nt|rdf|trig|nq))?$",
                           "Activity id (nested paths such as {token}/input/{n} work too)")
    version = _path_param("id", r"^(alignment|[0-9]+\.[0-9]+\.[0-9]+)(\.(ttl|rdf|owl|nt|jsonld|html|json))?$",
                          "A version (0.2.0) or alignment (nested: alignment/0.2.0)")
    scheme = _path_param("id", r"^[a-z][a-z-]{0,63}(\.(ttl|rdf|nt|jsonld))?$",
                         "A scheme (role); nested paths name a concept (role/detainee)")
    vocabulary_answers = {
        "200": {"description": "SKOS in RDF; RDF/XML when no Accept", "content": _content(*ONTOLOGY_TYPES)},
        "303": {"description": "A browser: to the concept's entry in the ontology documentation"},
        **_errors(404, 406, html=True)}
    paths = {
        "/": _op("Home: what the graph holds, search, saved queries", page),
        "/index.json": _op("Home page as JSON", json_twin),
        "/search": _op("Search results page", {**page, **_errors(413)}, [_query_param("q", TEXT, "Name to look for")]),
        "/search.json": _op("Search results as JSON", {**json_twin, **_errors(413)}, [_query_param("q", TEXT)]),
        "/id/{id}": _op("Dereference an entity IRI ({base}id/{id})", {
            "200": {"description": "The entity: HTML, page JSON or RDF by Accept or suffix",
                    "content": _content(HTML, JSON, *RDF_TYPES)}, **_errors(404, 406, html=True)}, [ident]),
        "/graph/{path}": _op("Dereference a graph IRI: its provenance description", {
            "200": {"description": "The graph's provenance", "content": _content(HTML, JSON, *RDF_TYPES)},
            **_errors(404, 406, html=True)}, [graph]),
        "/query": _op("The query editor (YASGUI)", page),
        "/query.json": _op("The query editor's configuration: endpoint, prefixes, examples", json_twin),
        "/ontology": _op("The core ontology: RDF/XML (no Accept, */*), Turtle, N-Triples, JSON-LD; HTML "
                         "documentation for a browser", {
            "200": {"description": "The ontology", "content": _content(*ONTOLOGY_TYPES, HTML, JSON)},
            **_errors(406)}),
        **{f"/{kind}/{{id}}": _op(f"Dereference a {kind} activity IRI ({{base}}{kind}/…): its PROV-O description", {
            "200": {"description": "The activity: HTML, page JSON or RDF by Accept or suffix",
                    "content": _content(HTML, JSON, *RDF_TYPES)}, **_errors(404, 406, html=True)}, [activity])
           for kind in ("load", "reasoning", "write")},
        "/ontology/{id}": _op("An ontology version or the alignments (…/ontology/{version}, …/ontology/alignment)", {
            "200": {"description": "The ontology document; RDF/XML when no Accept",
                    "content": _content(HTML, JSON, *ONTOLOGY_TYPES)}, **_errors(404, 406, html=True)}, [version]),
        "/vocab": _op("Every controlled vocabulary (SKOS)", vocabulary_answers),
        "/vocab/": _op("Every controlled vocabulary (SKOS)", vocabulary_answers),
        "/vocab/{id}": _op("A concept scheme (with its concepts) or a concept", vocabulary_answers, [scheme]),
        "/context.jsonld": _op("The JSON-LD context of every JSON-LD answer", {
            "200": {"description": "A JSON-LD context", "content": _content("application/ld+json")}}),
        "/dump": _op("Every visible graph as gzipped N-Quads (streamed)", {
            "200": {"description": "gzip of N-Quads", "content": {"application/gzip": {"schema": TEXT}}}}),
        "/api/search": _op("Search names and spellings", {
            "200": {"description": "Ranked matches", "content": _content(JSON, schema={
                "type": "object", "required": ["q", "results"], "properties": {
                    "q": TEXT, "results": {"type": "array", "items": {"type": "object", "required": ["iri", "label"]}}}})},
            **_errors(400, 413, 429)}, [
            _query_param("q", {"type": "string", "minLength": 1}, "Name in any spelling or script", True),
            _query_param("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
            _query_param("type", {"type": "string", "pattern": "^[A-Za-z]*$"}, "Class name, e.g. Person "
                         "(empty: any class)")],
            tags=("search",)),
        "/api/queries": _op("The saved queries and their parameters", {
            "200": {"description": "List", "content": _content(JSON)}, **_errors(429)}, tags=("saved queries",)),
        "/api/openapi.json": _op("This description", json_twin, tags=("meta",)),
    }
    for q in queries:
        params = [_query_param(p.name, {**PARAM_SCHEMAS[p.type], **({"enum": list(p.enum)} if p.enum else {})},
                               p.description, p.required) for p in q.params.values()]
        answers = {"200": {"description": "Results", "content": _content(SPARQL_JSON, JSON, CSV, HTML,
                                                                         schema=RESULTS_SCHEMA)}}
        paths[f"/api/queries/{q.name}"] = _op(q.title, {**answers, **_errors(400, 406, 429)}, params,
                                              q.description, ("saved queries",))
        # The form sends every field; an emptied field means "the default".
        form_params = [{**p, "schema": _or_empty(p["schema"])} for p in params]
        paths[f"/queries/{q.name}"] = _op(q.title + " (form)", {**answers, **_errors(400, 406, html=True)},
                                          form_params, q.description, ("saved queries",))
    return {"openapi": "3.0.3",
            "info": {"title": "justicegraph pages and API", "version": "1",
                     "description": "Linked-data pages, saved queries and search over the justicegraph "
                                    "knowledge graph. The SPARQL endpoint is described by its Service Description."},
            "servers": [{"url": server}], "paths": paths}
