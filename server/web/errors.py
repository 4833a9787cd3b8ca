"""The one JSON error shape of the whole server.

Every JSON error, from any blueprint, looks like::

    {"error": {"status": 400, "title": "Bad Request", "message": "…", "detail": …}}

served as ``application/json``. ``detail`` is optional (a parser position, a SHACL report
summary, the allowed methods …). Blueprints either return ``error_response(…)`` or raise
``ApiError(…)``; ``register(app)`` turns the latter (and Werkzeug's 413) into the shape.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import RequestEntityTooLarge

JSON_ERROR_TYPE = "application/json"


class ApiError(Exception):
    """Raise anywhere in a request; answered with the one JSON error shape."""

    def __init__(self, status: int, message: str, detail: Any = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail
        self.headers = headers or {}

    def custom_response(self) -> Response | None:
        """Subclasses may answer in another media type (e.g. a SHACL report in Turtle)."""
        return None


def error_body(status: int, message: str, detail: Any = None) -> dict:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    error: dict[str, Any] = {"status": status, "title": title, "message": message}
    if detail is not None:
        error["detail"] = detail
    return {"error": error}


def error_response(status: int, message: str, detail: Any = None, headers: dict | None = None) -> Response:
    """A Flask response carrying the one JSON error shape."""
    body = json.dumps(error_body(status, message, detail), ensure_ascii=False, indent=1)
    response = Response(body + "\n", status=status, mimetype=JSON_ERROR_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register(app: Flask) -> None:
    """Install the handlers (called by the app factory)."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        custom = exc.custom_response()
        if custom is not None:
            return custom
        return error_response(exc.status, exc.message, exc.detail, exc.headers)

    from justicegraph.store.remote.base import RemoteStoreError, engine_failure

    @app.errorhandler(RemoteStoreError)
    def _engine_failed(exc: RemoteStoreError):
        # a remote engine failed outside a query job (e.g. listing graphs): as protocol_jobs does
        return error_response(*engine_failure(exc))

    from justicegraph.store.remote.base import PublicBehind

    @app.errorhandler(PublicBehind)
    def _public_behind(exc: PublicBehind):
        engine_failure(exc)  # logged with the engine's message; the caller learns what happened
        return error_response(500, "The change was written, but the public dataset could not follow it: "
                                   "anonymous readers miss its additions until `justicegraph public-sync`.")

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc):
        limit = app.config.get("MAX_CONTENT_LENGTH")
        return error_response(413, f"request body is larger than the limit of {limit} bytes",
                              {"limit_bytes": limit})
