"""Malformed records, generated and hand-picked: CSV quirks (BOM, wrong delimiter, other
encodings, huge fields, embedded NULs, broken quoting, CRLF), YAML alias bombs, JSON-LD with
a remote context. `justicegraph validate` must accept what the record format allows and
refuse the rest with one line per problem naming the file — never a traceback, never a hang,
never a fetch."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from fixtures.restricted.harness import RECORDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from justicegraph.cli import main as cli_main

HEADER = "id,label,alt_labels,description,locator,access\n"
ROW = "fuzz-person,Fuzz Person,Fuzz P.,An invented person.,¶1,\n"


def validate(directory, store) -> tuple[int, str]:
    if "validate" not in cli_main.commands:
        pytest.skip("`justicegraph validate` is not implemented yet")
    result = CliRunner().invoke(cli_main, ["--store", str(store), "validate", str(directory)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def people_dir(tmp_path, data: bytes, name="people.csv"):
    directory = tmp_path / "records"
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir()
    (directory / name).write_bytes(data)
    return directory


def assert_refused_naming_the_file(code, output, name="people.csv"):
    assert code == 1, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines and all(len(line) < 2000 for line in lines)
    assert any(name in line and "rule:" in line for line in lines), output


CASES = {
    "bom": ("\ufeff" + HEADER + ROW).encode(),
    "crlf": (HEADER + ROW).replace("\n", "\r\n").encode(),
}
BAD = {
    "semicolons": (HEADER + ROW).replace(",", ";").encode(),
    "latin-1": (HEADER + ROW.replace("Fuzz Person", "Fuzz Pérson")).encode("latin-1"),
    "utf-16": (HEADER + ROW).encode("utf-16"),
    "nul-in-field": (HEADER + ROW.replace("Fuzz Person", "Fuzz\x00Person")).encode(),
    "unclosed-quote": (HEADER + 'fuzz-person,"Fuzz Person,x,y,¶1,\n').encode(),
    "unknown-column": (HEADER.replace("access", "secret") + ROW).encode(),
    "duplicate-column": (HEADER.replace("alt_labels", "label") + ROW).encode(),
    "no-header": ROW.encode(),
    "too-many-cells": (HEADER + ROW.rstrip("\n") + ",extra,cells\n").encode(),
    "bad-id": (HEADER + ROW.replace("fuzz-person", "Fuzz Person!")).encode(),
    "huge-id": (HEADER + ROW.replace("fuzz-person", "x" * 1_000_000)).encode(),
    "binary": bytes(range(256)) * 40,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_allowed_quirks_are_accepted(tmp_path, name):
    code, output = validate(people_dir(tmp_path, CASES[name]), tmp_path / "store")
    assert code == 0, output


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_csv_is_refused_with_the_file_and_rule(tmp_path, name):
    code, output = validate(people_dir(tmp_path, BAD[name]), tmp_path / "store")
    assert_refused_naming_the_file(code, output)


def test_huge_field_is_accepted_or_refused_cleanly(tmp_path):
    data = (HEADER + ROW.replace("An invented person.", "y" * 2_000_000)).encode()
    code, output = validate(people_dir(tmp_path, data), tmp_path / "store")
    assert code in (0, 1) and len(output) < 10_000


def test_yaml_alias_bomb_is_refused_without_expanding(tmp_path):
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 7):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        levels.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 8) + "]")
    text = "people:\n  - id: bomb\n    label: x\n    description: " + levels[0].split(": ", 1)[1] + "\n"
    text += "".join(f"  - id: bomb{i}\n    label: y\n    alt_labels: {lvl.split(': ', 1)[1]}\n"
                    for i, lvl in enumerate(levels[1:]))
    code, output = validate(people_dir(tmp_path, text.encode(), "bomb.yaml"), tmp_path / "store")
    assert_refused_naming_the_file(code, output, "bomb.yaml")
    assert len(output) < 10_000


def test_jsonld_with_a_remote_context_is_refused(tmp_path):
    directory = people_dir(tmp_path, b'{"@context": "http://127.0.0.1:9/ctx.jsonld", "@id": "urn:x", "n": "y"}',
                           "import.jsonld")
    code, output = validate(directory, tmp_path / "store")
    assert_refused_naming_the_file(code, output, "import.jsonld")
    assert "remote" in output.lower()


def test_restricted_fixture_records_validate(tmp_path):
    code, output = validate(RECORDS, tmp_path / "store")
    assert code == 0, output


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(cells=st.lists(st.text(max_size=30), min_size=1, max_size=8),
       delimiter=st.sampled_from([",", ";", "\t", "|"]), bom=st.booleans(),
       encoding=st.sampled_from(["utf-8", "utf-8", "latin-1", "utf-16-le", "cp1256"]))
def test_generated_csv_rows_never_crash_the_loader(tmp_path_factory, cells, delimiter, bom, encoding):
    tmp_path = tmp_path_factory.mktemp("gen")
    line = delimiter.join(cells) + "\n"
    text = ("\ufeff" if bom else "") + HEADER + line
    data = text.encode(encoding, errors="replace")
    code, output = validate(people_dir(tmp_path, data), tmp_path / "store")
    assert code in (0, 1), output
    if code == 1 and "(rule: empty)" not in output:  # an all-blank file: "no records found" in the directory
        assert_refused_naming_the_file(code, output)


@pytest.mark.parametrize(("name", "data"), [
    ("nul.json", b'{"people": [{"id": "nul-person", "label": "Nul\\u0000Person"}]}'),
    ("nul.yaml", b'people:\n  - id: nul-person\n    label: "Nul\\0Person"\n'),
    ("nul-list.json", b'{"people": [{"id": "nul-person", "label": "N", "alt_labels": ["a", "b\\u0000"]}]}'),
])
def test_nul_escaped_in_json_or_yaml_is_refused(tmp_path, name, data):
    code, output = validate(people_dir(tmp_path, data, name), tmp_path / "store")
    assert_refused_naming_the_file(code, output, name)
    assert "NUL" in output
