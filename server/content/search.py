"""Name search: one entity, many spellings.

An index is built once per access level from every ``skos:prefLabel``/``skos:altLabel``
the caller may see, and rebuilt only when the store changes (a cheap fingerprint of the
graph list, the load activities and the store's own change counter when it has one).
A request never scans the labels: it looks keys up in dictionaries, a sorted key list
(prefixes) and a trigram table (fuzzy matches).

Matching is tolerant in tiers, ranked exact > prefix > word prefix > folded > fuzzy (typos:
only when no other tier matched, and only for queries of five letters or more):
- ``norm``: Unicode NFKC, case-folded, diacritics removed, Persian letters unified
  (Arabic yeh/kaf → Persian, ZWNJ and harakat removed), whitespace collapsed;
- ``compact``: ``norm`` without spaces, hyphens and punctuation (Ghezel Hesar = Ghezelhesar);
- ``folded``: ``compact`` with transliteration variants folded (ou/oo/u, ei/ey/ee/y/i, gh/q,
  kh/h, double letters) — Noury = Nouri, Hajilouei = Hajilooei.
"""

from __future__ import annotations

import bisect
import heapq
import re
import threading
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain

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
# Classes whose labels are names (not descriptions such as an event's "Arrest of …").
NAMED_CLASSES = {"Person", "Organization", "Court", "GovernmentBody", "InternationalBody", "NonGovernmentalOrganization",
                 "PoliticalOrganization", "Commission", "Place", "Prison", "Settlement", "Country", "Source"}
NAMED_BONUS = 12  # lifts a name over a description one tier up, never over an exact match


_ASCII_NOISE = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=262_144)
def norm(text: str) -> str:
    if text.isascii():  # the common case, without Unicode decomposition
        return " ".join(_ASCII_NOISE.sub(" ", text.lower()).split())
    text = unicodedata.normalize("NFKC", text).translate(PERSIAN_MAP)
    text = _ARABIC_MARKS.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped).split())


def compact(normed: str) -> str:
    return normed.replace(" ", "")


@lru_cache(maxsize=262_144)
def fold(compacted: str) -> str:
    text = compacted
    for old, new in _FOLDS:  # in order: digraphs before single letters
        text = text.replace(old, new)
    return _DOUBLES.sub(r"\1", text)


