"""Reports for callers: the api's results gathered into report documents, then rendered.

Every number in a report comes from the api: saved estimation runs (:func:`load_run`), their
year-over-year change (:func:`change_view`), strengths and weaknesses (:func:`diagnosis_view` on the
run re-estimated from its stored survey with the run's own options and seed), and PAR results
(:func:`sipas.api.par.results`, :func:`unit_scores`, :func:`history`). Rendering lives in
:mod:`sipas.reports` (data in, files out).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from sipas import reports
from sipas.api.estimation import (
    EstimateRequest,
    change_view,
    diagnosis_view,
    estimate_stored_survey,
    load_run,
)
from sipas.api.par import history, results, unit_scores
from sipas.api.par.campaigns import SYSTEM, Actor, open_campaign
from sipas.errors import SipasError
from sipas.frameworks import require_survey, resolve_framework
from sipas.geo.units import REFORM_DAY, Province, provinces_on
from sipas.reports.format import LANGS, label, text
from sipas.store import Database
from sipas.store import estimates as estimate_store
from sipas.store import par as par_store
from sipas.store import surveys as survey_store
from sipas.survey import MEAN_OF_UNITS, NATIONAL, index_tree
from sipas.survey.diagnosis import diagnose

FORMATS = reports.FORMATS
POOLED = "pooled"
INDEX = "SIPAS"
LAST_DAY_OF_63 = date(2025, 6, 30)
PRIORITIES = 5  # items listed under "improve first"
CONSISTENCY = (
    1e-3  # re-estimated and saved values must agree to this (saved values have 4 decimals)
)


# --- which runs ------------------------------------------------------------------------------


def _runs(db: Database) -> list[dict[str, Any]]:
    """Saved runs with the year and geography of the survey they were estimated from."""
    with db.engine.connect() as connection:
        runs = estimate_store.list_runs(connection)
        surveys = {s["id"]: s for s in survey_store.list_surveys(connection)}
    found = []
    for run in runs:
        survey = surveys.get(run["survey_id"])
        geography = (run["options"] or {}).get("geography") or (survey or {}).get("geography")
        found.append(
            {
                "code": run["code"],
                "year": survey["year"] if survey else None,
                "survey": survey["code"] if survey else None,
                "geography": str(geography) if geography else None,
                "derived": bool(run["derived"]),
                "framework": run["framework_id"],
                "unit": run["unit"],
                "options": run["options"] or {},
            }
        )
    return found


def choose_run(db: Database, year: int | None, run: str | None) -> dict[str, Any]:
    """The run a report is about: named, or the one run of the year estimated as surveyed."""
    runs = _runs(db)
    if run is not None:
        for found in runs:
            if found["code"] == run:
                return found
        with db.engine.connect() as connection:
            estimate_store.get_run(connection, run)  # raises with the known codes
    if year is None:
        raise SipasError(
            "report.no_year",
            "say which year (--year) or which saved run (--run)",
            "see sipas results list",
        )
    chosen = [r for r in runs if r["year"] == year and not r["derived"]]
    if len(chosen) == 1:
        return chosen[0]
    if not chosen:
        years = sorted({r["year"] for r in runs if r["year"] is not None})
        raise SipasError(
            "report.no_run",
            f"no saved estimation run of a {year} survey in this database",
            "estimate and save one (sipas estimate --survey CODE --save CODE), or choose a year"
            + (f" among {', '.join(map(str, years))}" if years else ""),
        )
    raise SipasError(
        "report.several_runs",
        f"{len(chosen)} saved runs of {year} surveys: {', '.join(r['code'] for r in chosen)}",
        "choose one with --run CODE",
    )


def _series(db: Database, current: dict[str, Any]) -> list[dict[str, Any]]:
    """One run per year up to the current one, on the current run's geography and framework."""
    by_year: dict[int, dict[str, Any]] = {}
    for run in _runs(db):
        if (
            run["year"] is None
            or run["year"] > current["year"]
            or run["geography"] != current["geography"]
            or run["framework"] != current["framework"]
        ):
            continue
        kept = by_year.get(run["year"])
        if kept is None or (kept["derived"] and not run["derived"]):
            by_year[run["year"]] = run
    by_year[current["year"]] = current
    return [by_year[y] for y in sorted(by_year)]


