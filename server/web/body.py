"""Request bodies sent without a Content-Length (``Transfer-Encoding: chunked``) are read and
counted here, before the app sees them: above ``max_body`` the answer is 413 and nothing is
parsed or written; a body that is not valid chunked encoding (a chunk size ``zz``, a missing
terminator) is 400. The body then reaches the app as if it had come with a Content-Length.

Why: Werkzeug caps such a stream at ``max_body`` by cutting it silently, so a 50 MiB chunked
Graph Store PUT stored its first 10 MiB and answered 201 (issue #17, item 3); and the WSGI
server's chunk parser raised into the app (500).
"""

from __future__ import annotations

import io
import json

from justicegraph.server.web.errors import error_body

READ_SIZE = 64 * 1024


class CountedBody:
    """WSGI middleware around the app (``security.init_app`` installs it)."""

    def __init__(self, app, max_body: int, headers: dict[str, str] | None = None):
        self.app = app
        self.max_body = max_body
        self.headers = list((headers or {}).items())  # the security headers of every answer

    def __call__(self, environ, start_response):
        if environ.get("CONTENT_LENGTH") or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self.app(environ, start_response)
        stream, parts, size = environ["wsgi.input"], [], 0
        try:
            while True:
                data = stream.read(min(READ_SIZE, self.max_body + 1 - size))
                if not data:
                    break
                size += len(data)
                if size > self.max_body:
                    return _answer(start_response, self.headers, 413, f"The request body is larger than the limit of "
                                                        f"{self.max_body} bytes; nothing was read or written.")
                parts.append(data)
        except Exception as exc:  # noqa: BLE001 - the WSGI server's chunk parser, whatever it raises
            return _answer(start_response, self.headers, 400, "The request body is not valid chunked transfer encoding "
                                                f"({type(exc).__name__}); nothing was read or written.")
        body = b"".join(parts)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = True
        return self.app(environ, start_response)


def _answer(start_response, extra: list, status: int, message: str):
    body = (json.dumps(error_body(status, message), ensure_ascii=False) + "\n").encode("utf-8")
    title = error_body(status, message)["error"]["title"]
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close"),
               *extra]
    start_response(f"{status} {title}", headers)
    return [body]
