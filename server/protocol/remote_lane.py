"""The fast lane for a remote store: an anonymous query answered by the engine's public view
(``oxigraph serve``'s public dataset, Virtuoso's anonymous endpoint) without Flask.

On a remote store a request's own work is one engine call; what justicegraph adds around it
is the app's request path — Flask, werkzeug's request and response objects, the hooks — about
as much CPU as the engine call itself (docs/performance.md, "Remote engines at the engine's
speed"). This lane answers, on the request's thread (the engine call blocks: never in
granian's event loop), the same requests the embedded store's lane answers
(server/protocol/lane.py: an anonymous GET to /sparql with a ``query`` parameter and nothing
else; SELECT or ASK; no SERVICE, no FROM) — bounded or not, since the engine runs it either
way — when the caller's dataset is the store's public view: the engine's own graph security
or the public dataset decides what is visible, exactly as on the app's path.

It runs the app's job (server/protocol/jobs.py through the store's executor): the same engine
request, the same results writer, the row cap and its headers, the time limit (the engine's
and the client's), CORS, rate limit, security headers and metrics. Whatever is not a
success is answered by the app: the lane hands over what the engine said (an error, a time
out) in the request's environ (``OUTCOME``, server/protocol/executor.py), so the app maps it as always — without asking the engine
again. tests/test_remote_lane.py compares the lane's answers with the app's, byte for byte.
"""

from __future__ import annotations

import functools
import time

from justicegraph.server.protocol import lane as embedded
from justicegraph.server.protocol.executor import OUTCOME
from justicegraph.server.protocol.machinery import EXTENSION
from justicegraph.server.web import conneg
from justicegraph.sparqltext import scan_query
from justicegraph.sparqltext.complexity import too_complex

_FORMS = ("SELECT", "ASK")


class RemoteLane:
    """``RemoteLane(lane)(environ)`` → (status, headers, body) or None (the app answers)."""

    def __init__(self, lane):
        self.lane = lane
        self.app = lane.app
        self.settings = lane.settings

    def __call__(self, environ):
        try:
            return self._answer(environ)
        except Exception:  # noqa: BLE001 - the app answers it, errors included (one author)
            return None

    def _answer(self, environ):
        if (environ["REQUEST_METHOD"] != "GET" or environ.get("PATH_INFO") != "/sparql"
                or "HTTP_AUTHORIZATION" in environ or "HTTP_IF_NONE_MATCH" in environ
                or environ.get("SCRIPT_NAME")):
            return None
        s = self.settings
        ep = self.app.extensions.get(EXTENSION)
        if ep is None or ep.snapshots is not None or not s.fast_lane:
            return None
        public_view = getattr(ep.store(), "public_view", None)
        if public_view is None or public_view() is None:
            return None  # not a remote store with a public view: the app (a list of public names)
        text = embedded._one_query(environ.get("QUERY_STRING", ""))
        if text is None or len(text) > s.max_query_length or too_complex(text, "query"):
            return None
        base = embedded._request_base(environ)
        scan = scan_query(text, base)
        if scan.form not in _FORMS or scan.services or scan.from_graphs or scan.from_named:
            return None
        accept = environ.get("HTTP_ACCEPT")
        fmt = embedded._negotiate(accept)
        if fmt is None:
            return None
        dataset = ep.dataset(restricted_ok=False)
        if not dataset.get("public"):
            return None  # e.g. excluded graphs: the app's path
        address = environ.get("REMOTE_ADDR")
        window = self.lane._hit(address)
        if window is False:
            return None  # over the limit: the app counts it too and answers 429
        answered = None
        try:
            graphs = _negotiate_graphs(accept)
            # the job the app sends (server/sparql.py _query): the app takes its outcome only if equal
            job = {"kind": "query", "query": text, "base": base, "dataset": dataset, "results_format": fmt.name,
                   "graph_format": graphs and graphs.name, "row_cap": s.row_cap, "prefixes": self.lane.prefixes}
            answered = self._run(environ, ep, job, fmt, window)
            return answered
        finally:
            if answered is None and window is not None:
                self.lane._unhit(address)  # the app answers it, and counts it

    def _run(self, environ, ep, job, fmt, window):
        s = self.settings
        started = time.monotonic()
        try:
            outcome = ep.executor.run(job, s.query_timeout)
        except Exception as exc:  # noqa: BLE001 - the app maps it (a time out: 503), without a second run
            environ[OUTCOME] = (job, time.monotonic() - started, exc)
            return None
        meta, body = outcome
        if "error" in meta or meta.get("format") != fmt.name:
            environ[OUTCOME] = (job, time.monotonic() - started, outcome)
            return None
        # the app's headers and metrics, as the embedded lane gives them (no ETag: no snapshot)
        return self.lane._respond(environ, ep, fmt, None, window, meta, b"".join(body),
                                  time.monotonic() - started, False)


@functools.lru_cache(maxsize=256)
def _negotiate_graphs(accept: str | None):
    return conneg.negotiate(accept, conneg.GRAPHS)


def install(app) -> None:
    """Put the lane behind the embedded store's (server/protocol/lane.py), on the WSGI path."""
    lane = app.extensions.get("justicegraph.lane")
    if lane is not None:
        lane.threaded = RemoteLane(lane)
