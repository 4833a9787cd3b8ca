"""Reading records: CSV (one file per kind), JSON and YAML (nested), into flat ``Record``s.

Values stay text here (lists for multi-valued fields); checks.py types them. Each record
remembers where it came from (file and line, or record path) so that every error can say so.

Reading is strict (docs/records.md, "Strict reading"): nothing is guessed or silently
dropped. A file is read only when it is a regular file no larger than the cap (a device, a
FIFO or a socket is never opened for reading); its nesting and, in YAML, what its aliases
expand to are measured before it is built; a key given twice, a CSV quote left open, a JSON
NaN or a lone surrogate are errors, never a record quietly changed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from justicegraph.loaders.errors import RecordError
from justicegraph.loaders.kinds import KINDS, NESTED
from justicegraph.loaders.rdfimport import json_depth

Value = str | list[str]

# Largest input file read (load(max_file_bytes=…), `justicegraph load --max-file-mb`): checked
# on the file's size before it is read, and on what is read.
MAX_FILE_BYTES = 1024 * 1024 * 1024
# Deepest nesting of a JSON or YAML record document (a source holding testimonies holding
# events holding participations, each a list of mappings, is 9 levels).
MAX_DEPTH = 32
# How far YAML aliases may expand a document: each alias counts the whole node it repeats.
# Past 10x the file (plus 1 MB), a document is refused before it is built ("billion laughs").
ALIAS_EXPANSION_FACTOR, ALIAS_EXPANSION_SLACK = 10, 1_000_000


@dataclass
class Record:
    kind: str
    fields: dict[str, Value]
    file: str
    line: int | None = None
    path: str | None = None
    values: dict = field(default_factory=dict)  # typed values, filled by the checks
    refused: frozenset = frozenset()  # fields whose value the reader refused (already an error)

    def error(self, field_name: str | None, rule: str, message: str) -> RecordError:
        return RecordError(self.file, self.line, self.path, field_name, rule, message)

    @property
    def id(self) -> str | None:
        return self.values.get("id")

    def where(self) -> str:
        return self.file + (f":{self.line}" if self.line else "") + (f" {self.path}" if self.path else "")


# ---------------------------------------------------------------- files

def read_input(path: Path, display: str, errors: list[RecordError], max_bytes: int = MAX_FILE_BYTES) -> bytes | None:
    """The bytes of one input file, or None with the reason in ``errors``: only a regular file
    is read (stat first; then opened non-blocking, so a FIFO swapped in meanwhile cannot hang
    the load), and never more than ``max_bytes``."""
    def refuse(rule: str, message: str) -> None:
        errors.append(RecordError(display, None, None, None, rule, message))

    try:
        info = os.stat(path)
    except OSError as exc:
        return refuse("file", f"cannot be read: {exc.strerror or exc}")
    if stat.S_ISDIR(info.st_mode):
        return refuse("file", "a folder inside a dataset folder is not read (move its files up, or load it by itself)")
    if not stat.S_ISREG(info.st_mode):
        return refuse("file", "not a regular file (a device, FIFO or socket is never read)")
    if info.st_size > max_bytes:
        return refuse("file-size", f"{info.st_size:,} bytes: larger than the {max_bytes:,} bytes a load reads "
                                   "(raise it with --max-file-mb)")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return refuse("file", f"cannot be read: {exc.strerror or exc}")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return refuse("file", "not a regular file (a device, FIFO or socket is never read)")
        data = bytearray()
        while len(data) <= max_bytes:  # in chunks: no buffer of the cap's size up front
            chunk = os.read(fd, min(1 << 24, max_bytes + 1 - len(data)))
            if not chunk:
                break
            data += chunk
    except OSError as exc:
        return refuse("file", f"cannot be read: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew after the stat
        return refuse("file-size", f"larger than the {max_bytes:,} bytes a load reads (raise it with --max-file-mb)")
    return bytes(data)


def _text(data: bytes, display: str, errors: list[RecordError]) -> str | None:
    """UTF-8 text (a BOM is accepted); never a NUL, which no text holds."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        errors.append(RecordError(display, line, None, None, "encoding",
                                  f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"))
        return None
    if "\x00" in text:  # a NUL is never text: a binary or UTF-16 file, or a corrupted one
        line = text[: text.index("\x00")].count("\n") + 1
        errors.append(RecordError(display, line, None, None, "encoding", "NUL character: not a text file"))
        return None
    return text


def _empty(display: str, errors: list[RecordError], what: str = "records") -> list:
    errors.append(RecordError(display, None, None, None, "empty",
                              f"the file holds no {what} (it is empty or only comments): a file that says "
                              "nothing is refused rather than read as 'no records'"))
    return []


