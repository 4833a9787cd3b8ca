"""Name search: folding, ranking, access levels and index freshness."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from test_pages_fixture import AUTH, BASE, SECRETS, app, client, store  # noqa: F401

from justicegraph.server.content.search import SearchIndex, compact, fold, norm


def key(text: str) -> str:
    return fold(compact(norm(text)))


@pytest.mark.parametrize("a, b", [
    ("Noury", "Nouri"), ("Ghezelhesar", "Ghezel Hesar"), ("Ghezel-Hesar", "Qezelhesar"),
    ("Hajilouei", "Hajilooei"), ("Khavaran", "Havaran"), ("Mohammad", "Mohamad"),
    ("Ažubalis", "Azubalis"), ("ÉVIN", "evin"), ("Rajaei  Shahr", "rajaei shahr"),
    ("حميد نوري", "حمید نوری"),            # Arabic yeh → Persian yeh
    ("كريم", "کریم"),                      # Arabic kaf → Persian kaf
    ("می\u200cخواهم", "میخواهم"),          # ZWNJ removed
    ("مُحَمَّد", "محمد"),                  # harakat removed
])
def test_spelling_variants_fold_to_one_key(a, b):
    assert key(a) == key(b)


@pytest.mark.parametrize("a, b", [("Noury", "Raisi"), ("Evin", "Gohardasht"), ("Hamid", "Hadi")])
def test_different_names_stay_different(a, b):
    assert key(a) != key(b)


def rows():
    people = [("p1", "Hamid Noury", ["Hamid Nouri"]), ("p2", "Hamideh Example", []),
              ("p3", "Ghezelhesar Prison", ["Ghezel Hesar Prison"]), ("p4", "Mahmoud Hamid", []),
              ("p5", "Azadali Hajilouei", [])]
    for iri, pref, alts in people:
        yield iri, pref, "en", True, "https://w3id.org/justicegraph/ontology#Person"
        for alt in alts:
            yield iri, alt, "en", False, None


def test_ranking_exact_before_prefix_before_word_before_fuzzy():
    index = SearchIndex.build(rows())
    hits = index.search("hamid")
    assert [h["iri"] for h in hits[:3]] == ["p1", "p2", "p4"]
    assert [h["match"] for h in hits[:3]] == ["prefix", "prefix", "word"]
    assert index.search("Hamid Noury")[0]["match"] == "exact"
    assert index.search("hamid nouri")[0] == {**index.search("hamid nouri")[0], "iri": "p1", "match": "exact",
                                              "matched": "Hamid Nouri", "label": "Hamid Noury"}


def test_transliteration_and_fuzzy_tiers():
    index = SearchIndex.build(rows())
    folded = index.search("Hamid Nuri")
    assert folded[0]["iri"] == "p1" and folded[0]["match"] == "folded"
    assert index.search("Qezel Hesar")[0]["iri"] == "p3"
    fuzzy = index.search("Hajilowei")  # one letter off after folding
    assert fuzzy and fuzzy[0]["iri"] == "p5" and fuzzy[0]["match"] == "fuzzy"
    assert index.search("zzzzzz") == []
    assert index.search("  ,;  ") == []


def test_api_search_finds_every_spelling(client):  # noqa: F811
    for q in ("Nouri", "noury", "HAMID NOURI", "Hamid Nuri", "حمید نوری", "Abbasi"):
        results = client.get("/api/search", query_string={"q": q}).get_json()["results"]
        assert results and results[0]["iri"] == BASE + "id/hamid-noury", q
        assert results[0]["href"] == "/id/hamid-noury"
        assert results[0]["label"] == "Hamid Noury", q  # the preferred name, whichever spelling matched
    for q in ("Ghezel Hesar", "ghezelhesar", "Qezelhesar prison"):
        assert client.get("/api/search", query_string={"q": q}).get_json()["results"][0]["iri"] == \
            BASE + "id/ghezelhesar-prison", q
    assert client.get("/api/search?q=Hajilooei").get_json()["results"][0]["iri"] == BASE + "id/azadali-hajilouei"


def test_api_search_type_filter_and_errors(client):  # noqa: F811
    only_prisons = client.get("/api/search?q=prison&type=Prison").get_json()["results"]
    assert {h["iri"] for h in only_prisons} == {BASE + "id/gohardasht-prison", BASE + "id/ghezelhesar-prison"}
    assert client.get("/api/search?q=%C2%A8,;").get_json()["results"] == []  # nothing left to look for
    for bad in ("/api/search", "/api/search?q=", "/api/search?q=x&limit=0", "/api/search?q=x&limit=many",
                "/api/search?q=x&type=a:b"):
        response = client.get(bad)
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["status"] == 400


def test_restricted_labels_only_with_the_read_token(client):  # noqa: F811
    for q in ("Hidden Witness Zarbaf", "Zarbaf", "Nourzad"):
        assert client.get("/api/search", query_string={"q": q}).get_json()["results"] == [], q
    with_token = client.get("/api/search?q=Zarbaf", headers=AUTH).get_json()["results"]
    assert [h["iri"] for h in with_token] == [BASE + "id/secret-witness"]
    # …and the anonymous index did not learn it meanwhile
    assert client.get("/api/search?q=Zarbaf").get_json()["results"] == []
    page = client.get("/search?q=Nourzad").get_data(as_text=True)
    assert not any(secret in page for secret in SECRETS)


def test_index_is_built_once_and_rebuilt_after_a_change(app, client, store):  # noqa: F811
    calls = []
    import justicegraph.server.content.search as search

    original = search.SearchIndex.build.__func__  # (the home page's counts are cached alongside)

    def counting(cls, rows):
        calls.append(1)
        return original(cls, rows)

    search.SearchIndex.build = classmethod(counting)
    try:
        client.get("/api/search?q=noury")
        client.get("/api/search?q=evin")
        assert len(calls) == 1
        person = ox.NamedNode(BASE + "id/new-person")
        graph = ox.NamedNode(BASE + "graph/curated/extra")
        label = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
        store.apply(insert=[ox.Quad(person, label, ox.Literal("Parvaneh Newname", language="en"), graph)])
        app.extensions["justicegraph.search"].bump()  # what a write through this process does
        found = client.get("/api/search?q=Parvaneh").get_json()["results"]
        assert [h["iri"] for h in found] == [person.value]
        assert len(calls) == 2
    finally:
        search.SearchIndex.build = classmethod(original)


def test_write_through_another_process_is_seen_after_the_recheck_interval(app, client, store):  # noqa: F811
    indexes = app.extensions["justicegraph.search"]
    indexes.recheck = 0  # check the store's fingerprint on every request
    client.get("/api/search?q=noury")
    person = ox.NamedNode(BASE + "id/another")
    store.apply(insert=[ox.Quad(person, ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel"),
                                ox.Literal("Touraj Elsewhere", language="en"),
                                ox.NamedNode(BASE + "graph/curated/fixture"))])
    assert [h["iri"] for h in client.get("/api/search?q=Touraj").get_json()["results"]] == [person.value]


@pytest.fixture(scope="module")
def client_1988():
    from stores import new_store, settings

    from justicegraph.loaders import load
    from justicegraph.resources import dataset_dir
    from justicegraph.server.app import create_app

    loaded = new_store()
    load(loaded, [dataset_dir("1988")])
    return create_app(settings(), store=loaded).test_client()


def test_spellings_find_the_person_without_noise_on_the_1988_data(client_1988):
    """Noury/Nouri/nuri find Hamid Noury and nothing one letter away (NCRI); "nour" suggests
    no "four siblings" by a typo; a typo of a long name is still found."""
    noury = BASE + "id/hamid-noury"
    for q in ("Noury", "Nouri", "nuri", "nour"):
        hits = client_1988.get("/api/search", query_string={"q": q, "limit": 8}).get_json()["results"]
        assert hits[0]["iri"] == noury, q
        assert all(h["match"] != "fuzzy" for h in hits), (q, hits)
        assert BASE + "id/ncri" not in {h["iri"] for h in hits}, q
        assert not [h for h in hits if "siblings" in h["label"]], q
    typo = client_1988.get("/api/search", query_string={"q": "Hajilowei"}).get_json()["results"]
    assert typo[0]["iri"] == BASE + "id/azadali-hajilouei" and typo[0]["match"] == "fuzzy"
    assert client_1988.get("/api/search", query_string={"q": "Evin"}).get_json()["results"][0]["id"] == "evin-prison"
