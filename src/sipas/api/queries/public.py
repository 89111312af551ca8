"""What the public reads: SIPAS and PAR INDEX rankings by year, a province's profile, downloads.

Built from saved estimation runs and final PAR campaigns; every view says whether its data are
synthetic and on which geography (63 or 34 provinces) it stands.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from datetime import date
from typing import Any, TypedDict

import pandas as pd

from sipas.api import estimation
from sipas.api import par as par_api
from sipas.api.estimation import RunRow
from sipas.api.par.campaigns import open_campaign
from sipas.api.par.views import ResultsBase
from sipas.errors import SipasError
from sipas.frameworks import require_survey, resolve_framework
from sipas.geo import provinces_on
from sipas.geo.units import LAST_DAY_OF_63
from sipas.published import rank_change_phrase
from sipas.store import Database
from sipas.store import surveys as survey_store
from sipas.store.par import CampaignRow
from sipas.store.records import data_version
from sipas.survey import index_tree
from sipas.survey.change import yearly_change
from sipas.survey.diagnosis import diagnose

INDEX = "SIPAS"
# The diagnosis's words against the national mean, as the public pages say them.
VERDICTS = {"above": "strength", "below": "weakness", "not different": "not different"}
_CACHE_SIZE = 128
_cache: dict[tuple[Any, ...], Any] = {}


class SipasRun(RunRow):
    """A saved run of a stored survey, with the survey's year and the run's geography."""

    year: int
    geography: str


class RankingRow(TypedDict):
    """A province in a public SIPAS ranking, with its change since the previous year."""

    code: str
    name: str
    region: str | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    rank: int | None
    rank_low: int | None
    rank_high: int | None
    n: int
    unstable: bool
    change: float | None
    change_significant: bool
    rank_change: int | None
    rank_change_text: dict[str, str] | None  # vi and en


class SipasRanking(TypedDict):
    """A public SIPAS ranking of one run; ``national`` is the run's own national estimate row."""

    run: str
    year: int
    geography: str
    derived: bool
    synthetic: bool
    previous: str | None
    national: dict[str, Any] | None
    regions: list[str]
    rows: list[RankingRow]


class ProfileElement(TypedDict):
    """An element or item of a province against the national mean and the best province."""

    indicator: str
    name: dict[str, str]  # vi and en
    level: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    national: float | None
    best: float | None
    best_province: str | None
    best_name: str | None
    gap: float | None
    verdict: str


class TrendPoint(TypedDict):
    """A province's SIPAS index in one saved run."""

    year: int
    run: str
    derived: bool
    estimate: float | None
    ci_low: float | None
    ci_high: float | None


class ProvinceProfile(TypedDict):
    """One province's public profile: elements, items, trend and the rule of the verdicts."""

    run: str
    year: int
    geography: str
    synthetic: bool
    province: str
    name: str
    region: str
    elements: list[ProfileElement]
    items: list[ProfileElement]
    trend: list[TrendPoint]
    rule: str


class ParArea(TypedDict):
    """A scored area of a PAR framework: code and name in both languages."""

    code: str
    name: dict[str, str]


class ParCampaign(CampaignRow):
    """A final PAR campaign, with its framework's title in both languages."""

    framework_title: dict[str, str]


class ParRanking(ResultsBase):
    """A public PAR ranking: a campaign's final results with regions, title and scored areas."""

    areas: list[ParArea]
    regions: list[str]
    framework_title: dict[str, str]


def version(db: Database) -> tuple[Any, ...]:
    """The state of the published data (see :func:`cached`)."""
    with db.engine.connect() as connection:
        return (db.display_url, *data_version(connection))


def cached(db: Database, name: str, *args: Any) -> Any:
    """A published view, computed once per state of the data.

    Public pages are read far more often than results change; every write that changes them
    (a saved estimation run, a PAR score or stage, through the audit log) moves the version, so
    a cached view is never stale."""
    key = (name, args, version(db))
    if key not in _cache:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = _VIEWS[name](db, *args)
    return _cache[key]


def _provinces(geography: str) -> dict[str, Any]:
    day = LAST_DAY_OF_63 if geography == "63" else date.today()
    return {p.code: p for p in provinces_on(day)}


def sipas_runs(db: Database) -> list[SipasRun]:
    """Saved runs of stored surveys, newest year first, with their year and geography."""
    with db.engine.connect() as connection:
        years = {f"survey:{s['code']}": s for s in survey_store.list_surveys(connection)}
    runs: list[SipasRun] = []
    for run in estimation.list_runs(db):
        survey = years.get(run["source"])
        if survey is None:
            continue  # a run of a file: not part of a published series
        geography = "34" if run["unit"] == "province_34" else survey["geography"]
        runs.append({**run, "year": survey["year"], "geography": geography})
    return sorted(runs, key=lambda r: (-r["year"], r["derived"], r["code"]))


