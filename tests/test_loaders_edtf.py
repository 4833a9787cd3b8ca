"""EDTF times → earliest/latest days: the documented forms, refusals, and agreement between
the parser and the pattern the SHACL shapes use."""

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from justicegraph import edtf

CASES = {
    "1981": ("1981-01-01", "1981-12-31"),
    "1988-07": ("1988-07-01", "1988-07-31"),
    "1988-02": ("1988-02-01", "1988-02-29"),  # leap year
    "1988-07-19": ("1988-07-19", "1988-07-19"),
    "1988-21": ("1988-03-01", "1988-05-31"),
    "1988-22": ("1988-06-01", "1988-08-31"),
    "1988-23": ("1988-09-01", "1988-11-30"),
    "1988-24": ("1988-12-01", "1989-02-28"),
    "1977/1982": ("1977-01-01", "1982-12-31"),
    "2008/2011": ("2008-01-01", "2011-12-31"),
    "1986/..": ("1986-01-01", None),
    "../1988": (None, "1988-12-31"),
    "/1988": (None, "1988-12-31"),
    "1988~": ("1988-01-01", "1988-12-31"),
    "1988-07?": ("1988-07-01", "1988-07-31"),
    "198X": ("1980-01-01", "1989-12-31"),
    "19XX": ("1900-01-01", "1999-12-31"),
    "1988-07/1988-09": ("1988-07-01", "1988-09-30"),
}


@pytest.mark.parametrize("text", sorted(CASES))
def test_documented_forms(text):
    span = edtf.parse(text)
    earliest, latest = CASES[text]
    assert (span.earliest and span.earliest.isoformat(), span.latest and span.latest.isoformat()) == (earliest, latest)
    assert re.match(edtf.PATTERN, text)


@pytest.mark.parametrize("text, rule", [
    ("1988-13", "edtf"), ("1988-02-30", "edtf"), ("1988-22-01", "edtf"), ("88", "edtf"), ("1988/1981", "time-order"),
    ("1988-07-20/1988-07-19", "time-order"), ("/", "edtf"), ("1988/1989/1990", "edtf"), ("summer 1988", "edtf"),
    ("0000", "edtf"), ("198X-05", "edtf"),
])
def test_refused(text, rule):
    with pytest.raises(edtf.EDTFError) as info:
        edtf.parse(text)
    assert info.value.rule == rule


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(2999, 12, 31)),
       st.sampled_from(["year", "month", "day", "season"]), st.sampled_from(["", "~", "?", "%"]))
def test_bounds_contain_the_date_and_the_pattern_agrees(day, precision, qualifier):
    text = {"year": f"{day.year:04d}", "month": f"{day.year:04d}-{day.month:02d}",
            "day": day.isoformat(), "season": f"{day.year:04d}-{21 + (day.month % 4)}"}[precision] + qualifier
    span = edtf.parse(text)
    assert span.earliest <= span.latest
    if precision != "season":
        assert span.earliest <= day <= span.latest
    assert re.match(edtf.PATTERN, text)


@given(st.text(alphabet="0123456789-/.~?X%", max_size=12))
def test_parser_never_accepts_what_the_pattern_refuses(text):
    if edtf.is_valid(text):
        assert re.match(edtf.PATTERN, text), text