# --- the year's context: everything a national or province report shows -----------------------


@dataclass
class YearContext:
    run: dict[str, Any]
    lang: str
    prepared: date
    table: pd.DataFrame
    synthetic: bool
    provinces: dict[str, Province]
    names: dict[str, dict[str, str]]  # indicator → {"vi", "en"}
    levels: dict[str, str]
    diagnosis: pd.DataFrame | None
    groups: dict[str, str]
    trend: list[dict[str, Any]]
    change: dict[str, Any] | None
    par: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)  # what every province's report shares


def _geography_day(geography: str | None) -> date:
    return REFORM_DAY if geography == "34" else LAST_DAY_OF_63


def _indicator_names(framework_id: str) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    framework = require_survey(resolve_framework(framework_id))
    names: dict[str, dict[str, str]] = {}
    levels: dict[str, str] = {}
    for node in index_tree(framework).nodes:
        names[node.code] = {"vi": node.name_vi, "en": node.name_en}
        levels[node.code] = node.level
    for item in framework.satisfaction.items:
        names[item.code] = {"vi": item.text.vi, "en": item.text.en}
        levels[item.code] = "item"
    return names, levels


def _reestimate(db: Database, run: dict[str, Any], table: pd.DataFrame) -> Any:
    """The run estimated again from its stored survey with its own options (same seed), or None.

    Strengths and weaknesses need the replicates, which a saved run does not keep. The result is
    used only if it reproduces the saved index values.
    """
    if run["survey"] is None:
        return None
    options = {k: v for k, v in run["options"].items() if k != "geography"}
    options["by"] = tuple(options.get("by") or ())
    outcome, _ = estimate_stored_survey(
        db, run["survey"], EstimateRequest(**options), geography_34=run["derived"]
    )
    again = outcome.table().set_index(["partition", "cell", "indicator"])["estimate"]
    saved = table.set_index(["partition", "cell", "indicator"])["estimate"].astype(float)
    common = saved.index.intersection(again.index)
    if len(common) == 0 or float((saved[common] - again[common]).abs().max()) > CONSISTENCY:
        return None
    return outcome


def _par_for(
    db: Database, year: int, geography: str | None, campaign: str | None
) -> dict[str, Any] | None:
    """PAR results to show beside SIPAS: the named campaign, or the year's one final campaign
    on the same geography. Province codes are reused across 2025, so another geography is
    refused."""
    with db.engine.connect() as connection:
        campaigns = par_store.list_campaigns(connection)
    if campaign is None:
        finals = [
            c["code"]
            for c in campaigns
            if c["year"] == year and c["stage"] == "final" and str(c["geography"]) == geography
        ]
        if len(finals) != 1:
            return None
        campaign = finals[0]
    chosen = next((c for c in campaigns if c["code"] == campaign), None)
    if chosen is not None and geography and str(chosen["geography"]) != geography:
        raise SipasError(
            "report.par_geography",
            f"PAR campaign {campaign} is on the {chosen['geography']} provinces and the SIPAS"
            f" results on the {geography}: province codes do not mean the same places",
            "choose a campaign on the same geography, or leave out --par",
        )
    found = results(db, campaign, with_nodes=True)
    with db.begin() as connection:
        framework = open_campaign(connection, campaign).framework
    found["areas"] = [
        {"code": n.code, "name": {"vi": n.name.vi, "en": n.name.en}}
        for n in framework.scored_nodes()
    ]
    return found


