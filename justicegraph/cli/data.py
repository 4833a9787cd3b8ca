"""Data commands: load, validate, query, export, stats.

User mistakes (a missing file, a bad record, a query syntax error, an unknown saved query)
are one-line errors (click.ClickException), never tracebacks. The global ``--store`` option
comes before the command: ``justicegraph --store var/store load data/1988``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
import pyoxigraph as ox

from justicegraph.access import dataset as access_dataset
from justicegraph.access import is_restricted
from justicegraph.cli.output import graph_results_text, print_results, print_stats, record_errors_report

FORMATS_RDF = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
MAX_FILE_MB = 1024  # the loaders' MAX_FILE_BYTES (not imported here: keeps `--help` fast)


def _loaders():
    from justicegraph import loaders  # imported on use: keeps `justicegraph --help` fast

    return loaders


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--packaged", metavar="NAME", help="Load a dataset shipped with the package (e.g. 1988).")
@click.option("--dataset", "dataset_name", metavar="NAME", help="Dataset name (default: the directory's or file's name).")
@click.option("--no-shacl", is_flag=True, help="Skip SHACL validation (record checks still run); for bulk loads.")
@click.option("--allow-empty", is_flag=True,
              help="Accept input holding no records: a re-load then removes the dataset's graphs.")
@click.option("--max-file-mb", type=click.IntRange(min=1), default=MAX_FILE_MB, show_default=True,
              help="Largest input file read, in MB (checked before reading).")
@click.option("--no-publish", is_flag=True,
              help="On a store directory, leave the snapshot a server reads to `publish` or the next `serve`.")
@click.pass_obj
def load(obj, paths, packaged, dataset_name, no_shacl, allow_empty, max_file_mb, no_publish):
    """Load records (CSV, JSON, YAML) and RDF files as one dataset, in one transaction.

    Re-loading a dataset replaces the graphs it produced before. Any error: nothing is written.
    Input with no records is refused (it would replace the dataset by nothing) unless
    --allow-empty is given.
    """
    paths, dataset_name = _inputs(paths, packaged, dataset_name)
    loaders = _loaders()
    store = obj.store()
    stages = _stage_count(paths)
    with click.progressbar(length=stages, label="loading", file=sys.stderr, hidden=not sys.stderr.isatty()) as bar:
        def step(_stage: str) -> None:
            bar.update(1)

        try:
            result = loaders.load(store, paths, dataset=dataset_name, minter=obj.settings.minter,
                                  shacl=not no_shacl, progress=step, allow_empty=allow_empty,
                                  max_file_bytes=max_file_mb * 1024 * 1024)
        except loaders.LoadError as exc:
            _fail_with_errors(exc)
        except PermissionError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"loaded dataset {result.dataset}: {result.records} records, {result.inserted} quads in "
               f"{len(result.graphs)} graphs (replaced {len(result.replaced)}) in {result.seconds:.2f} s")
    optimize = getattr(store, "optimize", None)
    if optimize is not None and result.inserted:
        # After the commit, outside the transaction: the data is safe whether or not this ends.
        started = time.monotonic()
        optimize()
        click.echo(f"compacted the store for reads in {time.monotonic() - started:.2f} s")
    if not no_publish:
        _publish(obj)


def _publish(obj) -> None:
    try:
        seconds = obj.publish()
    except OSError as exc:
        raise click.ClickException(f"loaded, but no snapshot was published ({exc}); "
                                   f"run `justicegraph --store {obj.settings.store} publish`") from None
    if seconds is not None:
        click.echo(f"published a snapshot for the server in {seconds:.2f} s")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--packaged", metavar="NAME", help="Validate a dataset shipped with the package.")
@click.option("--dataset", "dataset_name", metavar="NAME", help="Dataset name (default: the directory's name).")
@click.option("--format", "fmt", type=click.Choice(["text", "turtle", "json"]), default="text", show_default=True)
@click.option("--allow-empty", is_flag=True, help="Accept input holding no records (as load --allow-empty).")
@click.option("--max-file-mb", type=click.IntRange(min=1), default=MAX_FILE_MB, show_default=True,
              help="Largest input file read, in MB (checked before reading).")
@click.pass_obj
def validate(obj, paths, packaged, dataset_name, fmt, allow_empty, max_file_mb):
    """Check records without writing: exit 0 if they conform, 1 if not, 2 if the check could not run.

    References to other datasets are checked against the store when it exists.
    """
    try:
        paths, dataset_name = _inputs(paths, packaged, dataset_name)
        loaders = _loaders()
        store = _store_for_checking(obj)
        try:
            result = loaders.load(store, paths, dataset=dataset_name, minter=obj.settings.minter, dry_run=True,
                                  allow_empty=allow_empty, max_file_bytes=max_file_mb * 1024 * 1024)
        except loaders.LoadError as exc:
            errors = exc.errors
        else:
            errors = []
    except click.ClickException as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(2)
    except (OSError, RuntimeError) as exc:
        click.echo(f"Error: could not validate: {exc}", err=True)
        sys.exit(2)
    if fmt == "json":
        click.echo(json.dumps({"conforms": not errors, "errors": [e.as_dict() for e in errors]}, indent=2, ensure_ascii=False))
    elif fmt == "turtle":
        graph = result.report.graph if not errors and result.report is not None else record_errors_report(errors)
        click.echo(graph.serialize(format="turtle"))
    elif errors:
        for error in errors:
            click.echo(str(error))
        click.echo(f"{len(errors)} error{'s' if len(errors) != 1 else ''}: does not conform", err=True)
    else:
        click.echo(f"conforms: dataset {result.dataset}, {result.records} records, {result.inserted} quads")
    sys.exit(1 if errors else 0)


@click.command()
@click.argument("text", required=False)
@click.option("-f", "--file", "query_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the query from a .rq file.")
@click.option("--name", help="Run a saved query (queries/*.rq) by name.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A saved query's parameter (repeatable).")
@click.option("--queries", "queries_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of saved queries (default: the packaged ones).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--restricted", is_flag=True, help="Include restricted graphs (default: public graphs only).")
@click.pass_obj
def query(obj, text, query_file, name, params, queries_dir, fmt, restricted):
    """Run SPARQL: inline TEXT, a file (-f), or a saved query (--name … --param k=v).

    The default graph is the union of the visible graphs; each is also a named graph.
    """
    given = [x for x in (text, query_file, name) if x]
    if len(given) != 1:
        raise click.UsageError("give exactly one of: query TEXT, -f FILE, --name NAME")
    if params and not name:
        raise click.UsageError("--param works with --name (saved queries)")
    store = obj.reader()
    settings = obj.settings
    exclude = settings.excluded_graphs
    try:
        if name:
            results = _run_saved(store, settings, name, params, queries_dir, restricted, exclude)
        else:
            sparql = query_file.read_text(encoding="utf-8") if query_file else text
            kwargs = _dataset_for(sparql, store, settings, restricted, exclude)
            results = store.query(prologue(settings.minter) + sparql, **kwargs)
        print_results(results, fmt, prefixes(settings.minter))
    except SyntaxError as exc:
        raise click.ClickException(f"query syntax error: {exc}".replace("\n", " ")) from None
    except (ValueError, OSError, RuntimeError) as exc:
        raise click.ClickException(str(exc).replace("\n", " ")) from None


@click.command()
@click.option("--graph", "graphs", multiple=True, metavar="IRI", help="Export only this graph (repeatable).")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS_RDF)), default="nquads", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (default: stdout).")
@click.option("--restricted", is_flag=True, help="Include restricted graphs (default: public graphs only).")
@click.pass_obj
def export(obj, graphs, fmt, output, restricted):
    """Write the graphs as N-Quads or TriG: all visible graphs, or those given with --graph."""
    store = obj.reader()
    known = store.graphs()
    for g in graphs:
        if g not in known:
            raise click.ClickException(f"no graph <{g}> in the store")
        if is_restricted(g) and not restricted:
            raise click.ClickException(f"<{g}> is restricted; add --restricted to export it")
    chosen = list(graphs) or [g for g in known if restricted or not is_restricted(g)]
    quads = (q for g in chosen for q in store.quads(g))  # streamed, never all in memory
    options = {"format": FORMATS_RDF[fmt], "prefixes": prefixes(obj.settings.minter) if fmt == "trig" else None}
    if output:
        try:
            ox.serialize(quads, output=str(output), **options)
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc}") from None
        click.echo(f"wrote {len(chosen)} graphs to {output}", err=True)
    else:
        stream = click.get_binary_stream("stdout")
        ox.serialize(quads, output=stream, **options)
        stream.flush()


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--restricted", is_flag=True, help="Include restricted graphs (default: public graphs only).")
@click.pass_obj
def stats(obj, fmt, restricted):
    """Triples per graph, entities per class, statements per speaker."""
    from justicegraph.stats import collect

    store = obj.reader()
    print_stats(collect(store, obj.settings.minter, restricted_ok=restricted), fmt)


# ---------------------------------------------------------------- helpers

def _inputs(paths, packaged, dataset_name):
    if packaged:
        from justicegraph.resources import dataset_dir

        if paths:
            raise click.UsageError("give PATHs or --packaged, not both")
        try:
            return [dataset_dir(packaged)], dataset_name or packaged
        except FileNotFoundError as exc:
            raise click.ClickException(str(exc)) from None
    if not paths:
        raise click.UsageError("give at least one PATH (a directory or file of records), or --packaged NAME")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise click.ClickException(f"no such file or directory: {', '.join(missing)}")
    return list(paths), dataset_name


def _stage_count(paths: list[Path]) -> int:
    files = sum(len([f for f in p.iterdir() if not f.name.startswith(".")]) if p.is_dir() else 1 for p in paths)
    return files + 4


def _fail_with_errors(exc) -> None:
    for error in exc.errors:
        click.echo(str(error), err=True)
    count = len(exc.errors)
    raise click.ClickException(f"{count} error{'s' if count != 1 else ''}; nothing was loaded")


def _store_for_checking(obj):
    """The store to check references against, never written: the configured one opened
    read-only when it exists, else an empty in-memory store."""
    from justicegraph.store import OxigraphStore

    location = obj.settings.store
    if location == "memory" or location.startswith("sparql+"):
        return obj.store()
    if not Path(location).is_dir():
        return OxigraphStore(None)
    return obj.reader()


def _dataset_for(sparql: str, store, settings, restricted: bool, exclude) -> dict:
    from justicegraph.sparqltext import allowed, scan_query

    scan = scan_query(sparql)
    allowlist = [x.strip() for x in settings.service_allowlist.split(",") if x.strip()]
    for target in scan.services:
        if not allowed(target, allowlist):
            raise click.ClickException(f"SERVICE {target or '?variable'} is not in the service allowlist; nothing is fetched")
    explicit = bool(scan.from_graphs or scan.from_named)
    return access_dataset(store.graphs(), restricted_ok=restricted, union=settings.union_default_graph,
                          default_graph_uris=scan.from_graphs if explicit else None,
                          named_graph_uris=scan.from_named if explicit else None, exclude=exclude,
                          stable=_stable(store))


def _stable(store) -> bool:
    """An on-disk store the command holds (RocksDB's lock: no other process writes it while
    the command runs); a remote engine's graphs can change under it (justicegraph.access)."""
    return not hasattr(store, "public_view")


