"""Reading records: CSV (one file per kind), JSON and YAML (nested), into flat ``Record``s.

Values stay text here (lists for multi-valued fields); checks.py types them. Each record
remembers where it came from (file and line, or record path) so that every error can say so.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from justicegraph.loaders.errors import RecordError
from justicegraph.loaders.kinds import KINDS, NESTED

Value = str | list[str]


@dataclass
class Record:
    kind: str
    fields: dict[str, Value]
    file: str
    line: int | None = None
    path: str | None = None
    values: dict = field(default_factory=dict)  # typed values, filled by the checks

    def error(self, field_name: str | None, rule: str, message: str) -> RecordError:
        return RecordError(self.file, self.line, self.path, field_name, rule, message)

    @property
    def id(self) -> str | None:
        return self.values.get("id")

    def where(self) -> str:
        return self.file + (f":{self.line}" if self.line else "") + (f" {self.path}" if self.path else "")


# ---------------------------------------------------------------- CSV

def read_csv(path: Path, display: str, kind: str, errors: list[RecordError]) -> list[Record]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")  # a BOM is accepted
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        errors.append(RecordError(display, line, None, None, "encoding",
                                  f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"))
        return []
    if "\x00" in text:  # a NUL is never text: a binary or UTF-16 file, or a corrupted one
        line = text[: text.index("\x00")].count("\n") + 1
        errors.append(RecordError(display, line, None, None, "encoding", "NUL character: not a text file"))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        errors.append(RecordError(display, 1, None, None, "csv", f"unreadable CSV: {exc}"))
        return []
    if not header or not any(h.strip() for h in header):
        errors.append(RecordError(display, 1, None, None, "header", "no header row: the first line must name the columns"))
        return []
    header = [h.strip() for h in header]
    if not _header_ok(header, kind, display, errors):
        return []
    records = []
    width = len(header)
    last_line = reader.line_num
    try:
        for row in reader:
            line, last_line = last_line + 1, reader.line_num
            if len(row) == width:
                values = {h: cell for h, cell in zip(header, map(str.strip, row), strict=True) if cell}
                if values:
                    records.append(Record(kind, values, display, line))
                continue
            if not any(cell.strip() for cell in row):
                continue
            errors.append(RecordError(display, line, None, None, "csv-shape",
                                      f"{len(row)} cells, but the header has {len(header)} columns"))
    except csv.Error as exc:
        errors.append(RecordError(display, reader.line_num, None, None, "csv", f"unreadable CSV: {exc}"))
    return records


def _header_ok(header: list[str], kind: str, display: str, errors: list[RecordError]) -> bool:
    known = KINDS[kind]
    if len(header) == 1 and header[0] not in known:
        for sep in (";", "\t", "|"):
            if sep in header[0]:
                errors.append(RecordError(display, 1, None, None, "csv-delimiter",
                                          f"not comma-delimited: the header is one column split by {sep!r}"))
                return False
    if not any(h in known for h in header):
        errors.append(RecordError(display, 1, None, None, "header",
                                  f"no header row: the first line names none of the columns of {kind} "
                                  f"({', '.join(known)})"))
        return False
    ok = True
    seen = set()
    for h in header:
        if h not in known:
            errors.append(RecordError(display, 1, None, h, "unknown-column",
                                      f"unknown column for {kind} (columns: {', '.join(known)})"))
            ok = False
        elif h in seen:
            errors.append(RecordError(display, 1, None, h, "header", "column named twice"))
            ok = False
        seen.add(h)
    for name, spec in known.items():
        if spec.required and name not in header and not (kind == "participations" and name == "id"):
            errors.append(RecordError(display, 1, None, name, "required", "required column is missing"))
            ok = False
    return ok


# ---------------------------------------------------------------- JSON and YAML

class _LineDict(dict):
    line: int | None = None


class _LineLoader(getattr(yaml, "CBaseLoader", yaml.BaseLoader)):  # libyaml when available: ~10× faster
    """Every scalar stays text (no YAML 1.1 surprises such as 'no' → False or dates), and
    every mapping remembers its line."""

    def construct_mapping(self, node, deep=False):
        mapping = _LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        return mapping


def read_json(path: Path, display: str, errors: list[RecordError]) -> list[Record]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        errors.append(RecordError(display, None, None, None, "encoding", f"not UTF-8 text: {exc.reason}"))
        return []
    except json.JSONDecodeError as exc:
        errors.append(RecordError(display, exc.lineno, None, None, "json", f"not valid JSON: {exc.msg}"))
        return []
    except RecursionError:
        errors.append(RecordError(display, None, None, None, "json", "nested too deeply"))
        return []
    return walk(doc, display, errors)


def read_yaml(path: Path, display: str, errors: list[RecordError]) -> list[Record]:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_LineLoader)  # noqa: S506 - BaseLoader subclass
    except UnicodeDecodeError as exc:
        errors.append(RecordError(display, None, None, None, "encoding", f"not UTF-8 text: {exc.reason}"))
        return []
    except RecursionError:
        errors.append(RecordError(display, None, None, None, "yaml", "nested too deeply"))
        return []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(RecordError(display, mark.line + 1 if mark else None, None, None, "yaml", f"not valid YAML: {problem}"))
        return []
    return walk(doc, display, errors)


def walk(doc, display: str, errors: list[RecordError]) -> list[Record]:
    """Flatten a nested document (kinds → lists of records, records holding records)."""
    records: list[Record] = []
    if doc is None:
        return records
    if not isinstance(doc, dict):
        errors.append(RecordError(display, None, None, None, "structure",
                                  "the document must map kinds (sources, people, …) to lists of records"))
        return records
    seen: set[int] = set()  # YAML aliases repeat one object: a record may appear only once
    for kind, items in doc.items():
        _visit_list(str(kind), items, str(kind), {}, display, errors, records, getattr(doc, "line", None), seen)
    return records


def _visit_list(kind, items, path, inherited, display, errors, records, line, seen) -> None:
    if kind not in KINDS:
        errors.append(RecordError(display, line, path, None, "unknown-kind",
                                  f"unknown kind {kind!r} (kinds: {', '.join(KINDS)})"))
        return
    if not isinstance(items, list):
        errors.append(RecordError(display, line, path, None, "structure", f"{kind} must be a list of records"))
        return
    for i, item in enumerate(items):
        _visit(kind, item, f"{path}[{i}]", inherited, display, errors, records, line, seen)


def _visit(kind, item, path, inherited, display, errors, records, parent_line, seen) -> None:
    line = getattr(item, "line", None) if isinstance(item, dict) else parent_line
    if display.endswith(".json"):
        line = None  # JSON records are named by their path
    if not isinstance(item, dict):
        errors.append(RecordError(display, line, path, None, "structure", "a record must be a mapping of fields"))
        return
    if id(item) in seen:  # an alias: refusing it also stops "billion laughs" expansion
        errors.append(RecordError(display, line, path, None, "structure", "a record repeated through a YAML alias"))
        return
    seen.add(id(item))
    values: dict[str, Value] = {}
    children = []
    for key, value in item.items():
        key = str(key)
        if key in NESTED.get(kind, ()):
            children.append((key, value))
            continue
        normalised = _value(value)
        if normalised is _INVALID:
            errors.append(RecordError(display, line, path, key, "structure", "a field holds text, a number or a list"))
        elif _has_nul(normalised):  # a JSON \u0000 or YAML "\0" escape: never text
            errors.append(RecordError(display, line, path, key, "encoding", "NUL character in a text field"))
        elif normalised is not None:
            values[key] = normalised
    for key, value in inherited.items():
        if key in KINDS[kind]:
            values.setdefault(key, value)
    record = Record(kind, values, display, line, path)
    records.append(record)
    for child_kind, items in children:
        _visit_list(child_kind, items, f"{path}.{child_kind}", _defaults(kind, child_kind, values),
                    display, errors, records, line, seen)


def _defaults(kind: str, child_kind: str, values: dict[str, Value]) -> dict[str, Value]:
    own = values.get("id")
    if kind == "sources":
        defaults = {"source": own} if child_kind == "testimonies" else {"according_to": own}
    elif kind == "testimonies":
        defaults = {"according_to": own, "locator": values.get("locator")}
    else:  # events → participations
        defaults = {"event": own, "according_to": values.get("according_to"), "locator": values.get("locator")}
    return {k: v for k, v in defaults.items() if isinstance(v, str)}


_INVALID = object()


def _has_nul(value) -> bool:
    return "\x00" in value if isinstance(value, str) else isinstance(value, list) and any("\x00" in v for v in value)


def _value(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value).strip() or None
    if isinstance(value, list):
        if not all(v is None or isinstance(v, bool | int | float | str) for v in value):
            return _INVALID  # only flat lists of values (never recurse: aliases can nest deeply)
        return [v for v in map(_value, value) if v is not None]
    return _INVALID
