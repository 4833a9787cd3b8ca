"""Bad input is refused with file, line (or record path), field and rule — all errors at
once — and the store stays exactly as it was."""

import json

import pytest
from loader_helpers import copy_fixture, edit_csv, snapshot
from stores import new_store

from justicegraph.loaders import LoadError, load


@pytest.fixture
def store_with_data(tmp_path):
    """A store that already holds a good load of another dataset."""
    store = new_store()
    load(store, [copy_fixture(tmp_path, "nested")])
    return store


def refused(store, folder) -> list[str]:
    before = snapshot(store)
    with pytest.raises(LoadError) as info:
        load(store, [folder])
    assert snapshot(store) == before, "a refused load changed the store"
    return [str(e) for e in info.value.errors]


# (file, old text, new text, the expected error line)
CSV_CASES = {
    "missing required field": (
        "people.csv", "person-gamma,Gamma Example,", "person-gamma,,",
        "people.csv:4: field 'label': required field is missing (rule: required)"),
    "unknown role": (
        "participations.csv", "person-beta,detainee,t-alpha,¶3,,\ntransfer", "person-beta,bystander,t-alpha,¶3,,\ntransfer",
        "participations.csv:2: field 'role': unknown role 'bystander' (see the role scheme in ontology/vocabulary.ttl) (rule: vocabulary)"),
    "end before start": (
        "events.csv", "prison-y,prison-x", "prison-y,prison-x",  # replaced below: time of transfer
        None),
    "dangling reference": (
        "participations.csv", "execution-gamma,official-delta,", "execution-gamma,official-epsilon,",
        "participations.csv:5: field 'agent': unknown id 'official-epsilon' (rule: reference)"),
    "malformed date": (
        "events.csv", "t-alpha,¶4,1988-07,", "t-alpha,¶4,1988-13,",
        "events.csv:5: field 'time': '1988-13' is not an EDTF date: month 13 does not exist (rule: edtf)"),
    "duplicate id": (
        "places.csv", "prison-y,Other Prison", "prison-x,Other Prison",
        "places.csv:5: field 'id': duplicate id 'prison-x', also used at"),
    "unknown column": (
        "people.csv", "locator,access\n", "locator,access,birthday\n",
        "people.csv:1: field 'birthday': unknown column for people"),
    "dangling according_to": (
        "events.csv", "arrest-beta,Arrest of Beta Example,arrest,t-alpha", "arrest-beta,Arrest of Beta Example,arrest,t-omega",
        "events.csv:3: field 'according_to': 't-omega' is not a testimony or source of this dataset (rule: according-to)"),
    "claimed count range": (
        "statements.csv", ",3000,5000,", ",5000,3000,",
        "statements.csv:6: field 'maximum': maximum 3000 is below minimum 5000 (rule: count-order)"),
    "call to action without addressees": (
        "statements.csv", "un-body|community-x", "",
        "statements.csv:4: field 'addressees': required for a statement of kind call-to-action (rule: required)"),
    "bad locator": (
        "participations.csv", "official-delta,alleged-perpetrator,t-alpha,¶5", "official-delta,alleged-perpetrator,t-alpha,p. 5",
        "participations.csv:5: field 'locator': 'p. 5' is not a locator like '¶12' or '¶12–14' (rule: locator)"),
    "relative of oneself": (
        "relations.csv", "person-beta,sibling,person-gamma", "person-beta,sibling,person-beta",
        "relations.csv:2: field 'other': a person is not their own relative (rule: relation)"),
    # only SHACL sees this one (the nationality is a prison, not a country): reported on the record
    "value of the wrong class": (
        "people.csv", "A fictional speaker.,country-x", "A fictional speaker.,prison-x",
        "people.csv:2: field 'nationality': A nationality (jg:nationality) is a country (jg:Country)."),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_broken_csv_record_is_refused(tmp_path, store_with_data, case):
    name, old, new, expected = CSV_CASES[case]
    folder = copy_fixture(tmp_path)
    if case == "end before start":
        old, new = "transfer,t-alpha,¶3,1986/..,", "transfer,t-alpha,¶3,1986/1981,"
        expected = "events.csv:4: field 'time': '1986/1981' ends before it starts (rule: time-order)"
    edit_csv(folder / name, old, new)
    errors = refused(store_with_data, folder)
    assert any(e.startswith(str(folder / expected.split(":")[0])) and expected in e for e in errors), errors


def test_all_errors_are_reported_not_just_the_first(tmp_path, store_with_data):
    folder = copy_fixture(tmp_path)
    edit_csv(folder / "events.csv", "t-alpha,¶4,1988-07,", "t-alpha,¶4,1988-13,")
    edit_csv(folder / "people.csv", "person-gamma,Gamma Example,", "person-gamma,,")
    edit_csv(folder / "participations.csv", "execution-gamma,official-delta,", "execution-gamma,official-epsilon,")
    errors = refused(store_with_data, folder)
    assert len(errors) == 3, errors
    assert {e.split(":")[0].rsplit("/", 1)[-1] for e in errors} == {"events.csv", "people.csv", "participations.csv"}


def test_bad_csv_encoding(tmp_path, store_with_data):
    folder = copy_fixture(tmp_path)
    (folder / "people.csv").write_bytes("id,label\nperson-x,Caf\u00e9 Owner\n".encode("latin-1"))
    errors = refused(store_with_data, folder)
    assert any("people.csv:2: not UTF-8 text (byte 0xe9" in e and "(rule: encoding)" in e for e in errors), errors


def test_bom_is_accepted(tmp_path):
    folder = copy_fixture(tmp_path)
    path = folder / "places.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    load(new_store(), [folder])


def test_wrong_delimiter(tmp_path, store_with_data):
    folder = copy_fixture(tmp_path)
    (folder / "places.csv").write_text("id;label;kind\ncountry-x;Examplestan;country\n", encoding="utf-8")
    errors = refused(store_with_data, folder)
    assert any("places.csv:1: not comma-delimited: the header is one column split by ';' (rule: csv-delimiter)" in e
               for e in errors), errors


def test_missing_header(tmp_path, store_with_data):
    folder = copy_fixture(tmp_path)
    path = folder / "places.csv"
    path.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[1:]), encoding="utf-8")
    errors = refused(store_with_data, folder)
    assert any("places.csv:1: no header row" in e and "(rule: header)" in e for e in errors), errors


