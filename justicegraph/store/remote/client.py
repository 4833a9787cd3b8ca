"""A GraphStore on a remote SPARQL engine, over SPARQL 1.1 Query, Update and the Graph
Store Protocol (see docs/scaling.md).

``JUSTICEGRAPH_STORE=sparql+http://host:port/query?update=/update&store=/store&engine=oxigraph``
— the query endpoint, then update and Graph Store endpoints relative to it (or absolute),
and the engine's dialect; the settings ``store_update_url``, ``store_graph_store_url``,
``store_engine``, ``store_user``/``store_password``/``store_auth`` override them.
``read=/sparql-auth`` (``store_read_url``, with ``store_reader_user``/``_password``) turns on
engine-side graph security (justicegraph/store/remote/access.py): queries then carry no graph list.

Guarantees kept from the embedded store:
- access control: every query carries an explicit dataset (``default-graph-uri`` /
  ``named-graph-uri``) — or, with engine-side graph security at scale, goes to the endpoint
  whose account may read exactly the caller's graphs; FROM / FROM NAMED in the text are cut
  out and never widen it;
- results are pyoxigraph objects (``QuerySolutions``, ``QueryBoolean``, ``QueryTriples``);
- writes: one Update request on engines where a request is a transaction (Oxigraph,
  generic SPARQL 1.1) — a change too big for one request is staged in hidden graphs and
  applied by one small final request; on Virtuoso, which commits each operation on its own,
  new content is staged in hidden graphs first and swapped in graph by graph;
- bounded: connect/read timeouts, a total deadline per query (``QueryTimeout``, a
  TimeoutError) and a response size cap; engine-side truncation or partial answers raise.

The engine's own default graph is not expressible in the protocol's dataset parameters, so
justicegraph's default graph is the named graph ``DEFAULT_GRAPH`` on remote engines.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pyoxigraph as ox
import requests

from justicegraph import sparqltext
from justicegraph.access import is_restricted
from justicegraph.store.interface import change_as_update
from justicegraph.store.remote import access as remote_access
from justicegraph.store.remote import dialect as dialects
from justicegraph.store.remote import order as remote_order
from justicegraph.store.remote.base import (
    DEFAULT_GRAPH,
    EMPTY_GRAPH,
    INTERNAL,
    STAGING_PREFIX,
    QueryTimeout,
    RemoteStoreError,
)
from justicegraph.store.remote.wire import Wire

_JSON = "application/sparql-results+json"
_NT = "application/n-triples"


def _dataset_pragmas(default: list[str], named: list[str]) -> str:
    """Virtuoso's statement of a query dataset, from IRIs serialised by pyoxigraph."""
    parts = [f"define input:default-graph-uri {ox.NamedNode(g)}" for g in default]
    parts += [f"define input:named-graph-uri {ox.NamedNode(g)}" for g in named]
    return "\n".join(parts) + "\n"


