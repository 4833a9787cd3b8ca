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
    origins = [o.strip() for o in current_app.config["JUSTICEGRAPH"].cors_origins.split(",") if o.strip()]
    origin = request.headers.get("Origin")
    if "*" in origins:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origins:
        response.vary.add("Origin")
        if not origin or origin not in origins:
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    else:
        return response
    response.headers["Access-Control-Expose-Headers"] = EXPOSED
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS" if sparql else "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type, Authorization"
        response.headers["Access-Control-Max-Age"] = "600"
    return response
