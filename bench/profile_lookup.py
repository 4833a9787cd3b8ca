"""Where a light request's CPU goes, layer by layer (issue #18, "The cost of one request").

Two measurements per store, both in CPU time (``time.process_time`` / ``/proc``), never wall time:

1. **In process**: the app of ``create_app`` called as WSGI (the fast lane first, then Flask),
   with every layer of the request path wrapped in a CPU timer (exclusive time: a layer's own,
   without the layers it calls) — the lane's own steps, security hooks and rate limiter,
   protocol request reading, query analysis
   (sparqltext), access decision, negotiation, executor (inline bounded run, or the round
   trip to an executor process with that process's own CPU read from /proc), engine and
   serialiser, metrics; what is left of the WSGI call is Flask and werkzeug themselves.
   The access log line is timed apart (server/web/accesslog.py).
2. **Over HTTP**: ``justicegraph serve`` (1 worker x 1 thread, granian — or with ``--server
   gunicorn`` gunicorn behind the buffering front —, rate limit on but high), one keep-alive
   client sending the same requests one at a time; the CPU of the master, the worker and its
   executors (and the front) from /proc. The server's own layer is the worker's CPU per
   request less the in-process total and the access log.

    .venv/bin/python bench/profile_lookup.py --store /tmp/jgprof/s1988 --store /tmp/jgprof/s100k
    (stores made with ``justicegraph --store DIR load data/1988`` and
    ``justicegraph generate --people 5000 --out G && justicegraph --store DIR load G``)

``--columns heavy`` profiles the benchmark's heavy mix (bench/mixes.py HEAVY, parameters from
the store's generated records, ``--records``): the executor process's CPU is split into the
engine and serialiser (the same jobs run again in this process, on the same snapshot) and the
rest (receiving, unpickling, sending, waking). ``--setting fast_lane=false`` measures the
app's path instead of the lane's.

Columns: the /sparql lookup, the same with ``inline_lookups = false`` (in process only: the
round trip to an executor), the entity document as Turtle, the entity document asked again
with ``If-None-Match`` holding the ETag of its first answer (a 304: server/protocol/caching.py),
and the HTML pages of a person and of a prison (server/content/view.py builds the view model,
Jinja renders it; prisons are few and their pages big: ``--count`` / 20 of them per cell).

Prints one Markdown table per store (µs of CPU per request) and the load average around each
measurement. The machine's other load changes CPU time much less than wall time, but caches
and frequency scaling still move it: compare rows of one run.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
RATE_LIMIT = "100000000 per minute"  # the limiter's code runs; no request is refused
JG = "https://w3id.org/justicegraph/"
LOOKUP = "SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"


# --- CPU timers around layers ---------------------------------------------------------------
class Layers:
    """Exclusive CPU time per layer: a layer's time without the time of layers nested in it."""

    def __init__(self):
        self.own: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.stack: list[list] = []  # [name, started, nested]
        self.extra: dict[str, float] = {}  # CPU of other processes (executors), by layer

    def enter(self, name: str) -> None:
        self.stack.append([name, time.process_time(), 0.0])

    def leave(self) -> None:
        name, started, nested = self.stack.pop()
        spent = time.process_time() - started
        self.own[name] = self.own.get(name, 0.0) + spent - nested
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.stack:
            self.stack[-1][2] += spent

    def wrap(self, name: str, function):
        def timed(*args, **kwargs):
            self.enter(name)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()
        timed.__wrapped__ = function
        timed.__name__ = getattr(function, "__name__", name)
        return timed

    def patch(self, owner, attribute: str, name: str) -> None:
        setattr(owner, attribute, self.wrap(name, getattr(owner, attribute)))

    def reset(self) -> None:
        self.own.clear()
        self.calls.clear()
        self.extra.clear()


