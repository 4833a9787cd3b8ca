"""Start-up of `justicegraph serve` in disk or memory mode (issue #18, item 5): when the port
opens, when the first query is answered, how many answers were not 200 meanwhile, when every
executor is in its final state (memory mode: forked from a zygote that holds the copy), and
the memory of the whole process tree (sum of RSS, and of PSS, which counts a page shared by
n processes as 1/n of it: forked executors share the zygote's copy).

    .venv/bin/python bench/memory_start.py --store S --mode memory [--workers 2 --threads 4]

One probe query at a time from the moment the port opens (a light lookup, anonymous), every
0.1 s, until the executors are in place and 5 s more; memory sampled every 0.1 s. CPU: the
user+system seconds of the live process tree when it is ready (processes that ended before,
e.g. the snapshot publication, are not counted). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from urllib.error import HTTPError, URLError

PROBE = "SELECT ?o WHERE { <https://w3id.org/justicegraph/id/no-such-thing> ?p ?o } LIMIT 1"
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree(session: int) -> dict[int, dict]:
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if int(fields[3]) != session or fields[0] == "Z":
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
            rss = pss = 0
            with open(f"/proc/{entry}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Rss:"):
                        rss = int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss = int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
        found[int(entry)] = {"ppid": int(fields[1]), "cpu": (int(fields[11]) + int(fields[12])) / TICK,
                             "rss": rss, "pss": pss, "command": command}
    return found


def executors_in_place(processes: dict[int, dict], mode: str, expected: int) -> bool:
    executors = {pid: p for pid, p in processes.items() if b"justicegraph.server.protocol.process" in p["command"]}
    if mode == "disk":
        return len(executors) >= expected
    zygotes = {pid for pid, p in executors.items()
               if b"zygote" in p["command"] and b"zygote" not in processes.get(p["ppid"], {}).get("command", b"")}
    forked = [pid for pid, p in executors.items() if p["ppid"] in zygotes]
    disk = [pid for pid, p in executors.items() if b"zygote" not in p["command"]]
    return len(forked) >= expected and not disk


def probe(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return response.status
    except HTTPError as error:
        return error.code
    except (URLError, OSError):
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--mode", choices=("disk", "memory"), default="memory")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--executors", type=int, default=0, help="per worker (0: threads)")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--before-zygote", action="store_true",
                        help="code before the zygote (each executor loads its own copy): ready when every executor "
                             "exists and the tree's RSS has grown by under 1%% in 3 s")
    args = parser.parse_args()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUSTICEGRAPH_")}
    env.update({"JUSTICEGRAPH_STORE": args.store, "JUSTICEGRAPH_HOST": "127.0.0.1", "JUSTICEGRAPH_PORT": str(port),
                "JUSTICEGRAPH_WORKERS": str(args.workers), "JUSTICEGRAPH_THREADS": str(args.threads),
                "JUSTICEGRAPH_EXECUTORS": str(args.executors), "JUSTICEGRAPH_RATE_LIMIT": "",
                "JUSTICEGRAPH_ACCESS_LOG": "false", "JUSTICEGRAPH_INLINE_LOOKUPS": "false",
                "JUSTICEGRAPH_SERVE_MODE": args.mode})
    expected = args.workers * (args.executors or args.threads)
    url = f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode({"query": PROBE})
    started = time.monotonic()
    server = subprocess.Popen([sys.executable, "-m", "justicegraph.cli", "serve"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    result = {"mode": args.mode, "store": args.store, "layout": f"{args.workers}x{args.threads}",
              "executors": expected, "port_s": None, "first_200_s": None, "ready_s": None,
              "probes": 0, "not_200": 0, "not_200_after_port": {}, "peak_rss_mb": 0, "peak_pss_mb": 0}
    try:
        ready_at = None
        history: list[tuple[float, int]] = []
        while time.monotonic() - started < args.timeout:
            if server.poll() is not None:
                result["exited"] = server.returncode
                break
            processes = tree(server.pid)
            result["peak_rss_mb"] = max(result["peak_rss_mb"], sum(p["rss"] for p in processes.values()) / 1024)
            result["peak_pss_mb"] = max(result["peak_pss_mb"], sum(p["pss"] for p in processes.values()) / 1024)
            if result["port_s"] is None:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    result["port_s"] = round(time.monotonic() - started, 2)
                except OSError:
                    time.sleep(0.05)
                    continue
            status = probe(url)
            result["probes"] += 1
            if status == 200 and result["first_200_s"] is None:
                result["first_200_s"] = round(time.monotonic() - started, 2)
            elif status != 200:
                result["not_200"] += 1
                key = str(status)
                result["not_200_after_port"][key] = result["not_200_after_port"].get(key, 0) + 1
            rss_now = sum(p["rss"] for p in processes.values())
            history.append((time.monotonic(), rss_now))
            if args.before_zygote:
                executors = [p for p in processes.values() if b"justicegraph.server.protocol.process" in p["command"]]
                old = [r for t, r in history if time.monotonic() - t >= 3]
                in_place = len(executors) >= expected and bool(old) and rss_now < old[-1] * 1.01
            else:
                in_place = executors_in_place(processes, args.mode, expected)
            if ready_at is None and in_place:
                ready_at = time.monotonic()
                result["ready_s"] = round(ready_at - started, 2)
                result["cpu_s_at_ready"] = round(sum(p["cpu"] for p in processes.values()), 2)
            if ready_at is not None and time.monotonic() - ready_at > 5:
                processes = tree(server.pid)
                result["settled_rss_mb"] = round(sum(p["rss"] for p in processes.values()) / 1024)
                result["settled_pss_mb"] = round(sum(p["pss"] for p in processes.values()) / 1024)
                result["processes"] = len(processes)
                break
            time.sleep(0.1)
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    result["peak_rss_mb"] = round(result["peak_rss_mb"])
    result["peak_pss_mb"] = round(result["peak_pss_mb"])
    with open("/proc/loadavg") as handle:
        result["loadavg"] = handle.read().split()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
