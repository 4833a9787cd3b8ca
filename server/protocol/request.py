"""Reading a SPARQL 1.1 Protocol request (§2.1 query, §2.2 update) into one object, with the
protocol's errors: a repeated or mixed query/update is 400, update by GET is 400, a body
media type the protocol does not define is 415, a charset other than UTF-8 is 415."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import request

from justicegraph.server.web.errors import ApiError

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"
ACCEPTED_BODIES = (FORM, QUERY_BODY, UPDATE_BODY)


@dataclass
class ProtocolRequest:
    operation: str | None  # "query", "update", or None (service description)
    text: str = ""
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    using_graphs: list[str] = field(default_factory=list)
    using_named: list[str] = field(default_factory=list)
    format: str | None = None


def _lists(sources, name: str) -> list[str]:
    values: list[str] = []
    for source in sources:
        values.extend(source.getlist(name))
    return values


def parse_request() -> ProtocolRequest:
    if request.method in ("GET", "HEAD"):
        sources = [request.args]
        queries, updates = _lists(sources, "query"), _lists(sources, "update")
        if updates:
            raise ApiError(400, "SPARQL Update must be sent with POST, not GET (SPARQL 1.1 Protocol §2.2).")
    else:
        sources, queries, updates = _post_texts()
    if len(queries) + len(updates) > 1:
        what = "query" if not updates else "update" if not queries else "query and update"
        raise ApiError(400, f"The request carries more than one {what} text; send exactly one "
                            "'query' or one 'update'.")
    dataset = {name: _lists(sources, name) for name in
               ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri")}
    fmt = (request.args.get("format") or (request.form.get("format") if request.mimetype == FORM else None))
    if queries:
        if dataset["using-graph-uri"] or dataset["using-named-graph-uri"]:
            raise ApiError(400, "using-graph-uri and using-named-graph-uri apply to updates, not queries.")
        explicit = bool(dataset["default-graph-uri"] or dataset["named-graph-uri"])
        return ProtocolRequest(
            "query", queries[0],
            default_graphs=dataset["default-graph-uri"] if explicit else None,
            named_graphs=dataset["named-graph-uri"] if explicit else None,
            format=fmt)
    if updates:
        if dataset["default-graph-uri"] or dataset["named-graph-uri"]:
            raise ApiError(400, "default-graph-uri and named-graph-uri apply to queries; an update "
                                "takes using-graph-uri and using-named-graph-uri.")
        return ProtocolRequest("update", updates[0], using_graphs=dataset["using-graph-uri"],
                               using_named=dataset["using-named-graph-uri"], format=fmt)
    if request.method == "POST":
        raise ApiError(400, "A POST to /sparql must carry a 'query' or an 'update'.")
    return ProtocolRequest(None, format=fmt)


def _post_texts():
    mimetype = request.mimetype
    if not mimetype:
        raise ApiError(415, "A POST to /sparql needs a Content-Type: application/x-www-form-urlencoded, "
                            "application/sparql-query or application/sparql-update.",
                       {"accepted": list(ACCEPTED_BODIES)})
    if mimetype not in ACCEPTED_BODIES:
        raise ApiError(415, f"Unsupported media type {mimetype!r} for a POST to /sparql.",
                       {"accepted": list(ACCEPTED_BODIES)})
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiError(415, f"Query and update text must be UTF-8, not {charset!r}.")
    if mimetype == FORM:
        sources = [request.args, request.form]
        return sources, _lists(sources, "query"), _lists(sources, "update")
    try:
        body = request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"The body is not valid UTF-8: {exc}.") from None
    if "query" in request.args or "update" in request.args:
        raise ApiError(400, "A direct POST carries its text in the body; do not also pass "
                            "'query' or 'update' in the URL.")
    if mimetype == QUERY_BODY:
        return [request.args], [body], []
    return [request.args], [], [body]
