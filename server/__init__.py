"""The web server (``justicegraph.server``): a Flask app made by ``app.create_app(settings)``.

- ``app``: the factory; it registers one blueprint per concern — ``sparql`` (/sparql: SPARQL
  1.1 Protocol, Update, Service Description), ``graphstore`` (/graphs: Graph Store Protocol),
  ``meta`` (/healthz, /metrics, VoID), ``api`` (/api: saved queries, search, OpenAPI) and
  ``pages`` (/, /id/…, /query, /ontology, /dump);
- ``web/``: request plumbing every blueprint shares (context, content negotiation, errors,
  security headers and limits, access log);
- ``protocol/``: how a request becomes work on the store and bytes back (snapshots, executor
  processes with a time limit, jobs, writes, result serialisers, metrics);
- ``content/``: what pages and the API read from the graph (entity descriptions, name search,
  ontology documentation).

Layering (tests/test_layering.py): ``web`` < ``protocol`` and ``content`` < the blueprints;
the server may import every lower layer of ``justicegraph`` (core, store, validation,
loaders), never ``justicegraph.cli``. Nothing happens at import time.
"""
