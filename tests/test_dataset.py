"""The 1988 dataset (data/1988): it validates, nothing is silently dropped, attribution is
structural, locators point into the report, and the project's text is its own words.

The dataset is loaded once, WITH SHACL validation, into an in-memory store. The coverage
numbers below are the ones the dataset was built to; a change that adds records must update
them on purpose, a change that loses records fails here.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter

import pyoxigraph as ox
import pytest
import report_fingerprint as fingerprint
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
PARAGRAPHS = 103  # non-empty lines of the source report (tests/fixtures/report/fingerprint.json)
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
    assert result.records == 586


# ---------------------------------------------------------------- coverage

ENTITIES = {
    "Person": 50, "Collective": 23, "GovernmentBody": 9, "InternationalBody": 8, "PoliticalOrganization": 5,
    "Court": 2, "NonGovernmentalOrganization": 2, "Commission": 1,
    "Prison": 5, "Country": 8, "Settlement": 3, "Place": 1, "Document": 4,
    "Event": 85, "Participation": 157, "Position": 36, "Relationship": 21, "Source": 1, "Testimony": 20,
    "SourceNarration": 1,
    "Characterisation": 15, "ClaimedCount": 17, "ClaimedDuration": 11, "CallToAction": 18, "Accusation": 19,
    "Observation": 11, "Claim": 54,
}

STATEMENTS_PER_SPEAKER = {
    REPORT: 12, "maryam-rajavi": 20, "dominique-attias": 6, "geoffrey-robertson": 7, "theo-van-boven": 2,
    "kumi-naidoo": 7, "audronius-azubalis": 7, "eric-david": 5, "gulnara-shahinian": 4,
    "mehri-hajinejad": 10, "sima-mirzaei": 12, "franco-frattini": 6, "guy-verhofstadt": 6, "giulio-terzi": 8,
    "valeriu-ciuca": 3, "parvin-kouhi": 3, "khadijeh-ashtiani": 5, "javad-ahmadi": 2,
    "nezam-mir-mohammadi": 5, "azadali-hajilouei": 9, "abulfazl-mahzoon": 6,
}

# records asserted per graph: events, participations, positions, relationships, statements
ASSERTED_PER_GRAPH = {
    REPORT: (4, 35, 24, 6, 12), "t-rajavi": (4, 8, 0, 0, 20), "t-attias": (0, 0, 0, 0, 6),
    "t-robertson": (4, 4, 1, 0, 7), "t-van-boven": (0, 0, 2, 0, 2), "t-naidoo": (1, 1, 1, 0, 7),
    "t-azubalis": (0, 0, 0, 0, 7), "t-david": (0, 0, 0, 0, 5), "t-shahinian": (0, 0, 0, 0, 4),
    "t-hajinejad": (9, 24, 1, 4, 10), "t-mirzaei": (14, 17, 0, 9, 12), "t-frattini": (1, 1, 3, 0, 6),
    "t-verhofstadt": (0, 1, 0, 0, 6), "t-terzi": (0, 0, 1, 0, 8), "t-ciuca": (0, 0, 0, 0, 3),
    "t-kouhi": (4, 6, 0, 0, 3), "t-ashtiani": (8, 8, 0, 1, 5), "t-javad-ahmadi": (8, 10, 1, 1, 2),
    "t-mir-mohammadi": (5, 7, 1, 0, 5), "t-hajilouei": (12, 21, 1, 0, 9), "t-mahzoon": (11, 14, 0, 0, 6),
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
          VALUES ?c { jg:Participation jg:Position jg:Relationship jg:Characterisation jg:ClaimedCount
                      jg:ClaimedDuration jg:CallToAction jg:Accusation jg:Observation jg:Claim }
        } GROUP BY ?g ?c""")
    events = select(store, "SELECT ?g (COUNT(DISTINCT ?e) AS ?n) WHERE { GRAPH ?g { ?e jg:eventType ?t } } GROUP BY ?g")
    got: dict[str, list[int]] = {g: [0, 0, 0, 0, 0] for g in ASSERTED_PER_GRAPH}
    for g, n in events:
        got.setdefault(g, [0, 0, 0, 0, 0])[0] = int(n)
    column = {"Participation": 1, "Position": 2, "Relationship": 3}
    for g, c, n in rows:
        got.setdefault(g, [0, 0, 0, 0, 0])[column.get(c, 4)] += int(n)
    assert {g: tuple(v) for g, v in got.items()} == ASSERTED_PER_GRAPH


