"""Strict reading (issue #17, items 2, 4 and 10): input that would change records without a
word, replace a dataset by less than its input says, or crash or exhaust the loader is
refused with one line per problem — file:line: field: message (rule) — and the store stays
exactly as it was.

Item 2: an empty, comment-only or cut-short file, or input holding no records at all, never
replaces a dataset (that needs --allow-empty). Item 4: an unbalanced CSV quote, a key or a
list given twice (YAML, JSON), JSON's NaN and Infinity, an open-open interval, relative IRIs
without a base, and unreadable entries of a dataset folder. Item 10: absurd numbers and
dates, lone surrogates, devices, FIFOs, files over the size cap and YAML alias bombs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from loader_helpers import copy_fixture, snapshot
from stores import REMOTE, environ, location, new_store

from justicegraph.cli import main
from justicegraph.loaders import LoadError, load
from justicegraph.loaders.rdfimport import json_depth

PEOPLE = "id,label,alt_labels,label_fa,description,nationality,unnamed,locator,access\n"
EVENT = ("sources:\n  - id: src-s\n    title: A fictional report\n    events:\n"
         "      - {id: ev-s, label: An event, type: arrest, locator: ¶1, time: '%s'}\n")


@pytest.fixture
def store_with_sample(tmp_path):
    store = new_store()
    load(store, [copy_fixture(tmp_path)], dataset="sample")
    return store


def refused(store, paths, **kwargs) -> list:
    """The errors of a refused load; the store must be exactly as before."""
    before = snapshot(store)
    with pytest.raises(LoadError) as info:
        load(store, paths, **kwargs)
    assert snapshot(store) == before, "a refused load changed the store"
    for error in info.value.errors:
        assert "\n" not in str(error), "an error is one line"
    return info.value.errors


def folder_with(tmp_path, files: dict, name: str = "input"):
    folder = tmp_path / name
    folder.mkdir()
    for filename, content in files.items():
        path = folder / filename
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    return folder


# ---------------------------------------------------------------- item 2: never replaced by nothing

TTL_PREFIXES = "@prefix jg: <https://w3id.org/justicegraph/ontology#> .\n"
EMPTY_FILES = {
    "empty turtle": ("data.ttl", ""),
    "comment-only turtle": ("data.ttl", "# the records were here\n"),
    "turtle cut after its prefixes": ("data.ttl", TTL_PREFIXES),
    "turtle cut mid-statement": ("data.ttl", TTL_PREFIXES + "<https://w3id.org/justicegraph/id/x> jg:recordId "),
    "empty n-triples": ("data.nt", "\n\n"),
    "empty json-ld": ("data.jsonld", "[]"),
    "empty yaml": ("records.yaml", "# nothing yet\n"),
    "empty json": ("records.json", ""),
    "json null": ("records.json", "null"),
}


@pytest.mark.parametrize("case", sorted(EMPTY_FILES))
def test_reloading_from_an_empty_or_cut_short_file_is_refused_naming_it(tmp_path, store_with_sample, case):
    filename, content = EMPTY_FILES[case]
    folder = folder_with(tmp_path, {filename: content}, "again")
    errors = refused(store_with_sample, [folder], dataset="sample")
    assert any(e.file == str(folder / filename) and e.rule in ("empty", "rdf-syntax") for e in errors), errors


def test_replacing_a_dataset_by_nothing_needs_allow_empty(tmp_path, store_with_sample):
    empty = folder_with(tmp_path, {"people.csv": PEOPLE}, "emptied")  # a header, no rows
    errors = refused(store_with_sample, [empty], dataset="sample")
    assert [e.rule for e in errors] == ["empty"]
    assert "replace dataset 'sample'" in str(errors[0]) and "--allow-empty" in str(errors[0])
    result = load(store_with_sample, [empty], dataset="sample", allow_empty=True)
    assert result.records == 0 and result.replaced
    assert not any("/testimony/" in g or "/curated/sample" in g for g in store_with_sample.graphs())


@pytest.mark.skipif(REMOTE, reason="the CLI test runs on the embedded store's directory")
def test_cli_load_allow_empty(tmp_path):
    store = tmp_path / "store"
    runner = CliRunner()
    invoke = lambda *args: runner.invoke(main, ["--store", location(store), *args], env=environ())  # noqa: E731
    assert invoke("load", "--dataset", "sample", str(copy_fixture(tmp_path))).exit_code == 0
    empty = folder_with(tmp_path, {}, "nothing")
    refused_load = invoke("load", "--dataset", "sample", str(empty))
    assert refused_load.exit_code == 1 and "--allow-empty" in refused_load.stderr
    assert "Traceback" not in refused_load.output
    done = invoke("load", "--dataset", "sample", "--allow-empty", str(empty))
    assert done.exit_code == 0, done.output
    assert "0 records" in done.stdout and "(replaced " in done.stdout


def test_the_cli_cap_is_the_loaders_cap():
    from justicegraph.cli import data
    from justicegraph.loaders import readers

    assert data.MAX_FILE_MB * 1024 * 1024 == readers.MAX_FILE_BYTES


# ---------------------------------------------------------------- item 4: nothing changed without a word

def test_an_unbalanced_csv_quote_does_not_swallow_the_rows_after_it(tmp_path):
    folder = folder_with(tmp_path, {"people.csv": PEOPLE + 'p-one,"Person One,,,,,,¶1,\np-two,Person Two,,,,,,¶2,\n'
                                                  'p-three,Person Three,,,,,,¶3,\n'})
    errors = refused(new_store(), [folder])
    assert [str(e) for e in errors] == [f"{folder}/people.csv:2: unreadable CSV: a quoted cell is never closed "
                                        "(a quote is missing or one too many) (rule: csv)"]


def test_a_csv_cell_running_over_lines_is_refused(tmp_path):
    # a later quote closes the one left open: the rows between would become one label
    folder = folder_with(tmp_path, {"people.csv": PEOPLE + 'p-one,"Person One,,,,,,¶1,\np-two,Person Two,,,,,,¶2,\n'
                                                  'p-three,Person Three",,,,,,¶3,\n'})
    errors = refused(new_store(), [folder])
    assert [(e.line, e.field, e.rule) for e in errors] == [(2, "label", "csv-quote")]
    assert "runs over lines 2–4" in str(errors[0])


YAML_RECORD = "people:\n  - id: p-one\n    label: Person One\n    label: Person Uno\n"
DUPLICATES = {
    "yaml key twice": ("people.yaml", YAML_RECORD, (4, "people[0]", "label")),
    "yaml list twice": ("people.yaml", "people:\n  - {id: p-one, label: One}\npeople:\n  - {id: p-two, label: Two}\n",
                        (3, "people", None)),
    "json key twice": ("people.json", '{"people": [{"id": "p-one", "label": "One", "label": "Uno"}]}',
                       (None, "people[0]", "label")),
    "json list twice": ("people.json", '{"people": [{"id": "p-one", "label": "One"}], '
                                       '"people": [{"id": "p-two", "label": "Two"}]}', (None, "people", None)),
}


@pytest.mark.parametrize("case", sorted(DUPLICATES))
def test_a_key_or_list_given_twice_is_refused(tmp_path, case):
    filename, text, where = DUPLICATES[case]
    folder = folder_with(tmp_path, {filename: text})
    errors = refused(new_store(), [folder])
    assert [(e.line, e.record, e.field, e.rule) for e in errors] == [(*where, "duplicate-key")]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_refused(tmp_path, constant):
    folder = folder_with(tmp_path, {"s.json": '{"sources": [{"id": "src-n", "title": "T", "statements": [{"id": '
                                              f'"st-n", "kind": "claimed-count", "locator": "¶1", "summary": "S", '
                                              f'"minimum": {constant}}}]}}]}}'})
    errors = refused(new_store(), [folder])
    assert [(e.record, e.field, e.rule) for e in errors] == [("sources[0].statements[0]", "minimum", "number")]


@pytest.mark.parametrize("time", ["../..", "/..", "../", "/"])
def test_an_interval_with_no_known_end_is_refused(tmp_path, time):
    folder = folder_with(tmp_path, {"e.yaml": EVENT % time})
    errors = refused(new_store(), [folder])
    assert [(e.line, e.field, e.rule) for e in errors] == [(5, "time", "edtf")]


RELATIVE = {
    "turtle": ("r.ttl", "<person-r> a <https://w3id.org/justicegraph/ontology#Person> .\n", 1),
    "n-triples": ("r.nt", "<person-r> <http://www.w3.org/2000/01/rdf-schema#label> \"R\" .\n", 1),
    "rdf/xml": ("r.rdf", '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                         'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"><rdf:Description rdf:about="person-r">'
                         "<rdfs:label>R</rdfs:label></rdf:Description></rdf:RDF>", None),
    "json-ld": ("r.jsonld", '{"@id": "person-r", "http://www.w3.org/2000/01/rdf-schema#label": "R"}', None),
}


@pytest.mark.parametrize("case", sorted(RELATIVE))
def test_relative_iris_without_a_base_are_refused(tmp_path, case):
    filename, text, line = RELATIVE[case]
    folder = folder_with(tmp_path, {filename: text})
    errors = refused(new_store(), [folder])
    assert [(e.file, e.line) for e in errors] == [(str(folder / filename), line)]
    assert errors[0].rule in ("relative-iri", "rdf-syntax")
    assert "file://" not in str(errors[0])


def test_a_relative_iri_with_the_files_own_base_is_fine(tmp_path):
    folder = folder_with(tmp_path, {"r.ttl": "@base <https://w3id.org/justicegraph/id/> .\n"
                                             "<place-b> a <https://w3id.org/justicegraph/ontology#Place> ;\n"
                                             "  <https://w3id.org/justicegraph/ontology#recordId> \"place-b\" ;\n"
                                             "  <http://www.w3.org/2004/02/skos/core#prefLabel> \"Place B\"@en ;\n"
                                             "  <http://www.w3.org/2000/01/rdf-schema#label> \"Place B\"@en .\n"})
    store = new_store()
    load(store, [folder])
    assert bool(store.query("ASK { GRAPH ?g { <https://w3id.org/justicegraph/id/place-b> a ?t } }"))


def test_nothing_in_a_dataset_folder_is_skipped_silently(tmp_path):
    folder = copy_fixture(tmp_path)
    (folder / "events.xlsx").write_bytes(b"PK\x03\x04")  # a spreadsheet the loader cannot read
    (folder / "more.csv").mkdir()  # a folder, not a file
    (folder / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")  # a broken link
    (folder / ".~lock.people.csv#").write_text("editor lock", encoding="utf-8")  # hidden: ignored
    errors = refused(new_store(), [folder])
    assert sorted((os.path.basename(e.file), e.rule) for e in errors) == [
        ("events.xlsx", "file"), ("gone.yaml", "file"), ("more.csv", "file")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_file_is_refused(tmp_path):
    folder = copy_fixture(tmp_path)
    (folder / "places.csv").chmod(0)
    errors = refused(new_store(), [folder])
    assert [(os.path.basename(e.file), e.rule) for e in errors] == [("places.csv", "file")]


# ---------------------------------------------------------------- item 10: one line, never a traceback

BIG = "9" * 5000


@pytest.mark.parametrize("form", ["csv", "json"])
def test_an_absurd_age_is_refused(tmp_path, form):
    folder = copy_fixture(tmp_path)
    if form == "csv":
        path = folder / "participations.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(",¶4,24,", f",¶4,{BIG},"), encoding="utf-8")
        where = (str(path), 4, None)
    else:
        path = folder / "more.json"
        path.write_text('{"participations": [{"event": "execution-gamma", "agent": "person-beta", "role": "witness", '
                        f'"according_to": "t-alpha", "locator": "¶4", "age": {BIG}}}]}}', encoding="utf-8")
        where = (str(path), None, "participations[0]")
    errors = refused(new_store(), [folder])
    assert [(e.file, e.line, e.record, e.field, e.rule) for e in errors] == [(*where, "age", "integer-range")]
    assert len(str(errors[0])) < 300


def test_an_age_past_any_lifetime_is_refused(tmp_path):
    folder = copy_fixture(tmp_path)
    path = folder / "participations.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",¶4,24,", ",¶4,240,"), encoding="utf-8")
    errors = refused(new_store(), [folder])
    assert [(e.line, e.field, e.rule) for e in errors] == [(4, "age", "integer-range")]


def test_a_season_ending_after_9999_is_refused(tmp_path):
    folder = folder_with(tmp_path, {"e.yaml": EVENT % "9999-24"})
    errors = refused(new_store(), [folder])
    assert [(e.line, e.field, e.rule) for e in errors] == [(5, "time", "edtf")]


def test_a_lone_surrogate_in_json_is_refused(tmp_path):
    folder = folder_with(tmp_path, {"p.json": '{"people": [{"id": "p-s", "label": "Half \\ud800 a name"}],'
                                              ' "places": [{"id": "pl-s", "label": "X", "kind": "prison", '
                                              '"\\udc00": "key"}]}'})
    errors = refused(new_store(), [folder])
    assert sorted((e.record, e.rule) for e in errors) == [("people[0]", "encoding"), ("places[0]", "unknown-field")]
    for error in errors:
        str(error).encode("utf-8")  # printable: the CLI can write it


def load_in_a_child(*paths, **kwargs) -> list[str]:
    """The errors of a load run in a child process under a 1 GB memory cap and a time limit:
    before the fixes these loads grew until memory ran out, or blocked forever."""
    code = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from justicegraph.loaders import LoadError, load
        from justicegraph.store import OxigraphStore
        try:
            load(OxigraphStore(None), {[str(p) for p in paths]!r}, shacl=False, **{kwargs!r})
        except LoadError as exc:
            print("\\n".join(str(e) for e in exc.errors))
    """)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.fail("the load hangs")
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()