def year_context(
    db: Database,
    *,
    year: int | None = None,
    run: str | None = None,
    lang: str = "vi",
    par_campaign: str | None = None,
    prepared: date | None = None,
) -> YearContext:
    if lang not in LANGS:
        raise SipasError("report.bad_lang", f"unknown language {lang!r}", "use vi or en")
    chosen = choose_run(db, year, run)
    loaded = load_run(db, chosen["code"])
    table = pd.DataFrame(loaded["rows"])
    if chosen["year"] is None:
        raise SipasError(
            "report.no_survey",
            f"run {chosen['code']} was estimated from a file, not a stored survey: its year is unknown",
            "import the survey (sipas import) and estimate it with --survey … --save",
        )
    if chosen["geography"] is None:
        units = table.loc[table["partition"] == chosen["unit"], "cell"].nunique()
        chosen["geography"] = "34" if units <= 34 else "63"
    names, levels = _indicator_names(chosen["framework"])
    unit = chosen["unit"]
    table["partition"] = table["partition"].replace({unit: "province"})
    outcome = _reestimate(db, chosen, table)
    notes = [] if outcome is not None else [label("diagnosis_none", lang)]
    diagnosis = pd.DataFrame(diagnosis_view(outcome)["rows"]) if outcome is not None else None
    groups: dict[str, str] = {}
    if outcome is not None:
        verdicts = diagnose(outcome.result, levels=("index",))
        groups = dict(zip(verdicts["cell"], verdicts["vs_national"], strict=True))
    series = _series(db, chosen)
    trend = []
    for entry in series:
        frame = pd.DataFrame(load_run(db, entry["code"], level="index")["rows"])
        trend.append({"run": entry, "table": frame})
    previous = series[-2] if len(series) > 1 and series[-2]["year"] == chosen["year"] - 1 else None
    change = change_view(db, previous["code"], chosen["code"]) if previous else None
    return YearContext(
        run=chosen,
        lang=lang,
        prepared=prepared or date.today(),
        table=table,
        synthetic=bool(loaded["synthetic"]),
        provinces={p.code: p for p in provinces_on(_geography_day(chosen["geography"]))},
        names=names,
        levels=levels,
        diagnosis=diagnosis,
        groups=groups,
        trend=trend,
        change=change,
        par=_par_for(db, chosen["year"], chosen["geography"], par_campaign),
        notes=notes,
    )


# --- documents -------------------------------------------------------------------------------


