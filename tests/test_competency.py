"""Competency questions answered on the 1988 dataset (the questions were first written in the
project's competency-questions.md; each is restated here by its test, which reads nothing else).

Each saved query in queries/ runs through justicegraph.savedqueries — the same path the CLI
and the HTTP API take — against the packaged 1988 dataset loaded once into an in-memory
store. Every test checks the EXACT answer set (record ids, values), including who says it:
the expected sets are written out by hand from the source report, not computed from the
data, so a dropped, duplicated or misattributed record fails a test.
"""

from __future__ import annotations

import pytest
from stores import new_store

from justicegraph.loaders.pipeline import load
from justicegraph.namespaces import Minter
from justicegraph.resources import dataset_dir
from justicegraph.savedqueries import load_saved_queries

MINTER = Minter()
ID = MINTER.entity("")
VOCAB = "https://w3id.org/justicegraph/vocab/"
JG = "https://w3id.org/justicegraph/ontology#"
REPORT = "inn-live-report"


@pytest.fixture(scope="module")
def store():
    store = new_store()
    # SHACL validation of this dataset is tested in test_dataset.py; here it would only cost time.
    load(store, [dataset_dir("1988")], shacl=False)
    return store


@pytest.fixture(scope="module")
def queries():
    return load_saved_queries()


def short(term) -> str | None:
    """A record id, a vocabulary notation ('role/victim'), a class name, or a literal's text."""
    if term is None:
        return None
    value = term.value
    for prefix in (ID, VOCAB, JG):
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


def run(store, queries, query: str, /, **params) -> list[dict[str, str | None]]:
    results = queries[query].run(store, params, MINTER)
    names = [v.value for v in results.variables]
    return [{n: short(row[n]) for n in names} for row in results]


def rows_of(rows, *columns) -> set[tuple]:
    return {tuple(r[c] for c in columns) for r in rows}


def test_every_competency_question_has_a_saved_query(queries):
    tags = {tag for q in queries.values() for tag in q.tags}
    assert {f"cq{i}" for i in range(1, 16)} <= tags
    for name in (n for n in queries if n.startswith("cq")):
        assert queries[name].description and queries[name].title


# ---------------------------------------------------------------- CQ1, CQ2 prisons


def test_cq1_prisons_of_hajilouei_with_time_and_speaker(store, queries):
    rows = run(store, queries, "cq01-prisons-of-person")
    assert rows_of(rows, "prison", "event", "saidBy", "locator") == {
        ("evin-prison", "hajilouei-detention-evin", "azadali-hajilouei", "¶99"),
        ("gohardasht-prison", "hajilouei-detention-gohardasht", "azadali-hajilouei", "¶99"),
    }
    # the detentions themselves are undated; the imprisonment they belong to starts in 1984
    assert {r["enclosingTime"] for r in rows} == {"1984/.."}


@pytest.mark.parametrize("person, prisons", [
    ("abulfazl-mahzoon", {"evin-prison", "gohardasht-prison", "qazvin-prison"}),
    ("ashraf-ahmadi", {"evin-prison"}),
    ("khadijeh-ashtiani", {"evin-prison", "ghezelhesar-prison"}),
    ("parvin-kouhi", {"dastgerd-prison"}),
    ("sima-mirzaei", set()),
])
def test_cq1_prisons_of_other_people(store, queries, person, prisons):
    rows = run(store, queries, "cq01-prisons-of-person", person=person)
    assert {r["prison"] for r in rows} == prisons


def test_cq1_mahzoon_times_follow_his_account(store, queries):
    rows = run(store, queries, "cq01-prisons-of-person", person="abulfazl-mahzoon")
    assert rows_of(rows, "event", "prison", "time") == {
        ("mahzoon-detention-evin", "evin-prison", "1981/1986"),
        ("mahzoon-transfer-gohardasht-1986", "evin-prison", "1986"),
        ("mahzoon-transfer-gohardasht-1986", "gohardasht-prison", "1986"),
        ("mahzoon-detention-gohardasht", "gohardasht-prison", "1986/1987"),
        ("mahzoon-transfer-qazvin-1987", "gohardasht-prison", "1987"),
        ("mahzoon-transfer-qazvin-1987", "qazvin-prison", "1987"),
        ("mahzoon-detention-qazvin", "qazvin-prison", "1987/.."),
    }


def test_cq2_people_held_in_gohardasht_according_to_whom(store, queries):
    rows = run(store, queries, "cq02-people-in-prison")
    assert rows_of(rows, "agent", "event", "saidBy") == {
        ("azadali-hajilouei", "hajilouei-detention-gohardasht", "azadali-hajilouei"),
        ("abulfazl-mahzoon", "mahzoon-detention-gohardasht", "abulfazl-mahzoon"),
        ("abulfazl-mahzoon", "mahzoon-transfer-gohardasht-1986", "abulfazl-mahzoon"),
        ("abulfazl-mahzoon", "mahzoon-transfer-qazvin-1987", "abulfazl-mahzoon"),
        ("nezam-mir-mohammadi", "mir-mohammadi-detention-gohardasht", "nezam-mir-mohammadi"),
        ("qazvin-prisoners-taken-1988", "qazvin-transfer-1988", "abulfazl-mahzoon"),
        ("gohardasht-tortured-prisoners", "gohardasht-torture", "nezam-mir-mohammadi"),
    }