def test_a_device_is_refused_without_reading_it(tmp_path):
    assert load_in_a_child("/dev/zero", dataset="zero") == [
        "/dev/zero: not a record file (.csv, .json, .yaml) nor RDF (.ttl, .nt, .nq, .trig, .jsonld, .rdf, .owl): "
        "a dataset folder holds only its inputs (rule: file)"]
    link = tmp_path / "people.csv"
    link.symlink_to("/dev/zero")  # a record-like name does not make it a file
    assert load_in_a_child(link, dataset="zero") == [
        f"{link}: not a regular file (a device, FIFO or socket is never read) (rule: file)"]


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    folder = copy_fixture(tmp_path)
    os.mkfifo(folder / "testimonies.yaml")
    assert load_in_a_child(folder) == [
        f"{folder}/testimonies.yaml: not a regular file (a device, FIFO or socket is never read) (rule: file)"]


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path):
    folder = copy_fixture(tmp_path)
    errors = refused(new_store(), [folder], max_file_bytes=300)
    big = sorted(os.path.basename(e.file) for e in errors if e.rule == "file-size")
    assert big and big == sorted(p.name for p in folder.iterdir() if p.stat().st_size > 300)


def test_a_yaml_alias_bomb_is_refused_before_it_is_built(tmp_path):
    # ~2 GB of labels from a 120 KB file: one 100 KB string, repeated through aliases
    long_name = "x" * 100_000
    text = (f"name: &n {long_name}\nlabels: &l [{', '.join(['*n'] * 2000)}]\n"
            "people:\n" + "".join(f"  - {{id: p-{i}, label: P, alt_labels: *l}}\n" for i in range(10)))
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    errors = load_in_a_child(path)
    assert len(errors) == 1 and errors[0].startswith(f"{path}:2: its aliases expand it past"), errors
    assert errors[0].endswith("(rule: yaml)")


def _nesting(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_nesting, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_nesting, value), default=0)
    return 0


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\n'),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet='[]{}"\\a'), inner,
                                                                                 max_size=4), max_leaves=30)


@given(_JSON)
def test_the_depth_measured_before_parsing_is_the_documents(value):
    # brackets, quotes and backslashes inside strings must not count
    assert json_depth(json.dumps(value).encode()) == _nesting(value)