def _num(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return float(value)


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else round(number)


def _cell(row: pd.Series | dict[str, Any]) -> dict[str, Any]:
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


def _province_rows(ctx: YearContext) -> list[dict[str, Any]]:
    if "provinces" not in ctx.cache:
        ctx.cache["provinces"] = _build_province_rows(ctx)
    rows: list[dict[str, Any]] = ctx.cache["provinces"]
    return rows


def _build_province_rows(ctx: YearContext) -> list[dict[str, Any]]:
    table = ctx.table[ctx.table["partition"] == "province"]
    wide = table.pivot(index="cell", columns="indicator", values="estimate").astype(float)
    index_rows = table[table["indicator"] == INDEX].set_index("cell")
    rows = []
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


def _national(ctx: YearContext, cell: str = MEAN_OF_UNITS) -> dict[str, Any] | None:
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
    lang = ctx.lang
    rules = framework.rules
    found = [{"id": key, "text": value} for key, value in sorted(rules.assumptions.items())]
    en = lang == "en"
    found += [
        {
            "id": "SE",
            "text": "Item shares: Taylor-linearised standard errors for the stratified cluster design;"
            f" elements, sub-indices and SIPAS: {ctx.run['options'].get('method', 'bootstrap')}"
            f" replicate weights ({ctx.run['options'].get('replicates', '')} replicates,"
            f" seed {ctx.run['options'].get('seed', '')}). 95% CI = estimate ± 1.96 × SE."
            if en
            else "Tỷ lệ theo tiêu chí: sai số chuẩn tuyến tính hóa Taylor theo thiết kế mẫu phân tầng,"
            f" nhiều giai đoạn; yếu tố, chỉ số thành phần và SIPAS: trọng số lặp"
            f" {ctx.run['options'].get('method', 'bootstrap')} ({ctx.run['options'].get('replicates', '')}"
            f" lần lặp, hạt giống {ctx.run['options'].get('seed', '')}). Khoảng tin cậy 95% ="
            " ước lượng ± 1,96 × sai số chuẩn.",
        },
        {
            "id": "RANK",
            "text": "Ranks are descending on the unrounded value; the 95% rank interval comes from the"
            " replicates. Provinces whose intervals overlap are not called different."
            if en
            else "Xếp hạng giảm dần theo giá trị chưa làm tròn; khoảng hạng 95% tính từ các lần lặp."
            " Các tỉnh có khoảng hạng chồng lên nhau không được coi là khác nhau.",
        },
        {
            "id": "GROUP",
            "text": "Groups: a province is significantly above (below) the national mean when the"
            " difference exceeds 1.96 replicate standard errors of the difference."
            if en
            else "Phân nhóm: một tỉnh cao hơn (thấp hơn) trung bình cả nước có ý nghĩa khi chênh lệch"
            " vượt quá 1,96 lần sai số chuẩn của chênh lệch (tính bằng trọng số lặp).",
        },
        {
            "id": "REGION",
            "text": "Regional average: the unweighted mean of the region's provincial values, as the"
            " national mean (A5); shown without a standard error."
            if en
            else "Trung bình vùng: trung bình cộng không trọng số các giá trị cấp tỉnh trong vùng, như"
            " trung bình cả nước (A5); không kèm sai số chuẩn.",
        },
        {
            "id": "CHANGE",
            "text": "Change on the previous year: difference of two independent samples, SE ="
            " √(SE₁² + SE₂²), z-test at 5%. A year on the 63 provinces is re-aggregated from its"
            " microdata to the 34 before it is compared with a year on the 34 (derived)."
            if en
            else "Thay đổi so với năm trước: hiệu hai mẫu độc lập, sai số chuẩn = √(SE₁² + SE₂²),"
            " kiểm định z mức 5%. Năm trên 63 tỉnh được tính lại trên 34 tỉnh từ dữ liệu gốc trước"
            " khi so sánh với năm trên 34 tỉnh (số liệu suy ra).",
        },
        {"id": "UNSTABLE", "text": label("unstable_note", lang)},
        {
            "id": "ROUND",
            "text": "Figures are shown to 2 decimals; every computation uses full precision."
            if en
            else "Số liệu hiển thị 2 chữ số thập phân; mọi phép tính dùng độ chính xác đầy đủ.",
        },
    ]
    return found


def _regions(provinces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_region: dict[str, list[dict[str, Any]]] = {}
    for p in provinces:
        if p["estimate"] is not None:
            by_region.setdefault(p["region"], []).append(p)
    found = []
    for name, members in by_region.items():
        best = max(members, key=lambda p: p["estimate"])
        found.append(
            {
                "name": name,
                "count": len(members),
                "mean": sum(p["estimate"] for p in members) / len(members),
                "best_name": best["name"],
                "best": best["estimate"],
                "best_row": best,
            }
        )
    return sorted(found, key=lambda r: -r["mean"])


def _trend(ctx: YearContext, cell: str | None) -> list[dict[str, Any]]:
    found = []
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


def _change(ctx: YearContext) -> dict[str, Any] | None:
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


def _base(ctx: YearContext, kind: str) -> dict[str, Any]:
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
        "notes": ctx.notes,
    }


def national_document(ctx: YearContext) -> dict[str, Any]:
    """Everything the national report shows, as plain data."""
    provinces = _province_rows(ctx)
    national_values = _national_values(ctx)
    components = [c for c, level in ctx.levels.items() if level in ("subindex", "component")]
    indicators = [{"code": c, "name": text(ctx.names[c], ctx.lang)} for c in [INDEX, *components]]
    elements = []
    for code in components:
        values = [
            (p["values"].get(code), p) for p in provinces if p["values"].get(code) is not None
        ]
        best_value, best = max(values, key=lambda v: v[0]) if values else (None, None)
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
    groups = [
        {"key": key, "names": [p["name"] for p in provinces if p["group"] == key]}
        for key in ("above", "not different", "below")
    ]
    par = ctx.par
    return {
        **_base(ctx, "national"),
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
    ctx: YearContext, code: str, level: str, provinces: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The unit's components (or items) with interval, national mean, verdicts and best province."""
    names = {p["code"]: p["name"] for p in provinces}
    table = ctx.table[(ctx.table["partition"] == "province") & (ctx.table["cell"] == code)]
    own = table.set_index("indicator")
    national = _national_values(ctx)
    verdicts: dict[str, dict[str, Any]] = {}
    if ctx.diagnosis is not None:
        rows = ctx.diagnosis[(ctx.diagnosis["cell"] == code) & (ctx.diagnosis["level"] == level)]
        verdicts = {str(r["indicator"]): r for r in rows.to_dict(orient="records")}
    wanted = [c for c, lv in ctx.levels.items() if lv == level]
    if level == "component":
        wanted = [c for c, lv in ctx.levels.items() if lv in ("subindex", "component")]
    found = []
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


def province_document(ctx: YearContext, code: str) -> dict[str, Any]:
    """Everything a province's report shows, as plain data."""
    provinces = _province_rows(ctx)
    own = next((p for p in provinces if p["code"] == code), None)
    if own is None:
        known = ", ".join(f"{p['code']} {p['name']}" for p in provinces[:40])
        raise SipasError(
            "report.unknown_province",
            f"no province {code!r} in run {ctx.run['code']} ({ctx.run['geography']} provinces)",
            f"choose one of: {known}",
        )
    regions = _regions(provinces)
    region = next((r for r in regions if r["name"] == own["region"]), None)
    items = _element_rows(ctx, code, "item", provinces)
    significant_below = sorted(
        (i for i in items if i["vs_national"] == "below"), key=lambda i: i["diff_national"] or 0
    )
    fallback = not significant_below
    priorities = (
        significant_below
        if significant_below
        else sorted(
            (i for i in items if i["diff_national"] is not None), key=lambda i: i["diff_national"]
        )
    )[:PRIORITIES]
    elements = _element_rows(ctx, code, "component", provinces)
    change = _change(ctx)
    own_change = next((r for r in change["rows"] if r["cell"] == code), None) if change else None
    return {
        **_base(ctx, "province"),
        "province": own,
        "units": len(provinces),
        "provinces": provinces,
        "best": provinces[0],
        "best_in_region": region["best_row"] if region else own,
        "region_mean": region["mean"] if region else None,
        "elements": elements,
        "items": items,
        "diagnosis": ctx.diagnosis is not None,
        "strengths": [e for e in elements + items if e["vs_national"] == "above"],
        "weaknesses": [e for e in elements + items if e["vs_national"] == "below"],
        "priorities": priorities,
        "priorities_fallback": fallback,
        "trend": _trend(ctx, code),
        "change": own_change,
        "par": _par_unit(ctx.par, code, ctx.lang),
        "tidy": _tidy(ctx, {code}),
    }


def appraisal_document(
    db: Database,
    campaign: str,
    unit: str,
    *,
    lang: str = "vi",
    actor: Actor = SYSTEM,
    prepared: date | None = None,
) -> dict[str, Any]:
    """Per area and criterion: self-score, appraisals, final points and the reasons for changes."""
    sheet = {r["node"]: r for r in unit_scores(db, actor, campaign, unit)}
    trail = history(db, actor, campaign, unit)
    with db.begin() as connection:
        opened = open_campaign(connection, campaign)
        framework = opened.framework
        unit_row = opened.unit(unit)
        year = opened.row["year"]
        synthetic = bool(opened.row["synthetic"])
        stage = opened.stage
    found = results(db, campaign, stage="final" if stage == "final" else "self", with_nodes=True)
    totals = {n["node"]: n for n in found["nodes"] if n["unit"] == unit}
    rows = []
    for ancestors, node in framework.walk():
        leaf = sheet.get(node.code)
        total = totals.get(node.code, {})
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
                else total.get("points"),
                "reason": leaf["reason"] if leaf else None,
            }
        )
    return {
        "kind": "appraisal",
        "lang": lang,
        "year": year,
        "campaign": campaign,
        "framework": found["framework"],
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
            {**h, "stage": h["action"].removeprefix("par."), "at": f"{h['at']:%Y-%m-%d %H:%M}"}
            for h in trail
        ],
    }


