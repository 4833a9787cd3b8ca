"""Saved queries: ``queries/*.rq`` files with a YAML header of ``#+ `` comment lines.

The format is described in queries/README.md. A parameter ``p`` binds the variable ``?p`` as
a typed RDF term through pyoxigraph's ``substitutions`` — never spliced into the query text.
pyoxigraph 0.5 substitutes only variables that a SELECT projects, so a SELECT must project
its parameters (``SELECT ?person ?prison …`` or ``SELECT *``); that is checked when the file
is read, by preparing the query once against an empty store.

The command line, the HTTP API and the tests all run saved queries through this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import yaml

from justicegraph.access import dataset as access_dataset
from justicegraph.namespaces import Minter
from justicegraph.sparqltext import variables

NAME = re.compile(r"^[a-z0-9-]+$")
RECORD_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")
TYPES = ("entity", "iri", "string", "integer", "decimal", "date", "boolean")
HEADER_KEYS = {"title", "description", "params", "tags"}
PARAM_KEYS = {"type", "default", "description", "enum"}
XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class SavedQueryError(ValueError):
    """A saved-query file is malformed; the message names the file."""


class ParamError(ValueError):
    """A parameter value is missing, unknown or not of its type; the message names it."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None = None
    description: str = ""
    enum: tuple[str, ...] | None = None

    @property
    def required(self) -> bool:
        return self.default is None

    def term(self, value: str, minter: Minter) -> ox.NamedNode | ox.Literal:
        """The RDF term for a value given as text; ParamError if it is not of the type."""
        value = str(value).strip()
        if self.enum is not None and value not in self.enum:
            raise ParamError(f"parameter {self.name!r}: {value!r} is not one of {', '.join(self.enum)}")
        try:
            return _CONVERT[self.type](value, minter)
        except (ValueError, TypeError) as exc:
            raise ParamError(f"parameter {self.name!r}: {value!r} is not a valid {self.type} ({exc})") from None


def _entity(value: str, minter: Minter) -> ox.NamedNode:
    if RECORD_ID.match(value):
        return ox.NamedNode(minter.entity(value))
    if value.startswith(("http://", "https://")):
        return ox.NamedNode(value)
    raise ValueError("expected a record id such as 'hamid-noury' or a full IRI")


def _iri(value: str, _minter: Minter) -> ox.NamedNode:
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value):
        raise ValueError("expected an absolute IRI")
    return ox.NamedNode(value)


def _typed(pattern: re.Pattern, datatype: str, what: str):
    def convert(value: str, _minter: Minter) -> ox.Literal:
        if not pattern.match(value):
            raise ValueError(f"expected {what}")
        if datatype == "date":
            date.fromisoformat(value)
        return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))
    return convert


def _boolean(value: str, _minter: Minter) -> ox.Literal:
    if value.lower() not in ("true", "false"):
        raise ValueError("expected true or false")
    return ox.Literal(value.lower(), datatype=ox.NamedNode(XSD + "boolean"))


_CONVERT = {
    "entity": _entity,
    "iri": _iri,
    "string": lambda value, _m: ox.Literal(value),
    "integer": _typed(_INTEGER, "integer", "digits"),
    "decimal": _typed(_DECIMAL, "decimal", "a decimal number"),
    "date": _typed(_DATE, "date", "a date YYYY-MM-DD"),
    "boolean": _boolean,
}


@dataclass(frozen=True)
class SavedQuery:
    name: str
    title: str
    description: str
    params: dict[str, Param]
    tags: tuple[str, ...]
    text: str
    path: Path | None = field(default=None, compare=False)

    def bind(self, values: Mapping[str, str], minter: Minter) -> dict[ox.Variable, ox.NamedNode | ox.Literal]:
        """Typed terms for the parameters: given values, else defaults; unknown names and
        missing required values are ParamErrors."""
        unknown = sorted(set(values) - set(self.params))
        if unknown:
            known = ", ".join(self.params) or "none"
            raise ParamError(f"query {self.name!r} has no parameter {unknown[0]!r} (parameters: {known})")
        bound = {}
        for name, param in self.params.items():
            value = values.get(name)
            if value is None or value == "":
                if param.required:
                    raise ParamError(f"parameter {name!r} of query {self.name!r} is required")
                value = param.default
            bound[ox.Variable(name)] = param.term(value, minter)
        return bound

    def run(self, store, values: Mapping[str, str], minter: Minter, **dataset_kwargs):
        """Run against ``store`` with the parameters bound. Without dataset arguments the
        query sees the public graphs (union default graph plus each as a named graph)."""
        substitutions = self.bind(values, minter)
        if not dataset_kwargs:
            dataset_kwargs = access_dataset(store.graphs(), restricted_ok=False,
                                            stable=bool(getattr(store, "read_only", False)))
        return store.query(self.text, substitutions=substitutions, **dataset_kwargs)


