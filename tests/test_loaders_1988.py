"""The packaged 1988 dataset conforms to the shapes and loads quickly (time printed, not asserted)."""

import time

from click.testing import CliRunner
from stores import new_store

from justicegraph.cli import main
from justicegraph.loaders import load
from justicegraph.resources import dataset_dir


def test_1988_validates(tmp_path):
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "none"), "validate", "--packaged", "1988"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("conforms: dataset 1988")


def test_1988_loads_and_reloads_in_place():
    store = new_store()
    started = time.perf_counter()
    first = load(store, [dataset_dir("1988")])
    seconds = time.perf_counter() - started
    print(f"\nloading data/1988: {first.records} records, {first.inserted} quads in {seconds:.2f} s "
          f"({first.seconds:.2f} s inside the loader)")
    count = len(store)
    load(store, [dataset_dir("1988")])
    assert len(store) == count
