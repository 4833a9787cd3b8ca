"""`justicegraph serve`: the production server — granian (a Rust HTTP server) with the app's
gateway (server/web/gateway.py), or gunicorn behind the buffering front (setting
``http_server``) — or, with ``--dev``, Flask's development server."""

from __future__ import annotations

import os

import click

from justicegraph.settings import Settings


def _prepare(settings: Settings) -> None:
    """Publish a snapshot of the on-disk store as it is now, so every worker (and every
    query executor) reads the data committed before the server started."""
    _finish_prepare(_start_prepare(settings), settings)


def _start_prepare(settings: Settings):
    """Start publishing (see ``_prepare``) and return at once: the process to wait for with
    ``_finish_prepare``, or None when there is nothing to publish. ``serve`` builds the app
    and starts the front meanwhile (neither opens the store), so a first start does not
    wait for the publication before it begins its own work.

    Done in a separate, fresh process (server/protocol/publish.py): RocksDB must never be
    opened in the gunicorn master, because its background threads do not survive the fork and
    a worker that then writes waits forever for a flush."""
    # the snapshot module alone (not the app's): the publication starts before the master imports the app
    from justicegraph.server.protocol.snapshot import SnapshotStore, is_disk_store

    if not is_disk_store(settings.store):
        return None
    if SnapshotStore(settings.store).up_to_date():
        # The current snapshot (and its public view) holds what the primary holds: start on
        # it at once (reading the primary's file list opens no store).
        return None
    import subprocess
    import sys

    from justicegraph.server.protocol.audit import AuditLog

    # Audit records a killed write left in the primary go to the audit log, not into the snapshot.
    audit = AuditLog.for_settings(settings)
    return subprocess.Popen([sys.executable, "-m", "justicegraph.server.protocol.publish", str(settings.store),
                             str(audit.path), *audit.graphs], stdin=subprocess.DEVNULL)


def _finish_prepare(process, settings: Settings) -> None:
    if process is None:
        return
    if process.wait() != 0:
        raise click.ClickException(
            f"cannot open the store at {settings.store!r}; is another process writing it? (see above)")


def gunicorn_options(settings: Settings, bind: str | None = None) -> dict:
    return {
        "bind": bind or f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "threads": settings.threads,
        "worker_class": "gthread",
        # Built once in the master: the metrics counters are shared by every worker.
        "preload_app": True,
        "timeout": settings.worker_timeout or int(settings.query_timeout) + 30,
        "graceful_timeout": 10,
        "accesslog": "-" if settings.access_log else None,
        # The same combined-format line, written without the logging machinery (server/web/accesslog.py).
        "logger_class": "justicegraph.server.web.accesslog.AccessLogger",
        "errorlog": "-",
        "loglevel": "info",
        # gunicorn 27's control socket is one fixed path per user: two servers would collide.
        "control_socket_disable": True,
        "post_worker_init": _post_worker_init,
    }


def _post_worker_init(worker) -> None:
    _worker_ready(worker.wsgi)


def _worker_ready(app) -> None:
    """In each worker, after the fork (gunicorn or granian): start its query executors."""
    from justicegraph.server.protocol.machinery import warm_up

    warm_up(app)
    if app.config["JUSTICEGRAPH"].writes_enabled:
        # Import the validator and parse shapes and ontology in the background, so neither the
        # first answer (start-up) nor the first write waits for it.
        import threading

        threading.Thread(target=_warm_validation, name="jg-validation-warmup", daemon=True).start()


def _warm_validation() -> None:
    from justicegraph import validation

    validation.background()


def run_gunicorn(settings: Settings, publishing=None) -> None:
    """gunicorn with the app built here, in the master (``preload_app``), behind the front.
    ``publishing``: the snapshot being published (``_start_prepare``), awaited before any
    worker starts; the front starts and the app is built meanwhile."""
    from gunicorn.app.base import BaseApplication

    bind = front = None
    if settings.front:
        # gunicorn on a private Unix socket, the buffering front on host:port (server/front.py):
        # slow or stalled clients then cost the front a coroutine, never a worker thread.
        import atexit
        import shutil
        import subprocess
        import sys
        import tempfile

        private = tempfile.mkdtemp(prefix="justicegraph-serve-")  # mode 0700: only this user connects
        socket_path = f"{private}/gunicorn.sock"
        bind = f"unix:{socket_path}"
        front = subprocess.Popen([sys.executable, "-m", "justicegraph.server.front", settings.host,
                                  str(settings.port), socket_path, str(settings.max_body)], stdin=subprocess.DEVNULL)
        master = os.getpid()

        def stop_front():
            if os.getpid() != master:  # a worker (forked: it inherits this handler) leaves it alone
                return
            front.terminate()
            try:
                front.wait(timeout=5)
            except subprocess.TimeoutExpired:
                front.kill()
            shutil.rmtree(private, ignore_errors=True)

        atexit.register(stop_front)
    # While the front starts (and a first start publishes), the master imports and builds the
    # app: it opens no store (the snapshot is opened by each worker at its first request).
    from justicegraph.server.app import create_app

    app = create_app(settings)
    _finish_prepare(publishing, settings)
    if front is not None:
        _wait_listening(front, settings)

    class Application(BaseApplication):
        def load_config(self):
            for key, value in gunicorn_options(settings, bind).items():
                self.cfg.set(key, value)

        def load(self):
            return app

    Application().run()


