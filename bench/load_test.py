"""Bounded load test: concurrent readers and writers against a justicegraph server on
loopback for a fixed time, then a check that nothing was lost or half-written.

    python bench/load_test.py --duration 10 --readers 4 --writers 2          # starts its own server
    python bench/load_test.py --url http://127.0.0.1:5000 --write-token T ...  # an existing one

Readers send a mix of SPARQL queries (GET and POST). Writers each own a few graphs and
replace them (Graph Store PUT), add to them (Graph Store POST) and insert into them
(SPARQL Update), each write carrying a known number of triples under a unique tag. At the
end every graph is read back: an acknowledged write must be there whole, an unacknowledged
one whole or not at all (a timeout may still have committed), and never a part.

Prints counts per status and latency percentiles per operation as JSON; exits 1 on any 5xx,
transport error, lost or partial write.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests

from justicegraph.store.remote.engines import free_port

GRAPH_PREFIX = "https://w3id.org/justicegraph/graph/import/load-test-"
PRED = "https://w3id.org/justicegraph/ontology#loadTestItem"
READS = [
    "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
    "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g LIMIT 50",
    f"SELECT ?s ?o {{ ?s <{PRED}> ?o }} ORDER BY ?o LIMIT 20",
    "ASK { ?s a ?c }",
    "SELECT DISTINCT ?c { ?s a ?c } LIMIT 100",
]


@dataclass
class Ledger:
    """What each writer sent: per graph, the writes in order with their outcome."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    # graph -> list of (kind, tag, triples, acknowledged)
    writes: dict[str, list[tuple[str, str, int, bool]]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, op: str, seconds: float, status: int | str) -> None:
        with self.lock:
            self.latencies[op].append(seconds)
            self.statuses[f"{op} {status}"] += 1


def turtle(tag: str, n: int) -> str:
    return "".join(f'<urn:jg:load/{tag}/{i}> <{PRED}> "{tag} {i}" .\n' for i in range(n))


