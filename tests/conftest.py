"""Shared fixtures. Each capability's tests live in their own file; fixtures here are small."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture
def settings(tmp_path):
    from justicegraph.settings import Settings

    return Settings.from_env({}, store="memory")
