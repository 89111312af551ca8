"""Read framework files: YAML text → typed model plus a report of every problem found.

Problems are positioned by *node path* (the framework id followed by node codes), because that is
how the people who write frameworks think of them; YAML syntax errors are positioned by line and
column. Nothing here raises on bad content: callers get ``(framework or None, report)``.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from sipas.errors import SipasError
from sipas.frameworks.items import Source, read_items
from sipas.frameworks.model import Framework, ParFramework, SurveyFramework
from sipas.frameworks.report import ValidationReport, join_path
from sipas.frameworks.validate import check_framework

_FRAMEWORK_ADAPTER: TypeAdapter[SurveyFramework | ParFramework] = TypeAdapter(Framework)
# Container keys that add nothing to a path a person reads: a PAR node's children are named by code.
_SILENT_KEYS = {"nodes", "children"}
KINDS = ("survey", "par")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", mark)
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def node_path(raw: Any, loc: tuple[int | str, ...], root: str) -> str:
    """Turn a pydantic error location into a path of node codes, e.g. ``par-x › 3 › 3.2 › name``."""
    parts = [root]
    current = raw
    for step in loc:
        if isinstance(step, int) and isinstance(current, list) and step < len(current):
            current = current[step]
            code = current.get("code") if isinstance(current, dict) else None
            parts.append(str(code) if code is not None else f"#{step + 1}")
        elif isinstance(step, str):
            if step not in _SILENT_KEYS:
                parts.append(step)
            current = current.get(step) if isinstance(current, dict) else None
        else:
            parts.append(str(step))
    return join_path(*parts)


def _item_slots(node: Any) -> list[dict[str, Any]]:
    """The index nodes (as mappings) that name an ``items_file``, in tree order."""
    if not isinstance(node, dict):
        return []
    found = [node] if isinstance(node.get("items_file"), str) else []
    for child in node.get("children") or []:
        found.extend(_item_slots(child))
    return found


def _with_file_items(
    raw: dict[str, Any],
    root: str,
    base: Source | None,
    items: Path | None,
    report: ValidationReport,
) -> dict[str, Any]:
    """``raw`` with the items of every ``items_file`` added to its node and to the satisfaction
    items; the files' problems go to ``report``. ``items`` replaces the one file named."""
    satisfaction = raw.get("satisfaction")
    slots = _item_slots(satisfaction.get("index")) if isinstance(satisfaction, dict) else []
    if items is not None and len(slots) != 1:
        raise SipasError("framework.items_override", framework=root, slots=len(slots))
    if not slots:
        return raw
    raw = copy.deepcopy(raw)
    satisfaction = raw["satisfaction"]
    listed = satisfaction.get("items")
    if not isinstance(listed, list):
        return raw  # the schema says what is wrong
    taken = {str(i.get("code")) for i in listed if isinstance(i, dict)}
    for node in _item_slots(satisfaction.get("index")):
        name = node["items_file"]
        where: Source
        if items is not None:
            where, shown = items, str(items)
            node["items_file"] = str(items)
        elif base is not None:
            where = base.joinpath(name)
            shown = str(where) if isinstance(base, Path) else name
        else:
            where, shown = Path(name), name
        found, problems = read_items(where, shown, taken)
        code = str(node.get("code"))
        for problem in problems:
            problem = replace(problem, node=code)
            report.items_problems.append(problem)
            report.add(
                join_path(root, "index", code, *problem.where()),
                problem.key.replace("framework_items.", "items."),
                str(problem.phrase),
            )
        codes = [item["code"] for item in found]
        taken.update(codes)
        node["items"] = [*(node.get("items") or []), *codes]
        listed.extend(found)
    return raw


def parse_framework(
    raw: Any, source: str, base: Source | None = None, items: Path | None = None
) -> tuple[SurveyFramework | ParFramework | None, ValidationReport]:
    """Validate already-parsed YAML data. Returns the framework only when it has no errors.

    ``base`` is the folder an ``items_file`` is read from (the framework file's); ``items``
    replaces the file named by the framework's one ``items_file``."""
    report = ValidationReport(source)
    root: str = source
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        root = raw["id"]
    if not isinstance(raw, dict):
        report.add(
            root, "schema.not_mapping", "a framework file must be a YAML mapping (key: value)"
        )
        return None, report
    if raw.get("kind") not in KINDS:
        report.add(
            root,
            "schema.kind",
            f"kind must be one of {', '.join(KINDS)}, not {raw.get('kind')!r}",
        )
        return None, report
    raw = _with_file_items(raw, root, base, items, report)
    if not report.valid:
        return None, report
    try:
        framework = _FRAMEWORK_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            # The discriminated union adds the kind as the first location step.
            if loc and loc[0] in KINDS:
                loc = loc[1:]
            report.add(node_path(raw, loc, root), f"schema.{error['type']}", error["msg"])
        return None, report
    check_framework(framework, report)
    return (framework if report.valid else None), report


def parse_framework_text(
    text: str, source: str, base: Source | None = None, items: Path | None = None
) -> tuple[SurveyFramework | ParFramework | None, ValidationReport]:
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        report = ValidationReport(source)
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        rule = "yaml.duplicate_key" if "duplicate key" in str(exc.problem) else "yaml.syntax"
        report.add(where, rule, f"{exc.problem or exc.context}")
        return None, report
    except yaml.YAMLError as exc:
        report = ValidationReport(source)
        report.add(source, "yaml.syntax", str(exc))
        return None, report
    return parse_framework(raw, source, base, items)


def read_framework_file(
    path: Path, items: Path | None = None
) -> tuple[SurveyFramework | ParFramework | None, ValidationReport]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SipasError("framework.file_missing", path=path) from None
    except UnicodeDecodeError as exc:
        raise SipasError("framework.encoding", path=path, byte=exc.start) from None
    except IsADirectoryError:
        raise SipasError("framework.is_folder", path=path) from None
    return parse_framework_text(text, str(path), path.parent, items)


def _without_items_files(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("items_file", None)
        for child in node.get("children") or []:
            _without_items_files(child)


def dump_framework_yaml(framework: SurveyFramework | ParFramework) -> str:
    """The framework as one self-contained YAML file: items read from an items file are
    written inline, and the ``items_file`` keys left out."""
    data = framework.model_dump(mode="json", exclude_defaults=True)
    if isinstance(data.get("satisfaction"), dict):
        _without_items_files(data["satisfaction"].get("index"))
    data = {"id": data.pop("id"), "kind": framework.kind, **data}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
