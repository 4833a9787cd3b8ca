"""The repeated part of a synthetic dataset: one *unit* per victim of 1988 — the victim,
relatives, perhaps a fellow prisoner who survived, their events, and (often) a testimony by
one of them that asserts those events. Used by ``justicegraph.generate``."""

from __future__ import annotations

import random

from justicegraph.generate import world
from justicegraph.generate.names import full_name, slug

RESTRICTED_SHARE = 0.08   # testimonies (with their speakers) that are restricted
KIN_LABEL = {"parent": "Parent", "sibling": "Sibling", "child": "Child", "spouse": "Spouse"}
IRAN_CITIES = [c[0] for c in world.CITIES if c[3] == "iran"]
FIRST_DAY = 209  # 1988-07-28 as a day of the year (1988 is a leap year)


def day_of_1988(n: int) -> str:
    months = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    for month, length in enumerate(months, 1):
        if n <= length:
            return f"1988-{month:02d}-{n:02d}"
        n -= length
    raise ValueError(n)


class Voice:
    """Who asserts a unit's records: a testimony (with its paragraphs) or a source narration."""

    def __init__(self, rng: random.Random, according_to: str, paragraphs: list[int] | None, sources):
        self.rng, self.according_to, self.paragraphs, self.sources = rng, according_to, paragraphs, sources

    def cite(self, row: dict) -> dict:
        row["according_to"] = self.according_to
        row["locator"] = f"¶{self.rng.choice(self.paragraphs)}" if self.paragraphs else self.sources.locator()
        return row