@lru_cache(maxsize=262_144)
def trigrams(text: str) -> frozenset[str]:
    padded = f"^{text}$"
    return frozenset(padded[i:i + 3] for i in range(len(padded) - 2))


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
    # folded keys (whole labels and their words), each once, with the entries that have them
    by_folded: dict[str, list[int]] = field(default_factory=dict)
    fold_keys: list[str] = field(default_factory=list)
    sorted_norm: list[tuple[str, int]] = field(default_factory=list)
    sorted_words: list[tuple[str, int]] = field(default_factory=list)
    sorted_folded: list[str] = field(default_factory=list)
    grams: dict[str, list[int]] = field(default_factory=dict)  # trigram → fold key numbers
    _seen: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

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
        index._seen = {}
        return index

    def _add(self, iri: str, label: str, lang: str, preferred: bool) -> None:
        n = norm(label)
        seen = self._seen.get((iri, n))
        if seen is not None:  # one spelling twice (prefLabel and rdfs:label, two graphs)
            self.entries[seen].preferred |= preferred
            return
        c = compact(n)
        self._seen[(iri, n)] = len(self.entries)
        self.entries.append(Entry(iri, label, lang, preferred, n, c, fold(c)))

    def _finish(self) -> None:
        for i, e in enumerate(self.entries):
            self.by_norm.setdefault(e.norm, []).append(i)
            self.sorted_norm.append((e.norm, i))
            self.sorted_words.extend((word, i) for word in e.norm.split(" ")[1:])
            words = e.norm.split(" ")
            for k in {e.folded, *(fold(w) for w in words if len(words) > 1)}:
                self.by_folded.setdefault(k, []).append(i)
        self.fold_keys = list(self.by_folded)
        self.sorted_folded = sorted(self.fold_keys)
        for n, k in enumerate(self.fold_keys):
            for gram in trigrams(k):
                self.grams.setdefault(gram, []).append(n)
        self.sorted_norm.sort()
        self.sorted_words.sort()

    def _folded_prefix(self, prefix: str, limit: int) -> list[int]:
        found: list[int] = []
        for position in range(bisect.bisect_left(self.sorted_folded, prefix), len(self.sorted_folded)):
            key = self.sorted_folded[position]
            if not key.startswith(prefix) or len(found) >= limit:
                break
            found.extend(self.by_folded[key][:limit])
        return found[:limit]

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
        self._tier(best, "folded-prefix", self._folded_prefix(qf, limit * 4))
        # Typos only when nothing matched otherwise, and only for names long enough that one or
        # two edits still say something: "nuri" is one letter from "ncri", "nour" from "four".
        if not best and fuzzy_cap(qf):
            self._tier(best, "fuzzy", self._fuzzy(qf, limit * 4))
        # Names before descriptions: a person, organisation, place or source whose name
        # matches ranks above events whose descriptive labels contain it one tier higher;
        # then the shorter label (the match is more of it), then alphabetically.
        ranked = sorted(best.items(), key=lambda item: (-(item[1][0] + self._named(item[0])),
                                                        len(self.entries[item[1][1]].norm),
                                                        self.entries[item[1][1]].norm, item[0]))
        return [self._hit(iri, score, idx) for iri, (score, idx) in ranked[:limit]]

    def _named(self, iri: str) -> int:
        return NAMED_BONUS if any(t.rpartition("#")[2] in NAMED_CLASSES for t in self.types.get(iri, ())) else 0

    def _tier(self, best: dict, tier: str, indexes) -> None:
        for i in indexes:
            e = self.entries[i]
            score = TIER_SCORES[tier] + (5 if e.preferred else 0)
            if e.iri not in best or best[e.iri][0] < score:
                best[e.iri] = (score, i)

    def _fuzzy(self, qf: str, limit: int) -> list[int]:
        cap = fuzzy_cap(qf)
        # Very common trigrams ("^ha") say little and cost much: leave them out of the count.
        common = max(1000, len(self.fold_keys) // 20)
        lists = [self.grams.get(g, ()) for g in trigrams(qf)]
        rare = [posting for posting in lists if len(posting) <= common]
        counts = Counter(chain.from_iterable(rare))
        needed = max(1, len(rare) - 3 * cap)  # each edit spoils at most three trigrams
        candidates = heapq.nlargest(300, (k for k, n in counts.items() if n >= needed), key=counts.__getitem__)
        found = [i for k in candidates
                 if abs(len(self.fold_keys[k]) - len(qf)) <= cap and edit_distance(qf, self.fold_keys[k], cap) <= cap
                 for i in self.by_folded[self.fold_keys[k]][:limit]]
        return list(dict.fromkeys(found))[:limit]

    def _hit(self, iri: str, score: int, idx: int) -> dict:
        e = self.entries[idx]
        tier = next(t for t, s in TIER_SCORES.items() if score in (s, s + 5))
        return {"iri": iri, "label": self.names.get(iri, e.label), "matched": e.label,
                "lang": e.lang, "match": tier, "score": score, "types": self.types.get(iri, [])}


def fuzzy_cap(folded: str) -> int:
    """Edits a fuzzy match may make to a folded query: none below five letters, one up to
    seven, two from eight."""
    return 0 if len(folded) < 5 else 1 if len(folded) < 8 else 2


def _prefixed(table: list[tuple[str, int]], prefix: str, limit: int) -> list[int]:
    found = []
    for position in range(bisect.bisect_left(table, (prefix, -1)), len(table)):
        key, i = table[position]
        if not key.startswith(prefix) or len(found) >= limit:
            break
        found.append(i)
    return found


LABELS_QUERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?s ?label ?pref ?type WHERE {
  { ?s skos:prefLabel ?label BIND(1 AS ?pref) } UNION { ?s skos:altLabel ?label BIND(0 AS ?pref) }
  OPTIONAL { ?s rdf:type ?type }
} ORDER BY ?s
"""


class SearchIndexes:
    """Things built from the store once per access level (the search index, the home page's
    counts). The store's fingerprint is re-checked at most every ``recheck`` seconds (it
    costs a small query); ``bump()`` (called after a successful write through this process)
    forces the check at the next request."""

    def __init__(self, recheck: float = 5.0):
        self._lock = threading.Lock()
        self._built: dict[tuple, tuple[object, float, SearchIndex]] = {}
        self.recheck = recheck
        self.generation = 0

    def get(self, level: tuple, fingerprint, build):
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
        index = build()
        with self._lock:
            self._built[level] = (key, now, index)
        return index

    def bump(self) -> None:
        with self._lock:
            self.generation += 1


SKOS_NS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def visible_quads(store, dataset_kwargs: dict, predicate: str, obj=None):
    """Quads with ``predicate`` in the graphs of the caller's dataset, read from the engine's
    indexes when the store has one: a SPARQL pattern over an explicit dataset of thousands of
    named graphs (one per testimony) costs a lookup per graph, this costs one index scan."""
    from justicegraph.server.content.entity import engine_quads  # one definition of "visible to this caller"

    return engine_quads(store, dataset_kwargs, None, ox.NamedNode(predicate), obj)


def label_rows(store, dataset_kwargs: dict):
    fast = visible_quads(store, dataset_kwargs, SKOS_NS + "prefLabel")
    if fast is not None:
        yield from _label_rows_from_quads(store, dataset_kwargs, fast)
        return
    for row in store.query(LABELS_QUERY, **dataset_kwargs):
        label = row["label"]
        if not isinstance(label, ox.Literal):
            continue
        rdf_type = row["type"].value if row["type"] is not None else None
        # (1/0, not true/false: Virtuoso answers a boolean value as an integer, docs/scaling.md)
        yield (row["s"].value, label.value, label.language or "", row["pref"].value == "1", rdf_type)


def _label_rows_from_quads(store, dataset_kwargs, preferred):
    types: dict[str, list[str]] = {}
    for q in visible_quads(store, dataset_kwargs, RDF_TYPE):
        types.setdefault(q.subject.value, []).append(q.object.value)
    alternative = visible_quads(store, dataset_kwargs, SKOS_NS + "altLabel")
    for is_pref, quads in ((True, preferred), (False, alternative)):
        for q in quads:
            if isinstance(q.object, ox.Literal):
                iri = q.subject.value
                for rdf_type in types.get(iri, [None])[:3]:
                    yield (iri, q.object.value, q.object.language or "", is_pref, rdf_type)


LOADS_QUERY = """PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT (COUNT(?load) AS ?n) (MAX(STR(?t)) AS ?last) WHERE { ?load prov:endedAtTime ?t }"""
LABEL_COUNT_QUERY = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT (COUNT(*) AS ?n) WHERE { ?s skos:prefLabel|skos:altLabel ?label }"""


def store_fingerprint(store, dataset_kwargs: dict) -> tuple:
    """Changes whenever a load or a write changes what the index could hold: the store's own
    change counter when it has one, its directory (the server reads an immutable snapshot
    directory per committed write, server/protocol/snapshot.py), the graph list, the load
    activities recorded in the provenance graph and the number of labels."""
    counter = getattr(store, "change_counter", None)
    counter = (counter() if callable(counter) else counter, str(getattr(store, "path", None)))
    if counter[1] != "None" and getattr(store, "read_only", False):
        # a read-only snapshot directory never changes: a write makes a new one
        return counter
    values = []
    for query, names in ((LOADS_QUERY, ("n", "last")), (LABEL_COUNT_QUERY, ("n",))):
        row = next(iter(store.query(query, **dataset_kwargs)), None)
        values += [None if row is None or row[v] is None else row[v].value for v in names]
    return (counter, tuple(store.graphs()), tuple(values))
