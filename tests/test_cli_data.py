"""The data commands through click's test runner: load, validate (exit codes and formats),
query (inline, file, saved with parameters; table/json/csv), export, stats. User mistakes
are one-line errors, never tracebacks."""

import json

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from loader_helpers import FIXTURES, copy_fixture, edit_csv, snapshot
from rdflib import Graph
from rdflib.namespace import SH
from stores import REMOTE, current_store, environ, location, new_store

from justicegraph.cli import main

QUERIES = str(FIXTURES.parent / "queries")


def run(store, *args):
    # On a remote backend every store path stands for the engine (tests/stores.py).
    target = location(store) if REMOTE else str(store)
    result = CliRunner().invoke(main, ["--store", target, *args], env=environ())
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    path = tmp / "store"
    if REMOTE:
        new_store().close()  # the engine, emptied
    result = run(path, "load", str(copy_fixture(tmp)))
    assert result.exit_code == 0, result.output
    assert "loaded dataset sample: 32 records" in result.stdout
    return path


def one_line_error(result, text):
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and text in errors[0], result.stderr


def test_load_refused_lists_every_error(tmp_path, store):
    folder = copy_fixture(tmp_path)
    edit_csv(folder / "events.csv", "t-alpha,¶4,1988-07,", "t-alpha,¶4,1988-13,")
    result = run(store, "load", str(folder))
    assert f"{folder}/events.csv:5: field 'time': '1988-13' is not an EDTF date" in result.stderr
    one_line_error(result, "1 error; nothing was loaded")


def test_load_user_mistakes(tmp_path, store):
    one_line_error(run(store, "load", str(tmp_path / "missing")), "no such file or directory")
    one_line_error(run(store, "load", "--packaged", "1999"), "no packaged dataset '1999'")
    assert run(store, "load").exit_code == 2  # usage error: nothing to load


def test_validate_exit_codes(tmp_path, store):
    good = run(store, "validate", str(FIXTURES / "nested"))
    assert good.exit_code == 0 and good.stdout.startswith("conforms: dataset nested"), good.output
    folder = copy_fixture(tmp_path, "nested", "broken")
    (folder / "more.json").write_text('{"places": [{"id": "p", "label": "P", "kind": "castle"}]}', encoding="utf-8")
    bad = run(store, "validate", str(folder))
    assert bad.exit_code == 1
    assert f"{folder}/more.json: places[0]: field 'kind': 'castle' is not one of" in bad.stdout
    assert run(store, "validate", str(tmp_path / "missing")).exit_code == 2


def test_validate_formats(tmp_path, store):
    folder = copy_fixture(tmp_path, "nested", "broken")
    (folder / "more.json").write_text('{"places": [{"id": "p", "label": "P", "kind": "castle"}]}', encoding="utf-8")
    data = json.loads(run(store, "validate", "--format", "json", str(folder)).stdout)
    assert data["conforms"] is False and data["errors"][0]["rule"] == "choice" and data["errors"][0]["field"] == "kind"
    report = Graph().parse(data=run(store, "validate", "--format", "turtle", str(folder)).stdout, format="turtle")
    assert (None, SH.conforms, None) in report
    assert not next(report.objects(None, SH.conforms)).toPython()
    good = Graph().parse(data=run(store, "validate", "--format", "turtle", str(FIXTURES / "nested")).stdout, format="turtle")
    assert next(good.objects(None, SH.conforms)).toPython() is True


def test_validate_does_not_write(tmp_path):
    path = tmp_path / "store"
    before = snapshot(current_store()) if REMOTE else None
    assert run(path, "validate", str(FIXTURES / "nested")).exit_code == 0
    assert snapshot(current_store()) == before if REMOTE else not path.exists()


def test_query_inline_table_json_csv(store):
    text = "SELECT ?p ?name WHERE { ?p a jg:Prison ; skos:prefLabel ?name } ORDER BY ?name"
    table = run(store, "query", text)
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split() == ["p", "name"]
    assert "id:prison-x" in table.stdout and "Example Prison@en" in table.stdout
    data = json.loads(run(store, "query", "--format", "json", text).stdout)
    assert [b["name"]["value"] for b in data["results"]["bindings"]] == ["Example Prison", "Other Prison"]
    csv = run(store, "query", "--format", "csv", text).stdout.splitlines()
    assert csv[0] == "p,name" and len(csv) == 3


