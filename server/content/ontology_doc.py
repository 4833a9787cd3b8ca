"""HTML documentation of the ontology and its controlled vocabularies, generated from the
packaged Turtle (pyLODE needs Python ≥ 3.12; this needs only rdflib).

``document()`` returns a plain structure (also served as the page's JSON twin): the
ontology's metadata, then every class, object property, datatype property and annotation
property of the ``jg:`` namespace, then every concept scheme with its concepts. Anchors:
``#LocalName`` for terms, ``#vocab-{scheme}-{key}`` for concepts.
"""

from __future__ import annotations

from functools import cache

from rdflib import OWL, RDF, RDFS, SKOS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from justicegraph import resources
from justicegraph.namespaces import JG, ONTOLOGY_IRI, PREFIXES, VOCAB

KINDS = (
    ("classes", "Classes", OWL.Class),
    ("object_properties", "Object properties", OWL.ObjectProperty),
    ("datatype_properties", "Datatype properties", OWL.DatatypeProperty),
    ("annotation_properties", "Annotation properties", OWL.AnnotationProperty),
)
CHARACTERISTICS = {OWL.TransitiveProperty: "transitive", OWL.SymmetricProperty: "symmetric",
                   OWL.FunctionalProperty: "functional", OWL.InverseFunctionalProperty: "inverse functional",
                   OWL.AsymmetricProperty: "asymmetric", OWL.IrreflexiveProperty: "irreflexive"}


def anchor(iri: str) -> str:
    if iri.startswith(str(JG)):
        return iri[len(str(JG)):]
    if iri.startswith(str(VOCAB)):
        return "vocab-" + iri[len(str(VOCAB)):].replace("/", "-")
    return ""


def curie(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def _text(graph: Graph, node, *predicates) -> str | None:
    for predicate in predicates:
        values = list(graph.objects(node, predicate))
        english = [v for v in values if isinstance(v, Literal) and v.language in ("en", None)]
        if english or values:
            return str((english or values)[0])
    return None


def _ref(graph: Graph, node) -> dict:
    """A link to another term: a class expression in words when it is anonymous."""
    if isinstance(node, BNode):
        members = list(graph.objects(node, OWL.unionOf))
        if members:
            from rdflib.collection import Collection

            return {"label": " or ".join(_ref(graph, m)["label"] for m in Collection(graph, members[0])),
                    "href": None, "iri": None}
        return {"label": "(class expression)", "href": None, "iri": None}
    iri = str(node)
    local = anchor(iri)
    return {"label": curie(iri), "href": "#" + local if local else iri, "iri": iri}


def _term(graph: Graph, node: URIRef) -> dict:
    refs = lambda p: [_ref(graph, o) for o in graph.objects(node, p)]  # noqa: E731
    return {
        "iri": str(node), "anchor": anchor(str(node)), "curie": curie(str(node)),
        "label": _text(graph, node, RDFS.label, SKOS.prefLabel) or curie(str(node)),
        "definition": _text(graph, node, SKOS.definition, RDFS.comment),
        "comment": _text(graph, node, RDFS.comment) if (node, SKOS.definition, None) in graph else None,
        "superclasses": refs(RDFS.subClassOf), "subclasses": [_ref(graph, s) for s in graph.subjects(RDFS.subClassOf, node)],
        "superproperties": refs(RDFS.subPropertyOf), "domain": refs(RDFS.domain), "range": refs(RDFS.range),
        "inverse": refs(OWL.inverseOf) + [_ref(graph, s) for s in graph.subjects(OWL.inverseOf, node)],
        "equivalents": refs(OWL.equivalentClass) + refs(OWL.equivalentProperty),
        "characteristics": [name for kind, name in CHARACTERISTICS.items() if (node, RDF.type, kind) in graph],
        "deprecated": (node, OWL.deprecated, Literal(True)) in graph,
    }


@cache
def document() -> dict:
    graph = resources.ontology_graph()
    onto = URIRef(ONTOLOGY_IRI)
    sections = []
    for key, title, kind in KINDS:
        terms = sorted((s for s in graph.subjects(RDF.type, kind)
                        if isinstance(s, URIRef) and str(s).startswith(str(JG))), key=str)
        sections.append({"key": key, "title": title, "terms": [_term(graph, t) for t in terms]})
    return {
        "iri": ONTOLOGY_IRI,
        "title": _text(graph, onto, DCTERMS.title) or "justicegraph ontology",
        "description": _text(graph, onto, DCTERMS.description),
        "version": _text(graph, onto, OWL.versionInfo),
        "license": _text(graph, onto, DCTERMS.license),
        "comment": _text(graph, onto, RDFS.comment),
        "prefixes": PREFIXES,
        "sections": sections,
        "schemes": _schemes(resources.vocabulary_graph()),
    }


def _schemes(graph: Graph) -> list[dict]:
    schemes = []
    for scheme in sorted(graph.subjects(RDF.type, SKOS.ConceptScheme), key=str):
        concepts = sorted(graph.subjects(SKOS.inScheme, scheme), key=str) or \
            sorted(c for c in graph.subjects(RDF.type, SKOS.Concept) if str(c).startswith(str(scheme) + "/"))
        schemes.append({
            "iri": str(scheme), "anchor": anchor(str(scheme)),
            "label": _text(graph, scheme, SKOS.prefLabel, RDFS.label) or curie(str(scheme)),
            "definition": _text(graph, scheme, SKOS.definition, RDFS.comment),
            "concepts": [{"iri": str(c), "anchor": anchor(str(c)), "curie": curie(str(c)),
                          "label": _text(graph, c, SKOS.prefLabel) or curie(str(c)),
                          "definition": _text(graph, c, SKOS.definition, SKOS.scopeNote, RDFS.comment),
                          "broader": [_ref(graph, b) for b in graph.objects(c, SKOS.broader)]}
                         for c in concepts],
        })
    return schemes