def run_granian(settings: Settings, publishing=None) -> None:
    """granian, ``workers`` processes forked from this one after the app is built here (as
    gunicorn's ``preload_app``: the metrics counters and the rate limiter's table are shared
    memory made now), each running the app on ``threads`` threads behind the gateway."""
    import sys

    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.server import Server

    from justicegraph.server.app import create_app
    from justicegraph.server.web.gateway import Gateway

    app = create_app(settings)
    gateway = Gateway(app, threads=settings.threads, max_body=settings.max_body,
                      access_log=sys.stdout if settings.access_log else None, server=(settings.host, settings.port),
                      lane=app.extensions.get("justicegraph.lane"))
    _finish_prepare(publishing, settings)

    def load(*_args, **_kwargs):
        _worker_ready(app)
        return gateway

    click.echo(f"justicegraph: serving {settings.store} at http://{settings.host}:{settings.port}/ "
               f"(granian, {settings.workers} workers x {settings.threads} threads; Ctrl-C stops)", err=True)
    server = Server("justicegraph.server.app:create_app", address=settings.host, port=settings.port,
                    interface=Interfaces.RSGI, workers=settings.workers, websockets=False,
                    # the head must arrive within 10 s (a head over granian's buffer, ~400 KiB,
                    # is answered 431: measured, docs/endpoint.md)
                    http1_settings=HTTP1Settings(header_read_timeout=10_000),
                    backlog=1024, log_access=False, log_level="warning",
                    workers_kill_timeout=10, respawn_failed_workers=True)
    server.serve(target_loader=load, wrap_loader=False)


def _wait_listening(front, settings: Settings, seconds: float = 20.0) -> None:
    """Until the front accepts connections on host:port; a front that exits (the port is
    taken) stops ``serve`` with its error."""
    import socket
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if front.poll() is not None:
            raise click.ClickException(f"cannot listen on {settings.host}:{settings.port} (see above)")
        try:
            socket.create_connection((settings.host, settings.port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    front.kill()
    raise click.ClickException(f"the front did not listen on {settings.host}:{settings.port} in {seconds:g} s")


@click.command("serve")
@click.option("--host", help="Address to listen on (default: the `host` setting, 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default: the `port` setting, 5000).")
@click.option("--workers", type=int, help="gunicorn worker processes (the `workers` setting).")
@click.option("--threads", type=int, help="Threads per worker (the `threads` setting).")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn (not for production).")
@click.pass_obj
def serve(ctx, host, port, workers, threads, dev):
    """Serve the SPARQL endpoint, Graph Store, pages and API over HTTP."""
    settings = ctx.settings.replace(**{k: v for k, v in
                                       {"host": host, "port": port, "workers": workers, "threads": threads}.items()
                                       if v is not None})
    ctx.close()  # the server opens the store itself; the CLI must not hold it
    if settings.http_server not in ("granian", "gunicorn"):
        raise click.ClickException(f"http_server must be 'granian' or 'gunicorn', not {settings.http_server!r}")
    if settings.serve_mode not in ("disk", "memory"):
        raise click.ClickException(f"serve_mode must be 'disk' or 'memory', not {settings.serve_mode!r}")
    publishing = _start_prepare(settings)
    if dev:
        from justicegraph.server.app import create_app

        app = create_app(settings)
        _finish_prepare(publishing, settings)
        app.run(host=settings.host, port=settings.port, threaded=True)
    elif settings.http_server == "gunicorn":
        run_gunicorn(settings, publishing)
    else:
        run_granian(settings, publishing)


@click.command("publish")
@click.pass_obj
def publish(ctx):
    """Make the on-disk store's current content visible to a running server (after changing
    the store offline, e.g. with `justicegraph load`, while `justicegraph serve` runs)."""
    from justicegraph.server.protocol.snapshot import is_disk_store

    settings = ctx.settings
    ctx.close()
    if not is_disk_store(settings.store):
        raise click.ClickException("publish applies to an on-disk store only")
    from justicegraph.server.protocol.snapshot import SnapshotStore

    if SnapshotStore(settings.store).up_to_date():
        click.echo(f"the current snapshot of {settings.store} already holds its content")
        return
    _prepare(settings)
    click.echo(f"published a snapshot of {settings.store}")


commands = [serve, publish]
