"""Start the servers under test on loopback, each on a free port, and measure the time from
start to first answer and the peak resident memory of the whole process tree.

- ``justicegraph serve`` on the on-disk store (settings through JUSTICEGRAPH_* variables);
- ``oxigraph serve --location DIR --union-default-graph`` on a copy loaded by ``oxigraph load``;
- Virtuoso Open Source through ``justicegraph.store.remote.engines.start_virtuoso`` (own ini, loopback
  ports, dba password changed), bulk-loaded with ld_dir / rdf_loader_run / checkpoint.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from justicegraph.store.remote.engines import free_port

VENV_BIN = Path(sys.executable).parent
PROBE = quote("ASK { ?s ?p ?o }")


@dataclass
class Server:
    name: str
    endpoint: str                 # the query URL
    process: subprocess.Popen
    first_answer_s: float
    stop_fn: object = None
    sampler: RssSampler | None = None
    notes: list[str] = field(default_factory=list)

    def peak_rss_mb(self) -> float | None:
        return self.sampler.peak_mb if self.sampler else None

    def peak_pss_mb(self) -> float | None:
        return self.sampler.peak_pss_mb if self.sampler else None

    def stop(self) -> None:
        if self.sampler:
            self.sampler.stop()
        if self.stop_fn:
            self.stop_fn()
        else:
            from justicegraph.store.remote.engines import stop_process

            stop_process(self.process, grace=30)


class RssSampler:
    """Samples the summed RSS of a process and its descendants every 0.2 s, and their summed
    PSS every second; keeps the peaks. RSS counts a page shared by forked processes (memory
    mode's executors share their zygote's copy) once per process; PSS divides it among them,
    so its sum is the memory the tree holds."""

    PSS_EVERY = 5  # samples: smaps_rollup walks the page tables, dearer than status

    def __init__(self, pid: int):
        self.pid, self.peak_mb, self.peak_pss_mb, self._stop = pid, 0.0, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        sample = 0
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))
            if sample % self.PSS_EVERY == 0:
                self.peak_pss_mb = max(self.peak_pss_mb, tree_pss_mb(self.pid))
            sample += 1
            self._stop.wait(0.2)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def tree_rss_mb(pid: int) -> float:
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{p}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def tree_pss_mb(pid: int) -> float:
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{p}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total / 1024


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system, with reaped children) of a process and its descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in [pid, *descendants(pid)]:
        try:
            with open(f"/proc/{p}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def cpu_per_request(cpu_s: float, requests: int) -> dict:
    """The server's CPU per answered request during a cell: on a shared machine, a measure of
    cost that other processes' load changes much less than throughput."""
    return {"server_cpu_s": round(cpu_s, 2),
            "server_cpu_ms_per_request": round(1000 * cpu_s / requests, 3) if requests else None}


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        out += kids
        todo += kids
    return out



