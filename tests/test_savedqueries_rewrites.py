"""Saved queries rewritten for speed at 1M triples answer exactly as their earlier formulations.

The earlier texts are kept in tests/fixtures/saved-queries-before/. Each pair runs on the
same embedded store through ``SavedQuery.run`` (the path the CLI and the API take), on the
1988 dataset and on a generated one (justicegraph.generate, a few thousand people, where the
answers are hundreds of rows and every branch of the rewritten patterns is used). Compared:
the columns, the rows as a multiset (GROUP_CONCAT parts as sets: SPARQL leaves their order
open), and the sequence of ORDER BY keys. test_competency.py checks the 1988 answers by
hand; test_remote_1988.py checks that remote engines give the embedded answers.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from justicegraph.generate import generate
from justicegraph.loaders.pipeline import load
from justicegraph.namespaces import Minter
from justicegraph.resources import dataset_dir
from justicegraph.savedqueries import load_saved_queries, parse_saved_query
from justicegraph.store import OxigraphStore

BEFORE = Path(__file__).parent / "fixtures" / "saved-queries-before"
MINTER = Minter()
pytestmark = pytest.mark.embedded_only("compares two formulations on one embedded store; remote engines are "
                                       "compared with the embedded answers in test_remote_1988.py")


def _text(row, name):
    term = row[name]
    return None if term is None else term.value


# The ORDER BY keys of each rewritten query, as a function of a row.
ORDER_KEYS = {
    "cq09-victim-counts": lambda r: _text(r, "minimum") or _text(r, "maximum"),
    "cq15-corroborated-statements": lambda r: (_text(r, "voices"), _text(r, "aboutLabel"), _text(r, "pointLabel")),
    "cq16-deaths": lambda r: (_text(r, "time"), _text(r, "victimLabel")),
}


@pytest.fixture(scope="module", params=["1988", "generated"])
def store(request, tmp_path_factory):
    store = OxigraphStore(None)
    if request.param == "1988":
        load(store, [dataset_dir("1988")], shacl=False)  # validated in test_dataset.py
    else:
        records = tmp_path_factory.mktemp("generated") / "records"
        generate(records, people=2000, seed=5)
        load(store, [records], dataset="synthetic", shacl=False)  # the generator's output is validated in test_generate.py
    return store


def shown(term) -> str:
    if isinstance(term, ox.Literal) and " | " in term.value:
        return "concat:" + " | ".join(sorted(term.value.split(" | ")))
    return str(term)


def answer(results):
    names = [v.value for v in results.variables]
    rows = list(results)
    return names, rows, Counter(tuple(shown(r[n]) for n in names) for r in rows)


def test_every_earlier_formulation_names_a_saved_query():
    assert {p.stem for p in BEFORE.glob("*.rq")} == set(ORDER_KEYS)
    assert set(ORDER_KEYS) <= set(load_saved_queries())


@pytest.mark.parametrize("name", sorted(ORDER_KEYS))
def test_rewritten_query_answers_as_before(store, name):
    now = load_saved_queries()[name]
    before = parse_saved_query(BEFORE / f"{name}.rq")
    assert before.text != now.text and before.params == now.params
    # the union of all graphs, as the server's public view runs them (a per-query list of
    # graphs gives the same answers, much more slowly: pyoxigraph scans once per listed graph)
    names, rows, got = answer(now.run(store, {}, MINTER, union=True))
    old_names, old_rows, expected = answer(before.run(store, {}, MINTER, union=True))
    assert names == old_names
    assert rows, f"{name}: an empty answer compares nothing"
    assert got == expected
    key = ORDER_KEYS[name]
    assert [key(r) for r in rows] == [key(r) for r in old_rows]


def test_both_datasets_use_the_branches_of_cq15(store, request):
    """Corroborated statements of every kind occur, so each UNION branch is compared: the
    generator's observations are about events, not people, so the Observation branch is
    compared on the 1988 data."""
    kinds = {r["kind"].value.rsplit("#", 1)[-1]
             for r in load_saved_queries()["cq15-corroborated-statements"].run(store, {}, MINTER, union=True)}
    expected = {"Characterisation", "Accusation", "CallToAction"}
    assert kinds == (expected | {"Observation"} if request.node.callspec.params["store"] == "1988" else expected)
