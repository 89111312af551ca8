"""Report documents: the plain data each report shows, built from a year's context
(:mod:`sipas.api.queries.report_data`) or from a PAR campaign. Nothing here computes a statistic: values
are the api's, arranged for reading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any, TypedDict

import pandas as pd

from sipas.api.par import history, results, unit_scores
from sipas.api.par.campaigns import SYSTEM, Actor, open_campaign
from sipas.api.queries.priorities import PriorityInputs, priorities_for, priority_inputs
from sipas.api.queries.published import beside_row
from sipas.api.queries.report_data import (
    INDEX,
    POOLED,
    YearContext,
)
from sipas.api.queries.sensitivity import Choices, outcome_sensitivity
from sipas.errors import SipasError
from sipas.frameworks import require_survey, resolve_framework
from sipas.messages import text as say
from sipas.reports import methodology
from sipas.reports.format import label, text
from sipas.store import Database
from sipas.survey import MEAN_OF_UNITS, NATIONAL

SHOWN = 10  # strengths (and weaknesses) listed in a report's body; the rest in an annex
SENSITIVITY_DRAWS = 200  # Monte Carlo draws of the method sensitivity in the national report

# --- what the documents hold ------------------------------------------------------------------


class CellEstimate(TypedDict):
    """An estimate with its standard error, 95 % interval, respondents, design effect, whether it
    is unstable, and (for a province) its rank and rank interval."""

    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    n: int | None
    deff: float | None
    unstable: bool
    rank: int | None
    rank_low: int | None
    rank_high: int | None


class ProvinceRow(CellEstimate):
    """A province's index in the year's ranking, with every indicator's value and its verdict
    against the national mean ("above", "not different", "below"; None without a diagnosis)."""

    code: str
    name: str
    region: str
    policy: float | None
    service: float | None
    values: dict[str, float | None]  # indicator → value
    group: str | None


class ProvinceHeading(ProvinceRow):
    """The province a report is about, with its full name ("Tỉnh …", "Thành phố …")."""

    full_name: str


class RegionRow(TypedDict):
    """A region's provinces: how many, their unweighted mean index and the best of them."""

    name: str
    count: int
    mean: float
    best_name: str
    best: float
    best_row: ProvinceRow


class TrendPoint(CellEstimate):
    """A year of a province's (or the national) index, beside the national mean of that year."""

    year: int | None
    run: str
    derived: bool
    national: float | None


class ChangeSummary(TypedDict):
    """The change on the previous year: the national row and the provinces' rows (the change
    view's own columns, with the province's name), largest rise first."""

    before: str
    after: str
    derived: bool
    notes: list[str]
    national: dict[str, Any] | None
    rows: list[dict[str, Any]]


class DocumentBase(TypedDict):
    """What every SIPAS report states: its kind, language, year, run, geography, date, whether
    synthetic or derived, the national values, the methodology, the glossary and notes."""

    kind: str  # "national" | "province"
    lang: str
    year: int | None
    run: str
    geography: str | None
    prepared: date
    synthetic: bool
    derived: bool
    national: CellEstimate | None  # the mean of the provinces
    pooled: CellEstimate | None  # every respondent together
    methodology: list[dict[str, str]]
    glossary: list[dict[str, str]]
    notes: list[str]


class IndicatorName(TypedDict):
    """An indicator and its name in the report's language."""

    code: str
    name: str


class ElementSummary(TypedDict):
    """A component nationally: its mean, the best province, and how many provinces the
    diagnosis finds above and below the mean ("–" without a diagnosis)."""

    code: str
    name: str
    national: float | None
    best: float | None
    best_name: str
    above: int | str
    below: int | str


class GroupMembers(TypedDict):
    """The provinces the diagnosis puts in one group against the national mean."""

    key: str  # "above" | "not different" | "below"
    names: list[str]


class UnitSensitivity(TypedDict):
    """A province's rank range over method choices beside its sampling rank interval."""

    code: str
    name: str
    rank: int
    method_low: float
    method_high: float
    sampling_low: int | None
    sampling_high: int | None
    method_share: float | None


class SensitivityFactor(TypedDict):
    """A method choice and its first-order share of the ranks' variation."""

    key: str
    name: str
    value: float


