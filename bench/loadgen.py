"""A closed-loop HTTP load client for SPARQL endpoints (and entity pages) on loopback.

``c`` clients each send one request, wait for the whole answer, and send the next, for a
fixed duration or until a request cap. The clients run as threads spread over a few
processes (so that the client's own Python does not become the bottleneck under one GIL),
each with a keep-alive connection. Every answer's status is checked: an error is any
non-200 answer, a broken connection or a timeout."""

from __future__ import annotations

import http.client
import multiprocessing as mp
import threading
import time
from urllib.parse import quote, urlsplit

ACCEPT = "application/sparql-results+json"


def run(endpoint: str, queries: list[tuple[str, str]], *, clients: int, duration: float, cap: int,
        processes: int = 2, timeout: float = 120.0) -> dict:
    """Drive ``endpoint`` (a query URL, e.g. http://127.0.0.1:7878/query) with ``queries``
    (name, text), cycled; return throughput, latency percentiles and errors."""
    path = urlsplit(endpoint).path
    return run_paths(endpoint, [(name, f"{path}?query={quote(text)}", ACCEPT) for name, text in queries],
                     clients=clients, duration=duration, cap=cap, processes=processes, timeout=timeout)


def run_paths(server: str, requests: list[tuple[str, str, str]], *, clients: int, duration: float, cap: int,
              processes: int = 2, timeout: float = 120.0) -> dict:
    """The same for any GET: ``requests`` are (name, path, Accept), sent to ``server``'s host
    and port (entity pages: /id/… as HTML, Turtle, JSON-LD)."""
    processes = max(1, min(processes, clients))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 0.3  # every client starts together
    workers = []
    for p in range(processes):
        ids = list(range(p, clients, processes))
        proc = ctx.Process(target=_process, args=(server, requests, ids, clients, start_at, duration,
                                                  max(1, cap // clients), timeout, queue))
        proc.start()
        workers.append(proc)
    parts = [queue.get() for _ in workers]
    for proc in workers:
        proc.join()
    return summarise(parts, duration)


def _process(endpoint, queries, ids, clients, start_at, duration, cap, timeout, queue) -> None:
    results: list[dict] = []
    threads = [threading.Thread(target=_client, args=(endpoint, queries, i, clients, start_at, duration, cap,
                                                      timeout, results)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put(results)


def _client(endpoint, queries, index, clients, start_at, duration, cap, timeout, results) -> None:
    url = urlsplit(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    latencies, errors, timeouts, stopped, samples = [], 0, 0, 0, []
    time.sleep(max(0.0, start_at - time.time()))
    began = time.perf_counter()
    deadline = began + duration
    # Each client walks the whole list in order from its own starting point, so what it has
    # answered when the cell ends is a run of consecutive requests: every kind of query in its
    # share. (Striding by the number of clients gave a client only the kinds whose position
    # matches its own: with 10 kinds and 4 or 16 clients, half the clients asked only the
    # even-numbered kinds, and the cell counted more of whichever half ran faster.)
    i = index * len(queries) // clients
    while len(latencies) + errors < cap and time.perf_counter() < deadline:
        _, path, accept = queries[i % len(queries)]
        i += 1
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Accept": accept})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                # 503 is the server's own query time limit (justicegraph's), slowness not failure
                stopped += response.status == 503
                raise RuntimeError(f"HTTP {response.status}: {body[:200]!r}")
            latencies.append(time.perf_counter() - t0)
        except Exception as exc:  # noqa: BLE001 — every failure is counted and reported
            errors += 1
            timeouts += isinstance(exc, TimeoutError)
            if len(samples) < 3:
                samples.append(f"{queries[(i - 1) % len(queries)][0]}: {exc}"[:300])
            conn.close()
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    results.append({"latencies": latencies, "errors": errors, "timeouts": timeouts, "stopped": stopped,
                    "samples": samples,
                    "elapsed": time.perf_counter() - began})
    conn.close()


def summarise(parts: list[list[dict]], duration: float) -> dict:
    clients = [c for part in parts for c in part]
    latencies = sorted(x for c in clients for x in c["latencies"])
    elapsed = max((c["elapsed"] for c in clients), default=duration) or duration
    errors = sum(c["errors"] for c in clients)

    def pct(q: float) -> float | None:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2) if latencies else None

    return {"requests": len(latencies), "errors": errors, "timeouts": sum(c["timeouts"] for c in clients),
            "stopped_by_time_limit": sum(c["stopped"] for c in clients),
            "elapsed_s": round(elapsed, 2),
            "throughput_rps": round(len(latencies) / elapsed, 2), "p50_ms": pct(0.5), "p95_ms": pct(0.95),
            "p99_ms": pct(0.99), "error_samples": [s for c in clients for s in c["samples"]][:5]}