class RemoteStore:
    def __init__(self, query_url: str, *, update_url: str | None = None, graph_store_url: str | None = None,
                 engine: str = "auto", user: str = "", password: str = "", auth: str = "auto",
                 query_timeout: float = 30.0, update_timeout: float = 600.0,
                 max_response_bytes: int = 512 * 2**20, read_only: bool = False,
                 read_url: str | None = None, reader_user: str = "", reader_password: str = "",
                 graphs_max_age: float = 1.0):
        self.query_url = query_url
        # Engine-side graph security (remote_access.py): query_url answers as the anonymous
        # user (public graphs only), read_url as an account that reads every graph of ours.
        self.read_url = read_url
        self.update_url = update_url or query_url
        self.graph_store_url = graph_store_url
        self.read_only = read_only
        self.query_timeout = query_timeout
        self.update_timeout = update_timeout
        self.max_response_bytes = max_response_bytes
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "justicegraph-remote-store"
        self._reader = requests.Session()  # queries through read_url (never the writer's account)
        self._reader.headers["User-Agent"] = "justicegraph-remote-store"
        self._anonymous = requests.Session()  # queries through query_url: no credentials at all
        self._anonymous.headers["User-Agent"] = "justicegraph-remote-store"
        self._wires: dict[str, Wire] = {}  # the anonymous session's queries, by URL (wire.py)
        self._reader_user, self._reader_password = reader_user, reader_password
        self._listed: list[str] | None = None  # the last graphs() answer
        # known_graphs(): the last listing and when it was taken, reused for graphs_max_age
        # seconds (a server's reads: no listing per query); our own writes drop it at once
        self.graphs_max_age = graphs_max_age
        self._known: tuple[float, list[str]] | None = None
        self._known_lock = threading.Lock()
        self._engine_name, self._user, self._password, self._auth = engine, user, password, auth
        self._dialect: dialects.Dialect | None = None
        self.public = None  # the public-only second dataset (remote_public.py), when configured

    def spec(self) -> dict:
        """Keyword arguments that open this same store again (e.g. in another process)."""
        return dict(query_url=self.query_url, update_url=self.update_url, graph_store_url=self.graph_store_url,
                    engine=self._engine_name, user=self._user, password=self._password, auth=self._auth,
                    query_timeout=self.query_timeout, update_timeout=self.update_timeout,
                    max_response_bytes=self.max_response_bytes, read_only=self.read_only, read_url=self.read_url,
                    reader_user=self._reader_user, reader_password=self._reader_password,
                    graphs_max_age=self.graphs_max_age)

    @property
    def dialect(self) -> dialects.Dialect:
        if self._dialect is None:
            name = self._engine_name
            if name == "auto":
                name = dialects.detect(self._session, self.query_url)
            self._dialect = dialects.by_name(name)
            scheme = self._auth if self._auth != "auto" else self._dialect.auth
            kind = requests.auth.HTTPDigestAuth if scheme == "digest" else requests.auth.HTTPBasicAuth
            if self._user:
                self._session.auth = kind(self._user, self._password)
            if self._reader_user:
                self._reader.auth = kind(self._reader_user, self._reader_password)
            if self.read_url and not self._dialect.graph_security:
                raise ValueError(f"engine-side graph security (read=…) is not available on {self._dialect.name}")
        return self._dialect

    # -- reading --------------------------------------------------------------------------
    def query(self, query: str, **dataset):
        try:
            return self._query(query, **dataset)
        except dialects.QueryRefused as refused:
            # An engine that cannot sort this answer (Virtuoso: a value > ~4 KB in a sorted row)
            # is asked for it unsorted, and the ORDER BY is applied here (remote_order.py).
            parts = remote_order.split(query) if any(c in str(refused) for c in remote_order.SORT_REFUSED) else None
            ordered = parts and remote_order.order(self._query(parts.unsorted, **dataset), parts)
            if ordered is None:
                raise
            return ordered

    def _query(self, query: str, *, default_graph=None, named_graphs=None, union=False, substitutions=None,
               anonymous: bool = False):
        found = sparqltext.shape(query)
        if found.pragmas and self.dialect.dataset_pragmas:
            raise SyntaxError("engine pragmas ('define …') are not accepted: they could change the dataset")
        text = sparqltext.without_dataset_clauses(query, found) if found.dataset_spans else query
        if default_graph is None and named_graphs is None and not union and found.dataset_spans:
            # No dataset from the caller: the query's own FROM clauses define it (SPARQL 1.1 §13.2).
            default_graph = [ox.NamedNode(g) for g in found.from_default]
            named_graphs = [ox.NamedNode(g) for g in found.from_named]
        if substitutions:
            text = sparqltext.bind(text, substitutions, sparqltext.shape(text))
        if found.form == "DESCRIBE":  # the embedded store's description (remote_dialect.py)
            text = self.dialect.describe_preamble + text
        listed: list[list[str]] = []

        def every_graph() -> list[str]:  # the graphs, only when needed
            if not listed:
                # An anonymous read may use a listing up to graphs_max_age old (it keeps public
                # names only: a stale one can miss a new public graph, never show a restricted
                # one). Anything else lists now: a write's validation reads its context through
                # here, and a listing taken before another worker's write would leave that
                # write's data out of it (a SHACL violation let through).
                listed.append(self.known_graphs() if anonymous else self.graphs())
            return listed[0]

        tabular = found.form in ("SELECT", "ASK")
        accept, limit = self.dialect.results_media if tabular else _NT, sparqltext.limit(query, found)
        route = None
        if anonymous:
            route = self._anonymous_route(default_graph, named_graphs, union, text)
            if route is None:  # a dataset of lists: public names only, whatever the lists said
                public = [ox.NamedNode(g) for g in every_graph() if _public_name(g)]
                if default_graph is None:
                    default_graph = [ox.DefaultGraph(), *public] if union else [ox.DefaultGraph()]
                default_graph = [g for g in default_graph if isinstance(g, ox.DefaultGraph) or _public_name(g.value)]
                named_graphs = public if named_graphs is None else [g for g in named_graphs if _public_name(g.value)]
                union = False
        if route is None and self.read_url:
            route = self._engine_route(default_graph, named_graphs, union, text)
        if route is not None:  # the endpoint's account sees exactly this dataset: no list
            url, session, preamble = route
            text = preamble + text
            body, media = self._run_query(query, url, [("query", text)], accept, limit, session)
            return self._answer(body, media, tabular)
        default, named = self._dataset(default_graph, named_graphs, union, every_graph)
        if self.dialect.name_absent_graphs:
            # Virtuoso answers `VALUES ?g {<a> <b>} GRAPH ?g {…}` wrongly (no rows at all) when <b>
            # is not in named-graph-uri; IRIs that are not graphs hold nothing, naming them is safe.
            # Never a restricted or staging IRI: such a graph may be created while the query runs.
            absent = {iri for iri in sparqltext.iris(text, found) - set(every_graph()) - set(named)
                      if not is_restricted(iri) and not iri.startswith(INTERNAL)}
            named = [g for g in named if g != EMPTY_GRAPH] + sorted(absent) or named
        if self.dialect.dataset_pragmas:
            # Virtuoso echoes every dataset parameter as a response header (thousands of graphs
            # overflow HTTP clients); its own pragmas state the same dataset without that.
            text = _dataset_pragmas(default, named) + text
            data = [("query", text)]
        else:
            data = [("query", text), *(("default-graph-uri", g) for g in default),
                    *(("named-graph-uri", g) for g in named)]
        url, session = (self.read_url, self._reader) if self.read_url else (self.query_url, self._session)
        body, media = self._run_query(query, url, data, accept, limit, session)
        return self._answer(body, media, tabular)

    def _run_query(self, query: str, url: str, data, accept: str, limit, session) -> tuple[bytes, str]:
        try:
            return self._post(url, data, accept, self.query_timeout, limit=limit, session=session)
        except dialects.QueryRefused as refused:
            # the engine's compiler refused the caller's text: say where, in the caller's lines
            # (its own position counts our pragma lines), as the embedded store does
            raise sparqltext.syntax_error(query) or refused from None

    def _answer(self, body: bytes, media: str, tabular: bool):
        self.dialect.complete(body, tabular)
        if tabular:
            xml = "xml" in media  # the dialect may ask for XML results (Virtuoso: written faster)
            return ox.parse_query_results(self.dialect.fix_results(body),
                                          format=ox.QueryResultsFormat.XML if xml else ox.QueryResultsFormat.JSON)
        return _as_query_triples(self.dialect.fix_rdf(body), media)

    def _engine_route(self, default_graph, named_graphs, union, text: str) -> tuple[str, requests.Session, str] | None:
        """With engine-side graph security: the endpoint whose account sees exactly the
        requested dataset, when it is "the union of every graph visible to the caller"
        (remote_access.py); None: list the dataset as usual. Decided against the last
        graphs() listing (the server lists before every query): the union of everything goes
        to the read account only if a restricted graph existed then — otherwise to the
        anonymous one, so a restricted graph created meanwhile cannot reach a caller who was
        given the union because nothing was hidden from them."""
        listed = self._listed if self._listed is not None else self.graphs()
        constant = sparqltext.constant_graph(text)
        preamble = "" if constant else self.dialect.secured_preamble
        union_preamble = "" if constant else preamble + self.dialect.secured_union
        anonymous = (self.query_url, self._anonymous, union_preamble)
        reader = (self.read_url, self._reader, union_preamble)
        if default_graph is None and named_graphs is None:
            if union:
                return reader if any(is_restricted(g) for g in listed) else anonymous
            if constant:  # Virtuoso: with a default graph stated, GRAPH <iri> finds nothing
                return None
            # the store's own default graph, and every named graph (SPARQL's default dataset)
            return self.read_url, self._reader, preamble + f"define input:default-graph-uri <{DEFAULT_GRAPH}>\n"
        if default_graph is None or named_graphs is None:
            return None
        named = {g.value for g in named_graphs}
        default = {DEFAULT_GRAPH if isinstance(g, ox.DefaultGraph) else g.value for g in default_graph}
        public = {g for g in listed if not is_restricted(g)}
        if named == public and default == public | {DEFAULT_GRAPH} and len(named) == len(named_graphs):
            return anonymous
        return None

    def _anonymous_route(self, default_graph, named_graphs, union, text: str):
        """The anonymous endpoint for the whole public dataset: engine-side graph security
        answers alone (the anonymous user reads exactly the public graphs, remote_access.py),
        so the query needs no graph list and no listing. None: a dataset the pragmas cannot
        state there (explicit lists; GRAPH <iri> with the store's own default graph)."""
        if not (self.read_url and self.dialect.graph_security) or default_graph is not None \
                or named_graphs is not None:
            return None
        constant = sparqltext.constant_graph(text)
        preamble = "" if constant else self.dialect.secured_preamble
        if union:
            return self.query_url, self._anonymous, "" if constant else preamble + self.dialect.secured_union
        if constant:
            return None
        return self.query_url, self._anonymous, preamble + f"define input:default-graph-uri <{DEFAULT_GRAPH}>\n"

    def public_view(self):
        """What answers a caller who may not read restricted graphs with no graph list: the
        public dataset (public.py) or, with engine-side graph security, the anonymous
        endpoint (AnonymousView); None when neither is configured."""
        if self.public is not None:
            return self.public
        if self.read_url and self.dialect.graph_security:
            return AnonymousView(self)
        return None

    def known_graphs(self) -> list[str]:
        """graphs(), listed again only when the last listing is older than graphs_max_age
        seconds or a write of this process came since (server reads: no listing per query).
        Writes by other processes are seen within graphs_max_age. Safe for access decisions
        only as a list of names: a restricted graph is never in a public list, whatever its
        age — but "no restricted graph exists" must not be concluded from it (a union)."""
        known = self._known
        if known is not None and time.monotonic() - known[0] < self.graphs_max_age:
            return list(known[1])
        with self._known_lock:
            known = self._known
            if known is not None and time.monotonic() - known[0] < self.graphs_max_age:
                return list(known[1])
            started = time.monotonic()  # the listing's age counts from before it was asked
            graphs = self.graphs()
            if self.graphs_max_age > 0:
                self._known = (started, graphs)
            return list(graphs)

    def _forget_graphs(self) -> None:
        self._known = None

    @staticmethod
    def _dataset(default_graph, named_graphs, union, every_graph) -> tuple[list[str], list[str]]:
        if default_graph is None:
            default = [DEFAULT_GRAPH, *every_graph()] if union else [DEFAULT_GRAPH]
        else:
            default = [DEFAULT_GRAPH if isinstance(g, ox.DefaultGraph) else g.value for g in default_graph]
        named = every_graph() if named_graphs is None else [g.value for g in named_graphs]
        # An empty list would mean "the engine's choice" (Virtuoso: every graph): name a void one.
        return default or [EMPTY_GRAPH], named or [EMPTY_GRAPH]

    def graphs(self) -> list[str]:
        if self.read_url:
            body, _ = self._post(self.read_url, [("query", self.dialect.secured_graphs_query)], _JSON,
                                 self.query_timeout, session=self._reader)
            rows = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            names = {line for row in rows for line in row["list"].value.splitlines() if line}
        else:
            body, _ = self._post(self.query_url, [("query", self.dialect.graphs_query)], _JSON, self.query_timeout)
            rows = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
            names = {row["g"].value for row in rows if isinstance(row["g"], ox.NamedNode)}
        # "nodeID://…" is how Virtuoso names a graph it keys by a blank node: SPARQL cannot
        # address it (a dataset listing it is refused), so it is no graph of ours
        hidden = (*INTERNAL, *self.dialect.system_graphs, "nodeID://")
        self._listed = sorted(g for g in names if not g.startswith(hidden))
        return list(self._listed)

    def quads(self, graph: str | None = None) -> Iterator[ox.Quad]:
        if graph is None:
            return (q for g in [*self.graphs(), None] for q in self._graph_quads(g))
        return self._graph_quads(graph)

    def _graph_quads(self, graph: str | None) -> Iterator[ox.Quad]:
        stored = graph or DEFAULT_GRAPH
        name = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        triples = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {ox.NamedNode(stored)} {{ ?s ?p ?o }} }}",
                             default_graph=[ox.NamedNode(EMPTY_GRAPH)], named_graphs=[ox.NamedNode(stored)])
        return (ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)

    def __len__(self) -> int:
        if self.read_url:  # the read account sees every graph of ours and nothing else
            text = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"  # our default graph counts too
            body, _ = self._post(self.read_url, [("query", text)],
                                 _JSON, self.query_timeout, session=self._reader)
            return int(next(iter(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)))["n"].value)
        every = [ox.NamedNode(g) for g in [*self.graphs(), DEFAULT_GRAPH]]
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                          default_graph=[ox.NamedNode(EMPTY_GRAPH)], named_graphs=every)
        return int(next(iter(rows))["n"].value)

    # -- writing --------------------------------------------------------------------------
    def update(self, update: str, *, grant: bool = True) -> None:
        """Run SPARQL Update text. ``grant=False``: the caller has already made the public
        graphs it writes readable (engine-side graph security)."""
        self._refuse_if_read_only()
        if self.dialect.dataset_pragmas:
            # Virtuoso refuses triples outside GRAPH {…} unless the preamble names a default graph.
            update = f"define input:default-graph-uri {ox.NamedNode(DEFAULT_GRAPH)}\n{update}"
        try:
            self._post(self.update_url, [("update", update)], "*/*", self.update_timeout)
        finally:  # even a failed request may have changed the store
            self._forget_graphs()
        if self.read_url and grant:  # graphs this text may have created: public ones become readable
            remote_access.publish(self, sparqltext.written_graphs(update))

    def sync_access(self) -> int:
        """Make every public graph readable by the anonymous user (engine-side graph security),
        for data written by other means (e.g. the engine's bulk loader). Returns how many."""
        if not self.read_url:
            return 0
        public = [g for g in self.graphs() if not is_restricted(g)]
        remote_access.publish(self, public)
        return len(public)

    def writer_query(self, query: str) -> bytes:
        """A query run as the writer (engine procedures that maintain graph security)."""
        body, _ = self._post(self.update_url, [("query", query)], _JSON, self.update_timeout)
        return body

    def apply(self, *, drop_graphs: Iterable[str] = (), delete: Iterable[ox.Quad] = (),
              insert: Iterable[ox.Quad] = ()) -> None:
        self._refuse_if_read_only()
        drop = list(drop_graphs)
        delete, insert = [_stored(q) for q in delete], [_stored(q) for q in insert]
        if not (drop or delete or insert):
            return
        drop, delete, insert = self._rewrite_blank_deletes(drop, delete, insert)
        if self.public is not None:  # the public dataset: removals first, additions after
            self.public.withdraw(drop, delete)
        # as the engine can store them (a stand-in datatype where it needs one: the dialect)
        engine_delete, engine_insert = list(map(self.dialect.stored, delete)), list(map(self.dialect.stored, insert))
        text = _one_request(drop, engine_delete, engine_insert) if self.dialect.atomic_requests else None
        if text is not None:
            if self.read_url:
                remote_access.publish(self, {q.graph_name.value for q in insert})
            self.update(text, grant=False)
        elif self.dialect.atomic_requests:  # one transaction, too big for one request
            dialects.staged_apply(self, drop, engine_delete, engine_insert, uuid.uuid4().hex, atomic=True)
        else:
            dialects.staged_apply(self, drop, engine_delete, engine_insert, uuid.uuid4().hex)
        if self.public is not None:
            self.public.follow(insert)

    def _rewrite_blank_deletes(self, drop: list[str], delete: list[ox.Quad], insert: list[ox.Quad]):
        """SPARQL Update cannot name a stored blank node (DELETE DATA refuses them): a graph
        losing quads with blank nodes is rewritten whole in the same change — dropped, then
        what stays of it inserted again with the new quads (its blank nodes keep their
        structure; the engine gives them new identities)."""
        blank = {q.graph_name.value for q in delete
                 if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)}
        blank -= set(drop)
        if not blank:
            return drop, delete, insert
        gone = set(delete)
        kept = [q for g in sorted(blank)
                for q in map(_stored, self._graph_quads(None if g == DEFAULT_GRAPH else g)) if q not in gone]
        return ([*drop, *sorted(blank)], [q for q in delete if q.graph_name.value not in blank],
                kept + insert)

    def bulk_import(self, quads: Iterable[ox.Quad]) -> None:
        """Fast, non-atomic import for building a fresh store: one Graph Store POST per graph."""
        self._refuse_if_read_only()
        by_graph: dict[str, list[ox.Quad]] = {}
        for q in quads:
            q = _stored(q)
            by_graph.setdefault(q.graph_name.value, []).append(q)
        for graph, group in by_graph.items():
            self.post_graph(graph, list(map(self.dialect.stored, group)))
        if self.public is not None:
            self.public.bulk_import(q for group in by_graph.values() for q in group)

    def post_graph(self, graph: str, quads: Iterable[ox.Quad]) -> None:
        """Add triples to a graph with one Graph Store Protocol POST (or INSERT DATA without one)."""
        body = ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_TRIPLES)
        if self.read_url and not graph.startswith(STAGING_PREFIX):
            remote_access.publish(self, [graph])
        if not self.graph_store_url:
            self.update(change_as_update([], [], [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(graph))
                                                  for q in quads]), grant=False)
            return
        try:
            self._request("POST", self.graph_store_url, params={"graph": graph}, data=body,
                          headers={"Content-Type": _NT}, timeout=self.update_timeout)
        finally:
            self._forget_graphs()

    def close(self) -> None:
        for session in (self._session, self._reader, self._anonymous):
            session.close()
        for wire in self._wires.values():
            wire.close()
        if self.public is not None:
            self.public.close()

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise PermissionError("this store was opened read-only")

    # -- HTTP -----------------------------------------------------------------------------
    def _post(self, url: str, data: list[tuple[str, str]], accept: str, timeout: float,
              limit: int | None = None, session: requests.Session | None = None) -> tuple[bytes, str]:
        return self._request("POST", url, data=data, headers={"Accept": accept}, timeout=timeout, limit=limit,
                             session=session)

    def _request(self, method: str, url: str, *, timeout: float, limit: int | None = None,
                 session: requests.Session | None = None, **kwargs) -> tuple[bytes, str]:
        dialect = self.dialect
        if session is self._anonymous and method == "POST" and list(kwargs) == ["data", "headers"]:
            # no credentials, a form: the lean client (wire.py), ~1 ms of CPU less than requests
            wire = self._wires.get(url)
            if wire is None:
                wire = self._wires[url] = Wire(url)
            resp, body = wire.post(kwargs["data"], kwargs["headers"]["Accept"], timeout, self.max_response_bytes)
            dialect.check(resp, body, limit)
            return body, resp.headers.get("Content-Type", "")
        deadline = time.monotonic() + timeout
        try:
            with (session or self._session).request(method, url, stream=True, timeout=(10, timeout), **kwargs) as resp:
                body = self._read(resp, deadline)
        except requests.exceptions.ConnectTimeout as exc:
            raise RemoteStoreError(f"cannot reach the SPARQL engine at {url}: {exc}") from None
        except requests.exceptions.Timeout:
            raise QueryTimeout(f"the SPARQL engine did not answer within {timeout:g} s") from None
        except requests.exceptions.RequestException as exc:
            raise RemoteStoreError(f"cannot reach the SPARQL engine at {url}: {exc}") from None
        dialect.check(resp, body, limit)
        return body, resp.headers.get("Content-Type", "")

    def _read(self, resp: requests.Response, deadline: float) -> bytes:
        chunks, size = [], 0
        for chunk in resp.iter_content(chunk_size=1 << 16):
            size += len(chunk)
            if size > self.max_response_bytes:
                raise RemoteStoreError(f"the engine's answer exceeds {self.max_response_bytes >> 20} MB; "
                                       "narrow the query (store_max_response_mb)")
            if time.monotonic() > deadline:
                raise QueryTimeout("the SPARQL engine's answer took longer than the query timeout")
            chunks.append(chunk)
        return b"".join(chunks)


