"""A public-only second dataset, for engines with no access mechanism of their own
(``oxigraph serve``): a second engine, its own location, that holds exactly the public
graphs (docs/scaling.md, "Public dataset").

Setting ``store_public_url`` (a ``sparql+http://…`` location like ``store``) attaches it to
the RemoteStore as ``store.public``. Then:

- anonymous readers are answered by it over its own default dataset — the union default
  graph (``union-default-graph``), or its default graph and all its named graphs — with no
  graph list: restricted data is simply not there;
- every write of ours follows the primary: the public part of a change's *removals* is
  applied to it before the primary is written, the public part of its *additions* after
  (``withdraw`` / ``follow``), so at every moment it holds a subset of what was public both
  before and after the write — never anything the write withdraws, never restricted data;
- ``justicegraph public-sync`` (``sync``) rebuilds it from the primary (repair after a
  failed write, or after data reached the primary by other means).

Our default graph, a named graph ``DEFAULT_GRAPH`` on the primary, is the public engine's
real default graph, so ``GRAPH ?g`` there enumerates public graphs only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from justicegraph import sparqltext
from justicegraph.access import is_restricted
from justicegraph.store.interface import change_as_update
from justicegraph.store.remote.base import (
    DEFAULT_GRAPH,
    EMPTY_GRAPH,
    INTERNAL,
    PublicBehind,
)
from justicegraph.store.remote.client import _JSON, _NT, RemoteStore, split_location

CHUNK_QUADS = 20_000  # quads per INSERT DATA request when rebuilding


def is_public(graph: str) -> bool:
    return graph == DEFAULT_GRAPH or not (is_restricted(graph) or graph.startswith(INTERNAL))


class PublicStore(RemoteStore):
    """The public engine, read over its own default dataset and written only by us."""

    only_public = True  # every graph it holds is public (server/web/context.py needs no listing)

    def __init__(self, query_url: str, *, primary: RemoteStore, **kwargs):
        super().__init__(query_url, **kwargs)
        self.primary = primary  # answers the datasets the public engine cannot state

    @classmethod
    def attach(cls, primary: RemoteStore, settings) -> None:
        """``primary.public`` from the settings (None without ``store_public_url``)."""
        primary.public = None
        if not settings.store_public_url:
            return
        query_url, params = split_location(settings.store_public_url)
        primary.public = cls(
            query_url, primary=primary, update_url=_join(query_url, params.get("update")),
            graph_store_url=_join(query_url, params.get("store")), engine=params.get("engine", "oxigraph"),
            query_timeout=settings.query_timeout, update_timeout=settings.store_update_timeout,
            max_response_bytes=settings.store_max_response_mb * 2**20, read_only=primary.read_only)

    # -- following the primary's writes ----------------------------------------------------
    def withdraw(self, drop: list[str], delete: list[ox.Quad]) -> None:
        """Before the primary is written: what the change withdraws leaves the public dataset
        (a failure here stops the write before anything is written). Deletions go
        CHUNK_QUADS to a request (an engine refuses a body over 128 MiB): a failure after the
        first leaves the public dataset showing less than the primary, never more."""
        delete = list(delete)
        self.apply(drop_graphs=drop, delete=delete[:CHUNK_QUADS])
        try:
            for start in range(CHUNK_QUADS, len(delete), CHUNK_QUADS):
                self.apply(delete=delete[start:start + CHUNK_QUADS])
        except (OSError, SyntaxError, PermissionError) as exc:
            raise PublicBehind(f"the change was not written, but the public dataset already lost part of what it "
                               f"withdraws ({exc}); `justicegraph public-sync` rebuilds it") from exc

    def follow(self, insert: list[ox.Quad]) -> None:
        """After the primary is written: the change's public additions, CHUNK_QUADS to a request."""
        try:
            self.bulk_import(insert)
        except (OSError, SyntaxError, PermissionError) as exc:
            raise PublicBehind(f"the change was written, but the public dataset could not follow ({exc}); it "
                               "misses the change's additions until `justicegraph public-sync`") from exc

    # -- reading --------------------------------------------------------------------------
    def query(self, query: str, *, default_graph=None, named_graphs=None, union=False, substitutions=None):
        found = sparqltext.shape(query)
        if default_graph is None and named_graphs is None:
            own = union or not found.dataset_spans  # FROM in the text (no union): its own dataset
        elif not union and _only_default(default_graph):
            # our default graph and every (public) graph: the engine's own default dataset
            own = named_graphs is None or {g.value for g in named_graphs} == set(self.graphs())
        else:
            own = False
        if not own:
            return self._on_primary(query, found, default_graph, named_graphs, substitutions)
        text = sparqltext.without_dataset_clauses(query, found) if found.dataset_spans else query
        if substitutions:
            text = sparqltext.bind(text, substitutions, sparqltext.shape(text))
        tabular = found.form in ("SELECT", "ASK")
        data = [("query", text), *([("union-default-graph", "")] if union else [])]
        body, media = self._post(self.query_url, data, _JSON if tabular else _NT, self.query_timeout,
                                 limit=sparqltext.limit(query, found), session=self._anonymous)
        return self._answer(body, media, tabular)

    def _on_primary(self, query: str, found, default_graph, named_graphs, substitutions):
        """A dataset the engine's parameters cannot state here (lists with our default graph,
        FROM clauses): the primary with the same lists, cut down to public graphs."""
        if default_graph is None and named_graphs is None:
            default_graph = [ox.NamedNode(g) for g in found.from_default]
            named_graphs = [ox.NamedNode(g) for g in found.from_named]
        elif default_graph is None:
            default_graph = [ox.DefaultGraph()]
        default = [g for g in default_graph or () if isinstance(g, ox.DefaultGraph) or is_public(g.value)]
        named = [g for g in named_graphs or () if is_public(g.value) and g.value != DEFAULT_GRAPH]
        return self.primary.query(query, default_graph=default or [ox.NamedNode(EMPTY_GRAPH)],
                                  named_graphs=named, substitutions=substitutions)

    def graphs(self) -> list[str]:
        return [g for g in super().graphs() if is_public(g)]

    def _graph_quads(self, graph: str | None) -> Iterator[ox.Quad]:
        where = f"GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        name = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        triples = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}")
        return (ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)

    def __len__(self) -> int:
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
        return int(next(iter(rows))["n"].value)

    # -- writing (ours only) ----------------------------------------------------------------
    def apply(self, *, drop_graphs: Iterable[str] = (), delete: Iterable[ox.Quad] = (),
              insert: Iterable[ox.Quad] = ()) -> None:
        """The public part of a change, in one request (one transaction on Oxigraph). Quads
        and graphs in the primary's stored form (``DEFAULT_GRAPH``) or with DefaultGraph."""
        self._refuse_if_read_only()
        drop = sorted({g for g in drop_graphs if is_public(g)})
        delete, insert = _public_quads(delete), _public_quads(insert)
        if any(isinstance(t, ox.BlankNode) for q in delete for t in (q.subject, q.object)):
            raise ValueError("blank nodes cannot be deleted by value (the primary rewrites their graphs)")
        if not (drop or delete or insert):
            return
        clear = ["CLEAR SILENT DEFAULT"] if DEFAULT_GRAPH in drop else []
        text = change_as_update([g for g in drop if g != DEFAULT_GRAPH], delete, insert)
        self._post(self.update_url, [("update", " ;\n".join([*clear, text] if text else clear))], "*/*",
                   self.update_timeout)

    def bulk_import(self, quads: Iterable[ox.Quad]) -> None:
        chunk: list[ox.Quad] = []
        for q in quads:
            chunk.append(q)
            if len(chunk) >= CHUNK_QUADS:
                self.apply(insert=chunk)
                chunk = []
        self.apply(insert=chunk)

    def clear(self) -> None:
        self._refuse_if_read_only()
        self._post(self.update_url, [("update", "DROP SILENT ALL")], "*/*", self.update_timeout)

    def update(self, update: str, *, grant: bool = True) -> None:
        raise PermissionError("the public dataset is written only from the primary's changes")


