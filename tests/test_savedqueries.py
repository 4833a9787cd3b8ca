"""Saved queries: header parsing (errors name the file), typed parameters bound as RDF terms
through pyoxigraph substitutions (never spliced), defaults, enums, required values."""

from pathlib import Path

import pyoxigraph as ox
import pytest
from stores import load_rdf, shared_store

from justicegraph.namespaces import Minter
from justicegraph.savedqueries import ParamError, SavedQueryError, load_saved_queries, parse_saved_query

FIXTURES = Path(__file__).parent / "fixtures"
QUERIES = FIXTURES / "queries"
MINTER = Minter()


@pytest.fixture(scope="module")
def store():
    from justicegraph.resources import package_dir

    def fill(s):
        load_rdf(s, path=FIXTURES / "records" / "rdf" / "minimal.trig", format=ox.RdfFormat.TRIG)
        load_rdf(s, path=package_dir("ontology") / "vocabulary.ttl", format=ox.RdfFormat.TURTLE,
                 to_graph=ox.NamedNode(MINTER.vocabulary_graph))

    return shared_store(fill)


def test_folder_is_read_with_headers():
    queries = load_saved_queries(QUERIES)
    assert set(queries) == {"participants", "events-between"}
    q = queries["events-between"]
    assert q.title == "Events within a period" and "between two dates" in q.description
    assert q.tags == ("example",)
    assert q.params["start"].required and not q.params["end"].required
    assert q.params["limit_to"].enum == ("any", "arrest", "execution")
    assert load_saved_queries(QUERIES) == queries  # cached per folder


def test_entity_parameter_from_record_id_or_iri(store):
    q = load_saved_queries(QUERIES)["participants"]
    rows = [(r["agent"].value, r["role"].value.rsplit("/", 1)[-1], r["speaker"].value) for r in q.run(store, {}, MINTER)]
    assert rows == [(MINTER.entity("person-a"), "detainee", MINTER.entity("person-a"))]
    by_iri = list(q.run(store, {"event": MINTER.entity("arrest-a")}, MINTER))
    assert len(by_iri) == 1
    assert list(q.run(store, {"event": "no-such-event"}, MINTER)) == []


def test_typed_date_parameters_and_enum(store):
    q = load_saved_queries(QUERIES)["events-between"]
    assert len(list(q.run(store, {"start": "1981-01-01"}, MINTER))) == 1
    assert list(q.run(store, {"start": "1981-07-02"}, MINTER)) == []  # earliest is 1 July
    assert list(q.run(store, {"start": "1981-01-01", "limit_to": "execution"}, MINTER)) == []
    bound = q.bind({"start": "1981-01-01"}, MINTER)
    assert bound[ox.Variable("start")] == ox.Literal("1981-01-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
    assert bound[ox.Variable("end")].value == "2030-12-31"  # the default


@pytest.mark.parametrize("values, message", [
    ({}, "parameter 'start' of query 'events-between' is required"),
    ({"start": "1981"}, "parameter 'start': '1981' is not a valid date"),
    ({"start": "1981-02-30"}, "parameter 'start': '1981-02-30' is not a valid date"),
    ({"start": "1981-01-01", "limit_to": "torture"}, "parameter 'limit_to': 'torture' is not one of any, arrest, execution"),
    ({"start": "1981-01-01", "nope": "1"}, "has no parameter 'nope'"),
])
def test_bad_values_are_user_errors_naming_the_parameter(values, message):
    q = load_saved_queries(QUERIES)["events-between"]
    with pytest.raises(ParamError, match=message.replace("(", r"\(")):
        q.bind(values, MINTER)


def test_bad_entity_value():
    q = load_saved_queries(QUERIES)["participants"]
    with pytest.raises(ParamError, match="parameter 'event'"):
        q.bind({"event": "Not An Id"}, MINTER)


def test_values_are_never_spliced(store):
    # a value that would break out of the query if it were pasted into the text
    q = load_saved_queries(QUERIES)["participants"]
    evil = 'https://w3id.org/justicegraph/id/x> } } ; DROP ALL ; SELECT * { <a'
    with pytest.raises(ParamError):
        q.bind({"event": evil}, MINTER)
    before = len(store)
    assert list(q.run(store, {"event": "https://w3id.org/justicegraph/id/x%3E"}, MINTER)) == []
    assert len(store) == before


def write(tmp_path, name, text):
    path = tmp_path / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_HEAD = "#+ title: T\n#+ description: D\n"


@pytest.mark.parametrize("name, text, message", [
    ("no-header", "SELECT * WHERE { ?s ?p ?o }", "no '#\\+ ' header"),
    ("no-title", "#+ description: D\nSELECT * WHERE { ?s ?p ?o }", "needs a title"),
    ("unknown-key", GOOD_HEAD + "#+ author: me\nSELECT * WHERE { ?s ?p ?o }", "unknown header key 'author'"),
    ("bad-type", GOOD_HEAD + "#+ params:\n#+   s: {type: person}\nSELECT ?s WHERE { ?s ?p ?o }", "unknown type 'person'"),
    ("missing-var", GOOD_HEAD + "#+ params:\n#+   who: {type: entity}\nSELECT ?s WHERE { ?s ?p ?o }", "no variable \\?who"),
    ("not-projected", GOOD_HEAD + "#+ params:\n#+   s: {type: iri}\nSELECT ?o WHERE { ?s ?p ?o }", "SELECT must project"),
    ("bad-default", GOOD_HEAD + "#+ params:\n#+   n: {type: integer, default: many}\nSELECT ?n WHERE { ?s ?p ?n }", "default of parameter 'n'"),
    ("syntax", GOOD_HEAD + "SELECT WHERE { ?s ?p }", "syntax|expected|Parser"),
    ("Bad_Name", GOOD_HEAD + "SELECT * WHERE { ?s ?p ?o }", "lower-case"),
    ("bad-yaml", "#+ title: [unclosed\n#+ description: D\nSELECT * WHERE { ?s ?p ?o }", "not valid YAML"),
])
def test_malformed_files_are_refused_naming_the_file(tmp_path, name, text, message):
    path = write(tmp_path, name, text)
    with pytest.raises(SavedQueryError, match=message) as info:
        parse_saved_query(path)
    assert str(info.value).startswith(str(path))


def test_ask_and_construct_queries(tmp_path, store):
    ask = parse_saved_query(write(tmp_path, "is-agent", GOOD_HEAD + "#+ params:\n#+   x: {type: entity}\n"
                                  "ASK { ?x a <https://w3id.org/justicegraph/ontology#Person> }"))
    assert bool(ask.run(store, {"x": "person-a"}, MINTER)) is True
    assert bool(ask.run(store, {"x": "arrest-a"}, MINTER)) is False
