"""Field checks: required fields, types (ids, EDTF times, integers, booleans, locators,
controlled values), the rules between fields, and duplicate ids within a batch. Typed values
go to ``record.values``; every problem becomes a RecordError and all of them are collected."""

from __future__ import annotations

import re
from functools import cache

from rdflib.namespace import SKOS

from justicegraph import edtf
from justicegraph.loaders.errors import RecordError
from justicegraph.loaders.kinds import ID_PATTERN, KINDS, STATEMENT_FIELDS, STATEMENT_REQUIRED, Field
from justicegraph.loaders.readers import Record
from justicegraph.loaders.speech import DURATION_MESSAGE, check_duration, check_modes, is_duration
from justicegraph.resources import vocabulary_graph

_ID = re.compile(ID_PATTERN)
_LOCATOR = re.compile(r"^¶([1-9][0-9]*)(?:[–-]([1-9][0-9]*))?$")
_INT = re.compile(r"^[0-9]+$")
# Integers are counts and ages as a source states them: more than 15 digits is no count anyone
# states (nor exact in JSON), and an age past 150 years is no age (issue #17: absurd values).
_INT_DIGITS = 15
_INT_MAX = {"age": 150}
_LANG = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$")
_URL = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


@cache
def notations(scheme: str) -> dict[str, str]:
    """notation → concept IRI for one SKOS scheme of the vocabulary."""
    graph = vocabulary_graph()
    scheme_iri = f"https://w3id.org/justicegraph/vocab/{scheme}"
    out = {}
    for concept in graph.subjects(SKOS.inScheme, None):
        if any(str(s) == scheme_iri for s in graph.objects(concept, SKOS.inScheme)):
            for n in graph.objects(concept, SKOS.notation):
                out[str(n)] = str(concept)
    return out


def check_records(records: list[Record], errors: list[RecordError]) -> None:
    """Type every field of every record; add default ids; find duplicate ids."""
    for record in records:
        _check_record(record, errors)
    check_modes(records, errors)
    seen: dict[str, Record] = {}
    for record in records:
        rid = record.values.get("id")
        if rid is None:
            continue
        first = seen.setdefault(rid, record)
        if first is not record:
            hint = " (give one of them an explicit id)" if "id" not in record.fields else ""
            errors.append(record.error("id", "unique-id", f"duplicate id {rid!r}, also used at {first.where()}{hint}"))


def _check_record(record: Record, errors: list[RecordError]) -> None:
    spec = KINDS[record.kind]
    fields, values = record.fields, record.values
    if not spec.keys() >= fields.keys():
        for name in fields:
            if name not in spec:
                errors.append(record.error(name, "unknown-field", f"unknown field for {record.kind} (fields: {', '.join(spec)})"))
    ok = True
    for name, field in spec.items():
        raw = fields.get(name)
        if raw is None or raw == []:
            if (field.required and name not in record.refused
                    and not (name == "id" and record.kind in ("participations", "positions"))):
                errors.append(record.error(name, "required", "required field is missing"))
                ok = False
            continue
        if field.type == "text" and raw.__class__ is str and not field.multi:
            values[name] = raw  # the common case, without the general path's calls
            continue
        value = _typed(record, name, field, raw, errors)
        if value is None:
            ok = False
        else:
            values[name] = value
    ok = ok and not record.refused  # a value the reader refused is reported already: no rules between fields
    if ok and record.kind == "statements":
        _check_statement(record, errors)
    if ok and record.kind == "relations" and values["person"] == values["other"]:
        errors.append(record.error("other", "relation", "a person is not their own relative"))
    if ok and record.kind in ("participations", "positions", "relations") and "id" not in values:
        values["id"] = default_id(record)
    values.setdefault("access", "public")


def _typed(record: Record, name: str, field: Field, raw, errors: list[RecordError]):
    if field.multi:
        items = raw if isinstance(raw, list) else [v.strip() for v in raw.split("|") if v.strip()]
        values = [_one(record, name, field, v, errors) for v in items]
        return None if any(v is None for v in values) else values
    if isinstance(raw, list):
        errors.append(record.error(name, "single-value", "takes one value, not a list"))
        return None
    return _one(record, name, field, raw, errors)