def reader(url: str, stop: float, ledger: Ledger, seed: int, token: str | None) -> None:
    rng, session = random.Random(seed), requests.Session()
    headers = {"Accept": "application/sparql-results+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    while time.monotonic() < stop:
        query = rng.choice(READS)
        op = "read-get" if rng.random() < 0.5 else "read-post"
        started = time.monotonic()
        try:
            if op == "read-get":
                r = session.get(f"{url}/sparql", params={"query": query}, headers=headers, timeout=60)
            else:
                r = session.post(f"{url}/sparql", data={"query": query}, headers=headers, timeout=60)
            ledger.record(op, time.monotonic() - started, r.status_code)
        except requests.RequestException as exc:
            ledger.record(op, time.monotonic() - started, "transport-error")
            ledger.errors.append(f"{op}: {exc}")


def writer(url: str, stop: float, ledger: Ledger, index: int, token: str, batch: int) -> None:
    rng, session = random.Random(1000 + index), requests.Session()
    auth = {"Authorization": f"Bearer {token}"}
    graphs = [f"{GRAPH_PREFIX}{index}-{k}" for k in range(3)]
    serial = 0
    while time.monotonic() < stop:
        graph, serial = rng.choice(graphs), serial + 1
        tag, n = f"w{index}-{serial}", rng.randint(1, batch)
        kind = rng.choice(["put", "post", "update"])
        started = time.monotonic()
        try:
            if kind == "update":
                body = f"INSERT DATA {{ GRAPH <{graph}> {{ {turtle(tag, n)} }} }}"
                r = session.post(f"{url}/sparql", data=body.encode(), timeout=60,
                                 headers={**auth, "Content-Type": "application/sparql-update"})
            else:
                send = session.put if kind == "put" else session.post
                r = send(f"{url}/graphs", params={"graph": graph}, data=turtle(tag, n).encode(), timeout=60,
                         headers={**auth, "Content-Type": "text/turtle"})
            status: int | str = r.status_code
            acknowledged = 200 <= r.status_code < 300
            if not acknowledged and r.status_code != 429:
                ledger.errors.append(f"{kind} {graph}: {r.status_code} {r.text[:300]}")
        except requests.RequestException as exc:
            status, acknowledged = "transport-error", False
            ledger.errors.append(f"{kind} {graph}: {exc}")
        ledger.record(f"write-{kind}", time.monotonic() - started, status)
        with ledger.lock:
            ledger.writes[graph].append((kind, tag, n, acknowledged))


def verify(url: str, ledger: Ledger, token: str) -> list[str]:
    """Problems with what the store holds against what the writers were told."""
    problems = []
    for graph, writes in ledger.writes.items():
        r = requests.get(f"{url}/sparql", timeout=60, headers={
            "Accept": "application/sparql-results+json", "Authorization": f"Bearer {token}"}, params={
            "query": f"SELECT ?o {{ GRAPH <{graph}> {{ ?s <{PRED}> ?o }} }}"})
        r.raise_for_status()
        found = Counter(b["o"]["value"].split(" ")[0] for b in r.json()["results"]["bindings"])
        problems += _check_graph(graph, writes, found)
    return problems


def _check_graph(graph, writes, found: Counter) -> list[str]:
    problems, sizes = [], {tag: n for _, tag, n, _ in writes}
    for tag, count in found.items():
        if tag not in sizes:
            problems.append(f"{graph}: holds unknown write {tag}")
        elif count != sizes[tag]:
            problems.append(f"{graph}: write {tag} is partial ({count} of {sizes[tag]} triples)")
    # Writes to a graph come from one writer, in order: an acknowledged write with no later
    # PUT must be there; anything followed by an acknowledged PUT must be gone.
    for i, (kind, tag, _n, acked) in enumerate(writes):
        later_puts = [w for w in writes[i + 1:] if w[0] == "put"]
        if acked and not later_puts and tag not in found:
            problems.append(f"{graph}: acknowledged {kind} {tag} is lost")
        if any(w[3] for w in later_puts) and tag in found:
            problems.append(f"{graph}: {kind} {tag} survived a later acknowledged PUT")
    return problems


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda p: ordered[min(len(ordered) - 1, int(p * len(ordered)))]  # noqa: E731
    return {"n": len(ordered), "p50_ms": round(pick(0.5) * 1000, 1), "p90_ms": round(pick(0.9) * 1000, 1),
            "p99_ms": round(pick(0.99) * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}


def run(url: str, *, duration: float, readers: int, writers: int, write_token: str,
        read_token: str | None = None, batch: int = 50) -> dict:
    ledger, stop = Ledger(), time.monotonic() + duration
    threads = [threading.Thread(target=reader, args=(url, stop, ledger, i, read_token)) for i in range(readers)]
    threads += [threading.Thread(target=writer, args=(url, stop, ledger, i, write_token, batch))
                for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    problems = verify(url, ledger, read_token or write_token)
    server_errors = sum(n for key, n in ledger.statuses.items() if key.split()[-1].startswith("5"))
    transport = sum(n for key, n in ledger.statuses.items() if key.endswith("transport-error"))
    acknowledged = sum(1 for ws in ledger.writes.values() for w in ws if w[3])
    return {
        "duration_s": duration, "readers": readers, "writers": writers,
        "requests": sum(ledger.statuses.values()),
        "requests_per_s": round(sum(ledger.statuses.values()) / duration, 1),
        "statuses": dict(sorted(ledger.statuses.items())),
        "latency": {op: percentiles(v) for op, v in sorted(ledger.latencies.items())},
        "acknowledged_writes": acknowledged, "server_errors": server_errors, "transport_errors": transport,
        "lost_or_partial": problems, "errors": ledger.errors[:20],
        "ok": server_errors == 0 and transport == 0 and not problems and acknowledged > 0,
    }


# -- a server of our own -------------------------------------------------------------------


def start_server(store: Path, *, write_token: str, read_token: str, workers: int, threads: int,
                 log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "JUSTICEGRAPH_WRITE_TOKEN": write_token, "JUSTICEGRAPH_READ_TOKEN": read_token,
           "JUSTICEGRAPH_RATE_LIMIT": "", "JUSTICEGRAPH_WORKERS": str(workers),
           "JUSTICEGRAPH_THREADS": str(threads), "JUSTICEGRAPH_QUERY_TIMEOUT": "20"}
    cmd = [sys.executable, "-m", "justicegraph.cli", "--store", str(store), "serve",
           "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not answer within 60 s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an already running server (default: start one on a fresh store)")
    parser.add_argument("--write-token", default="load-test-writer")
    parser.add_argument("--read-token", default="load-test-reader")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=50, help="most triples per write")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    process = None
    with tempfile.TemporaryDirectory(prefix="jg-load-") as work:
        url = args.url
        if url is None:
            process, url = start_server(Path(work) / "store", write_token=args.write_token,
                                        read_token=args.read_token, workers=args.workers,
                                        threads=args.threads, log=Path(work) / "server.log")
        try:
            result = run(url.rstrip("/"), duration=args.duration, readers=args.readers, writers=args.writers,
                         write_token=args.write_token, read_token=args.read_token, batch=args.batch)
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
    print(json.dumps(result, indent=1))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
