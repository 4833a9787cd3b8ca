"""What an entity page shows, as prose a researcher can cite: the view model behind
``/id/{id}`` (HTML) and its JSON twin, and behind the page of a graph (``/graph/…``: a
testimony shows what was said in it).

Every item on a page carries a ``cite``: whose it is (a speaker's testimony, a source's own
narration, the project's identity records, the reasoner), the source and the paragraph —
linked into the source's page (``/id/{source}#p{N}``), whose paragraph index lists what the
project recorded from that paragraph — and its ``mode``, how the source gives it
(``jg:mode``, a concept of the ``mode`` scheme):

- ``quotation`` — the source gives the speaker's own words;
- ``paraphrase`` — the source says in its own words what the speaker said;
- ``caption`` — the source's own voice (a caption introducing a speaker, the headline);
- ``derived`` — worked out by the editors, not said by anyone: also a time marked
  ``jg:timeDerived`` (explained by ``jg:timeNote``), and everything in the reasoner's inferred
  graph. The loader's ``jg:earliest``/``jg:latest`` only order timelines; they are never shown
  as a statement.

``None`` is a record whose mode the data does not say (data loaded before modes existed).
A statement's text (``jg:summary``) and an editors' description (``rdfs:comment``) are
always the project's own words, whatever the mode: no page sets them in quotation marks or
presents them as a speaker's words; the mode says how the *source* carried what they summarise.

Everything is read from the caller's visible graphs only (``Reader``): restricted graphs are
absent for anonymous callers, so nothing here filters by hand. On the embedded store the
quads come from the engine's indexes; on a remote store from small SPARQL patterns with
``substitutions``.
"""

from __future__ import annotations

import re
from collections import OrderedDict

import pyoxigraph as ox

from justicegraph import edtf
from justicegraph.namespaces import JG, PREFIXES, VOCAB
from justicegraph.server.content.entity import (
    Labels,
    kind_of,
    labelled_memo,
    local_href,
    snapshot_memo,
    visible,
    vocabulary_label,
)

J = str(JG)
SKOS, RDFS, RDF = PREFIXES["skos"], PREFIXES["rdfs"], PREFIXES["rdf"]
PROV, DCT, FOAF = PREFIXES["prov"], PREFIXES["dcterms"], PREFIXES["foaf"]
TYPE = RDF + "type"

MAX_INCOMING = 2000   # a hub (the massacre) is linked from thousands: the page reads the first
MAX_NODES = 500       # statements, participations and positions shown about one entity
MAX_PLACE_EVENTS = 2000  # = MAX_INCOMING: every event the links read, listed a page at a time
PAGE_SIZE = 50  # entries per page of each list that grows with the data (a place's people and
# events, an event's parts, the links to a hub): the first page costs what 50 entries cost
MAX_SOURCE_ITEMS = 1500  # records listed in a source's paragraph index
MAX_NETWORK_NODES = 60
MAX_DATASET_GRAPHS = 200  # graphs read to name the sources a dataset's identity records come from

MODES = ("quotation", "paraphrase", "caption", "derived")
STATEMENT_KINDS = (  # class local name → heading, in the order a page lists them
    ("Accusation", "Accusations"), ("Characterisation", "Characterisations"),
    ("ClaimedCount", "Numbers given"), ("ClaimedDuration", "Durations given"),
    ("CallToAction", "Calls to action"), ("Observation", "Observations"), ("Claim", "Other statements"),
    ("Statement", "Statements"),
)
VERBS = {"Accusation": "accuses", "Characterisation": "characterises", "ClaimedCount": "gives a number",
         "ClaimedDuration": "gives a duration", "CallToAction": "calls on", "Observation": "speaks of",
         "Claim": "speaks of", "Statement": "speaks of"}
RELATIVES = {  # predicate → (what the subject is to the object, what the object is to the subject)
    J + "siblingOf": ("sibling", "sibling"), J + "spouseOf": ("spouse", "spouse"),
    J + "relativeOf": ("relative", "relative"), J + "parentOf": ("parent", "child"),
    J + "childOf": ("child", "parent"),
}
# jg:Relationship nodes (one voice's relation, with locator and mode) name the relation by a
# concept of the relation scheme; its notation maps to the property of the plain triple.
RELATION_TYPES = {"sibling": J + "siblingOf", "spouse": J + "spouseOf", "relative": J + "relativeOf",
                  "parent": J + "parentOf", "child": J + "childOf", "nationality": J + "nationality"}
EVENT_FACTS = {J + p for p in ("eventType", "time", "earliest", "latest", "timeDerived", "timeNote", "place",
                               "fromPlace", "partOf", "hasPart", "locator", "document")}
NAME_PREDICATES = {SKOS + "prefLabel", SKOS + "altLabel", RDFS + "label"}
NOT_SHOWN = NAME_PREDICATES | {TYPE, J + "recordId", RDFS + "comment", SKOS + "scopeNote", J + "locator",
                               J + "accessLevel", J + "mode", J + "reportedBy"}
MAIN_TYPES = ("Prison", "Settlement", "Country", "Court", "GovernmentBody", "InternationalBody",
              "NonGovernmentalOrganization", "PoliticalOrganization", "Commission", "Collective", "Person", "Place",
              "Organization", "Event", "Source", "Document", "VictimParticipation", "Participation", "Position",
              "Relationship", *(k for k, _ in STATEMENT_KINDS), "Agent")
SOURCE_FACTS = {DCT + "title", DCT + "publisher", DCT + "date", DCT + "language", FOAF + "page"}
GRAPH_KINDS = ("Testimony", "SourceNarration", "CuratedGraph", "InferredGraph", "AssertionGraph")
LANGUAGES = {"en": "English", "fa": "Persian", "ar": "Arabic", "fr": "French", "de": "German", "sv": "Swedish",
             "it": "Italian", "nl": "Dutch", "lt": "Lithuanian", "ro": "Romanian", "es": "Spanish"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
SEASONS = {21: "spring", 22: "summer", 23: "autumn", 24: "winter"}
LOCATOR = re.compile(r"¶\s*(\d+)")


# -- reading ---------------------------------------------------------------------------------------

PATTERN = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 20000"
# A place's lists, read whole by the engine (Page._place_rows): the dates of the events at it,
# and the type and agent of every node that names one of them as its event.
PLACE_EVENT_DATES = """PREFIX jg: <https://w3id.org/justicegraph/ontology#>
SELECT DISTINCT ?place ?e ?g ?p ?v WHERE {
  VALUES ?link { jg:place jg:fromPlace } VALUES ?p { jg:earliest jg:time }
  GRAPH ?g0 { ?e ?link ?place } GRAPH ?g { ?e ?p ?v }
}"""
# VALUES, not a sub-select or a FILTER: the engine then joins by index lookups from the place
# (48 ms for Evin at 1.15M quads) instead of scanning every participation of the store (0.7 s).
PLACE_PARTICIPATIONS = """PREFIX jg: <https://w3id.org/justicegraph/ontology#>
SELECT DISTINCT ?place ?e ?x ?g1 ?g ?p ?v WHERE {
  VALUES ?link { jg:place jg:fromPlace } VALUES ?p { <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> jg:agent }
  GRAPH ?g0 { ?e ?link ?place } GRAPH ?g1 { ?x jg:event ?e } GRAPH ?g { ?x ?p ?v }
}"""


class Reader:
    """Quads of the caller's visible named graphs, read once per pattern per request."""

    def __init__(self, store, dataset: dict):
        self.store, self.dataset = store, dataset
        self.engine, self.shown = getattr(store, "engine", None), visible(dataset)
        self._cache: dict[tuple, list[ox.Quad]] = {}
        self.memo = snapshot_memo(store, dataset)  # results shared by every page of a snapshot

    def quads(self, s=None, p=None, o=None, g=None) -> list[ox.Quad]:
        key = (s, p, o, g)
        if key not in self._cache:
            self._cache[key] = self._read(s, p, o, g)
        return self._cache[key]

    def _read(self, s, p, o, g) -> list[ox.Quad]:
        if self.engine is not None and self.shown is not None:
            if g is not None and not self.shown(g):
                return []
            found = [q for q in self.engine.quads_for_pattern(s, p, o, g) if self.shown(q.graph_name)]
        else:
            subs = {ox.Variable(k): v for k, v in (("s", s), ("p", p), ("o", o), ("g", g)) if v is not None}
            found = [ox.Quad(s or r["s"], p or r["p"], o or r["o"], g or r["g"])
                     for r in self.store.query(PATTERN, substitutions=subs, **self.dataset)]
        # The engine's order depends on its history: sort, so a page is the same whatever the plan.
        if len(found) < 2:
            return found
        return sorted(found, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))

    def values(self, s, p: str) -> list[ox.Term]:
        return list(dict.fromkeys(q.object for q in self.quads(s, ox.NamedNode(p))))