@pytest.mark.parametrize("prison, agents", [
    ("evin-prison", {"azadali-hajilouei", "khadijeh-ashtiani", "ashraf-ahmadi", "abulfazl-mahzoon",
                     "evin-transferred-prisoners-1988"}),
    ("ghezelhesar-prison", {"khadijeh-ashtiani"}),
    ("qazvin-prison", {"abulfazl-mahzoon", "qazvin-prisoners-taken-1988"}),
    ("dastgerd-prison", {"parvin-kouhi", "dastgerd-executed-prisoners"}),
])
def test_cq2_every_prison(store, queries, prison, agents):
    assert {r["agent"] for r in run(store, queries, "cq02-people-in-prison", prison=prison)} == agents


# ---------------------------------------------------------------- CQ3 testimony about a person

NOURY_STATEMENTS = {
    ("s-hajinejad-court", "Claim", "mehri-hajinejad", "¶56"),
    ("s-hajinejad-accusation", "Accusation", "mehri-hajinejad", "¶58"),
    ("s-ashtiani-noury", "Observation", "khadijeh-ashtiani", "¶88"),
    ("s-hajilouei-noury", "Observation", "azadali-hajilouei", "¶99"),
    ("s-hajilouei-noury-trial", "Claim", "azadali-hajilouei", "¶99"),
}


@pytest.mark.parametrize("name", ["Hamid Noury", "Hamid Nouri", "Hami Nouri", "hamid NOURI"])
def test_cq3_noury_under_every_spelling(store, queries, name):
    rows = run(store, queries, "cq03-testimony-about-person", name=name)
    assert {r["person"] for r in rows} == {"hamid-noury"}
    assert rows_of(rows, "statement", "kind", "speaker", "locator") == NOURY_STATEMENTS
    assert {r["source"] for r in rows} == {REPORT}


def test_cq3_what_they_saw_is_the_observations(store, queries):
    rows = run(store, queries, "cq03-testimony-about-person", name="Hamid Nouri")
    saw = {r["speaker"] for r in rows if r["kind"] == "Observation"}
    assert saw == {"khadijeh-ashtiani", "azadali-hajilouei"}


def test_cq3_namesakes_stay_apart_and_unknown_names_find_nothing(store, queries):
    rows = run(store, queries, "cq03-testimony-about-person", name="Khadijeh Mirzaei")
    assert {r["person"] for r in rows} == {"khadijeh-mirzaei"}
    assert {r["speaker"] for r in rows} == {"sima-mirzaei"}
    assert run(store, queries, "cq03-testimony-about-person", name="Khadijeh") == []


# ---------------------------------------------------------------- CQ4 characterisations


def test_cq4_exactly_who_said_genocide_and_who_crime_against_humanity(store, queries):
    rows = run(store, queries, "cq04-genocide-or-crime-against-humanity")
    assert rows_of(rows, "characterisation", "speaker", "locator") == {
        ("characterisation/genocide", "maryam-rajavi", "¶10"),
        ("characterisation/genocide", "geoffrey-robertson", "¶28–29"),
        ("characterisation/genocide", "kumi-naidoo", "¶37"),
        ("characterisation/genocide", "eric-david", "¶47"),
        ("characterisation/genocide", "mehri-hajinejad", "¶57"),
        ("characterisation/genocide", "guy-verhofstadt", "¶73"),
        ("characterisation/crime-against-humanity", "maryam-rajavi", "¶18"),
        ("characterisation/crime-against-humanity", "dominique-attias", "¶24"),
        ("characterisation/crime-against-humanity", "audronius-azubalis", "¶43"),
        ("characterisation/crime-against-humanity", "eric-david", "¶47"),
        ("characterisation/crime-against-humanity", "giulio-terzi", "¶78"),
    }


def test_cq21_the_report_itself_and_other_characterisations(store, queries):
    rows = run(store, queries, "cq21-all-characterisations")
    assert len(rows) == 15
    assert rows_of([r for r in rows if r["graphType"] == "SourceNarration"], "characterisation", "voice") == {
        ("characterisation/crime-against-humanity", REPORT)}
    assert rows_of([r for r in rows if r["characterisation"] in ("characterisation/planned",
                                                                   "characterisation/massacre")],
                   "characterisation", "voice") == {
        ("characterisation/planned", "guy-verhofstadt"), ("characterisation/planned", "khadijeh-ashtiani"),
        ("characterisation/massacre", "kumi-naidoo")}


# ---------------------------------------------------------------- CQ5 relatives killed


def test_cq5_relatives_of_sima_mirzaei_killed_when_and_how(store, queries):
    rows = run(store, queries, "cq05-relatives-killed")
    assert rows_of(rows, "relative", "relationship", "how", "time", "saidBy") == {
        ("khadijeh-mirzaei", "sibling", "event-type/death-in-custody", "1981/1982", "sima-mirzaei"),
        ("hossein-mirzaei", "sibling", "event-type/execution", "1988", "sima-mirzaei"),
        ("mirzaei-executed-brother", "sibling", "event-type/execution", "1988", "sima-mirzaei"),
        ("mirzaei-executed-sister", "sibling", "event-type/execution", "1988", "sima-mirzaei"),
    }
    assert {r["timeDerived"] for r in rows if r["relative"] == "khadijeh-mirzaei"} == {"true"}


