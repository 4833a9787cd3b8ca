"""RDF pass-through: Turtle, N-Triples, N-Quads, TriG, JSON-LD and RDF/XML are loaded as they
are, validated with the same shapes; nothing is ever fetched (remote JSON-LD contexts and
RDF/XML external entities are refused)."""

import shutil

import pytest
from loader_helpers import FIXTURES, snapshot
from servers import Listener
from stores import new_store

from justicegraph.loaders import LoadError, load
from justicegraph.namespaces import Minter

M = Minter()
TRIG = FIXTURES / "rdf" / "minimal.trig"


def test_trig_goes_into_the_graphs_it_names(tmp_path):
    store = new_store()
    result = load(store, [TRIG])
    assert result.dataset == "minimal"
    assert M.testimony_graph("t-minimal") in store.graphs()
    # the loader adds its own description (load, dataset) next to the file's
    assert bool(store.query(f"ASK {{ GRAPH <{M.provenance_graph}> {{ <{M.testimony_graph('t-minimal')}> "
                            f"<https://w3id.org/justicegraph/ontology#dataset> 'minimal' ; "
                            f"<http://www.w3.org/ns/prov#wasAttributedTo> ?who }} }}"))
    # re-loading replaces
    count = len(store)
    load(store, [TRIG])
    assert len(store) == count


def test_triples_go_into_the_import_graph(tmp_path):
    path = tmp_path / "extra.ttl"
    path.write_text("""@prefix jg: <https://w3id.org/justicegraph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/justicegraph/id/place-t> a jg:Place ; jg:recordId "place-t" ;
    skos:prefLabel "Place T"@en ; rdfs:label "Place T"@en .
""", encoding="utf-8")
    store = new_store()
    load(store, [path])
    assert f"{M.base}graph/import/extra" in store.graphs()


def test_shacl_violation_in_rdf_names_file_and_node(tmp_path):
    path = tmp_path / "bad.ttl"
    path.write_text("""@prefix jg: <https://w3id.org/justicegraph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/justicegraph/id/event-t> a jg:Event ; jg:recordId "event-t" ;
    jg:earliest "1990-01-01"^^xsd:date ; jg:latest "1980-01-01"^^xsd:date .
""", encoding="utf-8")
    store = new_store()
    with pytest.raises(LoadError) as info:
        load(store, [path])
    text = [str(e) for e in info.value.errors]
    assert any(e.startswith(f"{path}: <https://w3id.org/justicegraph/id/event-t>: field "
                            "'<https://w3id.org/justicegraph/ontology#earliest>'") and "not after the latest day" in e
               for e in text), text
    assert any("needs a preferred label" in e for e in text)
    assert len(store) == 0


