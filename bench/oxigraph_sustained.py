"""Does `oxigraph serve` survive sustained light load, with and without ``--timeout-s``?

    .venv/bin/python bench/oxigraph_sustained.py --people 5000 --seconds 20 --clients 16

For each configuration, a fresh ``oxigraph serve --location`` (loaded by ``oxigraph load``
from the scale's N-Quads) is driven by closed-loop clients with the light mix (bench/mixes.py)
for a bounded time and request count, while its thread count, memory maps and resident
memory are sampled every 0.2 s from /proc. A guard stops the engine before it can take the
machine down (threads, maps or RSS past --max-threads / --max-rss-mb): the run then reports
"stopped by the guard". Loopback only; every process started here is stopped here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import loadgen  # noqa: E402
import pipeline  # noqa: E402
import servers  # noqa: E402
from mixes import Params, requests_for  # noqa: E402

from justicegraph.store.remote import engines  # noqa: E402


def _proc(pid: int) -> tuple[int, int, float]:
    """(threads, memory maps, RSS MB) of one process; zeros once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            status = dict(line.split(":", 1) for line in handle if ":" in line)
        with open(f"/proc/{pid}/maps") as handle:
            maps = sum(1 for _ in handle)
        return int(status["Threads"]), maps, int(status["VmRSS"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return 0, 0, 0.0


def run(nquads: Path, work: Path, timeout_s: int | None, args, queries) -> dict:
    location = work / "data"
    shutil.rmtree(work, ignore_errors=True)
    location.mkdir(parents=True)
    subprocess.run([engines.oxigraph_binary(), "load", "--location", str(location), "--file", str(nquads)],
                   check=True, capture_output=True)
    port = engines.free_port()
    cmd = [engines.oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
           "--union-default-graph"]
    if timeout_s:
        cmd += ["--timeout-s", str(timeout_s)]
    log = open(work / "oxigraph.log", "wb")  # noqa: SIM115 — closed below
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    peak = {"threads": 0, "maps": 0, "rss_mb": 0.0}
    guard: list[str] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set() and process.poll() is None:
            threads, maps, rss = _proc(process.pid)
            peak.update(threads=max(peak["threads"], threads), maps=max(peak["maps"], maps),
                        rss_mb=max(peak["rss_mb"], rss))
            if threads > args.max_threads or rss > args.max_rss_mb:
                guard.append(f"threads {threads}, maps {maps}, RSS {rss:.0f} MB")
                process.kill()
                return
            stop.wait(0.2)

    endpoint = f"http://127.0.0.1:{port}/query"
    try:
        servers.wait_first_answer(endpoint, process, time.perf_counter(), work / "oxigraph.log", timeout=60)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        cpu = servers.tree_cpu_s(process.pid)
        result = loadgen.run(endpoint, queries, clients=args.clients, duration=args.seconds, cap=args.cap,
                             timeout=30)
        cpu = servers.tree_cpu_s(process.pid) - cpu
        time.sleep(1.0)  # threads kept after the load (a thread per query held for --timeout-s)
        after = _proc(process.pid)
        stop.set()
        sampler.join(timeout=2)
        alive = process.poll() is None
    finally:
        stop.set()
        engines.stop_process(process, grace=10)
        log.close()
    tail = (work / "oxigraph.log").read_text(errors="replace")[-300:]
    shutil.rmtree(work, ignore_errors=True)
    return {"timeout_s": timeout_s, "survived": alive and not guard, "guard": guard[0] if guard else None,
            "requests": result["requests"], "errors": result["errors"], "rps": result["throughput_rps"],
            "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"],
            "cpu_ms_per_request": round(1000 * cpu / result["requests"], 3) if result["requests"] else None,
            "peak_threads": peak["threads"], "peak_maps": peak["maps"], "peak_rss_mb": round(peak["rss_mb"]),
            "threads_1s_after": after[0], "log_tail": tail if not alive else "",
            "error_samples": result["error_samples"][:2]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--cap", type=int, default=20_000, help="most requests per configuration")
    parser.add_argument("--timeouts", default="30,0", help="--timeout-s values to try; 0: without it")
    parser.add_argument("--max-threads", type=int, default=3000)
    parser.add_argument("--max-rss-mb", type=int, default=2000)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args(argv)
    scale = pipeline.Scale(args.people, args.seed, args.data)
    scale.build(lambda message: print(message, flush=True))
    queries = requests_for("light", Params.from_records(scale.records), 400)
    version = subprocess.run([engines.oxigraph_binary(), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"{version}; load average {open('/proc/loadavg').read().split()[:3]}", flush=True)
    rows = []
    for value in args.timeouts.split(","):
        row = run(scale.all_nq, scale.dir / "work-sustained", int(value) or None, args, queries)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("| --timeout-s | survived | requests | errors | req/s | p50 / p99 ms | CPU ms/req | peak threads "
          "| peak maps | peak RSS MB | threads 1 s after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['timeout_s'] or 'none'} | {'yes' if r['survived'] else 'NO: ' + (r['guard'] or 'exited')} "
              f"| {r['requests']} | {r['errors']} | {r['rps']} | {r['p50_ms']} / {r['p99_ms']} "
              f"| {r['cpu_ms_per_request']} | {r['peak_threads']} | {r['peak_maps']} | {r['peak_rss_mb']} "
              f"| {r['threads_1s_after']} |")
    print(f"load average after: {open('/proc/loadavg').read().split()[:3]}; pid {os.getpid()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