@pytest.mark.parametrize("person, relatives", [
    ("mehri-hajinejad", {f"hajinejad-sibling-{i}" for i in range(1, 5)}),
    ("javad-ahmadi", {"ashraf-ahmadi"}),
    ("khadijeh-ashtiani", {"ashtiani-brother"}),
    ("ashraf-ahmadi", set()),
])
def test_cq5_other_families(store, queries, person, relatives):
    assert {r["relative"] for r in run(store, queries, "cq05-relatives-killed", person=person)} == relatives


def test_cq5_relations_are_read_from_either_side(store, queries):
    # Javad Ahmadi's relation is recorded from his side; asking from his sister's finds him.
    rows = run(store, queries, "cq20-relatives-of-person", person="ashraf-ahmadi")
    assert rows_of(rows, "relative", "relationship", "saidBy") == {("javad-ahmadi", "sibling", "javad-ahmadi")}
    rows = run(store, queries, "cq20-relatives-of-person", person="masoumeh-mirzaei-son")
    assert rows_of(rows, "relative", "relationship") == {("masoumeh-mirzaei", "parent")}


def test_cq20_family_of_sima_mirzaei(store, queries):
    rows = run(store, queries, "cq20-relatives-of-person")
    assert rows_of(rows, "relative", "relationship") == {
        ("mirzaei-father", "parent"), ("mirzaei-mother", "parent"),
        ("khadijeh-mirzaei", "sibling"), ("hossein-mirzaei", "sibling"), ("masoumeh-mirzaei", "sibling"),
        ("mirzaei-executed-brother", "sibling"), ("mirzaei-executed-sister", "sibling"),
        ("mirzaei-brother-arrested-at-16", "sibling"),
    }
    assert {r["saidBy"] for r in rows} == {"sima-mirzaei"}


# ---------------------------------------------------------------- CQ6 calls to action

CALLS = {
    "s-rajavi-call-accountability": ("maryam-rajavi", {"international-community"}),
    "s-rajavi-call-recognise": ("maryam-rajavi", {"government-of-the-united-states", "europe"}),
    "s-rajavi-call-raisi": ("maryam-rajavi", {"government-of-the-united-states", "europe"}),
    "s-rajavi-call-visit": ("maryam-rajavi", {"un-secretary-general", "un-high-commissioner-for-human-rights",
                                              "un-human-rights-council", "un-special-rapporteurs",
                                              "international-human-rights-organizations"}),
    "s-rajavi-call-security-council": ("maryam-rajavi", {"un-security-council"}),
    "s-van-boven-call-inquiry": ("theo-van-boven", {"united-nations"}),
    "s-naidoo-call-leadership": ("kumi-naidoo", {"european-union", "international-community"}),
    "s-azubalis-call-un": ("audronius-azubalis", {"united-nations"}),
    "s-azubalis-call-eu": ("audronius-azubalis", {"european-union"}),
    "s-david-call-courts": ("eric-david", {"international-courts"}),
    "s-shahinian-call-protect": ("gulnara-shahinian", {"states", "international-community"}),
    "s-shahinian-call-accountability": ("gulnara-shahinian", {"international-community"}),
    "s-frattini-call-investigation": ("franco-frattini", {"united-nations"}),
    "s-frattini-call-security-council": ("franco-frattini", {"un-security-council"}),
    "s-terzi-call-borrell": ("giulio-terzi", {"josep-borrell"}),
    "s-terzi-call-assertive": ("giulio-terzi", {"international-community", "european-union"}),
    "s-ciuca-call-investigation": ("valeriu-ciuca", {"international-community"}),
    "s-ciuca-call-iran": ("valeriu-ciuca", {"government-of-iran"}),
}


def test_cq6_who_called_on_whom(store, queries):
    rows = run(store, queries, "cq06-calls-to-action")
    expected = {(s, speaker, a) for s, (speaker, addressees) in CALLS.items() for a in addressees}
    assert rows_of(rows, "statement", "speaker", "addressee") == expected
    assert all(r["action"] and r["locator"] and r["source"] == REPORT for r in rows)
    un = {r["speaker"] for r in rows if r["addressee"] == "united-nations"}
    assert un == {"theo-van-boven", "audronius-azubalis", "franco-frattini"}


# ---------------------------------------------------------------- CQ7 accusations


def test_cq7_who_is_accused_of_the_massacre_and_by_whom(store, queries):
    rows = run(store, queries, "cq07-accused-of-massacre")
    by_accused: dict[str, set[str]] = {}
    for r in rows:
        by_accused.setdefault(r["accused"], set()).add(r["accuser"])
    assert by_accused == {
        "ebrahim-raisi": {REPORT, "maryam-rajavi", "dominique-attias", "geoffrey-robertson", "theo-van-boven",
                          "kumi-naidoo", "mehri-hajinejad"},
        "government-of-iran": {"maryam-rajavi", "dominique-attias", "kumi-naidoo", "audronius-azubalis",
                               "eric-david", "guy-verhofstadt", "giulio-terzi", "valeriu-ciuca",
                               "khadijeh-ashtiani", "javad-ahmadi"},
        "death-commission": {REPORT},
        "ali-khamenei": {"maryam-rajavi", "mehri-hajinejad"},
        "ruhollah-khomeini": {"maryam-rajavi"},
        "hamid-noury": {"mehri-hajinejad"},
    }
    kinds = {r["accused"]: r["accusedClass"] for r in rows}
    assert kinds["death-commission"] == "Commission" and kinds["hamid-noury"] == "Person"