def test_family_relations_and_unnamed_people(store):
    relations = select(store, """SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?a ?p ?b }
        VALUES ?p { jg:siblingOf jg:parentOf jg:childOf jg:spouseOf jg:relativeOf } }""")
    assert relations == [("15",)]
    # each with its node (locator, mode) beside it, as are the six nationalities the captions give
    nodes = select(store, """SELECT ?p ?r ?l WHERE { GRAPH ?g { ?x a jg:Relationship ; jg:person ?p ;
        jg:relationType ?r ; jg:locator ?l ; jg:mode ?m ; jg:other ?o } }""")
    assert Counter(r.rsplit("/", 1)[-1] for _p, r, _l in nodes) == {"sibling": 12, "parent": 3, "nationality": 6}
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
    assert len(rows) == 37
    assert [e for e, note in rows if not note] == []


def test_the_report_own_voice_holds_its_figures(store):
    rows = select(store, """SELECT ?s WHERE { GRAPH ?g { ?s a jg:ClaimedCount ; jg:minimum 30000 } }""")
    assert rows == [("s-report-count-30000",)]
    graph = select(store, "SELECT ?g ?s WHERE { GRAPH ?g { ?s a jg:ClaimedCount } }", s="s-report-count-30000")
    assert graph == [(REPORT, "s-report-count-30000")]


# ---------------------------------------------------------------- how it was said (issue #16)

MODE = "https://w3id.org/justicegraph/vocab/mode/"
MODES = {"quotation": 348, "caption": 81, "paraphrase": 13, "derived": 2}
# What the report tells of Rajavi's speech in its own words (¶10, 12, 14, 16, 17, 19).
PARAPHRASES = {
    "s-rajavi-genocide": "¶10", "s-rajavi-count-gathering": "¶12", "s-rajavi-gathering": "¶12",
    "stockholm-rallies": "¶14", "stockholm-rallies--stockholm-protesters--protester": "¶14",
    "s-rajavi-rallies": "¶14", "massacre-1988--ruhollah-khomeini--decision-maker": "¶16",
    "massacre-1988--ali-khamenei--decision-maker": "¶16", "p-rajavi-raisi-executioner": "¶16",
    "s-rajavi-ordered": "¶16", "s-rajavi-count-thousands": "¶16", "s-rajavi-call-accountability": "¶17",
    "s-rajavi-call-visit": "¶19",
}


def test_every_asserted_record_has_one_mode(store):
    # a record of a testimony or the narration: a node with its record id there, or an
    # event's details (its id is identity, in the curated graph)
    rows = select(store, """SELECT ?x ?g (COUNT(DISTINCT ?m) AS ?n) (SAMPLE(?m) AS ?mode) WHERE {
        GRAPH ?g { { ?x jg:recordId ?id } UNION { ?x jg:eventType ?t } }
        ?g a ?kind VALUES ?kind { jg:Testimony jg:SourceNarration }
        OPTIONAL { GRAPH ?g { ?x jg:mode ?m } } } GROUP BY ?x ?g""")
    assert len(rows) == sum(MODES.values())
    assert [(x, g) for x, g, n, _m in rows if n != "1"] == []
    assert Counter(m.removeprefix(MODE) for *_x, m in rows) == MODES
    # a caption is the report's own voice; everything in a testimony is the speaker's
    assert {g for _x, g, _n, m in rows if m == MODE + "caption"} == {REPORT}
    assert REPORT not in {g for _x, g, _n, m in rows if m != MODE + "caption"}


