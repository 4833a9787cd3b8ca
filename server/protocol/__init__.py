"""How a SPARQL request becomes work on the store and bytes back to the client.

- ``machinery``: what each app process builds once (snapshots, executors, write sessions);
- ``request``: reading a Protocol request (query or update, dataset parameters);
- ``snapshot``, ``public``, ``memory``: the read-only snapshots readers query, the public
  view anonymous readers get, and serving from memory; ``publish``: a snapshot published in
  a process of its own (``justicegraph serve`` at start);
- ``caching``: ETags and conditional GET for anonymous reads;
- ``executor`` (the pools), ``process`` (one executor process, killed at the time limit),
  ``remote_diff`` (an update's change on a remote store, in such a process), ``jobs`` (the
  work one request does inside it);
- ``results``, ``results_fast``, ``jsonld``: serialisers (SPARQL results JSON/XML/CSV/TSV, RDF;
  JSON-LD compacted with a context, also for the pages);
- ``write``: every write (Update, Graph Store) — access rule, validation, one commit, audit;
- ``sd``: Service Description and VoID; ``metrics``: counters for /metrics.

May import: the core, the store's interface, validation, loaders and ``server.web``; never
``server.content`` or a blueprint. The executor process imports only ``process`` and ``jobs``
(and what they import), so it starts fast.
"""
