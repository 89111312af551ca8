"""Frameworks: list, show, validate, export, import."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypedDict

from sipas.errors import SipasError
from sipas.frameworks import (
    IndexNode,
    ParFramework,
    SurveyFramework,
    builtin_ids,
    dump_framework_yaml,
    load_builtin,
    read_framework_file,
    resolve_framework,
    scoring_gaps,
)
from sipas.frameworks.excel import export_par_xlsx, import_par_xlsx
from sipas.frameworks.registry import require_par, validate_builtin
from sipas.frameworks.report import ReportSummary


class FrameworkRow(TypedDict):
    """A built-in framework as listed: id, kind, version, years, title, size, provisional."""

    id: str
    kind: str  # survey | par | service-index
    version: str
    years: str  # "2017–2019", "2022" or ""
    title: str
    size: str  # "22 items", "41 leaves", "9 indicators"
    provisional: bool


class IndexTreeRow(TypedDict):
    """A node of a survey framework's index tree, with the items it averages."""

    level: int
    code: str
    name: str
    items: str  # comma-separated item codes


class ParTreeRow(TypedDict):
    """A node of a PAR framework's tree with its points and how it is scored."""

    level: int
    code: str
    name: str
    max_points: float | None
    method: str | None


class ServiceTreeRow(TypedDict):
    """A group (level 0) or indicator (level 1) of a service-index framework."""

    level: int
    code: str
    name: str
    max_points: float | None
    scope: str


class SurveyItem(TypedDict):
    """A satisfaction item of a survey framework and its text."""

    code: str
    text: str


class ItemsFile(TypedDict):
    """An index node whose items are read from a file, and the items read."""

    node: str
    file: str
    items: list[str]


class FrameworkIdentity(TypedDict):
    """What names a framework: id, kind, version, years, title, provisional, sources."""

    id: str
    kind: str
    version: str
    years: str
    title: str
    provisional: bool
    sources: list[str]


class SurveyFrameworkView(FrameworkIdentity):
    """A survey framework: identity, rules, index tree, satisfaction items, items files."""

    rules: dict[str, Any]
    tree: list[IndexTreeRow]
    items: list[SurveyItem]
    items_files: list[ItemsFile]


class ParFrameworkView(FrameworkIdentity):
    """A PAR framework: identity, total points, tree, and the nodes without points yet."""

    total_points: float | None
    tree: list[ParTreeRow]
    scoring_gaps: list[str]


class ServiceFrameworkView(FrameworkIdentity):
    """A service-index framework: identity, total points, groups and indicators as a tree."""

    total_points: float
    tree: list[ServiceTreeRow]


# A framework's identity and its tree as rows, with what its kind adds.
FrameworkView = SurveyFrameworkView | ParFrameworkView | ServiceFrameworkView


def _years(years: list[int]) -> str:
    """2017–2019, or 2022, or an empty string where the framework names no years."""
    if not years:
        return ""
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def list_frameworks(lang: str = "vi") -> list[FrameworkRow]:
    """Every built-in framework: survey instruments, PAR frameworks and the service index."""
    rows: list[FrameworkRow] = []
    for framework_id in builtin_ids():
        f = load_builtin(framework_id)
        size = len(f.satisfaction.items) if isinstance(f, SurveyFramework) else len(f.leaves())
        rows.append(
            {
                "id": f.id,
                "kind": f.kind,
                "version": f.version,
                "years": _years(f.years),
                "title": f.title.get(lang),
                "size": f"{size} items" if f.kind == "survey" else f"{size} leaves",
                "provisional": f.provisional,
            }
        )
    for code in _service_ids():
        service = _service_framework(code)
        rows.append(
            {
                "id": service.code,
                "kind": "service-index",
                "version": service.version,
                "years": "",
                "title": service.name_en if lang == "en" else service.name_vi,
                "size": f"{len(service.indicators)} indicators",
                "provisional": True,  # the split of points inside groups is the portal's, see notes
            }
        )
    return rows


def _service_ids() -> list[str]:
    """The built-in service-index frameworks (the service index is loaded only when asked)."""
    from sipas.service_index.framework import builtin_ids as service_ids

    return service_ids()


def _service_framework(code: str) -> Any:
    from sipas.service_index.framework import builtin_framework

    return builtin_framework(code)