def test_every_paraphrase_names_both_voices(store):
    rows = select(store, """SELECT ?x ?l ?speaker ?reporter WHERE { GRAPH ?g {
        ?x jg:mode <https://w3id.org/justicegraph/vocab/mode/paraphrase> ; jg:locator ?l ; jg:reportedBy ?reporter }
        ?g prov:wasAttributedTo ?speaker }""")
    assert {x: loc for x, loc, _s, _r in rows} == PARAPHRASES
    assert {(s, r) for _x, _l, s, r in rows} == {("maryam-rajavi", REPORT)}
    # statements name the speaker themselves too
    stated = select(store, """SELECT ?x ?who WHERE { ?x jg:mode <https://w3id.org/justicegraph/vocab/mode/paraphrase> ;
        jg:statedBy ?who }""")
    assert {who for _x, who in stated} == {"maryam-rajavi"} and len(stated) == 8
    # every quotation names its reporting source as well
    quoted = select(store, """SELECT ?x WHERE { GRAPH ?g { ?x jg:mode <https://w3id.org/justicegraph/vocab/mode/quotation> }
        FILTER NOT EXISTS { GRAPH ?g { ?x jg:reportedBy ?r } } }""")
    assert quoted == []


# Identity is what the curated graph, which has no speaker, may hold: types, names and record
# ids, the paragraph that first names the entity, the note on unnamed people, the description
# that identifies a person, body, place or document, the reference hierarchy of places and
# bodies (which Tehran, which UN office), a document's type, a source's bibliographic data.
IDENTITY = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#altLabel", "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#scopeNote", "http://www.w3.org/2000/01/rdf-schema#comment",
    "recordId", "locator", "locatedIn", "subOrganizationOf", "basedIn", "documentType", "accessLevel",  # jg:
    "http://purl.org/dc/terms/title", "http://purl.org/dc/terms/publisher", "http://purl.org/dc/terms/date",
    "http://purl.org/dc/terms/language",
}


def test_the_speakerless_graph_holds_identity_only(store):
    curated = MINTER.curated_graph("1988")
    rows = select(store, f"SELECT DISTINCT ?p WHERE {{ GRAPH <{curated}> {{ ?s ?p ?o }} }}")
    assert {p for (p,) in rows} - IDENTITY == set()
    # what the captions say of a person (nationality, posts, being a relative or a former
    # prisoner) is the report's, with its paragraph
    nationality = select(store, "SELECT ?p ?c ?g WHERE { GRAPH ?g { ?p jg:nationality ?c } }")
    assert set(nationality) == {("dominique-attias", "france", REPORT), ("eric-david", "belgium", REPORT),
                                ("gulnara-shahinian", "armenia", REPORT), ("mehri-hajinejad", "iran", REPORT),
                                ("parvin-kouhi", "iran", REPORT), ("khadijeh-ashtiani", "iran", REPORT)}
    # an event's description summarises one voice's account: it sits with that voice
    described = select(store, f"""SELECT ?e WHERE {{ GRAPH <{curated}> {{ ?e a jg:Event ; rdfs:comment ?c }} }}""")
    assert described == []