class Sensitivity(TypedDict):
    """The method sensitivity of the ranks: seeded draws, every province's ranges, the median
    widths of the method and sampling ranges, and what each method choice contributes."""

    draws: int
    seed: int
    units: list[UnitSensitivity]
    median_method: float | None
    median_sampling: float | None
    wider_method: int  # provinces whose method range is wider than their sampling interval
    factors: list[SensitivityFactor]
    legend: list[str]


class NationalDocument(DocumentBase):
    """Everything the national report shows, as plain data. ``par``: the PAR results beside
    (their unit rows carry one ``area_<code>`` column per area); ``tidy``: the run's estimates
    as stored, one row per partition, cell and indicator."""

    heading: str
    sensitivity: Sensitivity | None
    sensitivity_state: str  # "skipped" | "none" | "done"
    provinces: list[ProvinceRow]
    respondents: int
    groups: list[GroupMembers]
    regions: list[RegionRow]
    elements: list[ElementSummary]
    indicators: list[IndicatorName]
    national_values: dict[str, float | None]
    change: ChangeSummary | None
    trend: list[TrendPoint]
    par: dict[str, Any] | None
    published: dict[str, Any] | None
    tidy: list[dict[str, Any]]


class ElementRow(TypedDict):
    """A province's component (or item): its interval, the national mean, the diagnosis's
    difference and verdicts, and the best province's value."""

    code: str
    name: str
    level: str | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    national: float | None
    diff_national: float | None
    se_diff_national: float | None
    vs_national: str | None
    vs_best: str | None
    best: float | None
    best_name: str


class AnnexRow(ElementRow):
    """A strength or weakness listed in the annex."""

    kind: str  # "strength" | "weakness"


class PriorityComponent(TypedDict):
    """A component on the importance–performance chart, and its quadrant."""

    code: str
    name: str
    performance: float
    low: float
    high: float
    importance: float | None
    importance_se: float | None
    quadrant: str
    quadrant_name: str


class PriorityItem(TypedDict):
    """An item to improve first, with its component and its interval."""

    code: str
    name: str
    component: str
    estimate: float
    ci_low: float
    ci_high: float


class Priorities(TypedDict):
    """A province's importance–performance quadrant and its items to improve first."""

    components: list[PriorityComponent]
    medians: list[float]  # importance, performance
    items: list[PriorityItem]
    provisional_links: bool
    links_note: str
    axis: list[str]
    first_label: str


class ProvinceDocument(DocumentBase):
    """Everything a province's report shows, as plain data (``par``, ``change`` and ``tidy``
    as in :class:`NationalDocument`, for the province)."""

    province: ProvinceHeading
    heading: str
    units: int
    provinces: list[ProvinceRow]
    best: ProvinceRow
    best_in_region: ProvinceRow
    region_mean: float | None
    elements: list[ElementRow]
    items: list[ElementRow]
    diagnosis: bool
    strengths: list[ElementRow]
    weaknesses: list[ElementRow]
    shown: int
    sw_annex: list[AnnexRow]
    priority: Priorities | None
    priority_note: str | None
    trend: list[TrendPoint]
    change: dict[str, Any] | None
    par: dict[str, Any] | None
    published: dict[str, Any] | None
    tidy: list[dict[str, Any]]


class AppraisalRow(TypedDict):
    """A node of the framework for one unit: its self-score, appraisals, final points and the
    reason for a change; an area adds its index."""

    node: str
    name: str
    depth: int
    max: float | None
    self: float | None
    appraisal1: float | None
    appraisal2: float | None
    final: float | None
    reason: str | None
    index: float | None


class AppraisalChange(TypedDict):
    """An audited score change as the appraisal report lists it."""

    at: str  # "YYYY-MM-DD HH:MM"
    actor: str
    action: str
    leaf: str
    before: float | None
    after: float | None
    reason: str | None
    note: str | None
    stage: str
    leaf_name: str


class AppraisalDocument(TypedDict):
    """Everything a unit's appraisal report shows: per area and criterion the scores of each
    stage and the reasons for changes, the unit's result and the audit trail."""

    kind: str  # "appraisal"
    lang: str
    year: int
    campaign: str
    framework: str
    index_name: str
    name: str
    unit: str
    units: int
    unit_result: dict[str, Any] | None  # the unit's row of the campaign's results
    prepared: date
    synthetic: bool
    derived: bool
    run: None
    rows: list[AppraisalRow]
    history: list[AppraisalChange]


