"""Start and stop real SPARQL engines on loopback ports, for tests and benchmarks.

API (tests/test_backends.py and bench/remote_engines.py use it):

- ``oxigraph_missing()`` / ``virtuoso_missing()`` → None when the engine can run here, else a
  one-line reason (for ``pytest.skip``).
- ``start_oxigraph(workdir, *, timeout_s=None, on_disk=False)`` → ``Engine``
  (``oxigraph serve`` from the venv's PyPI ``oxigraph`` package; data in memory or in
  ``workdir/data``).
- ``start_virtuoso(workdir, *, max_rows=…, max_seconds=…)`` → ``Engine`` (``virtuoso-t``
  from Debian's ``virtuoso-opensource`` with our own ini, database, SQL and HTTP ports under
  ``workdir`` (a new database each time); the ``dba`` password is changed at start and a ``justicegraph`` SPARQL user
  is created for writes through digest-authenticated ``/sparql-auth``; engine-side graph
  security is installed (justicegraph/store/remote/access.py): the anonymous ``/sparql`` reads only
  the graphs our writes make public, a ``justicegraph_reader`` account reads all of ours).
- ``Engine.store_url`` — the ``JUSTICEGRAPH_STORE`` value; ``Engine.environ`` — every
  setting the engine needs, as environment variables; ``Engine.settings(**overrides)`` —
  the same as a ``Settings``; ``Engine.open()`` — a ``RemoteStore``; ``Engine.stop()``.
- ``Engine.isql(sql)`` (Virtuoso only): run SQL as ``dba`` (bulk loads, checkpoints).

Each engine binds 127.0.0.1 on a free port, never the engines' default ports.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from justicegraph.store.remote.access import READER, virtuoso_setup_sql

_VIRTUOSO = "virtuoso-t"
_ISQL = "isql-vt"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def oxigraph_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "oxigraph"
    return str(beside_python) if beside_python.exists() else shutil.which("oxigraph")


def oxigraph_missing() -> str | None:
    if oxigraph_binary() is None:
        return "oxigraph server not installed (pip install oxigraph — it is in the test extras)"
    return None


def virtuoso_missing() -> str | None:
    for tool in (_VIRTUOSO, _ISQL):
        if shutil.which(tool) is None:
            return f"{tool} not installed (apt-get install virtuoso-opensource; scripts/system-deps.sh does it as root)"
    return None


@dataclass
class Engine:
    name: str
    process: subprocess.Popen
    store_url: str
    workdir: Path
    environ: dict[str, str] = field(default_factory=dict)
    sql_port: int | None = None
    dba_password: str | None = None
    companion: subprocess.Popen | None = None  # oxigraph: the public dataset's own engine

    def settings(self, **overrides):
        from justicegraph.settings import Settings

        return Settings.from_env(self.environ, **overrides)

    def open(self, **overrides):
        from justicegraph.store.remote import open_remote

        return open_remote(self.settings(**overrides))

    def isql(self, sql: str, timeout: float = 600) -> str:
        if self.sql_port is None:
            raise RuntimeError(f"{self.name} has no SQL port")
        return _isql(self.sql_port, "dba", self.dba_password, sql, timeout)

    def stop(self) -> None:
        stop_process(self.process, grace=20)
        if self.companion is not None:
            stop_process(self.companion, grace=20)


def stop_process(process: subprocess.Popen, *, grace: float = 20) -> None:
    """SIGTERM, then SIGKILL if the process has not ended within ``grace`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def start_oxigraph(workdir: Path, *, timeout_s: float | None = None, on_disk: bool = False,
                   public: bool = False) -> Engine:
    """``public``: also a second ``oxigraph serve`` (its own location) holding the public
    dataset (justicegraph/store/remote/public.py), named by ``JUSTICEGRAPH_STORE_PUBLIC_URL``.
    ``timeout_s``: ``--timeout-s``, which holds a thread per query for the whole limit (3,474
    threads within ~4,000 light queries at 30 s: docs/scaling.md) — for tests' bounded loads
    only; benchmarks of sustained load leave it out."""
    binary = oxigraph_binary()
    if binary is None:
        raise RuntimeError(oxigraph_missing())
    workdir.mkdir(parents=True, exist_ok=True)
    process, url = _serve_oxigraph(binary, workdir, "", timeout_s, on_disk)
    environ = {"JUSTICEGRAPH_STORE": url}
    companion = None
    if public:
        try:
            companion, environ["JUSTICEGRAPH_STORE_PUBLIC_URL"] = _serve_oxigraph(binary, workdir, "public",
                                                                                   timeout_s, on_disk)
        except BaseException:
            stop_process(process)
            raise
    return Engine("oxigraph", process, url, workdir, environ, companion=companion)


def _serve_oxigraph(binary: str, workdir: Path, name: str, timeout_s: float | None,
                    on_disk: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [binary, "serve", "--bind", f"127.0.0.1:{port}"]
    if on_disk:
        cmd += ["--location", str(workdir / (name or "data"))]
    if timeout_s:
        cmd += ["--timeout-s", str(int(timeout_s))]
    logfile = workdir / f"oxigraph{'-' + name if name else ''}.log"
    log = open(logfile, "wb")  # noqa: SIM115 — the process owns it
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{base}/query?query=ASK%7B%7D", process, logfile)
    except BaseException:
        process.kill()
        process.wait(timeout=30)
        raise
    return process, f"sparql+{base}/query?update=/update&store=/store&engine=oxigraph"


_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {d}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
MaxQueryMem = 1G
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 4
VADInstallDir = /usr/share/virtuoso-opensource-7/vad/

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}/vsp
MaxClientConnections = 20
ServerThreads = 20
MaxKeepAlives = 20
KeepAliveTimeout = 10
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = {max_seconds}
DefaultGraph = urn:justicegraph:default-graph
"""

# Run once on a new database: the dba password is changed, a writer account gets exactly the
# right to update through SPARQL, and the anonymous user keeps read-only access.
_VIRTUOSO_SETUP = """\
set password dba {dba};
DB.DBA.USER_CREATE ('justicegraph', '{pw}');
GRANT SPARQL_UPDATE TO "justicegraph";
DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('justicegraph', 15);
"""


def start_virtuoso(
    workdir: Path, *, max_rows: int = 2_000_000, max_seconds: int = 0, buffers: int = 170_000
) -> Engine:
    reason = virtuoso_missing()
    if reason:
        raise RuntimeError(reason)
    workdir.mkdir(parents=True, exist_ok=True)
    for old in workdir.glob("virtuoso*"):  # always a new database: its passwords are made here
        old.unlink()
    (workdir / "vsp").mkdir(exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = workdir / "virtuoso.ini"
    ini.write_text(
        _VIRTUOSO_INI.format(
            d=workdir, sql_port=sql_port, http_port=http_port, max_rows=max_rows,
            max_seconds=max_seconds, buffers=buffers, dirty=buffers * 3 // 4,
        ),
        encoding="utf-8",
    )
    log = open(workdir / "stdout.log", "wb")  # noqa: SIM115 — the process owns it
    process = subprocess.Popen(
        [_VIRTUOSO, "+configfile", str(ini), "+foreground"],
        cwd=workdir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{http_port}"
    dba, writer = "jg" + secrets.token_hex(12), "jg" + secrets.token_hex(12)  # isql: no leading digit
    reader = "jg" + secrets.token_hex(12)
    try:
        _wait_http(f"{base}/sparql?query=ASK%7B%7D", process, workdir / "virtuoso.log", timeout=60)
        _isql(sql_port, "dba", "dba", _VIRTUOSO_SETUP.format(dba=dba, pw=writer), 60)
        _isql(sql_port, "dba", dba, _virtuoso_security(sql_port, dba, reader), 60)
    except BaseException:  # never leave a half-configured engine running
        process.kill()
        process.wait(timeout=30)
        raise
    url = f"sparql+{base}/sparql?update=/sparql-auth&store=/sparql-graph-crud-auth&read=/sparql-auth&engine=virtuoso"
    environ = {
        "JUSTICEGRAPH_STORE": url,
        "JUSTICEGRAPH_STORE_USER": "justicegraph",
        "JUSTICEGRAPH_STORE_PASSWORD": writer,
        "JUSTICEGRAPH_STORE_READER_USER": READER,
        "JUSTICEGRAPH_STORE_READER_PASSWORD": reader,
    }
    return Engine("virtuoso", process, url, workdir, environ, sql_port=sql_port, dba_password=dba)


def _virtuoso_security(sql_port: int, dba: str, reader_password: str) -> str:
    """The graph-security SQL for a new database: Virtuoso's own graphs (all that exist now)
    become private, hidden from the reader and the anonymous user."""
    from justicegraph.store.remote.base import DEFAULT_GRAPH, STAGING_PREFIX

    listing = _isql(sql_port, "dba", dba, "SPARQL SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } };", 60)
    system = [line.strip() for line in listing.splitlines() if line.strip().startswith(("http", "urn"))]
    return virtuoso_setup_sql("justicegraph", READER, reader_password, DEFAULT_GRAPH, STAGING_PREFIX, system)


def _isql(port: int, user: str, password: str | None, sql: str, timeout: float) -> str:
    done = subprocess.run(
        [_ISQL, f"127.0.0.1:{port}", user, password or "", "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF"],
        input=sql + "\n", capture_output=True, text=True, timeout=timeout, check=False,
    )
    out = done.stdout + done.stderr
    if done.returncode != 0 or "*** Error" in out:
        raise RuntimeError(f"isql failed: {out.strip()[-800:]}")
    return out


def _wait_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
            raise RuntimeError(f"engine exited with {process.returncode}: {tail}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"engine did not answer at {url} within {timeout}s")


def clear_store(store) -> None:
    """Empty a remote store, graph by graph (Virtuoso ignores DROP ALL), hidden graphs included."""
    import pyoxigraph as ox

    from justicegraph.store.remote.base import DEFAULT_GRAPH, STAGING_PREFIX

    body, _ = store._post(store.query_url, [("query", store.dialect.graphs_query)],
                          "application/sparql-results+json", store.query_timeout)
    rows = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    staged = [r["g"].value for r in rows if r["g"].value.startswith(STAGING_PREFIX)]
    graphs = [*store.graphs(), *staged, DEFAULT_GRAPH]
    for start in range(0, len(graphs), 500):  # one request for thousands overruns time limits
        store.update(" ;\n".join(f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in graphs[start:start + 500]))
    if getattr(store, "public", None) is not None:
        store.public.clear()
