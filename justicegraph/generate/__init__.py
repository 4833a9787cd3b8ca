"""Synthetic datasets in the project's own record formats (docs/records.md), for tests and
benchmarks: ``generate(out, people=N, seed=S)`` writes one CSV per kind.

The data imitates a memorial database: victims of the 1988 executions with relatives and
fellow prisoners who testify, arrests and detentions with uncertain dates, transfers,
death-commission hearings and mass executions (part of the 1988 mass atrocity), officials
with positions, trials, conferences, and statements (characterisations, claimed counts,
calls to action, accusations) attributed to their speakers. About 28 triples per person.

Rows are streamed to the files as they are made (memory stays flat at any size) and the
output is byte-for-byte the same for the same (people, seed).

Layout: this module (``generate``), ``world`` (the fixed part: places, prisons, institutions),
``people`` (one unit per victim), ``names`` (transliterated names).
May import: the core of ``justicegraph`` only.
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

from justicegraph.generate import world
from justicegraph.generate.names import full_name, slug
from justicegraph.generate.people import FamilyMaker

HEADERS: dict[str, tuple[str, ...]] = {
    "sources": ("id", "title", "publisher", "date", "url", "language", "description", "access"),
    "testimonies": ("id", "source", "speaker", "locator", "title", "access"),
    "people": ("id", "label", "alt_labels", "label_fa", "description", "nationality", "unnamed",
               "locator", "access"),
    "organizations": ("id", "label", "alt_labels", "kind", "part_of", "based_in", "description"),
    "places": ("id", "label", "alt_labels", "kind", "located_in", "description"),
    "events": ("id", "label", "type", "according_to", "locator", "time", "time_derived", "time_note",
               "place", "from_place", "part_of", "description", "access"),
    "participations": ("event", "agent", "role", "according_to", "locator", "age"),
    "positions": ("person", "title", "organization", "role", "time", "according_to", "locator"),
    "relations": ("person", "relation", "other", "according_to", "locator"),
    "statements": ("id", "kind", "according_to", "locator", "summary", "about", "characterisation",
                   "minimum", "maximum", "count_of", "wording", "addressees", "action", "accused", "access"),
}

MIN_PEOPLE, MAX_PEOPLE = 10, 250_000
OVERVIEW = "src-overview"
TRIAL_REPORTS = "src-trial-reports"
MASSACRE = "massacre-1988"


class Sink:
    """One CSV writer per kind; rows are dicts, absent fields are empty cells."""

    def __init__(self, out: Path, prefix: str = ""):
        self.prefix = prefix  # put before every id this dataset mints (batches beside a base)
        out.mkdir(parents=True, exist_ok=True)
        self._files = {k: open(out / f"{k}.csv", "w", encoding="utf-8", newline="") for k in HEADERS}
        self._writers = {k: csv.writer(f, lineterminator="\n") for k, f in self._files.items()}
        for kind, writer in self._writers.items():
            writer.writerow(HEADERS[kind])
        self.counts = dict.fromkeys(HEADERS, 0)

    def write(self, kind: str, row: dict) -> None:
        self._writers[kind].writerow([row.get(h, "") for h in HEADERS[kind]])
        self.counts[kind] += 1

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()


class Sources:
    """The rolling sequence of sources: each holds a few testimonies and its own paragraphs,
    so locators stay inside the source and inside their testimony's span."""

    KINDS = ("conference", "interviews", "interviews", "report")

    def __init__(self, rng: random.Random, sink: Sink):
        self.rng, self.sink, self.n = rng, sink, 0
        self.id, self.kind, self.left, self.para = OVERVIEW, "report", 0, 1
        self.speakers: set[str] = set()  # who already spoke at the current source's conference

    def fixed(self, sid: str, title: str, date: str) -> None:
        self.sink.write("sources", {"id": sid, "title": title, "publisher": "Justice Watch Association 1",
                                    "date": date, "language": "en",
                                    "description": "Synthetic source made for benchmarks."})

    @property
    def conference(self) -> str:
        """The id of the current source's conference event (conference sources only)."""
        return f"{self.id}-conference"

    def locator(self) -> str:
        self.para += 1
        return f"¶{self.para}"

    def testimony(self, speaker: str, restricted: bool, title: str) -> tuple[str, list[int]]:
        """Open a testimony in the current source (a new source when it is full):
        returns its id and the paragraphs it spans."""
        if self.left <= 0:
            self.next_source()
        self.left -= 1
        start, length = self.para + 1, self.rng.randint(2, 7)
        self.para += length
        tid = f"{self.sink.prefix}t-{self.n}-{self.sink.counts['testimonies'] + 1}"
        self.sink.write("testimonies", {"id": tid, "source": self.id, "speaker": speaker,
                                        "locator": f"¶{start}–{start + length - 1}", "title": title,
                                        "access": "restricted" if restricted else ""})
        return tid, list(range(start, start + length))

    def next_source(self) -> None:
        rng, self.n = self.rng, self.n + 1
        self.id, self.kind = f"{self.sink.prefix}src-{self.n}", rng.choice(self.KINDS)
        self.left, self.para, self.speakers = rng.randint(3, 12), 1, set()
        year = rng.randint(2008, 2023)
        title = {"conference": f"Report of a {year} conference on the 1988 executions ({self.n})",
                 "interviews": f"Collected interviews with former prisoners and families, volume {self.n}",
                 "report": f"Report on prisons in the 1980s, part {self.n}"}[self.kind]
        self.sink.write("sources", {
            "id": self.id, "title": title, "publisher": f"Justice Watch Association {1 + self.n % 6}",
            "date": str(year), "language": rng.choice(("en", "en", "en", "fa", "sv")),
            "url": f"https://example.org/synthetic/{self.id}",
            "description": "Synthetic source made for benchmarks."})
        if self.kind == "conference":
            self._conference(year)

    def _conference(self, year: int) -> None:
        event = self.conference
        self.sink.write("events", {
            "id": event, "label": f"Conference on the 1988 executions, {year} ({self.n})", "type": "conference",
            "according_to": self.id, "locator": "¶1", "time": f"{year}-{self.rng.randint(1, 12):02d}",
            "place": self.rng.choice(world.ABROAD)})
        self.sink.write("participations", {"event": event, "agent": f"ngo-justice-{1 + self.n % 6}",
                                           "role": "organiser", "according_to": self.id, "locator": "¶1"})