def test_cq7_accusations_about_other_events(store, queries):
    rows = run(store, queries, "cq07-accused-of-massacre", event="lajevardi-threat")
    assert rows_of(rows, "accused", "accuser", "locator") == {("assadollah-lajevardi", "sima-mirzaei", "¶62")}


# ---------------------------------------------------------------- CQ8 positions


def test_cq8_positions_of_van_boven(store, queries):
    rows = run(store, queries, "cq08-positions-of-person")
    assert rows_of(rows, "title", "organization", "time", "saidBy", "locator") == {
        ("Director of the UN Division of Human Rights", "un-division-of-human-rights", "1977/1982", REPORT, "¶31"),
        ("UN Special Rapporteur on Torture", "un-special-rapporteurs", "2001/2004", REPORT, "¶31"),
    }
    assert [r["time"] for r in rows] == ["1977/1982", "2001/2004"]


@pytest.mark.parametrize("person, expected", [
    ("franco-frattini", {("Minister of Foreign Affairs", "government-of-italy", "2002/2004", REPORT),
                         ("Minister of Foreign Affairs", "government-of-italy", "2008/2011", REPORT)}),
    ("dominique-attias", {("President", "european-bars-federation", "2021-03/..", REPORT),
                          ("Lawyer", None, None, REPORT)}),
    ("audronius-azubalis", {("Minister of Foreign Affairs", "government-of-lithuania", "2010/2012", REPORT),
                            ("Member of Parliament", None, None, REPORT)}),
    ("ebrahim-raisi", {("Member of the Death Commission", "death-commission", None, REPORT),
                       ("President", "government-of-iran", "2021/..", REPORT),
                       ("Official of the judiciary", "iranian-judiciary", None, "theo-van-boven"),
                       ("President", "government-of-iran", None, "theo-van-boven"),  # ¶33 "the current president"
                       ("Head of the government", "government-of-iran", None, "kumi-naidoo")}),  # ¶39 "led by Raisi"
    ("iran-chief-justice-1988", {("Chief Justice", "iranian-judiciary", None, "geoffrey-robertson")}),
    ("the-shah", {("Shah (the ruler the security forces served)", "shahs-security-forces", None, "javad-ahmadi")}),
    ("azadali-hajilouei", {("Supporter of the MEK", "mek", None, "azadali-hajilouei")}),
    ("josep-borrell", {("EU High Representative", "european-union", None, "giulio-terzi")}),
])
def test_cq8_positions_of_others(store, queries, person, expected):
    rows = run(store, queries, "cq08-positions-of-person", person=person)
    assert rows_of(rows, "title", "organization", "time", "saidBy") == expected


# ---------------------------------------------------------------- CQ9 numbers


def test_cq9_claimed_victim_numbers_as_ranges_with_claimant(store, queries):
    rows = run(store, queries, "cq09-victim-counts")
    assert rows_of(rows, "statement", "minimum", "maximum", "wording", "claimant") == {
        ("s-report-count-30000", "30000", None, "over 30,000", REPORT),
        ("s-report-count-thousands", "2000", None, "thousands", REPORT),
        ("s-rajavi-count-several-thousand", "3000", None, "several thousand", "maryam-rajavi"),
        ("s-rajavi-count-thousands", "2000", None, "thousands upon thousands", "maryam-rajavi"),
        ("s-kouhi-count-per-night", None, "600", "up to 600 per night", "parvin-kouhi"),
        ("s-terzi-count-mek", "90", None, "over 90 percent", "giulio-terzi"),
        ("s-hajilouei-count-thirty", "30", "30", "thirty", "azadali-hajilouei"),
        ("s-hajinejad-count-siblings", "4", "4", "four", "mehri-hajinejad"),
        ("s-mahzoon-count-several", "3", None, "several", "abulfazl-mahzoon"),
        # worked out from Sima Mirzaei's account (mode derived): Khadijeh, brothers, a sister
        ("s-mirzaei-count-killed", "4", None, "my sister Khadijeh; my brothers and sister", "sima-mirzaei"),
    }
    assert rows[0]["statement"] == "s-report-count-30000"  # largest first


# ---------------------------------------------------------------- CQ10 former prisoners


def test_cq10_former_political_prisoners_who_spoke(store, queries):
    rows = run(store, queries, "cq10-former-prisoners-speaking")
    assert {r["speaker"] for r in rows} == {
        "mehri-hajinejad", "parvin-kouhi", "khadijeh-ashtiani", "javad-ahmadi", "nezam-mir-mohammadi",
        "azadali-hajilouei", "abulfazl-mahzoon"}
    evidence = {r["speaker"]: r["evidence"] for r in rows}
    # Javad Ahmadi says nothing of his own imprisonment: only the report's caption does.
    assert evidence["javad-ahmadi"] == "inn-live-report ¶89–90: javad-ahmadi-imprisonment"
    assert "inn-live-report ¶97–98: hajilouei-imprisonment" in evidence["azadali-hajilouei"]
    assert "azadali-hajilouei ¶99: hajilouei-detention-evin" in evidence["azadali-hajilouei"]


# ---------------------------------------------------------------- CQ11 arrests