def _run_info(db: Database, code: str) -> SipasRun:
    for run in sipas_runs(db):
        if run["code"] == code:
            return run
    raise SipasError("public.unknown_run", run=code)


def _previous_run(db: Database, run: SipasRun) -> SipasRun | None:
    earlier = [
        r for r in sipas_runs(db) if r["geography"] == run["geography"] and r["year"] < run["year"]
    ]
    return max(earlier, key=lambda r: (r["year"], not r["derived"])) if earlier else None


def run_verdicts(db: Database, code: str) -> dict[tuple[str, str], str] | None:
    """(unit, indicator) → above / below / not different against the national mean, from the
    survey core's one diagnosis on the run estimated again with its own options (replicate SEs of
    the difference, the unit inside the mean) — what the reports and the CLI show too. None for a
    run whose survey is not stored (no replicates to test with)."""
    try:
        outcome, _ = estimation.outcome_of_run(db, code)
    except SipasError:
        return None
    table = diagnose(outcome.result)
    return {
        (str(cell), str(indicator)): str(verdict)
        for cell, indicator, verdict in zip(
            table["cell"], table["indicator"], table["vs_national"], strict=True
        )
    }


@functools.lru_cache(maxsize=8)
def indicator_names(framework_id: str) -> dict[str, dict[str, str]]:
    """Every node and item of a survey framework by code: its name in Vietnamese and English."""
    framework = require_survey(resolve_framework(framework_id))
    names = {n.code: {"vi": n.name_vi, "en": n.name_en} for n in index_tree(framework).nodes}
    for item in framework.satisfaction.items:
        names[item.code] = {"vi": item.text.vi, "en": item.text.en}
    return names


def sipas_ranking(db: Database, code: str, region: str | None = None) -> SipasRanking:
    run = _run_info(db, code)
    rows = estimation.load_run(db, code, level="index")["rows"]
    provinces = _provinces(run["geography"])
    previous = _previous_run(db, run)
    changes: dict[str, dict[str, Any]] = {}
    if previous is not None:  # the survey layer's year-over-year change, with its z-test
        earlier = pd.DataFrame(estimation.load_run(db, previous["code"], level="index")["rows"])
        moved = yearly_change(
            earlier, pd.DataFrame(rows), before_unit=previous["unit"], after_unit=run["unit"]
        )
        changes = {
            str(r["cell"]): r
            for r in moved.to_dict(orient="records")
            if r["indicator"] == INDEX and r["partition"] == run["unit"]
        }
    table: list[RankingRow] = []
    national: dict[str, Any] | None = None
    for row in rows:
        if row["indicator"] != INDEX:
            continue
        if row["partition"] == "national":
            if national is None or row["cell"] == "mean_of_provinces":
                national = row
            continue
        province = provinces.get(row["cell"])
        if region and (province is None or province.region != region):
            continue
        moved_row = changes.get(row["cell"])
        moved_places = None if moved_row is None else moved_row.get("rank_change")
        rank_change = (
            None if moved_places is None or math.isnan(moved_places) else int(moved_places)
        )
        phrase = rank_change_phrase(rank_change)
        table.append(
            {
                "code": row["cell"],
                "name": province.name if province else row["cell"],
                "region": province.region if province else None,
                "estimate": row["estimate"],
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
                "rank": row["rank"],
                "rank_low": row["rank_low"],
                "rank_high": row["rank_high"],
                "n": row["n"],
                "unstable": row["unstable"],
                "change": None if moved_row is None else moved_row["change"],
                "change_significant": moved_row is not None and bool(moved_row["significant"]),
                "rank_change": rank_change,  # on the previous year's point ranks
                "rank_change_text": None
                if phrase is None
                else {"vi": phrase.render("vi"), "en": phrase.render("en")},
            }
        )
    table.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0))
    return {
        "run": code,
        "year": run["year"],
        "geography": run["geography"],
        "derived": run["derived"],
        "synthetic": run["synthetic"],
        "previous": previous["code"] if previous else None,
        "national": national,
        "regions": sorted({p.region for p in provinces.values()}),
        "rows": table,
    }


