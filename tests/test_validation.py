"""SHACL validation: the union of the graphs, subclass-aware class checks, scheme membership,
date order, provenance coverage, and the cheap check of one change against a store."""

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset
from stores import load_rdf, new_store

from justicegraph import edtf
from justicegraph.resources import shapes_graph
from justicegraph.validation import validate, validate_quads

FIXTURE = Path(__file__).parent / "fixtures" / "records" / "rdf" / "minimal.trig"
ID = "https://w3id.org/justicegraph/id/"
JG = "https://w3id.org/justicegraph/ontology#"


def dataset(text: str = "") -> Dataset:
    d = Dataset()
    d.parse(FIXTURE, format="trig")
    if text:
        d.parse(data=PREFIXES + text, format="trig")
    return d


PREFIXES = FIXTURE.read_text().split("# A tiny")[0]


def violations(report, component=None):
    return [r for r in report.results if r["severity"] == "Violation" and (component is None or r["component"] == component)]


def test_minimal_fixture_conforms_across_graphs():
    # labels in one graph, event details in another, descriptions in a third: one union
    report = validate(dataset())
    assert report.conforms, report.text
    assert report.results == []


@pytest.mark.parametrize("text, path, component", [
    # earliest after latest
    ('<https://w3id.org/justicegraph/graph/testimony/t-minimal> { id:arrest-a jg:latest "1980-01-01"^^xsd:date . }',
     JG + "earliest", "LessThanOrEqualsConstraintComponent"),
    # a role from another scheme
    ('<https://w3id.org/justicegraph/graph/testimony/t-minimal> { id:arrest-a--person-a--detainee jg:role etype:arrest . }',
     JG + "role", "InConstraintComponent"),  # sh:node RoleConcept, run as sh:in of the scheme
    # an agent that is a place
    ('<https://w3id.org/justicegraph/graph/import/minimal> { id:evin a jg:Prison ; jg:recordId "evin" ; '
     'skos:prefLabel "Evin"@en ; rdfs:label "Evin"@en . }'
     '<https://w3id.org/justicegraph/graph/testimony/t-minimal> { id:arrest-a--person-a--detainee jg:agent id:evin . }',
     JG + "agent", "ClassConstraintComponent"),
    # a malformed EDTF literal
    ('<https://w3id.org/justicegraph/graph/testimony/t-minimal> { id:arrest-a jg:time "1988-13"^^edtf:EDTF . }',
     JG + "time", "PatternConstraintComponent"),
])
def test_broken_triples_are_violations(text, path, component):
    # the fixture already has one time, so a second jg:time also breaks maxCount: filter by component
    report = validate(dataset(text))
    assert not report.conforms
    hits = [r for r in violations(report, component) if r["path"] == path]
    assert hits, report.text
    assert all(r["message"] for r in report.results)


def test_subclass_is_accepted_for_class_constraint():
    # jg:agent expects jg:Agent; person-a is a jg:Person (subclass) and the fixture conforms
    report = validate(dataset())
    assert not [r for r in report.results if r["path"] == JG + "agent"]


def test_every_named_graph_must_be_described():
    report = validate(dataset('<https://w3id.org/justicegraph/graph/testimony/undescribed> { id:arrest-a jg:locator "¶3" . }'))
    assert [r for r in violations(report) if r["focus"].endswith("/testimony/undescribed")], report.text


def test_restricted_graph_must_carry_restricted_iri():
    text = ('<https://w3id.org/justicegraph/graph/provenance> { <https://w3id.org/justicegraph/graph/import/minimal> '
            'jg:accessLevel access:restricted . }')
    report = validate(dataset(text))
    assert any("restricted" in r["message"] for r in violations(report)), report.text


def test_claimed_count_range():
    text = ('<https://w3id.org/justicegraph/graph/testimony/t-minimal> { id:count-a a jg:ClaimedCount ; jg:recordId "count-a" ; '
            'jg:statedBy id:person-a ; jg:summary "A says many."@en ; jg:locator "¶2" ; jg:minimum 500 ; jg:maximum 30 . '
            'id:count-b a jg:ClaimedCount ; jg:recordId "count-b" ; jg:statedBy id:person-a ; jg:summary "B."@en ; jg:locator "¶2" . }')
    report = validate(dataset(text))
    focus = {r["focus"] for r in violations(report)}
    assert focus == {ID + "count-a", ID + "count-b"}, report.text


def test_report_serialisations():
    report = validate(dataset('<https://w3id.org/justicegraph/graph/testimony/t-minimal> { id:arrest-a jg:latest "1970-01-01"^^xsd:date . }'))
    assert "sh:ValidationReport" in report.to_turtle()
    assert '"conforms": false' in report.to_json()