def default_folder() -> Path:
    from justicegraph.resources import package_dir

    return package_dir("queries")


def load_saved_queries(folder: str | Path | None = None) -> dict[str, SavedQuery]:
    """Every ``*.rq`` of ``folder`` (default: the packaged queries) by name; cached per folder."""
    return dict(_load(str(Path(folder).resolve() if folder is not None else default_folder())))


@cache
def _load(folder: str) -> tuple[tuple[str, SavedQuery], ...]:
    queries = [parse_saved_query(path) for path in sorted(Path(folder).glob("*.rq"))]
    return tuple((q.name, q) for q in queries)


def parse_saved_query(path: str | Path) -> SavedQuery:
    """Read one ``.rq`` file; SavedQueryError (naming the file) if anything is wrong."""
    path = Path(path)
    name = path.stem
    where = str(path)
    if not NAME.match(name):
        raise SavedQueryError(f"{where}: the name {name!r} must be lower-case letters, digits and hyphens")
    text = path.read_text(encoding="utf-8")
    header = _header(text)
    try:
        meta = yaml.safe_load(header) if header.strip() else None
    except yaml.YAMLError as exc:
        raise SavedQueryError(f"{where}: the '#+ ' header is not valid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(meta, dict):
        raise SavedQueryError(f"{where}: no '#+ ' header with a title and a description")
    unknown = sorted(set(map(str, meta)) - HEADER_KEYS)
    if unknown:
        raise SavedQueryError(f"{where}: unknown header key {unknown[0]!r} (allowed: {', '.join(sorted(HEADER_KEYS))})")
    for key in ("title", "description"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise SavedQueryError(f"{where}: the header needs a {key}")
    tags = meta.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str | int) for t in tags):
        raise SavedQueryError(f"{where}: tags must be a list of words")
    params = _params(meta.get("params") or {}, text, where)
    query = SavedQuery(name, meta["title"].strip(), meta["description"].strip(), params,
                       tuple(str(t) for t in tags), text, path)
    _check_prepares(query, where)
    return query


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if line.startswith("#+ ") or line.rstrip() == "#+":
            lines.append(line[3:])
        elif line.strip() == "" and not lines:
            continue
        else:
            break
    return "\n".join(lines)


def _params(raw, text: str, where: str) -> dict[str, Param]:
    if not isinstance(raw, dict):
        raise SavedQueryError(f"{where}: params must be a mapping of name to spec")
    named = variables(text)  # (the '#+ ' header is a comment: not read)
    params = {}
    for name, spec in raw.items():
        name = str(name)
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise SavedQueryError(f"{where}: parameter name {name!r} is not a SPARQL variable name")
        if not isinstance(spec, dict):
            raise SavedQueryError(f"{where}: parameter {name!r} needs a spec mapping with a type")
        unknown = sorted(set(map(str, spec)) - PARAM_KEYS)
        if unknown:
            raise SavedQueryError(f"{where}: parameter {name!r} has unknown key {unknown[0]!r}")
        kind = spec.get("type")
        if kind not in TYPES:
            raise SavedQueryError(f"{where}: parameter {name!r} has unknown type {kind!r} (types: {', '.join(TYPES)})")
        if name not in named:
            raise SavedQueryError(f"{where}: parameter {name!r} has no variable ?{name} in the query")
        enum = spec.get("enum")
        if enum is not None and (not isinstance(enum, list) or not enum):
            raise SavedQueryError(f"{where}: enum of parameter {name!r} must be a non-empty list")
        default = spec.get("default")
        param = Param(name, kind, None if default is None else _text(default), str(spec.get("description") or ""),
                      None if enum is None else tuple(_text(v) for v in enum))
        if param.default is not None:
            try:
                param.term(param.default, Minter())
            except ParamError as exc:
                raise SavedQueryError(f"{where}: default of {exc}") from None
        params[name] = param
    return params


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_prepares(query: SavedQuery, where: str) -> None:
    """Prepare the query once on an empty store, with a dummy value of each parameter's
    type: catches syntax errors and parameters a SELECT does not project."""
    dummy = {"entity": "x", "iri": "urn:x", "string": "x", "integer": "0", "decimal": "0",
             "date": "2000-01-01", "boolean": "true"}
    substitutions = {
        ox.Variable(p.name): p.term(p.default if p.default is not None else (p.enum[0] if p.enum else dummy[p.type]), Minter())
        for p in query.params.values()
    }
    try:
        ox.Store().query(query.text, substitutions=substitutions)
    except (SyntaxError, ValueError, RuntimeError, OSError) as exc:
        message = str(exc).replace("\n", " ")
        if "projection" in message:
            message += " (a SELECT must project its parameters, e.g. SELECT ?param …)"
        raise SavedQueryError(f"{where}: {message}") from None
