"""Request plumbing shared by every blueprint: ``context`` (the settings, the store and the
caller's rights for this request), ``conneg`` (the Accept header and formats), ``errors`` (the
one JSON error shape and its handlers), ``security`` (headers, rate limits, size caps, log
redaction on every response), ``cors`` (CORS on every read route) and ``accesslog`` (gunicorn's
access log line).

May import: the core of ``justicegraph``, the store's interface and Flask; never
``server.protocol``, ``server.content`` or a blueprint.
"""