def _show_service_framework(code: str, lang: str) -> ServiceFrameworkView:
    service = _service_framework(code)
    tree: list[ServiceTreeRow] = []
    for group in service.groups:
        tree.append(
            {
                "level": 0,
                "code": group.code,
                "name": group.name_en if lang == "en" else group.name_vi,
                "max_points": group.points,
                "scope": "",
            }
        )
        for indicator in group.indicators:
            tree.append(
                {
                    "level": 1,
                    "code": indicator.code,
                    "name": indicator.name_en if lang == "en" else indicator.name_vi,
                    "max_points": indicator.points if indicator.scored else None,
                    "scope": indicator.scope,
                }
            )
    return {
        "id": service.code,
        "kind": "service-index",
        "version": service.version,
        "years": "",
        "title": service.name_en if lang == "en" else service.name_vi,
        "provisional": True,
        "sources": [f"{k}: {v}" for k, v in service.sources.items()],
        "total_points": service.total_points,
        "tree": tree,
    }


def _index_rows(node: IndexNode, lang: str, depth: int = 0) -> list[IndexTreeRow]:
    rows: list[IndexTreeRow] = [
        {
            "level": depth,
            "code": node.code,
            "name": node.name.get(lang),
            "items": ", ".join(node.items or []),
        }
    ]
    for child in node.children or []:
        rows.extend(_index_rows(child, lang, depth + 1))
    return rows


def _items_files(node: IndexNode) -> list[ItemsFile]:
    found: list[ItemsFile] = []
    if node.items_file:
        found.append({"node": node.code, "file": node.items_file, "items": node.items or []})
    for child in node.children or []:
        found.extend(_items_files(child))
    return found


def show_framework(name: str, lang: str = "vi", items: Path | None = None) -> FrameworkView:
    """A framework's identity and its tree as rows (index tree or PAR tree); ``items`` replaces
    the items file of a survey framework that reads one group's items from a file."""
    if name in _service_ids():
        return _show_service_framework(name, lang)
    f = resolve_framework(name, items)
    identity: FrameworkIdentity = {
        "id": f.id,
        "kind": f.kind,
        "version": f.version,
        "years": _years(f.years),
        "title": f.title.get(lang),
        "provisional": f.provisional,
        "sources": f.sources,
    }
    if isinstance(f, SurveyFramework):
        return {
            **identity,
            "rules": f.rules.model_dump(mode="json"),
            "tree": _index_rows(f.satisfaction.index, lang),
            "items": [{"code": i.code, "text": i.text.get(lang)} for i in f.satisfaction.items],
            "items_files": _items_files(f.satisfaction.index),
        }
    tree: list[ParTreeRow] = [
        {
            "level": len(trail),
            "code": node.code,
            "name": node.name.get(lang),
            "max_points": node.max_points,
            "method": node.method.value if node.method else None,
        }
        for trail, node in f.walk()
    ]
    return {
        **identity,
        "total_points": f.total_points,
        "tree": tree,
        "scoring_gaps": scoring_gaps(f),
    }


def validate_framework(path: Path, items: Path | None = None) -> ReportSummary:
    """Every problem of a framework file (YAML or the ministry's .xlsx layout), or of a built-in
    framework named by its id; ``items`` replaces the framework's items file."""
    framework: SurveyFramework | ParFramework | None
    if path.suffix.lower() == ".xlsx":
        framework, report = import_par_xlsx(path)
    elif not path.exists() and str(path) in builtin_ids():
        framework, report = validate_builtin(str(path), items)
    else:
        framework, report = read_framework_file(path, items)
    result = report.to_dict()
    if isinstance(framework, ParFramework):
        result["scoring_gaps"] = scoring_gaps(framework)
    return result


def export_framework(name: str, fmt: Literal["yaml", "xlsx"]) -> bytes:
    framework = resolve_framework(name)
    if fmt == "yaml":
        return dump_framework_yaml(framework).encode("utf-8")
    if fmt == "xlsx":
        return export_par_xlsx(require_par(framework))
    raise SipasError("framework.format", format=fmt)


def import_framework_xlsx(
    path: Path, framework_id: str | None = None
) -> tuple[bytes, ReportSummary]:
    """Read a PAR framework from the ministry's Excel layout; returns YAML text and the report."""
    framework, report = import_par_xlsx(path, framework_id)
    if framework is None:
        return b"", report.to_dict()
    return dump_framework_yaml(framework).encode("utf-8"), report.to_dict()
