"""A fingerprint of the source report, so that the tests that check the data against the report
run with nothing beside the repository — without the report's text in the repository (the
project records the report's facts in its own words and never copies its sentences).

The fingerprint (tests/fixtures/report/fingerprint.json) holds:
- the report's file name, its sha256 and its number of paragraphs (non-empty lines: the ¶
  numbers the locators count);
- a short hash of every run of ``WINDOW`` words (casefolded, apostrophes unified): enough to
  tell whether a text of ours repeats eight words of the report in a row, not enough to read it;
- for every named person of data/1988/people.csv, the paragraphs in which a word of one of
  their spellings appears (an index of our own records' names, not of the report's sentences).

Rebuild it after the report or people.csv changes, with the report checked out beside:

    .venv/bin/python tests/report_fingerprint.py ../shared/seed/000_a526994df29eae1a.txt
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FINGERPRINT = ROOT / "tests" / "fixtures" / "report" / "fingerprint.json"
PEOPLE = ROOT / "data" / "1988" / "people.csv"
WINDOW = 8


def words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.replace("’", "'").casefold())


def window_hash(run: list[str] | tuple[str, ...]) -> str:
    return hashlib.sha256(" ".join(run).encode("utf-8")).hexdigest()[:12]


def windows(text: str) -> set[str]:
    """The hashes of every run of WINDOW words of ``text``."""
    w = words(text)
    return {window_hash(w[i:i + WINDOW]) for i in range(len(w) - WINDOW + 1)}


def load() -> dict:
    return json.loads(FINGERPRINT.read_text(encoding="utf-8"))


def build(report: Path) -> dict:
    text = report.read_text(encoding="utf-8")
    paragraphs = [line for line in text.splitlines() if line.strip()]
    folded = [" ".join(words(p)) for p in paragraphs]
    people = {}
    with PEOPLE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("unnamed") == "true":
                continue
            # any word of any spelling: the report often names a relative by first name only
            names = {w for s in [row["label"], *(row.get("alt_labels") or "").split("|")] for w in words(s)
                     if len(w) > 2}
            people[row["id"]] = sorted({n for n, p in enumerate(folded, 1)
                                         if names & {w.removesuffix("'s") for w in p.split()}})
    return {"source": report.name, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "paragraphs": len(paragraphs), "window": WINDOW, "windows": sorted(windows(text)),
            "people": people}


if __name__ == "__main__":
    FINGERPRINT.write_text(json.dumps(build(Path(sys.argv[1])), indent=1, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    print(f"wrote {FINGERPRINT.relative_to(ROOT)}")