# --- documents -------------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return float(value)


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else round(number)


def _cell(row: pd.Series | dict[str, Any]) -> CellEstimate:
    return {
        "estimate": _num(row["estimate"]),
        "se": _num(row["se"]),
        "ci_low": _num(row["ci_low"]),
        "ci_high": _num(row["ci_high"]),
        "n": _int(row["n"]),
        "deff": _num(row["deff"]),
        "unstable": bool(row["unstable"]),
        "rank": _int(row.get("rank")),
        "rank_low": _int(row.get("rank_low")),
        "rank_high": _int(row.get("rank_high")),
    }


def full_name(ctx: YearContext, code: str) -> str:
    """A province's full name as a title writes it: "Tỉnh Thái Nguyên", "Thành phố Hà Nội"."""
    place = ctx.provinces.get(code)
    if place is None:
        return code
    return label(f"kind.{place.kind_on(ctx.day)}", ctx.lang, name=place.name)


def province_rows(ctx: YearContext) -> list[ProvinceRow]:
    """Every province's index of the year, best first (computed once per year's context)."""
    if "provinces" not in ctx.cache:
        ctx.cache["provinces"] = _build_province_rows(ctx)
    rows: list[ProvinceRow] = ctx.cache["provinces"]
    return rows


def _build_province_rows(ctx: YearContext) -> list[ProvinceRow]:
    table = ctx.table[ctx.table["partition"] == "province"]
    wide = table.pivot(index="cell", columns="indicator", values="estimate").astype(float)
    index_rows = table[table["indicator"] == INDEX].set_index("cell")
    rows: list[ProvinceRow] = []
    for code, row in index_rows.iterrows():
        place = ctx.provinces.get(str(code))
        values = {k: _num(v) for k, v in wide.loc[code].items()}
        rows.append(
            {
                "code": str(code),
                "name": place.name if place else str(code),
                "region": place.region if place else "",
                **_cell(row),
                "policy": values.get("policy"),
                "service": values.get("service"),
                "values": values,
                "group": ctx.groups.get(str(code)),
            }
        )
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, -(r["estimate"] or 0)))
    return rows


def _national(ctx: YearContext, cell: str = MEAN_OF_UNITS) -> CellEstimate | None:
    table = ctx.table
    found = table[
        (table["partition"] == NATIONAL) & (table["cell"] == cell) & (table["indicator"] == INDEX)
    ]
    return _cell(found.iloc[0]) if len(found) else None


def _national_values(ctx: YearContext) -> dict[str, float | None]:
    table = ctx.table
    found = table[(table["partition"] == NATIONAL) & (table["cell"] == MEAN_OF_UNITS)]
    return {str(r["indicator"]): _num(r["estimate"]) for _, r in found.iterrows()}


def _tidy(ctx: YearContext, cells: set[str] | None = None) -> list[dict[str, Any]]:
    rows = []
    for record in ctx.table.to_dict(orient="records"):
        if cells is not None and record["partition"] == "province" and record["cell"] not in cells:
            continue
        place = (
            ctx.provinces.get(str(record["cell"])) if record["partition"] == "province" else None
        )
        rows.append(
            {
                **record,
                "partition": ctx.run["unit"]
                if record["partition"] == "province"
                else record["partition"],
                "year": ctx.run["year"],
                "run": ctx.run["code"],
                "geography": ctx.run["geography"],
                "name": place.name if place else None,
                "region": place.region if place else None,
                "indicator_name": text(
                    ctx.names.get(record["indicator"], record["indicator"]), ctx.lang
                ),
                "rank": _int(record.get("rank")),
                "rank_low": _int(record.get("rank_low")),
                "rank_high": _int(record.get("rank_high")),
                "n": _int(record.get("n")),
                "unstable": bool(record["unstable"]),
            }
        )
    return rows


def _methodology(ctx: YearContext) -> list[dict[str, str]]:
    framework = require_survey(resolve_framework(ctx.run["framework"]))
    rules = framework.rules
    return methodology.statements(
        ctx.lang, rules.model_dump(mode="json"), ctx.run["options"], dict(rules.assumptions)
    )