class AnonymousView:
    """The remote store as a caller who may not read restricted graphs sees it, on an engine
    with graph security (Virtuoso, remote_access.py): every query goes to the anonymous
    endpoint, which reads exactly the public graphs — one engine call, no graph listing,
    nothing to go stale (a graph is granted to the anonymous user by the write that creates
    it, and a restricted one never). Datasets the engine's pragmas cannot state are sent as
    lists of public names only."""

    only_public = True  # server/web/context.py: no listing needed to restrict its queries

    def __init__(self, primary: RemoteStore):
        self.primary = primary

    def query(self, query: str, **dataset):
        return self.primary.query(query, anonymous=True, **dataset)

    def graphs(self) -> list[str]:
        return [g for g in self.primary.known_graphs() if _public_name(g)]


def _public_name(graph: str) -> bool:
    return not (is_restricted(graph) or graph.startswith(STAGING_PREFIX))


def split_location(location: str) -> tuple[str, dict[str, str]]:
    """``sparql+http://h/q?update=/u&store=/s&read=/r&engine=e`` → (``http://h/q``, {update, store, read, engine}).
    Other query parameters stay part of the query URL."""
    parts = urlsplit(location.removeprefix("sparql+"))
    params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    ours = {k: params.pop(k) for k in ("update", "store", "engine", "read") if k in params}
    rest = "&".join(f"{k}={v}" for k, v in params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, rest, "")), ours


