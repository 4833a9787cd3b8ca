"""The query mixes: the same SPARQL text for every engine (the default graph is the union of
the visible graphs on each: justicegraph's default, `oxigraph serve --union-default-graph`,
Virtuoso's default). Parameters are drawn from the generated records with a fixed seed, so
every engine answers the same sequence of requests.

light — entity lookups (what a page for one person does);
heavy — timelines, prison rosters, aggregates, property paths, provenance by GRAPH, name search;
pages — justicegraph's own entity pages (/id/…), person and prison, as HTML, Turtle and
        JSON-LD, one cell per kind, over every sampled entity (no other engine serves them).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

BASE = "https://w3id.org/justicegraph/"
PREFIXES = f"""PREFIX jg: <https://w3id.org/justicegraph/ontology#>
PREFIX role: <https://w3id.org/justicegraph/vocab/role/>
PREFIX etype: <https://w3id.org/justicegraph/vocab/event-type/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX id: <{BASE}id/>
"""

LIGHT = {
    "entity-outgoing": "SELECT ?p ?o WHERE {{ <{person}> ?p ?o }}",
    "entity-incoming": "SELECT ?s ?p WHERE {{ ?s ?p <{person}> }} LIMIT 100",
    "entity-label": "SELECT ?label WHERE {{ <{person}> skos:prefLabel ?label }}",
}

# General lookups: what a linked-data client or another application asks about one entity,
# beyond the single triple pattern of the light mix (which the fast lane answers inline):
# joins on the entity, OPTIONAL, FILTER, property paths, CONSTRUCT and DESCRIBE, a label
# lookup. Written for issue #18's "build for lookups in general, not for the bench's five".
LOOKUPS = {
    "label-and-type": "SELECT ?label ?type WHERE {{ <{person}> skos:prefLabel ?label ; a ?type }}",
    "outgoing-with-labels": """SELECT ?p ?o ?label WHERE {{
  <{person}> ?p ?o OPTIONAL {{ ?o skos:prefLabel ?label }}
}}""",
    "literals-only": "SELECT ?p ?o WHERE {{ <{person}> ?p ?o FILTER(isLiteral(?o)) }}",
    "any-label": "SELECT ?label WHERE {{ <{person}> skos:prefLabel|skos:altLabel ?label }}",
    "is-a-person": "ASK {{ <{person}> a jg:Person }}",
    "by-label": 'SELECT ?s WHERE {{ ?s skos:prefLabel "{label}"@en }}',
    "construct": "CONSTRUCT WHERE {{ <{person}> ?p ?o }}",
}
GRAPH_ACCEPT = "text/turtle"  # CONSTRUCT and DESCRIBE answers: Turtle, which every engine writes


def accept_for(text: str) -> str:
    """The Accept header a client sends for a query: results for SELECT/ASK, Turtle for graphs."""
    return GRAPH_ACCEPT if _form(text) in ("CONSTRUCT", "DESCRIBE") else "application/sparql-results+json"


def _form(text: str) -> str:
    body = text[len(PREFIXES):] if text.startswith(PREFIXES) else text
    return body.lstrip().split(None, 1)[0].upper()


HEAVY = {
    "timeline": """SELECT ?event ?type ?time ?earliest ?place WHERE {{
  ?part jg:agent <{victim}> ; jg:event ?event .
  ?event jg:eventType ?type .
  OPTIONAL {{ ?event jg:time ?time }} OPTIONAL {{ ?event jg:earliest ?earliest }}
  OPTIONAL {{ ?event jg:place ?place }}
}} ORDER BY ?earliest ?event""",
    "prison-roster": """SELECT DISTINCT ?person ?name WHERE {{
  ?e jg:place <{prison}> ; jg:eventType etype:execution .
  ?part jg:event ?e ; jg:agent ?person ; jg:role role:victim .
  ?person skos:prefLabel ?name
}} ORDER BY ?name ?person LIMIT 500""",
    "victims-per-prison": """SELECT ?prison (COUNT(DISTINCT ?person) AS ?n) WHERE {{
  ?e jg:eventType etype:execution ; jg:place ?prison .
  ?part jg:event ?e ; jg:agent ?person ; jg:role role:victim .
}} GROUP BY ?prison ORDER BY DESC(?n) ?prison""",
    "characterisations": """SELECT ?c (COUNT(?s) AS ?n) WHERE {{ ?s jg:characterisedAs ?c }}
