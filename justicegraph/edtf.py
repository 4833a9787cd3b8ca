"""EDTF times (https://www.loc.gov/standards/datetime/) → the earliest and latest day they can mean.

Covers the forms of docs/records.md: a year (``1981``), a month (``1988-07``), a day
(``1988-07-19``), a season (``1988-22``: 21 spring, 22 summer, 23 autumn, 24 winter), a
decade or century with unspecified digits (``198X``), qualifiers ``~`` (approximate), ``?``
(uncertain) and ``%`` (both), and intervals ``A/B`` whose ends may be open (``..``) or unknown
(empty). Bounds are those of the value as written: a qualifier is kept in the literal, never
turned into invented bounds, and no day is made up (a year spans 1 January to 31 December).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

# Seasons as meteorological months (northern hemisphere); winter runs into the next year.
SEASONS = {21: (3, 5), 22: (6, 8), 23: (9, 11), 24: (12, 14)}

_DATE = re.compile(
    r"^(?P<year>\d{4}|\d{3}X|\d{2}XX)"
    r"(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?"
    r"(?P<qualifier>[~?%])?$"
)

# The same grammar as one regular expression, for the SHACL shapes (sh:pattern) and docs.
DATE_PATTERN = r"([0-9]{4}|[0-9]{3}X|[0-9]{2}XX)(-(0[1-9]|1[0-2]|2[1-4])(-(0[1-9]|[12][0-9]|3[01]))?)?[~?%]?"
# An interval has at least one known end: '1986/..', '/1988', never '../..' nor '/'.
PATTERN = rf"^({DATE_PATTERN}|{DATE_PATTERN}/({DATE_PATTERN}|\.\.)?|(\.\.)?/{DATE_PATTERN})$"


class EDTFError(ValueError):
    """The text is not an EDTF time of the supported forms (the message says why).
    ``rule`` is ``edtf`` for a malformed time, ``time-order`` for an interval that ends
    before it starts."""

    def __init__(self, message: str, rule: str = "edtf"):
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Span:
    """The bounds a time allows; ``None`` is an open or unknown end."""

    earliest: date | None
    latest: date | None


def parse(text: str) -> Span:
    """Bounds of an EDTF time; raises EDTFError for anything else."""
    text = text.strip()
    if "/" not in text:
        return _single(text)
    if text.count("/") != 1:
        raise EDTFError(f"{text!r} is not an EDTF date")
    start_text, end_text = text.split("/")
    if start_text in ("", "..") and end_text in ("", ".."):
        # '../..' would say nothing at all, yet read as a time (issue #17)
        raise EDTFError(f"{text!r} is not an EDTF date: an interval needs at least one known end")
    start = _end(start_text, text)
    end = _end(end_text, text)
    if start.earliest and end.latest and start.earliest > end.latest:
        raise EDTFError(f"{text!r} ends before it starts", rule="time-order")
    return Span(start.earliest, end.latest)


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except EDTFError:
        return False
    return True


def _end(part: str, whole: str) -> Span:
    if part in ("", ".."):
        return Span(None, None)
    try:
        return _single(part)
    except EDTFError:
        raise EDTFError(f"{whole!r} is not an EDTF date") from None


def _single(text: str) -> Span:
    match = _DATE.match(text)
    if not match:
        raise EDTFError(f"{text!r} is not an EDTF date")
    year_text, month_text, day_text = match.group("year", "month", "day")
    first_year, last_year = int(year_text.replace("X", "0")), int(year_text.replace("X", "9"))
    if first_year == 0:
        raise EDTFError(f"{text!r} is not an EDTF date: year 0 is not supported")
    if month_text is None:
        return Span(date(first_year, 1, 1), date(last_year, 12, 31))
    if "X" in year_text:
        raise EDTFError(f"{text!r} is not an EDTF date: unspecified year digits only without month")
    month = int(month_text)
    if month in SEASONS:
        if day_text is not None:
            raise EDTFError(f"{text!r} is not an EDTF date: a season has no day")
        first, last = SEASONS[month]
        end_year, end_month = (first_year + 1, last - 12) if last > 12 else (first_year, last)
        if end_year > 9999:  # the winter of 9999 ends in a year no date here can name
            raise EDTFError(f"{text!r} is not an EDTF date: it ends after the year 9999")
        return Span(date(first_year, first, 1), _last_day(end_year, end_month))
    if not 1 <= month <= 12:
        raise EDTFError(f"{text!r} is not an EDTF date: month {month_text} does not exist")
    if day_text is None:
        return Span(date(first_year, month, 1), _last_day(first_year, month))
    try:
        day = date(first_year, month, int(day_text))
    except ValueError:
        raise EDTFError(f"{text!r} is not an EDTF date: day {day_text} does not exist") from None
    return Span(day, day)


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