def _one_request(drop: list[str], delete: list[ox.Quad], insert: list[ox.Quad]) -> str | None:
    """The change as one Update text, or None when it is too big for one request."""
    if len(delete) + len(insert) > dialects.ONE_REQUEST_QUADS:
        return None  # not even written out: a 1M-quad text is ~250 MB
    text = change_as_update(drop, delete, insert)
    return text if len(text) <= dialects.ONE_REQUEST_CHARS else None


def _stored(q: ox.Quad) -> ox.Quad:
    if isinstance(q.graph_name, ox.DefaultGraph):
        return ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(DEFAULT_GRAPH))
    return q


def _as_query_triples(body: bytes, media: str) -> Any:
    """Triples as a real pyoxigraph ``QueryTriples`` (iterable, ``.serialize``), built from
    the engine's answer through a throw-away in-memory store. The engine's blank node labels
    are kept (``Store.load`` would rename them on every read): reading the same data twice
    gives the same quads, as on the embedded store."""
    fmt = ox.RdfFormat.from_media_type(media.split(";")[0].strip()) or ox.RdfFormat.N_TRIPLES
    scratch = ox.Store()
    scratch.extend(ox.parse(body, format=fmt))
    return scratch.query("CONSTRUCT WHERE { ?s ?p ?o }")
