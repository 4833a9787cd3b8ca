"""Tables for the terminal (Markdown, so they paste into docs/performance.md) and the check
of each target of issue 9 against the measured numbers."""

from __future__ import annotations


def table(headers: list[str], rows: list[list], log) -> None:
    log("| " + " | ".join(headers) + " |")
    log("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        log("| " + " | ".join("" if v is None else (f"{v:,}" if isinstance(v, int) else str(v)) for v in row) + " |")
    log("")


def print_tables(results: dict, log) -> None:
    m = results["machine"]
    log(f"\nMachine: {m['cpu']}, {m['cores']} cores, {m['memory_mb']:,} MB; Python {m['python']}, "
        f"pyoxigraph {m['pyoxigraph']}\n")
    scales = results["scales"]
    log("## Load")
    table(["people", "quads", "pipeline s", "pipeline quads/s", "loader peak RSS MB", "bulk import s",
           "bulk quads/s"], [[s["people"], s["triples"], s["load"].get("pipeline_load_s"),
                              s["load"].get("pipeline_triples_per_s"), s["load"].get("pipeline_peak_rss_mb"),
                              s["load"].get("bulk_import_s"), s["load"].get("bulk_triples_per_s")] for s in scales], log)
    if any("batch" in s for s in scales):
        log("## A ~1,000-record batch: into a near-empty store vs into the full store")
        table(["people in store", "records", "near-empty s", "full s", "ratio"],
              [[s["people"], *(s["batch"].get(k) for k in ("batch_records", "batch_small_s", "batch_big_s",
                                                             "batch_ratio"))] if "error" not in s["batch"]
               else [s["people"], s["batch"]["error"]] for s in scales if "batch" in s], log)
    if any("validate" in s for s in scales):
        log("## Validation alone (whole dataset)")
        table(["people", "triples", "project s", "project triples/s", "conforms", "plain pyshacl s",
               "pyshacl triples/s", "conforms"],
              [[s["people"], *(s["validate"].get(k) for k in (
                  "validate_triples", "validate_ours_s", "validate_ours_triples_per_s", "validate_ours_conforms",
                  "validate_pyshacl_s", "validate_pyshacl_triples_per_s", "validate_pyshacl_conforms"))]
               for s in scales if "validate" in s], log)
    if any("direct" in s for s in scales):
        log("## Direct query latency on the store (median ms; rows)")
        names = [r["query"] for r in next(s for s in scales if "direct" in s)["direct"]]
        rows = []
        for name in names:
            row = [name]
            for s in scales:
                hit = next((r for r in s.get("direct", []) if r["query"] == name), None)
                row.append("skipped" if hit is None or "skipped" in hit else f"{hit['median_ms']} ({hit['rows']})")
            rows.append(row)
        table(["query", *(f"{s['people']:,} people" for s in scales)], rows, log)
    for s in scales:
        if "http" in s:
            _http_tables(s, log)
    log("## Targets")
    table(["target", "scale", "measured", "goal", "status"],
          [[t["target"], t.get("scale"), t.get("value"), t["goal"], t["status"]] for t in results["targets"]], log)


def _http_tables(s: dict, log) -> None:
    http = s["http"]
    engines = [srv["engine"] for srv in http["servers"]]
    log(f"## HTTP at {s['people']:,} people ({s['triples']:,} quads): requests/s, p99 ms, errors")
    rows = []
    for mix in ("light", "heavy"):
        for c in sorted({cell["clients"] for cell in http["cells"]}):
            row = [mix, c]
            for engine in engines:
                cell = _cell(http, engine, mix, c)
                row.append(f"{cell['throughput_rps']} / {cell['p99_ms']} / {cell['errors']}" if cell else "")
            rows.append(row)
    table(["mix", "clients", *engines], rows, log)
    table(["engine", "first answer s", "bulk load s", "peak RSS MB"],
          [[i["engine"], i["first_answer_s"], i["bulk_load_s"], i["peak_rss_mb"]] for i in http["servers"]], log)
    for skip in http["skipped"]:
        log(f"skipped {skip['engine']}: {skip['reason']}")
    mismatched = {q: v for q, v in http["row_checks"].items() if len({str(x) for x in v.values()}) > 1}
    log("Same rows from every engine: " + ("yes" if not mismatched else f"NO — {mismatched}") + "\n")


def _cell(http: dict, engine: str, mix: str, clients: int) -> dict | None:
    return next((c for c in http["cells"] if c["engine"] == engine and c["mix"] == mix and c["clients"] == clients),
                None)


def targets(results: dict) -> list[dict]:
    out = []
    for s in results["scales"]:
        scale = f"{s['triples']:,} quads"
        out += _http_targets(s, scale)
        load = s.get("load", {})
        if load.get("pipeline_triples_per_s"):
            out.append(_check("validated load ≥ 50,000 triples/s (goal at 1M)", scale,
                              load["pipeline_triples_per_s"], "≥ 50000", load["pipeline_triples_per_s"] >= 50_000))
        batch = s.get("batch", {})
        if "error" in batch:
            out.append({"target": "batch cost ratio", "scale": scale, "goal": "≤ 2", "status": "error",
                        "value": batch["error"][:200]})
        elif batch:
            out.append(_check("1,000-record batch: full store / empty store", scale, batch["batch_ratio"], "≤ 2",
                              batch["batch_ratio"] <= 2))
    return out


def _http_targets(s: dict, scale: str) -> list[dict]:
    http = s.get("http")
    if not http:
        return []
    out = []
    ours = [srv["engine"] for srv in http["servers"] if srv["engine"].startswith("justicegraph")]
    for engine in ours:
        srv = next(i for i in http["servers"] if i["engine"] == engine)
        out.append(_check(f"{engine}: first answer ≤ 1 s", scale, srv["first_answer_s"], "≤ 1",
                          srv["first_answer_s"] <= 1))
        out.append({"target": f"{engine}: peak RSS serving (MB)", "scale": scale, "value": srv["peak_rss_mb"],
                    "goal": "≤ 1024 at 5M", "status": "met" if srv["peak_rss_mb"] <= 1024 else "reported"})
        for cell in http["cells"]:
            if cell["engine"] != engine:
                continue
            if cell["errors"]:
                # Answers other than 200 are failures of the server; timeouts are slowness.
                broken = cell["errors"] - cell.get("timeouts", 0)
                out.append({"target": f"{engine}: zero errors ({cell['mix']}, c={cell['clients']})", "scale": scale,
                            "value": f"{broken} failed, {cell.get('timeouts', 0)} timed out", "goal": "0",
                            "status": "error" if broken else "missed"})
            ref = _cell(http, "oxigraph serve", cell["mix"], cell["clients"])
            if ref and ref["throughput_rps"]:
                goal = 1.0 if cell["mix"] == "heavy" else 0.8
                ratio = round(cell["throughput_rps"] / ref["throughput_rps"], 2)
                out.append(_check(f"{engine} / oxigraph, {cell['mix']}, c={cell['clients']}", scale, ratio,
                                  f"≥ {goal}", ratio >= goal))
                if ref["p99_ms"] and cell["p99_ms"]:
                    p99 = round(cell["p99_ms"] / ref["p99_ms"], 2)
                    out.append(_check(f"{engine} p99 / oxigraph p99, {cell['mix']}, c={cell['clients']}", scale,
                                      p99, "≤ 1.5", p99 <= 1.5))
    return out


def _check(target, scale, value, goal, ok) -> dict:
    return {"target": target, "scale": scale, "value": value, "goal": goal, "status": "met" if ok else "missed"}