def _run_saved(store, settings, name, params, queries_dir, restricted, exclude):
    from justicegraph.savedqueries import ParamError, SavedQueryError, load_saved_queries

    values = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.UsageError(f"--param {item!r}: expected NAME=VALUE")
        values[key.strip()] = value
    try:
        saved = load_saved_queries(queries_dir)
    except SavedQueryError as exc:
        raise click.ClickException(str(exc)) from None
    if name not in saved:
        raise click.ClickException(f"no saved query {name!r} (saved queries: {', '.join(sorted(saved)) or 'none'})")
    kwargs = access_dataset(store.graphs(), restricted_ok=restricted, union=settings.union_default_graph, exclude=exclude,
                            stable=_stable(store))
    try:
        return saved[name].run(store, values, settings.minter, **kwargs)
    except ParamError as exc:
        raise click.ClickException(str(exc)) from None


def prefixes(minter) -> dict[str, str]:
    """The well-known prefixes plus ``id:`` for this deployment's entities."""
    from justicegraph.namespaces import PREFIXES

    return {**PREFIXES, "id": minter.entity("")}


def prologue(minter) -> str:
    """PREFIX declarations put before an inline query, on the query's first line (so error
    line numbers stay right); the query's own declarations override them."""
    return " ".join(f"PREFIX {p}: <{iri}>" for p, iri in prefixes(minter).items()) + " "


commands = [load, validate, query, export, stats]
__all__ = ["commands", "graph_results_text"]
