"""Saved queries as an API and as forms, and the OpenAPI description of every route."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from stores import REMOTE, environ, location, ready, settings, shared_store
from test_pages_fixture import AUTH, BASE, app, client, store  # noqa: F401

from justicegraph import savedqueries
from justicegraph.server.app import create_app
from justicegraph.settings import Settings

QUERIES = sorted(savedqueries.load_saved_queries())


@pytest.fixture(scope="module")
def store_1988(tmp_path_factory):
    """The packaged 1988 dataset, loaded once for this module, on disk (the CLI opens it too)."""
    from justicegraph.loaders import load
    from justicegraph.resources import dataset_dir
    from justicegraph.store import OxigraphStore

    if REMOTE:
        yield location(), shared_store(lambda store: load(store, [dataset_dir("1988")]))
        return
    path = tmp_path_factory.mktemp("store-1988") / "store"
    writer = OxigraphStore(path)
    load(writer, [dataset_dir("1988")])
    writer.close()
    del writer
    # read-only here, so that the command line can open the same directory
    yield path, OxigraphStore(path, read_only=True)


@pytest.fixture(scope="module")
def client_1988(store_1988):
    path, loaded = store_1988
    return create_app(settings(path), store=loaded).test_client()


def concat(value: str) -> str:
    """A GROUP_CONCAT value with its parts in one order: SPARQL leaves the order open and
    query plans change it (the same data answers another order through a remote store's
    public dataset than through graph lists on the primary), as in test_remote_1988."""
    return " | ".join(sorted(value.split(" | "))) if " | " in value else value


def rows_of(results_json: dict) -> set[tuple]:
    variables = results_json["head"]["vars"]
    return {tuple((v, concat(b[v]["value"])) for v in variables if v in b)
            for b in results_json["results"]["bindings"]}


def rows_of_csv(text: str) -> set[tuple]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    return {tuple((v, concat(value)) for v, value in zip(header, row, strict=True) if value != "") for row in reader}


def rows_of_html(html: str) -> int:
    body = html[html.index('<table class="results">'):] if '<table class="results">' in html else ""
    return body.count("<tr>") - 1 if body else 0


@pytest.mark.parametrize("name", QUERIES)
def test_every_saved_query_gives_one_answer_through_api_form_and_module(client_1988, store_1988, name):
    """API (JSON and CSV), the form page (HTML and its JSON twin) and savedqueries.run agree."""
    query = savedqueries.load_saved_queries()[name]
    direct = query.run(store_1988[1], {}, Settings().minter)
    expected = {tuple((v.value, concat(s[v].value)) for v in direct.variables if s[v] is not None) for s in direct}
    api = client_1988.get(f"/api/queries/{name}")
    assert api.status_code == 200 and api.mimetype == "application/sparql-results+json"
    assert rows_of(api.get_json()) == expected
    as_csv = client_1988.get(f"/api/queries/{name}", headers={"Accept": "text/csv"})
    assert as_csv.mimetype == "text/csv" and rows_of_csv(as_csv.get_data(as_text=True)) == expected
    assert rows_of(client_1988.get(f"/queries/{name}.json").get_json()) == expected
    html = client_1988.get(f"/queries/{name}").get_data(as_text=True)
    assert rows_of_html(html) == direct_count(query, store_1988[1])
    assert "<form" in html and all(f'name="{p}"' in html for p in query.params)


def direct_count(query, loaded) -> int:
    return sum(1 for _ in query.run(loaded, {}, Settings().minter))


@pytest.mark.parametrize("name", QUERIES)
def test_every_saved_query_gives_the_same_answer_on_the_command_line(client_1988, store_1988, name):
    from click.testing import CliRunner

    from justicegraph.cli import main

    if "query" not in main.commands:
        pytest.skip("the `justicegraph query` command is not there yet (justicegraph/cli/data.py)")
    path, loaded = store_1988
    ready(loaded)
    result = CliRunner().invoke(main, ["--store", str(path), "query", "--name", name, "--format", "json"],
                                env=environ())
    assert result.exit_code == 0, result.output
    expected = rows_of(client_1988.get(f"/api/queries/{name}").get_json())
    assert rows_of(json.loads(result.output[result.output.index("{"):])) == expected


@pytest.fixture
def query_folder(tmp_path, monkeypatch):
    folder = tmp_path / "queries"
    folder.mkdir()
    monkeypatch.setattr(savedqueries, "default_folder", lambda: folder)
    return folder


STATEMENTS_ABOUT = """#+ title: Statements about a person
#+ description: Statements about someone, by kind, with their speaker.
#+ params:
#+   person: {type: entity, default: hamid-noury, description: The person}
#+   kind: {type: string, enum: [Accusation, Observation, Characterisation], default: Accusation}
#+   year: {type: integer, default: 1988}
PREFIX jg: <https://w3id.org/justicegraph/ontology#>
SELECT ?person ?kind ?year ?statement ?speaker ?summary WHERE {
  GRAPH ?g { ?statement jg:about ?person ; a ?type ; jg:statedBy ?speaker ; jg:summary ?summary }
  FILTER(STRAFTER(STR(?type), "#") = ?kind && ?year > 1900)
} ORDER BY ?statement
"""
LABELS = """#+ title: Labels equal to a text
#+ description: Everything whose name is exactly the text.
#+ params:
#+   text: {type: string}
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?text ?s WHERE { ?s skos:prefLabel|skos:altLabel ?l FILTER(STR(?l) = ?text) }
"""


def app_with(folder, *texts):
    for name, text in texts:
        (folder / f"{name}.rq").write_text(text, encoding="utf-8")
    from test_pages_fixture import READ_TOKEN, fixture_store

    return create_app(settings(read_token=READ_TOKEN), store=fixture_store())


def test_parameters_are_typed_and_checked(query_folder):
    client = app_with(query_folder, ("statements-about", STATEMENTS_ABOUT), ("labels", LABELS)).test_client()  # noqa: F811
    rows = client.get("/api/queries/statements-about").get_json()["results"]["bindings"]
    assert [r["speaker"]["value"] for r in rows] == [BASE + "id/kamran-sample"]
    assert rows[0]["person"] == {"type": "uri", "value": BASE + "id/hamid-noury"}
    assert rows[0]["year"] == {"type": "literal", "value": "1988", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
    observed = client.get("/api/queries/statements-about?kind=Observation").get_json()["results"]["bindings"]
    assert [r["speaker"]["value"] for r in observed] == [BASE + "id/shirin-example"]
    for bad, word in (("kind=Rumour", "kind"), ("year=nineteen", "year"), ("person=<x>", "person"),
                      ("colour=red", "colour")):
        response = client.get(f"/api/queries/statements-about?{bad}")
        assert response.status_code == 400, bad
        assert word in response.get_json()["error"]["message"]
    assert client.get("/api/queries/labels").status_code == 400  # required, no default
    assert client.get("/api/queries/labels?text=Hamid Nouri").get_json()["results"]["bindings"][0]["s"]["value"] \
        == BASE + "id/hamid-noury"


def test_values_are_never_spliced_into_the_query(query_folder):
    client = app_with(query_folder, ("labels", LABELS)).test_client()  # noqa: F811
    for attack in ('x") || true || ("', 'x" } UNION { ?s ?p ?l } #', "x' . ?s ?p ?o . #"):
        response = client.get("/api/queries/labels", query_string={"text": attack})
        assert response.status_code == 200
        assert response.get_json()["results"]["bindings"] == []


def test_restricted_rows_need_the_read_token(query_folder):
    client = app_with(query_folder, ("labels", LABELS)).test_client()  # noqa: F811
    secret = {"text": "Hidden Witness Zarbaf"}
    assert client.get("/api/queries/labels", query_string=secret).get_json()["results"]["bindings"] == []
    opened = client.get("/api/queries/labels", query_string=secret, headers=AUTH).get_json()
    assert [b["s"]["value"] for b in opened["results"]["bindings"]] == [BASE + "id/secret-witness"]


def test_negotiation_and_html_form(query_folder):
    client = app_with(query_folder, ("statements-about", STATEMENTS_ABOUT)).test_client()  # noqa: F811
    url = "/api/queries/statements-about"
    assert client.get(url, headers={"Accept": "application/json"}).mimetype == "application/json"
    assert client.get(url, headers={"Accept": "text/csv;q=1, application/json;q=0.5"}).mimetype == "text/csv"
    assert client.get(url, headers={"Accept": "image/png"}).status_code == 406
    html = client.get(url, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert html == client.get("/queries/statements-about").get_data(as_text=True)
    assert '<select name="kind"' in html and '<option selected>Accusation</option>' in html
    assert 'name="year" value="1988"' in html
    assert "Kamran Sample" in html and 'href="/id/kamran-sample"' in html
    bad = client.get("/queries/statements-about?year=soon")
    assert bad.status_code == 400 and "year" in bad.get_data(as_text=True) and "<form" in bad.get_data(as_text=True)
    text = client.get("/queries/statements-about.csv").get_data(as_text=True)
    assert text.splitlines()[0] == "person,kind,year,statement,speaker,summary" and "\r\n" in text
    assert client.get("/api/queries/no-such-query").status_code == 404


def test_entity_parameters_take_a_name_as_well_as_an_id(query_folder):
    client = app_with(query_folder, ("statements-about", STATEMENTS_ABOUT)).test_client()  # noqa: F811
    url = "/api/queries/statements-about"
    by_id = client.get(url, query_string={"person": "hamid-noury"})
    assert by_id.status_code == 200 and "X-Justicegraph-Resolved" not in by_id.headers
    for name in ("Hamid Noury", "hamid nouri", "Hamid Nuri", "حمید نوری", "Hamid Abbasi"):  # any spelling
        response = client.get(url, query_string={"person": name})
        assert response.status_code == 200, name
        assert response.get_json() == by_id.get_json(), name
        assert response.headers["X-Justicegraph-Resolved"] == "person=hamid-noury", name
    # the form says what the name was read as, and its JSON and CSV links carry the id
    html = client.get("/queries/statements-about", query_string={"person": "Hamid Nouri"}).get_data(as_text=True)
    assert re.search(r'“Hamid Nouri” read as <a href="/id/hamid-noury">Hamid Noury</a>', html)
    assert 'href="/api/queries/statements-about?person=hamid-noury' in html
    assert 'data-suggest="/api/search" data-fill="id"' in html  # autocomplete from search


def test_an_unknown_or_ambiguous_entity_is_an_error_never_an_empty_answer(query_folder):
    client = app_with(query_folder, ("statements-about", STATEMENTS_ABOUT)).test_client()  # noqa: F811
    url = "/api/queries/statements-about"
    for value in ("nobody-recorded", "Nobody Recorded", "https://w3id.org/justicegraph/id/nobody"):
        response = client.get(url, query_string={"person": value})
        assert response.status_code == 400, value
        assert response.get_json()["error"]["message"].startswith(
            f"parameter 'person': no entity has the id or name {value!r}"), value
    near = client.get(url, query_string={"person": "Gohardasht"}).get_json()["error"]["message"]
    assert "no entity has the id or name 'Gohardasht'; did you mean: Gohardasht Prison (gohardasht-prison)" in near
    form = client.get("/queries/statements-about", query_string={"person": "nobody-recorded"})
    assert form.status_code == 400 and "no entity has the id or name" in form.get_data(as_text=True)
    # restricted people are unknown without the read token, known with it
    for value in ("secret-witness", "Hidden Witness Zarbaf"):
        anonymous = client.get(url, query_string={"person": value})
        assert anonymous.status_code == 400 and "Zarbaf" not in anonymous.get_json()["error"]["message"].replace(
            value, ""), value
        assert client.get(url, query_string={"person": value}, headers=AUTH).status_code == 200, value
    # two people with the same name: the caller must say which
    import pyoxigraph as ox

    app_store = client.application.extensions["justicegraph.store"]
    app_store.apply(insert=[ox.Quad(ox.NamedNode(BASE + "id/kamran-sample"),
                                    ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel"),
                                    ox.Literal("Hamid Noury", language="en"),
                                    ox.NamedNode(BASE + "graph/curated/fixture"))])
    client.application.extensions["justicegraph.search"].bump()
    both = client.get(url, query_string={"person": "Hamid Noury"})
    assert both.status_code == 400
    message = both.get_json()["error"]["message"]
    assert "names more than one entity" in message and "hamid-noury" in message and "kamran-sample" in message


def test_names_resolve_on_the_1988_data_and_the_form_fits_a_window(client_1988):
    by_id = client_1988.get("/api/queries/cq02-people-in-prison?prison=evin-prison").get_json()
    assert by_id["results"]["bindings"]
    for name in ("Evin Prison", "evin", "EVIN PRISON"):
        assert client_1988.get("/api/queries/cq02-people-in-prison", query_string={"prison": name}).get_json() \
            == by_id, name
    unknown = client_1988.get("/api/queries/cq02-people-in-prison?prison=nowhere-prison")
    assert unknown.status_code == 400 and "no entity has the id or name 'nowhere-prison'" in \
        unknown.get_json()["error"]["message"]
    # the form's table: a label column is left out where its IRI column shows the label
    html = client_1988.get("/queries/cq02-people-in-prison").get_data(as_text=True)
    headings = re.findall(r'<th scope="col">([^<]*)</th>', html)
    assert headings[:3] == ["prison", "agent", "event"] and "agent label" not in headings and "said by" in headings
    assert '<div class="table-scroll">' in html
    assert "agentLabel" in by_id["head"]["vars"]  # the API keeps every column


def test_a_bad_header_stops_the_app_at_start_up_naming_the_file(query_folder):
    (query_folder / "broken.rq").write_text("#+ title: No description\nSELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(savedqueries.SavedQueryError, match="broken.rq"):
        create_app(Settings.from_env({}, store="memory"))


def test_editor_examples_bind_defaults_without_changing_answers(query_folder):
    app = app_with(query_folder, ("statements-about", STATEMENTS_ABOUT), ("labels", LABELS))  # noqa: F811
    with app.test_request_context("/query"):
        from justicegraph.server.api import editor_examples
        from justicegraph.server.web import context

        examples = {e["name"]: e["query"] for e in editor_examples()}
        results = list(context.store().query(examples["statements-about"], **context.query_dataset()))
    assert "WHERE { VALUES (?person ?kind ?year)" in examples["statements-about"]
    assert [r["speaker"].value for r in results] == [BASE + "id/kamran-sample"]
    assert "VALUES" not in examples["labels"]  # a required parameter has no default


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule).replace("{rest}", "{id}")


def test_openapi_describes_every_route(app, client):  # noqa: F811
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    names = list(savedqueries.load_saved_queries())
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("pages.", "api.")):
            continue
        path = openapi_path(rule.rule)
        if path in ("/api/queries/{name}", "/queries/{name}"):
            assert all(path.replace("{name}", n) in paths for n in names)
        elif rule.rule.startswith("/graph/"):
            assert "/graph/{path}" in paths
        elif rule.rule == "/ontology.<ext>":
            assert "/ontology" in paths  # suffixes are listed in the description
        elif rule.rule != "/dump.nq.gz":
            assert path in paths, rule.rule
    for path, item in paths.items():
        for name in re.findall(r"{(\w+)}", path):
            assert any(p["in"] == "path" and p["name"] == name for p in item["get"]["parameters"]), path
        assert "200" in item["get"]["responses"]
    for name, query in savedqueries.load_saved_queries().items():
        declared = {p["name"]: p for p in paths[f"/api/queries/{name}"]["get"]["parameters"]}
        assert set(declared) == set(query.params)
        for p in query.params.values():
            assert declared[p.name]["required"] == p.required and "type" in declared[p.name]["schema"]


def test_editor_examples_answer_like_the_api(client_1988, store_1988):
    """The query editor's examples (defaults bound by VALUES) give the API's rows."""
    from justicegraph import access
    from justicegraph.server.api import editor_examples

    with client_1988.application.test_request_context("/query"):
        examples = editor_examples()
    dataset = access.dataset(store_1988[1].graphs(), restricted_ok=False)
    assert {e["name"] for e in examples} == set(QUERIES)
    for example in examples:
        solutions = store_1988[1].query(example["query"], **dataset)
        got = {tuple((v.value, concat(s[v].value)) for v in solutions.variables if s[v] is not None)
               for s in solutions}
        assert got == rows_of(client_1988.get(f"/api/queries/{example['name']}").get_json()), example["name"]
