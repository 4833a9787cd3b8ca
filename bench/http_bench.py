"""HTTP serving, side by side: each engine started on the same data (justicegraph on its
store, serving the public graphs; the others on the public graphs as N-Quads), checked to
give the same number of rows for one query of each kind, then driven by closed-loop
clients for each mix and client count; stopped after, with its peak RSS. justicegraph also
serves its entity pages (the pages mix: person and prison pages as HTML, Turtle and JSON-LD,
one cell per kind and client count, pages/s and server CPU per page)."""

from __future__ import annotations

import json
import shutil
import urllib.request
from urllib.parse import quote

import loadgen
import pyoxigraph
import servers
from mixes import GRAPH_ACCEPT, MIXES, PAGES, accept_for, one_of_each, page_requests, requests_for


def run(scale, params, args, log) -> dict:
    engines = args.engines.split(",")
    clients = [int(c) for c in args.clients.split(",")]
    work = scale.dir / "work"
    out: dict = {"cells": [], "servers": [], "skipped": [], "row_checks": {}}
    starters = []
    if "justicegraph" in engines:
        for layout in args.layouts.split(","):
            w, t, env = servers.parse_layout(layout)
            starters.append((f"justicegraph {layout}", lambda w=w, t=t, env=env: (
                servers.start_justicegraph(scale.store, work, workers=w, threads=t, extra_env=env), None)))
    if "oxigraph" in engines:
        starters.append(("oxigraph serve", lambda: _oxigraph(scale, work)))
    if "virtuoso" in engines:
        starters.append(("virtuoso", lambda: servers.start_virtuoso(scale.public_nq, work / "virtuoso")))
    for name, start in starters:
        log(f"  starting {name}…")
        try:
            server, load_s = start()
        except Exception as exc:  # noqa: BLE001 — an engine that cannot run here is skipped, with why
            reason = f"{type(exc).__name__}: {exc}"[:500]
            log(f"    skipped: {reason}")
            out["skipped"].append({"engine": name, "reason": reason})
            continue
        try:
            out["servers"].append(_measure(server, name, load_s, params, clients, args, out, log))
        finally:
            server.stop()
    return out


def _oxigraph(scale, work):
    location = work / "oxigraph-store"
    load_s = servers.oxigraph_load(scale.public_nq, location)
    return servers.start_oxigraph(location, work), load_s


def _measure(server, name, load_s, params, clients, args, out, log) -> dict:
    info = {"engine": name, "first_answer_s": round(server.first_answer_s, 3), "bulk_load_s":
            None if load_s is None else round(load_s, 2), "notes": server.notes}
    log(f"    first answer after {server.first_answer_s:.2f} s" + (f"; bulk load {load_s:.1f} s" if load_s else ""))
    mixes = [m for m in MIXES if m in args.mixes.split(",")]
    for mix in mixes:
        for qname, text in one_of_each(mix, params):
            out["row_checks"].setdefault(f"{mix}:{qname}", {})[name] = rows_of(server.endpoint, text)
    for mix in mixes:
        queries = requests_for(mix, params, 400)
        for c in clients:
            cpu = servers.tree_cpu_s(server.process.pid)
            result = loadgen.run_paths(server.endpoint, _paths(server.endpoint, queries), clients=c,
                                       duration=args.duration, cap=args.cap, timeout=args.request_timeout)
            cell = {"engine": name, "mix": mix, "clients": c, **result, **servers.cpu_per_request(
                servers.tree_cpu_s(server.process.pid) - cpu, result["requests"])}
            out["cells"].append(cell)
            log(f"    {mix:<5} c={c:<3} {result['throughput_rps']:>8.1f} req/s  p50 {result['p50_ms']} ms  "
                f"p99 {result['p99_ms']} ms  errors {result['errors']}")
    if name.startswith("justicegraph") and "pages" in args.mixes.split(","):
        _pages(server, name, params, clients, args, out, log)
    info["peak_rss_mb"] = round(server.peak_rss_mb() or 0, 1)
    info["peak_pss_mb"] = round(server.peak_pss_mb() or 0, 1)
    return info


def _pages(server, name, params, clients, args, out, log) -> None:
    """Entity pages (/id/…), one cell per kind: pages/s, server CPU per page, p50/p99, errors."""
    checks = out.setdefault("page_checks", {})
    for kind in PAGES:
        requests = page_requests(kind, params)
        checks[kind] = {"entities": len(requests), **page_check(server.endpoint, requests[:3])}
        for c in clients:
            cpu = servers.tree_cpu_s(server.process.pid)
            result = loadgen.run_paths(server.endpoint, requests, clients=c, duration=args.duration, cap=args.cap,
                                       timeout=args.request_timeout)
            cell = {"engine": name, "mix": f"pages:{kind}", "clients": c, "entities": len(requests), **result,
                    **servers.cpu_per_request(servers.tree_cpu_s(server.process.pid) - cpu, result["requests"])}
            out["cells"].append(cell)
            log(f"    {kind:<13} c={c:<3} {result['throughput_rps']:>8.1f} pages/s  "
                f"CPU {cell['server_cpu_ms_per_request']} ms/page  p50 {result['p50_ms']} ms  "
                f"p99 {result['p99_ms']} ms  errors {result['errors']}")


def page_check(endpoint: str, requests: list[tuple[str, str, str]]) -> dict:
    """Status and size of a few pages of a kind, asked once before the cells run."""
    statuses, sizes = [], []
    root = endpoint.split("/", 3)
    for _, path, accept in requests:
        request = urllib.request.Request(f"{root[0]}//{root[2]}{path}", headers={"Accept": accept})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                statuses.append(response.status)
                sizes.append(len(response.read()))
        except Exception as exc:  # noqa: BLE001 — reported beside the cells
            statuses.append(f"error: {exc}"[:200])
    return {"statuses": statuses, "bytes": sizes}


def _paths(endpoint: str, queries: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    path = "/" + endpoint.split("/", 3)[3]
    return [(name, f"{path}?query={quote(text)}", accept_for(text)) for name, text in queries]


def rows_of(endpoint: str, text: str) -> int | str:
    """Rows of a SELECT, 1/0 for an ASK, triples of a CONSTRUCT or DESCRIBE."""
    accept = accept_for(text)
    request = urllib.request.Request(f"{endpoint}?query={quote(text)}", headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            body = response.read()
    except Exception as exc:  # noqa: BLE001 — reported in the row check table
        return f"error: {exc}"[:200]
    if accept == GRAPH_ACCEPT:
        return sum(1 for _ in pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.TURTLE))
    answer = json.loads(body)
    return int(answer["boolean"]) if "boolean" in answer else len(answer["results"]["bindings"])


def cleanup(scale) -> None:
    shutil.rmtree(scale.dir / "work" / "oxigraph-store", ignore_errors=True)
    shutil.rmtree(scale.dir / "work" / "virtuoso", ignore_errors=True)