# Every quantity the report gives about a person or an event, with its speaker, locator, mode
# and typed value (counts: minimum, maximum and unit; durations: minimum and maximum
# xsd:duration and the events it is the length of, or the event it is the time since).
COUNTS = {
    "s-report-count-headline": (REPORT, "¶2–3", "caption", "1000", None, "person"),
    "s-report-count-30000": (REPORT, "¶4", "caption", "30000", None, "person"),
    "s-report-count-thousands": (REPORT, "¶5", "caption", "2000", None, "person"),
    "s-report-count-conference": (REPORT, "¶6", "caption", "1000", "1000", "person"),
    "s-report-count-survivors": (REPORT, "¶6", "caption", "24", None, "person"),
    "s-rajavi-count-several-thousand": ("maryam-rajavi", "¶11", "quotation", "3000", None, "person"),
    "s-rajavi-count-gathering": ("maryam-rajavi", "¶12", "paraphrase", "1000", "1000", "person"),
    "s-rajavi-count-thousands": ("maryam-rajavi", "¶16", "paraphrase", "2000", None, "person"),
    "s-hajinejad-count-siblings": ("mehri-hajinejad", "¶56", "quotation", "4", "4", "person"),
    "s-hajinejad-count-present": ("mehri-hajinejad", "¶56", "quotation", "1000", None, "person"),
    "s-hajinejad-count-statements": ("mehri-hajinejad", "¶57", "quotation", "2000", None, "document"),
    "s-mirzaei-count-killed": ("sima-mirzaei", "¶61", "derived", "4", None, "person"),
    "s-terzi-count-mek": ("giulio-terzi", "¶77", "quotation", "90", None, "percent"),
    "s-terzi-count-expecting": ("giulio-terzi", "¶79", "quotation", "2000", None, "person"),
    "s-kouhi-count-per-night": ("parvin-kouhi", "¶85", "quotation", None, "600", "person"),
    "s-hajilouei-count-thirty": ("azadali-hajilouei", "¶99", "quotation", "30", "30", "person"),
    "s-mahzoon-count-several": ("abulfazl-mahzoon", "¶103", "quotation", "3", None, "person"),
}
DURATIONS = {
    "s-report-years-since": (REPORT, "¶4", "caption", "P30Y", None, "since massacre-1988"),
    "s-rajavi-years-campaign": ("maryam-rajavi", "¶13", "quotation", "P33Y", "P33Y", "justice-campaign"),
    "s-mirzaei-torture-months": ("sima-mirzaei", "¶61", "quotation", "P3M", None, "khadijeh-mirzaei-torture"),
    "s-mirzaei-seven-years": ("sima-mirzaei", "¶61", "quotation", "P7Y", "P7Y",
                              "hossein-mirzaei-imprisonment mirzaei-brother-imprisonment mirzaei-sister-imprisonment"),
    "s-mirzaei-solitary-half": ("sima-mirzaei", "¶61", "derived", "P3Y6M", "P3Y6M", "hossein-mirzaei-solitary"),
    "s-mirzaei-years-since": ("sima-mirzaei", "¶63", "quotation", "P33Y", "P33Y", "since massacre-1988"),
    "s-ashtiani-years": ("khadijeh-ashtiani", "¶88", "quotation", "P5Y", "P5Y", "ashtiani-imprisonment"),
    # a duration is stored in its canonical form: "P18M" (the record's) reads back as P1Y6M
    "s-mir-mohammadi-months": ("nezam-mir-mohammadi", "¶95", "quotation", "P1Y6M", "P1Y6M", "mir-mohammadi-imprisonment"),
    "s-hajilouei-years": ("azadali-hajilouei", "¶99", "quotation", "P3Y", None, "hajilouei-imprisonment"),
    "s-hajilouei-solitary-days": ("azadali-hajilouei", "¶100", "quotation", "P20D", "P20D", "hajilouei-solitary-1988"),
    "s-mahzoon-sentence-length": ("abulfazl-mahzoon", "¶103", "quotation", "P10Y", "P10Y", "mahzoon-sentencing"),
}
AGES = {  # participation: age, speaker
    "ashtiani-brother-arrest--ashtiani-brother--detainee": ("19", "khadijeh-ashtiani"),
    "ashtiani-brother-execution-1988--ashtiani-brother--victim": ("19", "khadijeh-ashtiani"),
    "mirzaei-brother-arrest--mirzaei-brother-arrested-at-16--detainee": ("16", "sima-mirzaei"),
}


