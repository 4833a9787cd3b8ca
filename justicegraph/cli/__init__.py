"""The `justicegraph` command line. Each concern adds its commands from its own module;
this module only builds the group and the shared options (store, base).

One module per concern: ``data`` (load, validate, query, export, stats), ``serve``,
``reason``, ``generate``, ``public`` (public-sync); ``output`` prints results.
The top layer: may import every part of ``justicegraph``; nothing imports it.
"""

from __future__ import annotations

import importlib
import os

import click

from justicegraph.settings import Settings

# Modules that each expose `commands: list[click.Command]`.
COMMAND_MODULES = (
    "justicegraph.cli.data",      # load, validate, query, export, stats
    "justicegraph.cli.serve",     # serve
    "justicegraph.cli.reason",    # reason
    "justicegraph.cli.generate",  # generate
    "justicegraph.cli.public",    # public-sync
)


class Context:
    """What every command receives: the settings, and the store opened on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._store = None

    def store(self, *, read_only: bool = False):
        if self._store is None:
            from justicegraph.store import open_store

            try:
                self._store = open_store(self.settings.store, read_only=read_only, settings=self.settings)
            except OSError as exc:
                raise click.ClickException(f"cannot open the store at {self.settings.store!r}: {exc}") from None
        return self._store

    def reader(self):
        """The store for a command that only reads. A store directory is read without opening
        it for writing (that would change its files, and the next `serve` would publish again):
        the snapshot a server reads when it holds the primary's content (immutable, so safe
        beside a running server's writes), else the primary read-only. A missing directory or
        one a killed writer left unfinished is opened as before (read-write completes it)."""
        location = self.settings.store
        if self._store is not None or location == "memory" or "://" in location or not os.path.isdir(location):
            return self.store()
        from justicegraph.server.protocol.snapshot import SnapshotStore
        from justicegraph.store import OxigraphStore

        if OxigraphStore.has_unfinished_write(location):
            return self.store()
        snapshots = SnapshotStore(location)
        path = snapshots.current() if snapshots.up_to_date() else location
        try:
            self._store = OxigraphStore(path, read_only=True)
        except OSError as exc:
            raise click.ClickException(f"cannot open the store at {location!r}: {exc}") from None
        return self._store

    def publish(self) -> float | None:
        """After a command changed a store directory: publish the snapshot (and public view)
        servers read, and return the seconds it took; None for other stores. Servers read
        snapshots, never the primary (docs/endpoint.md): publishing while a write's cost is
        expected spares the next `serve` the checkpoint and the view's build (2.9 s to the
        first answer at 1.15M quads instead of 0.6 s) and lets a running server see it."""
        location = self.settings.store
        if location == "memory" or "://" in location:
            return None
        self.close()  # the publication opens the primary itself, under the write lock
        import time

        from justicegraph.server.protocol.audit import AuditLog
        from justicegraph.server.protocol.snapshot import SnapshotStore

        started = time.monotonic()
        SnapshotStore(location, audit=AuditLog.for_settings(self.settings)).publish()
        return time.monotonic() - started

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", envvar="JUSTICEGRAPH_STORE", help="Store location: a directory, 'memory', or sparql+http://…")
@click.option("--base", envvar="JUSTICEGRAPH_BASE", help="Base IRI for minted IRIs.")
@click.version_option(package_name="justicegraph")
@click.pass_context
def main(ctx: click.Context, store: str | None, base: str | None) -> None:
    """justicegraph: a knowledge graph of the 1988 mass execution of political prisoners in
    Iran and the testimony about it, every statement attributed to who made it."""
    try:
        settings = Settings.from_env(store=store, base=base)
    except (ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    ctx.obj = Context(settings)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        for command in module.commands:
            main.add_command(command)


_register()
