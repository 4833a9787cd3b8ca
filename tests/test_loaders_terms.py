"""Literals written as N-Triples text and parsed in one batch (loaders/terms.py) are exactly
the terms pyoxigraph builds from the same values: any text, any datatype, any language."""

from __future__ import annotations

import pyoxigraph as ox
from hypothesis import given, settings
from hypothesis import strategies as st

from justicegraph.loaders import terms as t

S, G = ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/g")
# any Unicode text a record can hold (no lone surrogates: the readers only produce UTF-8 text)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(TEXT, st.sampled_from(["en", "fa", None, "edtf", "int"])), max_size=12))
def test_buffered_literals_equal_pyoxigraph_literals(values):
    buffer, expected = t.QuadBuffer(), []
    for i, (value, kind) in enumerate(values):
        p = ox.NamedNode(f"https://example.org/p{i}")
        if kind in ("en", "fa"):
            buffer.add(S, p, t.lang(value, kind), G)
            expected.append(ox.Quad(S, p, ox.Literal(value, language=kind), G))
        elif kind is None:
            buffer.add(S, p, t.text(value), G)
            expected.append(ox.Quad(S, p, ox.Literal(value), G))
        elif kind == "edtf":
            buffer.add(S, p, t.typed(value, t.T_EDTF), G)
            expected.append(ox.Quad(S, p, ox.Literal(value, datatype=t.T_EDTF), G))
        else:
            buffer.add(S, p, t.integer(len(value)), G)
            expected.append(ox.Quad(S, p, ox.Literal(str(len(value)), datatype=t.T_INTEGER), G))
    buffer.add(S, t.A, ox.NamedNode("https://example.org/C"), G)  # an IRI object: kept as is
    expected.append(ox.Quad(S, t.A, ox.NamedNode("https://example.org/C"), G))
    assert sorted(map(str, buffer.finish())) == sorted(map(str, expected))


def test_a_lone_surrogate_is_refused_not_written():
    buffer = t.QuadBuffer()
    buffer.add(S, t.LABEL, t.en("bad \ud800 text"), G)
    try:
        buffer.finish()
    except ValueError as exc:
        assert "not valid Unicode" in str(exc)
    else:
        raise AssertionError("a lone surrogate was accepted")
