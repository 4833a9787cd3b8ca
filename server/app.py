"""The Flask application factory. Blueprints per concern; settings from one object;
nothing happens at import time."""

from __future__ import annotations

import importlib

from flask import Flask

from justicegraph.settings import Settings

# (module, blueprint attribute) — each concern owns its module.
BLUEPRINTS = (
    ("justicegraph.server.sparql", "bp"),      # /sparql: SPARQL 1.1 Protocol, Update, Service Description
    ("justicegraph.server.graphstore", "bp"),  # /graphs: Graph Store HTTP Protocol
    ("justicegraph.server.meta", "bp"),        # /healthz, /metrics, /.well-known/void
    ("justicegraph.server.api", "bp"),         # /api/…: saved queries, search, OpenAPI
    ("justicegraph.server.pages", "bp"),       # /, /id/…, /query, /ontology, /dump
)


def create_app(settings: Settings | None = None, *, store=None) -> Flask:
    """Build the app. ``settings`` defaults to the environment; ``store`` (a GraphStore)
    may be passed by tests, otherwise it is opened from ``settings.store`` on first use."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["JUSTICEGRAPH"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.extensions["justicegraph.store"] = store
    # Snapshots, executors, write sessions, metrics (server/protocol/machinery.py); one JSON error shape.
    importlib.import_module("justicegraph.server.protocol.machinery").init_app(app, store)
    importlib.import_module("justicegraph.server.web.errors").register(app)
    for module_name, attr in BLUEPRINTS:
        module = importlib.import_module(module_name)
        app.register_blueprint(getattr(module, attr))
    # Headers, rate limits, size caps and log redaction for every route (server/web/security.py).
    importlib.import_module("justicegraph.server.web.security").init_app(app)
    # CORS on every read route (server/web/cors.py).
    importlib.import_module("justicegraph.server.web.cors").init_app(app)
    # The fast lane for anonymous lookups (server/protocol/lane.py), inside the client-address
    # middleware (server/web/security.py FrontClient), so its rate limit counts the real client.
    lane = importlib.import_module("justicegraph.server.protocol.lane").Lane(app)
    client = app.wsgi_app
    lane.wsgi_app, client.app = client.app, lane
    app.extensions["justicegraph.lane"] = lane
    # … and on a remote store, on the request's thread (server/protocol/remote_lane.py).
    importlib.import_module("justicegraph.server.protocol.remote_lane").install(app)
    return app
