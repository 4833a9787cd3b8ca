"""Whatever bytes a record file holds, a load either succeeds or is refused with LoadError —
never another exception — and a refused load leaves the store as it was."""

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loader_helpers import FIXTURES, snapshot
from stores import new_store

from justicegraph.loaders import LoadError, load

FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FILES = ["people.csv", "events.csv", "statements.csv"]
NESTED = ["conference.yaml", "more.json"]


@pytest.fixture(scope="module")
def store():
    s = new_store()
    load(s, [FIXTURES / "nested"])
    return s


def mutate(data: bytes, draw) -> bytes:
    cut = draw(st.integers(0, len(data)))
    kind = draw(st.sampled_from(["truncate", "insert", "delete", "nul", "bad-utf8", "swap-delimiter"]))
    if kind == "truncate":
        return data[:cut]
    if kind == "insert":
        return data[:cut] + draw(st.binary(min_size=1, max_size=8)) + data[cut:]
    if kind == "delete":
        return data[:cut] + data[cut + draw(st.integers(1, 12)):]
    if kind == "nul":
        return data[:cut] + b"\x00" + data[cut:]
    if kind == "bad-utf8":
        return data[:cut] + b"\xff\xc3" + data[cut:]
    return data.replace(b",", b";")


@FUZZ
@given(data=st.data())
def test_mutated_records_load_or_are_refused(tmp_path_factory, store, data):
    folder = tmp_path_factory.mktemp("fuzz") / "fuzzed"
    use_nested = data.draw(st.booleans())
    shutil.copytree(FIXTURES / ("nested" if use_nested else "sample"), folder)
    name = data.draw(st.sampled_from(NESTED if use_nested else FILES))
    path = folder / name
    path.write_bytes(mutate(path.read_bytes(), data.draw))
    before = snapshot(store)
    try:
        load(store, [folder], dataset="fuzzed")
    except LoadError as exc:
        assert exc.errors and all(e.file and e.rule and e.message for e in exc.errors)
        assert snapshot(store) == before
