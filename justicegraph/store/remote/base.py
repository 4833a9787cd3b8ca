"""Names every module of the remote store shares: its errors, the graphs it reserves on the
engine, and how a string becomes a SPARQL literal. A leaf: imports nothing of ours."""

from __future__ import annotations

import logging

import pyoxigraph as ox

DEFAULT_GRAPH = "urn:justicegraph:default-graph"
EMPTY_GRAPH = "urn:justicegraph:empty-graph"
STAGING_PREFIX = "urn:justicegraph:staging:"
INTERNAL = (DEFAULT_GRAPH, EMPTY_GRAPH, STAGING_PREFIX)


# The start of the message of a query the engine stopped at an evaluation error (a 400).
EVALUATION_REFUSED = "The SPARQL engine stopped the query at an evaluation error:"


class RemoteStoreError(OSError):
    """The engine could not be reached or refused the request for a reason not the caller's."""


class PublicBehind(RemoteStoreError):
    """The primary was written but the public dataset could not follow: it misses the
    change's additions (it shows less, never more) until ``justicegraph public-sync``."""


class QueryTimeout(TimeoutError):
    """The query (or update) ran past its time; the server answers 503."""


def literal(text: str) -> str:
    """A SPARQL string literal for ``text`` (serialised by pyoxigraph: nothing spliced raw)."""
    return str(ox.Literal(text))


ENGINE_FAILED = ("The SPARQL engine behind this service failed to answer (its message is in the "
                 "server's log). Retry later, or report it to the operator if it persists.")


def engine_failure(exc: Exception) -> tuple[int, str]:
    """How a server answers an engine's failure: 502 (the engine is its upstream) with a fixed
    message. The engine's own text names its internals (SQL views, grants, the query and the
    dataset we sent), so it is only logged."""
    logging.getLogger("justicegraph.store.remote.client").warning("the SPARQL engine failed: %s", exc)
    return 502, ENGINE_FAILED
