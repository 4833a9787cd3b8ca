"""Every setting, declared once as (name, default, help): the one list feeds defaults,
the environment (``JUSTICEGRAPH_<NAME>``), the command line and docs/settings.md.

Secrets (tokens) may also come from a file: ``JUSTICEGRAPH_<NAME>_FILE``.
Nothing is read at import time; call ``Settings.from_env()``.

``doc`` writes docs/settings.md from the same list.
May import: ``justicegraph.namespaces`` only (settings are read by every layer).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

from justicegraph.namespaces import DEFAULT_BASE, Minter


def _setting(default: Any, help: str, secret: bool = False):
    return field(default=default, metadata={"help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    store: str = _setting("var/store", "Where the graph lives: a directory for the on-disk store, "
                          "'memory' for an in-memory store, or 'sparql+http://host:port/path' for a remote engine.")
    store_update_url: str = _setting("", "Remote store only: SPARQL Update endpoint, absolute or relative to the "
                                     "query URL (overrides the store URL's '?update=').")
    store_graph_store_url: str = _setting("", "Remote store only: Graph Store Protocol endpoint (overrides "
                                          "the store URL's '?store=').")
    store_engine: str = _setting("auto", "Remote store only: 'oxigraph', 'virtuoso' or 'generic' (SPARQL 1.1 "
                                 "as written); 'auto' reads the store URL's '?engine=' or the server header.")
    store_user: str = _setting("", "Remote store only: user name sent to the engine (HTTP basic or digest).")
    store_password: str = _setting("", "Remote store only: password for store_user.", secret=True)
    store_auth: str = _setting("auto", "Remote store only: 'basic', 'digest', or 'auto' (digest for Virtuoso, "
                               "basic otherwise).")
    store_read_url: str = _setting("", "Remote store only: query endpoint of an account that reads every graph "
                                   "(Virtuoso: '/sparql-auth'); setting it turns on engine-side graph security "
                                   "(docs/scaling.md): queries need no graph list, the store URL answers as the "
                                   "anonymous user (public graphs only). Overrides the store URL's '?read='.")
    store_reader_user: str = _setting("", "Remote store only: the account of store_read_url (reads, never writes).")
    store_reader_password: str = _setting("", "Remote store only: password for store_reader_user.", secret=True)
    store_public_url: str = _setting("", "Remote store only: a second engine holding exactly the public graphs "
                                     "(e.g. a second `oxigraph serve` with its own --location), as "
                                     "'sparql+http://host:port/query?update=/update&engine=oxigraph'. Our writes "
                                     "apply the public part of every change to it (removals before the primary, "
                                     "additions after); `justicegraph public-sync` rebuilds it; anonymous queries "
                                     "are answered there with no graph list (docs/scaling.md, public dataset).")
    store_graphs_max_age: float = _setting(1.0, "Remote store only: seconds a server reuses its listing of the "
                                           "engine's graphs for anonymous reads instead of listing them per "
                                           "query; writes of other processes (a CLI load) are seen within it, the "
                                           "server's own at once. Token holders' reads and writes list every time. "
                                           "0: list for every query (docs/scaling.md).")
    store_update_timeout: float = _setting(600.0, "Remote store only: seconds one update request may take.")
    store_max_response_mb: int = _setting(512, "Remote store only: largest answer read from the engine, in MB "
                                          "(larger answers are refused, never cut).")
    base: str = _setting(DEFAULT_BASE, "Base IRI under which entity and graph IRIs are minted.")
    data_license: str = _setting("https://creativecommons.org/licenses/by/4.0/", "Licence of the data (an IRI): "
                                 "named in VoID (dcterms:license), on every page and in a Link rel=\"license\" "
                                 "header of every data answer (entities, graphs, dump). Empty: none declared.")
    data_creator: str = _setting("justicegraph contributors", "Who made the dataset (VoID dcterms:creator): a name, "
                                 "or an IRI of the person or organisation.")
    host: str = _setting("127.0.0.1", "Address the server listens on.")
    port: int = _setting(5000, "Port the server listens on.")
    workers: int = _setting(2, "Server worker processes (granian or gunicorn).")
    threads: int = _setting(0, "Threads per server worker (requests each worker runs at once). 0: 4 on an "
                            "embedded store, 8 on a remote store (sparql+http…), whose requests mostly wait on "
                            "the engine: 2 workers then admit 16 at a time (docs/scaling.md).")
    query_timeout: float = _setting(30.0, "Seconds a query may run before it is stopped (503).")
    row_cap: int = _setting(100_000, "Most rows a SELECT answers over HTTP; more are cut and marked.")
    max_body: int = _setting(10 * 1024 * 1024, "Largest request body accepted, in bytes (413 above).")
    max_query_length: int = _setting(100_000, "Longest query or update text accepted, in characters.")
    union_default_graph: bool = _setting(True, "Default graph of a query is the union of the visible graphs "
                                         "(false: the store's default graph only, strict SPARQL dataset semantics).")
    include_inferred: bool = _setting(True, "Include the reasoner's inferred graph in the default graph.")
    java: str = _setting("java", "Java executable that runs the HermiT reasoner (justicegraph reason).")
    reason_timeout: float = _setting(600.0, "Seconds one HermiT run may take before `justicegraph reason` "
                                     "gives up (exit 2).")
    write_token: str = _setting("", "Bearer token that allows writes (Update, Graph Store, loads over HTTP). "
                                "Empty: writes are off.", secret=True)
    read_token: str = _setting("", "Bearer token that opens restricted graphs to its holder.", secret=True)
    cors_origins: str = _setting("*", "Origins allowed to read from a browser script on another origin: /sparql "
                                 "and every read route (comma-separated; '*': any, never with credentials; "
                                 "empty turns CORS off).")
    service_allowlist: str = _setting("", "Endpoints that SERVICE and LOAD may reach (comma-separated IRI "
                                      "prefixes). Empty: no outbound requests at all.")
    rate_limit: str = _setting("600 per minute", "Per-client rate limit on query, search and write routes.")
    executors: int = _setting(0, "Query executor processes per server worker (killable, for the time limit); "
                              "0: as many as `threads`.")
    executor_max_rss_mb: int = _setting(0, "serve_mode disk: replace a query executor whose resident memory passed "
                                        "this many MB after a job (a big query's working memory stays with the "
                                        "process); 0: never. Bounds the server's memory by about executors x this "
                                        "value (e.g. 110 at 5M quads: docs/endpoint.md).")
    serve_mode: str = _setting("disk", "On-disk store only: 'disk' (executors query the read-only snapshot in "
                               "place) or 'memory' (executors query an in-memory copy, loaded once per web "
                               "worker by a zygote process and shared by the executors forked from it; they "
                               "read from disk until it is loaded, so the server answers from the start: "
                               "heavy queries at 1/2-1/3 of the server CPU, about 400 MB more per million quads "
                               "per worker, seconds of CPU per million quads at start; docs/endpoint.md, "
                               "Choosing a mode).")
    write_token_name: str = _setting("operator", "Name recorded (jg:writtenBy) in the audit of writes "
                                     "authorised by the write token.")
    audit_log: str = _setting("", "File the audit of writes over HTTP is appended to (N-Quads, outside the store "
                              "and every dataset; docs/security.md). Empty: <store>.jg/audit.nq beside an "
                              "on-disk store, var/audit.nq for a remote engine, a temporary file for 'memory'.")
    worker_timeout: int = _setting(0, "gunicorn worker timeout in seconds (http_server 'gunicorn'); 0: "
                                   "query_timeout + 30.")
    http_server: str = _setting("granian", "justicegraph serve: 'granian' (a Rust HTTP server; each request read "
                                "whole in its event loop, then run on one of `threads` threads per worker: "
                                "server/web/gateway.py) or 'gunicorn' (threads per worker, behind the buffering "
                                "front unless `front` is off).")
    front: bool = _setting(True, "justicegraph serve with http_server 'gunicorn': answer on host:port through "
                           "the buffering front (server/front.py), which reads every request whole, under time "
                           "limits, before a gunicorn worker thread sees it, so slow or stalled clients hold no worker; gunicorn "
                           "then listens on a private Unix socket. Off: gunicorn listens on host:port itself.")
    access_log: bool = _setting(True, "Write one line per request to standard output (gunicorn's combined format, "
                                "tokens redacted). Off: ~10% less CPU per light query.")
    inline_lookups: bool = _setting(True, "Answer a SELECT of one triple pattern (an entity lookup) in the web worker "
                                    "when its answer is under 1 MB, without the round trip to an executor process "
                                    "(its work is bounded by its answer), and a query of a few triple patterns with "
                                    "constants when each pattern matches at most 512 quads (its work is bounded by "
                                    "their product; docs/endpoint.md). Off: every query runs in an executor.")
    fast_lane: bool = _setting(True, "Answer an anonymous GET /sparql query (SELECT, ASK) without Flask, with "
                               "the same checks, headers and counts: a lookup bounded by its answer inline "
                               "(see inline_lookups), any other through an executor (errors are still the "
                               "app's; server/protocol/lane.py). Off: every request goes through the app.")
    validator: str = _setting("fast", "SHACL validator of loads and writes: 'fast' (the shapes compiled to SPARQL "
                              "on an in-memory Oxigraph store; falls back to pyshacl for shapes it cannot "
                              "compile) or 'pyshacl' (the reference).")

    def __post_init__(self) -> None:
        if self.threads <= 0:  # the default, from the kind of store (an engine's requests are I/O-bound)
            object.__setattr__(self, "threads", 8 if self.store.startswith("sparql+") else 4)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = _read_env(env, f.name)
            if raw is not None:
                values[f.name] = _coerce(f.type, raw, f.name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def minter(self) -> Minter:
        return Minter(self.base)

    @property
    def excluded_graphs(self) -> tuple[str, ...]:
        """Graphs left out of every query's dataset by configuration (the inferred graphs
        when ``include_inferred`` is off)."""
        return () if self.include_inferred else self.minter.inferred_graphs

    @property
    def writes_enabled(self) -> bool:
        return bool(self.write_token)

    def documented(self) -> list[tuple[str, Any, str]]:
        """(name, default, help) for every setting: the source of docs/settings.md."""
        return [(f.name, f.default, f.metadata["help"]) for f in fields(self)]

    def __repr__(self) -> str:  # tokens never reach logs
        shown = ", ".join(
            f"{f.name}={'***' if f.metadata['secret'] and getattr(self, f.name) else getattr(self, f.name)!r}"
            for f in fields(self)
        )
        return f"Settings({shown})"


def env_name(name: str) -> str:
    return "JUSTICEGRAPH_" + name.upper()


def _read_env(env, name: str) -> str | None:
    if env_name(name) in env:
        return env[env_name(name)]
    path = env.get(env_name(name) + "_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    return None


def _coerce(kind: Any, raw: str, name: str) -> Any:
    kind = kind if isinstance(kind, str) else kind.__name__
    try:
        if kind == "bool":
            if raw.strip().lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.strip().lower() in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise ValueError(f"{env_name(name)}={raw!r} is not a valid {kind}") from None
    return raw