def test_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "broken.nt"
    path.write_text("<http://e/a> <http://e/b> <http://e/c> .\n<http://e/a> <http://e/b> .\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(new_store(), [path])
    assert str(info.value.errors[0]).startswith(f"{path}:2: ") and "(rule: rdf-syntax)" in str(info.value.errors[0])


def test_pass_through_may_not_write_system_graphs(tmp_path):
    path = tmp_path / "sneaky.nq"
    path.write_text(f'<{M.entity("x")}> <http://www.w3.org/2000/01/rdf-schema#label> "x" <{M.ontology_graph}> .\n'
                    f'<{M.entity("load-x")}> <http://www.w3.org/2000/01/rdf-schema#label> "y" <{M.provenance_graph}> .\n',
                    encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(new_store(), [path])
    rules = {e.rule for e in info.value.errors}
    assert {"graph", "provenance"} <= rules


def test_graph_of_another_dataset_is_refused(tmp_path):
    store = new_store()
    load(store, [TRIG])
    other = tmp_path / "other.trig"
    shutil.copy(TRIG, other)
    before = snapshot(store)
    with pytest.raises(LoadError, match="belongs to dataset 'minimal'"):
        load(store, [other])
    assert snapshot(store) == before


@pytest.fixture
def loopback():
    """A listener the test runs (tests/servers.py): nothing may reach it."""
    listener = Listener()
    yield listener
    listener.close()


def test_remote_jsonld_context_is_refused_and_not_fetched(tmp_path, loopback):
    path = tmp_path / "remote.jsonld"
    path.write_text(f'{{"@context": "{loopback.url}context.jsonld", "@id": "https://w3id.org/justicegraph/id/x", "name": "X"}}',
                    encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(new_store(), [path])
    assert "remote JSON-LD contexts are refused; nothing is fetched" in str(info.value)
    assert loopback.requests == []


def test_inline_jsonld_context_is_fine(tmp_path):
    path = tmp_path / "inline.jsonld"
    path.write_text("""{"@context": {"jg": "https://w3id.org/justicegraph/ontology#",
        "skos": "http://www.w3.org/2004/02/skos/core#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
      "@id": "https://w3id.org/justicegraph/id/place-j", "@type": "jg:Place", "jg:recordId": "place-j",
      "skos:prefLabel": {"@value": "Place J", "@language": "en"}, "rdfs:label": {"@value": "Place J", "@language": "en"}}""",
                    encoding="utf-8")
    store = new_store()
    load(store, [path])
    assert bool(store.query("ASK { GRAPH ?g { <https://w3id.org/justicegraph/id/place-j> a ?t } }"))


def test_rdfxml_external_entity_is_not_resolved(tmp_path, loopback):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    path = tmp_path / "xxe.rdf"
    path.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY file SYSTEM "file://{secret}">
  <!ENTITY web SYSTEM "{loopback.url}entity">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="https://w3id.org/justicegraph/id/x"><rdfs:comment>&file;&web;</rdfs:comment></rdf:Description>
</rdf:RDF>""", encoding="utf-8")
    store = new_store()
    try:
        load(store, [path])
    except LoadError:
        pass  # refused: fine
    assert not any("TOP-SECRET" in str(q) for q in store.quads())
    assert loopback.requests == []


def test_deep_jsonld_is_refused_before_parsing(tmp_path):
    # pyoxigraph's JSON-LD parser is quadratic in depth: 50,000 levels would take hours
    path = tmp_path / "deep.jsonld"
    path.write_text('{"@id": "urn:x", "urn:p": ' + '{"urn:p": ' * 50_000 + "1" + "}" * 50_000 + "}", encoding="utf-8")
    with pytest.raises(LoadError, match="nested deeper than 100 levels"):
        load(new_store(), [path])


def test_xml_entity_expansion_is_refused(tmp_path):
    # nested entities (the "billion laughs") hang pyoxigraph's RDF/XML parser: refused first
    entities = ['<!ENTITY a0 "lol">'] + [f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)]
    path = tmp_path / "laughs.rdf"
    path.write_text('<?xml version="1.0"?><!DOCTYPE rdf:RDF [' + "".join(entities) + ']>'
                    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="urn:ex:">'
                    '<rdf:Description rdf:about="urn:x"><ex:p>&a9;</ex:p></rdf:Description></rdf:RDF>', encoding="utf-8")
    with pytest.raises(LoadError, match="refers to other entities"):
        load(new_store(), [path])


def test_abbreviating_xml_entities_are_fine(tmp_path):
    path = tmp_path / "onto.rdf"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY jg "https://w3id.org/justicegraph/ontology#">\n'
                    ' <!ENTITY skos "http://www.w3.org/2004/02/skos/core#">\n]>\n'
                    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                    'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#" xmlns:skos="&skos;" xmlns:jg="&jg;">'
                    '<rdf:Description rdf:about="https://w3id.org/justicegraph/id/place-r">'
                    '<rdf:type rdf:resource="&jg;Place"/><jg:recordId>place-r</jg:recordId>'
                    '<skos:prefLabel xml:lang="en">Place R</skos:prefLabel><rdfs:label xml:lang="en">Place R</rdfs:label>'
                    '</rdf:Description></rdf:RDF>', encoding="utf-8")
    store = new_store()
    load(store, [path])
    assert bool(store.query("ASK { GRAPH ?g { <https://w3id.org/justicegraph/id/place-r> a "
                            "<https://w3id.org/justicegraph/ontology#Place> } }"))
