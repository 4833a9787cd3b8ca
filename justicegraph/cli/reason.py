"""`justicegraph reason`: consistency, classification and (optionally) materialisation.

Exit codes like `validate`: 0 consistent, 1 inconsistent or unsatisfiable classes, 2 could
not run (no Java, reasoner failure, store error).
"""

from __future__ import annotations

import json
import sys

import click

from justicegraph.reasoning.hermit import JavaMissing, ReasonerFailed


@click.command("reason")
@click.option("--materialize", is_flag=True,
              help="Write the inferred triples into the inferred graph (replacing it), described in the "
                   "provenance graph.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Report format.")
@click.pass_obj
def reason(ctx, materialize: bool, fmt: str) -> None:
    """Check the asserted graphs against the ontology with the HermiT reasoner; report
    contradictions and unsatisfiable classes by name; optionally materialise inferences."""
    from justicegraph.reasoning.store import reason_store

    try:
        store = ctx.store() if materialize else ctx.reader()
        outcome, written = reason_store(store, ctx.settings, materialize=materialize)
        if written:
            ctx.publish()  # a running server, and the next start, read the inferred graph
    except JavaMissing as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except (ReasonerFailed, OSError, ValueError) as exc:
        click.echo(f"Error: reasoning could not run: {exc}", err=True)
        sys.exit(2)
    click.echo(_json(outcome, written) if fmt == "json" else _text(outcome, written, materialize))
    sys.exit(0 if outcome.ok else 1)


def _text(outcome, written: dict, materialize: bool) -> str:
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in outcome.seconds.items())
    if not outcome.consistent:
        lines = [f"INCONSISTENT: the asserted graphs contradict the ontology (HermiT; {timing})."]
        lines += [f"- {f.message}" for f in outcome.findings]
        if materialize:
            lines.append("Nothing materialised: fix the contradictions first.")
        return "\n".join(lines)
    lines = [f"consistent: {outcome.triples} asserted triples, {outcome.individuals} individuals ({timing})"]
    lines += [f"UNSATISFIABLE CLASS {why}" for why in outcome.unsatisfiable.values()]
    for graph, count in written.items():
        lines.append(f"materialised {count} inferred triples into <{graph}>")
    if materialize and not outcome.ok:
        lines.append("Nothing materialised: fix the unsatisfiable classes first.")
    return "\n".join(lines)


def _json(outcome, written: dict) -> str:
    return json.dumps({
        "consistent": outcome.consistent,
        "unsatisfiable": [{"class": c, "message": m} for c, m in outcome.unsatisfiable.items()],
        "findings": [{"entities": list(f.entities), "message": f.message} for f in outcome.findings],
        "triples": outcome.triples,
        "individuals": outcome.individuals,
        "seconds": outcome.seconds,
        "materialised": written,
    }, indent=2)


commands: list[click.Command] = [reason]
