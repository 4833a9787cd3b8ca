"""The fast lane: an anonymous SPARQL lookup answered without Flask.

An entity lookup (``GET /sparql?query=SELECT … { <iri> ?p ?o }``) costs the engine about
0.1 ms; Flask, werkzeug, the rate limiter and the hooks around it cost five times that
(docs/performance.md, "Where a lookup's time goes"). The lane answers the one kind of
request that dominates light traffic — an anonymous GET to /sparql with a ``query``
parameter and nothing else, whose work is bounded by its answer (sparqltext/bounded.py) —
with the same steps the app takes (server/sparql.py ``_query``), in the same order, from the
same parts: the size and nesting checks, the SPARQL scan, the SERVICE refusal (a query that
names any SERVICE is left to the app), the public dataset, negotiation, the ETag, the
inline bounded run with its time limit and row cap, the rate limit (the app's own counter
and headers, server/web/ratelimit.py), CORS, the security headers and the metrics.

Anything else — a token, a conditional request, another parameter, FROM, a query that is not
bounded, an error of any kind, a client over its rate limit — is not answered here: the lane
returns None and the app answers (re-reading what the lane read from its caches). So every
refusal and every error has one author, the app. tests/test_fast_lane.py compares the lane's
answers with the app's, header by header and byte by byte.
"""

from __future__ import annotations

import codecs
import functools
import time

from werkzeug.sansio.utils import get_current_url, get_host

from justicegraph.namespaces import PREFIXES
from justicegraph.server.protocol import caching
from justicegraph.server.protocol.machinery import EXTENSION
from justicegraph.server.web import conneg, cors
from justicegraph.server.web.security import SECURITY_HEADERS
from justicegraph.sparqltext import scan_query
from justicegraph.sparqltext.complexity import too_complex

_FORMS = ("SELECT", "ASK")  # the inline run holds SELECT and ASK answers whole
_CACHE_CONTROL = caching.CACHE_CONTROL


