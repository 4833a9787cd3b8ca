"""What `justicegraph serve` does before its first answer (issue #18): wall time to the first
answer of an entity lookup, the CPU seconds of each process of the tree until then, and when
each process appeared (from /proc: the front, the gunicorn master's workers — forked once the
app is built —, the query executors), on the machine as it is (load average printed).

    .venv/bin/python bench/start_timeline.py --store /tmp/jgprof/s100k --starts 5
    .venv/bin/python bench/start_timeline.py --store /tmp/jgprof/s100k --first   # each start publishes

``--compare DIR`` alternates each start with one of the code in DIR (e.g. the previous commit:
``git archive <commit> | tar -x -C DIR``, then symlink DIR/justicegraph/{server,loaders,ontology,
shapes,queries,data} to DIR/{server,…}, as pyproject.toml maps them), run with PYTHONPATH=DIR.

``--first`` starts every time on a copy of the store with no snapshot (what the first start
after a load finds: a snapshot and its public view are published); otherwise the snapshot is
published once and every start is a restart. 2 workers x 4 threads, as `make bench-small`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import descendants  # noqa: E402

from justicegraph.store.remote.engines import free_port  # noqa: E402

VENV_BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def one_start(store: Path, probe: str, workdir: Path, pythonpath: str | None = None) -> dict:
    port = free_port()
    env = dict(os.environ, **({"PYTHONPATH": pythonpath} if pythonpath else {}), JUSTICEGRAPH_STORE=str(store), JUSTICEGRAPH_HOST="127.0.0.1", JUSTICEGRAPH_PORT=str(port),
               JUSTICEGRAPH_WORKERS="2", JUSTICEGRAPH_THREADS="4", JUSTICEGRAPH_RATE_LIMIT="")
    url = f"http://127.0.0.1:{port}/sparql?query={quote(probe)}"
    load = os.getloadavg()[0]
    with open(workdir / "serve.log", "ab") as log:
        started = time.perf_counter()
        process = subprocess.Popen([str(VENV_BIN / "justicegraph"), "serve"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    master_start = int(_stat(process.pid)[19])
    first = None
    try:
        while time.perf_counter() - started < 120:
            try:
                request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        response.read()
                        first = time.perf_counter() - started
                        break
            except OSError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"serve exited with {process.returncode}")
            time.sleep(0.005)
        roles: dict[str, float] = {}
        appeared: dict[str, float] = {}
        for pid in [process.pid, *descendants(process.pid)]:
            fields = _stat(pid)
            if not fields:
                continue
            cmd, ppid = _cmd(pid), int(fields[1])
            role = ("front" if "justicegraph.server.front" in cmd else
                    "master (CLI, app, reaped children)" if pid == process.pid else
                    "workers (and the publisher)" if ppid == process.pid else "executors and helpers")
            roles[role] = roles.get(role, 0.0) + sum(int(x) for x in fields[11:15]) / TICKS
            if pid != process.pid:  # started (from /proc, in clock ticks) after the master
                appeared[role] = min(appeared.get(role, 99.0), (int(fields[19]) - master_start) / TICKS)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"first_answer_s": first, "cpu": roles, "appeared": appeared, "load": load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--first", action="store_true", help="every start on a copy with no snapshot")
    parser.add_argument("--compare", help="a tree of other code: alternate starts with it (PYTHONPATH)")
    parser.add_argument("--probe", default="SELECT ?p ?o WHERE { <https://w3id.org/justicegraph/id/x> ?p ?o }")
    args = parser.parse_args()
    store = Path(args.store).resolve()
    variants = {"this tree": None}
    if args.compare:
        variants = {f"PYTHONPATH={args.compare}": args.compare, "this tree": None}
    runs: dict[str, list] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory(prefix="jg-start-") as tmp:
        workdir = Path(tmp)
        if not args.first:
            subprocess.run([str(VENV_BIN / "justicegraph"), "--store", str(store), "publish"], check=True,
                           stdout=subprocess.DEVNULL)
        for _ in range(args.starts):
            for name, pythonpath in variants.items():  # interleaved: the same machine load for both
                target = store
                if args.first:
                    target = workdir / "store"
                    shutil.rmtree(target, ignore_errors=True)
                    shutil.rmtree(workdir / "store.jg", ignore_errors=True)
                    shutil.copytree(store, target)
                runs[name].append(one_start(target, args.probe, workdir, pythonpath))
                time.sleep(0.5)
    for name, got in runs.items():
        report(f"{store.name}, {name}, {'first starts (publish)' if args.first else 'restarts'}", got)


def report(title: str, runs: list[dict]) -> None:
    roles = sorted({k for r in runs for k in r["cpu"]})
    print(f"\n{title}: {len(runs)} runs, load average {min(r['load'] for r in runs):.2f}–"
          f"{max(r['load'] for r in runs):.2f}\n")
    print("| run | first answer s | CPU s: " + " / ".join(roles) + " | total CPU s | "
          "started at s: " + " / ".join(r for r in roles if not r.startswith("master")) + " | load |")
    print("|---|---:|---|---:|---|---:|")
    for i, r in enumerate(runs, 1):
        cpu = " / ".join(f"{r['cpu'].get(k, 0):.2f}" for k in roles)
        seen = " / ".join(f"{r['appeared'].get(k, 0):.2f}" for k in roles if not k.startswith("master"))
        print(f"| {i} | {r['first_answer_s']:.2f} | {cpu} | {sum(r['cpu'].values()):.2f} | {seen} | {r['load']:.2f} |")
    firsts = [r["first_answer_s"] for r in runs]
    cpus = [sum(r["cpu"].values()) for r in runs]
    print(f"| median | {statistics.median(firsts):.2f} | | {statistics.median(cpus):.2f} | | |")

if __name__ == "__main__":
    main()
