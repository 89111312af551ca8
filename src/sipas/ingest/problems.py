"""Problems found in a survey file, as data: where (file, row, field), what (code, message), what to do.

A problem is an ``error`` (the row is quarantined), a ``warning`` (the file or a column needs a look;
rows are kept) or a ``flag`` (a quality signal such as straight-lining; the row is accepted).
Rows are named as the spreadsheet shows them (:mod:`sipas.rows`): the header is row 1.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "flag"]
SHOWN_VALUE = 60  # characters of an offending value quoted in a message


def shown(value: object) -> str:
    """A value as quoted in a message: repr-like, cut short (a 10 MB cell stays out of reports)."""
    text = str(value)
    if len(text) > SHOWN_VALUE:
        text = text[:SHOWN_VALUE] + f"… ({len(text):,} characters)"
    return repr(text)


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # spreadsheet row (header = 1); None for the file or a whole column
    field: str | None
    code: str
    message: str
    hint: str
    severity: Severity = "error"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class IngestReport:
    """Everything found in one file, and what became of each row."""

    file: str
    format: str = ""
    framework: str = ""
    rows: int = 0
    accepted: int = 0
    quarantined: int = 0
    flagged: int = 0
    inserted: int | None = None  # on import: new rows written
    unchanged: int | None = None  # on import: rows already stored with the same answers
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """No row quarantined and no file-level error."""
        return self.quarantined == 0 and not any(
            p.severity == "error" and p.row is None for p in self.problems
        )

    def counts(self) -> dict[str, int]:
        """Problems per code, most frequent first."""
        return dict(Counter(p.code for p in self.problems).most_common())

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file,
            "format": self.format,
            "framework": self.framework,
            "valid": self.valid,
            "rows": self.rows,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "flagged": self.flagged,
        }
        if self.inserted is not None:
            out["inserted"] = self.inserted
            out["unchanged"] = self.unchanged
        out["problems"] = self.counts()
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "details": [p.to_dict() for p in self.problems]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str)

    def table_rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Problems as rows of a readable table (row, field, severity, code, message, hint)."""
        chosen = self.problems if limit is None else self.problems[:limit]
        return [
            {
                "row": "" if p.row is None else p.row,
                "field": p.field or "",
                "severity": p.severity,
                "code": p.code,
                "message": p.message,
                "hint": p.hint,
            }
            for p in chosen
        ]