def test_unknown_csv_kind(tmp_path, store_with_data):
    folder = copy_fixture(tmp_path)
    (folder / "victims.csv").write_text("id,label\nx,X\n", encoding="utf-8")
    errors = refused(store_with_data, folder)
    assert any("victims.csv: a CSV file is named after its kind" in e for e in errors), errors


def test_duplicate_id_across_datasets(tmp_path, store_with_data):
    folder = copy_fixture(tmp_path)
    edit_csv(folder / "people.csv", "person-gamma,Gamma Example", "speaker-n,Gamma Example")
    edit_csv(folder / "participations.csv", "execution-gamma,person-gamma", "execution-gamma,speaker-n")
    edit_csv(folder / "relations.csv", "person-gamma", "speaker-n")
    errors = refused(store_with_data, folder)
    assert any("people.csv:4: field 'id': id 'speaker-n' is already used in the store" in e for e in errors), errors


def test_yaml_errors_name_the_line_and_record(tmp_path):
    folder = copy_fixture(tmp_path, "nested")
    (folder / "more.json").unlink()
    path = folder / "conference.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("role: detainee", "role: bystander"), encoding="utf-8")
    store = new_store()
    errors = refused(store, folder)
    assert errors == [f"{path}:17: sources[0].testimonies[0].events[0].participations[0]: field 'role': unknown role "
                      "'bystander' (see the role scheme in ontology/vocabulary.ttl) (rule: vocabulary)"], errors


def test_json_errors_name_the_record_path(tmp_path):
    folder = copy_fixture(tmp_path, "nested")
    path = folder / "more.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["events"][0]["participations"][0]["age"] = "nineteen"
    path.write_text(json.dumps(doc), encoding="utf-8")
    errors = refused(new_store(), folder)
    assert errors == [f"{path}: events[0].participations[0]: field 'age': 'nineteen' is not an integer (digits only) (rule: integer)"]


def test_malformed_yaml_and_json(tmp_path):
    folder = copy_fixture(tmp_path, "nested")
    (folder / "conference.yaml").write_text("sources:\n  - id: x\n    title: [unclosed\n", encoding="utf-8")
    (folder / "more.json").write_text('{"places": [', encoding="utf-8")
    errors = refused(new_store(), folder)
    assert any("conference.yaml:4: not valid YAML" in e for e in errors), errors
    assert any("more.json:1: not valid JSON" in e for e in errors), errors


def test_unknown_field_in_nested_record(tmp_path):
    folder = copy_fixture(tmp_path, "nested")
    path = folder / "conference.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  - {id: speaker-n,", "  - {height: tall, id: speaker-n,"),
                    encoding="utf-8")
    errors = refused(new_store(), folder)
    assert any("people[0]: field 'height': unknown field for people" in e for e in errors), errors


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(LoadError, match="no such file or directory"):
        load(new_store(), [tmp_path / "nothing-here"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError, match="no records found"):
        load(new_store(), [tmp_path / "empty"])


def test_yaml_alias_bomb_is_refused_quickly(tmp_path):
    folder = tmp_path / "bomb"
    folder.mkdir()
    lines = ["a0: &a0 {id: x, label: X, kind: prison, alt_labels: [a, b]}"]
    for i in range(1, 25):
        lines.append(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]")
    lines.append("places: [*a0, *a0, {id: y, label: Y, kind: prison, alt_labels: *a24}]")
    lines.append("people: *a24")
    (folder / "bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(new_store(), [folder])  # 3^24 records if expanded: must not be
    # refused from the parser's events, before any object is built
    assert [e.rule for e in info.value.errors] == ["yaml"]
    assert "aliases expand it" in str(info.value.errors[0])


def test_deeply_nested_documents_are_refused(tmp_path):
    folder = tmp_path / "deep"
    folder.mkdir()
    (folder / "deep.json").write_text('{"places": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    (folder / "deep.yaml").write_text("places: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(new_store(), [folder])
    assert {e.rule for e in info.value.errors} <= {"json", "yaml", "structure"}
