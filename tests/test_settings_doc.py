"""Every setting is documented, and docs/settings.md is the rendering of the one list."""

from pathlib import Path

from justicegraph.settings import Settings
from justicegraph.settings.doc import render

DOC = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


def test_settings_doc_is_current():
    assert DOC.read_text(encoding="utf-8") == render(), \
        "docs/settings.md is stale: python -m justicegraph.settings.doc > docs/settings.md"


def test_every_setting_has_help_and_an_environment_name():
    for name, _default, help_text in Settings().documented():
        assert len(help_text) > 15, name
        assert f"JUSTICEGRAPH_{name.upper()}" in DOC.read_text(encoding="utf-8")