# ---------------------------------------------------------------- CSV

def read_csv(data: bytes, display: str, kind: str, errors: list[RecordError]) -> list[Record]:
    text = _text(data, display, errors)
    if text is None:
        return []
    # strict: a quote left open is an error at the end of the file, text after a closing
    # quote an error at once (not a cell quietly running on over the rows after it)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        errors.append(RecordError(display, 1, None, None, "csv", f"unreadable CSV: {_csv_problem(exc)}"))
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
            if last_line != line and _spans_lines(row, header, display, line, last_line, errors):
                continue
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
        # the row that failed starts on the line after the last one read
        errors.append(RecordError(display, last_line + 1, None, None, "csv", f"unreadable CSV: {_csv_problem(exc)}"))
    return records


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return "a quoted cell is never closed (a quote is missing or one too many)"
    if "expected after" in text:
        return f"text after the closing quote of a cell ({text}): a quote inside a cell is written twice (\"\")"
    return text


def _spans_lines(row, header, display, line, last_line, errors) -> bool:
    """A cell holding a line break is how an unbalanced quote swallows the rows after it into
    one value: cells hold one line, so the row is refused (True) and the reading goes on."""
    for i, cell in enumerate(row):
        if "\n" in cell or "\r" in cell:
            errors.append(RecordError(display, line, None, header[i] if i < len(header) else None, "csv-quote",
                                      f"the cell runs over lines {line}–{last_line}: a quote is not closed where "
                                      "it should be (a cell holds one line)"))
            return True
    return False


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
    # keys given more than once: (key, line of the repeat); the last value would silently win
    duplicates: tuple[tuple[str, int | None], ...] = ()


class _LineLoader(getattr(yaml, "CBaseLoader", yaml.BaseLoader)):  # libyaml when available: ~10× faster
    """Every scalar stays text (no YAML 1.1 surprises such as 'no' → False or dates), and
    every mapping remembers its line and any key given twice."""

    def construct_mapping(self, node, deep=False):
        mapping = _LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        if len(mapping) < len(node.value):
            seen, repeats = set(), []
            for key_node, _ in node.value:
                key = getattr(key_node, "value", None)
                if isinstance(key, str):
                    if key in seen:
                        repeats.append((key, key_node.start_mark.line + 1))
                    seen.add(key)
            mapping.duplicates = tuple(repeats)
        return mapping


class _NotANumber(str):
    """JSON's NaN, Infinity or -Infinity (Python's json accepts them; JSON does not)."""


def _json_object(pairs) -> _LineDict:
    mapping = _LineDict(pairs)
    if len(mapping) < len(pairs):
        seen, repeats = set(), []
        for key, _ in pairs:
            if key in seen:
                repeats.append((key, None))
            seen.add(key)
        mapping.duplicates = tuple(repeats)
    return mapping


def read_json(data: bytes, display: str, errors: list[RecordError]) -> list[Record]:
    text = _text(data, display, errors)
    if text is None:
        return []
    if not text.strip():
        return _empty(display, errors)
    if json_depth(data) > MAX_DEPTH:
        errors.append(RecordError(display, None, None, None, "json", f"nested deeper than {MAX_DEPTH} levels"))
        return []
    try:
        # numbers stay as written (checks.py types them): no float rounding, no huge-int
        # conversion; NaN and Infinity are kept apart to be refused with their field
        doc = json.loads(text, object_pairs_hook=_json_object, parse_int=str, parse_float=str,
                         parse_constant=_NotANumber)
    except json.JSONDecodeError as exc:
        errors.append(RecordError(display, exc.lineno, None, None, "json", f"not valid JSON: {exc.msg}"))
        return []
    except RecursionError:
        errors.append(RecordError(display, None, None, None, "json", "nested too deeply"))
        return []
    if doc is None or doc == {}:
        return _empty(display, errors)
    return walk(doc, display, errors)


def read_yaml(data: bytes, display: str, errors: list[RecordError]) -> list[Record]:
    text = _text(data, display, errors)
    if text is None:
        return []
    try:
        problem = _yaml_size_problem(text)
        if problem:
            errors.append(RecordError(display, problem[0], None, None, "yaml", problem[1]))
            return []
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - BaseLoader subclass
    except RecursionError:
        errors.append(RecordError(display, None, None, None, "yaml", "nested too deeply"))
        return []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(RecordError(display, mark.line + 1 if mark else None, None, None, "yaml", f"not valid YAML: {problem}"))
        return []
    if doc is None or doc == {}:
        return _empty(display, errors)
    return walk(doc, display, errors)


