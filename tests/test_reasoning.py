"""`justicegraph reason`: consistency with HermiT, contradictions named, inferences kept apart.

HermiT takes a second or more per run: the store and the reasoner runs are shared at module
scope, and each contradiction is one run of `reasoning.check` on the fixture plus one file.
"""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from stores import REMOTE, current_store, environ, new_store, served

from justicegraph import reasoning
from justicegraph.cli import main
from justicegraph.namespaces import JG, Minter
from justicegraph.savedqueries import parse_saved_query
from justicegraph.store import OxigraphStore

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Java is not installed (HermiT needs it)")

FIXTURES = Path(__file__).parent / "fixtures" / "reasoning"
ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/justicegraph/id/"
MINTER = Minter()
INFERRED = MINTER.inferred_graph


def fixture_quads(*extra: str) -> list[ox.Quad]:
    store = ox.Store()
    for name in ("consistent.trig", *extra):
        store.load(path=str(FIXTURES / name), format=ox.RdfFormat.TRIG)
    return list(store)


def run_cli(*args: str):
    result = CliRunner().invoke(main, list(args), env=environ())
    gc.collect()  # release the on-disk store's lock before the test opens it again
    return result


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    location, _ = served(tmp_path_factory.mktemp("reason") / "store", lambda s: s.bulk_import(fixture_quads()))
    return location


@pytest.fixture(scope="module")
def materialised(store_dir):
    """Materialise twice: the second run must replace the first, not add to it."""
    first = run_cli("--store", store_dir, "reason", "--materialize")
    second = run_cli("--store", store_dir, "reason", "--materialize", "--format", "json")
    store = current_store() if REMOTE else OxigraphStore(store_dir, read_only=True)
    yield first, second, store
    store.close()
    del store
    gc.collect()


def triple(s: str, p, o: str) -> ox.Triple:
    return ox.Triple(ox.NamedNode(ID + s), ox.NamedNode(str(p)), ox.NamedNode(o if ":" in o else ID + o))


def graph_triples(store, graph: str) -> set[ox.Triple]:
    return {q.triple for q in store.quads(graph)}


def test_consistent_data_is_reported_consistent(materialised):
    first, _, _ = materialised
    assert first.exit_code == 0, first.output
    assert first.output.startswith("consistent:")
    assert f"inferred triples into <{INFERRED}>" in first.output