class FamilyMaker:
    def __init__(self, rng: random.Random, sink, sources, officials, dignitaries, trials, trial_reports):
        self.rng, self.sink, self.sources, self.trial_reports = rng, sink, sources, trial_reports
        self.officials, self.dignitaries, self.trials = officials, dignitaries, trials
        self.prisons = world.prison_ids()
        self.prison_days = {p: sorted(rng.sample(range(FIRST_DAY, FIRST_DAY + 55), 12)) for p in self.prisons}
        self.groups: set[str] = set()
        self.n = 0

    def unit(self, budget: int) -> int:
        """Write one unit of at most ``budget`` people; returns how many people it made."""
        rng = self.rng
        self.n += 1
        kin = [(rng.choice(("parent", "sibling", "sibling", "spouse", "child")), rng.random() < 0.1)
               for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 3)))][: budget - 1]
        survivor = len(kin) + 1 < budget and rng.random() < 0.3
        candidates = (["s"] if survivor else []) + [f"r{i}" for i, (_, unnamed) in enumerate(kin) if not unnamed]
        speaker_tag = candidates[0] if candidates and rng.random() < 0.6 else None
        restricted = speaker_tag is not None and rng.random() < RESTRICTED_SHARE
        victim, vlabel, family = self._person("v", rng.random() < 0.15, "executed in 1988")
        ids = {}
        for i, (relation, unnamed) in enumerate(kin):
            tag = f"r{i}"
            ids[tag] = self._person(tag, rng.random() < 0.5, f"relative of {vlabel}",
                                    family=None if relation == "spouse" else family,
                                    unnamed=f"{KIN_LABEL[relation]} of {vlabel}" if unnamed else None,
                                    restricted=restricted and tag == speaker_tag)[0]
        if survivor:
            ids["s"] = self._person("s", rng.random() < 0.2, "former political prisoner",
                                    restricted=restricted and speaker_tag == "s")[0]
        voice = self._voice(ids.get(speaker_tag), restricted)
        self._victim_events(victim, vlabel, voice)
        for i, (relation, _) in enumerate(kin):
            self.sink.write("relations", voice.cite({"person": ids[f"r{i}"], "relation": relation, "other": victim}))
        if survivor:
            self._survivor_events(ids["s"], voice, public=not (restricted and speaker_tag == "s"))
        if speaker_tag and rng.random() < 0.3:
            self._family_statement(voice, restricted)
        if rng.random() < 0.06:
            self._dignitary_testimony()
        return 1 + len(kin) + survivor

    # -- people and voices -----------------------------------------------------------------
    def _person(self, tag, female, desc, *, family=None, unnamed=None, restricted=False):
        label, label_fa, alts, family = full_name(self.rng, female, family)
        # A restricted person's IRI must not reveal the name: opaque id.
        pid = f"{self.sink.prefix}anon-{tag}-{self.n}" if restricted else f"{self.sink.prefix}{slug(label)}-{tag}-{self.n}"
        row = {"id": pid, "label": unnamed or label, "access": "restricted" if restricted else ""}
        if tag == "v":  # relatives and survivors, as in most records, come without them
            row.update(nationality="iran", description=f"Synthetic person, {desc}.")
        if unnamed:
            row["unnamed"] = "true"
        else:
            row["alt_labels"] = "|".join(alts)
            if self.rng.random() < 0.4:
                row["label_fa"] = label_fa
        self.sink.write("people", row)
        return pid, (unnamed or label), family

    def _voice(self, speaker: str | None, restricted: bool,
               title: str = "testimony of a family member or survivor") -> Voice:
        if speaker is None:
            self.sources.locator()  # the narration moves on by a paragraph
            return Voice(self.rng, self.sources.id, None, self.sources)
        tid, paragraphs = self.sources.testimony(speaker, restricted, title)
        if self.sources.kind == "conference" and not restricted and speaker not in self.sources.speakers:
            self.sources.speakers.add(speaker)
            self.sink.write("participations", {"event": self.sources.conference, "agent": speaker,
                                               "role": "speaker", "according_to": self.sources.id,
                                               "locator": f"¶{paragraphs[0]}"})
        return Voice(self.rng, tid, paragraphs, self.sources)

    # -- events ----------------------------------------------------------------------------
    def _victim_events(self, victim: str, label: str, voice: Voice) -> None:
        rng = self.rng
        prison = rng.choice(self.prisons)
        if rng.random() < 0.3:
            self._own_event(f"{victim}-arrest", f"Arrest of {label}", "arrest", voice, victim, "detainee",
                            time=arrest_time(rng), place=rng.choice(IRAN_CITIES))
        if rng.random() < 0.25:
            self._own_event(f"{victim}-detention", f"Detention of {label}", "detention", voice, victim,
                            "detainee", time=detention_time(rng), place=prison)
        if rng.random() < 0.12:
            target = rng.choice(self.prisons)
            self._own_event(f"{victim}-transfer", f"Transfer of {label}", "transfer", voice, victim, "detainee",
                            time=rng.choice(("1988-07", "1987-24", "1988-22", "1988")), place=target,
                            from_place=prison)
            prison = target
        day = rng.choice(self.prison_days[prison])
        if rng.random() < 0.25:
            hearing = self._group_event("hearing", prison, day - 1)
            self.sink.write("participations", voice.cite({"event": hearing, "agent": victim, "role": "detainee"}))
        execution = self._group_event("execution", prison, day)
        row = {"event": execution, "agent": victim, "role": "victim"}
        if rng.random() < 0.3:
            row["age"] = str(rng.randint(17, 45))
        self.sink.write("participations", voice.cite(row))

    def _survivor_events(self, person: str, voice: Voice, public: bool) -> None:
        rng = self.rng
        self._own_event(f"{person}-detention", "Detention of a political prisoner who survived", "detention",
                        voice, person, "survivor", time=rng.choice(("1981/1991", "1982/1989", "1984-05/1990")),
                        place=rng.choice(self.prisons))
        if public and rng.random() < 0.05:
            trial = rng.choice(self.trials)
            self.sink.write("participations", {"event": trial, "agent": person, "role": "witness",
                                               "according_to": self.trial_reports, "locator": "¶1"})

    def _own_event(self, eid, label, etype, voice, agent, role, **details) -> None:
        row = voice.cite({"id": eid, "label": label, "type": etype, **details})
        if etype == "arrest" and self.rng.random() < 0.1:
            row.update(time_derived="true", time_note="Worked out from the year of the trial the testimony gives.")
        self.sink.write("events", row)
        self.sink.write("participations", {"event": eid, "agent": agent, "role": role,
                                           "according_to": row["according_to"], "locator": row["locator"]})

    def _group_event(self, kind: str, prison: str, day: int) -> str:
        """Hearings and executions are shared: one per prison and day, made on first use."""
        date = day_of_1988(day)
        eid = f"{self.sink.prefix}{kind}-{prison}-{date}"
        if eid not in self.groups:
            self.groups.add(eid)
            self._write_group(eid, kind, prison, date)
        return eid

    def _write_group(self, eid: str, kind: str, prison: str, date: str) -> None:
        rng, source = self.rng, self.sources.id
        locator = self.sources.locator()
        row = {"id": eid, "type": kind, "according_to": source, "locator": locator, "time": date,
               "place": prison, "label": f"{'Death-commission hearing' if kind == 'hearing' else 'Executions'}"
                                        f" at {prison.replace('-', ' ')} on {date}"}
        if kind == "execution":
            row["part_of"] = "massacre-1988"
            if rng.random() < 0.3:
                row.update(time=date[:7], time_derived="true", time_note="Month given by families' notifications.")
        self.sink.write("events", row)
        if kind == "hearing":
            for official in rng.sample(self.officials, min(3, len(self.officials))):
                self.sink.write("participations", {"event": eid, "agent": official, "role": "judge",
                                                   "according_to": source, "locator": locator})

    # -- statements ------------------------------------------------------------------------
    def _family_statement(self, voice: Voice, restricted: bool) -> None:
        rng = self.rng
        sid = f"{self.sink.prefix}s{self.sink.counts['statements'] + 1}"
        if rng.random() < 0.5:
            prison = rng.choice(self.prisons)
            row = {"id": sid, "kind": "observation", "about": prison,
                   "summary": "The speaker recalls crowded wards and executions announced by loudspeaker."}
        else:
            official = rng.choice(self.officials)
            row = {"id": sid, "kind": "accusation", "about": "massacre-1988", "accused": official,
                   "summary": "The speaker holds a prison official responsible for the executions."}
        if not restricted and rng.random() < 0.1:
            row["access"] = "restricted"
        self.sink.write("statements", voice.cite(row))

    def _dignitary_testimony(self) -> None:
        rng = self.rng
        speaker = rng.choice(self.dignitaries)
        voice = self._voice(speaker, False, "speech")
        base = f"{self.sink.prefix}s{self.sink.counts['statements'] + 1}"
        self.sink.write("statements", voice.cite({
            "id": f"{base}-c", "kind": "characterisation", "about": "massacre-1988",
            "characterisation": rng.choice(("genocide", "crime-against-humanity", "massacre")),
            "summary": "The speaker characterises the 1988 executions."}))
        if rng.random() < 0.5:
            low = rng.choice((3800, 5000, 30000))
            self.sink.write("statements", voice.cite({
                "id": f"{base}-n", "kind": "claimed-count", "about": "massacre-1988", "minimum": str(low),
                "count_of": "political prisoners executed", "wording": f"over {low:,}",
                "summary": "The speaker gives a number of prisoners executed."}))
        if rng.random() < 0.5:
            self.sink.write("statements", voice.cite({
                "id": f"{base}-a", "kind": "call-to-action", "about": "massacre-1988",
                "addressees": rng.choice(("un-human-rights-council", "united-nations|government-of-sweden")),
                "action": "open an international inquiry into the 1988 executions",
                "summary": "The speaker calls for an international inquiry."}))


def arrest_time(rng: random.Random) -> str:
    year = rng.randint(1981, 1987)
    return rng.choice((f"{year}", f"{year}-{rng.randint(1, 12):02d}",
                       f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                       f"{year}-{rng.randint(21, 24)}", f"{year}~", f"{year}/{year + 1}"))


def detention_time(rng: random.Random) -> str:
    year = rng.randint(1981, 1987)
    return rng.choice((f"{year}/1988", f"{year}/..", "../1988", f"{year}-{rng.randint(1, 12):02d}/1988-07",
                       f"{year}", f"{year}-{rng.randint(21, 24)}"))
