"""Indicator frameworks as data: groups, indicators, conditions, scoring curves.

An indicator's numerator and denominator are lists of conditions (all must hold) over the columns
of its scope's table and the facts :mod:`sipas.service_index.facts` derives. Conditions are parsed
once, when the framework is read, and evaluate on an Ibis table or a pandas frame alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.service_index.model import CATALOGUE_COLUMNS, COMPLAINT_COLUMNS, DOSSIER_COLUMNS

SCOPES = ("dossier", "procedure", "complaint")
WHEN_EMPTY = ("zero", "full", "none")
FACTS: dict[str, tuple[str, ...]] = {
    "dossier": (
        "counted",
        "judged",
        "finished",
        "on_time",
        "complaint",
        "processing_days",
        "full_online_eligible",
    ),
    "procedure": (
        "in_force",
        "published",
        "published_on_time",
        "amended_in_period",
        "amendment_published_on_time",
        "received_online",
        "paid_online_any",
        "dossiers",
        "online_dossiers",
        "paid_online_dossiers",
    ),
    "complaint": ("judged", "handled", "on_time"),
}
SCOPE_COLUMNS = {
    "dossier": tuple(DOSSIER_COLUMNS),
    "procedure": tuple(CATALOGUE_COLUMNS),
    "complaint": tuple(COMPLAINT_COLUMNS),
}
_COMPARE = re.compile(r"^([a-z_][a-z0-9_]*)\s*(==|!=|>=|<=|>|<|in)\s*(.+)$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Condition:
    """``name`` (true), ``not name``, or ``name op value`` where value may name another column."""

    text: str
    name: str
    op: str = "is"  # is | not | == | != | >= | <= | > | < | in
    value: Any = None
    value_is_column: bool = False

    def names(self) -> list[str]:
        return [self.name, self.value] if self.value_is_column else [self.name]

    def evaluate(self, table: Any) -> Any:
        """A boolean column of ``table`` (Ibis table or pandas frame)."""
        left = table[self.name]
        if self.op == "is":
            return left
        if self.op == "not":
            return ~left
        right = table[self.value] if self.value_is_column else self.value
        if self.op == "in":
            return left.isin(right)
        return {
            "==": lambda: left == right,
            "!=": lambda: left != right,
            ">=": lambda: left >= right,
            "<=": lambda: left <= right,
            ">": lambda: left > right,
            "<": lambda: left < right,
        }[self.op]()


def _literal(text: str) -> tuple[Any, bool]:
    text = text.strip()
    if text in {"true", "false"}:
        return text == "true", False
    if text.startswith("[") and text.endswith("]"):
        return [_literal(part)[0] for part in text[1:-1].split(",") if part.strip()], False
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1], False
    if _NAME.match(text):
        return text, True
    try:
        return (float(text) if "." in text else int(text)), False
    except ValueError:
        raise ValueError(f"cannot read the value {text!r}") from None


def parse_condition(text: str) -> Condition:
    text = str(text).strip()
    if _NAME.match(text):
        return Condition(text, text)
    if text.startswith("not ") and _NAME.match(text[4:].strip()):
        return Condition(text, text[4:].strip(), "not")
    match = _COMPARE.match(text)
    if not match:
        raise ValueError(f"cannot read the condition {text!r}")
    value, is_column = _literal(match.group(3))
    if match.group(2) == "in" and not isinstance(value, list):
        raise ValueError(f"`in` needs a [list] in {text!r}")
    return Condition(text, match.group(1), match.group(2), value, is_column)


def all_of(conditions: tuple[Condition, ...], table: Any) -> Any:
    result = None
    for condition in conditions:
        column = condition.evaluate(table)
        result = column if result is None else result & column
    if result is None:
        raise ValueError("an empty list of conditions")
    return result


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    group: str
    scope: str
    points: float
    numerator: tuple[Condition, ...]
    denominator: tuple[Condition, ...]
    threshold: float | None = None  # full points at ratio ≥ threshold
    when_empty: str = "zero"
    scored: bool = True
    value: str | None = None  # a mean of this value over the denominator instead of a share
    provisional: bool = False

    def score(self, ratio: float | None) -> float | None:
        """Points for a ratio: max × ratio (÷ threshold), capped at max; the empty rule if None."""
        if not self.scored:
            return None
        if ratio is None:
            return {"zero": 0.0, "full": float(self.points), "none": None}[self.when_empty]
        scale = self.threshold or 1.0
        return float(min(self.points, self.points * ratio / scale))


@dataclass(frozen=True)
class Group:
    code: str
    name_vi: str
    name_en: str
    points: float
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class ServiceFramework:
    code: str
    name_vi: str
    name_en: str
    version: str
    total_points: float
    groups: tuple[Group, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for g in self.groups for i in g.indicators)

    def in_scope(self, scope: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.scope == scope)

    def parameter(self, name: str) -> Any:
        value = self.parameters.get(name)
        return value.get("value") if isinstance(value, dict) else value


def _bad(source: str, path: str, problem: Phrase) -> SipasError:
    return SipasError("service_index.bad_framework", source=source, path=path, problem=problem)


def _conditions(raw: Any, scope: str, where: str, source: str) -> tuple[Condition, ...]:
    if not isinstance(raw, list) or not raw:
        raise _bad(source, where, Phrase("si_framework.conditions"))
    known = set(SCOPE_COLUMNS[scope]) | set(FACTS[scope])
    out = []
    for i, text in enumerate(raw):
        try:
            condition = parse_condition(text)
        except ValueError as exc:
            raise _bad(
                source, f"{where}[{i}]", Phrase("si_framework.condition", error=str(exc))
            ) from None
        for name in condition.names():
            if name not in known:
                raise _bad(
                    source,
                    f"{where}[{i}]",
                    Phrase("si_framework.unknown_name", name=name, scope=scope),
                )
        out.append(condition)
    return tuple(out)


def _name(raw: Any, where: str, source: str) -> tuple[str, str]:
    """The Vietnamese and English names; anything else is refused. An unquoted comma in YAML's
    ``{vi: A, B, en: C}`` makes ``B`` a key of its own and cuts the name: this catches it."""
    if not isinstance(raw, dict) or set(raw) != {"vi", "en"}:
        found = sorted(map(str, raw)) if isinstance(raw, dict) else type(raw).__name__
        raise _bad(source, f"{where}.name", Phrase("si_framework.name_pair", found=found))
    vi, en = raw["vi"], raw["en"]
    if not isinstance(vi, str) or not isinstance(en, str) or not vi.strip() or not en.strip():
        raise _bad(source, f"{where}.name", Phrase("si_framework.name_empty"))
    return vi, en


def _indicator(raw: dict[str, Any], group: str, where: str, source: str) -> Indicator:
    scope = raw.get("scope")
    if scope not in SCOPES:
        raise _bad(source, f"{where}.scope", Phrase("si_framework.one_of", choices=list(SCOPES)))
    when_empty = raw.get("when_empty", "zero")
    if when_empty not in WHEN_EMPTY:
        raise _bad(
            source, f"{where}.when_empty", Phrase("si_framework.one_of", choices=list(WHEN_EMPTY))
        )
    value = raw.get("value")
    if value is not None and value not in FACTS[scope]:
        raise _bad(
            source, f"{where}.value", Phrase("si_framework.no_fact", value=value, scope=scope)
        )
    curve = raw.get("curve", "linear")
    threshold = curve.get("threshold") if isinstance(curve, dict) else None
    if threshold is not None and not 0 < float(threshold) <= 1:
        raise _bad(source, f"{where}.curve.threshold", Phrase("si_framework.threshold"))
    denominator = _conditions(raw.get("denominator"), scope, f"{where}.denominator", source)
    numerator = (
        denominator
        if value is not None
        else _conditions(raw.get("numerator"), scope, f"{where}.numerator", source)
    )
    name_vi, name_en = _name(raw.get("name"), where, source)
    return Indicator(
        code=str(raw.get("code")),
        name_vi=name_vi,
        name_en=name_en,
        group=group,
        scope=scope,
        points=float(raw.get("points", 0)),
        numerator=numerator,
        denominator=denominator,
        threshold=float(threshold) if threshold is not None else None,
        when_empty=when_empty,
        scored=bool(raw.get("scored", True)),
        value=value,
        provisional=bool(raw.get("provisional", False)),
    )


def parse_framework(data: Any, source: str) -> ServiceFramework:
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise _bad(source, "groups", Phrase("si_framework.no_groups"))
    groups, codes = [], set()
    for gi, graw in enumerate(data["groups"]):
        where = f"groups[{gi}]"
        indicators = []
        for ii, iraw in enumerate(graw.get("indicators") or []):
            indicator = _indicator(iraw, str(graw.get("code")), f"{where}.indicators[{ii}]", source)
            if indicator.code in codes:
                raise _bad(
                    source,
                    f"{where}.indicators[{ii}]",
                    Phrase("si_framework.code_repeats", code=indicator.code),
                )
            codes.add(indicator.code)
            indicators.append(indicator)
        points = float(graw.get("points", 0))
        scored = sum(i.points for i in indicators if i.scored)
        if abs(scored - points) > 1e-9:
            raise _bad(
                source,
                where,
                Phrase("si_framework.group_points", scored=scored, points=points),
            )
        groups.append(
            Group(
                str(graw.get("code")),
                *_name(graw.get("name"), where, source),
                points,
                tuple(indicators),
            )
        )
    total = float(data.get("total_points", sum(g.points for g in groups)))
    if abs(sum(g.points for g in groups) - total) > 1e-9:
        raise _bad(
            source,
            "groups",
            Phrase("si_framework.total_points", groups=sum(g.points for g in groups), total=total),
        )
    name_vi, name_en = _name(data.get("name"), "framework", source)
    return ServiceFramework(
        code=str(data.get("code")),
        name_vi=name_vi,
        name_en=name_en,
        version=str(data.get("version", "")),
        total_points=total,
        groups=tuple(groups),
        parameters=dict(data.get("parameters") or {}),
        sources=dict(data.get("sources") or {}),
    )


BUILTIN = "service-766"  # the default: the portal's published points


def builtin_ids() -> list[str]:
    """The built-in service-index frameworks (``service-766`` and its reconstructions)."""
    folder = resources.files("sipas.service_index").joinpath("data")
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


@cache
def builtin_framework(code: str = BUILTIN) -> ServiceFramework:
    if code not in builtin_ids():
        raise SipasError("service_index.unknown_framework", name=code, builtin=builtin_ids())
    text = resources.files("sipas.service_index").joinpath("data", f"{code}.yaml")
    return parse_framework(yaml.safe_load(text.read_text(encoding="utf-8")), f"{code} (built-in)")


def load_framework(name_or_path: str | Path = BUILTIN) -> ServiceFramework:
    if str(name_or_path) in builtin_ids():
        return builtin_framework(str(name_or_path))
    path = Path(name_or_path)
    if not path.is_file():
        raise SipasError("service_index.framework_not_found", path=path, builtin=builtin_ids())
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SipasError("service_index.framework_syntax", path=path, error=str(exc)) from None
    return parse_framework(data, str(path))
