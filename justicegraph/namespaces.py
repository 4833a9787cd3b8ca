"""IRIs: the ontology's namespace, the vocabularies it aligns to, and the IRIs minted for data.

Data IRIs hang off a configurable base (``Settings.base``); the ontology and concept
schemes have fixed IRIs so that data from different deployments stays comparable.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Namespace
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD

ONTOLOGY_IRI = "https://w3id.org/justicegraph/ontology"
JG = Namespace(ONTOLOGY_IRI + "#")
VOCAB = Namespace("https://w3id.org/justicegraph/vocab/")
EDTF = Namespace("http://id.loc.gov/datatypes/edtf/")
EDTF_DATATYPE = EDTF.EDTF
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
CRM = Namespace("http://www.cidoc-crm.org/cidoc-crm/")
SH = Namespace("http://www.w3.org/ns/shacl#")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

DEFAULT_BASE = "https://w3id.org/justicegraph/"

# Prefixes offered to queries, the query editor and serialisers.
PREFIXES: dict[str, str] = {
    "jg": str(JG),
    "vocab": str(VOCAB),
    "role": str(VOCAB) + "role/",
    "etype": str(VOCAB) + "event-type/",
    "charz": str(VOCAB) + "characterisation/",
    "access": str(VOCAB) + "access/",
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "prov": str(PROV),
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "edtf": str(EDTF),
}


def concept(scheme: str, key: str) -> str:
    """IRI of a controlled value, e.g. ``concept("role", "victim")``."""
    return f"{VOCAB}{scheme}/{key}"


@dataclass(frozen=True)
class Minter:
    """Mints the IRIs of entities and graphs under one base.

    Entities: ``{base}id/{record id}``. Graphs: ``{base}graph/…``. Record ids are
    slugs that are unique across all kinds, so a reference needs no kind.
    """

    base: str = DEFAULT_BASE

    def entity(self, record_id: str) -> str:
        return f"{self.base}id/{record_id}"

    def record_id(self, iri: str) -> str | None:
        prefix = f"{self.base}id/"
        return iri[len(prefix):] if iri.startswith(prefix) else None

    def curated_graph(self, dataset: str) -> str:
        """Identity of the entities a dataset introduces: their types and names."""
        return f"{self.base}graph/curated/{dataset}"

    @property
    def provenance_graph(self) -> str:
        """PROV-O descriptions of every other graph and of every load."""
        return f"{self.base}graph/provenance"

    @property
    def inferred_graph(self) -> str:
        """Facts derived by the reasoner, never mixed with asserted ones."""
        return f"{self.base}graph/inferred"

    @property
    def inferred_graphs(self) -> tuple[str, str]:
        """The inferred graph and its restricted twin (facts derived from restricted graphs)."""
        return (self.inferred_graph, self.restricted_twin(self.inferred_graph))

    @property
    def system_graphs(self) -> frozenset[str]:
        """Graphs the system keeps (provenance, ontology, vocabulary, inference, audit): never
        assertion graphs, never described as such, never written over HTTP."""
        return frozenset({self.provenance_graph, self.restricted_provenance_graph, self.ontology_graph,
                          self.vocabulary_graph, *self.inferred_graphs, *self.audit_graphs})

    @property
    def audit_graphs(self) -> tuple[str, str]:
        """The audit of writes over HTTP, and of those that touched a restricted graph: kept
        in a log outside the store and outside every dataset (server/protocol/audit.py)."""
        return (f"{self.base}graph/audit", f"{self.base}graph/audit/restricted")

    @property
    def restricted_provenance_graph(self) -> str:
        """PROV-O descriptions of restricted graphs: their very existence is restricted."""
        return f"{self.base}graph/provenance/restricted"

    @property
    def ontology_graph(self) -> str:
        """The ontology itself, loaded as data so that queries can read its labels."""
        return f"{self.base}graph/ontology"

    @property
    def vocabulary_graph(self) -> str:
        """The SKOS concept schemes (roles, event types, …) as data."""
        return f"{self.base}graph/vocabulary"

    def source_graph(self, source_id: str) -> str:
        """What a source says in its own voice (its narration)."""
        return f"{self.base}graph/source/{source_id}"

    def testimony_graph(self, testimony_id: str) -> str:
        """What one speaker says in one source."""
        return f"{self.base}graph/testimony/{testimony_id}"

    @staticmethod
    def restricted_twin(graph: str) -> str:
        """Where a graph's restricted records go: the graph IRI + '/restricted'."""
        return graph if graph.endswith("/restricted") else graph + "/restricted"

    def load_activity(self, token: str) -> str:
        return f"{self.base}load/{token}"

    @property
    def prefixes(self) -> dict[str, str]:
        """Prefixes of the IRIs minted under the base (serialisers, the JSON-LD context)."""
        return {"id": f"{self.base}id/", "graph": f"{self.base}graph/", "load": f"{self.base}load/"}

    @property
    def system_graph_labels(self) -> dict[str, str]:
        """What each system graph holds, in words: its description when its IRI is
        dereferenced (no provenance graph describes these)."""
        return {
            self.provenance_graph: "Provenance (PROV-O) of every other graph and of every load",
            self.restricted_provenance_graph: "Provenance of the restricted graphs",
            self.ontology_graph: "The justicegraph ontology and its alignments, as data",
            self.vocabulary_graph: "The controlled vocabularies (SKOS concept schemes), as data",
            self.inferred_graph: "Facts derived by the reasoner from the public graphs",
            self.restricted_twin(self.inferred_graph): "Facts derived by the reasoner from restricted graphs",
        }
