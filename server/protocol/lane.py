"""The fast lane: an anonymous SPARQL query answered without Flask.

An entity lookup (``GET /sparql?query=SELECT … { <iri> ?p ?o }``) costs the engine about
0.1 ms; Flask, werkzeug, the rate limiter and the hooks around it cost five times that
(docs/performance.md, "Where a lookup's time goes"). The lane answers an anonymous GET to
/sparql with a ``query`` parameter and nothing else (SELECT or ASK) with the same steps the
app takes (server/sparql.py ``_query``), in the same order, from the same parts: the size and
nesting checks, the SPARQL scan, the SERVICE refusal (a query that names any SERVICE is left to
the app), the public dataset, negotiation, the ETag, the run with its time limit and row cap,
the rate limit (the app's own counter and headers, server/web/ratelimit.py), CORS, the security
headers and the metrics. A query whose work is bounded by its answer (sparqltext/bounded.py) is
run inline (``start`` answers it: in granian's event loop); any other runs in an executor
process (``start`` returns a ``Pending``, finished on a thread: the wait never blocks the loop).

Anything else — a token, a conditional request, another parameter, FROM, a client over its
rate limit — is not answered here: the lane returns None and the app answers (re-reading what
the lane read from its caches). An executor's outcome the lane does not answer itself (an
error, a refusal, the time limit, Busy, an answer too large to hold, streamed) is handed to the
app with the request (``OUTCOME``), which maps it as its own without running the query again;
a bounded query's error is left to the app to run again inline. So every refusal and every
error has one author, the app. tests/test_fast_lane.py compares the lane's answers with the
app's, header by header and byte by byte.
"""

from __future__ import annotations

import codecs
import functools
import time

from werkzeug.sansio.utils import get_current_url, get_host

from justicegraph.namespaces import PREFIXES
from justicegraph.server.protocol import caching
from justicegraph.server.protocol.executor import OUTCOME
from justicegraph.server.protocol.machinery import EXTENSION
from justicegraph.server.web import conneg, cors
from justicegraph.server.web.gateway import LANE_BODY_KEY as BODY
from justicegraph.server.web.security import SECURITY_HEADERS
from justicegraph.sparqltext import scan_query
from justicegraph.sparqltext.complexity import too_complex

