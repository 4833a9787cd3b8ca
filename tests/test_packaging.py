"""`pip install .` works without the checkout: the wheel carries the ontology, shapes,
saved queries, the 1988 dataset and the page assets, all under one `justicegraph` namespace."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                           "-w", str(out), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("justicegraph-*.whl")
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def test_one_namespace(wheel_names):
    tops = {name.split("/")[0] for name in wheel_names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"justicegraph"}


@pytest.mark.parametrize("needed", [
    "justicegraph/ontology/justicegraph.ttl", "justicegraph/ontology/vocabulary.ttl",
    "justicegraph/ontology/alignment.ttl", "justicegraph/ontology/versions/justicegraph-0.1.0.ttl",
    "justicegraph/shapes/entities.ttl",
    "justicegraph/queries/cq01-prisons-of-person.rq", "justicegraph/data/1988/people.csv",
    "justicegraph/loaders/pipeline.py", "justicegraph/server/app.py",
])
def test_wheel_carries(wheel_names, needed):
    assert needed in wheel_names


def test_wheel_carries_page_assets(wheel_names):
    assert any(n.startswith("justicegraph/server/templates/") for n in wheel_names)
    assert any(n.startswith("justicegraph/server/static/vendor/") and n.endswith(".js") for n in wheel_names)
    assert sum(n.startswith("justicegraph/data/1988/") for n in wheel_names) >= 20
