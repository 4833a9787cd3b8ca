"""The shapes themselves: valid SHACL (checked against SHACL-SHACL), and every class the
loaders produce is the target of a shape."""

import pyshacl
from loader_helpers import copy_fixture
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import SH
from stores import new_store

from justicegraph.loaders import load
from justicegraph.resources import ontology_graph, shapes_graph

JG = "https://w3id.org/justicegraph/ontology#"


def test_shapes_are_valid_shacl():
    # pyshacl's meta-validation checks the shapes graph against the SHACL-for-SHACL shapes
    # (and raises if they do not conform); the data graph is empty
    conforms, _graph, text = pyshacl.validate(Graph(), shacl_graph=shapes_graph(), meta_shacl=True)
    assert conforms, text


def targeted_classes() -> set[str]:
    return {str(c) for c in shapes_graph().objects(None, SH.targetClass)}


def superclasses(cls: str) -> set[str]:
    onto = ontology_graph()
    return {str(c) for c in onto.transitive_objects(URIRef(cls), RDFS.subClassOf)}


def test_every_class_the_loaders_produce_has_a_shape(tmp_path):
    store = new_store()
    load(store, [copy_fixture(tmp_path)])
    produced = {r["c"].value for r in store.query(
        "SELECT DISTINCT ?c WHERE { GRAPH ?g { ?s a ?c } FILTER(?g NOT IN (<https://w3id.org/justicegraph/graph/ontology>, "
        "<https://w3id.org/justicegraph/graph/vocabulary>)) }")}
    jg_classes = {c for c in produced if c.startswith(JG)}
    assert {JG + "Person", JG + "Prison", JG + "Participation", JG + "Testimony", JG + "Load"} <= jg_classes
    targets = targeted_classes()
    uncovered = {c for c in jg_classes if not superclasses(c) & targets}
    assert not uncovered, uncovered


def test_node_shapes_are_declared():
    g = shapes_graph()
    for shape in set(g.subjects(SH.targetClass, None)) | set(g.subjects(SH.targetSubjectsOf, None)):
        assert (shape, RDF.type, SH.NodeShape) in g, shape