def _yaml_size_problem(text: str) -> tuple[int, str] | None:
    """(line, why) when the document nests deeper than MAX_DEPTH or its aliases expand it
    past the limit — found from the parser's events, before any object is built. Each
    node counts its scalars' length, and an alias the size of the node it repeats."""
    limit = ALIAS_EXPANSION_FACTOR * len(text) + ALIAS_EXPANSION_SLACK
    sizes: dict[str, int] = {}
    stack: list[list] = [[0, None]]  # [size so far, anchor] per open collection
    if "&" not in text and "*" not in text:
        limit = None  # no anchors, no aliases: only the depth is measured
    for event in yaml.parse(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader)):
        kind = type(event)
        if kind is yaml.ScalarEvent:
            size = len(event.value) + 1
            if event.anchor:
                sizes[event.anchor] = size
        elif kind is yaml.AliasEvent:
            size = sizes.get(event.anchor, 1)
        elif kind in (yaml.MappingStartEvent, yaml.SequenceStartEvent):
            stack.append([1, event.anchor])
            if len(stack) - 1 > MAX_DEPTH:
                return event.start_mark.line + 1, f"nested deeper than {MAX_DEPTH} levels"
            continue
        elif kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
            size, anchor = stack.pop()
            if anchor:
                sizes[anchor] = size
        else:
            continue
        stack[-1][0] += size
        if limit is not None and stack[-1][0] > limit:
            return (event.start_mark.line + 1,
                    f"its aliases expand it past {limit:,} characters ({ALIAS_EXPANSION_FACTOR}x the file): "
                    "refused before it is built")
    return None


def walk(doc, display: str, errors: list[RecordError]) -> list[Record]:
    """Flatten a nested document (kinds → lists of records, records holding records)."""
    records: list[Record] = []
    if doc is None:
        return records
    if not isinstance(doc, dict):
        errors.append(RecordError(display, None, None, None, "structure",
                                  "the document must map kinds (sources, people, …) to lists of records"))
        return records
    line = getattr(doc, "line", None)
    for key, repeat in getattr(doc, "duplicates", ()):
        errors.append(RecordError(display, repeat or line, _printable(key), None, "duplicate-key",
                                  f"{_printable(key)} is given twice in the document: write one list "
                                  "(the second would replace the first)"))
    seen: set[int] = set()  # YAML aliases repeat one object: a record may appear only once
    for kind, items in doc.items():
        kind = _printable(str(kind))
        _visit_list(kind, items, kind, {}, display, errors, records, line, seen)
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
    refused = set()
    children = []
    for key, repeat in item.duplicates if isinstance(item, _LineDict) else ():
        errors.append(RecordError(display, repeat or line, path, _printable(key), "duplicate-key",
                                  "the field is given twice in one record (the second would replace the first)"))
    for key, value in item.items():
        key = _printable(str(key))
        if key in NESTED.get(kind, ()):
            children.append((key, value))
            continue
        normalised = _value(value)
        if isinstance(normalised, _Bad):
            errors.append(RecordError(display, line, path, key, normalised.rule, normalised.message))
            refused.add(key)
        elif normalised is not None:
            values[key] = normalised
    for key, value in inherited.items():
        if key in KINDS[kind]:
            values.setdefault(key, value)
    record = Record(kind, values, display, line, path, refused=frozenset(refused))
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


@dataclass(frozen=True)
class _Bad:
    rule: str
    message: str


_STRUCTURE = _Bad("structure", "a field holds text, a number or a list")


def _printable(text: str) -> str:
    """A key as it can be shown: a lone surrogate (from a JSON escape) written as its escape."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _scalar(value):
    if isinstance(value, _NotANumber):
        return _Bad("number", f"{value} is not a number JSON allows (nor a value of any field)")
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.strip() if isinstance(value, str) else str(value).strip()
    if "\x00" in text:  # a JSON \u0000 or YAML "\0" escape: never text
        return _Bad("encoding", "NUL character in a text field")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a JSON "\ud800" escape: half of a character
        return _Bad("encoding", "not valid Unicode: a lone surrogate escape (such as \\ud800) is half a character")
    return text or None


def _value(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool | int | float | str):
        return _scalar(value)
    if isinstance(value, list):
        if not all(v is None or isinstance(v, bool | int | float | str) for v in value):
            return _STRUCTURE  # only flat lists of values (never recurse: aliases can nest deeply)
        items = [v for v in map(_value, value) if v is not None]
        return next((v for v in items if isinstance(v, _Bad)), items)
    return _STRUCTURE
