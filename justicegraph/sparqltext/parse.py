"""pyoxigraph's syntax error for a text — parse only, nothing evaluated, nothing fetched.

pyoxigraph has no parse-only call, so: a SELECT, CONSTRUCT or DESCRIBE is prepared on an
empty store and never iterated (evaluation is lazy); an ASK, which pyoxigraph evaluates at
once, is first read as a SELECT of a constant (the same grammar after the keyword), and
only when that fails is the ASK itself read, for the caller's own columns; an update is
given to an empty store opened read-only, which parses the whole text and then refuses the
transaction before running any of it. A text that names SERVICE or LOAD (as the scan finds
them: sparqltext/scan.py) is never given to pyoxigraph at all — it would call the endpoint
as it reads the query — and has no syntax error reported here.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pyoxigraph as ox

from justicegraph.sparqltext.lexer import Names, tokenize
from justicegraph.sparqltext.scan import scan_query, scan_update

_PARSE_ONLY_SELECT = "SELECT (1 AS ?justicegraph_parse_only)"


def syntax_error(text: str, base: str | None = None, *, update: bool = False) -> SyntaxError | None:
    """pyoxigraph's syntax error for the query (or, with ``update``, the update) ``text`` —
    "error at LINE:COLUMN: …", as the embedded store reports it — or None when pyoxigraph
    reads it, or when the text names SERVICE or LOAD (never read here)."""
    scan = scan_update(text, base) if update else scan_query(text, base)
    if scan.services or scan.loads:
        return None  # pyoxigraph calls a SERVICE (runs a LOAD) as soon as it reads the text
    if update:
        return _update_error(text, base)
    texts = [text]
    tokens = tokenize(text)
    i = Names(base).prologue(tokens, 0)
    if i < len(tokens) and tokens[i].keyword == "ASK":
        at = tokens[i].start
        texts = [text[:at] + _PARSE_ONLY_SELECT + text[tokens[i].end:], text]
    error = None
    for candidate in texts:
        try:
            ox.Store().query(candidate, base_iri=base)
        except SyntaxError as exc:
            error = exc
            continue
        except (OSError, ValueError, RuntimeError):  # read, then failed running: not a syntax error
            pass
        return error
    return error


def _update_error(text: str, base: str | None) -> SyntaxError | None:
    try:
        _read_only_store().update(text, base_iri=base)
    except SyntaxError as exc:
        return exc
    except (OSError, ValueError, RuntimeError):  # parsed; the read-only store refused to run it
        return None
    return None  # (an empty update needs no transaction)


_STORES: dict[int, ox.Store] = {}


def _read_only_store() -> ox.Store:
    """An empty store opened read-only, one per process (a forked executor opens its own)."""
    pid = os.getpid()
    store = _STORES.get(pid)
    if store is None:
        folder = tempfile.mkdtemp(prefix="justicegraph-parse-")
        writable = ox.Store(folder)
        writable.flush()
        del writable
        store = _STORES[pid] = ox.Store.read_only(folder)
        atexit.register(shutil.rmtree, folder, True)
    return store
