"""Validation problems as data: each one has a node path, a rule and a message."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NotRequired, TypedDict, cast

Severity = Literal["error", "warning"]
PATH_SEPARATOR = " › "


@dataclass(frozen=True)
class Problem:
    path: str  # e.g. "par-province-2024 › 3 › 3.2 › 3.2.1"
    rule: str  # stable identifier, e.g. "par.children_exceed"
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.rule}]"


class ProblemRow(TypedDict):
    """A validation problem as data: where, which rule, what, how bad."""

    path: str
    rule: str
    message: str
    severity: Severity


class ReportSummary(TypedDict):
    """A framework's validation: its source, whether valid, counts and every problem.
    ``scoring_gaps``: the PAR nodes without points yet (added for a PAR framework)."""

    source: str
    valid: bool
    errors: int
    warnings: int
    problems: list[ProblemRow]
    scoring_gaps: NotRequired[list[str]]


@dataclass
class ValidationReport:
    source: str
    problems: list[Problem] = field(default_factory=list)
    # Problems of items files (also among ``problems``), kept with their file, row and field so
    # that a framework refused for them is refused with a declared error naming all three.
    items_problems: list[Any] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def add(self, path: str, rule: str, message: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(path, rule, message, severity))

    def to_dict(self) -> ReportSummary:
        return {
            "source": self.source,
            "valid": self.valid,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [cast(ProblemRow, asdict(p)) for p in self.problems],
        }


def join_path(*parts: str) -> str:
    return PATH_SEPARATOR.join(p for p in parts if p)