def test_cq11_who_was_arrested_and_when(store, queries):
    rows = run(store, queries, "cq11-arrests")
    assert rows_of(rows, "person", "event", "time", "year", "saidBy") == {
        ("khadijeh-mirzaei", "khadijeh-mirzaei-arrest-1981", "1981", "1981", "sima-mirzaei"),
        ("mirzaei-brother-arrested-at-16", "mirzaei-brother-arrest", None, None, "sima-mirzaei"),
        ("ashtiani-brother", "ashtiani-brother-arrest", None, None, "khadijeh-ashtiani"),
        ("ashraf-ahmadi", "ashraf-ahmadi-arrest-shah", "../1979", None, "javad-ahmadi"),
        ("ashraf-ahmadi", "ashraf-ahmadi-arrest-1981", "1981", "1981", "javad-ahmadi"),
        ("nezam-mir-mohammadi", "mir-mohammadi-arrest", None, None, "nezam-mir-mohammadi"),
        ("mek-members-defended-by-mir-mohammadi", "mek-members-arrests", None, None, "nezam-mir-mohammadi"),
        ("azadali-hajilouei", "hajilouei-arrest-1984", "1984", "1984", "azadali-hajilouei"),
        ("abulfazl-mahzoon", "mahzoon-arrest-1981", "1981", "1981", "abulfazl-mahzoon"),
    }


# ---------------------------------------------------------------- CQ12 trial


def test_cq12_where_and_by_which_court_noury_is_tried(store, queries):
    rows = run(store, queries, "cq12-trial-of-person")
    assert rows_of(rows, "trial", "place", "court", "courtSeat", "saidBy", "locator") == {
        ("noury-trial", "sweden", "swedish-court", "stockholm", "mehri-hajinejad", "¶56"),
        ("noury-trial", "sweden", "swedish-court", "stockholm", "azadali-hajilouei", "¶99"),
    }
    assert run(store, queries, "cq12-trial-of-person", person="ebrahim-raisi") == []


# ---------------------------------------------------------------- CQ13 timeline


def test_cq13_timeline_of_ashraf_ahmadi_in_order(store, queries):
    rows = run(store, queries, "cq13-timeline-of-person")
    order = [r["event"] for r in rows]
    # events with the same span may come in either order; the groups must follow each other
    groups = [
        {"ashraf-ahmadi-arrest-shah", "ashraf-ahmadi-torture-shah"},
        {"ashraf-ahmadi-release-1979"},
        {"ashraf-ahmadi-arrest-1981"},
        {"ashraf-ahmadi-transfer-evin", "ashraf-ahmadi-detention-evin", "ashraf-ahmadi-torture-evin"},
        {"ashraf-ahmadi-execution-1988"},
    ]
    assert len(order) == sum(map(len, groups))
    position = 0
    for group in groups:
        assert set(order[position:position + len(group)]) == group
        position += len(group)
    assert {r["saidBy"] for r in rows} == {"javad-ahmadi"}
    derived = {r["event"] for r in rows if r["timeDerived"] == "true"}
    assert derived == {"ashraf-ahmadi-arrest-shah", "ashraf-ahmadi-torture-shah", "ashraf-ahmadi-transfer-evin",
                       "ashraf-ahmadi-detention-evin", "ashraf-ahmadi-torture-evin"}


def test_cq13_timeline_puts_undated_events_last(store, queries):
    rows = run(store, queries, "cq13-timeline-of-person", person="azadali-hajilouei")
    times = [r["time"] for r in rows]
    assert times[0] == "1984" and times[-1] is None
    assert rows_of(rows, "event", "role") >= {("massacre-1988", "role/survivor"),
                                              ("conference-2021", "role/speaker"),
                                              ("hajilouei-hearing-1988", "role/detainee")}


# ---------------------------------------------------------------- CQ14 statements by speaker

RAJAVI = {"s-rajavi-un-informed", "s-rajavi-genocide", "s-rajavi-fatwa", "s-rajavi-generation",
          "s-rajavi-count-several-thousand", "s-rajavi-count-gathering", "s-rajavi-gathering", "s-rajavi-witnesses",
          "s-rajavi-years-campaign", "s-rajavi-rallies",
          "s-rajavi-denial", "s-rajavi-identity", "s-rajavi-ordered", "s-rajavi-count-thousands",
          "s-rajavi-call-accountability", "s-rajavi-call-recognise", "s-rajavi-cah", "s-rajavi-call-raisi",
          "s-rajavi-call-visit", "s-rajavi-call-security-council"}


def test_cq14_statements_of_rajavi_and_about_whom(store, queries):
    rows = run(store, queries, "cq14-statements-by-speaker")
    assert {r["statement"] for r in rows} == RAJAVI
    assert {r["speaker"] for r in rows} == {"maryam-rajavi"}
    ordered = {r["accused"] for r in rows if r["statement"] == "s-rajavi-ordered"}
    assert ordered == {"ruhollah-khomeini", "ali-khamenei", "ebrahim-raisi"}
    assert {r["about"] for r in rows if r["statement"] == "s-rajavi-call-raisi"} == {"ebrahim-raisi", "massacre-1988"}


