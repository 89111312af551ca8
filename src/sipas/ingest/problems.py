"""Problems found in a survey file, as data: where (file, row, field), what (code and values).

A problem is an ``error`` (the row is quarantined), a ``warning`` (the file or a column needs a look;
rows are kept) or a ``flag`` (a quality signal such as straight-lining; the row is accepted).
Rows are named as the spreadsheet shows them (:mod:`sipas.rows`): the header is row 1.
What a problem says, in Vietnamese and English, is its code's declaration in
:mod:`sipas.messages` (``messages/data/errors/ingest.yaml``, ``quality.yaml``) filled with its
values; the values are plain text and numbers, so a stored problem renders again later.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import field as _field
from typing import Any, Literal

from sipas.errors import plain

Severity = Literal["error", "warning", "flag"]
SHOWN_VALUE = 60  # characters of an offending value quoted in a message


def shown(value: object) -> str:
    """A value as quoted in a message: cut short (a 10 MB cell stays out of reports)."""
    text = str(value)
    if len(text) > SHOWN_VALUE:
        text = text[:SHOWN_VALUE] + "…"
    return text


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # spreadsheet row (header = 1); None for the file or a whole column
    field: str | None
    code: str
    values: Mapping[str, Any] = _field(default_factory=dict)
    severity: Severity = "error"

    def __hash__(self) -> int:  # the values are a mapping: hash the rest
        return hash((self.file, self.row, self.field, self.code, self.severity))

    def text(self, lang: str = "en") -> tuple[str, str]:
        """The message and hint in ``lang``."""
        from sipas.messages import render

        message, hint = render(self.code, self.values, lang)
        return message, hint or ""

    @property
    def message(self) -> str:
        return self.text("en")[0]

    @property
    def hint(self) -> str:
        return self.text("en")[1]

    def reason(self) -> dict[str, Any]:
        """What is stored with a quarantined row: field, code, values, and the English text
        (kept so that a reader without the declarations still sees the problem)."""
        message, hint = self.text("en")
        return {"field": self.field, "code": self.code, "values": plain(dict(self.values)),
                "message": message, "hint": hint}  # fmt: skip

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        message, hint = self.text(lang)
        return {
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "code": self.code,
            "message": message,
            "hint": hint,
            "severity": self.severity,
            "values": plain(dict(self.values)),
        }


def problem_text(stored: Mapping[str, Any], lang: str, short: bool = False) -> str:
    """A stored problem (``code``, ``values`` — ``message_values`` for a quality flag; its
    ``message`` where it was stored before problems had values) as a sentence in ``lang``, or its short label (what a form field shows)."""
    from sipas.messages import declaration, render, render_short

    code = str(stored.get("code") or "")
    found = declaration(code)
    if short and found is not None and found.short is not None:
        return render_short(code, lang)
    values = stored.get("values", stored.get("message_values"))  # a reason, or a flag's row
    if found is None or not isinstance(values, Mapping):
        return str(stored.get("message") or code)
    return render(code, values, lang)[0]


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

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {**self.summary(), "details": [p.to_dict(lang) for p in self.problems]}

    def to_json(self, lang: str = "en") -> str:
        return json.dumps(self.to_dict(lang), ensure_ascii=False, indent=2, default=str)

    def table_rows(self, limit: int | None = None, lang: str = "en") -> list[dict[str, Any]]:
        """Problems as rows of a readable table (row, field, severity, code, message, hint)."""
        chosen = self.problems if limit is None else self.problems[:limit]
        rows = []
        for p in chosen:
            message, hint = p.text(lang)
            rows.append(
                {
                    "row": "" if p.row is None else p.row,
                    "field": p.field or "",
                    "severity": p.severity,
                    "code": p.code,
                    "message": message,
                    "hint": hint,
                }
            )
        return rows