def wait_first_answer(endpoint: str, process: subprocess.Popen, started: float, log: Path,
                      timeout: float = 120) -> float:
    """Seconds from ``started`` until the endpoint answers a query with 200."""
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}: {_tail(log)}")
        try:
            request = urllib.request.Request(f"{endpoint}?query={PROBE}",
                                             headers={"Accept": "application/sparql-results+json"})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.01)
    process.terminate()
    raise RuntimeError(f"no answer within {timeout}s: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-600:] if log.exists() else ""


def parse_layout(spec: str) -> tuple[int, int, dict[str, str]]:
    """``WORKERSxTHREADS`` with optional settings: ``2x4+access_log=false+serve_mode=memory``
    → (2, 4, {"JUSTICEGRAPH_ACCESS_LOG": "false", …}) — so a serving mode is one more row."""
    size, *options = spec.split("+")
    workers, threads = (int(x) for x in size.split("x"))
    env = {}
    for option in options:
        key, _, value = option.partition("=")
        env[f"JUSTICEGRAPH_{key.upper()}"] = value
    return workers, threads, env


def start_justicegraph(store: Path, workdir: Path, *, workers: int, threads: int, extra_env=None) -> Server:
    port = free_port()
    env = dict(os.environ, JUSTICEGRAPH_STORE=str(store), JUSTICEGRAPH_HOST="127.0.0.1",
               JUSTICEGRAPH_PORT=str(port), JUSTICEGRAPH_WORKERS=str(workers), JUSTICEGRAPH_THREADS=str(threads),
               JUSTICEGRAPH_RATE_LIMIT="", **(extra_env or {}))
    published = (store.parent / (store.name + ".jg") / "CURRENT").exists()
    server = _start(f"justicegraph w{workers}×t{threads}", [str(VENV_BIN / "justicegraph"), "serve"], env,
                    f"http://127.0.0.1:{port}/sparql", workdir, timeout=600)
    # The first start after a load publishes a snapshot; later starts find one.
    server.notes.append("started with a published snapshot" if published else "started with no snapshot yet")
    if env.get("JUSTICEGRAPH_SERVE_MODE") == "memory":
        _wait_for_memory_copies(server, workers)
    return server


def _wait_for_memory_copies(server: Server, workers: int, timeout: float = 900) -> None:
    """Memory mode answers from disk until each worker's copy is loaded: the cells measure
    the mode itself, so wait for /metrics to count every worker's copy (the wait is noted)."""
    url = server.endpoint.rsplit("/", 1)[0] + "/metrics"
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with urllib.request.urlopen(url, timeout=30) as response:
            for line in response.read().decode().splitlines():
                if line.startswith("justicegraph_memory_copies_total ") and float(line.split()[1]) >= workers:
                    server.notes.append(f"memory copies loaded {time.perf_counter() - started:.1f} s after the "
                                        "first answer")
                    return
        time.sleep(0.2)
    server.notes.append(f"memory copies not all loaded after {timeout:.0f} s: measured while loading")


def start_oxigraph(location: Path, workdir: Path) -> Server:
    port = free_port()
    cmd = [str(VENV_BIN / "oxigraph"), "serve-read-only", "--location", str(location),
           "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    return _start("oxigraph serve", cmd, dict(os.environ), f"http://127.0.0.1:{port}/query", workdir)


def _start(name, cmd, env, endpoint, workdir: Path, timeout: float = 120) -> Server:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name.split()[0]}.log"
    with open(log, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    sampler = RssSampler(process.pid)
    try:
        first = wait_first_answer(endpoint, process, started, log, timeout)
    except RuntimeError:
        sampler.stop()
        raise
    return Server(name, endpoint, process, first, sampler=sampler)


def oxigraph_load(nquads: Path, location: Path) -> float:
    """Bulk load with oxigraph's own loader; returns seconds."""
    shutil.rmtree(location, ignore_errors=True)
    location.mkdir(parents=True)
    started = time.perf_counter()
    done = subprocess.run([str(VENV_BIN / "oxigraph"), "load", "--location", str(location), "--file", str(nquads)],
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"oxigraph load failed: {(done.stdout + done.stderr)[-600:]}")
    return time.perf_counter() - started


def start_virtuoso(nquads: Path, workdir: Path) -> tuple[Server, float]:
    """A fresh Virtuoso database, bulk-loaded from ``nquads``; returns the server and load seconds."""
    from justicegraph.store.remote import engines

    reason = engines.virtuoso_missing()
    if reason:
        raise RuntimeError(reason)
    shutil.rmtree(workdir, ignore_errors=True)
    started = time.perf_counter()
    engine = engines.start_virtuoso(workdir, max_rows=10_000_000, buffers=340_000)
    endpoint = engine.store_url.removeprefix("sparql+").split("?")[0]
    first = time.perf_counter() - started
    sampler = RssSampler(engine.process.pid)
    load_dir = workdir / "load"
    load_dir.mkdir(exist_ok=True)
    shutil.copy(nquads, load_dir / "data.nq")
    t0 = time.perf_counter()
    engine.isql(f"ld_dir('{load_dir}', 'data.nq', 'urn:justicegraph:unused');\n"
                "rdf_loader_run();\ncheckpoint;\n", timeout=3600)
    loaded = time.perf_counter() - t0
    # Only public graphs were loaded: the anonymous endpoint may read all of them (a new
    # database may hide every graph from `nobody` until granted — justicegraph/store/remote/access.py).
    engine.isql("DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 1, 0);\n", timeout=60)
    server = Server("virtuoso", endpoint, engine.process, first, stop_fn=engine.stop, sampler=sampler)
    server.notes.append("first answer measured on a new, empty database (before the bulk load); "
                        "anonymous endpoint, every loaded graph readable")
    return server, loaded