@pytest.mark.parametrize("speaker, statements", [
    ("azadali-hajilouei", {"s-hajilouei-death-commission", "s-hajilouei-noury", "s-hajilouei-count-thirty",
                           "s-hajilouei-noury-trial", "s-hajilouei-prosecutor", "s-hajilouei-solitary-guard",
                           "s-hajilouei-false-notice", "s-hajilouei-years", "s-hajilouei-solitary-days"}),
    ("theo-van-boven", {"s-van-boven-raisi", "s-van-boven-call-inquiry"}),
    (REPORT, {"s-report-headline", "s-report-count-headline", "s-report-count-30000", "s-report-cah",
              "s-report-impunity", "s-report-accusation-death-commission", "s-report-count-thousands",
              "s-report-mek-majority", "s-report-count-conference", "s-report-count-survivors",
              "s-report-conference-aim", "s-report-years-since"}),
])
def test_cq14_other_speakers(store, queries, speaker, statements):
    rows = run(store, queries, "cq14-statements-by-speaker", speaker=speaker)
    assert {r["statement"] for r in rows} == statements


# ---------------------------------------------------------------- CQ15 corroboration


def test_cq15_statements_made_by_more_than_one_voice(store, queries):
    rows = run(store, queries, "cq15-corroborated-statements")
    got = {(r["kind"], r["about"], r["point"]): int(r["voices"]) for r in rows}
    assert got == {
        ("Accusation", "massacre-1988", "government-of-iran"): 10,
        ("Accusation", "massacre-1988", "ebrahim-raisi"): 7,
        ("Accusation", "massacre-1988", "ali-khamenei"): 2,
        ("Characterisation", "massacre-1988", "characterisation/genocide"): 6,
        ("Characterisation", "massacre-1988", "characterisation/crime-against-humanity"): 6,
        ("Characterisation", "massacre-1988", "characterisation/planned"): 2,
        ("CallToAction", "massacre-1988", "international-community"): 4,
        ("CallToAction", "massacre-1988", "united-nations"): 3,
        ("CallToAction", "massacre-1988", "european-union"): 2,
        ("CallToAction", "government-of-iran", "european-union"): 2,
        ("Observation", "hamid-noury", "hamid-noury"): 2,
    }
    speakers = {(r["kind"], r["point"]): r["speakers"] for r in rows}
    noury = set(speakers[("Observation", "hamid-noury")].split(" | "))
    assert noury == {"Azadali Hajilouei (¶99)", "Khadijeh Ashtiani (¶88)"}
    khamenei = set(speakers[("Accusation", "ali-khamenei")].split(" | "))
    assert khamenei == {"Maryam Rajavi (¶16)", "Mehri Hajinejad (¶58)"}


# ---------------------------------------------------------------- further questions


def test_cq16_everyone_killed_or_died_in_custody(store, queries):
    rows = run(store, queries, "cq16-deaths")
    assert rows_of(rows, "victim", "how", "partOf", "saidBy") == {
        ("khadijeh-mirzaei", "event-type/death-in-custody", None, "sima-mirzaei"),
        ("hossein-mirzaei", "event-type/execution", "massacre-1988", "sima-mirzaei"),
        ("mirzaei-executed-brother", "event-type/execution", "massacre-1988", "sima-mirzaei"),
        ("mirzaei-executed-sister", "event-type/execution", "massacre-1988", "sima-mirzaei"),
        ("ashraf-ahmadi", "event-type/execution", "massacre-1988", "javad-ahmadi"),
        ("ashtiani-brother", "event-type/execution", "massacre-1988", "khadijeh-ashtiani"),
        ("dastgerd-executed-prisoners", "event-type/execution", "massacre-1988", "parvin-kouhi"),
        ("qazvin-prisoners-taken-1988", "event-type/execution", "massacre-1988", "abulfazl-mahzoon"),
        ("thirty-named-prisoners", "event-type/execution", "massacre-1988", "azadali-hajilouei"),
        *{(f"hajinejad-sibling-{i}", "event-type/execution", None, "mehri-hajinejad") for i in range(1, 5)},
    }


def test_cq17_events_certainly_in_a_year(store, queries):
    def certain(year):
        rows = run(store, queries, "cq17-events-in-year", year=str(year))
        return {r["event"] for r in rows if r["certain"] == "true"}, {r["event"] for r in rows}

    sure, overlapping = certain(1986)
    assert sure == {"mahzoon-transfer-gohardasht-1986"}
    assert {"mahzoon-detention-evin", "mahzoon-detention-gohardasht", "hajilouei-imprisonment",
            "executions-1980s"} <= overlapping
    sure, _ = certain(1987)
    assert sure == {"mahzoon-transfer-qazvin-1987"}
    sure, _ = certain(2021)
    assert sure == {"raisi-selection-2021", "conference-2021", "stockholm-rallies", "noury-trial"}
    sure, _ = certain(1956)
    assert sure == {"genocide-convention-ratification"}
    sure, overlapping = certain(1988)
    assert len(sure) == 26 and "massacre-1988" in sure and "noury-roll-call-1988" in sure and "ashraf-ahmadi-detention-evin" in overlapping - sure


def test_cq18_all_names_of_an_entity(store, queries):
    rows = run(store, queries, "cq18-names-of-entity")
    assert rows_of(rows, "name", "preferred") == {("Hamid Noury", "true"), ("Hamid Nouri", "false"),
                                                  ("Hami Nouri", "false")}
    rows = run(store, queries, "cq18-names-of-entity", entity="mek")
    assert {r["name"] for r in rows} == {"Mujahedin-e Khalq", "MEK", "PMOI", "PMOI/MEK", "Mojahedin"}


