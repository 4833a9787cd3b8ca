"""How the command line prints query results, statistics and validation errors."""

from __future__ import annotations

import json

import click
import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef

from justicegraph.namespaces import PREFIXES, SH

_WIDTH = 80  # widest table cell before it is cut with an ellipsis


def short(term, prefixes: dict[str, str] | None = None) -> str:
    """A term as a person reads it: prefixed IRIs, plain literal values."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        # longest namespace first, so role: wins over vocab:
        for prefix, namespace in sorted((prefixes or PREFIXES).items(), key=lambda kv: -len(kv[1])):
            if term.value.startswith(namespace) and len(term.value) > len(namespace):
                return f"{prefix}:{term.value[len(namespace):]}"
        return f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return term.value + (f"@{term.language}" if term.language else "")
    return str(term)


def table(headers: list[str], rows: list[list[str]]) -> str:
    cut = [[c if len(c) <= _WIDTH else c[: _WIDTH - 1] + "…" for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cut]) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cut)])


def print_results(results, fmt: str, prefixes: dict[str, str] | None = None) -> None:
    if isinstance(results, ox.QueryBoolean):
        value = bool(results)
        click.echo(json.dumps({"head": {}, "boolean": value}) if fmt == "json" else str(value).lower())
    elif isinstance(results, ox.QuerySolutions):
        if fmt == "json":
            click.echo(results.serialize(format=ox.QueryResultsFormat.JSON).decode("utf-8"))
        elif fmt == "csv":
            click.echo(results.serialize(format=ox.QueryResultsFormat.CSV).decode("utf-8"), nl=False)
        else:
            names = [v.value for v in results.variables]
            rows = [[short(row[name], prefixes) for name in names] for row in results]
            click.echo(table(names, rows))
            click.echo(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", err=True)
    else:
        click.echo(graph_results_text(results, fmt, prefixes), nl=False)


def graph_results_text(results, fmt: str, prefixes: dict[str, str] | None = None) -> str:
    """CONSTRUCT/DESCRIBE results: Turtle (table), JSON-LD (json) or N-Triples (csv)."""
    if fmt == "json":
        return results.serialize(format=ox.RdfFormat.JSON_LD).decode("utf-8") + "\n"
    if fmt == "csv":
        return results.serialize(format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    return ox.serialize(results, format=ox.RdfFormat.TURTLE, prefixes=dict(prefixes or PREFIXES)).decode("utf-8")


def print_stats(data: dict, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo("Triples per graph")
    click.echo(table(["graph", "triples"], [[g, str(n)] for g, n in data["graphs"].items()]))
    click.echo(f"\nEntities per class (total triples: {data['triples']})")
    click.echo(table(["class", "entities"], [[c, str(n)] for c, n in data["classes"].items()]))
    click.echo("\nStatements per speaker")
    click.echo(table(["speaker", "name", "statements"],
                     [[s["speaker"], s["name"], str(s["statements"])] for s in data["speakers"]]))


def record_errors_report(errors) -> Graph:
    """Record errors as a SHACL validation report (for --format turtle)."""
    graph = Graph()
    graph.bind("sh", str(SH))
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(not errors)))
    for error in errors:
        result = BNode()
        graph.add((report, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        graph.add((result, SH.resultSeverity, SH.Violation))
        graph.add((result, SH.resultMessage, Literal(str(error))))
        graph.add((result, SH.focusNode, Literal(error.record or f"{error.file}:{error.line or ''}".rstrip(":"))))
        if error.field:
            graph.add((result, SH.resultPath, URIRef(f"urn:justicegraph:field:{error.field}")))
        graph.add((result, SH.sourceConstraintComponent, URIRef(f"urn:justicegraph:rule:{error.rule}")))
    return graph
