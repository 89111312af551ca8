"""The data of a year's reports, gathered once from the api: which saved run, its estimates,
the re-estimate that tests strengths and weaknesses, the series of earlier years, the change on
the previous year and the PAR results beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypedDict

import pandas as pd

from sipas.api.estimation import (
    ChangeView,
    EstimateRequest,
    change_view,
    diagnosis_view,
    estimate_stored_survey,
    load_run,
    on_34_provinces,
)
from sipas.api.par import results
from sipas.api.par.campaigns import open_campaign
from sipas.api.queries import published
from sipas.errors import SipasError
from sipas.frameworks import require_survey, resolve_framework
from sipas.geo.units import LAST_DAY_OF_63, REFORM_DAY, Province, provinces_on
from sipas.reports.format import LANGS, label
from sipas.store import Database
from sipas.store import estimates as estimate_store
from sipas.store import par as par_store
from sipas.store import surveys as survey_store
from sipas.survey import index_tree
from sipas.survey.diagnosis import diagnose

POOLED = "pooled"
INDEX = "SIPAS"
CONSISTENCY = (
    1e-3  # re-estimated and saved values must agree to this (saved values have 4 decimals)
)


class SavedRun(TypedDict):
    """A saved estimation run with the year, code and geography of the survey it came from."""

    code: str
    year: int | None
    survey: str | None
    geography: str | None  # "63" or "34"
    derived: bool  # estimated on the 34 provinces from a survey of the 63
    framework: str
    unit: str  # the partition that holds the provinces
    options: dict[str, Any]


# --- which runs ------------------------------------------------------------------------------


def saved_runs(db: Database) -> list[SavedRun]:
    """Saved runs with the year and geography of the survey they were estimated from."""
    with db.engine.connect() as connection:
        runs = estimate_store.list_runs(connection)
        surveys = {s["id"]: s for s in survey_store.list_surveys(connection)}
    found: list[SavedRun] = []
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


def choose_run(db: Database, year: int | None, run: str | None) -> SavedRun:
    """The run a report is about: named, or the one run of the year estimated as surveyed."""
    runs = saved_runs(db)
    if run is not None:
        for found in runs:
            if found["code"] == run:
                return found
        with db.engine.connect() as connection:
            estimate_store.get_run(connection, run)  # raises with the known codes
    if year is None:
        raise SipasError("report.no_year")
    chosen = [r for r in runs if r["year"] == year and not r["derived"]]
    if len(chosen) == 1:
        return chosen[0]
    if not chosen:
        years = sorted({r["year"] for r in runs if r["year"] is not None})
        if years:
            raise SipasError("report.no_run", year=year, years=years)
        raise SipasError("report.no_runs", year=year)
    raise SipasError(
        "report.several_runs", count=len(chosen), year=year, runs=[r["code"] for r in chosen]
    )


def _series(db: Database, current: SavedRun, year: int) -> list[SavedRun]:
    """One run per year up to the current one (of ``year``), on the current run's geography and
    framework."""
    by_year: dict[int, SavedRun] = {}
    for run in saved_runs(db):
        if (
            run["year"] is None
            or run["year"] > year
            or run["geography"] != current["geography"]
            or run["framework"] != current["framework"]
        ):
            continue
        kept = by_year.get(run["year"])
        if kept is None or (kept["derived"] and not run["derived"]):
            by_year[run["year"]] = run
    by_year[year] = current
    return [by_year[y] for y in sorted(by_year)]


# --- the year's context: everything a national or province report shows -----------------------


@dataclass
class YearContext:
    run: SavedRun
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
    change: ChangeView | None
    par: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)  # what every province's report shares
    # The ministry's published results of the year ("sipas", "par" → api.published.beside), shown
    # beside our estimates, labelled.
    published: dict[str, Any] = field(default_factory=dict)
    # The run estimated again (with its replicates) and the respondents it was estimated from:
    # what the method sensitivity and the priorities need; None without microdata.
    outcome: Any = None
    responses: pd.DataFrame | None = None
    day: date = LAST_DAY_OF_63  # the day the provinces' names and kinds are taken on

    @property
    def year(self) -> int:
        """The survey year of the run (a run without one is refused by :func:`year_context`)."""
        year = self.run["year"]
        if year is None:
            raise SipasError("report.no_survey", run=self.run["code"])
        return year


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


def _reestimate(db: Database, run: SavedRun, table: pd.DataFrame) -> Any:
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
            campaign=campaign,
            par_geography=str(chosen["geography"]),
            sipas_geography=geography,
        )
    found = results(db, campaign, with_nodes=True)
    with db.engine.connect() as connection:
        framework = open_campaign(connection, campaign).framework
    # The areas as a report names them (code and name), in place of their national summaries.
    return {
        **found,
        "areas": [
            {"code": n.code, "name": {"vi": n.name.vi, "en": n.name.en}}
            for n in framework.scored_nodes()
        ],
    }


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
        raise SipasError("report.bad_lang", lang=lang)
    chosen = choose_run(db, year, run)
    loaded = load_run(db, chosen["code"])
    table = pd.DataFrame(loaded["rows"])
    if chosen["year"] is None:
        raise SipasError("report.no_survey", run=chosen["code"])
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
    responses = None
    if outcome is not None:
        with db.engine.connect() as connection:
            # a run is re-estimated (outcome) only from its stored survey
            responses = survey_store.load_responses(connection, str(chosen["survey"]))
        if chosen["derived"]:
            responses = on_34_provinces(responses)
    series = _series(db, chosen, chosen["year"])
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
        published={
            index: published.beside(db, index, chosen["year"]) for index in ("sipas", "par")
        },
        outcome=outcome,
        responses=responses,
        day=_geography_day(chosen["geography"]),
    )