def test_inferred_facts_are_in_their_own_graph(materialised):
    _, _, store = materialised
    inferred = graph_triples(store, INFERRED)
    asserted = {q.triple for q in store.quads() if not q.graph_name.value.startswith(INFERRED)}
    assert triple("ana", JG.siblingOf, "bo") in inferred  # only bo siblingOf ana is asserted
    assert triple("bo", JG.childOf, "cy") in inferred  # from cy parentOf bo
    assert triple("ana-execution", JG.partOf, "killings") in inferred  # transitive, two levels
    assert triple("ana-execution", JG.participant, "ana") in inferred  # property chain
    assert triple("ana", JG.victimOf, "killings") in inferred  # chain through partOf
    assert triple("p-ana", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", str(JG.VictimParticipation)) in inferred
    assert not inferred & asserted
    assert all(t.predicate.value != str(JG.asVictim) for t in inferred)


def test_restricted_facts_are_inferred_into_the_restricted_twin_only(materialised):
    _, _, store = materialised
    spouse = triple("bo", JG.spouseOf, "dee")  # from dee spouseOf bo, asserted in a restricted graph
    assert spouse not in graph_triples(store, INFERRED)
    assert spouse in graph_triples(store, Minter.restricted_twin(INFERRED))


def test_rerun_replaces_the_inferred_graph_and_its_provenance(materialised):
    first, second, store = materialised
    report = json.loads(second.output)
    assert second.exit_code == 0 and report["consistent"] is True
    assert report["materialised"][INFERRED] == len(graph_triples(store, INFERRED))
    prov = MINTER.provenance_graph
    generated = [q.object for q in store.quads(prov)
                 if q.subject == ox.NamedNode(INFERRED) and q.predicate.value.endswith("wasGeneratedBy")]
    assert len(generated) == 1  # the first run's description is gone
    activity_types = {q.object.value for q in store.quads(prov) if q.subject == generated[0]
                      and q.predicate.value.endswith("#type")}
    assert {str(JG.Reasoning), "http://www.w3.org/ns/prov#Activity"} <= activity_types
    sources = {q.object.value for q in store.quads(prov)
               if q.subject == ox.NamedNode(INFERRED) and q.predicate.value.endswith("wasDerivedFrom")}
    assert MINTER.testimony_graph("t-bo") in sources
    assert MINTER.testimony_graph("t-bo") + "/restricted" not in sources


def test_saved_query_answers_a_fact_only_the_reasoner_derives(materialised, store_dir):
    _, _, store = materialised
    query = parse_saved_query(ROOT / "queries" / "victims-of-event.rq")
    rows = list(query.run(store, {"event": "killings"}, MINTER))
    assert [(r["victim"].value, r["direct"].value) for r in rows] == [(ID + "ana", ID + "ana-execution")]
    without_inferred = [g for g in store.graphs() if not g.startswith(INFERRED) and not g.endswith("/restricted")]
    graphs = [ox.NamedNode(g) for g in without_inferred]
    assert list(query.run(store, {"event": "killings"}, MINTER, default_graph=graphs, named_graphs=graphs)) == []


CONTRADICTIONS = {
    "prison-person.trig": ("north-prison", ["jg:Person", "jg:Place", "jg:Agent", "curated/other"]),
    "sibling-prison.trig": ("north-prison", ["jg:siblingOf", "range jg:Person", "jg:Place"]),
    "event-organisation.trig": ("wave", ["jg:Organization", "jg:Event", "disjoint"]),
    "two-agents.trig": ("p-ana", ["functional", "jg:agent", "<" + ID + "tribunal>", "jg:Person"]),
    "own-parent.trig": ("bo", ["jg:parentOf", "<" + ID + "cy>", "owl:AsymmetricProperty"]),
}


@pytest.mark.parametrize("name", sorted(CONTRADICTIONS))
def test_each_contradiction_is_reported_by_name(name):
    entity, words = CONTRADICTIONS[name]
    outcome = reasoning.check(fixture_quads(f"contradictions/{name}"))
    assert not outcome.consistent
    messages = [f.message for f in outcome.findings if f"<{ID}{entity}>" in f.entities]
    assert messages, [f.message for f in outcome.findings]
    assert all(word in messages[0] for word in words), messages[0]


def test_a_contradiction_no_query_explains_is_found_by_ablation():
    outcome = reasoning.check(fixture_quads("contradictions/stated-by-event.trig"))
    assert not outcome.consistent
    [finding] = outcome.findings
    assert f"<{ID}s-bo>" in finding.entities and len(finding.entities) <= 3
    assert f"<{ID}s-bo> <{JG.statedBy}> <{ID}wave>" in finding.message


def test_unsatisfiable_class_is_named_with_its_disjoint_superclasses():
    extra = ox.Quad(ox.NamedNode(str(JG) + "PrisonPerson"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
                    ox.NamedNode(str(JG.Prison)), ox.NamedNode("urn:x-test:schema"))
    person = ox.Quad(extra.subject, extra.predicate, ox.NamedNode(str(JG.Person)), extra.graph_name)
    declared = ox.Quad(extra.subject, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                       ox.NamedNode("http://www.w3.org/2002/07/owl#Class"), extra.graph_name)
    outcome = reasoning.check([extra, person, declared])
    assert outcome.consistent and not outcome.ok
    message = outcome.unsatisfiable[str(JG) + "PrisonPerson"]
    assert "jg:Agent and jg:Place" in message


def test_cli_reports_an_inconsistency_with_exit_1(tmp_path):
    path, _ = served(tmp_path / "bad", lambda s: s.bulk_import(fixture_quads("contradictions/prison-person.trig")))
    result = run_cli("--store", path, "reason", "--materialize")
    assert result.exit_code == 1
    assert result.output.startswith("INCONSISTENT")
    assert f"<{ID}north-prison> cannot be both a jg:Person and a jg:Prison" in result.output
    assert "jg:Agent and jg:Place are disjoint" in result.output
    assert "Nothing materialised" in result.output


def test_without_java_reason_says_what_is_missing_in_one_line(monkeypatch):
    monkeypatch.setenv("JUSTICEGRAPH_JAVA", "no-such-java-here")
    result = run_cli("--store", "memory", "reason")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "apt-get install default-jre-headless" in lines[0]


def test_the_1988_dataset_is_consistent_and_its_victims_are_victims_of_the_massacre():
    from justicegraph.loaders.pipeline import load
    from justicegraph.reasoning.store import asserted_graphs, read_quads
    from justicegraph.resources import dataset_dir

    store = new_store()
    load(store, [dataset_dir("1988")], shacl=False)
    outcome = reasoning.check(read_quads(store, asserted_graphs(store, MINTER)), derive=True)
    assert outcome.ok, [f.message for f in outcome.findings] + list(outcome.unsatisfiable.values())
    massacre = ox.NamedNode(ID + "massacre-1988")
    victims = {t.subject for t in outcome.inferred if t.predicate.value == str(JG.victimOf) and t.object == massacre}
    asserted = {q.subject for q in store.quads() if q.predicate.value == str(JG.victimOf)}
    assert len(victims) >= 5 and not asserted


def test_rules_give_the_victim_memberships_hermit_gives_with_the_full_definition():
    """reasoning.RULES_ONLY keeps jg:VictimParticipation's definition from HermiT for speed;
    with it, HermiT classifies exactly the participations the rules classify."""
    from justicegraph.reasoning import hermit

    quads = fixture_quads()
    world = hermit.load_world(reasoning.schema().serialize(format="nt", encoding="utf-8")
                              + reasoning._ntriples(quads))
    report = hermit.run(world)
    by_hermit = {ind for ind, types in report.types.items() if str(JG.VictimParticipation) in types}
    by_rules = {t.subject.value for t in reasoning.check(quads, derive=True).inferred
                if t.object == ox.NamedNode(str(JG.VictimParticipation))}
    assert by_hermit == by_rules == {ID + "p-ana"}
