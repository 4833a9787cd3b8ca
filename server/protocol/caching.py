"""HTTP caching of anonymous reads (RFC 9110 §8.8.3, §13.1.2; RFC 9111): a strong ``ETag``,
conditional GET (``If-None-Match`` → 304 before any query runs or any page is built) and
``Cache-Control: public, max-age=0, must-revalidate``.

The validator names what an anonymous answer is made of, and nothing else:

- the **public version** of the current snapshot (server/protocol/snapshot.py,
  ``public_version``: the snapshot whose public graphs the current one's equal — what
  /healthz shows the public). A write that touches only restricted graphs keeps it, so the
  ETag of every anonymous answer stays the same: nobody learns that such a write happened,
  nor whether the store holds restricted material at all;
- the deployment: the package version, its code and templates (names, sizes, times) and the
  settings that are not secrets;
- the request: its full URL (path, query text and every parameter) and the negotiated
  variant (the media type answered).

Never for a request that carries ``Authorization`` (its answer is ``private, no-store``:
server/web/security.py), nor for POST, nor without an on-disk store (a remote engine or an
in-memory store has no snapshot to name its state).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import fields
from pathlib import Path

from flask import Response, current_app, request

from justicegraph.server.protocol.machinery import endpoint

CACHE_CONTROL = "public, max-age=0, must-revalidate"
_DEPLOYMENT = "justicegraph.caching.deployment"


def etag(variant: str) -> str | None:
    """The strong ETag of this request's answer in ``variant`` (a media type), or None when
    the answer is not for shared caches (a token, a POST, no snapshot)."""
    return etag_of(request.environ, variant, endpoint().snapshots, current_app)


def etag_of(environ: dict, variant: str, snapshots, app) -> str | None:
    """``etag`` from the WSGI environ (the app's fast lane has no request context)."""
    if environ["REQUEST_METHOD"] not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in environ:
        return None
    if snapshots is None:
        return None
    # The request's URL as it came (scheme, host, script root, path, query string: what
    # ``request.url`` is made of, without re-quoting it on every request).
    url = "\0".join((environ["wsgi.url_scheme"], environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""),
                     environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")))
    text = "\0".join((_deployment(app), snapshots.public_version(), variant, url))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def not_modified(tag: str | None, vary: str = "Accept") -> Response | None:
    """A 304 when the client's ``If-None-Match`` holds ``tag`` (weak comparison, as RFC 9110
    §13.1.2 asks for GET), else None: then answer and ``mark`` the response."""
    if tag is None or "HTTP_IF_NONE_MATCH" not in request.environ or not request.if_none_match.contains_weak(tag):
        return None
    response = Response(status=304)
    mark(response, tag, vary)
    return response


def mark(response: Response, tag: str | None, vary: str = "Accept") -> Response:
    """Give an anonymous 200 (or 304) its validator and cache policy. A 200 of the routes
    that call this already varies by ``vary``; a 304 is given it here."""
    if tag is not None and response.status_code in (200, 304):
        response.headers["ETag"] = f'"{tag}"'
        response.headers["Cache-Control"] = CACHE_CONTROL
        if response.status_code == 304:
            response.vary.add(vary)
    return response


def _deployment(app) -> str:
    """What else an answer depends on, worked out once per app: the code, its templates,
    the settings (secrets left out — they are never part of an anonymous answer)."""
    found = app.extensions.get(_DEPLOYMENT)
    if found is None:
        import justicegraph

        settings = app.config["JUSTICEGRAPH"]
        digest = hashlib.sha256(justicegraph.__version__.encode())
        for f in fields(settings):
            if not f.metadata.get("secret"):
                digest.update(f"{f.name}={getattr(settings, f.name)!r}\0".encode())
        # the server's package (server/) and the core's (justicegraph/): one folder when installed
        roots = {Path(__file__).resolve().parent.parent, Path(justicegraph.__file__).resolve().parent}
        for root in sorted(roots):
            for folder, _, names in sorted(os.walk(root)):
                for name in sorted(names):
                    if name.endswith((".py", ".html", ".css", ".js", ".rq", ".ttl")):
                        st = os.stat(os.path.join(folder, name))
                        digest.update(f"{folder}/{name}:{st.st_size}:{st.st_mtime_ns}\0".encode())
        found = app.extensions[_DEPLOYMENT] = digest.hexdigest()
    return found