def _regions(provinces: list[ProvinceRow]) -> list[RegionRow]:
    by_region: dict[str, list[ProvinceRow]] = {}
    for p in provinces:
        if p["estimate"] is not None:
            by_region.setdefault(p["region"], []).append(p)
    found: list[RegionRow] = []
    for name, members in by_region.items():
        # every member has an estimate (the `or 0.0` only tells the type checker so)
        best = max(members, key=lambda p: p["estimate"] or 0.0)
        found.append(
            {
                "name": name,
                "count": len(members),
                "mean": sum(p["estimate"] or 0.0 for p in members) / len(members),
                "best_name": best["name"],
                "best": best["estimate"] or 0.0,
                "best_row": best,
            }
        )
    return sorted(found, key=lambda r: -r["mean"])


def _trend(ctx: YearContext, cell: str | None) -> list[TrendPoint]:
    found: list[TrendPoint] = []
    for entry in ctx.trend:
        frame = entry["table"]
        run = entry["run"]
        national = frame[(frame["partition"] == NATIONAL) & (frame["cell"] == MEAN_OF_UNITS)]
        national_value = _num(national.iloc[0]["estimate"]) if len(national) else None
        if cell is None:
            source = national
        else:
            source = frame[(frame["partition"] != NATIONAL) & (frame["cell"] == cell)]
        source = source[source["indicator"] == INDEX]
        if not len(source):
            continue
        found.append(
            {
                "year": run["year"],
                "run": run["code"],
                "derived": run["derived"],
                **_cell(source.iloc[0]),
                "national": national_value,
            }
        )
    return found


def _change(ctx: YearContext) -> ChangeSummary | None:
    if ctx.change is None:
        return None
    rows = [r for r in ctx.change["rows"] if r["indicator"] == INDEX]
    national = next(
        (r for r in rows if r["partition"] == NATIONAL and r["cell"] == MEAN_OF_UNITS),
        next((r for r in rows if r["partition"] == NATIONAL), None),
    )
    provinces = []
    for r in rows:
        if r["partition"] == NATIONAL:
            continue
        place = ctx.provinces.get(str(r["cell"]))
        provinces.append({**r, "name": place.name if place else r["cell"]})
    provinces.sort(key=lambda r: -(r["change"] if r["change"] is not None else -math.inf))
    return {
        "before": ctx.change["before"],
        "after": ctx.change["after"],
        "derived": ctx.change["derived"],
        "notes": ctx.change["notes"],
        "national": national,
        "rows": provinces,
    }


def _base(ctx: YearContext, kind: str) -> DocumentBase:
    return {
        "kind": kind,
        "lang": ctx.lang,
        "year": ctx.run["year"],
        "run": ctx.run["code"],
        "geography": ctx.run["geography"],
        "prepared": ctx.prepared,
        "synthetic": ctx.synthetic,
        "derived": ctx.run["derived"],
        "national": _national(ctx),
        "pooled": _national(ctx, POOLED),
        "methodology": _methodology(ctx),
        "glossary": methodology.glossary(ctx.lang),
        "notes": ctx.notes,
    }


def _par_year_note(ctx: YearContext, par: dict[str, Any] | None) -> str | None:
    """Said beside the PAR figures when the PAR round is of another year than the survey."""
    if par is None or par.get("year") is None or par["year"] == ctx.run["year"]:
        return None
    return label("par_year_note", ctx.lang, par_year=par["year"], year=ctx.run["year"])


