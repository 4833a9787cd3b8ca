"""docs/settings.md, generated from the one list of settings (``Settings.documented``).
A test keeps the committed file equal to what this module renders."""

from __future__ import annotations

from justicegraph.settings import Settings, env_name


def render() -> str:
    lines = [
        "# Settings",
        "",
        "Every setting of justicegraph, generated from `justicegraph/settings/__init__.py` by",
        "`python -m justicegraph.settings.doc > docs/settings.md`. Each is read from the",
        "environment as `JUSTICEGRAPH_<NAME>`; a secret may instead be read from a file named by",
        "`JUSTICEGRAPH_<NAME>_FILE`.",
        "",
        "| setting | environment | default | meaning |",
        "|---|---|---|---|",
    ]
    for name, default, help_text in Settings().documented():
        shown = f"`{default}`" if default not in ("", None) else "(empty)"
        lines.append(f"| `{name}` | `{env_name(name)}` | {shown} | {help_text.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
