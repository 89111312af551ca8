"""Frameworks: list, show, validate, export, import."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

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


def _years(years: list[int]) -> str:
    """2017–2019, or 2022, or an empty string where the framework names no years."""
    if not years:
        return ""
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def list_frameworks(lang: str = "vi") -> list[dict[str, Any]]:
    """Every built-in framework: survey instruments, PAR frameworks and the service index."""
    rows = []
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


def _show_service_framework(code: str, lang: str) -> dict[str, Any]:
    service = _service_framework(code)
    tree: list[dict[str, Any]] = []
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


def _index_rows(node: IndexNode, lang: str, depth: int = 0) -> list[dict[str, Any]]:
    rows = [
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


def _items_files(node: IndexNode) -> list[dict[str, Any]]:
    found = []
    if node.items_file:
        found.append({"node": node.code, "file": node.items_file, "items": node.items or []})
    for child in node.children or []:
        found.extend(_items_files(child))
    return found


def show_framework(name: str, lang: str = "vi", items: Path | None = None) -> dict[str, Any]:
    """A framework's identity and its tree as rows (index tree or PAR tree); ``items`` replaces
    the items file of a survey framework that reads one group's items from a file."""
    if name in _service_ids():
        return _show_service_framework(name, lang)
    f = resolve_framework(name, items)
    out: dict[str, Any] = {
        "id": f.id,
        "kind": f.kind,
        "version": f.version,
        "years": _years(f.years),
        "title": f.title.get(lang),
        "provisional": f.provisional,
        "sources": f.sources,
    }
    if isinstance(f, SurveyFramework):
        out["rules"] = f.rules.model_dump(mode="json")
        out["tree"] = _index_rows(f.satisfaction.index, lang)
        out["items"] = [{"code": i.code, "text": i.text.get(lang)} for i in f.satisfaction.items]
        out["items_files"] = _items_files(f.satisfaction.index)
    else:
        out["total_points"] = f.total_points
        out["tree"] = [
            {
                "level": len(trail),
                "code": node.code,
                "name": node.name.get(lang),
                "max_points": node.max_points,
                "method": node.method.value if node.method else None,
            }
            for trail, node in f.walk()
        ]
        out["scoring_gaps"] = scoring_gaps(f)
    return out


def validate_framework(path: Path, items: Path | None = None) -> dict[str, Any]:
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
) -> tuple[bytes, dict[str, Any]]:
    """Read a PAR framework from the ministry's Excel layout; returns YAML text and the report."""
    framework, report = import_par_xlsx(path, framework_id)
    if framework is None:
        return b"", report.to_dict()
    return dump_framework_yaml(framework).encode("utf-8"), report.to_dict()