def test_cq19_sources_and_testimonies_with_locators(store, queries):
    rows = run(store, queries, "cq19-sources-and-testimonies")
    assert {r["publisher"] for r in rows} == {"Iran News Now"}
    assert {r["date"] for r in rows} == {"2023-03-24"}
    testimonies = {r["speaker"]: r["locator"] for r in rows if r["graphType"] == "Testimony"}
    assert len(testimonies) == 20
    assert testimonies["maryam-rajavi"] == "¶7–20" and testimonies["abulfazl-mahzoon"] == "¶101–103"
    assert rows_of([r for r in rows if r["graphType"] == "SourceNarration"], "speaker") == {(REPORT,)}


def test_cq22_who_held_posts_in_the_un_and_its_bodies(store, queries):
    rows = run(store, queries, "cq22-people-in-organization")
    assert rows_of(rows, "body", "person", "time", "saidBy") == {
        ("un-division-of-human-rights", "theo-van-boven", "1977/1982", REPORT),
        ("un-special-rapporteurs", "theo-van-boven", "2001/2004", REPORT),
        ("un-special-rapporteurs", "gulnara-shahinian", "2008/2014", REPORT),
    }
    rows = run(store, queries, "cq22-people-in-organization", organization="government-of-italy")
    assert rows_of(rows, "person", "time") == {("franco-frattini", "2002/2004"), ("franco-frattini", "2008/2011"),
                                               ("giulio-terzi", "2011/2013")}
    rows = run(store, queries, "cq22-people-in-organization", organization="death-commission")
    assert rows_of(rows, "person", "role", "saidBy") == {("ebrahim-raisi", "role/member", REPORT)}


def test_cq23_what_happened_at_a_place_and_inside_it(store, queries):
    rows = run(store, queries, "cq23-events-at-place")
    assert {r["event"] for r in rows} == {
        "hajilouei-detention-evin", "ashtiani-detention-evin", "mahzoon-detention-evin", "ashraf-ahmadi-detention-evin",
        "ashraf-ahmadi-torture-evin", "ashraf-ahmadi-transfer-evin", "mahzoon-transfer-gohardasht-1986",
        "evin-transfers-1988"}
    rows = run(store, queries, "cq23-events-at-place", place="sweden")
    assert rows_of(rows, "event", "where", "saidBy") == {("noury-trial", "sweden", "mehri-hajinejad"),
                                                         ("stockholm-rallies", "stockholm", "maryam-rajavi")}


# ---------------------------------------------------------------- how it was said, how much, documents (issue #16)


def test_every_saved_query_answer_shows_the_mode(store, queries):
    """Each answer says how the source gives what it reports (quotation, paraphrase, caption,
    derived). Names (cq18) are identity, which has no voice and so no mode; so is a document
    no event acts on (its row holds identity only)."""
    for name, query in sorted(queries.items()):
        results = query.run(store, {}, MINTER)
        names = [v.value for v in results.variables]
        rows = [{n: short(r[n]) for n in names} for r in results]
        if name == "cq18-names-of-entity":
            assert "mode" not in names
            continue
        assert "mode" in names, name
        said = [r for r in rows if not (name == "documents" and r["event"] is None)]
        assert all(r["mode"] for r in said), (name, [r for r in said if not r["mode"]][:2])


def test_cq4_cq6_cq14_say_which_words_are_the_report_s_paraphrase(store, queries):
    rows = run(store, queries, "cq04-genocide-or-crime-against-humanity")
    assert {(r["speaker"], r["locator"]) for r in rows if r["mode"] == "mode/paraphrase"} == {("maryam-rajavi", "¶10")}
    rows = run(store, queries, "cq06-calls-to-action")
    assert {r["statement"] for r in rows if r["mode"] == "mode/paraphrase"} == {
        "s-rajavi-call-accountability", "s-rajavi-call-visit"}
    rows = run(store, queries, "cq14-statements-by-speaker")
    paraphrased = {r["statement"]: r["reportedBy"] for r in rows if r["mode"] == "mode/paraphrase"}
    assert set(paraphrased) == {"s-rajavi-genocide", "s-rajavi-count-gathering", "s-rajavi-gathering",
                                "s-rajavi-rallies", "s-rajavi-ordered", "s-rajavi-count-thousands",
                                "s-rajavi-call-accountability", "s-rajavi-call-visit"}
    assert set(paraphrased.values()) == {REPORT}
    rows = run(store, queries, "cq09-victim-counts")
    assert {r["statement"]: (r["mode"], r["unit"]) for r in rows if r["mode"] != "mode/quotation"} == {
        "s-report-count-30000": ("mode/caption", "unit/person"),
        "s-report-count-thousands": ("mode/caption", "unit/person"),
        "s-rajavi-count-thousands": ("mode/paraphrase", "unit/person"),
        "s-mirzaei-count-killed": ("mode/derived", "unit/person")}