def national_document(
    ctx: YearContext, *, sensitivity: bool = True, draws: int = SENSITIVITY_DRAWS
) -> NationalDocument:
    """Everything the national report shows, as plain data; ``sensitivity``: whether to compute
    the method sensitivity of the ranks (``draws`` seeded Monte Carlo draws)."""
    provinces = province_rows(ctx)
    national_values = _national_values(ctx)
    components = [c for c, level in ctx.levels.items() if level in ("subindex", "component")]
    indicators: list[IndicatorName] = [
        {"code": c, "name": text(ctx.names[c], ctx.lang)} for c in [INDEX, *components]
    ]
    elements: list[ElementSummary] = []
    for code in components:
        values = [
            (p["values"].get(code), p) for p in provinces if p["values"].get(code) is not None
        ]
        best_value, best = max(values, key=lambda v: v[0] or 0.0) if values else (None, None)
        verdicts = (
            ctx.diagnosis[ctx.diagnosis["indicator"] == code]["vs_national"].value_counts()
            if ctx.diagnosis is not None
            else pd.Series(dtype=int)
        )
        elements.append(
            {
                "code": code,
                "name": text(ctx.names[code], ctx.lang),
                "national": national_values.get(code),
                "best": best_value,
                "best_name": best["name"] if best else "–",
                "above": int(verdicts.get("above", 0)) if ctx.diagnosis is not None else "–",
                "below": int(verdicts.get("below", 0)) if ctx.diagnosis is not None else "–",
            }
        )
    groups: list[GroupMembers] = [
        {"key": key, "names": [p["name"] for p in provinces if p["group"] == key]}
        for key in ("above", "not different", "below")
    ]
    par = (
        {
            **ctx.par,
            "area_means": _par_areas(ctx.par, ctx.lang),
            "year_note": _par_year_note(ctx, ctx.par),
        }
        if ctx.par
        else None
    )
    return {
        **_base(ctx, "national"),
        "heading": label("national_heading", ctx.lang, year=ctx.run["year"]),
        "sensitivity": _sensitivity(ctx, provinces, draws) if sensitivity else None,
        "sensitivity_state": (
            "skipped" if not sensitivity else "none" if ctx.outcome is None else "done"
        ),
        "provinces": provinces,
        "respondents": sum(p["n"] or 0 for p in provinces),
        "groups": groups if ctx.groups else [],
        "regions": _regions(provinces),
        "elements": elements,
        "indicators": indicators,
        "national_values": national_values,
        "change": _change(ctx),
        "trend": _trend(ctx, None),
        "par": par,
        "published": _published(ctx, None),
        "tidy": _tidy(ctx),
    }


def _best(ctx: YearContext) -> dict[str, dict[str, Any]]:
    """The province with the highest value of each indicator."""
    if "best" not in ctx.cache:
        table = ctx.table[ctx.table["partition"] == "province"].copy()
        table["estimate"] = table["estimate"].astype(float)
        table = table.dropna(subset=["estimate"])
        top = table.loc[table.groupby("indicator")["estimate"].idxmax()]
        ctx.cache["best"] = {str(r["indicator"]): r for r in top.to_dict(orient="records")}
    best: dict[str, dict[str, Any]] = ctx.cache["best"]
    return best


def _element_rows(
    ctx: YearContext, code: str, level: str, provinces: list[ProvinceRow]
) -> list[ElementRow]:
    """The unit's components (or items) with interval, national mean, verdicts and best province."""
    names = {p["code"]: p["name"] for p in provinces}
    table = ctx.table[(ctx.table["partition"] == "province") & (ctx.table["cell"] == code)]
    own = table.set_index("indicator")
    national = _national_values(ctx)
    # The components' table shows the sub-indices too: each row reads its own verdict.
    levels = ("subindex", "component") if level == "component" else (level,)
    wanted = [c for c, lv in ctx.levels.items() if lv in levels]
    verdicts: dict[str, dict[str, Any]] = {}
    if ctx.diagnosis is not None:
        diagnosis = ctx.diagnosis
        rows = diagnosis[(diagnosis["cell"] == code) & diagnosis["level"].isin(levels)]
        verdicts = {str(r["indicator"]): r for r in rows.to_dict(orient="records")}
    found: list[ElementRow] = []
    for indicator in wanted:
        if indicator not in own.index:
            continue
        row = own.loc[indicator]
        verdict = verdicts.get(indicator, {})
        best_row = _best(ctx).get(indicator)
        estimate = _num(row["estimate"])
        mean = national.get(indicator)
        found.append(
            {
                "code": indicator,
                "name": text(ctx.names.get(indicator, indicator), ctx.lang),
                "level": ctx.levels.get(indicator),
                "estimate": estimate,
                "ci_low": _num(row["ci_low"]),
                "ci_high": _num(row["ci_high"]),
                "national": mean,
                "diff_national": _num(verdict.get("diff_national"))
                if verdict
                else (estimate - mean if estimate is not None and mean is not None else None),
                "se_diff_national": _num(verdict.get("se_diff_national")) if verdict else None,
                "vs_national": verdict.get("vs_national") if verdict else None,
                "vs_best": verdict.get("vs_best") if verdict else None,
                "best": _num(best_row["estimate"]) if best_row is not None else None,
                "best_name": names.get(str(best_row["cell"]), str(best_row["cell"]))
                if best_row is not None
                else "–",
            }
        )
    return found