def test_shapes_edtf_pattern_matches_parser():
    from rdflib.namespace import SH

    patterns = {str(o) for o in shapes_graph().objects(None, SH.pattern)}
    assert edtf.PATTERN in patterns


def test_every_constraint_has_a_message():
    from rdflib import RDF
    from rdflib.namespace import SH

    g = shapes_graph()
    shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.objects(None, SH.property))
    for shape in shapes:
        constraints = set(g.predicates(shape)) - {RDF.type, SH.path, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf,
                                                   SH.message, SH.property, SH.sparql}
        if constraints:
            assert g.value(shape, SH.message) is not None, shape
    for sparql in g.objects(None, SH.sparql):
        assert g.value(sparql, SH.message) is not None


def _store_with_fixture():
    store = new_store()
    load_rdf(store, path=FIXTURE, format=ox.RdfFormat.TRIG)
    return store


def test_change_is_checked_with_context_from_the_store():
    store = _store_with_fixture()
    g = ox.NamedNode("https://w3id.org/justicegraph/graph/testimony/t-minimal")
    # a new participation pointing at entities that live only in the store: conforms
    p = ox.NamedNode(ID + "arrest-a--person-a--witness")
    quads = [
        ox.Quad(p, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(JG + "Participation"), g),
        ox.Quad(p, ox.NamedNode(JG + "recordId"), ox.Literal("arrest-a--person-a--witness"), g),
        ox.Quad(p, ox.NamedNode(JG + "event"), ox.NamedNode(ID + "arrest-a"), g),
        ox.Quad(p, ox.NamedNode(JG + "agent"), ox.NamedNode(ID + "person-a"), g),
        ox.Quad(p, ox.NamedNode(JG + "role"), ox.NamedNode("https://w3id.org/justicegraph/vocab/role/witness"), g),
        ox.Quad(p, ox.NamedNode(JG + "locator"), ox.Literal("¶2"), g),
    ]
    assert validate_quads(quads, store).conforms
    # the same pointing at an unknown agent: its class cannot be shown
    bad = quads[:3] + [ox.Quad(p, ox.NamedNode(JG + "agent"), ox.NamedNode(ID + "nobody"), g)] + quads[4:]
    report = validate_quads(bad, store)
    assert [r for r in violations(report, "ClassConstraintComponent") if r["path"] == JG + "agent"]
    # without the store there is no context: the event and agent classes are unknown
    assert not validate_quads(quads, None).conforms


def test_change_that_removes_a_required_value():
    store = _store_with_fixture()
    g = ox.NamedNode("https://w3id.org/justicegraph/graph/import/minimal")
    label = ox.Quad(ox.NamedNode(ID + "person-a"), ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
                    ox.Literal("Person A", language="en"), g)
    other = ox.Quad(ox.NamedNode(ID + "person-a"), ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel"),
                    ox.Literal("P. A.", language="en"), g)
    assert validate_quads([other], store).conforms
    report = validate_quads([other], store, deleted=[label])
    assert [r for r in violations(report) if r["path"].endswith("prefLabel")], report.text


def test_whole_store_validates():
    store = _store_with_fixture()
    assert validate(store).conforms
    if hasattr(store, "engine"):  # the embedded store's pyoxigraph Store is accepted as well
        assert validate(store.engine).conforms
    assert validate(list(store.quads())).conforms


def test_ill_typed_literals_are_violations_not_crashes():
    # pyshacl itself raises TypeError comparing an ill-typed date with sh:lessThanOrEquals
    g = ox.NamedNode("https://w3id.org/justicegraph/graph/testimony/t-minimal")
    e = ox.NamedNode(ID + "arrest-a")
    date = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
    quads = [ox.Quad(e, ox.NamedNode(JG + "earliest"), ox.Literal("summer", datatype=date), g)]
    store = _store_with_fixture()
    store.apply(delete=[q for q in store.quads() if q.subject == e and q.predicate == ox.NamedNode(JG + "earliest")])
    report = validate_quads(quads, store)
    assert not report.conforms
    assert [r for r in report.violations if "'summer' is not a valid date" in r["message"] and r["focus"] == ID + "arrest-a"]
    assert "ill-typed" in report.text and "sh:ValidationResult" in report.to_turtle()


def test_blank_node_subjects_of_a_change_are_checked():
    store = _store_with_fixture()
    g = ox.NamedNode("https://w3id.org/justicegraph/graph/testimony/t-minimal")
    b = ox.BlankNode("p1")
    quads = [
        ox.Quad(b, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(JG + "Participation"), g),
        ox.Quad(b, ox.NamedNode(JG + "event"), ox.NamedNode(ID + "arrest-a"), g),
    ]
    report = validate_quads(quads, store)
    assert not report.conforms
    assert {r["path"] for r in report.violations} >= {JG + "agent", JG + "role", JG + "locator"}
