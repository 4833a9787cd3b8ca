"""Helpers shared by the loader and CLI tests: fixture copies and store snapshots."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "records"


def copy_fixture(tmp_path: Path, name: str = "sample", as_name: str | None = None) -> Path:
    target = tmp_path / (as_name or name)
    shutil.copytree(FIXTURES / name, target)
    return target


def edit_csv(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def snapshot(store) -> list[str]:
    """Every quad as text, sorted: equal snapshots mean an unchanged store."""
    return sorted(str(q) for q in store.quads())


def data_quads(store) -> set[str]:
    """Quads outside the provenance and ontology graphs (those hold load times and blank
    nodes that legitimately differ between two loads of the same records)."""
    skip = ("/graph/provenance", "/graph/provenance/restricted", "/graph/ontology")
    return {str(q) for q in store.quads() if not q.graph_name.value.endswith(skip)}
