"""Built-in frameworks shipped with the package, and resolving a name or a file to a framework."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from sipas.errors import SipasError
from sipas.frameworks.items import ItemsProblem
from sipas.frameworks.loader import parse_framework_text, read_framework_file
from sipas.frameworks.model import ParFramework, SurveyFramework
from sipas.frameworks.report import ValidationReport

AnyFramework = SurveyFramework | ParFramework


def builtin_ids() -> list[str]:
    folder = resources.files("sipas.frameworks").joinpath("data")
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def builtin_text(framework_id: str) -> str:
    if framework_id not in builtin_ids():
        raise SipasError("framework.unknown", name=framework_id, builtins=list(builtin_ids()))
    path = resources.files("sipas.frameworks").joinpath("data", f"{framework_id}.yaml")
    return path.read_text(encoding="utf-8")


def validate_builtin(
    framework_id: str, items: Path | None = None
) -> tuple[AnyFramework | None, ValidationReport]:
    """A built-in framework and its report; ``items`` replaces its items file (if it has one)."""
    folder = resources.files("sipas.frameworks").joinpath("data")
    return parse_framework_text(
        builtin_text(framework_id), f"{framework_id} (built-in)", folder, items
    )


@cache
def load_builtin(framework_id: str) -> AnyFramework:
    framework, report = validate_builtin(framework_id)
    if framework is None:
        raise invalid_framework_error(report)
    return framework


def invalid_framework_error(report: ValidationReport) -> SipasError:
    if report.items_problems:
        return _items_error(report.items_problems)
    first = report.errors[0]
    return SipasError(
        "framework.invalid",
        source=report.source,
        first=str(first),
        count=len(report.errors),
        problems=[str(p) for p in report.errors],
    )


def _items_error(problems: list[ItemsProblem]) -> SipasError:
    """The declared error for a framework refused for its items file: the first problem, by
    file, row and field."""
    first = problems[0]
    if first.missing:
        return SipasError("framework.items_file_missing", path=first.file, node=first.node)
    if first.row is None:
        return SipasError("framework.items_file_unreadable", path=first.file, problem=first.phrase)
    return SipasError(
        "framework.items_invalid",
        path=first.file,
        row=first.row,
        field=first.field or "",
        problem=first.phrase,
        count=len(problems),
    )


def resolve_framework(name_or_path: str, items: Path | None = None) -> AnyFramework:
    """A built-in id, or the path of a YAML framework file (refused whole if it has errors).
    ``items`` replaces the items file of a framework with one ``items_file``."""
    if name_or_path in builtin_ids():
        if items is None:
            return load_builtin(name_or_path)
        found, report = validate_builtin(name_or_path, items)
        if found is None:
            raise invalid_framework_error(report)
        return found
    path = Path(name_or_path)
    if path.suffix.lower() in {".yaml", ".yml"} or path.exists():
        framework, report = read_framework_file(path, items)
        if framework is None:
            raise invalid_framework_error(report)
        return framework
    raise SipasError("framework.unknown", name=name_or_path, builtins=list(builtin_ids()))


def require_survey(framework: AnyFramework) -> SurveyFramework:
    if not isinstance(framework, SurveyFramework):
        raise SipasError(
            "framework.wrong_kind",
            framework=framework.id,
            kind=framework.kind,
            wanted="survey",
            example="sipas-gen2",
        )
    return framework


def require_par(framework: AnyFramework) -> ParFramework:
    if not isinstance(framework, ParFramework):
        raise SipasError(
            "framework.wrong_kind",
            framework=framework.id,
            kind=framework.kind,
            wanted="par",
            example="par-province-2017",
        )
    return framework