def test_every_quantity_is_a_typed_value_with_its_speaker(store):
    counts = select(store, """SELECT ?s ?who ?l ?m ?min ?max ?unit WHERE { GRAPH ?g { ?s a jg:ClaimedCount ;
        jg:statedBy ?who ; jg:locator ?l ; jg:mode ?m ; jg:unit ?unit
        OPTIONAL { ?s jg:minimum ?min } OPTIONAL { ?s jg:maximum ?max } } }""")
    assert {s: (who, loc, m.removeprefix(MODE), low, high, unit.rsplit("/", 1)[-1])
            for s, who, loc, m, low, high, unit in counts} == COUNTS
    durations = select(store, """SELECT ?s ?who ?l ?m ?min ?max (GROUP_CONCAT(?of; separator=" ") AS ?what) WHERE {
        GRAPH ?g { ?s a jg:ClaimedDuration ; jg:statedBy ?who ; jg:locator ?l ; jg:mode ?m
        OPTIONAL { ?s jg:minimumDuration ?min } OPTIONAL { ?s jg:maximumDuration ?max }
        { ?s jg:durationOf ?e BIND(STRAFTER(STR(?e), "/id/") AS ?of) }
        UNION { ?s jg:elapsedSince ?e BIND(CONCAT("since ", STRAFTER(STR(?e), "/id/")) AS ?of) } } }
        GROUP BY ?s ?who ?l ?m ?min ?max""")
    assert {s: (who, loc, m.removeprefix(MODE), low, high, " ".join(sorted(what.split(" ")))
                if not what.startswith("since") else what)
            for s, who, loc, m, low, high, what in durations} == DURATIONS
    typed = select(store, """SELECT DISTINCT ?dt WHERE { ?s jg:minimumDuration|jg:maximumDuration ?d BIND(DATATYPE(?d) AS ?dt) }""")
    assert typed == [("http://www.w3.org/2001/XMLSchema#duration",)]
    ages = select(store, """SELECT ?p ?age ?who WHERE { GRAPH ?g { ?p jg:ageAtEvent ?age } ?g prov:wasAttributedTo ?who }""")
    assert {p: (age, who) for p, age, who in ages} == AGES
    # a derived value says what it was worked out from
    derived = select(store, """SELECT ?s ?from WHERE { ?s jg:mode <https://w3id.org/justicegraph/vocab/mode/derived> ;
        prov:wasDerivedFrom ?from }""")
    assert set(derived) == {("s-mirzaei-solitary-half", "s-mirzaei-seven-years"),
                            ("s-mirzaei-count-killed", "s-mirzaei-khadijeh"),
                            ("s-mirzaei-count-killed", "s-mirzaei-executions")}


def test_documents_are_things_their_events_issue_or_act_on(store):
    rows = select(store, """SELECT ?d ?type ?event ?agent ?role ?who WHERE { ?d a jg:Document ; jg:documentType ?type .
        FILTER NOT EXISTS { ?d a jg:Source }
        OPTIONAL { GRAPH ?g { ?event jg:document ?d } ?g prov:wasAttributedTo ?who
                   OPTIONAL { GRAPH ?h { ?p jg:event ?event ; jg:agent ?agent ; jg:role ?role } } } }""")
    got = {(d, t.rsplit("/", 1)[-1], e, a, r and r.rsplit("/", 1)[-1], w) for d, t, e, a, r, w in rows}
    assert got == {
        ("khomeini-fatwa", "decree", "khomeini-fatwa-issued", "ruhollah-khomeini", "issuer", "maryam-rajavi"),
        ("genocide-convention", "treaty", "genocide-convention-ratification", "government-of-iran", "decision-maker",
         "geoffrey-robertson"),
        ("hajilouei-family-note", "letter", "hajilouei-false-notice", "hajilouei-jailers", "issuer", "azadali-hajilouei"),
        ("hajilouei-family-note", "letter", "hajilouei-false-notice", "hajilouei-family", "relative", "azadali-hajilouei"),
        ("iran-human-rights-dossier", "dossier", None, None, None, None),
    }
    # two voices say Khomeini issued the fatwa, each in their own graph
    issuers = select(store, """SELECT ?who ?event ?agent WHERE { GRAPH ?g { ?p jg:event ?event ;
        jg:role role:issuer ; jg:agent ?agent } ?g prov:wasAttributedTo ?who }""",
                     event="khomeini-fatwa-issued", agent="ruhollah-khomeini")
    assert {w for w, _e, _a in issuers} == {"maryam-rajavi", "geoffrey-robertson"}


