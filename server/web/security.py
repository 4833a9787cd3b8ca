"""Protection that applies to every response, whichever blueprint answers it.

- security headers: a Content-Security-Policy with no inline script (data can never reach
  a script), nosniff, no framing, no referrer; answers never cached by shared caches once a
  token may have changed what they hold (``Vary: Authorization``);
- per-client rate limiting (server/web/ratelimit.py, counters shared by every worker) on the
  query, search and write routes;
- caps on the request body and on the query/update text, answered before any parsing;
- tokens redacted from every log record, whatever logger or handler writes it.

``init_app(app)`` wires it; ``create_app`` calls it after registering the blueprints.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

from flask import Flask, Response, current_app, g, jsonify, request

from justicegraph.server.web.body import CountedBody
from justicegraph.server.web.ratelimit import RateLimit

# Scripts, styles and images only from this origin; no plugins, no framing, no <base> games.
# Scripts have no 'unsafe-inline' and no 'unsafe-eval': a label that slipped past escaping
# still cannot run. Styles allow inline because the vendored graph and query widgets
# (cytoscape, YASGUI) set styles in markup they build; every value is escaped, so data
# cannot reach a style either.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

# Routes that cost the server work per request: queries, search, saved queries, writes.
LIMITED_PREFIXES = ("/sparql", "/graphs", "/api/search", "/api/queries")
# Parameters that carry query or update text, and body media types that are such text.
TEXT_PARAMS = ("query", "update", "q")
TEXT_BODIES = ("application/sparql-query", "application/sparql-update")
MIN_TOKEN_LENGTH = 16


def init_app(app: Flask) -> None:
    settings = app.config["JUSTICEGRAPH"]
    app.after_request(_add_headers)
    app.before_request(_check_sizes)
    # Bodies without a Content-Length are counted before the app reads them (web/body.py).
    app.wsgi_app = FrontClient(CountedBody(app.wsgi_app, settings.max_body, SECURITY_HEADERS))
    _init_limiter(app, settings.rate_limit)
    REDACTOR.add_secrets(settings.read_token, settings.write_token)
    REDACTOR.attach(app.logger)
    _warn_weak_tokens(app, settings)


def _warn_weak_tokens(app: Flask, settings) -> None:
    # A short token can be guessed, and redacting it from logs would mangle them.
    for name in ("read_token", "write_token"):
        token = getattr(settings, name)
        if token and len(token) < MIN_TOKEN_LENGTH:
            app.logger.warning("the %s is shorter than %d characters; use a long random one, e.g. "
                               "python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                               name, MIN_TOKEN_LENGTH)


class FrontClient:
    """Behind the buffering front (server/front.py) gunicorn listens on a Unix socket and sees
    no client address: the front names it in ``X-JusticeGraph-Client``. Trusted only from the
    Unix socket (no address there); from TCP the header is ignored, so no client can choose
    the address its rate limit is counted under."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        client = environ.pop("HTTP_X_JUSTICEGRAPH_CLIENT", None)
        if client and not environ.get("REMOTE_ADDR"):
            environ["REMOTE_ADDR"] = client
        return self.app(environ, start_response)


# -- headers -------------------------------------------------------------------------------

def _add_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    # The same URL answers differently with and without a token: shared caches must know,
    # and must never keep an answer that a token opened.
    response.vary.add("Authorization")
    if "Authorization" in request.headers:
        response.headers["Cache-Control"] = "private, no-store"
    return response


# -- rate limiting -------------------------------------------------------------------------

def _is_limited_route() -> bool:
    return request.path.startswith(LIMITED_PREFIXES)


def _init_limiter(app: Flask, limit: str) -> None:
    if not limit.strip():
        return  # operator turned rate limiting off
    limiter = RateLimit(limit)
    app.extensions["justicegraph.limiter"] = limiter

    @app.before_request
    def _count():
        if request.method == "OPTIONS" or not _is_limited_route():
            return None
        window = limiter.hit(request.remote_addr)
        if window is None:
            refused = json_error(429, f"Too many requests from this client: the limit is {limiter.describe()}. "
                                      "Wait and retry (see the Retry-After header).")
            refused.headers.extend(limiter.headers(limiter.window(request.remote_addr)))
            return refused
        g.jg_rate_window = window
        return None

    @app.after_request
    def _window_headers(response: Response) -> Response:
        window = g.pop("jg_rate_window", None)
        if window is not None:
            for name, value in limiter.headers(window):
                response.headers[name] = value
        return response


# -- size caps ---------------------------------------------------------------------------

def _check_sizes() -> Response | None:
    settings = current_app.config["JUSTICEGRAPH"]
    length = request.content_length
    if length is not None and length > settings.max_body:
        return json_error(413, f"Request body of {length} bytes is larger than the limit of "
                               f"{settings.max_body} bytes.")
    if not _is_limited_route():
        return None
    for name, text in _query_texts():
        if len(text) > settings.max_query_length:
            return json_error(413, f"The {name} text has {len(text)} characters; the limit is "
                                   f"{settings.max_query_length}.")
    return None


def _query_texts():
    """(name, text) of every query or update text the request carries, wherever it is."""
    for name in TEXT_PARAMS:
        for text in request.args.getlist(name):
            yield name, text
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        for name in TEXT_PARAMS:
            for text in request.form.getlist(name):
                yield name, text
    elif mimetype in TEXT_BODIES:
        body = request.get_data(cache=True)
        yield mimetype.rsplit("-", 1)[-1], body.decode("utf-8", errors="replace")


def json_error(status: int, message: str) -> Response:
    """The project's one JSON error shape (server/web/errors.py) for this module's own answers."""
    response = jsonify({"error": {"status": status, "title": HTTPStatus(status).phrase, "message": message}})
    response.status_code = status
    return response


# -- log redaction -----------------------------------------------------------------------

_BEARER = re.compile(r"(?i)\b(bearer)(\s+|%20|\+)[^\s\"',;]+")


class Redactor(logging.Filter):
    """Replaces configured tokens, and anything sent as a Bearer credential, by ``***`` in
    the message and in the formatted traceback of every record it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self._longest_first: tuple[str, ...] = ()

    def add_secrets(self, *secrets: str) -> None:
        self.secrets.update(s for s in secrets if s)
        self._longest_first = tuple(sorted(self.secrets, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._longest_first:
            text = text.replace(secret, "***")
        # the case-insensitive search costs ~10 µs on an access log line; no letter but the
        # ASCII ones lowers to b, e, a or r, so a line without "bearer" once lowered has no match
        return _BEARER.sub(r"\1\2***", text) if "bearer" in text.lower() else text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to logging's own handling
            return True
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True

    def attach(self, *extra: logging.Logger) -> None:
        """Filter the loggers that write requests and errors (a logger's filter sees what is
        logged on it) and every handler on them (a handler's filter also sees what child
        loggers propagate). Each is attached once per process."""
        names = ("", "werkzeug", "gunicorn.error", "gunicorn.access", "justicegraph")
        loggers = [logging.getLogger(n) for n in names] + list(extra)
        for logger in loggers:
            for target in [logger, *logger.handlers]:
                if self not in target.filters:
                    target.addFilter(self)


# One per process: tokens of every app built in this process are redacted everywhere.
REDACTOR = Redactor()