def local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


# -- presentation helpers --------------------------------------------------------------------------

def human_time(text: str) -> str:
    """An EDTF time in words: ``1988-07/1988-08`` → "July – August 1988", ``198X`` → "the
    1980s", ``../1979`` → "until 1979", ``1988~`` → "about 1988". Unknown forms stay as written."""
    text = text.strip()
    if "/" not in text:
        return _human_single(text)
    start, _, end = text.partition("/")
    if start in ("", "..") and end in ("", ".."):
        return text
    if start == "..":
        return f"until {_human_single(end)}"
    if start == "":
        return f"? – {_human_single(end)}"
    if end == "..":
        return f"from {_human_single(start)}"
    if end == "":
        return f"{_human_single(start)} – ?"
    a, b = re.fullmatch(r"(\d{4})-(\d{2})", start), re.fullmatch(r"(\d{4})-(\d{2})", end)
    if a and b and a.group(1) == b.group(1) and int(a.group(2)) <= 12 and int(b.group(2)) <= 12:
        return f"{MONTHS[int(a.group(2)) - 1]} – {MONTHS[int(b.group(2)) - 1]} {a.group(1)}"
    return f"{_human_single(start)} – {_human_single(end)}"


def _human_single(text: str) -> str:
    m = re.fullmatch(edtf.DATE_PATTERN, text)  # the one EDTF grammar (justicegraph/edtf.py)
    if not m:
        return text
    qualifier = text[-1] if text[-1:] in ("~", "?", "%") else ""
    year, month, day = m.group(1), m.group(3), m.group(5)
    if year.endswith("XX"):
        words = f"the {year[:2]}00s"
    elif year.endswith("X"):
        words = f"the {year[:3]}0s"
    else:
        words = year
    if month:
        n = int(month)
        if n in SEASONS:
            words = f"{SEASONS[n]} {year}"
        elif 1 <= n <= 12:
            words = f"{int(day)} {MONTHS[n - 1]} {year}" if day else f"{MONTHS[n - 1]} {year}"
    if qualifier == "~":
        return f"about {words}"
    if qualifier == "?":
        return f"{words} (uncertain)"
    if qualifier == "%":
        return f"about {words} (uncertain)"
    return words


def sort_key_of_time(text: str | None) -> str:
    if not text:
        return ""
    try:
        span = edtf.parse(text)
    except edtf.EDTFError:
        return ""
    return (span.earliest or span.latest).isoformat() if (span.earliest or span.latest) else ""


def paragraphs(locator: str | None) -> list[int]:
    return [int(n) for n in LOCATOR.findall(locator or "")]


def count_text(minimum, maximum, show=lambda v: f"{int(v):,}") -> str | None:
    """A claimed range in words: "at least 30,000", "at most 600", "4", "between 3 and 5"."""
    lo, hi = (show(v.value) if v is not None else None for v in (minimum, maximum))
    if lo is not None and hi is not None:
        return lo if lo == hi else f"between {lo} and {hi}"
    if lo is not None:
        return f"at least {lo}"
    if hi is not None:
        return f"at most {hi}"
    return None


DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


def human_duration(text: str) -> str:
    """An xsd:duration in words: ``P30Y`` → "30 years", ``P1Y6M`` → "1 year 6 months"."""
    m = DURATION.fullmatch(text.strip())
    if not m or not any(m.groups()):
        return text
    words = []
    for n, unit in zip(m.groups(), ("year", "month", "week", "day", "hour", "minute", "second"), strict=True):
        if n is not None:
            words.append(f"{int(n)} {unit}{'' if int(n) == 1 else 's'}")
    return " ".join(words)


UNIT_PLURALS = {"person": "people", "per cent": "per cent"}


def unit_words(label: str, number: str) -> str:
    """A count's unit as the number needs it: "4 people", "1 person", "90 per cent"."""
    return label if number in ("1", "at least 1", "at most 1") else UNIT_PLURALS.get(label, label + "s")


def label_of_class(iri: str) -> str:
    return vocabulary_label(iri) or re.sub(r"(?<=[a-z])(?=[A-Z])", " ", local(iri)).lower()


# -- voices ----------------------------------------------------------------------------------------

class Voices:
    """Who asserts each graph (from the provenance graphs): the voice of what it holds.

    A voice or a source reads the same on every page of a snapshot: on a snapshot each is
    worked out once for the caller's dataset (``Reader.memo``) and shared, never changed."""

    def __init__(self, reader: Reader, names: Labels, minter):
        self.reader, self.names, self.minter = reader, names, minter
        self._graphs: dict[str, dict] = {}
        self._sources: dict[str, dict] = {}

    def _shared(self, key: tuple, make):
        memo = self.reader.memo
        if memo is None:
            return make()
        key = (*key, self.minter.base)
        found = memo.get(key)
        if found is None:
            found = memo[key] = make()
        return found

    def source(self, iri: str) -> dict:
        """A source as a citation: its title, and a short form (publisher, date) for lists."""
        if iri not in self._sources:
            self._sources[iri] = self._shared(("source", iri), lambda: self._describe_source(iri))
        return self._sources[iri]

    def _describe_source(self, iri: str) -> dict:
        node = ox.NamedNode(iri)
        term = self.names.term(node)
        publisher = next((v.value for v in self.reader.values(node, DCT + "publisher")), None)
        date = next((v.value for v in self.reader.values(node, DCT + "date")), None)
        # "Iran News Now, 24 March 2023": who published it and when, else its title
        short = f"{publisher}, {human_time(date)}" if publisher and date else publisher or term["label"]
        return {**term, "short": short}

    def graph(self, graph) -> dict:
        key = graph.value if isinstance(graph, ox.NamedNode) else ""
        if key not in self._graphs:
            self._graphs[key] = self._shared(("voice", key), lambda: self._describe(key))
        return self._graphs[key]

    def _describe(self, iri: str) -> dict:
        props: dict[str, list[ox.Term]] = {}
        if iri:
            for q in self.reader.quads(ox.NamedNode(iri)):
                props.setdefault(q.predicate.value, []).append(q.object)
        kinds = {local(o.value) for o in props.get(TYPE, []) if o.value.startswith(J)}
        # the most specific kind: after reasoning a graph is also an (inferred) AssertionGraph
        kind = next((k for k in GRAPH_KINDS if k in kinds), None)
        if iri in self.minter.inferred_graphs:
            kind = "InferredGraph"
        speaker = next(iter(props.get(PROV + "wasAttributedTo", [])), None)
        source = next(iter(props.get(PROV + "wasDerivedFrom", [])), None)
        locator = next((o.value for o in props.get(J + "locator", [])), None)
        dataset = next((o.value for o in props.get(J + "dataset", [])), None)
        title = next((o.value for o in props.get(RDFS + "label", [])), None)
        if kind == "Testimony" or (kind is None and speaker is not None and speaker != source):
            voice = "testimony"
        elif kind == "SourceNarration" or (kind is None and speaker is not None):
            voice = "source"
        elif kind == "InferredGraph":
            voice = "reasoner"
        elif kind == "CuratedGraph":
            voice = "project"
        else:
            voice = "import"
        out = {"voice": voice, "graph": iri, "href": local_href(iri, self.minter.base) if iri else None,
               "speaker": None, "source": None, "sources": [], "locator": locator, "dataset": dataset,
               "title": title if voice == "testimony" else None, "restricted": iri.endswith("/restricted")}
        if voice in ("testimony", "source") and speaker is not None:
            out["speaker"] = self.names.term(speaker)
        if voice in ("testimony", "source") and isinstance(source, ox.NamedNode):
            out["source"] = self.source(source.value)
        if voice == "project" and dataset:
            out["sources"] = self._dataset_sources(dataset)
        return out

    def _dataset_sources(self, dataset: str) -> list[dict]:
        """The sources a dataset's graphs come from: what its identity records were compiled from."""
        # A read of up to 200 graphs' provenance (most of a person page's CPU at 100k quads
        # when it ran on every page): on a snapshot, once, with the voice that shows it.
        found: list[str] = []
        for q in self.reader.quads(None, ox.NamedNode(J + "dataset"), ox.Literal(dataset))[:MAX_DATASET_GRAPHS]:
            for s in self.reader.values(q.subject, PROV + "wasDerivedFrom"):
                if isinstance(s, ox.NamedNode) and s.value.startswith(self.minter.base + "id/") and s.value not in found:
                    found.append(s.value)
        return [self.source(s) for s in found[:5]]

    def cite(self, graph, locator: str | None = None, mode: str | None = None, reported_by=None) -> dict:
        """The attribution of one item: its graph's voice, with the item's own paragraph and mode."""
        voice = self.graph(graph)
        loc = locator or voice["locator"]
        source = voice["source"] or (voice["sources"][0] if len(voice["sources"]) == 1 else None)
        if isinstance(reported_by, ox.NamedNode):
            source = self.source(reported_by.value)
        if voice["voice"] == "reasoner":
            mode = "derived"
        href = None
        if loc and source and paragraphs(loc) and (source.get("href") or "").startswith("/"):
            href = f"{source['href']}#p{paragraphs(loc)[0]}"
        return {**voice, "source": source, "locator": loc, "locator_href": href, "mode": mode}