def province_profile(db: Database, code: str, province: str) -> ProvinceProfile:
    """One province: every element against the national mean and the best province, its
    significant strengths and weaknesses, and its trend over the years on the same geography."""
    run = _run_info(db, code)
    provinces = _provinces(run["geography"])
    if province not in provinces:
        raise SipasError("public.unknown_province", province=province, geography=run["geography"])
    loaded = estimation.load_run(db, code)
    rows = loaded["rows"]
    names = indicator_names(loaded["framework"])
    wanted = ("component", "subindex", "index", "item")
    mine = {r["indicator"]: r for r in rows if r["cell"] == province and r["level"] in wanted}
    national = {
        r["indicator"]: r
        for r in rows
        if r["partition"] == "national"
        and r["level"] in wanted
        and r["cell"] == "mean_of_provinces"
    } or {r["indicator"]: r for r in rows if r["partition"] == "national" and r["level"] in wanted}
    best: dict[str, dict[str, Any]] = {}
    candidates = [
        r
        for r in rows
        if r["partition"] != "national" and r["level"] in wanted and r["estimate"] is not None
    ]
    for r in candidates:
        if r["indicator"] not in best or r["estimate"] > best[r["indicator"]]["estimate"]:
            best[r["indicator"]] = r
    verdicts = cached(db, "run_verdicts", code)
    elements: list[ProfileElement] = []
    items: list[ProfileElement] = []
    for indicator, row in mine.items():
        nat = national.get(indicator)
        top = best.get(indicator)
        gap = None if nat is None else row["estimate"] - nat["estimate"]
        tested = None if verdicts is None else verdicts.get((province, indicator))
        top_place = None if top is None else provinces.get(top["cell"])
        (items if row["level"] == "item" else elements).append(
            {
                "indicator": indicator,
                "name": names.get(indicator, {"vi": indicator, "en": indicator}),
                "level": row["level"],
                "estimate": row["estimate"],
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
                "national": None if nat is None else nat["estimate"],
                "best": None if top is None else top["estimate"],
                "best_province": None if top is None else top["cell"],
                "best_name": None
                if top is None
                else (top_place.name if top_place else top["cell"]),
                "gap": None if gap is None else round(gap, 4),
                # The one diagnosis (survey/diagnosis.py) against the national mean, in words.
                "verdict": "not tested" if tested is None else VERDICTS[tested],
            }
        )
    trend: list[TrendPoint] = []
    for other in sipas_runs(db):
        if other["geography"] != run["geography"]:
            continue
        for r in estimation.load_run(db, other["code"], level="index")["rows"]:
            if r["cell"] == province and r["indicator"] == INDEX:
                trend.append(
                    {
                        "year": other["year"],
                        "run": other["code"],
                        "derived": other["derived"],
                        "estimate": r["estimate"],
                        "ci_low": r["ci_low"],
                        "ci_high": r["ci_high"],
                    }
                )
    trend.sort(key=lambda t: (t["year"], t["derived"]))
    return {
        "run": code,
        "year": run["year"],
        "geography": run["geography"],
        "synthetic": run["synthetic"],
        "province": province,
        "name": provinces[province].name,
        "region": provinces[province].region,
        "elements": elements,
        "items": items,
        "trend": trend,
        "rule": "strength/weakness: differs from the national mean at 5%, tested with the "
        "replicate SE of the difference (the province is inside the mean); the same diagnosis "
        "as the reports and `sipas estimate --show diagnosis`",
    }


def _framework_title(db: Database, campaign: str) -> dict[str, str]:
    """The title of a campaign's framework in both languages (what a reader is shown, never
    its id)."""
    with db.engine.connect() as connection:
        title = open_campaign(connection, campaign).framework.title
    return {"vi": title.vi, "en": title.en}


def _par_areas(db: Database, campaign: str) -> list[ParArea]:
    """The scored areas of a campaign's framework: code and name in both languages."""
    with db.engine.connect() as connection:
        framework = open_campaign(connection, campaign).framework
    return [
        {"code": n.code, "name": {"vi": n.name.vi, "en": n.name.en}}
        for n in framework.scored_nodes()
    ]


def par_campaigns(db: Database) -> list[ParCampaign]:
    """Final PAR campaigns, newest first: only final results are public."""
    return sorted(
        (
            {**c, "framework_title": _framework_title(db, c["code"])}
            for c in par_api.list_campaigns(db)
            if c["stage"] == "final"
        ),
        key=lambda c: (-c["year"], c["code"]),
    )


def par_ranking(db: Database, campaign: str, region: str | None = None) -> ParRanking:
    shown = par_api.results(db, campaign)
    geography = par_api.show_campaign(db, campaign)
    provinces = _provinces("63" if shown["year"] < 2025 else "34")
    rows = []
    for unit in shown["units"]:
        province = provinces.get(unit["unit"])
        if region and (province is None or province.region != region):
            continue
        rows.append({**unit, "region": province.region if province else None})
    return {
        **shown,
        "units": rows,
        "regions": sorted({p.region for p in provinces.values()}),
        "stage": geography["stage"],
        "framework_title": _framework_title(db, campaign),
        "areas": _par_areas(db, campaign),
    }


_VIEWS: dict[str, Callable[..., Any]] = {
    "sipas_runs": sipas_runs,
    "sipas_ranking": sipas_ranking,
    "province_profile": province_profile,
    "run_verdicts": run_verdicts,
    "par_campaigns": par_campaigns,
    "par_ranking": par_ranking,
}
