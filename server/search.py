"""Name search: one entity, many spellings.

An index is built once per access level from every ``skos:prefLabel``/``skos:altLabel``
the caller may see, and rebuilt only when the store changes (a cheap fingerprint of the
graph list, the load activities and the store's own change counter when it has one).
A request never scans the labels: it looks keys up in dictionaries, a sorted key list
(prefixes) and a trigram table (fuzzy matches).

Matching is tolerant in tiers, ranked exact > prefix > word prefix > folded > fuzzy:
- ``norm``: Unicode NFKC, case-folded, diacritics removed, Persian letters unified
  (Arabic yeh/kaf → Persian, ZWNJ and harakat removed), whitespace collapsed;
- ``compact``: ``norm`` without spaces, hyphens and punctuation (Ghezel Hesar = Ghezelhesar);
- ``folded``: ``compact`` with transliteration variants folded (ou/oo/u, ei/ey/ee/y/i, gh/q,
  kh/h, double letters) — Noury = Nouri, Hajilouei = Hajilooei.
"""

from __future__ import annotations

import bisect
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field

import pyoxigraph as ox

PERSIAN_MAP = str.maketrans({
    "\u064a": "\u06cc",  # Arabic yeh → Persian yeh
    "\u0649": "\u06cc",  # alef maksura → Persian yeh
    "\u0643": "\u06a9",  # Arabic kaf → Persian kaf
    "\u0629": "\u0647",  # teh marbuta → heh
    "\u06c0": "\u0647",  # heh with yeh above → heh
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627",  # alef with hamza/madda → alef
    "\u200c": None, "\u200d": None, "\u0640": None,  # ZWNJ, ZWJ, tatweel
})
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Order matters: digraphs before single letters.
_FOLDS = (("kh", "h"), ("gh", "q"), ("ph", "f"), ("ou", "u"), ("oo", "u"), ("ee", "i"),
          ("ei", "i"), ("ey", "i"), ("ie", "i"), ("y", "i"), ("w", "v"))
_DOUBLES = re.compile(r"(.)\1+")

TIER_SCORES = {"exact": 100, "prefix": 80, "word": 70, "folded": 60, "folded-prefix": 50, "fuzzy": 20}


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(PERSIAN_MAP)
    text = _ARABIC_MARKS.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped).split())


def compact(normed: str) -> str:
    return normed.replace(" ", "")


def fold(compacted: str) -> str:
    text = compacted
    for old, new in _FOLDS:
        text = text.replace(old, new)
    return _DOUBLES.sub(r"\1", text)


