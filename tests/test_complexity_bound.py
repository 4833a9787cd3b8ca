"""The nesting check's shortcut (justicegraph/sparqltext/complexity.py ``_surely_within``)
never lets through a text the full measure would refuse: when the character and word counts
say "within the limits", ``measure`` agrees — on random texts made of SPARQL's brackets,
operators and group keywords, and on texts just under and over each limit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from justicegraph.sparqltext.complexity import MAX_DEPTH, MAX_LINKS, _surely_within, measure, too_complex

PIECES = ["(", ")", "{", "}", "[", "]", "+", "-", "*", "/", "|", "&", "!", "=", "<", ">", "^^", " UNION ",
          " optional ", " BIND(", " FILTER ", " VALUES ?x ", " GRAPH ?g ", " SELECT ", " EXISTS ", " ?s ", " 1 ",
          ' "a(b{c" ', " <urn:x+y> ", " INSERT DATA ", " # (((\n"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=400), st.integers(min_value=1, max_value=6))
def test_the_shortcut_never_passes_what_the_measure_refuses(pieces, repeat):
    text = "".join(pieces) * repeat
    if _surely_within(text):
        depth, links = measure(text)
        assert depth <= MAX_DEPTH and links <= MAX_LINKS


@pytest.mark.parametrize("text, refused", [
    ("SELECT * WHERE " + "{" * (MAX_DEPTH + 1) + "}" * (MAX_DEPTH + 1), True),
    ("SELECT * WHERE " + "{" * MAX_DEPTH + "}" * MAX_DEPTH, False),
    ("SELECT (" + "1+" * (MAX_LINKS + 5) + "1 AS ?x) WHERE {}", True),
    ("SELECT (" + "1+" * (MAX_LINKS - 10) + "1 AS ?x) WHERE {}", False),
])
def test_the_limits_still_hold_at_their_edges(text, refused):
    assert (too_complex(text, "query") is not None) is refused
