"""justicegraph serving a remote engine vs the engine's own endpoint, over HTTP, for two
versions of justicegraph (before/after a change), interleaved cell by cell.

    .venv/bin/python bench/remote_serving.py --people 5000 --versions before=6cd2cae,after=HEAD

Per engine (``oxigraph`` — ``oxigraph serve`` on disk, no ``--timeout-s``, no public dataset:
anonymous queries carry the list of public graphs; ``oxigraph-public`` — the same with the
public dataset, a second ``oxigraph serve`` holding the public graphs, docs/scaling.md;
``virtuoso`` — engine-side graph security; justicegraph/store/remote/engines.py): a new engine, the scale's
records loaded through ``justicegraph load`` (SHACL on), then ``justicegraph serve`` (2 workers,
each version's default threads) of every version on it, and the engine's own anonymous
endpoint: Oxigraph's /query with ``union-default-graph`` (the public engine's, with a public dataset), Virtuoso's /sparql with the pragmas
justicegraph sends (the union of the public graphs). Each cell (mix × clients) runs every
server in turn (bench/loadgen.py, closed loop, bounded in time and count) and reports req/s,
p50/p99, errors, the justicegraph process tree's CPU per request and the engine's.

Each version runs from its own git worktree (``git worktree add --detach``) through a
launcher that points the editable install at it. Loopback only; everything started here is
stopped here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import loadgen  # noqa: E402
import pipeline  # noqa: E402
import servers  # noqa: E402
from mixes import GRAPH_ACCEPT, Params, accept_for, one_of_each, requests_for  # noqa: E402

from justicegraph.store.remote import engines  # noqa: E402
from justicegraph.store.remote.dialect import VIRTUOSO  # noqa: E402

LAUNCHER = """
import sys
sys.path = [p for p in sys.path if p not in ("", ".")]  # not the current directory's justicegraph
import __editable___justicegraph_0_1_0_finder as finder
root = sys.argv.pop(1)
for name, path in list(finder.MAPPING.items()):
    finder.MAPPING[name] = path.replace({here!r}, root, 1)
