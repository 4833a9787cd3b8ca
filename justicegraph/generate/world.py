"""The fixed part of a synthetic dataset: countries, cities, ~30 prisons, institutions, the
1988 mass atrocity. Real place names (facts of geography); every organisation that speaks or
is spoken to in the synthetic data, and every person, is invented."""

from __future__ import annotations

# (id, label, alt labels, located_in)
COUNTRIES = (
    ("iran", "Iran", "Islamic Republic of Iran", ""), ("sweden", "Sweden", "", ""),
    ("albania", "Albania", "", ""), ("france", "France", "", ""), ("germany", "Germany", "", ""),
    ("united-kingdom", "United Kingdom", "UK", ""), ("italy", "Italy", "", ""),
    ("switzerland", "Switzerland", "", ""), ("canada", "Canada", "", ""),
)
CITIES = (
    ("tehran", "Tehran", "Teheran", "iran"), ("karaj", "Karaj", "", "iran"),
    ("mashhad", "Mashhad", "Meshed", "iran"), ("tabriz", "Tabriz", "", "iran"),
    ("shiraz", "Shiraz", "", "iran"), ("isfahan", "Isfahan", "Esfahan", "iran"),
    ("ahvaz", "Ahvaz", "Ahwaz", "iran"), ("rasht", "Rasht", "", "iran"),
    ("kermanshah", "Kermanshah", "", "iran"), ("dezful", "Dezful", "Dezfoul", "iran"),
    ("qom", "Qom", "Ghom", "iran"), ("urmia", "Urmia", "Orumiyeh", "iran"),
    ("hamedan", "Hamedan", "Hamadan", "iran"), ("zanjan", "Zanjan", "", "iran"),
    ("sanandaj", "Sanandaj", "", "iran"), ("semnan", "Semnan", "", "iran"),
    ("stockholm", "Stockholm", "", "sweden"), ("tirana", "Tirana", "", "albania"),
    ("paris", "Paris", "", "france"), ("berlin", "Berlin", "", "germany"),
    ("london", "London", "", "united-kingdom"), ("rome", "Rome", "Roma", "italy"),
    ("geneva", "Geneva", "Genève", "switzerland"), ("toronto", "Toronto", "", "canada"),
)
PRISON_CITIES = (
    "tehran", "tehran", "tehran", "karaj", "karaj", "karaj", "mashhad", "mashhad", "tabriz", "tabriz",
    "shiraz", "shiraz", "isfahan", "isfahan", "ahvaz", "ahvaz", "rasht", "rasht", "kermanshah",
    "dezful", "qom", "urmia", "hamedan", "zanjan", "sanandaj", "semnan", "tehran", "isfahan",
    "mashhad", "ahvaz",
)
PRISON_NAMES = (
    ("evin-prison", "Evin Prison", "Evin"), ("qezel-hesar-prison", "Qezel Hesar Prison", "Ghezel Hesar"),
    ("gohardasht-prison", "Gohardasht Prison", "Rajaei Shahr Prison|Gohar Dasht"),
)
ABROAD = ("stockholm", "tirana", "paris", "berlin", "london", "rome", "geneva", "toronto")
DIGNITARY_TITLES = (
    "former minister of foreign affairs", "member of parliament", "human rights lawyer",
    "former UN official", "professor of international law", "former judge", "senator",
)


def places():
    """Rows for places.csv: countries, cities, then exactly 30 prisons."""
    for pid, label, alt, within in COUNTRIES:
        yield {"id": pid, "label": label, "alt_labels": alt, "kind": "country", "located_in": within}
    for pid, label, alt, within in CITIES:
        yield {"id": pid, "label": label, "alt_labels": alt, "kind": "settlement", "located_in": within}
    yield from prisons()


def prisons():
    for i, city in enumerate(PRISON_CITIES):
        if i < len(PRISON_NAMES):
            pid, label, alt = PRISON_NAMES[i]
        else:
            name = city.capitalize()
            pid, label, alt = f"{city}-prison-{i}", f"{name} Central Prison No. {i}", f"{name} Prison {i}"
        yield {"id": pid, "label": label, "alt_labels": alt, "kind": "prison", "located_in": city,
               "description": "Prison where political prisoners were held (synthetic benchmark data)."}


def prison_ids() -> list[str]:
    return [row["id"] for row in prisons()]


def organizations(n_commissions: int):
    """Rows for organizations.csv: UN bodies, governments, courts, invented NGOs and
    political groups, and regional death commissions."""
    yield _org("united-nations", "United Nations", "UN", "international", based_in="")
    yield _org("un-human-rights-council", "UN Human Rights Council", "UNHRC", "international",
               part_of="united-nations", based_in="geneva")
    yield _org("un-special-rapporteur-iran", "UN Special Rapporteur on Iran", "", "international",
               part_of="united-nations")
    for cid, label, _alt, _ in COUNTRIES[1:]:
        yield _org(f"government-of-{cid}", f"Government of {label}", "", "government", based_in=cid)
    yield _org("judiciary-of-iran", "Judiciary of Iran", "", "government", based_in="iran")
    yield _org("prosecutor-tehran", "Prosecutor's Office of Tehran", "", "government",
               part_of="judiciary-of-iran", based_in="tehran")
    yield _org("district-court-stockholm", "District Court in Stockholm", "", "court", based_in="stockholm")
    yield _org("court-of-appeal-stockholm", "Court of Appeal in Stockholm", "", "court", based_in="stockholm")
    for i in range(1, 7):
        yield _org(f"ngo-justice-{i}", f"Justice Watch Association {i}", f"JWA{i}", "ngo", based_in=ABROAD[i])
    for i in range(1, 6):
        yield _org(f"political-group-{i}", f"Organisation of Political Group {i}", f"OPG{i}", "political")
    yield _org("political-prisoners-1988", "Political prisoners executed in 1988", "", "collective")
    for i in range(n_commissions):
        city = PRISON_CITIES[i % len(PRISON_CITIES)]
        yield _org(f"death-commission-{i + 1}", f"Death commission of {city.capitalize()} ({i + 1})",
                   "", "commission", part_of="judiciary-of-iran", based_in=city)


def _org(oid, label, alt, kind, part_of="", based_in=""):
    return {"id": oid, "label": label, "alt_labels": alt, "kind": kind, "part_of": part_of,
            "based_in": based_in, "description": f"{label} (synthetic benchmark data)."}