class Lane:
    """``Lane(app)``: ``answer(environ)`` → (status, headers, body) or None; also a WSGI
    middleware in front of ``wsgi_app`` (gunicorn, the development server)."""

    def __init__(self, app, wsgi_app=None):
        self.app = app
        self.wsgi_app = wsgi_app
        self.settings = app.config["JUSTICEGRAPH"]
        self.prefixes = {**PREFIXES, **self.settings.minter.prefixes}
        self._counter_index: dict | None = None
        self._limit = self._init_limit()

    # -- WSGI ------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        answer = self.answer(environ)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        start_response(f"{status} OK", headers)
        return [body]

    # -- the lane --------------------------------------------------------------------------
    def answer(self, environ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        if (environ["REQUEST_METHOD"] != "GET" or environ.get("PATH_INFO") != "/sparql"
                or "HTTP_AUTHORIZATION" in environ or "HTTP_IF_NONE_MATCH" in environ
                or environ.get("SCRIPT_NAME")):
            return None
        text = _one_query(environ.get("QUERY_STRING", ""))
        s = self.settings
        if text is None or len(text) > s.max_query_length or not (s.inline_lookups and s.fast_lane):
            return None
        ep = self.app.extensions.get(EXTENSION)
        if ep is None or ep.snapshots is None or not hasattr(ep.executor, "run_bounded"):
            return None
        if too_complex(text, "query"):
            return None
        base = _request_base(environ)
        scan = scan_query(text, base)
        if (not scan.bounded or scan.form not in _FORMS or scan.services or scan.from_graphs
                or scan.from_named):
            return None
        fmt = _negotiate(environ.get("HTTP_ACCEPT"))
        if fmt is None:
            return None
        address = environ.get("REMOTE_ADDR")
        window = self._hit(address)
        if window is False:
            return None  # over the limit: the app counts it too and answers 429
        answered = None
        try:
            answered = self._run(environ, ep, text, base, fmt, window)
            return answered
        finally:
            if answered is None and window is not None:
                self._unhit(address)  # the app answers it, and counts it

    def _run(self, environ, ep, text, base, fmt, window):
        s = self.settings
        dataset = ep.dataset(restricted_ok=False)
        tag = caching.etag_of(environ, fmt.name, ep.snapshots, self.app)
        job = {"kind": "query", "query": text, "base": base, "dataset": dataset,
               "results_format": fmt.name, "graph_format": None, "row_cap": s.row_cap, "prefixes": self.prefixes}
        started = time.monotonic()
        answer = ep.executor.run_bounded(job, s.query_timeout)
        if answer is None:
            return None
        meta, body = answer
        if "error" in meta or meta.get("format") != fmt.name:
            return None
        body = b"".join(body)
        counters = self._counters(ep.metrics)
        increments = [(counters["inline"], 1.0), (counters["seconds"], time.monotonic() - started),
                      (counters[meta["form"]], 1.0), (counters["http200"], 1.0)]
        headers = [("Content-Type", fmt.content_type), ("Content-Length", str(len(body))),
                   ("X-JusticeGraph-Row-Cap", str(s.row_cap))]
        if meta["truncated"]:
            headers.append(("X-JusticeGraph-Truncated", "true"))
            increments.append((counters["truncated"], 1.0))
        if tag is not None:
            headers += [("ETag", f'"{tag}"'), ("Cache-Control", _CACHE_CONTROL)]
        cors_headers, vary_origin = cors.headers_for(s.cors_origins, environ.get("HTTP_ORIGIN"), "GET", True)
        headers.append(("Vary", "Accept, Origin, Authorization" if vary_origin else "Accept, Authorization"))
        headers += cors_headers
        if window is not None:
            headers += self._limit.headers(window)
        headers += SECURITY_HEADERS.items()
        ep.metrics.add_public(*increments)  # counted as the app counts: a public, anonymous request
        return 200, headers, body

    def _counters(self, metrics) -> dict:
        found = self._counter_index
        if found is None:
            found = self._counter_index = {
                "inline": metrics.index("justicegraph_inline_queries_total"),
                "seconds": metrics.index("justicegraph_query_seconds_total"),
                "truncated": metrics.index("justicegraph_rows_truncated_total"),
                "http200": metrics.index("justicegraph_http_requests_total", route="sparql", status="200"),
                **{form: metrics.index("justicegraph_queries_total", form=form) for form in _FORMS}}
        return found

    # -- the rate limit: the app's own counter (server/web/ratelimit.py) -------------------------
    def _init_limit(self):
        return self.app.extensions.get("justicegraph.limiter")

    def _hit(self, address: str | None):
        """None: no rate limit; False: over it (the app answers 429); else the window after
        counting this request."""
        if self._limit is None:
            return None
        window = self._limit.hit(address)
        if window is None:
            self._limit.unhit(address)  # the app counts it again, and refuses it
            return False
        return window

    def _unhit(self, address: str | None) -> None:
        self._limit.unhit(address)


def _one_query(query_string: str) -> str | None:
    """The text of a query string that carries ``query`` once and nothing else (as werkzeug
    reads it: ``+`` is a space, %XX a byte, the bytes UTF-8); None for anything else."""
    if not query_string.startswith("query=") or "&" in query_string or ";" in query_string:
        return None
    raw = query_string[6:]
    if not raw or not raw.isascii() or "\\" in raw:
        return None
    try:
        # %XX → \xXX decoded by the codec in C: a tenth of urllib's pure-Python unquote on a
        # long query. A stray % (not two hex digits) is a ValueError: left to the app.
        text = codecs.escape_decode(raw.replace("+", " ").replace("%", "\\x"))[0].decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return text or None


@functools.lru_cache(maxsize=256)
def _negotiate(accept: str | None):
    return conneg.negotiate(accept, conneg.RESULTS)


@functools.lru_cache(maxsize=64)
def _base(scheme: str, http_host: str | None, server_name: str | None, server_port: str | None) -> str:
    """The request's URL without its query (``request.base_url``), as the app works it out."""
    server = (server_name, int(server_port)) if server_name and server_port and server_port.isdigit() else None
    return get_current_url(scheme, get_host(scheme, http_host, server), "", "/sparql")


def _request_base(environ) -> str:
    return _base(environ["wsgi.url_scheme"], environ.get("HTTP_HOST"), environ.get("SERVER_NAME"),
                 environ.get("SERVER_PORT"))
