"""Ontology quality checks: every `ontology/checks/*-violation.rq` returns no rows over the
real ontology, vocabularies, shapes and loaded data — and finds the fault in a broken
fixture made for it. The OWL 2 DL profile check (OWL API) likewise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from justicegraph.namespaces import Minter
from justicegraph.reasoning.ontology_checks import (
    check_dataset,
    check_queries,
    profile_violations,
    run_checks,
)
from justicegraph.reasoning.store import asserted_graphs, read_quads
from justicegraph.resources import dataset_dir, ontology_graph, shapes_graph, vocabulary_graph
from justicegraph.validation import triple_to_rdflib

FIXTURES = Path(__file__).parent / "fixtures"
BROKEN = FIXTURES / "ontology_checks"
SHAPES_NS = "https://w3id.org/justicegraph/shapes#"

# Known failures, listed explicitly (as pySHACL lists its own): each must still occur, so
# that fixing it makes this test fail until the entry is removed.
KNOWN: set[tuple[str, str]] = set()


@pytest.fixture(scope="module")
def sample_data() -> list[ox.Quad]:
    """What the loaders produce: the packaged 1988 dataset, plus the reasoning fixture."""
    from stores import new_store

    from justicegraph.loaders.pipeline import load

    store = new_store()
    load(store, [dataset_dir("1988")], shacl=False)
    quads = read_quads(store, asserted_graphs(store, Minter()))
    fixture = ox.Store()
    fixture.load(path=str(FIXTURES / "reasoning" / "consistent.trig"), format=ox.RdfFormat.TRIG)
    return quads + list(fixture)


@pytest.fixture(scope="module")
def real_dataset(sample_data) -> ox.Store:
    return check_dataset(ontology_graph(), vocabulary_graph(), shapes_graph(), sample_data)


def test_there_is_a_broken_fixture_for_every_check():
    assert set(check_queries()) == {p.stem for p in BROKEN.glob("*-violation.trig")}
    assert len(check_queries()) >= 10


def test_quality_checks_return_nothing_on_the_real_ontology(real_dataset):
    rows = {(name, term): problem for name, found in run_checks(real_dataset).items() for term, problem in found}
    unexpected = {key: problem for key, problem in rows.items() if key not in KNOWN}
    assert unexpected == {}
    assert KNOWN <= set(rows), "a known failure is fixed: remove it from KNOWN"


@pytest.mark.parametrize("name", sorted(check_queries()))
def test_each_check_fails_on_its_broken_fixture(name, real_dataset):
    store = ox.Store()
    store.extend(real_dataset)
    store.load(path=str(BROKEN / f"{name}.trig"), format=ox.RdfFormat.TRIG)
    before = {term for term, _ in run_checks(real_dataset, {name: check_queries()[name]})[name]}
    found = run_checks(store, {name: check_queries()[name]})[name]
    new = {term for term, _ in found} - before
    assert new, f"{name} did not find the fault of its fixture"
    assert all(term.startswith(("https://w3id.org/justicegraph/", "urn:")) for term in new)


needs_jdk = pytest.mark.skipif(shutil.which("javac") is None or shutil.which("java") is None,
                               reason="the OWL API profile check needs a JDK (apt-get install default-jdk-headless)")


@needs_jdk
def test_ontology_vocabularies_and_data_are_in_the_owl2_dl_profile(sample_data):
    graph = Graph()
    for part in (ontology_graph(), vocabulary_graph()):
        for triple in part:
            graph.add(triple)
    for quad in sample_data:
        graph.add(triple_to_rdflib(quad))
    assert profile_violations(graph) == []


@needs_jdk
def test_profile_check_fails_on_a_broken_ontology():
    violations = profile_violations(Graph().parse(BROKEN / "profile-broken.ttl"))
    text = "\n".join(violations)
    assert "Cannot pun between properties" in text
    assert "undeclared class" in text
    assert "non-simple property" in text
