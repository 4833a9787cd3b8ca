"""The record rules of how a thing was said and how much (issue #16), used by checks.py:
the mode agrees with the voice that gives the record, a derived statement names what it was
worked out from, and durations are ISO 8601 lengths whose minimum is not above the maximum."""

from __future__ import annotations

import re
from decimal import Decimal

from justicegraph.loaders.errors import RecordError
from justicegraph.loaders.readers import Record

# An xsd:duration without a sign or fractions of a unit other than seconds: P7Y, P3Y6M, P18M,
# P20D, PT12H. A negative length means nothing here.
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
DURATION_MESSAGE = "is not a duration such as 'P7Y', 'P18M', 'P3Y6M' or 'P20D' (ISO 8601)"


def is_duration(raw: str) -> bool:
    match = _DURATION.match(raw)
    return bool(match) and not raw.endswith(("P", "T")) and any(match.groups())


def canonical_duration(text: str) -> str:
    """The XSD canonical form (months folded into years, seconds into days, hours and
    minutes: 'P18M' is 'P1Y6M', 'PT36H' is 'P1DT12H'), so that every store holds the same
    literal: Oxigraph canonicalises what it stores, other engines may not."""
    y, mo, w, d, h, mi, s = (Decimal(g) if g else Decimal(0) for g in _DURATION.match(text).groups())
    months = int(y * 12 + mo)
    seconds = (((w * 7 + d) * 24 + h) * 60 + mi) * 60 + s
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    date = "".join(f"{int(n)}{unit}" for n, unit in ((months // 12, "Y"), (months % 12, "M"), (days, "D")) if n)
    time = "".join(f"{n.normalize():f}{unit}" if unit == "S" else f"{int(n)}{unit}"
                   for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    return "P" + date + ("T" + time if time else "") if date or time else "PT0S"


def duration_bounds(text: str) -> tuple[float, float]:
    """The least and the greatest number of seconds an xsd:duration can mean (a month is 28 to
    31 days): a minimum is refused only when it is surely above the maximum."""
    y, mo, w, d, h, mi, s = (float(g) if g else 0.0 for g in _DURATION.match(text).groups())
    fixed = (((w * 7 + d) * 24 + h) * 60 + mi) * 60 + s
    months = y * 12 + mo
    return fixed + months * 28 * 86400, fixed + months * 31 * 86400


def check_duration(record: Record, errors: list[RecordError]) -> None:
    """A claimed duration: a minimum or a maximum, in order; an event it is the length of, or
    one it is the time since."""
    values = record.values
    low, high = values.get("minimum_duration"), values.get("maximum_duration")
    if low is None and high is None:
        errors.append(record.error("minimum_duration", "required",
                                   "a claimed duration needs a minimum_duration or a maximum_duration"))
    elif low is not None and high is not None and duration_bounds(low)[0] > duration_bounds(high)[1]:
        errors.append(record.error("maximum_duration", "duration-order", f"maximum {high} is below minimum {low}"))
    if "duration_of" not in values and "since" not in values:
        errors.append(record.error("duration_of", "required", "a claimed duration is the length of an event "
                                                              "(duration_of) or the time since one (since)"))


def check_modes(records: list[Record], errors: list[RecordError]) -> None:
    """The mode agrees with the voice: a quotation or a paraphrase is a speaker's (given
    according to a testimony), a caption the source's own; a derived statement names what it
    was worked out from, and only a derived one does. (according_to must name a testimony or
    a source of the same dataset: the voice is known from the batch.)"""
    voices = {r.values.get("id"): r.kind for r in records if r.kind in ("testimonies", "sources")}
    for record in records:
        v = record.values
        mode = v["mode"].rsplit("/", 1)[-1] if "mode" in v else None
        voice = voices.get(v.get("according_to"))
        if voice == "sources" and mode in ("quotation", "paraphrase"):
            errors.append(record.error("mode", "mode", f"a {mode} is a speaker's words, given according to a "
                                                       "testimony; what a source says itself is a caption"))
        elif voice == "testimonies" and mode == "caption":
            errors.append(record.error("mode", "mode", "a caption is the source's own voice: give it according to "
                                                       "the source, not a testimony"))
        if mode == "derived" and record.kind != "statements":
            errors.append(record.error("mode", "mode", "only a statement is derived (it names the statements it was "
                                                       "worked out from); what a speaker says of an event is theirs"))
        if record.kind == "statements" and "kind" in v and (mode == "derived") != ("derived_from" in v):
            errors.append(record.error("derived_from", "mode", "a derived statement names the statements it was "
                                                               "worked out from (derived_from), and only a derived one does"))