from justicegraph.cli import main
sys.argv[0] = "justicegraph"
main()
"""


def worktree(spec: str, work: Path) -> tuple[str, Path]:
    commit = subprocess.run(["git", "rev-parse", "--short", spec], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    path = work / f"tree-{commit}"
    if not path.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), commit], cwd=ROOT, check=True,
                       capture_output=True)
    return commit, path


def start_server(tree: Path, environ: dict, work: Path, name: str) -> servers.Server:
    port = engines.free_port()
    env = dict(os.environ, **environ, JUSTICEGRAPH_HOST="127.0.0.1", JUSTICEGRAPH_PORT=str(port),
               JUSTICEGRAPH_WORKERS="2", JUSTICEGRAPH_RATE_LIMIT="", JUSTICEGRAPH_AUDIT_LOG=str(work / f"{name}.audit"))
    if "JUSTICEGRAPH_THREADS" not in environ:
        env.pop("JUSTICEGRAPH_THREADS", None)  # each version's own default
    cmd = [sys.executable, "-c", LAUNCHER.format(here=str(ROOT)), str(tree), "serve"]
    server = servers._start(f"jg-{name}", cmd, env, f"http://127.0.0.1:{port}/sparql", work, timeout=120)
    probe = subprocess.run([sys.executable, "-c", LAUNCHER.format(here=str(ROOT)) .replace("main()", "") +
                            "import justicegraph.server; print(justicegraph.server.__file__)", str(tree)],
                           capture_output=True, text=True)
    assert str(tree) in probe.stdout, probe.stdout + probe.stderr  # that version's code, not the working tree's
    return server


def engine_paths(kind: str, endpoint: str, queries) -> list[tuple[str, str, str]]:
    from urllib.parse import urlsplit

    path = urlsplit(endpoint).path
    if kind.startswith("oxigraph"):
        return [(n, f"{path}?union-default-graph&query={quote(t)}", accept_for(t)) for n, t in queries]
    preamble = VIRTUOSO.secured_preamble + VIRTUOSO.secured_union
    return [(n, f"{path}?query={quote(preamble + t)}", accept_for(t)) for n, t in queries]


def jg_paths(endpoint: str, queries) -> list[tuple[str, str, str]]:
    from urllib.parse import urlsplit

    path = urlsplit(endpoint).path
    return [(n, f"{path}?query={quote(t)}", accept_for(t)) for n, t in queries]


def rows(server: str, path: str, accept: str) -> int | str:
    """Rows of a SELECT, 1/0 for an ASK, triples of a CONSTRUCT or DESCRIBE (http_bench.rows_of)."""
    import urllib.request

    import pyoxigraph

    try:
        request = urllib.request.Request(server + path, headers={"Accept": accept})
        with urllib.request.urlopen(request, timeout=120) as response:
            body = response.read()
    except Exception as exc:  # noqa: BLE001 — shown in the row check
        return f"error: {exc}"[:120]
    if accept == GRAPH_ACCEPT:
        return sum(1 for _ in pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.TURTLE))
    answer = json.loads(body)
    return int(answer["boolean"]) if "boolean" in answer else len(answer["results"]["bindings"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engines", default="oxigraph,virtuoso")
    parser.add_argument("--versions", default="before=6cd2cae,after=HEAD",
                        help="label=commit[+setting=value…], e.g. after4=HEAD+threads=4")
    parser.add_argument("--clients", default="4,16")
    parser.add_argument("--mixes", default="light,heavy")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--cap", type=int, default=20_000)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args(argv)
    scale = pipeline.Scale(args.people, args.seed, args.data)
    scale.build(lambda message: print(message, flush=True))
    params = Params.from_records(scale.records)
    work = scale.dir / "work-serving"
    work.mkdir(parents=True, exist_ok=True)
    # label=commit[+setting=value…]: e.g. after4=HEAD+threads=4
    versions, extra = [], {}
    for item in args.versions.split(","):
        label, _, spec = item.partition("=")
        commit_spec, *options = spec.split("+")
        versions.append((label, *worktree(commit_spec, work)))
        extra[label] = {f"JUSTICEGRAPH_{k.upper()}": v for k, _, v in (o.partition("=") for o in options)}
    report: dict = {"people": args.people, "versions": {label: commit for label, commit, _ in versions},
                    "load_average_before": open("/proc/loadavg").read().split()[:3], "cells": [], "rows": {},
                    "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    for kind in args.engines.split(","):
        print(f"== {kind}", flush=True)
        engine_dir = work / kind
        subprocess.run(["rm", "-rf", str(engine_dir)], check=True)
        engine = (engines.start_oxigraph(engine_dir, on_disk=True, public=kind == "oxigraph-public")
                  if kind.startswith("oxigraph") else
                  engines.start_virtuoso(engine_dir, max_rows=10_000_000, buffers=340_000))
        pids = [engine.process.pid, *([engine.companion.pid] if engine.companion else [])]
        running: list[tuple[str, servers.Server | None, str]] = []
        try:
            started = time.perf_counter()
            # loaded by the last version's code (the loaders are the same in each)
            done = subprocess.run([sys.executable, "-c", LAUNCHER.format(here=str(ROOT)), str(versions[-1][2]),
                                   "load", str(scale.records), "--dataset", "synthetic"],
                                  env=dict(os.environ, **engine.environ), capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"justicegraph load failed: {(done.stdout + done.stderr)[-1500:]}")
            print(f"  justicegraph load: {time.perf_counter() - started:.1f} s", flush=True)
            # the engine's own endpoint: with a public dataset, the public engine (exactly the public graphs)
            engine_endpoint = engine.environ.get("JUSTICEGRAPH_STORE_PUBLIC_URL", engine.store_url)
            engine_endpoint = engine_endpoint.removeprefix("sparql+").split("?")[0]
            base = engine_endpoint.rsplit("/", 1)[0]
            for label, commit, tree in versions:
                running.append((f"justicegraph {label} ({commit})",
                                start_server(tree, {**engine.environ, **extra[label]}, engine_dir, label), "jg"))
            running.append((f"{kind} endpoint", None, "engine"))
            for mix in args.mixes.split(","):
                checks = report["rows"].setdefault(f"{kind}:{mix}", {})
                for qname, text in one_of_each(mix, params):
                    for name, server, _role in running:
                        paths = jg_paths(server.endpoint, [(qname, text)]) if server else \
                            engine_paths(kind, engine_endpoint, [(qname, text)])
                        host = server.endpoint.rsplit("/", 1)[0] if server else base
                        checks.setdefault(qname, {})[name] = rows(host, paths[0][1], paths[0][2])
                queries = requests_for(mix, params, 400)
                for c in [int(x) for x in args.clients.split(",")]:
                    for name, server, _role in running:
                        host = server.endpoint if server else engine_endpoint
                        paths = jg_paths(host, queries) if server else engine_paths(kind, host, queries)
                        jg_cpu = servers.tree_cpu_s(server.process.pid) if server else 0.0
                        engine_cpu = sum(map(servers.tree_cpu_s, pids))
                        result = loadgen.run_paths(host, paths, clients=c, duration=args.duration, cap=args.cap,
                                                   timeout=120)
                        n = result["requests"] or 1
                        cell = {"engine": kind, "server": name, "mix": mix, "clients": c,
                                "load_average": open("/proc/loadavg").read().split()[0], **result,
                                "jg_cpu_ms_per_request": round(1000 * (servers.tree_cpu_s(server.process.pid)
                                                                       - jg_cpu) / n, 3) if server else None,
                                "engine_cpu_ms_per_request": round(
                                    1000 * (sum(map(servers.tree_cpu_s, pids)) - engine_cpu) / n, 3)}
                        report["cells"].append(cell)
                        print(f"  {mix:<5} c={c:<3} {name:<32} {result['throughput_rps']:>8.1f} req/s  "
                              f"p50 {result['p50_ms']} p99 {result['p99_ms']} ms  errors {result['errors']}  "
                              f"jg CPU {cell['jg_cpu_ms_per_request']} ms/req  engine CPU "
                              f"{cell['engine_cpu_ms_per_request']} ms/req", flush=True)
        finally:
            for _, server, _ in running:
                if server:
                    server.stop()
            engine.stop()
    report["load_average_after"] = open("/proc/loadavg").read().split()[:3]
    print(table(report))
    out = HERE / "results" / f"remote-serving-p{args.people}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"written {out}")
    return 0


def table(report: dict) -> str:
    lines = ["| engine | mix | c | server | req/s | × engine | p50 / p99 ms | errors | jg CPU ms/req "
             "| engine CPU ms/req |", "|---|---|---|---|---|---|---|---|---|---|"]
    cells = report["cells"]
    for cell in cells:
        own = next(c for c in cells if c["engine"] == cell["engine"] and c["mix"] == cell["mix"]
                   and c["clients"] == cell["clients"] and c["jg_cpu_ms_per_request"] is None)
        ratio = cell["throughput_rps"] / own["throughput_rps"] if own["throughput_rps"] else 0
        lines.append(f"| {cell['engine']} | {cell['mix']} | {cell['clients']} | {cell['server']} | "
                     f"{cell['throughput_rps']:.0f} | {ratio:.2f} | {cell['p50_ms']} / {cell['p99_ms']} | "
                     f"{cell['errors']} | {cell['jg_cpu_ms_per_request'] or '–'} | {cell['engine_cpu_ms_per_request']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
