#!/usr/bin/env python
"""Tables for the terminal (Markdown, so they paste into docs/performance.md) and the check
of each target of issues 9 and 18 against the run's own numbers (every ratio is between engines of
the same run, never across runs).

    python bench/report.py bench/results/<run>.json [more.json …]   # tables again, targets recomputed
    python bench/report.py --glance a.json b.json …                  # one matrix: targets × scales
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REFERENCE = "oxigraph serve"
VIRTUOSO = "virtuoso"
LOAD_GOAL = 100_000         # validated triples/s at 1M (issue #18; issue 9 asked 50,000)
LIGHT_GOAL, HEAVY_GOAL = 0.5, 1.0   # throughput vs oxigraph serve on disk (issue #18; issue 9: 0.8 and 1.0)
P99_GOAL = 2.0              # p99 vs oxigraph serve's (issue #18; issue 9: 1.5)
RSS_GOAL_MB = 1024          # serving 5M from disk
PAGES_GOAL = 500            # entity pages per second at 100k (issue #18)
MILLION, FIVE_MILLION = 900_000, 4_500_000   # a scale "is" 1M / 5M from this many quads


def table(headers: list[str], rows: list[list], log) -> None:
    log("| " + " | ".join(headers) + " |")
    log("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        log("| " + " | ".join(_fmt(v) for v in row) + " |")
    log("")


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


def scale_name(s: dict) -> str:
    q = s.get("triples") or 0
    label = f"{q / 1e6:.1f}M" if q >= 950_000 else f"{round(q / 1000)}k"
    return f"{label} ({s['people']:,} people)"


# ---------------------------------------------------------------- tables

def print_tables(results: dict, log) -> None:
    m = results["machine"]
    log(f"\nMachine: {m['cpu']}, {m['cores']} cores, {m['memory_mb']:,} MB; Python {m['python']}, "
        f"pyoxigraph {m['pyoxigraph']}" + (f"; commit {results['commit']}" if results.get("commit") else "") + "\n")
    scales = results["scales"]
    _conditions(scales, log)
    _load_tables(scales, log)
    starts = [(s, st) for s in scales if isinstance(s.get("start"), list) for st in s["start"]]
    if starts:
        log("## Start: `justicegraph serve` (2 × 4) started and stopped at its first answer")
        table(["scale", "start", "first answer s", "CPU s of the server until then", "RSS at first answer MB",
               "notes"],
              [[scale_name(s), st["start"], st["first_answer_s"], st.get("cpu_to_first_answer_s"),
                st["rss_at_first_answer_mb"], "; ".join(st["notes"])] for s, st in starts], log)
    if any("direct" in s for s in scales):
        _direct_table(scales, log)
    for s in scales:
        if "http" in s:
            _http_tables(s, log)
    log("## Targets (issues 9 and 18)")
    log("Ratios are between engines of this run, under the load average shown above.\n")
    log("(CPU ratio: the reference's server CPU per request over ours — the throughput ratio if CPU were the "
        "only limit; informative.)\n")
    table(["target", "scale", "measured", "reference", "ratio", "CPU ratio", "goal", "status"],
          [[t["target"], t.get("scale"), t.get("value"), t.get("reference"), _ratio(t.get("ratio")),
            _ratio(t.get("cpu_ratio")), t["goal"], t["status"]] for t in results["targets"]], log)
    _glance(results["targets"], log)


def _ratio(r: float | None) -> str | None:
    return None if r is None else f"{r:.3g}×"


def _glance(rows: list[dict], log) -> None:
    """The same targets as a matrix: one row per target, one column per scale."""
    scales = list(dict.fromkeys(t["scale"] for t in rows))
    names = list(dict.fromkeys(t["target"] for t in rows))
    if len(scales) < 2:
        return
    cells = {(t["target"], t["scale"]): t for t in rows}
    log("At a glance (ratio, or measured value where there is no ratio; errors as failed / stopped by the "
        "time limit / client timeouts; ✓ met, ✗ missed, n/c not comparable):\n")
    table(["target", *scales],
          [[name, *(_mark(cells.get((name, sc))) for sc in scales)] for name in names], log)


def _mark(t: dict | None) -> str:
    if t is None:
        return ""
    tick = "✓" if t["status"].startswith("met") else "n/c" if t["status"].startswith("not comparable") else "✗"
    shown = t["short"] if "short" in t else _ratio(t["ratio"]) if t.get("ratio") is not None else t["value"]
    return f"{shown} {tick}"


def _conditions(scales: list[dict], log) -> None:
    rows = [[scale_name(s), name, la.get("seconds"), la["min"], la["mean"], la["max"]]
            for s in scales for name, la in s.get("load_average", {}).items()]
    if rows:
        log("## Conditions: 1-minute load average during each section (2 cores)")
        table(["scale", "section", "seconds", "min", "mean", "max"], rows, log)


def _load_tables(scales: list[dict], log) -> None:
    log("## Load")
    table(["scale", "quads", "validated load s", "quads/s", "CPU s", "quads per CPU s", "loader peak RSS MB",
           "stages s (CPU s)", "bulk import s", "bulk quads/s"],
          [[scale_name(s), s["triples"], s["load"].get("pipeline_load_s"), s["load"].get("pipeline_triples_per_s"),
            s["load"].get("pipeline_cpu_s"), _per_cpu(s["load"]), s["load"].get("pipeline_peak_rss_mb"),
            _stages(s["load"].get("pipeline_stages_s"), s["load"].get("pipeline_stages_cpu_s")),
            s["load"].get("bulk_import_s"), s["load"].get("bulk_triples_per_s")] for s in scales], log)
    if any(s["load"].get("built_by") for s in scales):
        for s in scales:
            if s["load"].get("built_by"):
                log(f"- {scale_name(s)}: store built by {s['load']['built_by']}")
        log("")
    if any("batch" in s for s in scales):
        log("## A ~1,000-record batch: into a near-empty store vs into the full store")
        table(["scale", "records", "near-empty s", "full s", "ratio"],
              [[scale_name(s), *(s["batch"].get(k) for k in ("batch_records", "batch_small_s", "batch_big_s",
                                                              "batch_ratio"))] if "error" not in s["batch"]
               else [scale_name(s), s["batch"]["error"]] for s in scales if "batch" in s], log)
    if any("validate" in s for s in scales):
        log("## Validation alone (whole dataset)")
        table(["scale", "triples", "project s", "project triples/s", "conforms", "plain pyshacl s",
               "pyshacl triples/s", "conforms"],
              [[scale_name(s), *(s["validate"].get(k) for k in (
                  "validate_triples", "validate_ours_s", "validate_ours_triples_per_s", "validate_ours_conforms",
                  "validate_pyshacl_s", "validate_pyshacl_triples_per_s", "validate_pyshacl_conforms"))]
               for s in scales if "validate" in s], log)


def _stages(stages: dict | None, cpu: dict | None = None) -> str | None:
    if not stages:
        return None
    cpu = cpu or {}
    return ", ".join(f"{k} {v:.1f}" + (f" ({cpu[k]:.1f})" if k in cpu else "") for k, v in stages.items()
                     if v >= 0.05)


def _per_cpu(load: dict) -> int | None:
    """Quads per CPU second of the load's process: what the load would reach alone on a
    core (the wall-clock rate on a shared machine is mostly waiting)."""
    cpu, quads = load.get("pipeline_cpu_s"), load.get("pipeline_triples_per_s")
    if not cpu or not quads:
        return None
    return round(quads * load["pipeline_load_s"] / cpu)


def _direct_table(scales: list[dict], log) -> None:
    log("## Direct query latency on the store (median ms; rows)")
    names = [r["query"] for r in next(s for s in scales if "direct" in s)["direct"]]
    rows = []
    for name in names:
        row = [name]
        for s in scales:
            hit = next((r for r in s.get("direct", []) if r["query"] == name), None)
            row.append("" if hit is None else hit["skipped"] if "skipped" in hit
                       else f"{hit['median_ms']} ({hit['rows']})")
        rows.append(row)
    table(["query", *(scale_name(s) for s in scales if "direct" in s)], rows, log)


def _http_tables(s: dict, log) -> None:
    http = s["http"]
    engines = [srv["engine"] for srv in http["servers"]]
    log(f"## HTTP at {scale_name(s)}, {s['triples']:,} quads: requests/s / p99 ms / errors")
    rows = []
    for mix in ("light", "lookups", "heavy"):
        for c in sorted({cell["clients"] for cell in http["cells"]}):
            row = [mix, c]
            for engine in engines:
                cell = _cell(http, engine, mix, c)
                row.append(f"{cell['throughput_rps']} / {cell['p99_ms']} / {cell['errors']}" if cell else "")
            rows.append(row)
    table(["mix", "clients", *engines], rows, log)
    if any(cell.get("server_cpu_ms_per_request") for cell in http["cells"]):
        log("Server CPU per answered request (ms; process tree, user + system) — less sensitive to the "
            "machine's other load than throughput:\n")
        rows = []
        for mix in ("light", "lookups", "heavy"):
            for c in sorted({cell["clients"] for cell in http["cells"]}):
                rows.append([mix, c, *((_cell(http, e, mix, c) or {}).get("server_cpu_ms_per_request")
                                       for e in engines)])
        table(["mix", "clients", *engines], rows, log)
    _pages_table(http, log)
    # PSS: pages shared by forked processes counted once (memory mode's executors share their
    # zygote's copy; the RSS sum counts it once per executor).
    table(["engine", "first answer s", "bulk load s", "peak RSS MB (sum)", "peak PSS MB", "notes"],
          [[i["engine"], i["first_answer_s"], i["bulk_load_s"], i["peak_rss_mb"], i.get("peak_pss_mb"),
            "; ".join(i.get("notes", []))]
           for i in http["servers"]], log)
    for skip in http["skipped"]:
        log(f"skipped {skip['engine']}: {skip['reason']}")
    mismatched = {q: v for q, v in http["row_checks"].items() if len({str(x) for x in v.values()}) > 1}
    log("Same rows from every engine: " + ("yes" if not mismatched else f"NO — {mismatched}") + "\n")


def _pages_table(http: dict, log) -> None:
    cells = [c for c in http["cells"] if c["mix"].startswith("pages:")]
    if not cells:
        return
    log(f"Entity pages (/id/…, justicegraph only; goal ≥ {PAGES_GOAL} pages/s at 100k): server CPU per page is "
        "the process tree's (front, gunicorn, workers, executors)\n")
    table(["engine", "page", "clients", "entities", "pages/s", "server CPU ms/page", "p50 ms", "p99 ms", "errors"],
          [[c["engine"], c["mix"].split(":", 1)[1], c["clients"], c.get("entities"), c["throughput_rps"],
            c.get("server_cpu_ms_per_request"), c["p50_ms"], c["p99_ms"], c["errors"]] for c in cells], log)
    checks = http.get("page_checks", {})
    bad = {k: v for k, v in checks.items() if any(st != 200 for st in v["statuses"])}
    if checks:
        log("Every page kind answered 200 before its cells: " + ("yes" if not bad else f"NO — {bad}") + "\n")


def _cell(http: dict, engine: str, mix: str, clients: int) -> dict | None:
    return next((c for c in http["cells"] if c["engine"] == engine and c["mix"] == mix and c["clients"] == clients),
                None)


# ---------------------------------------------------------------- targets

def targets(results: dict) -> list[dict]:
    """One row per target and scale: measured value, the reference it is compared with (from
    the same run), the ratio, the goal and met / missed (error: the server answered with an
    error other than a timeout, or a section broke — what makes the CI run fail)."""
    out = []
    for s in results["scales"]:
        scale = scale_name(s)
        out += _start_targets(s, scale)
        out += _http_targets(s, scale)
        out += _load_targets(s, scale)
    return out


def _ours(http: dict) -> list[dict]:
    return [srv for srv in http["servers"] if srv["engine"].startswith("justicegraph")]


def wrong_rows(http: dict, engine: str) -> list[str]:
    """Queries of the row check where ``engine`` answered other rows than oxigraph serve: its
    speed is then not comparable (e.g. an engine answering nothing is fast)."""
    return [q for q, by in http.get("row_checks", {}).items()
            if REFERENCE in by and engine in by and str(by[engine]) != str(by[REFERENCE])]


def _invalid(row: dict, http: dict, *engines: str) -> dict:
    bad = {e: wrong_rows(http, e) for e in engines}
    bad = {e: q for e, q in bad.items() if q}
    if bad:
        row["status"] = "not comparable: " + "; ".join(
            f"{e} answered other rows than oxigraph serve for {len(q)} of {len(http['row_checks'])} queries"
            for e, q in bad.items())
    return row


def _http_targets(s: dict, scale: str) -> list[dict]:
    http = s.get("http")
    if not http:
        return []
    out = []
    for srv in _ours(http):
        engine = srv["engine"]
        cells = [c for c in http["cells"] if c["engine"] == engine]
        for cell in cells:
            if cell["mix"].startswith("pages:"):
                out.append(_pages_target(engine, cell, s, scale))
                continue
            ref = _cell(http, REFERENCE, cell["mix"], cell["clients"])
            if not ref or not ref["throughput_rps"]:
                continue
            goal = HEAVY_GOAL if cell["mix"] == "heavy" else LIGHT_GOAL
            row = _row(f"{engine}: {cell['mix']} throughput vs oxigraph serve, c={cell['clients']}", scale,
                       cell["throughput_rps"], ref["throughput_rps"], f"≥ {goal}×", goal, higher=True, unit=" req/s")
            out.append(_invalid(_cpu_ratio(row, ref, cell), http, engine))
            if ref["p99_ms"] and cell["p99_ms"]:
                out.append(_invalid(_row(f"{engine}: {cell['mix']} p99 vs oxigraph's, c={cell['clients']}", scale,
                                         cell["p99_ms"], ref["p99_ms"], f"≤ {P99_GOAL:g}×", P99_GOAL, higher=False,
                                         unit=" ms"),
                                    http, engine))
        out.append(_errors(engine, cells, scale))
        if "memory" not in engine:  # the on-disk targets (start, RSS) are not asked of an in-memory mode
            if not s.get("start") or "error" in s["start"]:
                out.append(_row(f"{engine}: first answer after start", scale, srv["first_answer_s"], None,
                                "≤ 1 s", 1.0, higher=False, unit=" s", absolute=True))
            rss = _row(f"{engine}: peak RSS serving (on disk)", scale, srv["peak_rss_mb"], None, "≤ 1,024 MB at 5M",
                       RSS_GOAL_MB, higher=False, unit=" MB", absolute=True)
            if (s.get("triples") or 0) < FIVE_MILLION:
                rss["status"] += " (goal is at 5M)"
            out.append(rss)
    out += _virtuoso_targets(http, s, scale)
    return out


def _pages_target(engine: str, cell: dict, s: dict, scale: str) -> dict:
    """Entity pages per second against the absolute goal (no other engine serves them); the
    server CPU per page beside it says what the 2 cores could give at most."""
    row = _row(f"{engine}: entity pages, {cell['mix'].split(':', 1)[1]}, c={cell['clients']}", scale,
               cell["throughput_rps"], None, f"≥ {PAGES_GOAL} pages/s at 100k", PAGES_GOAL, higher=True,
               unit=" pages/s", absolute=True)
    if cell.get("server_cpu_ms_per_request"):
        row["value"] += f" ({cell['server_cpu_ms_per_request']} ms server CPU per page)"
    if (s.get("triples") or 0) < 90_000:
        row["status"] += " (goal is at 100k)"
    return row


def _cpu_ratio(row: dict, ref: dict, cell: dict) -> dict:
    """The reference's server CPU per request over ours: the throughput ratio the two would
    have if CPU were all they competed for (informative; the target is the throughput)."""
    mine, theirs = cell.get("server_cpu_ms_per_request"), ref.get("server_cpu_ms_per_request")
    if mine and theirs:
        row["cpu_ratio"] = round(theirs / mine, 3)
    return row


def _start_targets(s: dict, scale: str) -> list[dict]:
    starts = s.get("start")
    if not starts:
        return []
    if "error" in starts:
        return [{"target": "first answer after start", "scale": scale, "goal": "≤ 1 s", "status": "error",
                 "value": starts["error"][:200], "reference": None, "ratio": None}]
    out = []
    for start in starts:
        what = "first start" if start["start"] == 1 else "restart"
        row = _row(f"justicegraph 2x4: first answer, {what}", scale,
                   start["first_answer_s"], None, "≤ 1 s", 1.0, higher=False, unit=" s", absolute=True)
        row["value"] += f" ({'; '.join(start['notes'])})"
        out.append(row)
    return out


def _errors(engine: str, cells: list[dict], scale: str) -> dict:
    errors = sum(c["errors"] for c in cells)
    timeouts = sum(c.get("timeouts", 0) for c in cells)
    stopped = sum(c.get("stopped_by_time_limit", 0) for c in cells)
    requests = sum(c["requests"] for c in cells)
    # Only answers that are neither slowness (client timeout) nor the server's own query time
    # limit (503) make the run fail; those two still miss the target.
    status = "met" if not errors else "error" if errors > timeouts + stopped else "missed"
    return {"target": f"{engine}: zero errors (all cells)", "scale": scale,
            "short": f"{errors - timeouts - stopped} / {stopped} / {timeouts}",
            "value": f"{errors - timeouts - stopped} failed, {stopped} stopped by the 30 s query time limit (503), "
                     f"{timeouts} client timeouts, of {requests + errors:,}",
            "reference": None, "ratio": None, "goal": "0", "status": status}


def _virtuoso_targets(http: dict, s: dict, scale: str) -> list[dict]:
    """The fastest justicegraph mode (best of its layouts, per cell) against Virtuoso; the
    goal is stated at 1M, reported at every scale where Virtuoso ran."""
    out = []
    ours = [srv["engine"] for srv in _ours(http)]
    at_goal_scale = (s.get("triples") or 0) >= MILLION
    for mix, goal, text in (("heavy", 0.7, "≥ 0.7×"), ("light", 1.0, "> 1.0×")):
        for c in sorted({cell["clients"] for cell in http["cells"]}):
            ref = _cell(http, VIRTUOSO, mix, c)
            mine = [cell for e in ours if (cell := _cell(http, e, mix, c))]
            if not ref or not ref["throughput_rps"] or not mine:
                continue
            best = max(mine, key=lambda cell: cell["throughput_rps"])
            row = _row(f"fastest justicegraph mode: {mix} vs Virtuoso, c={c} (issue 9)", scale, best["throughput_rps"],
                       ref["throughput_rps"], text, goal, higher=True, unit=" req/s", strict=mix == "light")
            row["value"] += f" ({best['engine']})"
            _cpu_ratio(row, ref, best)
            if not at_goal_scale:
                row["status"] += " (goal is at 1M)"
            out.append(_invalid(row, http, VIRTUOSO, best["engine"]))
    return out


def _load_targets(s: dict, scale: str) -> list[dict]:
    out = []
    load = s.get("load", {})
    if load.get("pipeline_triples_per_s"):
        row = _row("validated load (records → committed, SHACL on)", scale, load["pipeline_triples_per_s"], None,
                   f"≥ {LOAD_GOAL:,} triples/s at 1M", LOAD_GOAL, higher=True, unit=" triples/s", absolute=True)
        if _per_cpu(load):
            row["value"] += f" ({_per_cpu(load):,} per CPU second)"
        if (s.get("triples") or 0) < MILLION:
            row["status"] += " (goal is at 1M)"
        out.append(row)
    batch = s.get("batch", {})
    if "error" in batch:
        out.append({"target": "1,000-record batch: full store / empty store", "scale": scale, "goal": "≤ 2×",
                    "status": "error", "value": batch["error"][:200], "reference": None, "ratio": None})
    elif batch:
        out.append(_row("1,000-record batch: full store / empty store", scale, batch["batch_big_s"],
                        batch["batch_small_s"], "≤ 2×", 2.0, higher=False, unit=" s"))
    return out


def _row(target, scale, value, reference, goal_text, goal, *, higher: bool, unit: str = "",
         absolute: bool = False, strict: bool = False) -> dict:
    """``ratio`` is value / reference, or value / goal for an absolute goal (1.0 = exactly
    on target)."""
    base = goal if absolute else reference
    ratio = round(value / base, 3) if value is not None and base else None
    limit = 1.0 if absolute else goal
    if ratio is None:
        ok = False
    elif higher:
        ok = ratio > limit if strict else ratio >= limit
    else:
        ok = ratio <= limit
    row = {"target": target, "scale": scale, "value": f"{_fmt(value)}{unit}",
           "reference": None if reference is None else f"{_fmt(reference)}{unit}", "ratio": ratio,
           "goal": goal_text, "status": "met" if ok else "missed"}
    if absolute:  # the at-a-glance matrix shows the value itself
        row["short"] = row["value"]
    return row


def main(argv: list[str]) -> int:
    """Tables of each results file; with ``--glance``, only one matrix of the targets of all
    the files (each scale's ratios still from its own run)."""
    glance = "--glance" in argv
    paths = [a for a in argv if a != "--glance"]
    if not paths:
        print(__doc__)
        return 2
    rows = []
    for path in paths:
        results = json.loads(Path(path).read_text())
        results["targets"] = targets(results)
        rows += results["targets"]
        if not glance:
            print(f"\n# {path} (started {results['started']})")
            print_tables(results, print)
    if glance:
        _glance(rows, print)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
