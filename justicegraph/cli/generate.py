"""`justicegraph generate`: a synthetic dataset in the project's record formats, for
benchmarks and load tests (see justicegraph.generate)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from justicegraph.generate import MAX_PEOPLE, MIN_PEOPLE, generate


@click.command("generate")
@click.option("--people", type=click.IntRange(MIN_PEOPLE, MAX_PEOPLE), default=1000, show_default=True,
              help="How many persons (about 20 triples each once loaded).")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same bytes.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory to write the CSV files to (created; existing CSVs are overwritten).")
def generate_command(people: int, seed: int, out: Path) -> None:
    """Write a synthetic dataset (one CSV per kind, docs/records.md) to OUT."""
    started = time.perf_counter()
    try:
        counts = generate(out, people=people, seed=seed)
    except OSError as exc:
        raise click.ClickException(f"cannot write to {out}: {exc}") from None
    rows = sum(counts.values())
    click.echo(f"wrote {rows:,} records ({counts['people']:,} people) to {out} "
               f"in {time.perf_counter() - started:.1f} s")


commands = [generate_command]