def instrument(app, layers: Layers) -> None:
    from justicegraph.server import pages, sparql
    from justicegraph.server.content import entity, view
    from justicegraph.server.protocol import caching, executor, jobs, lane, machinery, metrics, results_fast
    from justicegraph.server.web import context, cors

    # The WSGI objects: web/security.py FrontClient → protocol/lane.py Lane → web/body.py
    # CountedBody → Flask. The lane answers anonymous bounded lookups itself.
    fast = app.extensions["justicegraph.lane"]
    fast.answer = layers.wrap("fast lane (server/protocol/lane.py): its own steps", fast.answer)
    counted = fast.wsgi_app
    counted.app = layers.wrap("Flask + werkzeug: request, routing, dispatch, response", counted.app)
    layers.patch(lane, "_one_query", "protocol request (server/protocol/request.py)")
    layers.patch(lane, "too_complex", "query analysis (sparqltext: nesting check)")
    layers.patch(lane, "scan_query", "query analysis (sparqltext: scan)")
    layers.patch(lane, "_negotiate", "content negotiation")
    layers.patch(lane, "_base", "base IRI")
    layers.patch(lane.Lane, "_hit", "rate limiter (server/web/ratelimit.py)")
    layers.patch(cors, "headers_for", "CORS")
    layers.patch(metrics.Metrics, "add_public", "metrics")
    layers.patch(caching, "etag_of", "HTTP caching: ETag, If-None-Match, headers")
    for hooks, kind in ((app.before_request_funcs, "before"), (app.after_request_funcs, "after"),
                        (app.teardown_request_funcs, "teardown")):
        for key, functions in hooks.items():
            hooks[key] = [layers.wrap(_hook_name(f, kind), f) for f in functions]
    layers.patch(sparql, "parse_request", "protocol request (server/protocol/request.py)")
    layers.patch(sparql, "too_complex", "query analysis (sparqltext: nesting check)")
    layers.patch(sparql, "scan_query", "query analysis (sparqltext: scan)")
    layers.patch(sparql, "_refuse_network", "query analysis (SERVICE allow-list)")
    layers.patch(sparql, "_formats", "content negotiation")
    layers.patch(pages, "choose", "content negotiation")
    layers.patch(sparql, "_current_url", "base IRI")
    for attribute in ("can_read_restricted", "can_write", "query_dataset", "store"):
        layers.patch(context, attribute, "access decision (token, dataset, store choice)")
    layers.patch(machinery.Endpoint, "dataset", "access decision (token, dataset, store choice)")
    layers.patch(executor.ProcessExecutor, "run_bounded", "executor: inline bounded run (Python)")
    layers.patch(executor.ProcessExecutor, "run", "executor: round trip to a process (web side)")
    layers.patch(executor.ProcessExecutor, "_stream", "executor: round trip to a process (web side)")
    # The round trip's parts on the web side: the job pickled and written, the answer waited
    # for (poll), read and unpickled. Connection.send is only used for executor jobs here.
    from multiprocessing import connection

    from justicegraph.server.protocol import process
    layers.patch(connection.Connection, "send", "executor: job pickled and written (web side)")
    layers.patch(process._Handle, "recv", "executor: answer polled, read, unpickled (web side)")
    layers.patch(jobs, "execute", "engine + serialiser (pyoxigraph)")
    layers.patch(results_fast, "select_bytes", "engine + serialiser (pyoxigraph)")
    layers.patch(jobs, "_query", "executor: job (Python around the engine)")
    layers.patch(entity, "gather", "engine: entity description (pyoxigraph patterns)")
    layers.patch(entity, "graph_provenance", "engine: provenance of its graphs")
    layers.patch(entity, "provenance_quads", "page: description → quads")
    layers.patch(pages, "rdf_response", "serialiser (Turtle, pyoxigraph)")
    layers.patch(view, "entity_page", "page: view model (server/content/view.py)")
    layers.patch(view.Reader, "_read", "engine: page patterns (pyoxigraph, visible graphs)")
    layers.patch(entity.Labels, "_engine_quads", "engine: labels and types (pyoxigraph)")
    layers.patch(pages, "render_template", "page: HTML rendering (Jinja)")
    layers.patch(pages, "alternates", "page: Link headers, licence")
    layers.patch(pages, "data_licence", "page: Link headers, licence")
    layers.patch(metrics.Metrics, "inc", "metrics")
    for attribute in ("etag", "not_modified", "mark"):
        layers.patch(caching, attribute, "HTTP caching: ETag, If-None-Match, headers")


def _hook_name(function, kind: str) -> str:
    name = getattr(function, "__qualname__", repr(function))
    module = getattr(function, "__module__", "") or ""
    if "limiter" in module or "limiter" in name:
        return "rate limiter (server/web/ratelimit.py)"
    if name.startswith("init_app.<locals>._count"):
        return "metrics"
    if module.endswith("cors"):
        return "CORS"
    return f"security hooks ({kind})"