def generate(out: str | Path, *, people: int, seed: int = 1, id_prefix: str = "",
             world: bool = True) -> dict[str, int]:
    """Write a dataset of ``people`` persons to directory ``out``; returns rows per kind.

    ``world=False`` leaves out the shared places, organisations, overview source and the
    mass atrocity (they must then be in the store already) and ``id_prefix`` keeps the
    new ids apart: a *batch* to load beside a base dataset."""
    if id_prefix and not re.fullmatch(r"[a-z0-9][a-z0-9-]*-", id_prefix):
        raise ValueError(f"id prefix {id_prefix!r} must be a slug ending in '-'")
    if not MIN_PEOPLE <= people <= MAX_PEOPLE:
        raise ValueError(f"people must be between {MIN_PEOPLE} and {MAX_PEOPLE}, not {people}")
    rng = random.Random(seed)
    sink = Sink(Path(out), id_prefix)
    try:
        sources = Sources(rng, sink)
        narrator, trial_reports = OVERVIEW, TRIAL_REPORTS
        if world:
            _fixed_world(sink, sources, people)
        else:
            narrator, trial_reports = f"{id_prefix}{OVERVIEW}", f"{id_prefix}{TRIAL_REPORTS}"
            sources.fixed(narrator, "Register of further victims (a batch)", "2024")
            sources.fixed(trial_reports, "Reports from further trials (a batch)", "2024")
            sources.left = 0
        officials = _officials(rng, sink, max(6, people // 100), narrator)
        dignitaries = _dignitaries(rng, sink, max(4, people // 150), narrator)
        trials = _trials(rng, sink, officials, 1 + people // 25_000, trial_reports)
        maker = FamilyMaker(rng, sink, sources, officials, dignitaries, trials, trial_reports)
        if not world:
            sources.next_source()  # a batch never writes into the base dataset's graphs
        budget = people - len(officials) - len(dignitaries)
        while budget > 0:
            budget -= maker.unit(budget)
    finally:
        sink.close()
    return dict(sink.counts)


def _fixed_world(sink: Sink, sources: Sources, people: int) -> None:
    for row in world.places():
        sink.write("places", row)
    for row in world.organizations(8):
        sink.write("organizations", row)
    sources.fixed(OVERVIEW, "Overview of the 1988 executions of political prisoners", "2017")
    sources.fixed(TRIAL_REPORTS, "Reports from trials concerning the 1988 executions", "2022")
    sink.write("events", {"id": MASSACRE, "label": "Mass execution of political prisoners in 1988",
                          "type": "mass-atrocity", "according_to": OVERVIEW, "locator": "¶1–3",
                          "time": "1988-07/1988-09", "place": "iran"})
    sink.write("participations", {"event": MASSACRE, "agent": "political-prisoners-1988", "role": "victim",
                                  "according_to": OVERVIEW, "locator": "¶2"})
    sink.write("statements", {"id": "s-overview-count", "kind": "claimed-count", "according_to": OVERVIEW,
                              "locator": "¶3", "about": MASSACRE, "minimum": "30000", "wording": "over 30,000",
                              "count_of": "political prisoners executed",
                              "summary": "The overview puts the number executed at more than thirty thousand."})


TITLES = ("deputy prosecutor", "prison warden", "head of intelligence",
          "judge of the revolutionary court", "assistant to the deputy prosecutor")


def _officials(rng: random.Random, sink: Sink, n: int, narrator: str) -> list[str]:
    """Officials alleged responsible, each with one or two positions."""
    ids = []
    for i in range(n):
        label, _fa, alts, _ = full_name(rng, female=False)
        pid = f"{sink.prefix}{slug(label)}-o{i}"
        ids.append(pid)
        sink.write("people", {"id": pid, "label": label, "alt_labels": "|".join(alts),
                              "description": "Synthetic official of the 1980s prison system.",
                              "nationality": "iran"})
        for k in range(rng.choice((1, 1, 2))):
            start = rng.randint(1981, 1987)
            if k == 0:
                org, title = f"death-commission-{1 + i % 8}", "member of the death commission"
            else:
                org, title = rng.choice(("prosecutor-tehran", "judiciary-of-iran")), rng.choice(TITLES)
            sink.write("positions", {"person": pid, "title": title, "organization": org,
                                     "time": f"{start}/{start + rng.randint(1, 8)}", "according_to": narrator,
                                     "locator": f"¶{4 + i % 40}"})
    return ids


def _dignitaries(rng: random.Random, sink: Sink, n: int, narrator: str) -> list[str]:
    ids = []
    for i in range(n):
        label, _fa, alts, _ = full_name(rng, female=rng.random() < 0.4)
        pid = f"{sink.prefix}{slug(label)}-d{i}"
        ids.append(pid)
        country = rng.choice(world.COUNTRIES[1:])
        sink.write("people", {"id": pid, "label": label, "alt_labels": "|".join(alts),
                              "nationality": country[0], "description": "Synthetic public figure who speaks at conferences."})
        start = rng.randint(1995, 2015)
        sink.write("positions", {"person": pid, "title": rng.choice(world.DIGNITARY_TITLES),
                                 "organization": f"government-of-{country[0]}", "time": f"{start}/{start + 4}",
                                 "according_to": narrator, "locator": f"¶{50 + i % 40}"})
    return ids


def _trials(rng: random.Random, sink: Sink, officials: list[str], n: int, reports: str) -> list[str]:
    ids = []
    for i in range(n):
        tid = f"{sink.prefix}trial-{i + 1}"
        ids.append(tid)
        year = rng.randint(2019, 2023)
        sink.write("events", {"id": tid, "label": f"Trial of a former prison official ({i + 1})", "type": "trial",
                              "according_to": reports, "locator": f"¶{1 + i}",
                              "time": f"{year}-{rng.randint(1, 12):02d}/{year + 1}", "place": "stockholm"})
        sink.write("participations", {"event": tid, "agent": officials[i % len(officials)], "role": "defendant",
                                      "according_to": reports, "locator": f"¶{1 + i}"})
        sink.write("participations", {"event": tid, "agent": "district-court-stockholm", "role": "court",
                                      "according_to": reports, "locator": f"¶{1 + i}"})
    return ids
