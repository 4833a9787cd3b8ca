"""Start a real `justicegraph serve` (gunicorn) on 127.0.0.1 at a free port for a test.

Reusable by any test that needs the running server (endpoint, pages, security, remote …)::

    from servers import running_server          # tests/ is on sys.path under pytest

    @pytest.fixture(scope="module")             # start once per module: keep suites fast
    def server(tmp_path_factory):
        store = tmp_path_factory.mktemp("store")
        fill(store)                             # write the store BEFORE starting: the server
                                                # publishes a snapshot of it at start
        with running_server(store, env={"JUSTICEGRAPH_WRITE_TOKEN": "secret"}) as s:
            yield s                             # s.url == "http://127.0.0.1:<port>"

``store`` is a directory (on-disk store, the production path: snapshots, killable
executors) or "memory". ``env`` adds JUSTICEGRAPH_* settings; ``workers``/``threads`` set
gunicorn's; ``dev=True`` runs Flask's development server instead. Rate limiting is off
unless ``env`` sets JUSTICEGRAPH_RATE_LIMIT. The server runs in its own process group and
is stopped (SIGTERM, then SIGKILL of the group) when the block ends. ``s.log()`` returns
what the server wrote to stderr/stdout (attach it to assertion messages when debugging).

``Listener()`` is a loopback HTTP server the test runs, recording every request that reaches
it (``.requests``, ``.url``; ``.close()``): point SERVICE, LOAD, FROM, JSON-LD contexts … at it
and assert that nothing arrived.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from justicegraph.store.remote.engines import free_port


@dataclass
class Server:
    url: str
    port: int
    store: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:  # anything the server left behind (executors, forkserver) is in its group
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait(timeout=5)


def _wait_healthy(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"the server did not become healthy in {timeout} s:\n{server.log()}")


@contextmanager
def running_server(store: str | os.PathLike, *, env: dict[str, str] | None = None, workers: int = 2,
                   threads: int = 4, dev: bool = False, timeout: float = 60.0):
    port = free_port()
    settings_env = {"JUSTICEGRAPH_STORE": str(store), "JUSTICEGRAPH_HOST": "127.0.0.1",
                    "JUSTICEGRAPH_PORT": str(port), "JUSTICEGRAPH_WORKERS": str(workers),
                    "JUSTICEGRAPH_THREADS": str(threads), "JUSTICEGRAPH_RATE_LIMIT": ""}
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("JUSTICEGRAPH_")}
    full_env.update(settings_env)
    full_env.update(env or {})
    log_file = tempfile.NamedTemporaryFile(prefix="jg-server-", suffix=".log", delete=False)
    command = [sys.executable, "-m", "justicegraph.cli", "serve"] + (["--dev"] if dev else [])
    process = subprocess.Popen(command, env=full_env, stdout=log_file, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", port, str(store), process, Path(log_file.name))
    try:
        _wait_healthy(server, timeout)
        yield server
    finally:
        server.stop()
        log_file.close()
        Path(log_file.name).unlink(missing_ok=True)


_ONE_ROW = (b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>'
            b'<variable name="s"/><variable name="p"/><variable name="o"/></head><results><result>'
            b'<binding name="s"><uri>http://x/s</uri></binding><binding name="p"><uri>http://x/p</uri></binding>'
            b'<binding name="o"><uri>http://x/o</uri></binding></result></results></sparql>')


class Listener:
    """An HTTP server the test runs; records every request that reaches it."""

    def __init__(self):
        self.requests: list[str] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                seen.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                sent = self.headers.get("Content-Type", "")
                query = "query=" in self.path or sent.startswith(("application/sparql-query", "application/x-www-form"))
                if query and "application/sparql-results+xml" in self.headers.get("Accept", ""):
                    # a SPARQL query (SERVICE): answered as a SPARQL endpoint answers, one row
                    self.send_header("Content-Type", "application/sparql-results+xml")
                    self.send_header("Content-Length", str(len(_ONE_ROW)))
                    self.end_headers()
                    self.wfile.write(_ONE_ROW)
                    return
                self.send_header("Content-Type", "text/turtle")
                self.end_headers()
                self.wfile.write(b"<http://x/s> <http://x/p> <http://x/o> .\n")

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.httpd = HTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}/"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
