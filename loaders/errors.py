"""Errors of a load: each names the file, the line or record path, the field and the rule."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecordError:
    """One refusal, rendered like
    ``data/1988/events.csv:14: field 'time': '1988-13' is not an EDTF date (rule: edtf)``."""

    file: str
    line: int | None
    record: str | None  # record path in a JSON/YAML document, e.g. sources[0].events[1]
    field: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        parts = [where]
        if self.record:
            parts.append(self.record)
        if self.field:
            parts.append(f"field {self.field!r}")
        return ": ".join(parts) + f": {self.message} (rule: {self.rule})"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "record": self.record, "field": self.field,
                "rule": self.rule, "message": self.message, "text": str(self)}


class LoadError(Exception):
    """A load was refused; nothing was written. ``errors`` holds every problem found."""

    def __init__(self, errors: list[RecordError]):
        self.errors = list(errors)
        count = len(self.errors)
        head = "\n".join(str(e) for e in self.errors[:50])
        more = f"\n… and {count - 50} more" if count > 50 else ""
        super().__init__(f"{count} error{'s' if count != 1 else ''}; nothing was loaded:\n{head}{more}")