def trigrams(text: str) -> set[str]:
    padded = f"^{text}$"
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def edit_distance(a: str, b: str, cap: int) -> int:
    """Levenshtein distance, giving up (returning cap + 1) once it must exceed ``cap``."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > cap:
            return cap + 1
        previous = current
    return previous[-1]


@dataclass
class Entry:
    iri: str
    label: str
    lang: str
    preferred: bool
    norm: str
    compact: str
    folded: str


@dataclass
class SearchIndex:
    """Lookup tables over the labels one access level may see."""

    entries: list[Entry] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)       # iri → preferred label
    types: dict[str, list[str]] = field(default_factory=dict)  # iri → class IRIs
    by_norm: dict[str, list[int]] = field(default_factory=dict)
    by_folded: dict[str, list[int]] = field(default_factory=dict)
    sorted_norm: list[tuple[str, int]] = field(default_factory=list)
    sorted_words: list[tuple[str, int]] = field(default_factory=list)
    sorted_folded: list[tuple[str, int]] = field(default_factory=list)
    grams: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, rows) -> SearchIndex:
        """``rows``: (iri, label, lang, preferred, type or None) tuples."""
        index = cls()
        for iri, label, lang, preferred, rdf_type in rows:
            if rdf_type and rdf_type not in index.types.setdefault(iri, []):
                index.types[iri].append(rdf_type)
            if preferred and (iri not in index.names or lang == "en"):
                index.names[iri] = label
            if label is not None:
                index._add(iri, label, lang, preferred)
        index._finish()
        return index

    def _add(self, iri: str, label: str, lang: str, preferred: bool) -> None:
        n = norm(label)
        c = compact(n)
        entry = Entry(iri, label, lang, preferred, n, c, fold(c))
        if any(e.iri == iri and e.norm == n and e.preferred >= preferred for e in self._recent(iri)):
            return
        self.entries.append(entry)

    def _recent(self, iri: str):
        # Labels of one entity arrive together (the query orders by entity): check the tail only.
        for entry in reversed(self.entries[-12:]):
            if entry.iri == iri:
                yield entry

    def _finish(self) -> None:
        for i, e in enumerate(self.entries):
            self.by_norm.setdefault(e.norm, []).append(i)
            self.by_folded.setdefault(e.folded, []).append(i)
            self.sorted_norm.append((e.norm, i))
            self.sorted_folded.append((e.folded, i))
            self.sorted_words.extend((word, i) for word in e.norm.split(" ")[1:])
            for gram in trigrams(e.folded):
                self.grams.setdefault(gram, []).append(i)
        for table in (self.sorted_norm, self.sorted_words, self.sorted_folded):
            table.sort()

    def search(self, query: str, limit: int = 20) -> list[dict]:
        qn = norm(query)
        if not qn:
            return []
        qf = fold(compact(qn))
        best: dict[str, tuple[int, int]] = {}  # iri → (score, entry index)
        self._tier(best, "exact", self.by_norm.get(qn, []))
        self._tier(best, "prefix", _prefixed(self.sorted_norm, qn, limit * 4))
        self._tier(best, "word", _prefixed(self.sorted_words, qn, limit * 4))
        self._tier(best, "folded", self.by_folded.get(qf, []))
        self._tier(best, "folded-prefix", _prefixed(self.sorted_folded, qf, limit * 4))
        if len(best) < limit and len(qf) >= 3:
            self._tier(best, "fuzzy", self._fuzzy(qf, limit * 4))
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], self.entries[item[1][1]].norm, item[0]))
        return [self._hit(iri, score, idx) for iri, (score, idx) in ranked[:limit]]

    def _tier(self, best: dict, tier: str, indexes) -> None:
        for i in indexes:
            e = self.entries[i]
            score = TIER_SCORES[tier] + (5 if e.preferred else 0)
            if e.iri not in best or best[e.iri][0] < score:
                best[e.iri] = (score, i)

    def _fuzzy(self, qf: str, limit: int) -> list[int]:
        counts: dict[int, int] = {}
        for gram in trigrams(qf):
            for i in self.grams.get(gram, ()):
                counts[i] = counts.get(i, 0) + 1
        cap = 1 if len(qf) < 6 else 2
        needed = max(1, len(qf) - 2 * cap)  # trigrams that survive `cap` edits
        candidates = sorted((i for i, n in counts.items() if n >= needed), key=lambda i: -counts[i])
        found = [i for i in candidates[:2000] if edit_distance(qf, self.entries[i].folded, cap) <= cap]
        return found[:limit]

    def _hit(self, iri: str, score: int, idx: int) -> dict:
        e = self.entries[idx]
        tier = next(t for t, s in TIER_SCORES.items() if score in (s, s + 5))
        return {"iri": iri, "label": self.names.get(iri, e.label), "matched": e.label,
                "lang": e.lang, "match": tier, "score": score, "types": self.types.get(iri, [])}


def _prefixed(table: list[tuple[str, int]], prefix: str, limit: int) -> list[int]:
    start = bisect.bisect_left(table, (prefix, -1))
    found = []
    for key, i in table[start:]:
        if not key.startswith(prefix) or len(found) >= limit:
            break
        found.append(i)
    return found


LABELS_QUERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?s ?label ?pref ?type WHERE {
  { ?s skos:prefLabel ?label BIND(true AS ?pref) } UNION { ?s skos:altLabel ?label BIND(false AS ?pref) }
  OPTIONAL { ?s rdf:type ?type }
} ORDER BY ?s
"""


class SearchIndexes:
    """One index per access level. The store's fingerprint is re-checked at most every
    ``recheck`` seconds (it costs a small query); ``bump()`` (called after a successful
    write through this process) forces the check at the next request."""

    def __init__(self, recheck: float = 5.0):
        self._lock = threading.Lock()
        self._built: dict[tuple, tuple[object, float, SearchIndex]] = {}
        self.recheck = recheck
        self.generation = 0

    def get(self, level: tuple, fingerprint, build) -> SearchIndex:
        """``fingerprint()`` and ``build()`` are called only when needed."""
        now = time.monotonic()
        with self._lock:
            cached = self._built.get(level)
        if cached and cached[0][0] == self.generation and now - cached[1] < self.recheck:
            return cached[2]
        key = (self.generation, fingerprint())
        if cached and cached[0] == key:
            with self._lock:
                self._built[level] = (key, now, cached[2])
            return cached[2]
        index = SearchIndex.build(build())
        with self._lock:
            self._built[level] = (key, now, index)
        return index

    def bump(self) -> None:
        with self._lock:
            self.generation += 1


def label_rows(store, dataset_kwargs: dict):
    for row in store.query(LABELS_QUERY, **dataset_kwargs):
        label = row["label"]
        if not isinstance(label, ox.Literal):
            continue
        rdf_type = row["type"].value if row["type"] is not None else None
        yield (row["s"].value, label.value, label.language or "", row["pref"].value == "true", rdf_type)


FINGERPRINT_QUERY = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT (COUNT(?load) AS ?n) (MAX(STR(?t)) AS ?last) (SUM(?labels) AS ?l) WHERE {
  { ?load prov:endedAtTime ?t } UNION
  { SELECT (COUNT(*) AS ?labels) WHERE { ?s skos:prefLabel|skos:altLabel ?label } }
}
"""


def store_fingerprint(store, dataset_kwargs: dict) -> tuple:
    """Changes whenever a load or a write changes what the index could hold: the store's own
    change counter when it has one, the graph list, the load activities recorded in the
    provenance graph and the number of labels."""
    counter = getattr(store, "change_counter", None)
    counter = counter() if callable(counter) else counter
    row = next(iter(store.query(FINGERPRINT_QUERY, **dataset_kwargs)), None)
    values = tuple(None if row is None or row[v] is None else row[v].value for v in ("n", "last", "l"))
    return (counter, tuple(store.graphs()), values)