_RESULT_FORMS = ("SELECT", "ASK")
_GRAPH_FORMS = ("CONSTRUCT", "DESCRIBE")
_FORMS = _RESULT_FORMS + _GRAPH_FORMS
_ANSWER_FORMS = ("SELECT", "ASK", "CONSTRUCT")
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
        if answer is None and getattr(self, "threaded", None) is not None:
            answer = self.threaded(environ)  # a remote store's lookups, on this thread (remote_lane.py)
        if answer is None:
            return self.wsgi_app(environ, start_response)  # with the executor's outcome, if any (OUTCOME)
        status, headers, body = answer
        start_response(f"{status} OK", headers)
        return [body]

    # -- the lane --------------------------------------------------------------------------
    def answer(self, environ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The lane's answer, or None: the app answers (an executor's outcome the lane does not
        answer is then in ``environ[OUTCOME]``, for the app to map without running it again)."""
        step = self.start(environ)
        return step.finish() if isinstance(step, Pending) else step

    def start(self, environ):
        """What needs no wait: the answer of a bounded lookup (run inline), a ``Pending`` for a
        query an executor process runs (``Pending.finish`` waits for it: never in an event
        loop), or None (the app answers)."""
        method = environ["REQUEST_METHOD"]
        if (method not in ("GET", "POST") or environ.get("PATH_INFO") != "/sparql"
                or "HTTP_AUTHORIZATION" in environ or "HTTP_IF_NONE_MATCH" in environ
                or environ.get("SCRIPT_NAME")):
            return None
        text = _one_query(environ.get("QUERY_STRING", "")) if method == "GET" else _posted_query(environ)
        s = self.settings
        if text is None or len(text) > s.max_query_length or not s.fast_lane:
            return None
        ep = self.app.extensions.get(EXTENSION)
        if ep is None or ep.snapshots is None or not hasattr(ep.executor, "run_bounded"):
            return None
        if too_complex(text, "query"):
            return None
        base = _request_base(environ)
        scan = scan_query(text, base)
        if scan.form not in _FORMS or scan.services or scan.from_graphs or scan.from_named:
            return None
        accept = environ.get("HTTP_ACCEPT")
        results, graphs = _negotiate(accept), _negotiate_graphs(accept)
        fmt = results if scan.form in _RESULT_FORMS else graphs  # the answer's format, as the app picks it
        if fmt is None:
            return None  # not acceptable: the app says so
        inline = scan.bounded and s.inline_lookups
        probed = not inline and scan.probes is not None and s.inline_lookups
        address = environ.get("REMOTE_ADDR")
        window = self._hit(address)
        if window is False:
            return None  # over the limit: the app counts it too and answers 429
        answered = None
        try:
            tag = caching.etag_of(environ, fmt.name, ep.snapshots, self.app)
            # the job the app would send (server/sparql.py _query), so the app can take its outcome
            job = {"kind": "query", "query": text, "base": base, "dataset": ep.dataset(restricted_ok=False),
                   "results_format": results and results.name, "graph_format": graphs and graphs.name,
                   "row_cap": s.row_cap, "prefixes": self.prefixes}
            if inline or probed:
                answered = self._inline(environ, ep, job, fmt, tag, window, scan.probes if probed else None)
                if answered is not None or not probed:
                    return answered
            # a query an executor runs (the probes found it too big, or its answer too large)
            answered = Pending(self, environ, ep, job, fmt, tag, window)
            return answered
        finally:
            if answered is None and window is not None:
                self._unhit(address)  # the app answers it, and counts it

    def _inline(self, environ, ep, job, fmt, tag, window, probes):
        started = time.monotonic()
        answer = ep.executor.run_bounded(job, self.settings.query_timeout, probes)
        if answer is None:
            return None
        meta, body = answer
        if "error" in meta or meta.get("format") != fmt.name:
            return None
        return self._respond(environ, ep, fmt, tag, window, meta, b"".join(body), time.monotonic() - started, True)

    def _respond(self, environ, ep, fmt, tag, window, meta, body: bytes, seconds: float, inline: bool):
        s = self.settings
        counters = self._counters(ep.metrics)
        increments = [(counters["seconds"], seconds), (counters[meta["form"]], 1.0), (counters["http200"], 1.0)]
        if inline:
            increments.append((counters["inline"], 1.0))
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
                # an answer's form as the executor reports it: a DESCRIBE's is "CONSTRUCT"
                **{form: metrics.index("justicegraph_queries_total", form=form) for form in _ANSWER_FORMS}}
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


class Pending:
    """A query the lane has checked and an executor process runs: ``finish()`` (on a thread:
    it waits for the executor) answers a whole answer as the app would; anything else — an
    error, a refusal, the time limit, Busy, an answer streamed because it is large — is left to
    the app with the outcome in ``environ[OUTCOME]``: the app maps it (server/sparql.py ``_run``)
    without running the query again, so every error still has one author."""

    def __init__(self, lane: Lane, environ, ep, job: dict, fmt, tag, window):
        self.lane, self.environ, self.ep, self.job = lane, environ, ep, job
        self.fmt, self.tag, self.window = fmt, tag, window

    def finish(self) -> tuple[int, list[tuple[str, str]], bytes] | None:
        started = time.monotonic()
        try:
            outcome = self.ep.executor.run(self.job, self.lane.settings.query_timeout)
        except Exception as exc:  # noqa: BLE001 - the app maps it (QueryTimeout, Busy, EngineCrash, …)
            return self._leave(exc, started)
        meta, body = outcome
        if "error" in meta or not isinstance(body, tuple) or meta.get("format") != self.fmt.name:
            return self._leave(outcome, started)
        try:
            return self.lane._respond(self.environ, self.ep, self.fmt, self.tag, self.window, meta, b"".join(body),
                                      time.monotonic() - started, False)
        except Exception:  # noqa: BLE001 - the app answers it from the same outcome
            return self._leave(outcome, started)

    def pass_on(self, environ) -> None:
        """Give the outcome left to the app to the environ the app is called with."""
        if OUTCOME in self.environ:
            environ[OUTCOME] = self.environ[OUTCOME]

    def _leave(self, outcome, started: float) -> None:
        self.environ[OUTCOME] = (self.job, time.monotonic() - started, outcome)
        if self.window is not None:
            self.lane._unhit(self.environ.get("REMOTE_ADDR"))  # the app answers it, and counts it
        return None


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


# A POST's body as the gateway read it (BODY): the lane takes a POST only from the gateway,
# where the body is already whole in memory (never from a WSGI stream).
_FORM = "application/x-www-form-urlencoded"
_QUERY_BODY = "application/sparql-query"
_UTF8 = ("", "charset=utf-8", "charset=utf8")


def _posted_query(environ) -> str | None:
    """The query of a POST the app would read as one ``query`` and nothing else
    (server/protocol/request.py): a UTF-8 ``application/sparql-query`` body, or a form body
    that carries ``query`` once; no parameter in the URL. None for anything else."""
    body = environ.get(BODY)
    if not body or environ.get("QUERY_STRING"):
        return None
    mimetype, _, params = environ.get("CONTENT_TYPE", "").partition(";")
    mimetype = mimetype.strip().lower()
    if params.replace(" ", "").lower() not in _UTF8:
        return None
    try:
        if mimetype == _QUERY_BODY:
            return body.decode("utf-8") or None
        if mimetype == _FORM:
            return _one_query(body.decode("ascii"))
    except UnicodeDecodeError:
        return None
    return None


@functools.lru_cache(maxsize=256)
def _negotiate(accept: str | None):
    return conneg.negotiate(accept, conneg.RESULTS)


@functools.lru_cache(maxsize=256)
def _negotiate_graphs(accept: str | None):
    return conneg.negotiate(accept, conneg.GRAPHS)


@functools.lru_cache(maxsize=64)
def _base(scheme: str, http_host: str | None, server_name: str | None, server_port: str | None) -> str:
    """The request's URL without its query (``request.base_url``), as the app works it out."""
    server = (server_name, int(server_port)) if server_name and server_port and server_port.isdigit() else None
    return get_current_url(scheme, get_host(scheme, http_host, server), "", "/sparql")


def _request_base(environ) -> str:
    return _base(environ["wsgi.url_scheme"], environ.get("HTTP_HOST"), environ.get("SERVER_NAME"),
                 environ.get("SERVER_PORT"))