GROUP BY ?c ORDER BY ?c""",
    "part-of-path": """SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e jg:partOf+ id:massacre-1988 }}""",
    "located-in-path": """SELECT ?place (COUNT(?e) AS ?n) WHERE {{
  ?place jg:locatedIn+ id:iran . ?e jg:place ?place
}} GROUP BY ?place ORDER BY DESC(?n) ?place LIMIT 20""",
    "who-says-by-graph": """SELECT ?g ?speaker ?source ?locator WHERE {{
  GRAPH ?g {{ ?part jg:agent <{victim}> ; jg:locator ?locator }}
  OPTIONAL {{ ?g prov:wasAttributedTo ?speaker }} OPTIONAL {{ ?g prov:wasDerivedFrom ?source }}
}} ORDER BY ?g ?locator""",
    "name-search": """SELECT ?s ?label WHERE {{
  ?s skos:altLabel ?label FILTER(CONTAINS(LCASE(STR(?label)), "{fragment}"))
}} ORDER BY ?label ?s LIMIT 50""",
    "statements-by-speaker": """SELECT ?speaker (COUNT(?st) AS ?n) WHERE {{
  GRAPH ?g {{ ?st jg:statedBy ?speaker }}
}} GROUP BY ?speaker ORDER BY DESC(?n) ?speaker LIMIT 20""",
    "relatives-of-prison-victims": """SELECT ?relative ?victim WHERE {{
  ?e jg:place <{prison}> ; jg:eventType etype:execution .
  ?part jg:event ?e ; jg:agent ?victim .
  ?relative jg:siblingOf|jg:parentOf|jg:childOf|jg:spouseOf|jg:relativeOf ?victim
}} ORDER BY ?victim ?relative LIMIT 200""",
}

FRAGMENTS = ("nouri", "qasem", "mousa", "rezaee", "hosein", "mohammed", "daneshw", "zahra")


@dataclass(frozen=True)
class Params:
    people: list[str]
    victims: list[str]
    prisons: list[str]
    labels: dict[str, str]      # id → preferred label, for the sampled people
    conference: str = ""
    speaker: str = ""           # a public figure with statements

    @classmethod
    def from_records(cls, directory: Path) -> Params:
        people = _read(directory, "people")
        public = [r["id"] for r in people if r["access"] != "restricted"]
        prisons = [r["id"] for r in _read(directory, "places") if r["kind"] == "prison"]
        conference = next((r["id"] for r in _read(directory, "events") if r["type"] == "conference"), "")
        speaker = next((r["speaker"] for r in _read(directory, "testimonies") if "-d" in r["speaker"]), "")
        rng = random.Random(42)
        victims = [p for p in public if "-v-" in p]
        sample = rng.sample(public, min(500, len(public)))
        victims = rng.sample(victims, min(500, len(victims)))
        chosen = set(sample) | set(victims)
        return cls(sample, victims, prisons, {r["id"]: r["label"] for r in people if r["id"] in chosen},
                   conference, speaker)


def _read(directory: Path, kind: str) -> list[dict]:
    with open(directory / f"{kind}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


MIXES = {"light": LIGHT, "lookups": LOOKUPS, "heavy": HEAVY}


def requests_for(mix: str, params: Params, n: int, seed: int = 1) -> list[tuple[str, str]]:
    """``n`` (name, query text) pairs of a mix, in a fixed order for a seed."""
    templates = MIXES[mix]
    names = sorted(templates)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        name = names[i % len(names)]
        out.append((name, PREFIXES + templates[name].format(**_bind(rng, params))))
    return out


def one_of_each(mix: str, params: Params) -> list[tuple[str, str]]:
    templates = MIXES[mix]
    rng = random.Random(7)
    return [(name, PREFIXES + templates[name].format(**_bind(rng, params))) for name in sorted(templates)]


def _bind(rng: random.Random, params: Params) -> dict[str, str]:
    person = rng.choice(params.people)
    label = params.labels.get(person, "").replace("\\", "\\\\").replace('"', '\\"')
    return {"person": f"{BASE}id/{person}", "victim": f"{BASE}id/{rng.choice(params.victims)}",
            "prison": f"{BASE}id/{rng.choice(params.prisons)}", "fragment": rng.choice(FRAGMENTS), "label": label}


# Entity pages: kind → (which entities, Accept). People are the sampled public people and
# victims (up to 1,000 distinct), prisons every prison of the generated data.
PAGES = {
    "person-html": ("people", "text/html"),
    "person-turtle": ("people", "text/turtle"),
    "person-jsonld": ("people", "application/ld+json"),
    "prison-html": ("prisons", "text/html"),
    "prison-turtle": ("prisons", "text/turtle"),
    "prison-jsonld": ("prisons", "application/ld+json"),
}


def page_requests(kind: str, params: Params, seed: int = 1) -> list[tuple[str, str, str]]:
    """(kind, path, Accept) for every entity of a page kind, in a fixed shuffled order."""
    which, accept = PAGES[kind]
    ids = list(dict.fromkeys(params.people + params.victims)) if which == "people" else list(params.prisons)
    random.Random(seed).shuffle(ids)
    return [(kind, f"/id/{i}", accept) for i in ids]
