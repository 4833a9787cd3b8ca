"""justicegraph: a knowledge graph of the 1988 mass execution of political prisoners in Iran
and of the testimony about it, with every statement attributed to who made it.

The parts (docs/architecture.md has the diagram and the path of a load and of a query):

- core modules here: ``access`` (who sees which graphs), ``namespaces`` (IRIs), ``resources``
  (packaged files), ``edtf`` (uncertain dates), ``savedqueries`` (``queries/*.rq``), ``stats``;
  ``settings/`` (every setting); ``sparqltext/`` (the one reader of SPARQL text);
- ``store/``: the store interface, the embedded pyoxigraph store, remote engines;
- ``validation/`` (SHACL), ``reasoning/`` (HermiT), ``generate/`` (synthetic data);
- ``justicegraph.loaders`` (the top-level ``loaders/`` folder): records and RDF → the store;
- ``justicegraph.server`` (``server/``): the Flask app;
- ``cli/``: the ``justicegraph`` command.

Each layer imports only from itself and the layers above it in this list
(tests/test_layering.py checks it on the import graph, with no import cycles).
"""

__version__ = "0.1.0"
