"""The Accept parser the HTTP tests rely on (server/web/conneg.py): unit tests."""

from __future__ import annotations

import pytest

from justicegraph.server.web import conneg


@pytest.mark.parametrize("accept, offers, expected", [
    ("text/turtle;q=0, */*", conneg.GRAPHS, "ntriples"),
    ("application/ld+json;q=0.5, text/turtle;q=0.4", conneg.GRAPHS, "jsonld"),
    ("application/*", conneg.GRAPHS, "ntriples"),
    ("", conneg.RESULTS, "json"),
    ("garbage, text/csv", conneg.RESULTS, "csv"),
    ("text/csv;q=abc, text/tab-separated-values", conneg.RESULTS, "tsv"),
    ("image/png", conneg.RESULTS, None),
])
def test_accept_negotiation(accept, offers, expected):
    chosen = conneg.negotiate(accept, offers)
    assert (chosen and chosen.name) == expected


def test_browsers_are_recognised():
    firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert conneg.prefers_html(firefox)
    assert not conneg.prefers_html("*/*")
    assert not conneg.prefers_html("text/turtle, text/html;q=0.5")