def test_query_file_and_ask(tmp_path, store):
    path = tmp_path / "q.rq"
    path.write_text("PREFIX jg: <https://w3id.org/justicegraph/ontology#>\nASK { ?s a jg:ClaimedCount }", encoding="utf-8")
    assert run(store, "query", "-f", str(path)).stdout.strip() == "true"


def test_saved_query_with_parameters(store):
    result = run(store, "query", "--queries", QUERIES, "--name", "participants", "--param", "event=execution-gamma",
                 "--format", "json")
    rows = json.loads(result.stdout)["results"]["bindings"]
    assert {r["role"]["value"].rsplit("/", 1)[-1] for r in rows} == {"victim", "alleged-perpetrator"}
    one_line_error(run(store, "query", "--queries", QUERIES, "--name", "events-between", "--param", "start=yesterday"),
                   "parameter 'start': 'yesterday' is not a valid date")
    one_line_error(run(store, "query", "--queries", QUERIES, "--name", "nope"), "no saved query 'nope'")


def test_query_mistakes_are_one_line(store):
    one_line_error(run(store, "query", "SELECT WHERE {"), "query syntax error")
    one_line_error(run(store, "query", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"),
                   "not in the service allowlist")


def test_restricted_graphs_only_on_request(store):
    text = "SELECT ?p WHERE { ?p a jg:Person } "
    public = run(store, "query", "--format", "csv", text).stdout
    everything = run(store, "query", "--format", "csv", "--restricted", text).stdout
    assert "brother-of-beta" not in public and "brother-of-beta" in everything


def test_export_nquads_and_trig(tmp_path, store):
    nquads = run(store, "export").stdout_bytes
    quads = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    assert quads and not any(q.graph_name.value.endswith("/restricted") for q in quads)
    graph = "https://w3id.org/justicegraph/graph/testimony/t-alpha"
    out = tmp_path / "t.trig"
    assert run(store, "export", "--graph", graph, "--format", "trig", "-o", str(out)).exit_code == 0
    one = list(ox.parse(path=str(out), format=ox.RdfFormat.TRIG))
    assert one and {q.graph_name.value for q in one} == {graph}
    assert len(one) == sum(1 for q in quads if q.graph_name.value == graph)
    one_line_error(run(store, "export", "--graph", graph + "/restricted"), "no graph")
    with_restricted = run(store, "export", "--restricted").stdout_bytes
    assert len(list(ox.parse(with_restricted, format=ox.RdfFormat.N_QUADS))) > len(quads)


def test_stats(store):
    data = json.loads(run(store, "stats", "--format", "json").stdout)
    assert data["graphs"]["https://w3id.org/justicegraph/graph/testimony/t-alpha"] > 0
    assert not any(g.endswith("/restricted") for g in data["graphs"])
    assert data["classes"]["jg:Participation"] == 4  # the fifth is restricted
    alpha = next(s for s in data["speakers"] if s["speaker"].endswith("/person-alpha"))
    assert alpha == {"speaker": alpha["speaker"], "name": "Alpha Example", "statements": 4}
    table = run(store, "stats").stdout
    assert "Triples per graph" in table and "Statements per speaker" in table


def test_from_clauses_narrow_but_never_widen(store):
    hidden = "https://w3id.org/justicegraph/graph/testimony/t-hidden/restricted"
    text = f"SELECT ?s WHERE {{ GRAPH <{hidden}> {{ ?s ?p ?o }} }}"
    assert run(store, "query", "--format", "csv", text).stdout.splitlines() == ["s"]
    named = f"SELECT ?s FROM NAMED <{hidden}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert run(store, "query", "--format", "csv", named).stdout.splitlines() == ["s"]
    assert len(run(store, "query", "--format", "csv", "--restricted", named).stdout.splitlines()) > 1
    alpha = "https://w3id.org/justicegraph/graph/testimony/t-alpha"
    only = run(store, "query", "--format", "csv", f"SELECT DISTINCT ?g FROM NAMED <{alpha}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert only.stdout.splitlines() == ["g", alpha]
