"""Records → quads, as docs/records.md and the README's data model describe.

Identity (types, names) goes to the dataset's curated graph; what a record asserts goes to
the graph of who asserts it (``according_to``: a testimony graph or a source's narration
graph); restricted records go to the restricted twin of that graph. Every node gets an IRI
(no blank nodes: DELETE DATA cannot delete them). The mapper remembers which record made
which node, so that SHACL results can be reported against the record's file and line.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from justicegraph.loaders import terms as t
from justicegraph.loaders.readers import Record
from justicegraph.loaders.speech import canonical_duration
from justicegraph.loaders.terms import ALT_LABEL, COMMENT, LABEL, PREF_LABEL, SCOPE_NOTE, A, jg, node
from justicegraph.namespaces import Minter

ORGANIZATION_CLASS = {"court": "Court", "government": "GovernmentBody", "international": "InternationalBody",
                      "ngo": "NonGovernmentalOrganization", "political": "PoliticalOrganization",
                      "commission": "Commission", "collective": "Collective"}
PLACE_CLASS = {"prison": "Prison", "settlement": "Settlement", "country": "Country", "place": "Place"}
STATEMENT_CLASS = {"characterisation": "Characterisation", "claimed-count": "ClaimedCount",
                   "claimed-duration": "ClaimedDuration", "call-to-action": "CallToAction", "accusation": "Accusation",
                   "observation": "Observation", "claim": "Claim"}
RELATION_PROPERTY = {"sibling": "siblingOf", "parent": "parentOf", "child": "childOf",
                     "spouse": "spouseOf", "relative": "relativeOf", "nationality": "nationality"}
VOCAB = "https://w3id.org/justicegraph/vocab/"
CAPTION = node(VOCAB + "mode/caption")
REPORTED = {VOCAB + "mode/quotation", VOCAB + "mode/paraphrase"}  # reported speech: two voices

# For reporting SHACL results: which record field a property comes from.
FIELD_OF = {
    "prefLabel": "label", "label": "label", "altLabel": "alt_labels", "comment": "description",
    "eventType": "type", "time": "time", "earliest": "time", "latest": "time", "timeDerived": "time_derived",
    "timeNote": "time_note", "place": "place", "fromPlace": "from_place", "partOf": "part_of",
    "event": "event", "agent": "agent", "role": "role", "ageAtEvent": "age", "holder": "person",
    "organization": "organization", "title": "title", "nationality": "nationality",
    "subOrganizationOf": "part_of", "basedIn": "based_in", "locatedIn": "located_in",
    "statedBy": "according_to", "about": "about", "summary": "summary", "characterisedAs": "characterisation",
    "minimum": "minimum", "maximum": "maximum", "countOf": "count_of", "wording": "wording",
    "addressee": "addressees", "action": "action", "accused": "accused", "locator": "locator",
    "wasAttributedTo": "speaker", "wasDerivedFrom": "source", "recordId": "id", "accessLevel": "access",
    "siblingOf": "other", "parentOf": "other", "childOf": "other", "spouseOf": "other", "relativeOf": "other",
    "date": "date", "page": "url", "language": "language",
    "mode": "mode", "reportedBy": "according_to", "unit": "unit", "minimumDuration": "minimum_duration",
    "maximumDuration": "maximum_duration", "durationOf": "duration_of", "elapsedSince": "since",
    "document": "document", "documentType": "kind", "person": "person", "other": "other", "relationType": "relation",
}


@dataclass(frozen=True)
class Resolved:
    """What an id stands for: its IRI, its kind when known, and whether it is restricted."""

    iri: str
    kind: str | None
    restricted: bool


@dataclass
class GraphInfo:
    """A graph the load fills, and what its provenance description says."""

    iri: str
    kind: str  # testimony, narration, curated, import
    restricted: bool
    record: Record | None = None
    attributed_to: str | None = None
    derived_from: str | None = None
    locator: str | None = None
    label: str | None = None
    twin: bool = False  # the restricted twin of a public graph (restricted records only)


class Mapper:
    def __init__(self, minter: Minter, dataset: str, index: dict[str, Resolved]):
        self.minter = minter
        self.dataset = dataset
        self.index = index
        self.quads: list[ox.Quad] = []  # filled by map_all
        self._buffer = t.QuadBuffer()
        self._add = self._buffer.add  # (s, p, o, g): one call per quad, the hottest line of a load
        self.graphs: dict[str, GraphInfo] = {}
        self.origins: dict[str, Record] = {}
        self.triple_origins: dict[tuple[str, str], Record] = {}
        self._testimony_records: dict[str, Record] = {}
        self._source_records: dict[str, Record] = {}

    # ------------------------------------------------------------ graphs

    def curated(self, restricted: bool) -> ox.NamedNode:
        iri = self.minter.curated_graph(self.dataset)
        if restricted:
            iri = self.minter.restricted_twin(iri)
        self.graphs.setdefault(iri, GraphInfo(iri, "curated", restricted, label=f"Curated identity of dataset {self.dataset}"))
        return node(iri)

    def asserted(self, record: Record) -> tuple[ox.NamedNode, ox.NamedNode, bool]:
        """The graph a record's assertions go to, who asserts them, and whether restricted."""
        who = record.values["according_to"]
        resolved = self.index[who]
        restricted = record.values["access"] == "restricted" or resolved.restricted
        if resolved.kind == "testimonies":
            testimony = self._testimony_records[who]
            iri = self.testimony_graph(testimony)
            speaker = self.index[testimony.values["speaker"]].iri
        else:
            iri = self.minter.source_graph(who)
            if resolved.restricted:
                iri = self.minter.restricted_twin(iri)
            self.graphs.setdefault(iri, GraphInfo(iri, "narration", resolved.restricted, self._source_record(who),
                                                  attributed_to=resolved.iri, derived_from=resolved.iri))
            speaker = resolved.iri
        if restricted:
            iri = self.minter.restricted_twin(iri)
            self._ensure_twin(iri)
        return node(iri), node(speaker), restricted

    def _speech(self, record: Record, s: ox.NamedNode, graph: ox.NamedNode) -> None:
        """How the record was said (jg:mode) and, for reported speech (a quotation or a
        paraphrase, given according to a testimony), the source that reports the speaker's
        words (jg:reportedBy: the testimony's source). A source's own record is a caption
        unless it says otherwise."""
        v = record.values
        mode = v.get("mode")
        if mode is not None:
            self._add(s, jg("mode"), node(mode), graph)
        elif self.index[v["according_to"]].kind == "sources":
            self._add(s, jg("mode"), CAPTION, graph)
        if mode in REPORTED:
            source = self._testimony_records[v["according_to"]].values["source"]
            self._add(s, jg("reportedBy"), self._ref(source), graph)

    def testimony_graph(self, testimony: Record) -> str:
        tid = testimony.values["id"]
        iri = self.index[tid].iri
        if iri not in self.graphs:
            self.graphs[iri] = GraphInfo(
                iri, "testimony", self.index[tid].restricted, testimony,
                attributed_to=self.index[testimony.values["speaker"]].iri,
                derived_from=self.index[testimony.values["source"]].iri,
                locator=testimony.values["locator"], label=testimony.values.get("title"))
        return iri

    def _ensure_twin(self, twin: str) -> None:
        if twin in self.graphs:
            return
        public = self.graphs[twin[: -len("/restricted")]]
        self.graphs[twin] = GraphInfo(twin, public.kind, True, public.record, public.attributed_to,
                                      public.derived_from, public.locator, public.label, twin=True)

    def _source_record(self, source_id: str) -> Record | None:
        return self._source_records.get(source_id)

    # ------------------------------------------------------------ records

    def map_all(self, records: list[Record], on_quads=None, every: int = 2000) -> None:
        """Map ``records`` into ``quads``. ``on_quads(nquads, count)``, when given, is handed
        the new quads as N-Quads after each ``every`` records and at the end (a commit that
        writes them while the mapping goes on)."""
        self._testimony_records = {r.values["id"]: r for r in records if r.kind == "testimonies"}
        self._source_records = {r.values["id"]: r for r in records if r.kind == "sources"}
        for testimony in self._testimony_records.values():
            self.testimony_graph(testimony)
        for done, record in enumerate(records, 1):
            getattr(self, "_" + record.kind)(record)
            if on_quads is not None and done % every == 0:
                on_quads(*self._buffer.drain())
        if on_quads is not None:
            on_quads(*self._buffer.drain())
        self.quads = self._buffer.finish()


    def _ref(self, record_id: str) -> ox.NamedNode:
        return node(self.index[record_id].iri)

    def _entity(self, record: Record, cls: str) -> tuple[ox.NamedNode, ox.NamedNode]:
        v = record.values
        s = node(self.minter.entity(v["id"]))
        g = self.curated(v["access"] == "restricted")
        self.origins[s.value] = record
        self._add(s, A, jg(cls), g)
        self._add(s, jg("recordId"), t.text(v["id"]), g)
        if "label" in v:
            self._add(s, PREF_LABEL, t.en(v["label"]), g)
            self._add(s, LABEL, t.en(v["label"]), g)
        for alt in v.get("alt_labels", ()):
            self._add(s, ALT_LABEL, t.en(alt), g)
        if "description" in v and record.kind != "events":  # an event's goes with its voice
            self._add(s, COMMENT, t.en(v["description"]), g)
        if "locator" in v and record.kind not in ("events",):
            self._add(s, jg("locator"), t.text(v["locator"]), g)
        return s, g

    def _sources(self, record: Record) -> None:
        v = record.values
        s, g = self._entity(record, "Source")
        self._add(s, PREF_LABEL, t.en(v["title"]), g)
        self._add(s, LABEL, t.en(v["title"]), g)
        self._add(s, node(t.DCT + "title"), t.text(v["title"]), g)
        self._add(s, jg("accessLevel"), t.RESTRICTED if v["access"] == "restricted" else t.PUBLIC, g)
        if "publisher" in v:
            self._add(s, node(t.DCT + "publisher"), t.text(v["publisher"]), g)
        if "date" in v:
            self._add(s, node(t.DCT + "date"), t.typed(v["date"][0], t.T_EDTF), g)
        if "url" in v:
            self._add(s, node(t.FOAF + "page"), node(v["url"]), g)
        if "language" in v:
            self._add(s, node(t.DCT + "language"), t.text(v["language"]), g)

    def _testimonies(self, record: Record) -> None:
        self.origins[self.index[record.values["id"]].iri] = record  # described with the graphs

    def _people(self, record: Record) -> None:
        v = record.values
        s, g = self._entity(record, "Person")
        if "label_fa" in v:
            fa = t.lang(v["label_fa"], "fa")
            self._add(s, PREF_LABEL, fa, g)
            self._add(s, LABEL, fa, g)
        if "nationality" in v:
            self._add(s, jg("nationality"), self._ref(v["nationality"]), g)
        if v.get("unnamed"):
            self._add(s, SCOPE_NOTE, t.en("Not named in the source; the label says how the source refers to this person."), g)

    def _organizations(self, record: Record) -> None:
        v = record.values
        s, g = self._entity(record, ORGANIZATION_CLASS[v["kind"]])
        if "part_of" in v:
            self._add(s, jg("subOrganizationOf"), self._ref(v["part_of"]), g)
        if "based_in" in v:
            self._add(s, jg("basedIn"), self._ref(v["based_in"]), g)

    def _documents(self, record: Record) -> None:
        s, g = self._entity(record, "Document")
        self._add(s, jg("documentType"), node(record.values["kind"]), g)

    def _places(self, record: Record) -> None:
        v = record.values
        s, g = self._entity(record, PLACE_CLASS[v["kind"]])
        if "located_in" in v:
            self._add(s, jg("locatedIn"), self._ref(v["located_in"]), g)

    def _events(self, record: Record) -> None:
        v = record.values
        graph, _speaker, restricted = self.asserted(record)
        record.values["access"] = "restricted" if restricted else v["access"]
        s, _ = self._entity(record, "Event")
        self._add(s, jg("eventType"), node(v["type"]), graph)
        if "description" in v:  # it summarises one voice's account: that voice's graph
            self._add(s, COMMENT, t.en(v["description"]), graph)
        self._add(s, jg("locator"), t.text(v["locator"]), graph)
        self._time(s, v, graph)
        for name, prop in (("place", "place"), ("from_place", "fromPlace"), ("part_of", "partOf")):
            if name in v:
                self._add(s, jg(prop), self._ref(v[name]), graph)
        for document in v.get("document", ()):
            self._add(s, jg("document"), self._ref(document), graph)
        self._speech(record, s, graph)

    def _time(self, s: ox.NamedNode, v: dict, graph: ox.NamedNode) -> None:
        if "time" in v:
            text, span = v["time"]
            self._add(s, jg("time"), t.typed(text, t.T_EDTF), graph)
            if span.earliest:
                self._add(s, jg("earliest"), t.typed(span.earliest.isoformat(), t.T_DATE), graph)
            if span.latest:
                self._add(s, jg("latest"), t.typed(span.latest.isoformat(), t.T_DATE), graph)
        if "time_derived" in v:
            self._add(s, jg("timeDerived"), t.boolean(v["time_derived"]), graph)
        if "time_note" in v:
            self._add(s, jg("timeNote"), t.text(v["time_note"]), graph)

    def _asserted_node(self, record: Record, cls: str) -> tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode]:
        v = record.values
        graph, speaker, _ = self.asserted(record)
        s = node(self.minter.entity(v["id"]))
        self.origins[s.value] = record
        self._add(s, A, jg(cls), graph)
        self._add(s, jg("recordId"), t.text(v["id"]), graph)
        self._add(s, jg("locator"), t.text(v["locator"]), graph)
        self._speech(record, s, graph)
        return s, graph, speaker

    def _participations(self, record: Record) -> None:
        v = record.values
        s, g, _ = self._asserted_node(record, "Participation")
        self._add(s, jg("event"), self._ref(v["event"]), g)
        self._add(s, jg("agent"), self._ref(v["agent"]), g)
        self._add(s, jg("role"), node(v["role"]), g)
        if "age" in v:
            self._add(s, jg("ageAtEvent"), t.integer(v["age"]), g)

    def _positions(self, record: Record) -> None:
        v = record.values
        s, g, _ = self._asserted_node(record, "Position")
        self._add(s, jg("holder"), self._ref(v["person"]), g)
        self._add(s, jg("title"), t.en(v["title"]), g)
        if "organization" in v:
            self._add(s, jg("organization"), self._ref(v["organization"]), g)
        role = v.get("role", "office-holder")
        self._add(s, jg("role"), node(f"https://w3id.org/justicegraph/vocab/role/{role}"), g)
        self._time(s, v, g)

    def _relations(self, record: Record) -> None:
        """The plain triple (what queries and the reasoner read) and, in the same graph, a
        jg:Relationship node that carries the record's locator and mode."""
        v = record.values
        r, graph, _ = self._asserted_node(record, "Relationship")
        s, p, o = self._ref(v["person"]), jg(RELATION_PROPERTY[v["relation"]]), self._ref(v["other"])
        self.triple_origins[(s.value, p.value)] = record
        self._add(s, p, o, graph)
        self._add(r, jg("person"), s, graph)
        self._add(r, jg("other"), o, graph)
        self._add(r, jg("relationType"), node(f"{VOCAB}relation/{v['relation']}"), graph)

    def _statements(self, record: Record) -> None:
        v = record.values
        s, g, speaker = self._asserted_node(record, STATEMENT_CLASS[v["kind"]])
        self._add(s, jg("statedBy"), speaker, g)
        self._add(s, jg("summary"), t.en(v["summary"]), g)
        for about in v.get("about", ()):
            self._add(s, jg("about"), self._ref(about), g)
        if "characterisation" in v:
            self._add(s, jg("characterisedAs"), node(v["characterisation"]), g)
        for name in ("minimum", "maximum"):
            if name in v:
                self._add(s, jg(name), t.integer(v[name]), g)
        for name, prop in (("minimum_duration", "minimumDuration"), ("maximum_duration", "maximumDuration")):
            if name in v:
                self._add(s, jg(prop), t.typed(canonical_duration(v[name]), t.T_DURATION), g)
        for name, prop in (("count_of", "countOf"), ("wording", "wording"), ("action", "action")):
            if name in v:
                self._add(s, jg(prop), t.text(v[name]), g)
        if "unit" in v:
            self._add(s, jg("unit"), node(v["unit"]), g)
        if "since" in v:
            self._add(s, jg("elapsedSince"), self._ref(v["since"]), g)
        for name, prop in (("addressees", "addressee"), ("accused", "accused"), ("duration_of", "durationOf")):
            for ref in v.get(name, ()):
                self._add(s, jg(prop), self._ref(ref), g)
        for ref in v.get("derived_from", ()):
            self._add(s, node(t.PROV + "wasDerivedFrom"), self._ref(ref), g)