# --- files -----------------------------------------------------------------------------------


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise SipasError(
            "report.bad_format", f"unknown report format {fmt!r}", "use pdf, html or xlsx"
        )


def write(doc: dict[str, Any], fmt: str, path: Path) -> Path:
    _check_format(fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    return reports.render(doc, fmt, path)


def default_name(doc: dict[str, Any], fmt: str) -> str:
    if doc["kind"] == "national":
        return f"sipas-{doc['year']}-national-{doc['lang']}.{fmt}"
    if doc["kind"] == "province":
        return f"sipas-{doc['year']}-{doc['province']['code']}-{doc['lang']}.{fmt}"
    return f"par-{doc['campaign']}-{doc['unit']}-{doc['lang']}.{fmt}"


def national_report(
    db: Database, out: Path | None, *, fmt: str = "pdf", year: int | None = None,
    run: str | None = None, lang: str = "vi", par_campaign: str | None = None,
) -> Path:  # fmt: skip
    _check_format(fmt)
    doc = national_document(
        year_context(db, year=year, run=run, lang=lang, par_campaign=par_campaign)
    )
    return write(doc, fmt, out or Path(default_name(doc, fmt)))


def province_report(
    db: Database, code: str, out: Path | None, *, fmt: str = "pdf", year: int | None = None,
    run: str | None = None, lang: str = "vi", par_campaign: str | None = None,
) -> Path:  # fmt: skip
    _check_format(fmt)
    ctx = year_context(db, year=year, run=run, lang=lang, par_campaign=par_campaign)
    doc = province_document(ctx, code.zfill(2))
    return write(doc, fmt, out or Path(default_name(doc, fmt)))


def appraisal_report(
    db: Database, campaign: str, unit: str, out: Path | None, *, fmt: str = "pdf",
    lang: str = "vi", actor: Actor = SYSTEM,
) -> Path:  # fmt: skip
    _check_format(fmt)
    doc = appraisal_document(db, campaign, unit, lang=lang, actor=actor)
    return write(doc, fmt, out or Path(default_name(doc, fmt)))


_SHARED: dict[str, Any] = {}  # the year's context, inherited by forked workers


def _province_file(code: str, fmt: str, folder: Path) -> Path:
    doc = province_document(_SHARED["ctx"], code)
    return write(doc, fmt, folder / default_name(doc, fmt))


def all_province_reports(
    db: Database, folder: Path, *, fmt: str = "pdf", year: int | None = None,
    run: str | None = None, lang: str = "vi", codes: Iterable[str] | None = None,
    par_campaign: str | None = None, workers: int | None = None,
) -> list[Path]:  # fmt: skip
    """Every province's report of a year: the year's data gathered once, then one file each.

    Files are rendered by ``workers`` processes (default: one per CPU, at most 8), forked after
    the data are gathered so that each inherits them; the database is not touched while
    rendering.
    """
    _check_format(fmt)
    ctx = year_context(db, year=year, run=run, lang=lang, par_campaign=par_campaign)
    wanted = list(codes) if codes is not None else [p["code"] for p in _province_rows(ctx)]
    folder.mkdir(parents=True, exist_ok=True)
    count = workers if workers is not None else min(8, os.cpu_count() or 1)
    _SHARED["ctx"] = ctx
    try:
        if count <= 1 or len(wanted) <= 1 or "fork" not in mp.get_all_start_methods():
            return [_province_file(code, fmt, folder) for code in wanted]
        with ProcessPoolExecutor(count, mp_context=mp.get_context("fork")) as pool:
            return list(
                pool.map(_province_file, wanted, [fmt] * len(wanted), [folder] * len(wanted))
            )
    finally:
        _SHARED.clear()


def demo_reports(
    db: Database, folder: Path, *, year: int | None = None, lang: str = "vi"
) -> list[Path]:
    """What `sipas demo` writes: the national report and one province report (PDF and Excel) of
    the latest year, and the appraisal report of the PAR round's first unit."""
    runs = [r for r in _runs(db) if r["year"] is not None and not r["derived"]]
    if not runs:
        return []
    year = year or max(r["year"] for r in runs)
    ctx = year_context(db, year=year, lang=lang)
    national = national_document(ctx)
    province = province_document(ctx, national["provinces"][0]["code"])
    written = []
    for doc in (national, province):
        for fmt in ("pdf", "xlsx"):
            written.append(write(doc, fmt, folder / default_name(doc, fmt)))
    with db.engine.connect() as connection:
        campaigns = [c for c in par_store.list_campaigns(connection) if c["stage"] == "final"]
    if campaigns:
        found = results(db, campaigns[-1]["code"])
        if found["units"]:
            doc = appraisal_document(
                db, campaigns[-1]["code"], found["units"][0]["unit"], lang=lang
            )
            written.append(write(doc, "pdf", folder / default_name(doc, "pdf")))
    return written