# -- the pieces of a page --------------------------------------------------------------------------

class Node:
    """An n-ary node (participation, position, statement, relationship) as one graph asserts it."""

    def __init__(self, subject, graph):
        self.subject, self.graph = subject, graph
        self.types: list[str] = []
        self.props: OrderedDict[str, list[ox.Term]] = OrderedDict()

    def one(self, local_name: str):
        return next(iter(self.props.get(J + local_name, [])), None)

    def all(self, local_name: str) -> list[ox.Term]:
        return self.props.get(J + local_name, [])

    def is_a(self, *names: str) -> bool:
        return any(t == J + n for t in self.types for n in names)

    @property
    def statement_class(self) -> str | None:
        kinds = {local(t) for t in self.types if t.startswith(J)}
        return next((k for k, _ in STATEMENT_KINDS if k in kinds), None)

    @property
    def mode(self) -> str | None:
        """How the source gives the record (``jg:mode``: a concept IRI or a literal ending in
        the mode's name), or None when the data does not say."""
        for v in self.all("mode"):
            word = local(v.value).lower()
            if word in MODES:
                return word
        return None


def _text(term) -> str | None:
    return term.value if term is not None else None


class Page:
    """Builds the view model of one entity page."""

    def __init__(self, store, iri: str, dataset: dict, settings, page: int = 1):
        self.iri, self.node, self.settings = iri, ox.NamedNode(iri), settings
        self.page = page  # which page of the unbounded lists (a place's people and events)
        self.minter, self.base = settings.minter, settings.base
        self.reader = Reader(store, dataset)
        self.names = Labels(store, dataset, settings.base)
        self.voices = Voices(self.reader, self.names, self.minter)
        self.provenance = {self.minter.provenance_graph, self.minter.restricted_provenance_graph}
        self.inferred = set(self.minter.inferred_graphs)
        self._events: dict[str, dict] = {}
        self._nodes: dict[ox.Term, list[Node]] = {}
        self.used_graphs: OrderedDict[str, None] = OrderedDict()
        self._labelled = labelled_memo(self.reader.memo)  # on a snapshot, shared by its pages

    # -- reading helpers

    def term(self, t: ox.Term) -> dict:
        out = self.names.term(t)
        if out["type"] == "uri" and out["value"].startswith((str(VOCAB), J)):
            out["href"] = None  # controlled values (roles, event types) read as words, not links
        return out

    def text_of(self, t: ox.Term) -> str:
        return self.names.term(t)["label"] if isinstance(t, ox.NamedNode) else t.value

    def cite(self, graph, locator=None, mode=None, reported_by=None) -> dict:
        if isinstance(graph, ox.NamedNode):
            self.used_graphs.setdefault(graph.value)
        return self.voices.cite(graph, locator, mode, reported_by)

    def cite_node(self, n: Node) -> dict:
        return self.cite(n.graph, _text(n.one("locator")), n.mode, n.one("reportedBy"))

    def nodes_of(self, subject) -> list[Node]:
        """The node's triples, one Node per asserting graph (inferred types only add types)."""
        if subject not in self._nodes:
            by_graph: OrderedDict[str, Node] = OrderedDict()
            inferred_types = []
            for q in self.reader.quads(subject):
                if q.graph_name.value in self.inferred:
                    if q.predicate.value == TYPE:
                        inferred_types.append(q.object.value)
                    continue
                n = by_graph.setdefault(q.graph_name.value, Node(subject, q.graph_name))
                if q.predicate.value == TYPE:
                    n.types.append(q.object.value)
                else:
                    n.props.setdefault(q.predicate.value, []).append(q.object)
            for n in by_graph.values():
                n.types += [t for t in inferred_types if t not in n.types]
            self._nodes[subject] = list(by_graph.values())
        return self._nodes[subject]

    def is_labelled(self, subject) -> bool:
        shared = self._labelled
        found = shared.get(subject)
        if found is None:
            found = shared[subject] = bool(self.reader.quads(subject, ox.NamedNode(SKOS + "prefLabel")))
        return found

    def main_type(self, types: list[str]) -> str | None:
        js = [t for t in types if t.startswith(J)]
        return next((J + o for o in MAIN_TYPES if J + o in js), js[0] if js else None)

    # -- events

    def event(self, iri: str) -> dict:
        """An event as the voices describe it: type, when (stated or worked out), where."""
        if iri not in self._events:
            view = self.new_event_view(ox.NamedNode(iri))
            for n in self.nodes_of(ox.NamedNode(iri)):
                self.add_event_facts(view, n)
            self._events[iri] = view
        return self._events[iri]

    def new_event_view(self, node) -> dict:
        return {"event": self.term(node), "types": [], "when": [], "where": [], "from": [], "part_of": [],
                "documents": [], "sort": "", "cites": []}

    def add_event_facts(self, view: dict, n: Node) -> None:
        """What one graph says of an event. A time the editors worked out (``jg:timeDerived``)
        is ``derived``, with its note; ``jg:earliest`` only orders the timeline."""
        if not any(k in n.props for k in EVENT_FACTS):
            return
        cite = self.cite_node(n)
        _add_cite(view["cites"], cite)
        for t in n.all("eventType"):
            label = self.text_of(t)
            if label not in view["types"]:
                view["types"].append(label)
        time = n.one("time")
        if time is not None:
            derived = _text(n.one("timeDerived")) == "true" or cite["mode"] == "derived"
            mode = "derived" if derived else cite["mode"]
            time_cite = {**cite, "mode": mode}
            same = next((w for w in view["when"] if w["edtf"] == time.value and w["derived"] == derived), None)
            if same is None:
                view["when"].append({"text": human_time(time.value), "edtf": time.value, "derived": derived,
                                     "note": _text(n.one("timeNote")), "cites": [time_cite]})
            else:
                _add_cite(same["cites"], time_cite)
        earliest = _text(n.one("earliest")) or sort_key_of_time(_text(time))
        if earliest and (not view["sort"] or earliest < view["sort"]):
            view["sort"] = earliest
        for key, name in (("where", "place"), ("from", "fromPlace"), ("part_of", "partOf"), ("documents", "document")):
            for t in n.all(name):
                _merge_cited(view[key], self.term(t), cite)

    # -- statements, participations, positions

    def statement(self, n: Node) -> dict:
        """A statement: the project's summary of what was said (never a quotation), what it
        is about, its details (who is accused, what is called for, the number given)."""
        cls = n.statement_class or "Statement"
        details = []
        for name, label in (("characterisedAs", "characterised as"), ("accused", "accused"),
                            ("addressee", "addressed to"), ("durationOf", "how long"),
                            ("elapsedSince", "time since")):
            if n.all(name):
                details.append({"label": label, "values": [self.term(v) for v in n.all(name)]})
        if n.one("action") is not None:
            details.append({"label": "calls for", "text": n.one("action").value})
        unit = n.one("unit")
        number = count_text(n.one("minimum"), n.one("maximum"))
        if number:
            of = n.one("countOf")
            words = " ".join(x for x in (number, unit_words(self.text_of(unit), number) if unit is not None else None) if x)
            details.append({"label": "number", "text": words + (f" ({of.value})" if of is not None else "")})
        duration = count_text(n.one("minimumDuration"), n.one("maximumDuration"), human_duration)
        if duration:
            details.append({"label": "duration", "text": duration})
        if n.one("wording") is not None:
            details.append({"label": "as worded", "text": n.one("wording").value})
        basis = [self._statement_ref(v) for v in n.props.get(PROV + "wasDerivedFrom", []) if isinstance(v, ox.NamedNode)]
        if basis:  # a value the editors worked out, and the statements it was worked out from
            details.append({"label": "worked out from", "entries": basis})
        speaker, summary = n.one("statedBy"), n.one("summary")
        return {"kind": label_of_class(J + cls), "class": cls, "text": _text(summary),
                "speaker": self.term(speaker) if speaker is not None else None,
                "about": [self.term(v) for v in n.all("about")], "details": details,
                "href": local_href(n.subject.value, self.base) if isinstance(n.subject, ox.NamedNode) else None,
                "cite": self.cite_node(n)}

    def _statement_ref(self, iri: ox.NamedNode) -> dict:
        """Another statement, as a link that reads as what it says (never its record id)."""
        label, _ = self.names.lookup(iri.value)
        if label is None:
            n = next((n for n in self.nodes_of(iri) if n.one("summary") is not None), None)
            label = n.one("summary").value if n is not None else "a recorded statement"
        return {"href": local_href(iri.value, self.base), "text": label}

    def participation(self, n: Node) -> dict:
        event, agent, role, age = n.one("event"), n.one("agent"), n.one("role"), n.one("ageAtEvent")
        return {"event": self.term(event) if event is not None else None,
                "agent": self.term(agent) if agent is not None else None,
                "role": self.text_of(role) if role is not None else "taking part",
                "age": int(age.value) if age is not None else None, "cite": self.cite_node(n)}

    def position(self, n: Node) -> dict:
        holder, org, role, title, time = (n.one(k) for k in ("holder", "organization", "role", "title", "time"))
        cite = self.cite_node(n)
        derived = _text(n.one("timeDerived")) == "true" or cite["mode"] == "derived"
        return {"holder": self.term(holder) if holder is not None else None,
                "organization": self.term(org) if org is not None else None,
                "title": _text(title), "role": self.text_of(role) if role is not None else None,
                "when": ({"text": human_time(time.value), "edtf": time.value, "derived": derived,
                          "note": _text(n.one("timeNote")), "cites": [{**cite, "mode": "derived" if derived else cite["mode"]}]}
                         if time is not None else None),
                "cite": cite}

    # -- the page

    def build(self) -> dict | None:
        own = self.reader.quads(self.node)
        incoming = self.reader.quads(None, None, self.node)[:MAX_INCOMING]
        if not own and not incoming:
            return None
        label, types = self.names.lookup(self.iri)
        kind = kind_of(types)
        asserted = [q for q in own if q.graph_name.value not in self.inferred]
        derived_quads = [q for q in own + incoming
                         if q.graph_name.value in self.inferred and q.predicate.value != TYPE]
        graphs_of_it = [q for q in incoming if q.graph_name.value in self.provenance]
        links = [q for q in incoming if q.graph_name.value not in self.provenance | self.inferred]

        # n-ary nodes pointing at the entity, and labelled entities linking to it
        node_links: OrderedDict[ox.Term, list[str]] = OrderedDict()
        entity_links = []
        for q in links:
            if q.subject in node_links or (len(node_links) < MAX_NODES and not self.is_labelled(q.subject)):
                node_links.setdefault(q.subject, []).append(q.predicate.value)
            else:
                entity_links.append(q)
        nodes = [n for subject in node_links for n in self.nodes_of(subject)]
        main = self.main_type(types)
        participations = [n for n in nodes if n.is_a("Participation", "VictimParticipation")]
        statements = [n for n in nodes if n.statement_class]
        positions = [n for n in nodes if n.is_a("Position")]
        relationships = [n for n in nodes if n.is_a("Relationship")]
        data = {
            "iri": self.iri, "id": self.minter.record_id(self.iri), "label": label or self._node_title(),
            "kind": kind, "kind_label": label_of_class(main) if main else "entry",
            "types": [label_of_class(t) for t in types if t.startswith(J)],
            "names": self._names(asserted), "descriptions": self._descriptions(asserted),
            "notes": self._notes(asserted), "facts": self._facts(asserted, relationships),
            "event": self.event(self.iri) if kind == "event" else None,
            "timeline": self._timeline([n for n in participations if n.one("agent") == self.node]),
            "participants": [], "held_here": [], "events_here": [], "parts": [],
            "relatives": self._relatives(asserted, entity_links, relationships),
            "positions": [self.position(n) for n in positions if n.one("holder") == self.node],
            "members": [self.position(n) for n in positions if n.one("organization") == self.node],
            "said": [], "said_about": [], "testimonies": self._testimonies(graphs_of_it, kind),
            "source": None, "statement": None, "linked_from": [], "derived": self._derived(derived_quads),
            "capped": {"links": len(incoming) >= MAX_INCOMING, "nodes": len(node_links) >= MAX_NODES},
            "paging": None,
        }
        # The lists that grow with the data, in page order as keys (cheap), checked against the
        # page asked for before any of their entries is built.
        covered = {J + "place", J + "fromPlace", J + "partOf", J + "hasPart", *RELATIVES}
        links = _link_keys([q for q in entity_links if q.predicate.value not in covered])
        parts = self._dated(self._part_events(asserted, entity_links), "parts") if kind == "event" else []
        index = None
        if kind == "place":
            events = [q.subject for q in entity_links if q.predicate.value in (J + "place", J + "fromPlace")]
            index = self._place_index(list(dict.fromkeys(events)))
        totals = {"links": len(links), "parts": len(parts)}
        if index is not None:
            totals.update(events=len(index["events"]), people=len(index["people"]))
        pages = max(1, *(-(-n // PAGE_SIZE) for n in totals.values()))
        if self.page > pages:
            return None  # a page past the last (page 1 always exists)
        if kind == "event":
            data["participants"] = self._participants([n for n in participations if n.one("event") == self.node])
            data["parts"] = [self.event(e.value) for e in self._page_of(parts)]
        if index is not None:
            data["events_here"], data["held_here"] = self._at_place(index)
        said = [n for n in statements if n.one("statedBy") == self.node]
        data["said"] = _group_statements([self.statement(n) for n in said])
        data["said_about"] = _group_statements([self.statement(n) for n in statements if n not in said])
        if kind == "source":
            data["source"] = self._source(asserted, graphs_of_it)
        if not label:  # a statement, participation … : its entry shows what its triples say
            data["statement"], data["facts"] = self._node_page(), []
        data["linked_from"] = self._linked_from(self._page_of(links))
        if index is not None or pages > 1:
            shown = {"links": sum(len(g["values"]) for g in data["linked_from"]), "parts": len(data["parts"]),
                     "events": len(data["events_here"]), "people": len(data["held_here"])}
            start = (self.page - 1) * PAGE_SIZE
            data["paging"] = {"page": self.page, "pages": pages, "size": PAGE_SIZE,
                              **{name: {"total": total, "first": start + 1 if shown[name] else 0,
                                        "last": start + shown[name] if shown[name] else 0}
                                 for name, total in totals.items()},
                              "capped": bool(index and index["capped"]) or data["capped"]["links"]}
        data["network"] = self._network(data)
        data["graphs"] = [self.voices.graph(ox.NamedNode(g)) for g in self.used_graphs]
        data["one_source"] = one_source(data["graphs"])
        return data

    def _node_title(self) -> str:
        """A title for an unlabelled node (a statement, a participation, a position)."""
        nodes = self.nodes_of(self.node)
        n = nodes[0] if nodes else None
        if n is None:
            return "Entry"
        if n.statement_class:
            speaker = n.one("statedBy")
            return label_of_class(J + n.statement_class).capitalize() + (
                f" by {self.text_of(speaker)}" if speaker is not None else "")
        parts_of = {"Participation": ("agent", "role", "event"), "VictimParticipation": ("agent", "role", "event"),
                    "Position": ("holder", "title", "organization"), "Relationship": ("person", "relationType", "other")}
        for cls, keys in parts_of.items():
            if n.is_a(cls):
                words = [self.text_of(n.one(k)) for k in keys if n.one(k) is not None]
                return f"{label_of_class(J + cls).capitalize()}: " + " · ".join(words)
        return "Entry"

    def _node_page(self) -> dict | None:
        nodes = self.nodes_of(self.node)
        n = nodes[0] if nodes else None
        if n is None:
            return None
        if n.statement_class:
            return {"kind": "statement", **self.statement(n)}
        if n.is_a("Participation", "VictimParticipation"):
            return {"kind": "participation", **self.participation(n)}
        if n.is_a("Position"):
            return {"kind": "position", **self.position(n)}
        if n.is_a("Relationship"):
            person, other, relation = n.one("person"), n.one("other"), n.one("relationType")
            return {"kind": "relationship", "person": self.term(person) if person is not None else None,
                    "other": self.term(other) if other is not None else None,
                    "relation": self.text_of(relation) if relation is not None else "relation",
                    "cite": self.cite_node(n)}
        return None

    def _names(self, own) -> list[dict]:
        names: OrderedDict[tuple, dict] = OrderedDict()
        for q in own:
            if q.predicate.value not in (SKOS + "prefLabel", SKOS + "altLabel") or not isinstance(q.object, ox.Literal):
                continue
            lang = q.object.language or ""
            entry = names.setdefault((q.object.value, lang), {
                "name": q.object.value, "lang": lang,
                "language": LANGUAGES.get(lang, lang) if lang not in ("", "en") else None,
                "preferred": False, "cites": []})
            entry["preferred"] |= q.predicate.value == SKOS + "prefLabel"
            _add_cite(entry["cites"], self.cite(q.graph_name))
        return sorted(names.values(), key=lambda e: (not e["preferred"], e["lang"] != "en", e["name"]))

    def _descriptions(self, own) -> list[dict]:
        """The editors' descriptions: the project's words, never a speaker's."""
        return [{"text": q.object.value, "cite": self.cite(q.graph_name)}
                for q in own if q.predicate.value in (RDFS + "comment", DCT + "description")
                and isinstance(q.object, ox.Literal)]

    def _notes(self, own) -> list[dict]:
        out = []
        for q in own:
            if q.predicate.value == SKOS + "scopeNote" and isinstance(q.object, ox.Literal):
                out.append({"text": q.object.value, "cite": self.cite(q.graph_name)})
            elif q.predicate.value == J + "locator" and self.voices.graph(q.graph_name)["voice"] == "project":
                cite = self.cite(q.graph_name, q.object.value)
                if cite["locator_href"]:
                    out.append({"first_mention": q.object.value, "cite": cite})
        return out

    def _facts(self, own, relationships: list[Node]) -> list[dict]:
        """The entity's own relations no other section shows (nationality, located in …)."""
        groups: OrderedDict[str, dict] = OrderedDict()
        for q in own:
            p = q.predicate.value
            if p in NOT_SHOWN or p in EVENT_FACTS or p in RELATIVES or p in SOURCE_FACTS:
                continue
            group = groups.setdefault(p, {"label": label_of_class(p), "values": []})
            _merge_cited(group["values"], self.term(q.object), self.cite(q.graph_name))
        for n in relationships:  # a nationality given as one voice's relationship
            relation, other = n.one("relationType"), n.one("other")
            if n.one("person") == self.node and relation is not None and local(relation.value) == "nationality" \
                    and other is not None:
                group = groups.setdefault(J + "nationality", {"label": label_of_class(J + "nationality"), "values": []})
                _merge_cited(group["values"], self.term(other), self.cite_node(n))
        return list(groups.values())

    def _relatives(self, own, entity_links, relationships: list[Node]) -> list[dict]:
        out: OrderedDict[tuple, dict] = OrderedDict()

        def add(person, relation, cite):
            entry = out.setdefault((person, relation), {"person": self.term(person), "relation": relation, "cites": []})
            _add_cite(entry["cites"], cite)

        for n in relationships:  # with their locator and mode
            relation, person, other = n.one("relationType"), n.one("person"), n.one("other")
            prop = RELATION_TYPES.get(local(relation.value)) if relation is not None else None
            if prop not in RELATIVES or person is None or other is None:
                continue
            if person == self.node:
                add(other, RELATIVES[prop][1], self.cite_node(n))
            elif other == self.node:
                add(person, RELATIVES[prop][0], self.cite_node(n))
        for q in own:
            if q.predicate.value in RELATIVES:
                add(q.object, RELATIVES[q.predicate.value][1], self.cite(q.graph_name))  # the other is my …
        for q in entity_links:
            if q.predicate.value in RELATIVES:
                add(q.subject, RELATIVES[q.predicate.value][0], self.cite(q.graph_name))  # they are my …
        return list(out.values())

    def _timeline(self, participations: list[Node]) -> list[dict]:
        """What happened to the entity: one entry per event it took part in, with its roles
        (each according to its voice), when and where."""
        entries: OrderedDict[str, dict] = OrderedDict()
        for n in participations:
            event = n.one("event")
            if not isinstance(event, ox.NamedNode):
                continue
            entry = entries.setdefault(event.value, {**self.event(event.value), "roles": []})
            p = self.participation(n)
            role = next((r for r in entry["roles"] if r["role"] == p["role"] and r["age"] == p["age"]), None)
            if role is None:
                entry["roles"].append({"role": p["role"], "age": p["age"], "cites": [p["cite"]]})
            else:
                _add_cite(role["cites"], p["cite"])
        return _by_date(entries.values())

    def _participants(self, participations: list[Node]) -> list[dict]:
        """Who took part in the event, by role, each according to its voices."""
        roles: OrderedDict[str, dict] = OrderedDict()
        for n in participations:
            p = self.participation(n)
            group = roles.setdefault(p["role"], {"role": p["role"], "agents": []})
            if p["agent"] is not None:
                _merge_cited(group["agents"], p["agent"], p["cite"])
        for group in roles.values():
            group["agents"].sort(key=lambda a: a["term"].get("label", "").lower())
        return list(roles.values())

    def _part_events(self, own, entity_links) -> list:
        parts = [q.subject for q in entity_links if q.predicate.value == J + "partOf"]
        parts += [q.object for q in own if q.predicate.value == J + "hasPart" and isinstance(q.object, ox.NamedNode)]
        return list(dict.fromkeys(parts))

    def _page_of(self, entries: list) -> list:
        start = (self.page - 1) * PAGE_SIZE
        return entries[start:start + PAGE_SIZE]

    def _event_sort(self, e) -> str:
        """The date an event's view sorts by (``add_event_facts``), from its quads alone."""
        sort = ""
        for n in self.nodes_of(e):
            if any(k in n.props for k in EVENT_FACTS):
                earliest = _text(n.one("earliest")) or sort_key_of_time(_text(n.one("time")))
                if earliest and (not sort or earliest < sort):
                    sort = earliest
        return sort

    def _dated(self, events: list, name: str, sort_of: dict | None = None) -> list:
        """Events in the order of ``_by_date`` (date, undated last, then label and IRI), as
        terms: on a snapshot worked out once per entity, list and caller dataset."""
        memo, key = self.reader.memo, ("dated", self.iri, name)
        if memo is not None and key in memo:
            return memo[key]
        if sort_of is None:
            sort_of = {e: self._event_sort(e) for e in events}
        else:
            sort_of = {e: sort_of.get(e, "") for e in events}
        found = sorted(sort_of, key=lambda e: (sort_of[e] == "", sort_of[e], self.names.term(e)["label"], e.value))
        if memo is not None:
            memo[key] = found
        return found

    def _place_index(self, events: list) -> dict:
        """The two lists of a place in page order, as keys only: its events by date, and the
        people of those events (held, moved here or away, tried, executed) by name, each with
        the participations that place them there. Reading the keys is a light scan (an event's
        own quads, a participation's own quads; labels from the snapshot's label cache); the
        views, citations and HTML are built for one page only. On a snapshot the index is kept
        for the caller's dataset (``Reader.memo``), so every further page of the place costs
        what its 50 entries cost. Counted over the caller's visible graphs only: a restricted
        participation is not in an anonymous caller's quads, so it is in no list and no count."""
        memo, key = self.reader.memo, ("place-index", self.iri)
        if memo is not None and key in memo:
            return memo[key]
        events = events[:MAX_PLACE_EVENTS]
        found = self._place_rows(events)
        if found is not None:
            stays, sort_of = found
        else:
            stays, sort_of = [], None
            event_p = ox.NamedNode(J + "event")
            for e in events:
                for q in self.reader.quads(None, event_p, e):
                    for n in self.nodes_of(q.subject):
                        agent = n.one("agent")
                        if n.is_a("Participation", "VictimParticipation") and agent is not None:
                            stays.append((agent, (e, n.subject, n.graph)))
        people: OrderedDict[str, list[tuple]] = OrderedDict()
        for agent, stay in stays:
            people.setdefault(agent, []).append(stay)
        label = lambda t: self.names.term(t)["label"]  # noqa: E731 — the label the page shows
        index = {
            "events": self._dated(events, "events-here", sort_of),
            "people": sorted(people.items(), key=lambda p: (label(p[0]).lower(), p[0].value)),
            "capped": len(events) > MAX_PLACE_EVENTS,
        }
        if memo is not None:
            memo[key] = index
        return index

    def _place_rows(self, events: list) -> tuple[list, dict] | None:
        """What ``_place_index`` reads pattern by pattern — each event's date and the
        participations that place someone in it — in two queries the engine answers whole
        (a prison at 1.15M quads: ~450 events and ~1,300 participations, ~2,900 pattern reads
        and 0.45 s of CPU the first time), giving the same stays in the same order. Only on
        the caller's whole union (a snapshot or its public view: nothing hidden inside it);
        else None and the patterns are read one by one."""
        dataset = self.reader.dataset
        if set(dataset) != {"union"} or not dataset["union"] or not events:
            return None
        wanted = {e: i for i, e in enumerate(events)}
        place = {ox.Variable("place"): self.node}
        query = self.reader.store.query
        sort_of: dict = {}
        firsts: dict[tuple, dict[str, str]] = {}
        for r in query(PLACE_EVENT_DATES, substitutions=place, **dataset):
            e, g = r["e"], r["g"]
            if e not in wanted or g.value in self.inferred:
                continue
            slot = firsts.setdefault((e, g.value), {})
            p, v = r["p"].value, r["v"]
            if p not in slot or str(v) < slot[p][0]:  # Node.one: the first value in the graph's sorted quads
                slot[p] = (str(v), v.value)
        for (e, _), slot in firsts.items():
            earliest = (slot[J + "earliest"][1] if J + "earliest" in slot else
                        sort_key_of_time(slot[J + "time"][1] if J + "time" in slot else None))
            if earliest and (not sort_of.get(e) or earliest < sort_of[e]):
                sort_of[e] = earliest
        links, types, agents, inferred_types = [], {}, {}, {}
        for r in query(PLACE_PARTICIPATIONS, substitutions=place, **dataset):
            e, x, g = r["e"], r["x"], r["g"]
            if e not in wanted:
                continue
            links.append((e, x, r["g1"]))
            if r["p"].value == TYPE:
                target = inferred_types if g.value in self.inferred else types
                target.setdefault((x, None if g.value in self.inferred else g.value), set()).add(r["v"].value)
            elif g.value not in self.inferred:
                agents.setdefault((x, g.value), []).append(r["v"])
        participation = {J + "Participation", J + "VictimParticipation"}
        graphs_of: dict = {}
        for (x, g) in set(types) | set(agents):
            graphs_of.setdefault(x, set()).add(g)
        stays = []
        for e, x, _ in sorted(set(links), key=lambda t: (wanted[t[0]], str(t[2]), str(t[1]))):
            for g in sorted(graphs_of.get(x, ())):
                kinds = types.get((x, g), set()) | inferred_types.get((x, None), set())
                candidates = agents.get((x, g))
                if candidates and kinds & participation:
                    agent = min(candidates, key=str)
                    stays.append((agent, (e, x, ox.NamedNode(g))))
        return stays, sort_of

    def _at_place(self, index: dict) -> tuple[list[dict], list[dict]]:
        """One page of a place's events (by date) and of the people held or present there (by
        name): who, in which role, in which event, when, according to whom."""
        held = []
        for agent, stays in self._page_of(index["people"]):
            person = {"agent": self.term(agent), "stays": []}
            for e, subject, graph in stays:
                n = next(n for n in self.nodes_of(subject) if n.graph == graph)
                view, p = self.event(e.value), self.participation(n)
                person["stays"].append({"event": view["event"], "role": p["role"], "when": view["when"],
                                        "sort": view["sort"], "cite": p["cite"],
                                        "moved_from": any(w["term"]["value"] == self.iri for w in view["from"])})
            person["stays"].sort(key=lambda s: (s["sort"] == "", s["sort"], s["event"]["label"]))
            held.append(person)
        return [self.event(e.value) for e in self._page_of(index["events"])], held

    def _testimonies(self, graph_links, kind) -> list[dict]:
        """Testimonies given by this speaker (graphs attributed to it), or recorded from this
        source (graphs derived from it)."""
        predicate = PROV + ("wasDerivedFrom" if kind == "source" else "wasAttributedTo")
        out = []
        for q in graph_links:
            if q.predicate.value != predicate or self.voices.graph(q.subject)["voice"] != "testimony":
                continue
            cite = self.cite(q.subject)
            out.append({**cite, "first": (paragraphs(cite["locator"]) or [0])[0]})
        return sorted(out, key=lambda t: (t["first"], t["graph"]))

    def _source(self, own, graph_links) -> dict:
        """A source: where it is published, and the paragraph index the ¶ links point into."""
        values = {q.predicate.value: q.object for q in own if q.predicate.value in SOURCE_FACTS}
        page, date, language = values.get(FOAF + "page"), values.get(DCT + "date"), values.get(DCT + "language")
        graphs = [q.subject for q in graph_links if q.predicate.value == PROV + "wasDerivedFrom"]
        items, capped = self._paragraph_items(graphs)
        index: OrderedDict[int, list[dict]] = OrderedDict()
        rank = {"participation": 2, "victim participation": 2, "position": 3, "relationship": 3}
        for item in sorted(items, key=lambda i: (i["paragraph"], i["statement"] is False, rank.get(i["what"], 1),
                                                  i["locator"], i["text"])):
            index.setdefault(item["paragraph"], []).append(item)
        narration = next((self.cite(g) for g in graphs if self.voices.graph(g)["voice"] == "source"), None)
        return {"title": _text(values.get(DCT + "title")), "publisher": _text(values.get(DCT + "publisher")),
                "date": {"text": human_time(date.value), "edtf": date.value} if date is not None else None,
                "language": LANGUAGES.get(language.value, language.value) if language is not None else None,
                "url": page.value if isinstance(page, ox.NamedNode) and page.value.startswith(("http://", "https://"))
                else None,
                "narration": narration,
                "paragraphs": [{"n": n, "anchor": f"p{n}", "items": found} for n, found in index.items()],
                "capped": capped}

    def _paragraph_items(self, graphs) -> tuple[list[dict], bool]:
        """Everything recorded from the source, under the paragraph its locator starts at."""
        items = []
        locator = ox.NamedNode(J + "locator")
        for g in graphs:
            voice = self.voices.graph(g)
            for q in self.reader.quads(None, locator, None, g):
                if len(items) >= MAX_SOURCE_ITEMS:
                    return items, True
                ns = paragraphs(q.object.value)
                if ns and q.subject != g:
                    items.append({"paragraph": ns[0], "locator": q.object.value, **self._describe_item(q.subject, g),
                                  "voice": voice["voice"], "speaker": voice["speaker"]})
        return items, False

    def _describe_item(self, subject, graph) -> dict:
        """One recorded item as a line of the paragraph index."""
        n = next((n for n in self.nodes_of(subject) if n.graph == graph), None)
        href = local_href(subject.value, self.base) if isinstance(subject, ox.NamedNode) else None
        mode = n.mode if n is not None else None
        if n is not None and n.statement_class:
            s = self.statement(n)
            return {"what": s["kind"], "text": s["text"] or "", "mode": mode, "href": href, "statement": True}
        for cls, keys in (("Participation", ("agent", "role", "event")), ("VictimParticipation", ("agent", "role", "event")),
                          ("Position", ("holder", "title", "organization")),
                          ("Relationship", ("person", "relationType", "other"))):
            if n is not None and n.is_a(cls):
                text = " · ".join(self.text_of(n.one(k)) for k in keys if n.one(k) is not None)
                return {"what": label_of_class(J + cls), "text": text, "mode": mode, "href": href, "statement": False}
        label, types = self.names.lookup(subject.value)
        main = self.main_type(types)
        return {"what": label_of_class(main) if main else "entry", "text": label or "", "mode": mode, "href": href,
                "statement": False}

    def _linked_from(self, keys) -> list[dict]:
        """Links to the entity no other section shows, by relation: one entry per linking
        entity, with every voice that gives the link (``keys``: one page of ``_link_keys``)."""
        groups: OrderedDict[str, dict] = OrderedDict()
        for (predicate, subject), graphs in keys:
            group = groups.setdefault(predicate, {"label": label_of_class(predicate), "values": []})
            cites: list[dict] = []
            for g in graphs:
                _add_cite(cites, self.cite(g))
            group["values"].append({"term": self.term(subject), "cites": cites})
        return list(groups.values())

    def _derived(self, quads) -> list[dict]:
        """What the reasoner worked out about the entity: derived, never anyone's words."""
        out: OrderedDict[tuple, dict] = OrderedDict()
        for q in quads:
            if not isinstance(q.subject, ox.NamedNode):
                continue
            inverse = q.subject != self.node
            other = q.subject if inverse else q.object
            out.setdefault((inverse, q.predicate.value, other), {
                "relation": label_of_class(q.predicate.value), "inverse": inverse, "value": self.term(other),
                "cite": self.cite(q.graph_name)})
        return list(out.values())

    # -- the network

    def _network(self, data: dict) -> dict:
        net = Network(self.iri, data["label"], data["kind"], self.base)
        add = net.link
        for e in data["timeline"]:
            add(e["event"], ", ".join(r["role"] for r in e["roles"]), kind="event")
            for w in e["where"]:
                add(w["term"], "at", via=e["event"]["value"], kind="place")
        for p in data["participants"]:
            for a in p["agents"]:
                add(a["term"], p["role"], reverse=True)
        if data["event"]:
            for key, label in (("where", "at"), ("from", "from"), ("part_of", "part of"), ("documents", "document")):
                for w in data["event"][key]:
                    add(w["term"], label, kind={"part_of": "event", "documents": None}.get(key, "place"))
        for e in data["parts"]:
            add(e["event"], "part of", reverse=True, kind="event")
        for e in data["events_here"]:
            add(e["event"], "at", reverse=True, kind="event")
        for person in data["held_here"]:
            for stay in person["stays"]:
                add(person["agent"], stay["role"], via=stay["event"]["value"], reverse=True)
        for r in data["relatives"]:
            add(r["person"], r["relation"], kind="person")
        for p in data["positions"]:
            add(p["organization"], p["title"] or p["role"] or "post")
        for p in data["members"]:
            add(p["holder"], p["title"] or p["role"] or "member", reverse=True)
        for group in data["said"]:
            for s in group["items"]:
                for t in s["about"] + [v for d in s["details"] for v in d.get("values", [])]:
                    add(t, group["verb"])
        for group in data["said_about"]:
            for s in group["items"]:
                add(s["speaker"], group["verb"], reverse=True)
        for t in data["testimonies"]:
            if data["kind"] == "source":
                add(t["speaker"], "testimony in", reverse=True, kind="person")
            else:
                add(t["source"], "testimony in", kind="source")
        for f in data["facts"]:
            for v in f["values"]:
                add(v["term"], f["label"])
        for note in data["notes"]:
            if note.get("first_mention") and note["cite"]["source"]:
                add(note["cite"]["source"], "first mentioned in", kind="source")
        for g in data["linked_from"]:
            for v in g["values"]:
                add(v["term"], g["label"], reverse=True)
        if data["statement"]:
            s = data["statement"]
            for key, label in (("speaker", "stated by"), ("agent", "agent"), ("event", "event"), ("holder", "holder"),
                               ("organization", "organisation"), ("person", "person"), ("other", "other")):
                add(s.get(key), label)
            for t in s.get("about", []):
                add(t, "about")
        return net.as_json()


def _link_keys(quads) -> list[tuple[tuple[str, ox.Term], list]]:
    """The links to an entity in the order its page lists them — relation by relation, in
    the order each first appears, and each linking entity once with the graphs that assert
    the link — as keys, so a page builds only the entries it shows."""
    by_key: OrderedDict[tuple[str, ox.Term], list] = OrderedDict()
    for q in quads:
        by_key.setdefault((q.predicate.value, q.subject), []).append(q.graph_name)
    order = {p: i for i, p in enumerate(dict.fromkeys(p for p, _ in by_key))}
    return sorted(by_key.items(), key=lambda item: order[item[0][0]])  # stable: first appearance within


def one_source(voices: list[dict]) -> dict | None:
    """The source every item of a page comes from, if there is exactly one (the page then
    names it once instead of in every citation)."""
    found = {}
    for v in voices:
        for source in ([v["source"]] if v["source"] else []) + v["sources"]:
            found[source["value"]] = source
    return next(iter(found.values())) if len(found) == 1 else None


def _by_date(events) -> list[dict]:
    return sorted(events, key=lambda e: (e["sort"] == "", e["sort"], e["event"]["label"]))


def _group_statements(statements: list[dict]) -> list[dict]:
    groups: OrderedDict[str, dict] = OrderedDict((k, {"class": k, "heading": h, "verb": VERBS[k], "items": []})
                                                 for k, h in STATEMENT_KINDS)
    for s in statements:
        groups[s["class"]]["items"].append(s)
    for g in groups.values():
        g["items"].sort(key=lambda s: (paragraphs(s["cite"]["locator"]) or [0], s["text"] or ""))
    return [g for g in groups.values() if g["items"]]


def _add_cite(cites: list[dict], cite: dict) -> None:
    """Add a voice to an item's list once: the same graph twice keeps the one that says more
    (a relationship node's locator and mode beside its plain triple)."""
    for i, known in enumerate(cites):
        if known["graph"] == cite["graph"]:
            if known == cite or (known["locator"] and not cite["locator"]) or known["mode"] and not cite["mode"]:
                return
            if cite["locator"] and not known["locator"] or cite["mode"] and not known["mode"]:
                cites[i] = cite
                return
    cites.append(cite)


def _merge_cited(items: list[dict], term: dict, cite: dict) -> None:
    """One entry per value, with every voice that gives it."""
    for item in items:
        if item["term"] == term:
            _add_cite(item["cites"], cite)
            return
    items.append({"term": term, "cites": [cite]})


class Network:
    """The neighbourhood drawn with cytoscape.js: entities one or two hops away (through
    participations, statements, positions and relations). Every edge joins two drawn nodes."""

    def __init__(self, iri: str, label: str, kind: str, base: str):
        self.base, self.center = base, iri
        self.nodes: OrderedDict[str, dict] = OrderedDict(
            {iri: {"id": iri, "label": label, "kind": kind, "href": local_href(iri, base), "center": True, "hop": 0}})
        self.edges: OrderedDict[tuple, dict] = OrderedDict()
        self.left_out = 0

    def link(self, term: dict | None, label: str, reverse: bool = False, kind: str | None = None,
             via: str | None = None) -> None:
        """An edge between the centre (or ``via``, a node already drawn) and ``term``."""
        if not term or term.get("type") != "uri" or not term["value"].startswith(self.base + "id/"):
            return
        other, here = term["value"], via or self.center
        if here not in self.nodes or other == here:
            return
        if other not in self.nodes:
            if len(self.nodes) >= MAX_NETWORK_NODES:
                self.left_out += 1
                return
            self.nodes[other] = {"id": other, "label": term.get("short") or term["label"],  # a source by publisher, date
                                 "kind": kind or kind_of(term.get("types", [])),
                                 "href": term.get("href"), "hop": self.nodes[here].get("hop", 0) + 1}
        ends = (other, here) if reverse else (here, other)
        self.edges.setdefault((*ends, label), {"source": ends[0], "target": ends[1], "label": label or ""})

    def as_json(self) -> dict:
        edges = [e for e in self.edges.values() if e["source"] in self.nodes and e["target"] in self.nodes]
        return {"nodes": list(self.nodes.values()), "edges": edges, "left_out": self.left_out}


def entity_page(store, iri: str, dataset: dict, settings, page: int = 1) -> dict | None:
    """The view model of an entity page; ``page`` picks the page of its unbounded lists (a
    place's people and events). None when nothing visible mentions the entity, or for a page
    past the last."""
    return Page(store, iri, dataset, settings, page).build()


# -- the page of a graph (a testimony, a source's own voice, the identity records) ----------------

MAX_GRAPH_QUADS = 5000
ACTIVITY_PATHS = ("load/", "reasoning/", "write/")


def graph_page(store, iri: str, dataset: dict, settings, triples: int) -> dict:
    """What a graph holds, as the page of a testimony: who speaks, in which source and
    paragraphs, and what the project recorded from it (statements, events and who took part,
    relations, posts), each item with its paragraph and mode."""
    page = Page(store, iri, dataset, settings)
    g = ox.NamedNode(iri)
    voice = page.voices.graph(g)
    nodes: OrderedDict[ox.Term, Node] = OrderedDict()
    quads = page.reader.quads(None, None, None, g)
    relatives = []
    for q in quads[:MAX_GRAPH_QUADS]:
        n = nodes.setdefault(q.subject, Node(q.subject, g))
        if q.predicate.value == TYPE:
            n.types.append(q.object.value)
        else:
            n.props.setdefault(q.predicate.value, []).append(q.object)
        if q.predicate.value in RELATIVES:
            relatives.append({"person": page.term(q.subject), "relation": RELATIVES[q.predicate.value][0],
                              "other": page.term(q.object), "cite": page.cite(g)})
    statements, participations, positions, events, entities = [], [], [], OrderedDict(), []
    for subject, n in nodes.items():
        if n.statement_class:
            statements.append(page.statement(n))
        elif n.is_a("Participation", "VictimParticipation"):
            p = page.participation(n)
            participations.append(p)
            if p["event"] is not None:
                events.setdefault(p["event"]["value"], page.new_event_view(n.one("event")))
        elif n.is_a("Position"):
            positions.append(page.position(n))
        elif n.is_a("Relationship"):
            continue  # beside its plain triple, listed with the relations
        elif any(k in n.props for k in EVENT_FACTS):
            page.add_event_facts(events.setdefault(subject.value, page.new_event_view(subject)), n)
        elif isinstance(subject, ox.NamedNode) and subject.value.startswith(settings.base + "id/"):
            _, types = page.names.lookup(subject.value)
            main = page.main_type(types)
            entities.append({"term": page.term(subject), "kind": label_of_class(main) if main else "entry"})
    for view in events.values():
        view["participants"] = [p for p in participations
                                if p["event"] and p["event"]["value"] == view["event"]["value"]]
    return {"iri": iri, "label": _graph_title(voice, iri, settings), "voice": voice["voice"], "one_source": one_source([voice]),
            "attribution": page.voices.cite(g), "triples": triples, "activity": _activity(page, g, settings.base),
            "said": _group_statements(statements), "events": _by_date(events.values()), "positions": positions,
            "relatives": relatives, "entities": sorted(entities, key=lambda e: (e["kind"], e["term"]["label"])),
            "derived_from": [page.voices.graph(s) for s in page.reader.values(g, PROV + "wasDerivedFrom")
                             if isinstance(s, ox.NamedNode) and s.value.startswith(settings.base + "graph/")],
            "capped": len(quads) > MAX_GRAPH_QUADS}


def _graph_title(voice: dict, iri: str, settings) -> str:
    if voice["voice"] == "testimony" and voice["speaker"]:
        return f"Testimony of {voice['speaker']['label']}"
    if voice["voice"] == "source" and voice["source"]:
        return f"{voice['source']['label']} — in its own voice"
    if voice["voice"] == "project":
        return "The project's identity records" + (f" (dataset {voice['dataset']})" if voice["dataset"] else "")
    if voice["voice"] == "reasoner":
        return "Inferences by the reasoner"
    labels = getattr(settings.minter, "system_graph_labels", {})
    return labels.get(iri) or ("Imported data" + (f" (dataset {voice['dataset']})" if voice["dataset"] else ""))


def _activity(page: Page, graph, base: str) -> dict | None:
    """The load (or reasoner run) that produced the graph: what and when, and its page."""
    activity = next(iter(page.reader.values(graph, PROV + "wasGeneratedBy")), None)
    if not isinstance(activity, ox.NamedNode):
        return None
    ended = _text(next(iter(page.reader.values(activity, PROV + "endedAtTime")), None))
    label = _text(next(iter(page.reader.values(activity, RDFS + "label")), None))
    href = "/" + activity.value[len(base):] if activity.value.startswith(tuple(base + p for p in ACTIVITY_PATHS)) else None
    return {"label": label or "load", "ended": ended.replace("T", " ")[:16] + " UTC" if ended else None, "href": href}