def _par_areas(par: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """Each PAR area's national mean (of the units' area indices) and its best unit."""
    found = []
    for area in par["areas"]:
        key = f"area_{area['code']}"
        scored = [u for u in par["units"] if u.get(key) is not None]
        best = max(scored, key=lambda u: u[key]) if scored else None
        found.append(
            {
                "code": area["code"],
                "name": text(area["name"], lang),
                "mean": sum(u[key] for u in scored) / len(scored) if scored else None,
                "best_name": best["name"] if best else "–",
                "best": best[key] if best else None,
            }
        )
    return found


def _par_unit(par: dict[str, Any] | None, code: str, lang: str) -> dict[str, Any] | None:
    if par is None:
        return None
    unit = next((u for u in par["units"] if u["unit"] == code), None)
    if unit is None:
        return None
    areas = []
    for area in par["areas"]:
        key = f"area_{area['code']}"
        values = [u[key] for u in par["units"] if u.get(key) is not None]
        mean = sum(values) / len(values) if values else None
        own = unit.get(key)
        areas.append(
            {
                "code": area["code"],
                "name": text(area["name"], lang),
                "index": own,
                "national": mean,
                "diff": own - mean if own is not None and mean is not None else None,
            }
        )
    return {**par, "unit": unit, "units": len(par["units"]), "areas": areas}


def _published(ctx: YearContext, code: str | None) -> dict[str, Any] | None:
    """The ministry's published results beside ours: the province's (or, for the national
    report, the published national means), labelled "Kết quả công bố"; None when none."""
    found = {index: beside for index, beside in ctx.published.items() if beside}
    if not found:
        return None
    shown: dict[str, Any] = {"label": say("published.label", ctx.lang)}
    for index, beside in found.items():
        if code is None:
            shown[index] = {"national": beside["national"], "computed": beside["computed"]}
        else:
            shown[index] = beside_row(beside["units"].get(code))
    return shown if any(shown[i] for i in found) else None


def province_document(ctx: YearContext, code: str) -> ProvinceDocument:
    """Everything a province's report shows, as plain data."""
    provinces = province_rows(ctx)
    own = next((p for p in provinces if p["code"] == code), None)
    if own is None:
        raise SipasError(
            "report.unknown_province",
            code=code,
            run=ctx.run["code"],
            geography=ctx.run["geography"],
            known=[f"{p['code']} {p['name']}" for p in provinces[:40]],
        )
    regions = _regions(provinces)
    region = next((r for r in regions if r["name"] == own["region"]), None)
    items = _element_rows(ctx, code, "item", provinces)
    elements = _element_rows(ctx, code, "component", provinces)
    strengths = _by_size(elements + items, "above")
    weaknesses = _by_size(elements + items, "below")
    change = _change(ctx)
    annex = [AnnexRow(**e, kind="strength") for e in strengths[SHOWN:]] + [
        AnnexRow(**e, kind="weakness") for e in weaknesses[SHOWN:]
    ]
    own_change = next((r for r in change["rows"] if r["cell"] == code), None) if change else None
    par = _par_unit(ctx.par, code, ctx.lang)
    if par is not None:
        par["year_note"] = _par_year_note(ctx, par)
    name = full_name(ctx, code)
    priority, priority_note = _priorities(ctx, code)
    return {
        **_base(ctx, "province"),
        "province": {**own, "full_name": name},
        "heading": label("province_heading", ctx.lang, year=ctx.run["year"], name=name),
        "units": len(provinces),
        "provinces": provinces,
        "best": provinces[0],
        "best_in_region": region["best_row"] if region else own,
        "region_mean": region["mean"] if region else None,
        "elements": elements,
        "items": items,
        "diagnosis": ctx.diagnosis is not None,
        # Every strength and weakness of the one diagnosis, largest difference first; the body
        # shows the first SHOWN of each, the annex the rest.
        "strengths": strengths,
        "weaknesses": weaknesses,
        "shown": SHOWN,
        "sw_annex": annex,
        "priority": priority,
        "priority_note": priority_note,
        "trend": _trend(ctx, code),
        "change": own_change,
        "par": par,
        "published": _published(ctx, code),
        "tidy": _tidy(ctx, {code}),
    }


def prepare_provinces(ctx: YearContext) -> None:
    """Compute once what every province's report of the year shares (the province rows and the
    survey-wide part of the priorities), so that reports rendered in parallel inherit it."""
    province_rows(ctx)
    _priority_inputs(ctx)


def _by_size(rows: list[ElementRow], verdict: str) -> list[ElementRow]:
    """The rows the diagnosis gives ``verdict``, the largest difference from the mean first."""
    found = [r for r in rows if r["vs_national"] == verdict]
    return sorted(found, key=lambda r: (-abs(r["diff_national"] or 0.0), r["code"]))


def _priority_inputs(ctx: YearContext) -> PriorityInputs | SipasError | None:
    """What every province's priorities share, computed once per year's context."""
    if "priority_inputs" not in ctx.cache:
        found: PriorityInputs | SipasError | None = None
        if ctx.outcome is not None and ctx.responses is not None:
            try:
                found = priority_inputs(
                    ctx.outcome,
                    ctx.responses,
                    str(ctx.run["survey"]),
                    ctx.year,
                    ctx.synthetic,
                )
            except SipasError as error:  # no expectations question: said on the page
                found = error
        ctx.cache["priority_inputs"] = found
    cached: PriorityInputs | SipasError | None = ctx.cache["priority_inputs"]
    return cached


def _priorities(ctx: YearContext, code: str) -> tuple[Priorities | None, str | None]:
    """The province's importance–performance quadrant and its items to improve first, or the
    reason there are none."""
    inputs = _priority_inputs(ctx)
    if inputs is None:
        return None, label("diagnosis_none", ctx.lang)
    if isinstance(inputs, SipasError):
        return None, label("priorities_unavailable", ctx.lang)
    try:
        found = priorities_for(inputs, code, ctx.lang)
    except SipasError:
        return None, label("priorities_unavailable", ctx.lang)
    components: list[PriorityComponent] = [
        {
            "code": p.node,
            "name": found.names.get(p.node, p.node),
            "performance": p.performance,
            "low": p.performance_low,
            "high": p.performance_high,
            "importance": p.importance,
            "importance_se": p.importance_se,
            "quadrant": p.quadrant,
            "quadrant_name": say(f"priorities.quadrant.{p.quadrant}", ctx.lang),
        }
        for p in found.components
    ]
    node_names = {c["code"]: c["name"] for c in components}
    return {
        "components": components,
        "medians": list(found.medians),
        "items": [
            {
                "code": i.item,
                "name": i.text,
                "component": node_names.get(i.node, i.node),
                "estimate": i.performance,
                "ci_low": i.low,
                "ci_high": i.high,
            }
            for i in found.items
        ],
        "provisional_links": found.provisional_links,
        "links_note": say("priorities.links_note", ctx.lang),
        "axis": [
            say("priorities.axis.importance", ctx.lang),
            say("priorities.axis.performance", ctx.lang),
        ],
        "first_label": say("priorities.quadrant.improve_first", ctx.lang),
    }, None


def _sensitivity(ctx: YearContext, provinces: list[ProvinceRow], draws: int) -> Sensitivity | None:
    """Each province's rank range over method choices beside its sampling rank interval."""
    if ctx.outcome is None or ctx.responses is None:
        return None
    seed = int(ctx.run["options"].get("seed") or Choices().seed)
    found = outcome_sensitivity(
        ctx.outcome,
        ctx.responses,
        ctx.run["code"],
        str(ctx.run["survey"]),
        ctx.synthetic,
        Choices(draws=draws, seed=seed),
    )
    rows = {p["code"]: p for p in provinces}
    units: list[UnitSensitivity] = []
    for u in found.result.units:
        row: Mapping[str, Any] = rows.get(u.cell, {})
        # The sampling side is the run's own 95% rank interval (sipas.survey.ranks), the one
        # the ranking table shows.
        units.append(
            {
                "code": u.cell,
                "name": row.get("name") or found.names.get(u.cell, u.cell),
                "rank": row.get("rank") or u.nominal_rank,
                "method_low": u.rank_low,
                "method_high": u.rank_high,
                "sampling_low": row.get("rank_low"),
                "sampling_high": row.get("rank_high"),
                "method_share": u.method_share,
            }
        )
    units.sort(key=lambda u: u["rank"])
    method = [float(u["method_high"] - u["method_low"]) for u in units]
    sampling = [
        float(u["sampling_high"] - u["sampling_low"])
        for u in units
        if u["sampling_low"] is not None and u["sampling_high"] is not None
    ]
    wider = sum(
        1
        for u, width in zip(units, method, strict=True)
        if u["sampling_low"] is not None
        and u["sampling_high"] is not None
        and width > u["sampling_high"] - u["sampling_low"]
    )
    return {
        "draws": draws,
        "seed": seed,
        "units": units,
        "median_method": float(pd.Series(method).median()) if method else None,
        "median_sampling": float(pd.Series(sampling).median()) if sampling else None,
        "wider_method": wider,
        "factors": [
            {"key": key, "name": say(f"sensitivity.factor.{key}", ctx.lang), "value": value}
            for key, value in found.result.first_order.items()
        ],
        "legend": [
            say("sensitivity.legend.method", ctx.lang),
            say("sensitivity.legend.sampling", ctx.lang),
        ],
    }


def appraisal_document(
    db: Database,
    campaign: str,
    unit: str,
    *,
    lang: str = "vi",
    actor: Actor = SYSTEM,
    prepared: date | None = None,
) -> AppraisalDocument:
    """Per area and criterion: self-score, appraisals, final points and the reasons for changes."""
    sheet = {r["node"]: r for r in unit_scores(db, actor, campaign, unit)}
    trail = history(db, actor, campaign, unit)
    with db.engine.connect() as connection:
        opened = open_campaign(connection, campaign)
        framework = opened.framework
        unit_row = opened.unit(unit)
        year = opened.row["year"]
        synthetic = bool(opened.row["synthetic"])
        stage = opened.stage
    found = results(db, campaign, stage="final" if stage == "final" else "self", with_nodes=True)
    totals = {n["node"]: n for n in found["nodes"] if n["unit"] == unit}
    rows: list[AppraisalRow] = []
    for ancestors, node in framework.walk():
        leaf = sheet.get(node.code)
        total = totals.get(node.code)
        rows.append(
            {
                "node": node.code,
                "name": text({"vi": node.name.vi, "en": node.name.en}, lang),
                "depth": len(ancestors),
                "max": node.max_points,
                "self": leaf["self"] if leaf else None,
                "appraisal1": leaf["appraisal1"] if leaf else None,
                "appraisal2": leaf["appraisal2"] if leaf else None,
                "final": leaf["final"]
                if leaf and leaf["final"] is not None
                else (total["points"] if total else None),
                "reason": leaf["reason"] if leaf else None,
                # an area's component index: its points / its applicable maximum, in %
                "index": total["index"] if total and not ancestors else None,
            }
        )
    names = {
        node.code: text({"vi": node.name.vi, "en": node.name.en}, lang)
        for _, node in framework.walk()
    }
    return {
        "kind": "appraisal",
        "lang": lang,
        "year": year,
        "campaign": campaign,
        "framework": found["framework"],
        "index_name": text({"vi": framework.title.vi, "en": framework.title.en}, lang),
        "name": unit_row["name"],
        "unit": unit,
        "units": len(found["units"]),
        "unit_result": next((u for u in found["units"] if u["unit"] == unit), None),
        "prepared": prepared or date.today(),
        "synthetic": synthetic,
        "derived": False,
        "run": None,
        "rows": rows,
        "history": [
            {
                **h,
                "stage": h["action"].removeprefix("par."),
                "at": f"{h['at']:%Y-%m-%d %H:%M}",
                "leaf_name": names.get(h["leaf"], h["leaf"]),
            }
            for h in trail
        ],
    }
