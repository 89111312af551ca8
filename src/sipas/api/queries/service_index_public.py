"""What the public reads of the service-quality index (QĐ 766): stored results, never a computation.

The index is computed and stored by :mod:`sipas.api.service_index` (``sipas service-index
compute``); these views read its result files for the web app: the periods stored, the ranking
of agencies for a period and one agency's or unit's indicators, sub-units, months and
procedures. Every view says whether the dataset is synthetic.

Agencies (provinces) are named on the provinces in force on the last day of the latest stored
period, the geography the dataset's codes stand for; codes that name no province (a ministry)
are shown as they are.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

import pandas as pd

from sipas.api.service_index import (
    ProcedureRow,
    procedure_drill_down,
    read_meta,
    results_root,
    stored_folder,
    stored_periods,
)
from sipas.errors import SipasError
from sipas.geo import provinces_on
from sipas.messages import text
from sipas.service_index import ServiceFramework, load_framework, parse_period

FRAMEWORK = "service-766"
# How results are made (DATASET: the dataset folder, the service_index_data setting).
COMPUTE_COMMAND = "sipas service-index compute --data DATASET --period {year} --each {grain}"
GRAIN_ORDER = {"year": 0, "quarter": 1, "month": 2}


class DatasetInfo(TypedDict):
    """Whether a dossier dataset says it is synthetic, and its note."""

    synthetic: bool
    note: Any


class StoredPeriod(TypedDict):
    """A period with stored results: its key, grain and year."""

    period: str
    grain: str
    year: int


class ServiceGroup(TypedDict):
    """A group of indicators of the service-index framework and its points."""

    code: str
    name: str
    name_en: str
    points: float


class ScoreRow(TypedDict):
    """An agency's or unit's total, rank, change and group points in a period."""

    code: str
    name: str
    name_en: str
    agency: str
    rank: int
    total: float
    change: float | None
    previous_total: float | None
    groups: dict[str, float | None]
    dossiers: int


class ServiceBase(TypedDict):
    """The framework of the service index and whether the dataset is synthetic."""

    framework: str
    framework_name: str
    framework_name_en: str
    groups: list[ServiceGroup]
    total_points: float
    synthetic: bool
    note: Any


class PublishedPeriods(TypedDict):
    """The stored periods and whether the dataset is synthetic."""

    periods: list[StoredPeriod]
    synthetic: bool
    note: Any


class ServiceRanking(ServiceBase):
    """The agencies of a stored period ranked; with nothing stored, how to compute it."""

    periods: list[StoredPeriod]
    rows: list[ScoreRow]
    period: str | None
    compute: list[str]
    grain: NotRequired[str]
    previous: NotRequired[str | None]
    dossiers: NotRequired[int]
    excluded_rows: NotRequired[int]
    computed_at: NotRequired[Any]
    engine: NotRequired[Any]


class IndicatorRow(TypedDict):
    """An indicator of one agency or unit: numerator, denominator, ratio and points."""

    indicator: str
    name: str
    name_en: str
    group: str
    kind: str  # mean | share
    scored: bool
    max_points: float | None
    threshold: Any
    numerator: int
    denominator: int
    ratio: float | None
    points: float | None


class MonthPoint(TypedDict):
    """A unit's total and rank in one stored month."""

    period: str
    total: float | None
    rank: int | None
    dossiers: int


class AgencyRef(TypedDict):
    """The agency a unit belongs to."""

    code: str
    name: str


class UnitDetail(ServiceBase):
    """One agency or unit in a stored period: indicators, sub-units, months, procedures."""

    period: str
    grain: str
    periods: list[StoredPeriod]
    level: str
    unit: ScoreRow
    agency: AgencyRef | None
    indicators: list[IndicatorRow]
    subunits: list[ScoreRow]
    trend: list[MonthPoint]
    procedures: list[ProcedureRow]
    procedure_detail: bool


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


@lru_cache(maxsize=32)
def _frame(path: Path, stamp: int) -> pd.DataFrame:
    """A result file, read once per version of the file (``stamp``: its modification time)."""
    return pd.read_parquet(path)


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / f"{name}.parquet"
    return _frame(path, path.stat().st_mtime_ns)