# --- the requests ----------------------------------------------------------------------------
def entity_ids(store: Path, count: int, kind: str = "Person") -> list[str]:
    """Ids of people (or prisons, ...) in the store's current public data (as /id/<id>)."""
    import pyoxigraph as ox

    from justicegraph.server.protocol.snapshot import SnapshotStore

    snaps = SnapshotStore(store)
    snaps.publish()
    path = snaps.public_view() or snaps.current()
    reader = ox.Store.read_only(str(path))
    rows = reader.query(f"SELECT DISTINCT ?s WHERE {{ ?s a <https://w3id.org/justicegraph/ontology#{kind}> "
                        f"FILTER(STRSTARTS(STR(?s), '{JG}id/')) }} ORDER BY ?s LIMIT {count}",
                        use_default_graph_as_union=True)
    ids = [row["s"].value[len(JG) + 3:] for row in rows]
    del reader
    return ids


def with_tags(requests: list[tuple[str, dict]], fetch) -> list[tuple[str, dict]]:
    """The requests with ``If-None-Match`` set to the ETag of their answer (``fetch`` gets it)."""
    out = []
    for path, headers in requests:
        tag = fetch(path, headers)
        if not tag:
            raise RuntimeError(f"{path}: no ETag (an on-disk store and no token are needed)")
        out.append((path, {**headers, "If-None-Match": tag}))
    return out


def _wsgi_etag(app, path: str, headers: dict) -> str | None:
    return app.test_client().get(path, headers=headers).headers.get("ETag")