def test_cq20_a_family_tie_has_its_locator_and_mode(store, queries):
    rows = run(store, queries, "cq20-relatives-of-person")
    assert {(r["relative"], r["locator"], r["mode"]) for r in rows} == {
        ("mirzaei-father", "¶62", "mode/quotation"), ("mirzaei-mother", "¶62", "mode/quotation"),
        ("khadijeh-mirzaei", "¶61", "mode/quotation"), ("hossein-mirzaei", "¶61", "mode/quotation"),
        ("masoumeh-mirzaei", "¶61", "mode/quotation"), ("mirzaei-executed-brother", "¶61", "mode/quotation"),
        ("mirzaei-executed-sister", "¶61", "mode/quotation"), ("mirzaei-brother-arrested-at-16", "¶62", "mode/quotation"),
    }


def test_durations_of_imprisonment_by_person_longest_first(store, queries):
    rows = run(store, queries, "durations-of-imprisonment")
    assert [(r["person"], r["event"], r["minimum"], r["maximum"], r["saidBy"], r["mode"], r["locator"]) for r in rows] == [
        ("hossein-mirzaei", "hossein-mirzaei-imprisonment", "P7Y", "P7Y", "sima-mirzaei", "mode/quotation", "¶61"),
        ("mirzaei-executed-brother", "mirzaei-brother-imprisonment", "P7Y", "P7Y", "sima-mirzaei", "mode/quotation", "¶61"),
        ("mirzaei-executed-sister", "mirzaei-sister-imprisonment", "P7Y", "P7Y", "sima-mirzaei", "mode/quotation", "¶61"),
        ("khadijeh-ashtiani", "ashtiani-imprisonment", "P5Y", "P5Y", "khadijeh-ashtiani", "mode/quotation", "¶88"),
        # half of his seven years: worked out by the editors
        ("hossein-mirzaei", "hossein-mirzaei-solitary", "P3Y6M", "P3Y6M", "sima-mirzaei", "mode/derived", "¶61"),
        ("azadali-hajilouei", "hajilouei-imprisonment", "P3Y", None, "azadali-hajilouei", "mode/quotation", "¶99"),
        ("nezam-mir-mohammadi", "mir-mohammadi-imprisonment", "P1Y6M", "P1Y6M", "nezam-mir-mohammadi",
         "mode/quotation", "¶95"),
        ("azadali-hajilouei", "hajilouei-solitary-1988", "P20D", "P20D", "azadali-hajilouei", "mode/quotation", "¶100"),
    ]


def test_sentences_handed_down(store, queries):
    rows = run(store, queries, "sentences")
    assert rows_of(rows, "person", "sentencing", "minimum", "maximum", "wording", "by", "saidBy", "mode", "locator") == {
        ("abulfazl-mahzoon", "mahzoon-sentencing", "P10Y", "P10Y", "ten years behind bars", None, "abulfazl-mahzoon",
         "mode/quotation", "¶103")}


def test_documents_and_who_issued_them(store, queries):
    rows = run(store, queries, "documents")
    assert rows_of(rows, "document", "type", "event", "agent", "role", "saidBy", "mode", "locator") == {
        ("khomeini-fatwa", "document-type/decree", "khomeini-fatwa-issued", "ruhollah-khomeini", "role/issuer",
         "maryam-rajavi", "mode/quotation", "¶11"),
        ("khomeini-fatwa", "document-type/decree", "khomeini-fatwa-issued", "ruhollah-khomeini", "role/issuer",
         "geoffrey-robertson", "mode/quotation", "¶28"),
        ("genocide-convention", "document-type/treaty", "genocide-convention-ratification", "government-of-iran",
         "role/decision-maker", "geoffrey-robertson", "mode/quotation", "¶29"),
        ("hajilouei-family-note", "document-type/letter", "hajilouei-false-notice", "hajilouei-jailers", "role/issuer",
         "azadali-hajilouei", "mode/quotation", "¶100"),
        ("hajilouei-family-note", "document-type/letter", "hajilouei-false-notice", "hajilouei-family", "role/relative",
         "azadali-hajilouei", "mode/quotation", "¶100"),
        # named by Rajavi (¶20) as what should go before the Security Council; no event acts on it
        ("iran-human-rights-dossier", "document-type/dossier", None, None, None, None, None, None),
    }


@pytest.mark.parametrize("mode, expected", [
    ("paraphrase", {"s-rajavi-genocide", "s-rajavi-count-gathering", "s-rajavi-gathering", "s-rajavi-rallies",
                    "s-rajavi-ordered", "s-rajavi-count-thousands", "s-rajavi-call-accountability",
                    "s-rajavi-call-visit"}),
    ("derived", {"s-mirzaei-solitary-half", "s-mirzaei-count-killed"}),
])
def test_statements_by_mode(store, queries, mode, expected):
    rows = run(store, queries, "statements-by-mode", mode=mode)
    assert {r["statement"] for r in rows} == expected
    assert {r["mode"] for r in rows} == {mode}
    if mode == "paraphrase":  # both voices
        assert {(r["speaker"], r["reportedBy"]) for r in rows} == {("maryam-rajavi", REPORT)}
    else:  # what it was worked out from
        assert {(r["statement"], r["derivedFrom"]) for r in rows} == {
            ("s-mirzaei-solitary-half", "s-mirzaei-seven-years"), ("s-mirzaei-count-killed", "s-mirzaei-khadijeh"),
            ("s-mirzaei-count-killed", "s-mirzaei-executions")}
    captions = run(store, queries, "statements-by-mode", mode="caption")
    assert {r["speaker"] for r in captions} == {REPORT} and not any(r["reportedBy"] for r in captions)
