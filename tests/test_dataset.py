"""The 1988 dataset (data/1988): it validates, nothing is silently dropped, attribution is
structural, locators point into the report, and the project's text is its own words.

The dataset is loaded once, WITH SHACL validation, into an in-memory store. The coverage
numbers below are the ones the dataset was built to; a change that adds records must update
them on purpose, a change that loses records fails here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from stores import new_store

from justicegraph.access import dataset
from justicegraph.cli import main
from justicegraph.loaders.pipeline import load
from justicegraph.namespaces import Minter
from justicegraph.resources import dataset_dir

MINTER = Minter()
ID = MINTER.entity("")
JG = "https://w3id.org/justicegraph/ontology#"
PREFIXES = """PREFIX jg: <https://w3id.org/justicegraph/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX role: <https://w3id.org/justicegraph/vocab/role/>
"""
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_a526994df29eae1a.txt"
PARAGRAPHS = 103  # non-empty lines of the source report
REPORT = "inn-live-report"
LOCATOR = re.compile(r"^¶(\d+)(?:–(\d+))?$")


@pytest.fixture(scope="module")
def loaded():
    store = new_store()
    result = load(store, [dataset_dir("1988")])
    return store, result


@pytest.fixture(scope="module")
def store(loaded):
    return loaded[0]


def select(store, query: str, **ids: str) -> list[tuple]:
    """Rows of short values; ``ids`` bind variables to entities (they must be projected)."""
    kwargs = dataset(store.graphs(), restricted_ok=True)
    substitutions = {ox.Variable(name): ox.NamedNode(MINTER.entity(rid)) for name, rid in ids.items()}
    return [tuple(None if t is None else _short(t.value) for t in row)
            for row in store.query(PREFIXES + query, substitutions=substitutions, **kwargs)]


def _short(value: str) -> str:
    for prefix in (ID, JG, MINTER.testimony_graph(""), MINTER.source_graph("")):
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


def span(locator: str) -> tuple[int, int]:
    match = LOCATOR.match(locator)
    assert match, f"malformed locator {locator!r}"
    first = int(match.group(1))
    return first, int(match.group(2) or first)


# ---------------------------------------------------------------- validation


def test_dataset_loads_and_conforms_to_the_shapes(loaded):
    _store, result = loaded
    assert result.report is not None and result.report.conforms, result.report
    assert result.dataset == "1988"
    assert result.records == 509


# ---------------------------------------------------------------- coverage

ENTITIES = {
    "Person": 50, "Collective": 19, "GovernmentBody": 9, "InternationalBody": 8, "PoliticalOrganization": 5,
    "Court": 2, "NonGovernmentalOrganization": 2, "Commission": 1,
    "Prison": 5, "Country": 8, "Settlement": 3, "Place": 1,
    "Event": 72, "Participation": 131, "Position": 27, "Source": 1, "Testimony": 20, "SourceNarration": 1,
    "Characterisation": 15, "ClaimedCount": 14, "CallToAction": 18, "Accusation": 19, "Observation": 11,
    "Claim": 53,
}

STATEMENTS_PER_SPEAKER = {
    REPORT: 11, "maryam-rajavi": 18, "dominique-attias": 6, "geoffrey-robertson": 7, "theo-van-boven": 2,
    "kumi-naidoo": 7, "audronius-azubalis": 7, "eric-david": 5, "gulnara-shahinian": 4,
    "mehri-hajinejad": 9, "sima-mirzaei": 7, "franco-frattini": 6, "guy-verhofstadt": 6, "giulio-terzi": 7,
    "valeriu-ciuca": 3, "parvin-kouhi": 3, "khadijeh-ashtiani": 4, "javad-ahmadi": 2,
    "nezam-mir-mohammadi": 4, "azadali-hajilouei": 7, "abulfazl-mahzoon": 5,
}

# records asserted per graph: events, participations, positions, statements (relations are triples)
ASSERTED_PER_GRAPH = {
    REPORT: (4, 34, 21, 11), "t-rajavi": (3, 6, 0, 18), "t-attias": (0, 0, 0, 6), "t-robertson": (2, 2, 0, 7),
    "t-van-boven": (0, 0, 1, 2), "t-naidoo": (0, 0, 0, 7), "t-azubalis": (0, 0, 0, 7), "t-david": (0, 0, 0, 5),
    "t-shahinian": (0, 0, 0, 4), "t-hajinejad": (5, 13, 1, 9), "t-mirzaei": (14, 17, 0, 7),
    "t-frattini": (0, 0, 2, 6), "t-verhofstadt": (0, 1, 0, 6), "t-terzi": (0, 0, 1, 7), "t-ciuca": (0, 0, 0, 3),
    "t-kouhi": (3, 4, 0, 3), "t-ashtiani": (7, 8, 0, 4), "t-javad-ahmadi": (8, 10, 0, 2),
    "t-mir-mohammadi": (4, 5, 0, 4), "t-hajilouei": (11, 17, 1, 7), "t-mahzoon": (11, 14, 0, 5),
}


def test_entities_per_class(store):
    rows = select(store, "SELECT ?c (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a ?c FILTER STRSTARTS(STR(?c), STR(jg:)) } "
                         "GROUP BY ?c")
    got = {c: int(n) for c, n in rows if c in ENTITIES}
    assert got == ENTITIES


def test_statements_per_speaker(store):
    rows = select(store, "SELECT ?who (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s jg:statedBy ?who } GROUP BY ?who")
    assert {who: int(n) for who, n in rows} == STATEMENTS_PER_SPEAKER


def test_records_per_assertion_graph(store):
    rows = select(store, """
        SELECT ?g ?c (COUNT(DISTINCT ?x) AS ?n) WHERE {
          GRAPH ?g { ?x a ?c }
          VALUES ?c { jg:Participation jg:Position jg:Characterisation jg:ClaimedCount jg:CallToAction
                      jg:Accusation jg:Observation jg:Claim }
        } GROUP BY ?g ?c""")
    events = select(store, "SELECT ?g (COUNT(DISTINCT ?e) AS ?n) WHERE { GRAPH ?g { ?e jg:eventType ?t } } GROUP BY ?g")
    got: dict[str, list[int]] = {g: [0, 0, 0, 0] for g in ASSERTED_PER_GRAPH}
    for g, n in events:
        got.setdefault(g, [0, 0, 0, 0])[0] = int(n)
    column = {"Participation": 1, "Position": 2}
    for g, c, n in rows:
        got.setdefault(g, [0, 0, 0, 0])[column.get(c, 3)] += int(n)
    assert {g: tuple(v) for g, v in got.items()} == ASSERTED_PER_GRAPH


def test_family_relations_and_unnamed_people(store):
    relations = select(store, """SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?a ?p ?b }
        VALUES ?p { jg:siblingOf jg:parentOf jg:childOf jg:spouseOf jg:relativeOf } }""")
    assert relations == [("15",)]
    unnamed = {p for (p,) in select(store, "SELECT ?p WHERE { ?p a jg:Person ; skos:scopeNote ?note }")}
    assert len(unnamed) == 18
    assert {"ashtiani-brother", "mirzaei-brother-arrested-at-16", "mirzaei-father", "mirzaei-mother",
            "masoumeh-mirzaei-son", "mirzaei-mother-torturer", "iran-chief-justice-1988", "hajilouei-prosecutor",
            "hajilouei-guard", "iran-new-foreign-minister", "quds-force-commander", "the-shah"} <= unnamed


def test_the_five_prisons(store):
    prisons = {p for (p,) in select(store, "SELECT ?p WHERE { ?p a jg:Prison }")}
    assert prisons == {"evin-prison", "gohardasht-prison", "ghezelhesar-prison", "qazvin-prison", "dastgerd-prison"}


# ---------------------------------------------------------------- names

NAMES = {  # every name the report uses for a person or body → the one entity it denotes
    "Hamid Noury": "hamid-noury", "Hamid Nouri": "hamid-noury", "Hami Nouri": "hamid-noury",
    "Audronius Ažubalis": "audronius-azubalis", "Audronius AžUbalis": "audronius-azubalis",
    "Theo van Boven": "theo-van-boven", "Theo Van Boven": "theo-van-boven",
    "Mujahedin-e Khalq": "mek", "MEK": "mek", "PMOI": "mek", "PMOI/MEK": "mek", "Mojahedin": "mek",
    "NCRI": "ncri", "National Council of Resistance of Iran": "ncri",
    "European Bars Federation": "european-bars-federation", "Bar Association of Europe": "european-bars-federation",
    "Khadijeh Mirzaei": "khadijeh-mirzaei", "Khadijeh Ashtiani": "khadijeh-ashtiani",
    "Ghezelhesar": "ghezelhesar-prison", "Gohardasht": "gohardasht-prison", "Evin": "evin-prison",
    "Maryam Rajavi": "maryam-rajavi", "Massoud Rajavi": "massoud-rajavi", "Ebrahim Raisi": "ebrahim-raisi",
    "Ali Khamenei": "ali-khamenei", "Khamenei": "ali-khamenei", "Ruhollah Khomeini": "ruhollah-khomeini",
    "Khomeini": "ruhollah-khomeini", "Assadollah Lajevardi": "assadollah-lajevardi",
    "Qassem Soleimani": "qassem-soleimani", "Josep Borrell": "josep-borrell", "Dominique Attias": "dominique-attias",
    "Geoffrey Ronald Robertson": "geoffrey-robertson", "Kumi Naidoo": "kumi-naidoo", "Eric David": "eric-david",
    "Gulnara Shahinian": "gulnara-shahinian", "Mehri Hajinejad": "mehri-hajinejad", "Sima Mirzaei": "sima-mirzaei",
    "Franco Frattini": "franco-frattini", "Guy Verhofstadt": "guy-verhofstadt",
    "Giulio Maria Terzi": "giulio-terzi", "Valeriu M. Ciucă": "valeriu-ciuca", "Parvin Kouhi": "parvin-kouhi",
    "Javad Ahmadi": "javad-ahmadi", "Ashraf Ahmadi": "ashraf-ahmadi", "Nezam Mir Mohammadi": "nezam-mir-mohammadi",
    "Azadali Hajilouei": "azadali-hajilouei", "Abulfazl Mahzoon": "abulfazl-mahzoon",
    "Hossein Mirzaei": "hossein-mirzaei", "Masoumeh Mirzaei": "masoumeh-mirzaei",
    "Amnesty International": "amnesty-international", "Quds Force": "quds-force",
    "International Criminal Court": "international-criminal-court", "Resistance Units": "resistance-units",
    "Call-for-Justice movement": "call-for-justice-movement", "Iranian Resistance": "iranian-resistance",
    "UN Security Council": "un-security-council", "UN Human Rights Council": "un-human-rights-council",
    "Srebrenica": "srebrenica", "Stockholm": "stockholm", "Qazvin": "qazvin", "the Shah": "the-shah",
    "Security forces of the Shah": "shahs-security-forces", "Death Commissions": "death-commission",
}


def test_every_name_in_the_report_denotes_exactly_one_entity(store):
    rows = select(store, "SELECT ?x ?l WHERE { { ?x skos:prefLabel ?l } UNION { ?x skos:altLabel ?l } }")
    denotes: dict[str, set[str]] = {}
    for entity, label in rows:
        denotes.setdefault(label.casefold(), set()).add(entity)
    for name, entity in NAMES.items():
        assert denotes.get(name.casefold()) == {entity}, name


# ---------------------------------------------------------------- attribution and locators


def test_statements_are_stated_by_the_voice_of_their_graph(store):
    rows = select(store, """SELECT ?s ?who ?voice WHERE {
        GRAPH ?g { ?s jg:statedBy ?who } ?g prov:wasAttributedTo ?voice }""")
    assert len({s for s, _who, _voice in rows}) == sum(STATEMENTS_PER_SPEAKER.values())
    assert [(s, who, voice) for s, who, voice in rows if who != voice] == []


def test_every_locator_points_into_the_report(store):
    locators = {loc for (loc,) in select(store, "SELECT DISTINCT ?l WHERE { ?x jg:locator ?l }")}
    assert locators
    for locator in locators:
        first, last = span(locator)
        assert 1 <= first <= last <= PARAGRAPHS, locator


def test_testimony_records_lie_within_the_speech(store):
    rows = select(store, """SELECT ?g ?range ?x ?l WHERE {
        ?g a jg:Testimony ; jg:locator ?range .
        GRAPH ?g { ?x jg:locator ?l } }""")
    assert rows
    for graph, speech, record, locator in rows:
        (first, last), (low, high) = span(locator), span(speech)
        assert low <= first <= last <= high, (graph, record, locator, speech)


def test_every_speaker_spoke_at_the_conference(store):
    speakers = {s for (s,) in select(store, "SELECT ?s WHERE { ?g a jg:Testimony ; prov:wasAttributedTo ?s }")}
    spoke = select(store, """SELECT ?s ?l ?range ?conference WHERE {
        ?p jg:event ?conference ; jg:role role:speaker ; jg:agent ?s ; jg:locator ?l .
        ?g a jg:Testimony ; prov:wasAttributedTo ?s ; jg:locator ?range }""", conference="conference-2021")
    assert len(speakers) == 20
    assert {s for s, _l, _r, _c in spoke} == speakers
    for speaker, caption, speech, _c in spoke:  # the caption that introduces the speaker opens the speech
        assert span(caption)[0] == span(speech)[0], speaker


def test_derived_times_say_how_they_were_derived(store):
    rows = select(store, """SELECT ?e ?note WHERE { ?e jg:timeDerived true OPTIONAL { ?e jg:timeNote ?note } }""")
    assert len(rows) == 30
    assert [e for e, note in rows if not note] == []


def test_the_report_own_voice_holds_its_figures(store):
    rows = select(store, """SELECT ?s WHERE { GRAPH ?g { ?s a jg:ClaimedCount ; jg:minimum 30000 } }""")
    assert rows == [("s-report-count-30000",)]
    graph = select(store, "SELECT ?g ?s WHERE { GRAPH ?g { ?s a jg:ClaimedCount } }", s="s-report-count-30000")
    assert graph == [(REPORT, "s-report-count-30000")]


# ---------------------------------------------------------------- own words

OWN_TEXT = """SELECT ?x ?t WHERE { { ?x jg:summary ?t } UNION { ?x rdfs:comment ?t } UNION { ?x jg:timeNote ?t }
    UNION { ?x jg:action ?t } UNION { ?x jg:countOf ?t } }"""
WINDOW = 8


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.replace("’", "'").casefold())


@pytest.mark.skipif(not SEED.exists(), reason="the source report is not available here")
def test_no_sentence_of_the_report_is_copied(store):
    words = _words(SEED.read_text(encoding="utf-8"))
    report = {tuple(words[i:i + WINDOW]) for i in range(len(words) - WINDOW + 1)}
    texts = [t for x, t in select(store, OWN_TEXT) if "://" not in x]  # records, not ontology terms
    assert len(texts) > 300
    copied = []
    for text in texts:
        w = _words(text)
        copied += [(" ".join(w[i:i + WINDOW]), text) for i in range(len(w) - WINDOW + 1)
                   if tuple(w[i:i + WINDOW]) in report]
    assert copied == []


@pytest.mark.skipif(not SEED.exists(), reason="the source report is not available here")
def test_the_report_has_the_paragraphs_the_locators_count():
    lines = [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) == PARAGRAPHS
    assert "Hamid Nouri" in lines[98] and "Hajilouei" in lines[96]  # ¶99, ¶97


def test_counter_sanity():  # the coverage tables add up to the statement kinds
    kinds = Counter({k: v for k, v in ENTITIES.items() if k in (
        "Characterisation", "ClaimedCount", "CallToAction", "Accusation", "Observation", "Claim")})
    assert sum(kinds.values()) == sum(STATEMENTS_PER_SPEAKER.values())
    assert sum(v[3] for v in ASSERTED_PER_GRAPH.values()) == sum(kinds.values())
    assert sum(v[1] for v in ASSERTED_PER_GRAPH.values()) == ENTITIES["Participation"]
    assert sum(v[0] for v in ASSERTED_PER_GRAPH.values()) == ENTITIES["Event"]


# ---------------------------------------------------------------- the command line's stats


def test_stats_command_reports_the_guarded_counts(tmp_path):
    """`justicegraph stats` (what a curator runs) agrees with the tables above."""
    store = str(tmp_path / "store")
    runner = CliRunner()
    loaded = runner.invoke(main, ["--store", store, "load", str(dataset_dir("1988"))])
    assert loaded.exit_code == 0, loaded.output
    result = runner.invoke(main, ["--store", store, "stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    classes = {name.removeprefix("jg:"): n for name, n in stats["classes"].items()}
    assert {c: classes.get(c) for c in ENTITIES} == ENTITIES
    speakers = {s["speaker"].removeprefix(ID): s["statements"] for s in stats["speakers"]}
    assert speakers == STATEMENTS_PER_SPEAKER
    graphs = {_short(g) for g in stats["graphs"]}
    assert set(ASSERTED_PER_GRAPH) <= graphs