def count_for(kind: str, count: int) -> int:
    """Requests per cell: a prison page costs ~30 person pages, a heavy query ~10 lookups."""
    if kind == "heavy":
        return max(50, count // HEAVY_SHARE)
    return max(50, count // 20) if kind == "prison-html" else count


_EXTRA: dict = {}  # --setting KEY=VALUE: settings for both measurements (e.g. fast_lane=false)
_RECORDS: list[Path] = []  # the records of the store profiled (--records): the heavy mix's parameters


def heavy_requests(records: Path, count: int) -> list[tuple[str, dict]]:
    """The heavy mix of the benchmark (bench/mixes.py HEAVY), as bench/loadgen.py sends it."""
    sys.path.insert(0, str(ROOT / "bench"))
    from mixes import Params
    from mixes import requests_for as mix_requests

    params = Params.from_records(records)
    return [("/sparql?query=" + quote(text), {"Accept": "application/sparql-results+json"})
            for _, text in mix_requests("heavy", params, count)]


HEAVY_SHARE = 5  # a heavy request costs ~10 lookups: a fifth as many per cell


def requests_for(kind: str, ids: list[str]) -> list[tuple[str, dict]]:
    if kind == "heavy":
        return heavy_requests(_RECORDS[0], 200)
    if kind == "lookup":
        return [("/sparql?query=" + quote(LOOKUP.format(iri=f"{JG}id/{i}")),
                 {"Accept": "application/sparql-results+json"}) for i in ids]
    if kind in ("person-html", "prison-html"):
        return [(f"/id/{i}", {"Accept": "text/html"}) for i in ids]
    return [(f"/id/{i}", {"Accept": "text/turtle"}) for i in ids]  # "entity", and "revalidate" (tags added)


# --- 1. in process ---------------------------------------------------------------------------
def in_process(store: Path, kind: str, ids: list[str], count: int, inline: bool) -> dict:
    from werkzeug.test import EnvironBuilder

    from justicegraph.server.app import create_app
    from justicegraph.server.protocol.machinery import warm_up
    from justicegraph.settings import Settings

    settings = Settings.from_env(store=str(store)).replace(rate_limit=RATE_LIMIT, workers=1, threads=1,
                                                           executors=1, inline_lookups=inline, **_EXTRA)
    app = create_app(settings)
    layers = Layers()
    instrument(app, layers)
    jobs_sent: list[dict] = []
    if kind == "heavy":  # the jobs as sent, to run them again on the engine alone (engine_alone)
        from justicegraph.server.protocol import executor as executor_module

        run = executor_module.ProcessExecutor.run
        executor_module.ProcessExecutor.run = lambda self, job, timeout: (jobs_sent.append(job), run(self, job, timeout))[1]
    warm_up(app)
    requests = requests_for(kind, ids)
    if kind == "revalidate":  # the entity documents again, each with the ETag its first answer gave
        requests = with_tags(requests, lambda path, headers: _wsgi_etag(app, path, headers))
    environs = []
    for path, headers in requests:
        builder = EnvironBuilder(path=path.split("?")[0], query_string=path.partition("?")[2] or None,
                                 headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        environs.append(builder.get_environ())
        builder.close()

    def one(environ) -> None:
        status = []
        body = app(dict(environ), lambda s, h, exc_info=None: status.append(s))
        try:
            for _ in body:
                pass
        finally:
            getattr(body, "close", lambda: None)()
        if not status or not status[0].startswith(("200", "304")):
            raise RuntimeError(f"{environ['PATH_INFO']}: {status}")

    for environ in environs[: min(len(environs), 200)] * 2:  # warm: caches, executors
        one(environ)
    time.sleep(0.5)
    layers.reset()
    executors = _executor_pids()
    before_children = _cpu_of(executors)
    load = [os.getloadavg()[0]]
    count = count_for(kind, count)
    started = time.process_time()
    for n in range(count):
        environ = environs[n % len(environs)]
        layers.enter("WSGI: web/security.py FrontClient, web/body.py CountedBody")
        try:
            one(environ)
        finally:
            layers.leave()
    total = time.process_time() - started
    children = _cpu_of(executors) - before_children
    load.append(os.getloadavg()[0])
    if children > 0:
        layers.extra["executor process (its own CPU: receive, engine, serialise, send)"] = children
    if jobs_sent:
        saved = dict(layers.own), dict(layers.calls)  # the replay is not part of the requests
        engine = engine_alone(app, jobs_sent[-count:])
        layers.own, layers.calls = saved
        layers.extra["executor process: engine + serialiser (the same jobs run in this process)"] = engine
        layers.extra["executor process (its own CPU: receive, engine, serialise, send)"] = children - engine
    endpoint = app.extensions["justicegraph.endpoint"]
    if endpoint._executor is not None:
        endpoint._executor.close()
    return {"us": {k: 1e6 * v / count for k, v in layers.own.items()},
            "extra_us": {k: 1e6 * v / count for k, v in layers.extra.items()},
            "total_us": 1e6 * total / count, "load": load}


def engine_alone(app, jobs: list[dict]) -> float:
    """CPU seconds of ``jobs`` run by jobs.run_job on the snapshot they name, in this process
    (what an executor spends on the engine and serialiser; its remainder is the transport)."""
    import pyoxigraph as ox

    from justicegraph.server.protocol.jobs import run_job

    snapshots = app.extensions["justicegraph.endpoint"].snapshots
    stores: dict[str, ox.Store] = {}

    def one(job: dict) -> None:
        path = job["dataset"].get("snapshot") or str(snapshots.current())
        store = stores.get(path) or stores.setdefault(path, ox.Store.read_only(path))
        job = {k: v for k, v in job.items() if k not in ("snapshot", "memory", "dataset_key")}
        job["dataset"] = job.get("dataset") or {"union": True}
        run_job(job, store, lambda message: None)

    for job in jobs[:200]:  # warm, as the executor is
        one(job)
    started = time.process_time()
    for job in jobs:
        one(job)
    return time.process_time() - started


def _executor_pids() -> list[int]:
    sys.path.insert(0, str(ROOT / "bench"))
    from servers import descendants

    return descendants(os.getpid())


def _cpu_of(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def access_log_cost(count: int = 20000) -> float:
    """µs of CPU for one access-log line (server/web/accesslog.py, to /dev/null)."""
    from gunicorn.config import Config

    from justicegraph.server.web.accesslog import AccessLogger

    cfg = Config()
    cfg.set("accesslog", "/dev/null")
    logger = AccessLogger(cfg)

    class Resp:
        status = "200 OK"
        sent = 512

    environ = {"REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "RAW_URI": "/sparql?query=SELECT%20%3Fp",
               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_USER_AGENT": "profile"}
    started = time.process_time()
    for _ in range(count):
        logger.access(Resp, None, environ, None)
    return 1e6 * (time.process_time() - started) / count


# --- 2. over HTTP ------------------------------------------------------------------------------
def over_http(store: Path, kinds: dict[str, list], count: int, workdir: Path, server_kind: str = "granian",
              front: bool = True) -> dict:
    port = _free_port()
    env = dict(os.environ, JUSTICEGRAPH_STORE=str(store), JUSTICEGRAPH_HOST="127.0.0.1", JUSTICEGRAPH_PORT=str(port),
               JUSTICEGRAPH_WORKERS="1", JUSTICEGRAPH_THREADS="1", JUSTICEGRAPH_EXECUTORS="1",
               JUSTICEGRAPH_RATE_LIMIT=RATE_LIMIT, JUSTICEGRAPH_FRONT="true" if front else "false",
               JUSTICEGRAPH_HTTP_SERVER=server_kind,
               **{f"JUSTICEGRAPH_{k.upper()}": str(v).lower() if isinstance(v, bool) else str(v)
                  for k, v in _EXTRA.items()})
    log = open(workdir / "serve.log", "wb")
    server = subprocess.Popen([str(VENV_BIN / "justicegraph"), "serve"], env=env, stdout=log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    out = {}
    try:
        conn = _connect(port, server)
        for kind, requests in kinds.items():
            if kind == "revalidate":
                requests = with_tags(requests, lambda path, headers: _http_etag(conn, path, headers))
            for path, headers in requests[:200] * 2:
                _get(conn, path, headers)
            time.sleep(0.5)
            roles = _roles(server.pid, server_kind)
            before = {role: _cpu_of(pids) for role, pids in roles.items()}
            load = [os.getloadavg()[0]]
            n_requests = count_for(kind, count)
            for n in range(n_requests):
                path, headers = requests[n % len(requests)]
                _get(conn, path, headers)
            after = {role: _cpu_of(pids) for role, pids in roles.items()}
            load.append(os.getloadavg()[0])
            out[kind] = {"us": {role: 1e6 * (after[role] - before[role]) / n_requests for role in roles},
                         "load": load}
        conn.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    return out


def _roles(master: int, server_kind: str) -> dict[str, list[int]]:
    sys.path.insert(0, str(ROOT / "bench"))
    from servers import descendants

    roles: dict[str, list[int]] = {"front": [], f"{server_kind} master": [master], "worker": [], "executors": []}
    for pid in descendants(master):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if "justicegraph.server.front" in cmdline:
            roles["front"].append(pid)
        elif ppid == master:
            roles["worker"].append(pid)
        else:
            roles["executors"].append(pid)
    return roles


def _connect(port: int, server, seconds: float = 60) -> http.client.HTTPConnection:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("justicegraph serve exited (see serve.log)")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            _get(conn, "/healthz", {})
            return conn
        except (OSError, http.client.HTTPException, RuntimeError):
            time.sleep(0.1)
    raise RuntimeError("the server did not answer")


def _http_etag(conn, path: str, headers: dict) -> str | None:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.getheader("ETag")


def _get(conn, path: str, headers: dict) -> bytes:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status not in (200, 304):
        raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
    return body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the report ------------------------------------------------------------------------------------
GRANIAN_WORKER = "granian worker: HTTP (Rust), event loop, gateway (worker CPU − WSGI − access log)"
ORDER = [
    "HTTP front (server/front.py, asyncio)",
    "gunicorn master",
    "gunicorn gthread worker: HTTP parse, environ, write (worker CPU − WSGI − access log)",
    "granian master",
    GRANIAN_WORKER,
    "WSGI: web/security.py FrontClient, web/body.py CountedBody",
    "Flask + werkzeug: request, routing, dispatch, response",
    "rate limiter (server/web/ratelimit.py)",
    "fast lane (server/protocol/lane.py): its own steps",
    "security hooks (before)",
    "security hooks (after)",
    "CORS",
    "protocol request (server/protocol/request.py)",
    "query analysis (sparqltext: nesting check)",
    "query analysis (sparqltext: scan)",
    "query analysis (SERVICE allow-list)",
    "base IRI",
    "access decision (token, dataset, store choice)",
    "content negotiation",
    "executor: inline bounded run (Python)",
    "executor: round trip to a process (web side)",
    "executor: job pickled and written (web side)",
    "executor: answer polled, read, unpickled (web side)",
    "executor process (its own CPU: receive, engine, serialise, send)",
    "executor process: engine + serialiser (the same jobs run in this process)",
    "executor: job (Python around the engine)",
    "engine + serialiser (pyoxigraph)",
    "engine: entity description (pyoxigraph patterns)",
    "engine: provenance of its graphs",
    "page: description → quads",
    "serialiser (Turtle, pyoxigraph)",
    "page: view model (server/content/view.py)",
    "engine: page patterns (pyoxigraph, visible graphs)",
    "engine: labels and types (pyoxigraph)",
    "page: HTML rendering (Jinja)",
    "page: Link headers, licence",
    "HTTP caching: ETag, If-None-Match, headers",
    "metrics",
    "access log (server/web/accesslog.py)",
]


def table(store_name: str, columns: dict[str, dict]) -> str:
    names = list(columns)
    lines = [f"| layer ({store_name}) | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    rows = [r for r in ORDER if any(r in c for c in columns.values())]
    rows += sorted({r for c in columns.values() for r in c} - set(rows) - {"total"})
    for row in rows + ["total"]:
        cells = []
        for name in names:
            value = columns[name].get(row)
            cells.append("" if value is None else f"{value:,.0f}")
        label = f"**{row}**" if row == "total" else row
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


COLUMNS = (("/sparql lookup", "lookup", True),
           ("/sparql lookup, inline_lookups=false", "lookup", False),
           ("heavy mix (bench/mixes.py HEAVY)", "heavy", True),
           ("/id/x as Turtle", "entity", True),
           ("/id/x as Turtle, If-None-Match → 304", "revalidate", True),
           ("/id/x person as HTML", "person-html", True),
           ("/id/x prison as HTML", "prison-html", True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", action="append", required=True, help="an on-disk store (repeatable)")
    parser.add_argument("--count", type=int, default=3000, help="requests per measurement")
    parser.add_argument("--ids", type=int, default=300, help="distinct entities the requests cycle over")
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="granian",
                        help="the HTTP server of `justicegraph serve` (setting http_server)")
    parser.add_argument("--columns", default="lookup,entity,revalidate,person-html,prison-html",
                        help="which requests: lookup, entity (Turtle), revalidate (304), person-html, prison-html, "
                             "heavy (the benchmark's heavy mix; needs the records)")
    parser.add_argument("--records", help="the generated records of the store (for the heavy mix's parameters; "
                                          "default: records/ beside the store)")
    parser.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting for both measurements, e.g. fast_lane=false (repeatable)")
    args = parser.parse_args()
    for item in args.setting:
        key, _, value = item.partition("=")
        _EXTRA[key] = {"true": True, "false": False}.get(value.lower(), int(value) if value.isdigit() else value)
    log_us = access_log_cost()
    print(f"access log line: {log_us:.1f} µs CPU; load average {os.getloadavg()[0]:.2f}", flush=True)
    for store_arg in args.store:
        store = Path(store_arg).resolve()
        _RECORDS[:] = [Path(args.records) if args.records else store.parent / "records"]
        ids = entity_ids(store, args.ids)
        prisons = entity_ids(store, args.ids, "Prison")
        chosen = args.columns.split(",")
        cells = [(label, kind, inline) for label, kind, inline in COLUMNS if kind in chosen]
        id_of = {"prison-html": prisons}
        kinds = {kind: requests_for("entity" if kind == "revalidate" else kind, id_of.get(kind, ids))
                 for _, kind, _ in cells}
        with tempfile.TemporaryDirectory(prefix="jg-profile-") as workdir:
            http_runs = over_http(store, kinds, args.count, Path(workdir), args.server)
        columns, loads = {}, []
        for label, kind, inline in cells:
            got = in_process(store, kind, id_of.get(kind, ids), args.count, inline)
            column = {**got["us"], **got["extra_us"]}
            loads += got["load"]
            if inline:
                measured = http_runs[kind]
                loads += measured["load"]
                wsgi = got["total_us"]
                column["access log (server/web/accesslog.py)"] = log_us
                worker = max(0.0, measured["us"]["worker"] - wsgi - log_us)
                if args.server == "gunicorn":
                    column["HTTP front (server/front.py, asyncio)"] = measured["us"]["front"]
                    column["gunicorn master"] = measured["us"]["gunicorn master"]
                    column["gunicorn gthread worker: HTTP parse, environ, write (worker CPU − WSGI − access log)"] = \
                        worker
                else:
                    column["granian master"] = measured["us"]["granian master"]
                    column[GRANIAN_WORKER] = worker
                if measured["us"]["executors"] > 1:
                    column["(over HTTP: of which executor processes, measured)"] = measured["us"]["executors"]
                column["total"] = sum(v for k, v in column.items() if k != "total" and not k.startswith("("))
                column["(over HTTP: master + worker + executors [+ front], measured)"] = sum(measured["us"].values())
            else:
                column["total"] = sum(column.values())
            columns[label] = column
            print(f"  {label}: in-process WSGI {got['total_us']:.0f} µs/request", flush=True)
        print(f"\n{store.name}: {len(ids)} entities, {args.count} requests per cell; load average "
              f"{min(loads):.2f}–{max(loads):.2f}\n")
        print(table(store.name, columns), flush=True)


if __name__ == "__main__":
    main()