def sync(primary: RemoteStore) -> dict[str, int]:
    """Rebuild the public dataset from the primary: first everything that should not be
    there leaves (graphs that are restricted, internal or gone from the primary), then each
    public graph of the primary is replaced whole, one request per graph or batch of small
    graphs (readers never see a graph half-written). Returns counts."""
    public = primary.public
    if public is None:
        raise ValueError("no public dataset is configured (store_public_url)")
    wanted = [g for g in primary.graphs() if is_public(g)]
    present = RemoteStore.graphs(public)  # every graph it holds, restricted ones included
    extra = sorted(set(present) - set(wanted))
    for start in range(0, len(extra), 500):
        public._post(public.update_url, [("update", " ;\n".join(
            f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in extra[start:start + 500]))], "*/*", public.update_timeout)
    quads = 0
    batch: list[str] = []
    pending: list[ox.Quad] = []
    for graph in [DEFAULT_GRAPH, *wanted]:
        # one graph at a time (quads(None) would be every graph, restricted ones included)
        content = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(graph))
                   for q in primary._graph_quads(graph)]
        batch.append(graph)
        pending += content
        quads += len(content)
        if len(pending) >= CHUNK_QUADS:
            public.apply(drop_graphs=batch, insert=pending)
            batch, pending = [], []
    if batch:
        public.apply(drop_graphs=batch, insert=pending)
    return {"graphs": len(wanted), "quads": quads, "removed_graphs": len(extra)}


def _public_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    out = []
    for q in quads:
        graph = q.graph_name
        if isinstance(graph, ox.DefaultGraph) or graph.value == DEFAULT_GRAPH:
            out.append(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()))
        elif is_public(graph.value):
            out.append(q)
    return out


def _only_default(default_graph) -> bool:
    return default_graph is not None and len(default_graph) == 1 and (
        isinstance(default_graph[0], ox.DefaultGraph) or default_graph[0].value == DEFAULT_GRAPH)


def _join(base: str, path: str | None) -> str | None:
    from urllib.parse import urljoin

    return urljoin(base, path) if path else None