def _one(record: Record, name: str, field: Field, raw: str, errors: list[RecordError]):
    def fail(rule: str, message: str):
        errors.append(record.error(name, rule, message))
        return None

    kind = field.type
    if kind in ("id", "ref"):
        if not _ID.match(raw):
            return fail("id-pattern", f"{raw!r} is not an id (lower-case letters, digits and hyphens, at most 128)")
        return raw
    if kind == "text":
        return raw
    if kind == "edtf":
        try:
            return raw, edtf.parse(raw)
        except edtf.EDTFError as exc:
            return fail(exc.rule, str(exc))
    if kind == "bool":
        if raw.lower() not in ("true", "false"):
            return fail("boolean", f"{raw!r} is not true or false")
        return raw.lower() == "true"
    if kind == "int":
        if not _INT.match(raw):
            return fail("integer", f"{raw!r} is not an integer (digits only)")
        if len(raw) > _INT_DIGITS:
            return fail("integer-range", f"{raw[:12]}… ({len(raw):,} digits) is too large: at most {_INT_DIGITS} digits")
        value = int(raw)
        if value > _INT_MAX.get(name, value):
            return fail("integer-range", f"{value} is too large for {name} (at most {_INT_MAX[name]})")
        return value
    if kind == "duration":
        return raw if is_duration(raw) else fail("duration", f"{raw!r} {DURATION_MESSAGE}")
    if kind == "locator":
        match = _LOCATOR.match(raw)
        if not match:
            return fail("locator", f"{raw!r} is not a locator like '¶12' or '¶12–14'")
        if match.group(2) and int(match.group(2)) < int(match.group(1)):
            return fail("locator", f"{raw!r} ends before it starts")
        return raw.replace("-", "–")
    if kind == "lang":
        return raw if _LANG.match(raw) else fail("language", f"{raw!r} is not a BCP 47 language tag such as 'en'")
    if kind == "url":
        return raw if _URL.match(raw) else fail("url", f"{raw!r} is not an http(s) URL")
    if kind == "enum":
        if raw not in field.choices:
            return fail("choice", f"{raw!r} is not one of {', '.join(field.choices)}")
        return raw
    if kind == "concept":
        known = notations(field.choices)
        if raw not in known:
            return fail("vocabulary", f"unknown {field.choices.replace('-', ' ')} {raw!r} "
                                      f"(see the {field.choices} scheme in ontology/vocabulary.ttl)")
        return known[raw]
    raise AssertionError(kind)


def _check_statement(record: Record, errors: list[RecordError]) -> None:
    kind = record.values["kind"]
    for name, kinds in STATEMENT_FIELDS.items():
        if name in record.values and kind not in kinds:
            errors.append(record.error(name, "statement-kind", f"applies only to statements of kind {', '.join(kinds)}"))
    for name in STATEMENT_REQUIRED.get(kind, ()):
        if name not in record.values:
            errors.append(record.error(name, "required", f"required for a statement of kind {kind}"))
    if kind == "claimed-count":
        low, high = record.values.get("minimum"), record.values.get("maximum")
        if low is None and high is None:
            errors.append(record.error("minimum", "required", "a claimed count needs a minimum or a maximum"))
        elif low is not None and high is not None and low > high:
            errors.append(record.error("maximum", "count-order", f"maximum {high} is below minimum {low}"))
    if kind == "claimed-duration":
        check_duration(record, errors)


def default_id(record: Record) -> str:
    v = record.values
    if record.kind == "participations":
        role = v["role"].rsplit("/", 1)[-1]
        return f"{v['event']}--{v['agent']}--{role}"
    if record.kind == "relations":
        return f"{v['person']}--{v['relation']}--{v['other']}"
    middle = v.get("organization") or slug(v["title"])
    time = slug(v["time"][0]) if "time" in v else ""
    return "--".join(p for p in (v["person"], middle, time) if p)


def slug(text: str) -> str:
    return _SLUG_JUNK.sub("-", text.lower()).strip("-")