# ---------------------------------------------------------------- own words

OWN_TEXT = """SELECT ?x ?t WHERE { { ?x jg:summary ?t } UNION { ?x rdfs:comment ?t } UNION { ?x jg:timeNote ?t }
    UNION { ?x jg:action ?t } UNION { ?x jg:countOf ?t } }"""


def test_no_sentence_of_the_report_is_copied(store):
    """No text of ours repeats eight words of the report in a row (the report's runs of words
    are known here only by their hashes: tests/report_fingerprint.py)."""
    report = set(fingerprint.load()["windows"])
    texts = [t for x, t in select(store, OWN_TEXT) if "://" not in x]  # records, not ontology terms
    assert len(texts) > 300
    copied = [text for text in texts if fingerprint.windows(text) & report]
    assert copied == []


def test_the_fingerprint_catches_a_copied_run():  # the check above can fail
    ours = "one two three four five six seven eight nine ten"
    report = fingerprint.windows("Before that, " + ours + ", and after.")
    assert fingerprint.windows("so: one two three four five six seven eight, it went") & report  # 8 in a row
    assert not fingerprint.windows("one two three four five six seven, then eight") & report  # 7 only
    assert len(fingerprint.load()["windows"]) > 3000  # every run of the report's ~3,200 words


def test_the_report_has_the_paragraphs_the_locators_count():
    found = fingerprint.load()
    assert found["paragraphs"] == PARAGRAPHS
    assert 99 in found["people"]["hamid-noury"] and 97 in found["people"]["azadali-hajilouei"]


def test_a_named_persons_first_mention_names_them():
    """Each named person's locator (their first mention) spans a paragraph where the report
    names them, in full or in part (relatives are often named by first name only)."""
    named = fingerprint.load()["people"]
    wrong = []
    with (dataset_dir("1988") / "people.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("unnamed") == "true" or not row.get("locator"):
                continue
            first, last = _span(row["locator"])
            if not any(first <= n <= last for n in named.get(row["id"], ())):
                wrong.append((row["id"], row["locator"], named.get(row["id"], "not in the fingerprint")))
    # a new person is "not in the fingerprint" until tests/report_fingerprint.py is run again
    assert len(named) >= 30 and wrong == []


def _span(locator: str) -> tuple[int, int]:
    match = LOCATOR.match(locator)
    return int(match[1]), int(match[2] or match[1])


def test_counter_sanity():  # the coverage tables add up to the statement kinds
    kinds = Counter({k: v for k, v in ENTITIES.items() if k in (
        "Characterisation", "ClaimedCount", "ClaimedDuration", "CallToAction", "Accusation", "Observation", "Claim")})
    assert sum(kinds.values()) == sum(STATEMENTS_PER_SPEAKER.values())
    assert sum(v[4] for v in ASSERTED_PER_GRAPH.values()) == sum(kinds.values())
    assert sum(v[3] for v in ASSERTED_PER_GRAPH.values()) == ENTITIES["Relationship"]
    assert sum(v[2] for v in ASSERTED_PER_GRAPH.values()) == ENTITIES["Position"]
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
