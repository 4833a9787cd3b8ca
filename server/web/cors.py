"""CORS: a script on another origin may read every read route (pages' RDF and JSON twins,
the ontology, vocabularies, the JSON-LD context, VoID, the dump, the API) and /sparql.

The ``cors_origins`` setting: ``*`` (default) answers ``Access-Control-Allow-Origin: *``
on every read, with or without an ``Origin`` header (one answer for every cache), and never
``Allow-Credentials``: no cookie or cached HTTP login travels. A script may still send a
bearer token it holds itself (the preflight allows ``Authorization``): a token is never
ambient, so no page can use a reader's token behind their back. Listed origins are echoed
(``Vary: Origin``) with ``Access-Control-Allow-Credentials: true``; others get no CORS
header. Empty: CORS off. Writes (PUT, DELETE, POST outside /sparql) get none.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

READS = frozenset({"GET", "HEAD", "OPTIONS"})
EXPOSED = "X-JusticeGraph-Truncated, X-JusticeGraph-Row-Cap, Content-Type, Content-Length, Link, Vary, ETag"


def init_app(app: Flask) -> None:
    app.after_request(apply)


def apply(response: Response) -> Response:
    sparql = request.path == "/sparql"  # a POST there is a query (or an update with the token)
    if request.method not in READS and not sparql:
        return response
    headers, vary_origin = headers_for(current_app.config["JUSTICEGRAPH"].cors_origins,
                                       request.headers.get("Origin"), request.method, sparql)
    if vary_origin:
        response.vary.add("Origin")
    for name, value in headers:
        response.headers[name] = value
    return response


def headers_for(setting: str, origin: str | None, method: str, sparql: bool) -> tuple[list, bool]:
    """The CORS headers of a read (``method`` in READS, or any request to /sparql), and
    whether the answer varies by Origin — the same for the app and its fast lane
    (server/protocol/lane.py)."""
    origins = [o.strip() for o in setting.split(",") if o.strip()]
    headers = []
    if "*" in origins:
        headers.append(("Access-Control-Allow-Origin", "*"))
    elif origins:
        if not origin or origin not in origins:
            return headers, True
        headers += [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
    else:
        return headers, False
    headers.append(("Access-Control-Expose-Headers", EXPOSED))
    if method == "OPTIONS":
        headers += [("Access-Control-Allow-Methods", "GET, POST, OPTIONS" if sparql else "GET, HEAD, OPTIONS"),
                    ("Access-Control-Allow-Headers", "Accept, Content-Type, Authorization"),
                    ("Access-Control-Max-Age", "600")]
    return headers, bool(origins) and "*" not in origins
