"""The ontology files: they parse, carry their version, load in owlready2 and survive a
round trip through it with the same axioms; the alignment only aligns."""

from __future__ import annotations

import io
import re
from pathlib import Path

import owlready2
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

from justicegraph.namespaces import JG, ONTOLOGY_IRI
from justicegraph.resources import ontology_graph, package_dir, vocabulary_graph

ONTOLOGY = package_dir("ontology")
ROOT = Path(__file__).resolve().parent.parent


def core() -> Graph:
    return Graph().parse(ONTOLOGY / "justicegraph.ttl", format="turtle")


def owlready_round_trip(graph: Graph, fmt: str) -> Graph:
    """rdflib → (RDF/XML or N-Triples) → owlready2 (own World) → saved → parsed by rdflib."""
    rdflib_format, owl_format = {"rdfxml": ("xml", "rdfxml"), "ntriples": ("nt", "ntriples")}[fmt]
    world = owlready2.World()
    onto = world.get_ontology(ONTOLOGY_IRI).load(
        fileobj=io.BytesIO(graph.serialize(format=rdflib_format, encoding="utf-8")), format=owl_format)
    saved = io.BytesIO()
    onto.save(saved, format=owl_format)
    return Graph().parse(data=saved.getvalue(), format=rdflib_format)


def normalised(graph: Graph) -> Graph:
    """A plain literal and the same string typed xsd:string are one RDF 1.1 term; rdflib
    keeps them apart, owlready2 writes the typed form. The only normalisation we apply."""
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.language is None and o.datatype is None:
            o = Literal(str(o), datatype=XSD.string)
        out.add((s, p, o))
    return out


def test_ontology_has_a_version_iri_that_matches_its_version_and_changelog():
    graph = core()
    ontology = URIRef(ONTOLOGY_IRI)
    version = str(graph.value(ontology, OWL.versionInfo))
    assert graph.value(ontology, OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/{version}")
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    changelog = (ONTOLOGY / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {version}" in changelog
    prior = graph.value(ontology, OWL.priorVersion)
    assert prior is not None and f"## {str(prior).rsplit('/', 1)[1]}" in changelog


def test_every_file_is_listed_in_the_ontology_readme():
    readme = (ONTOLOGY / "README.md").read_text(encoding="utf-8")
    files = [p.relative_to(ONTOLOGY).as_posix() for p in ONTOLOGY.rglob("*")
             if p.is_file() and p.suffix in {".ttl", ".rq", ".xml", ".java", ".md"} and p.name != "README.md"]
    assert files and [f for f in files if f not in readme] == []


def test_round_trip_through_owlready2_keeps_every_axiom():
    source = ontology_graph() + vocabulary_graph()
    back = owlready_round_trip(source, "ntriples")
    assert len(back) == len(source)
    assert isomorphic(normalised(source), normalised(back))


def test_round_trip_through_rdfxml_changes_only_what_owlready2_is_known_to_change():
    """owlready2 0.51's RDF/XML parser drops the trailing '/' of an IRI (seen with the
    licence IRI …/by/4.0/); its N-Triples parser does not (the reasoner uses N-Triples).
    Apart from that the axioms survive: anything else that differs fails this test."""
    source = normalised(core())
    back = normalised(owlready_round_trip(core(), "rdfxml"))
    expected = Graph()
    for triple in source:
        expected.add(tuple(URIRef(str(t).rstrip("/")) if isinstance(t, URIRef) else t for t in triple))
    assert len(expected) == len(source) and len(back) == len(source)
    assert isomorphic(back, expected) or isomorphic(back, source)


def test_alignment_only_aligns_and_declares():
    alignment = Graph().parse(ONTOLOGY / "alignment.ttl", format="turtle")
    allowed = {RDFS.subClassOf, RDFS.subPropertyOf, SKOS.exactMatch, SKOS.closeMatch, RDF.type}
    header = URIRef(ONTOLOGY_IRI + "/alignment")
    for s, p, o in alignment:
        if s == header:
            continue
        assert p in allowed, (s, p, o)
        if p != RDF.type:
            assert str(s).startswith(str(JG)), f"{s} is not ours: the alignment must not change other vocabularies"
            assert not str(o).startswith(str(JG)), (s, p, o)
    assert (None, OWL.equivalentClass, None) not in alignment


def test_terms_the_other_components_rely_on_are_all_still_declared():
    """Loaders, shapes and queries are written against these names: never drop one."""
    graph = core()
    used = set()
    spellings = r'jg:([A-Za-z]+)|JG\.([A-Za-z]+)|JG \+ "([A-Za-z]+)"|jg\("([A-Za-z]+)"\)'
    for folder in ("shapes", "queries", "loaders", "server", "justicegraph"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".ttl", ".rq", ".py"}:
                for match in re.findall(spellings, path.read_text(encoding="utf-8")):
                    used |= {name for name in match if name}
    declared = {str(s)[len(str(JG)):] for s in graph.subjects(RDF.type, None) if str(s).startswith(str(JG))}
    assert used and sorted(used - declared) == []


def test_diagram_shows_every_class_and_property_and_the_committed_svg_is_current():
    import importlib.util

    spec = importlib.util.spec_from_file_location("ontology_diagram", ROOT / "scripts" / "ontology_diagram.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    graph = core()
    text = module.dot(graph)
    svg = (ROOT / "docs" / "ontology.svg").read_text(encoding="utf-8")
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in graph.subjects(RDF.type, kind):
            if str(term).startswith(str(JG)):
                name = str(term)[len(str(JG)):]
                assert name in text, name
                assert name in svg, f"{name} is not in docs/ontology.svg: run make diagram"


def test_every_version_iri_has_its_document_and_the_catalog_agrees():
    """Each version IRI the ontology files name (their own, the prior ones) is served from a
    shipped file that declares it (resources.ontology_documents: archived versions live in
    ontology/versions/), and Protégé's catalog maps each IRI it lists to a file with the
    same content: an IRI never resolves to another version."""
    import xml.etree.ElementTree as ET

    from justicegraph.resources import ontology_documents, ontology_files

    documents = ontology_documents()
    named = set()
    for path in ontology_files():
        graph = Graph().parse(path, format="turtle")
        for ontology in graph.subjects(RDF.type, OWL.Ontology):
            named.add(str(ontology))
            named.update(str(v) for p in (OWL.versionIRI, OWL.priorVersion) for v in graph.objects(ontology, p))
    assert named <= set(documents), named - set(documents)
    for iri, path in documents.items():
        graph = Graph().parse(path, format="turtle")
        declared = {str(o) for o in graph.subjects(RDF.type, OWL.Ontology)} | \
            {str(v) for v in graph.objects(None, OWL.versionIRI)}
        assert iri in declared, (iri, path.name)
    entries = {e.get("name"): e.get("uri") for e in ET.parse(ONTOLOGY / "catalog-v001.xml").getroot()}
    assert entries
    for iri, uri in entries.items():
        assert iri in documents, iri
        assert isomorphic(Graph().parse(ONTOLOGY / uri, format="turtle"),
                          Graph().parse(documents[iri], format="turtle")), iri
