"""Who may see which graphs.

The rule is structural and needs no lookup: a graph is **restricted** exactly when its IRI
ends with ``/restricted`` (the loaders put restricted records only there, and the restricted
provenance graph follows the same rule). Every query's dataset is cut down to the graphs the
caller may see — through pyoxigraph's ``default_graph``/``named_graphs`` — never by
rewriting query text.
"""

from __future__ import annotations

import hmac

import pyoxigraph as ox

RESTRICTED_SUFFIX = "/restricted"


def is_restricted(graph: str) -> bool:
    return graph.endswith(RESTRICTED_SUFFIX)


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an unset expected token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def visible_graphs(all_graphs: list[str], *, restricted_ok: bool, exclude: tuple[str, ...] = ()) -> list[str]:
    return [g for g in all_graphs if (restricted_ok or not is_restricted(g)) and g not in exclude]


def dataset(
    all_graphs: list[str],
    *,
    restricted_ok: bool,
    union: bool = True,
    default_graph_uris: list[str] | None = None,
    named_graph_uris: list[str] | None = None,
    exclude: tuple[str, ...] = (),
    stable: bool = False,
) -> dict:
    """Keyword arguments for ``GraphStore.query`` that restrict a query to what the caller
    may see. ``all_graphs`` must be every named graph of the store (leave graphs out with
    ``exclude``): when nothing is hidden the engine's own union is used — for a caller who
    may see everything, or on a ``stable`` store (a read-only snapshot, a store only this
    process writes), where "nothing is hidden" cannot stop being true before the query runs.
    Elsewhere a caller who may not read restricted graphs always gets the list of visible
    names: the union would be the store's graphs when the query runs, and a restricted graph
    written meanwhile by another process would be in it. Protocol dataset parameters (or
    FROM/FROM NAMED, passed here by the caller) can only narrow the visible set, never widen it."""
    visible = visible_graphs(all_graphs, restricted_ok=restricted_ok, exclude=exclude)
    allowed = set(visible)
    explicit = default_graph_uris is not None or named_graph_uris is not None
    if not explicit and union and len(visible) == len(all_graphs) and (restricted_ok or stable):
        # Nothing to hide: the engine's own union is ~100x faster than an explicit list of
        # graphs (pyoxigraph evaluates each pattern once per listed graph).
        return {"union": True}
    if explicit:
        default = [ox.NamedNode(g) for g in (default_graph_uris or []) if g in allowed]
        named = [ox.NamedNode(g) for g in (named_graph_uris or []) if g in allowed]
        # An explicit dataset with no visible graph must still be an (empty) explicit dataset.
        return {"default_graph": default or [_EMPTY], "named_graphs": named}
    named_nodes = [ox.NamedNode(g) for g in visible]
    if union:
        return {"default_graph": [ox.DefaultGraph(), *named_nodes], "named_graphs": named_nodes}
    return {"default_graph": [ox.DefaultGraph()], "named_graphs": named_nodes}


# A graph name that holds nothing: stands for "no visible graph" in an explicit dataset.
_EMPTY = ox.NamedNode("urn:justicegraph:empty-graph")