def dataset_info(data: Path) -> DatasetInfo:
    """Whether the dataset says it is synthetic (``DATASET.json``), and its note; a missing or
    unreadable label says nothing."""
    try:
        info = json.loads((data / "DATASET.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = None
    if not isinstance(info, dict):
        return {"synthetic": False, "note": None}
    return {"synthetic": bool(info.get("synthetic")), "note": info.get("note")}


def results_state(data: Path, framework: str = FRAMEWORK) -> tuple[Any, ...]:
    """The state of the stored results (each period's files and their times): cheap to look up,
    and it changes whenever a period is computed again, so a page rendered for one state can be
    kept until it moves."""
    root = results_root(data, None, framework)
    state: list[Any] = [str(root)]
    for key in stored_periods(root):
        # meta.json is written after the Parquet files: a period half rewritten reads as a
        # state of its own, and the page rendered then is not kept once it is complete
        times = [(root / key / name).stat().st_mtime_ns for name in ("scores.parquet",)]
        meta = root / key / "meta.json"
        times.append(meta.stat().st_mtime_ns if meta.is_file() else 0)
        state.append((key, *times))
    return tuple(state)


def _periods(root: Path) -> list[StoredPeriod]:
    """Stored periods, newest year first; in a year the year, then quarters, then months."""
    stored = sorted(
        (parse_period(key) for key in stored_periods(root)),
        key=lambda p: (-p.start.year, GRAIN_ORDER[p.grain], p.key),
    )
    return [{"period": p.key, "grain": p.grain, "year": p.start.year} for p in stored]


def _names(periods: list[StoredPeriod]) -> dict[str, str]:
    if not periods:
        return {}
    last = max(parse_period(p["period"]).end for p in periods)
    try:
        return {p.code: p.name for p in provinces_on(min(last, date.today()))}
    except SipasError:  # a period before every recorded geography: codes stay codes
        return {}


def _groups(fw: ServiceFramework) -> list[ServiceGroup]:
    return [
        {"code": g.code, "name": g.name_vi, "name_en": g.name_en, "points": g.points}
        for g in fw.groups
    ]


# A unit known only by its code: AGENCY.SO01 (a department) or AGENCY.XA001 (a commune).
_UNIT_CODE = re.compile(r"^\w+\.(SO|XA)(\d+)$")


def unit_name(code: str, names: dict[str, str], lang: str) -> str:
    """What a reader calls a unit: its province's name, "Xã, phường số 14" for a commune known
    only by its code (AGENCY.XA014), "Sở, ngành số 1" for a department (AGENCY.SO01); the code
    itself when nothing else names it."""
    if code in names:
        return names[code]
    found = _UNIT_CODE.match(code)
    if found is None:
        return code
    kind = "department" if found.group(1) == "SO" else "commune"
    return text(f"service_unit.{kind}", lang, number=int(found.group(2)))


def _score_row(record: dict[str, Any], fw: ServiceFramework, names: dict[str, str]) -> ScoreRow:
    code = str(record["unit_code"])
    return {
        "code": code,
        "name": unit_name(code, names, "vi"),
        "name_en": unit_name(code, names, "en"),
        "agency": str(record["agency_code"]),
        "rank": int(record["rank"]),
        "total": float(record["total"]),
        "change": _number(record.get("change")),
        "previous_total": _number(record.get("previous_total")),
        "groups": {g.code: _number(record[g.code]) for g in fw.groups},
        "dossiers": int(record["dossiers"]),
    }


def _base(data: Path, framework: str) -> ServiceBase:
    fw = load_framework(framework)
    return {
        "framework": fw.code,
        "framework_name": fw.name_vi,
        "framework_name_en": fw.name_en,
        "groups": _groups(fw),
        "total_points": fw.total_points,
        **dataset_info(data),
    }


def published(data: Path, framework: str = FRAMEWORK) -> PublishedPeriods:
    """The stored periods and whether the dataset is synthetic (no result file is read)."""
    return {"periods": _periods(results_root(data, None, framework)), **dataset_info(data)}


def _default_period(periods: list[StoredPeriod]) -> str:
    """The latest year stored, else the latest period of any grain."""
    years = [str(p["period"]) for p in periods if p["grain"] == "year"]
    if years:
        return max(years)
    return max((parse_period(str(p["period"])) for p in periods), key=lambda p: p.end).key


def ranking(data: Path, period: str | None = None, framework: str = FRAMEWORK) -> ServiceRanking:
    """Every agency of a stored period: rank, total (of 100), change on the previous period,
    group points, dossiers; with the rows the checks excluded. With nothing stored, says so and
    how to compute it (``periods`` empty, ``rows`` empty)."""
    root = results_root(data, None, framework)
    periods = _periods(root)
    view = cast(
        ServiceRanking,
        {
            **_base(data, framework),
            "periods": periods,
            "rows": [],
            "period": None,
            "compute": [
                COMPUTE_COMMAND.format(year=date.today().year, grain=grain) for grain in GRAIN_ORDER
            ],
        },
    )
    if not periods and period is None:
        return view
    key = parse_period(period).key if period else _default_period(periods)
    folder = stored_folder(root, key)
    fw = load_framework(framework)
    names = _names(periods)
    scores = _read(folder, "scores")
    agencies = scores[scores.level == "agency"].sort_values(["rank", "unit_code"])
    meta = read_meta(folder)
    previous = parse_period(key).previous().key
    view |= {
        "period": key,
        "grain": parse_period(key).grain,
        "previous": previous if any(p["period"] == previous for p in periods) else None,
        "rows": [_score_row(r, fw, names) for r in agencies.to_dict("records")],
        "dossiers": int(meta.get("dossiers", agencies.dossiers.sum())),
        "excluded_rows": int(meta.get("excluded_rows", 0)),
        "computed_at": meta.get("computed_at"),
        "engine": meta.get("engine"),
    }
    return view


def _indicators(folder: Path, level: str, code: str, fw: ServiceFramework) -> list[IndicatorRow]:
    frame = _read(folder, "indicators")
    frame = frame[(frame.level == level) & (frame.unit_code == code)]
    found = {r["indicator"]: r for r in frame.to_dict("records")}
    rows: list[IndicatorRow] = []
    for ind in fw.indicators:
        record = found.get(ind.code)
        if record is None:
            continue
        rows.append(
            {
                "indicator": ind.code,
                "name": ind.name_vi,
                "name_en": ind.name_en,
                "group": ind.group,
                "kind": "mean" if ind.value else "share",
                "scored": ind.scored,
                "max_points": ind.points if ind.scored else None,
                "threshold": ind.threshold,
                "numerator": int(record["numerator"]),
                "denominator": int(record["denominator"]),
                "ratio": _number(record["ratio"]),
                "points": _number(record["points"]),
            }
        )
    return rows


def _trend(
    root: Path, periods: list[StoredPeriod], year: int, level: str, code: str
) -> list[MonthPoint]:
    """The unit's total and rank in each stored month of the year."""
    trend: list[MonthPoint] = []
    for p in sorted(
        (p for p in periods if p["grain"] == "month" and p["year"] == year),
        key=lambda p: p["period"],
    ):
        scores = _read(root / p["period"], "scores")
        mine = scores[(scores.level == level) & (scores.unit_code == code)]
        record = mine.iloc[0] if len(mine) else None
        trend.append(
            {
                "period": p["period"],
                "total": None if record is None else float(record["total"]),
                "rank": None if record is None else int(record["rank"]),
                "dossiers": 0 if record is None else int(record["dossiers"]),
            }
        )
    return trend


def _procedures(folder: Path, level: str, code: str, fw: ServiceFramework) -> list[ProcedureRow]:
    """The drill-down: each procedure's dossiers and the numerator, denominator and ratio of
    every indicator stored by procedure, summed over the unit (or every unit of the agency)."""
    by = "agency_code" if level == "agency" else "unit_code"
    codes = [ind.code for ind in fw.indicators]
    return procedure_drill_down(_read(folder, "procedures"), by, code, codes)


def unit_detail(data: Path, period: str, code: str, framework: str = FRAMEWORK) -> UnitDetail:
    """One agency or unit in a stored period: its total, rank and group points; every
    indicator's numerator, denominator, ratio and points (of its maximum); its sub-units ranked
    (an agency's); its total across the months of the year; the drill-down by procedure."""
    root = results_root(data, None, framework)
    periods = _periods(root)
    folder = stored_folder(root, period)
    key = folder.name
    fw = load_framework(framework)
    names = _names(periods)
    scores = _read(folder, "scores")
    mine = scores[scores.unit_code == code]
    if mine.empty:
        raise SipasError("service_index.unknown_unit", unit=code, period=key)
    record = mine.sort_values("level").iloc[0].to_dict()  # "agency" before "unit"
    level = str(record["level"])
    row = _score_row(record, fw, names)
    subunits: list[ScoreRow] = []
    if level == "agency":
        units = scores[(scores.level == "unit") & (scores.agency_code == code)]
        subunits = [
            _score_row(r, fw, names)
            for r in units.sort_values(["rank", "unit_code"]).to_dict("records")
        ]
    return {
        **_base(data, framework),
        "period": key,
        "grain": parse_period(key).grain,
        "periods": periods,
        "level": level,
        "unit": row,
        "agency": None
        if level == "agency"
        else {"code": row["agency"], "name": names.get(row["agency"], row["agency"])},
        "indicators": _indicators(folder, level, code, fw),
        "subunits": subunits,
        "trend": _trend(root, periods, parse_period(key).start.year, level, code),
        "procedures": _procedures(folder, level, code, fw),
        # False: results computed without the drill-down of the dossier indicators (only the
        # procedure indicators and dossier counts per procedure); results written before the
        # choice existed hold every indicator.
        "procedure_detail": bool(read_meta(folder).get("procedures", True)),
    }


def ranking_table(data: Path, period: str, framework: str = FRAMEWORK) -> list[dict[str, Any]]:
    """The ranking as flat rows, for downloads: one column per group of the framework, so the
    rows stay plain dicts."""
    view = ranking(data, period, framework)
    flat = []
    for r in view["rows"]:
        flat.append(
            {
                "period": view["period"],
                "rank": r["rank"],
                "code": r["code"],
                "name": r["name"],
                "name_en": r["name_en"],
                "total": r["total"],
                "change": r["change"],
                **r["groups"],
                "dossiers": r["dossiers"],
            }
        )
    return flat
