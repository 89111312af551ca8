"""A province's service time across three indices, year by year: what citizens say of the time
their application took (the SIPAS items on processing time), how many dossiers the province
actually settled on time (the service index's on-time indicator, QĐ 766), and how the PAR INDEX
scored its administrative-procedure reform (the PAR area "Cải cách thủ tục hành chính").

Read-only, from what is stored: saved runs of stored surveys, the service index's result files,
final PAR campaigns. A series stays on one geography (the run's: 63 provinces until 2025-06-30,
34 from 2025-07-01): a figure of another geography, whose code may name another territory, is
left out and counted, never joined on the code alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sipas.api import estimation
from sipas.api.par.campaigns import open_campaign
from sipas.api.queries import public
from sipas.errors import SipasError
from sipas.frameworks import require_survey, resolve_framework
from sipas.geo import LAST_DAY_OF_63, geography_on, provinces_on
from sipas.store import Database
from sipas.text import fold_words

# The satisfaction items that ask about processing time, by framework and item code (their
# wording: gen2 Q9_22 "Thời gian giải quyết hồ sơ đúng như quy định", Q9_28 "Kết quả được trả
# đúng ngày hẹn"; gen1 C09 "Thời hạn giải quyết đúng như quy định"). tests/test_web_analysis.py
# checks each against the framework's own text.
SERVICE_TIME_ITEMS: dict[str, tuple[str, ...]] = {
    "sipas-gen2": ("Q9_22", "Q9_28"),
    "sipas-gen1": ("C09",),
}
ON_TIME_INDICATOR = "P1"  # service-766: dossiers settled on time or early, of those judged
PAR_AREA_WORDS = ("thu", "tuc", "hanh", "chinh")  # the area named "Cải cách thủ tục hành chính"


@dataclass(frozen=True)
class Point:
    year: int
    value: float | None  # percent
    low: float | None = None  # 95% interval, where the figure is an estimate
    high: float | None = None
    source: str = ""  # the run, the period or the campaign it comes from
    derived: bool = False  # re-aggregated to the 34 provinces from the survey's microdata
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Series:
    key: str  # sipas:ITEM | service_index:P1 | par:AREA
    index: str  # sipas | service_index | par
    name: dict[str, str]  # vi, en
    points: list[Point]


@dataclass(frozen=True)
class CrossIndex:
    run: str
    province: str
    name: str
    geography: str
    synthetic: bool
    years: list[int]
    series: list[Series]
    left_out: dict[str, int]  # figures of another geography, by index
    rules: dict[str, str]


def _area_code(framework: Any) -> tuple[str, dict[str, str]] | None:
    """The PAR area on administrative procedures, found by its name."""
    for node in framework.scored_nodes():
        words = fold_words(node.name.vi)
        if all(w in words for w in PAR_AREA_WORDS):
            return node.code, {"vi": node.name.vi, "en": node.name.en}
    return None


def _sipas(db: Database, geography: str, province: str) -> tuple[list[Series], bool]:
    found: dict[str, Series] = {}
    synthetic = False
    for run in public.cached(db, "sipas_runs"):
        if run["geography"] != geography:
            continue
        items = SERVICE_TIME_ITEMS.get(str(run["framework"]), ())
        if not items:
            continue
        framework = require_survey(resolve_framework(str(run["framework"])))
        texts = {i.code: i.text for i in framework.satisfaction.items}
        rows = estimation.load_run(db, run["code"], level="item")["rows"]
        for row in rows:
            if row["cell"] != province or row["indicator"] not in items:
                continue
            synthetic = synthetic or bool(run["synthetic"])
            code = str(row["indicator"])
            wording = texts[code]
            series = found.setdefault(
                code,
                Series(
                    key=f"sipas:{code}",
                    index="sipas",
                    name={"vi": wording.vi, "en": wording.en},  # a reader's words, no code
                    points=[],
                ),
            )
            series.points.append(
                Point(
                    year=int(run["year"]),
                    value=row["estimate"],
                    low=row["ci_low"],
                    high=row["ci_high"],
                    source=str(run["code"]),
                    derived=bool(run["derived"]),
                    detail={"n": row["n"], "unstable": bool(row["unstable"])},
                )
            )
    for series in found.values():  # a year's own run before a re-aggregated one
        series.points.sort(key=lambda p: (p.year, p.derived))
        kept: dict[int, Point] = {}
        for p in series.points:
            kept.setdefault(p.year, p)
        series.points[:] = list(kept.values())
    return list(found.values()), synthetic


def _service_index(data: Path, geography: str, province: str) -> tuple[list[Series], int, bool]:
    from sipas.api.queries import service_index_public as service
    from sipas.service_index import load_framework, parse_period

    stored = service.published(data)
    years = [p for p in stored["periods"] if p["grain"] == "year"]
    if not years:
        return [], 0, False
    last = max(parse_period(str(p["period"])).end for p in stored["periods"])
    if geography_on(min(last, date.today())) != geography:
        return [], len(years), False
    indicator = next(i for i in load_framework(service.FRAMEWORK).indicators
                     if i.code == ON_TIME_INDICATOR)  # fmt: skip
    points = []
    for p in sorted(years, key=lambda p: str(p["period"])):
        try:
            detail = service.unit_detail(data, str(p["period"]), province)
        except SipasError:
            continue  # no dossier of the province that year
        mine = next((i for i in detail["indicators"] if i["indicator"] == ON_TIME_INDICATOR), None)
        if mine is None:
            continue
        ratio = mine["ratio"]
        points.append(
            Point(
                year=int(p["year"]),
                value=None if ratio is None else 100.0 * ratio,
                source=str(p["period"]),
                detail={"numerator": mine["numerator"], "denominator": mine["denominator"]},
            )
        )
    if not points:
        return [], 0, bool(stored["synthetic"])
    name = {"vi": indicator.name_vi, "en": indicator.name_en}
    series = Series(f"service_index:{ON_TIME_INDICATOR}", "service_index", name, points)
    return [series], 0, bool(stored["synthetic"])


def _par(db: Database, geography: str, province: str) -> tuple[list[Series], int, bool]:
    from sipas.api import par as par_api

    points: list[Point] = []
    name: dict[str, str] | None = None
    left_out = 0
    synthetic = False
    for campaign in public.cached(db, "par_campaigns"):
        year = int(campaign["year"])
        if geography_on(date(year, 12, 31)) != geography:
            left_out += 1
            continue
        with db.engine.connect() as connection:
            framework = open_campaign(connection, campaign["code"]).framework
        area = _area_code(framework)
        if area is None:
            continue
        shown = par_api.results(db, campaign["code"], unit=province)
        if not shown["units"]:
            continue
        value = shown["units"][0].get(f"area_{area[0]}")
        name = name or area[1]
        synthetic = synthetic or bool(shown["synthetic"])
        points.append(
            Point(
                year=year,
                value=value,
                source=str(campaign["code"]),
                detail={"area": area[0], "par_index": shown["units"][0]["index"]},
            )
        )
    if not points or name is None:
        return [], left_out, synthetic
    points.sort(key=lambda p: p.year)
    return [Series("par:procedures", "par", name, points)], left_out, synthetic


def cross_index(db: Database, service_data: Path, run_code: str, province: str) -> CrossIndex:
    """The province of a public run (its code) on the three indices, every year stored on the
    run's geography."""
    runs = {r["code"]: r for r in public.cached(db, "sipas_runs")}
    if run_code not in runs:
        raise SipasError("public.unknown_run", run=run_code)
    run = runs[run_code]
    geography = str(run["geography"])
    day = LAST_DAY_OF_63 if geography == "63" else date.today()
    provinces = {p.code: p for p in provinces_on(day)}
    if province not in provinces:
        raise SipasError("public.unknown_province", province=province, geography=geography)
    sipas, synthetic_survey = _sipas(db, geography, province)
    service, service_out, synthetic_service = _service_index(service_data, geography, province)
    par, par_out, synthetic_par = _par(db, geography, province)
    series = [*sipas, *service, *par]
    years = sorted({p.year for s in series for p in s.points})
    return CrossIndex(
        run=run_code,
        province=province,
        name=provinces[province].name,
        geography=geography,
        synthetic=synthetic_survey or synthetic_service or synthetic_par,
        years=years,
        series=series,
        left_out={"service_index": service_out, "par": par_out},
        rules={
            "sipas": "share of respondents satisfied (top-2-box) with each item on processing "
            "time, with its 95% interval; a year's own run before one re-aggregated to the 34",
            "service_index": "dossiers settled on time or early, of those judged (QĐ 766 "
            "indicator P1), from the stored yearly results",
            "par": "the PAR area on administrative-procedure reform as a percentage of its "
            "maximum, from final campaigns",
            "geography": "every figure on the run's geography; figures of the other one are "
            "left out (counted in left_out), not joined on a reused code",
        },
    )
