"""The record kinds of docs/records.md: their fields, which are required, and their types."""

from __future__ import annotations

from dataclasses import dataclass

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,127}$"
ACCESS = ("public", "restricted")
ORGANIZATION_KINDS = ("court", "government", "international", "ngo", "political", "commission", "collective")
PLACE_KINDS = ("prison", "settlement", "country", "place")
RELATIONS = ("sibling", "parent", "child", "spouse", "relative", "nationality")
STATEMENT_KINDS = ("characterisation", "claimed-count", "claimed-duration", "call-to-action", "accusation",
                   "observation", "claim")
POSITION_ROLES = ("office-holder", "member", "supporter")


@dataclass(frozen=True)
class Field:
    """``type``: id, ref, text, edtf, bool, int, duration, locator, lang, url, enum, concept.
    ``choices``: allowed values (enum) or the SKOS scheme (concept)."""

    type: str
    required: bool = False
    multi: bool = False
    choices: tuple[str, ...] | str | None = None


def _f(type_: str, required: bool = False, multi: bool = False, choices=None) -> Field:
    return Field(type_, required, multi, choices)


_COMMON = {"description": _f("text"), "locator": _f("locator"), "access": _f("enum", choices=ACCESS)}
# Every asserted record says who asserts it, where, and how (mode: quotation, paraphrase,
# caption, derived; a source's own records default to caption).
_ASSERTED = {"according_to": _f("ref", True), "locator": _f("locator", True), "mode": _f("concept", choices="mode"),
             "access": _f("enum", choices=ACCESS)}

KINDS: dict[str, dict[str, Field]] = {
    "sources": {
        "id": _f("id", True), "title": _f("text", True), "publisher": _f("text"), "date": _f("edtf"),
        "url": _f("url"), "language": _f("lang"), "description": _f("text"), "access": _f("enum", choices=ACCESS),
    },
    "testimonies": {
        "id": _f("id", True), "source": _f("ref", True), "speaker": _f("ref", True),
        "locator": _f("locator", True), "title": _f("text"), "access": _f("enum", choices=ACCESS),
    },
    "people": {
        "id": _f("id", True), "label": _f("text", True), "alt_labels": _f("text", multi=True),
        "label_fa": _f("text"), "nationality": _f("ref"), "unnamed": _f("bool"), **_COMMON,
    },
    "organizations": {
        "id": _f("id", True), "label": _f("text", True), "alt_labels": _f("text", multi=True),
        "kind": _f("enum", True, choices=ORGANIZATION_KINDS), "part_of": _f("ref"), "based_in": _f("ref"), **_COMMON,
    },
    "places": {
        "id": _f("id", True), "label": _f("text", True), "alt_labels": _f("text", multi=True),
        "kind": _f("enum", True, choices=PLACE_KINDS), "located_in": _f("ref"), **_COMMON,
    },
    "documents": {
        "id": _f("id", True), "label": _f("text", True), "alt_labels": _f("text", multi=True),
        "kind": _f("concept", True, choices="document-type"), **_COMMON,
    },
    "events": {
        "id": _f("id", True), "label": _f("text", True), "type": _f("concept", True, choices="event-type"),
        **_ASSERTED, "time": _f("edtf"), "time_derived": _f("bool"), "time_note": _f("text"),
        "place": _f("ref"), "from_place": _f("ref"), "part_of": _f("ref"), "document": _f("ref", multi=True),
        "description": _f("text"),
    },
    "participations": {
        "id": _f("id"), "event": _f("ref", True), "agent": _f("ref", True),
        "role": _f("concept", True, choices="role"), **_ASSERTED, "age": _f("int"),
    },
    "positions": {
        "id": _f("id"), "person": _f("ref", True), "title": _f("text", True), "organization": _f("ref"),
        "role": _f("enum", choices=POSITION_ROLES), "time": _f("edtf"), **_ASSERTED,
    },
    "relations": {
        "id": _f("id"), "person": _f("ref", True), "relation": _f("enum", True, choices=RELATIONS),
        "other": _f("ref", True), **_ASSERTED,
    },
    "statements": {
        "id": _f("id", True), "kind": _f("enum", True, choices=STATEMENT_KINDS), **_ASSERTED,
        "summary": _f("text", True), "about": _f("ref", multi=True),
        "characterisation": _f("concept", choices="characterisation"),
        "minimum": _f("int"), "maximum": _f("int"), "count_of": _f("text"), "unit": _f("concept", choices="unit"),
        "minimum_duration": _f("duration"), "maximum_duration": _f("duration"), "duration_of": _f("ref", multi=True),
        "since": _f("ref"), "wording": _f("text"),
        "addressees": _f("ref", multi=True), "action": _f("text"), "accused": _f("ref", multi=True),
        "derived_from": _f("ref", multi=True),
    },
}

# Fields of statements that belong to one statement kind only, and the kinds' required fields.
STATEMENT_FIELDS = {
    "characterisation": ("characterisation",),
    "minimum": ("claimed-count",), "maximum": ("claimed-count",),
    "count_of": ("claimed-count",), "unit": ("claimed-count",), "wording": ("claimed-count", "claimed-duration"),
    "minimum_duration": ("claimed-duration",), "maximum_duration": ("claimed-duration",),
    "duration_of": ("claimed-duration",), "since": ("claimed-duration",),
    "addressees": ("call-to-action",), "action": ("call-to-action",),
    "accused": ("accusation",),
}
STATEMENT_REQUIRED = {
    "characterisation": ("characterisation",),
    "call-to-action": ("addressees", "action"),
    "accusation": ("accused",),
}

# In the nested form (JSON/YAML), which kinds a record may hold, and what they inherit.
NESTED = {
    "sources": ("testimonies", "events", "participations", "positions", "relations", "statements"),
    "testimonies": ("events", "participations", "positions", "relations", "statements"),
    "events": ("participations",),
}

# Kinds whose records say who asserts them (they go to a testimony or source graph).
ASSERTED_KINDS = ("events", "participations", "positions", "relations", "statements")
