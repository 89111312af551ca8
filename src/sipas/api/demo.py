"""The demo: a synthetic national data set built, saved and summarised in one call."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypedDict

import pandas as pd
from sqlalchemy.engine import make_url

from sipas.api import estimation, ingest, par
from sipas.api import service_index as service_index_api
from sipas.api.par.scores import SipasFilled
from sipas.errors import SipasError
from sipas.frameworks import load_builtin, require_par, require_survey
from sipas.frameworks.model import Method, SipasRubric
from sipas.geo import provinces_on
from sipas.geo.units import LAST_DAY_OF_63
from sipas.service_index.model import GRAINS
from sipas.store import Database, audit
from sipas.store import surveys as survey_store
from sipas.store.par import NewUnit
from sipas.survey import NATIONAL
from sipas.survey.estimate import headline_national_cell
from sipas.survey.ranks import rank_table
from sipas.synthetic import SyntheticDesign, fieldwork_window, survey_provinces
from sipas.synthetic.par import synthetic_par_round
from sipas.synthetic.survey import synthetic_province_survey

SYNTHETIC_LABEL = (
    "SYNTHETIC demo data — not official results / DỮ LIỆU GIẢ LẬP, không phải kết quả chính thức"
)
# A campaign's description is printed as it is in its reports, read in Vietnamese.
SYNTHETIC_DESCRIPTION = "DỮ LIỆU GIẢ LẬP, không phải kết quả chính thức"
DEMO_SURVEY_FRAMEWORK = "sipas-gen2"
DEMO_PAR_FRAMEWORK = "par-province-2017"
# The demo's PAR rounds on the 63 provinces: (year, framework). 2019 on the published areas of
# QĐ 2948; 2023 and 2024 on SYNTHETIC criteria under what is known of QĐ 876 and QĐ 892 (the
# provisional frameworks cannot be scored), so that SIPAS and PAR exist for the same years.
DEMO_PAR_ROUNDS = (
    (2019, DEMO_PAR_FRAMEWORK),
    (2023, "par-province-2022-demo"),
    (2024, "par-province-2024-demo"),
)
DEMO_ACTOR = par.Actor("sipas demo", "admin")
# The demo's notes and reasons are what a Vietnamese officer would read in its reports.
SYNTHETIC_EVIDENCE = "GIẢ LẬP: tự đánh giá mẫu, không có tài liệu kiểm chứng thật"
SYNTHETIC_APPRAISAL = "GIẢ LẬP: thẩm định mẫu điều chỉnh điểm tự đánh giá"
DEMO_PAR_YEAR = 2019  # a year in which QĐ 2948 (par-province-2017) was in force
SYNTHETIC_SURVEY = "SYNTHETIC: demo survey points, no real survey"
DEFAULT_YEARS = (2023, 2024, 2025)
REFORM_YEAR = 2025  # the first survey on the 34 provinces
DOSSIER_YEAR = 2025  # the year of the synthetic dossiers and their service index (QĐ 766)
DEMO_DOSSIERS = 200_000  # a few seconds to generate and score for every month, quarter and year

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class DemoOptions:
    seed: int = 20241
    years: tuple[int, ...] = DEFAULT_YEARS
    respondents_per_province: int = 580
    provinces: tuple[str, ...] | None = None  # codes; None = every province of each year
    dossiers: int = DEMO_DOSSIERS  # synthetic dossiers of DOSSIER_YEAR; 0 = no service index
    # Where the dossiers and their index go. None: the folder dossiers beside a SQLite database
    # file (the data folder, where the web app looks by default); no dossiers for a database in
    # memory or on a server, whose callers name the folder.
    dossier_folder: Path | None = None
    accounts: bool = True  # one account per role, its password printed once


class DemoSurvey(TypedDict):
    """A synthetic survey the demo stored: its year, provinces, respondents and villages."""

    survey: str
    year: int
    geography: str  # "63 provinces"
    respondents: int | None  # stored by the import
    villages: int


# A change the demo estimated between two runs; "from" is a Python keyword, hence this form.
DemoChange = TypedDict(
    "DemoChange",
    {
        "from": str,
        "to": str,
        "scope": str,  # the national cell, or a count of provinces up and down
        "change": float | None,
        "se": float | None,
        "significant": bool | None,
    },
)


class DemoParRound(TypedDict):
    """A synthetic PAR round the demo scored to the end: its national mean and group counts."""

    campaign: str
    framework: str
    year: int
    units: int
    sipas_from: str  # the SIPAS run its survey leaves were filled from, or ""
    mean_total: float | None
    groups: dict[str, int]


class DemoServiceIndex(TypedDict):
    """The synthetic dossiers the demo wrote and scored, and where the results are."""

    folder: str
    dossiers: int
    periods: int
    first: str  # the first agency of the year and its total
    results: str


class DemoAccount(TypedDict):
    """A web account the demo made, with its new password (shown once, never stored)."""

    name: str
    role: str
    province: str
    password: str


class DemoReport(TypedDict):
    """What the demo stored, as data: surveys, estimates (one row per run, with the index's own
    column), changes, PAR rounds, the service index and the accounts."""

    database: str
    seed: int
    label: str
    surveys: list[DemoSurvey]
    estimates: list[dict[str, Any]]
    change: list[DemoChange]
    par: list[DemoParRound]
    service_index: DemoServiceIndex | None
    accounts: list[DemoAccount]


@dataclass
class DemoSummary:
    database: str
    seed: int
    label: str = SYNTHETIC_LABEL
    surveys: list[DemoSurvey] = field(default_factory=list)
    # One row per run; the headline column is named after the index (e.g. "SIPAS").
    estimates: list[dict[str, Any]] = field(default_factory=list)
    change: list[DemoChange] = field(default_factory=list)
    par: list[DemoParRound] = field(default_factory=list)
    service_index: DemoServiceIndex | None = None
    # One account per role of the web app, with a fresh password (shown once, never stored).
    accounts: list[DemoAccount] = field(default_factory=list)

    def to_dict(self) -> DemoReport:
        return {
            "database": self.database,
            "seed": self.seed,
            "label": self.label,
            "surveys": self.surveys,
            "estimates": self.estimates,
            "change": self.change,
            "par": self.par,
            "service_index": self.service_index,
            "accounts": self.accounts,
        }


def run_demo(db: Database, options: DemoOptions, progress: Progress | None = None) -> DemoSummary:
    """Generate and store the synthetic surveys and PAR round, replacing an earlier demo."""
    framework = require_survey(load_builtin(DEMO_SURVEY_FRAMEWORK))
    design = SyntheticDesign(respondents_per_province=options.respondents_per_province)
    summary = DemoSummary(database=db.display_url, seed=options.seed)
    folder = _dossier_folder(db, options)
    if options.dossiers > 0 and folder is not None:
        _check_dossier_folder(folder)  # refused before anything is written, not after
    for year in options.years:
        day = fieldwork_window(year)[0]
        chosen = [p for p in survey_provinces(year) if _wanted(p.code, options)]
        code = f"demo-sipas-{year}"
        with db.begin() as connection:
            survey_store.create_survey(
                connection,
                code=code,
                framework_id=framework.id,
                framework_version=framework.version,
                year=year,
                geography=chosen[0].geography if chosen else "",
                reference_date=day,
                synthetic=True,
                description=SYNTHETIC_LABEL,
                replace=True,
            )
            frames = []
            for done, p in enumerate(chosen, start=1):
                frames.append(synthetic_province_survey(framework, p, year, design, options.seed))
                if progress:
                    progress(f"SIPAS {year}", done, len(chosen) + 1)
            # The generated answers go in through the same validation as a clerk's file.
            report = ingest.import_frame(
                db,
                pd.concat(frames, ignore_index=True),
                framework,
                code,
                source="sipas demo",
                period=fieldwork_window(year),
                connection=connection,
            )
            if report.quarantined:
                raise RuntimeError(f"the demo's own data failed validation: {report.summary()}")
            written = report.inserted
            if progress:
                progress(f"SIPAS {year}", len(chosen) + 1, len(chosen) + 1)
            audit.record(
                connection,
                actor="sipas demo",
                action="survey.create",
                entity="survey",
                entity_id=code,
                after={"respondents": written, "provinces": len(chosen), "synthetic": True},
            )
        summary.surveys.append(
            {
                "survey": code,
                "year": year,
                "geography": f"{len(chosen)} provinces",
                "respondents": written,
                "villages": len(chosen) * design.villages_per_province,
            }
        )
    _demo_estimates(db, options, summary, progress)
    for year, framework_id in DEMO_PAR_ROUNDS:
        summary.par.append(_demo_par(db, options, progress, year, framework_id))
    if options.dossiers > 0 and folder is not None:
        summary.service_index = _demo_service_index(folder, options, progress)
    if options.accounts:
        summary.accounts = _demo_accounts(db)
    return summary


# The demo's accounts: one per role; the officer works for Thái Nguyên (19).
DEMO_ACCOUNTS = (
    ("demo-admin", "admin", None),
    ("demo-analyst", "analyst", None),
    ("demo-officer", "officer", "19"),
    ("demo-appraiser", "appraiser", None),
    ("demo-clerk", "clerk", None),
)


def _demo_accounts(db: Database) -> list[DemoAccount]:
    """One account per role with a new random password each time the demo runs: a newcomer can
    sign in at once, and no password is written anywhere but the demo's own output."""
    import secrets

    from sipas.api import users

    made: list[DemoAccount] = []
    known = {u["name"] for u in users.list_users(db)}
    for name, role, province in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        if name in known:
            users.reset_password(db, name, password, by="sipas demo")
        else:
            users.create_user(db, name=name, role=role, password=password, province=province)
        made.append({"name": name, "role": role, "province": province or "", "password": password})
    return made


def _estimate_summary(run: str, year: int, outcome: estimation.Outcome) -> dict[str, Any]:
    result = outcome.result
    index = result.tree.nodes[0].code
    national = result.rows(NATIONAL, "index")
    headline = national[national["cell"] == headline_national_cell(result)].iloc[0]
    ranks = rank_table(result, index)
    top = ranks.iloc[0]
    return {
        "run": run,
        "year": year,
        "units": len(result.cell_labels[result.options.unit]),
        "derived": outcome.derived,
        index: round(float(headline["estimate"]), 2),
        "95% CI": f"{headline['ci_low']:.2f}–{headline['ci_high']:.2f}",
        "first": f"{outcome.unit_names.get(str(top['cell']), top['cell'])} {top['estimate']:.2f}"
        f" (rank {int(top['rank_low'])}–{int(top['rank_high'])})",
    }


def _demo_estimates(
    db: Database, options: DemoOptions, summary: DemoSummary, progress: Progress | None
) -> None:
    """Estimate each demo survey (and 2024 again on the 34 provinces) and save the results."""
    request = estimation.EstimateRequest(
        framework=DEMO_SURVEY_FRAMEWORK,
        weight="weight",
        psu="psu",
        strata="stratum",
        unit="province",
        seed=options.seed,
    )
    jobs = [(year, False) for year in options.years]
    if REFORM_YEAR in options.years:  # the earlier years again on the 34 provinces: a series
        jobs += [(year, True) for year in options.years if year < REFORM_YEAR]
    for year, on_34 in jobs:
        run = f"demo-sipas-{year}" + ("-on-34" if on_34 else "")

        def step(stage: str, done: int, total: int, year: int = year, on_34: bool = on_34) -> None:
            if progress:
                progress(f"estimate {year}" + (" on 34" if on_34 else ""), done, total)

        outcome, survey_id = estimation.estimate_stored_survey(
            db, f"demo-sipas-{year}", request, step, geography_34=on_34
        )
        estimation.save_outcome(db, run, outcome, survey_id=survey_id, replace=True)
        summary.estimates.append(_estimate_summary(run, year, outcome))
    if (REFORM_YEAR - 1, True) in jobs:
        before, after = f"demo-sipas-{REFORM_YEAR - 1}-on-34", f"demo-sipas-{REFORM_YEAR}"
        change = estimation.change_view(db, before, after, level="index")
        for row in change["rows"]:
            if row["partition"] == NATIONAL:
                summary.change.append(
                    {
                        "from": before,
                        "to": after,
                        "scope": f"national ({row['cell']})",
                        "change": row["change"],
                        "se": row["se_change"],
                        "significant": row["significant"],
                    }
                )
        units = [r for r in change["rows"] if r["partition"] != NATIONAL]
        up = sum(1 for r in units if r["significant"] and r["change"] > 0)
        down = sum(1 for r in units if r["significant"] and r["change"] < 0)
        summary.change.append(
            {
                "from": before,
                "to": after,
                "scope": f"provinces: {up} significantly up, {down} down,"
                f" {len(units) - up - down} no significant change",
                "change": None,
                "se": None,
                "significant": None,
            }
        )


def _wanted(code: str, options: DemoOptions) -> bool:
    return options.provinces is None or code in options.provinces


def _demo_par(
    db: Database,
    options: DemoOptions,
    progress: Progress | None,
    year: int = DEMO_PAR_YEAR,
    framework_id: str = DEMO_PAR_FRAMEWORK,
) -> DemoParRound:
    """A full PAR round through the same api a ministry uses: self-assessment, survey leaves,
    lock, appraisal with reasons, final scores and results. A leaf fed by SIPAS takes the
    demo's own SIPAS run of the year when the round and the run are on the same provinces."""
    framework = require_par(load_builtin(framework_id))
    provinces = [p for p in provinces_on(LAST_DAY_OF_63) if _wanted(p.code, options)]
    scores = synthetic_par_round(framework, provinces, year, options.seed)
    code = f"demo-par-{year}"
    units: list[NewUnit] = [
        {"unit_code": p.code, "name": p.name, "kind": "province", "province_code": p.code}
        for p in provinces
    ]
    par.create_campaign(
        db,
        DEMO_ACTOR,
        code=code,
        framework=framework.id,
        year=year,
        units=units,
        description=SYNTHETIC_DESCRIPTION,
        synthetic=True,
        replace=True,
    )
    by_stage = {
        stage: frame.set_index(["unit_code", "node_code"])["points"]
        for stage, frame in scores.groupby("stage")
    }
    claimed, final = by_stage["self"], by_stage["final"]
    surveyed = {leaf.code for leaf in framework.leaves() if leaf.method is Method.SURVEY}
    fed = {leaf.code for leaf in framework.leaves() if isinstance(leaf.rubric, SipasRubric)}
    run = f"demo-sipas-{year}"
    from_run = bool(fed) and options.provinces is None and year in options.years
    filled: SipasFilled = {"campaign": code, "run": run, "filled": 0, "missing": []}
    if from_run:
        filled = par.fill_from_sipas(db, DEMO_ACTOR, code, run)
    missing = {tuple(m.split("/")) for m in filled["missing"]}
    steps = [
        (
            "self",
            [
                _entry(key, points, note=SYNTHETIC_EVIDENCE)
                for key, points in claimed.items()
                if key[1] not in surveyed
            ],
        ),
        (
            "survey",
            [
                _entry(key, points, note=SYNTHETIC_SURVEY)
                for key, points in final.items()
                if key[1] in surveyed and (key[1] not in fed or not from_run or key in missing)
            ],
        ),
        (
            "appraisal1",
            [
                _entry(key, points, reason=SYNTHETIC_APPRAISAL)
                for key, points in final.items()
                if key[1] not in surveyed and abs(points - claimed[key]) > 1e-9
            ],
        ),
    ]
    stage_name = f"PAR {year}"
    for number, (stage, entries) in enumerate(steps, start=1):
        if stage == "appraisal1":
            par.advance(db, DEMO_ACTOR, code, stage)
        if entries:
            par.write_scores(db, DEMO_ACTOR, code, stage, entries)
        if progress:
            progress(stage_name, number, len(steps) + 1)
    for stage in ("explanation", "appraisal2", "final"):
        par.advance(db, DEMO_ACTOR, code, stage)
    result = par.results(db, code)
    if progress:
        progress(stage_name, len(steps) + 1, len(steps) + 1)
    return {
        "campaign": code,
        "framework": framework.id,
        "year": year,
        "units": len(units),
        "sipas_from": run if from_run and filled["filled"] else "",
        "mean_total": result["national"]["mean_index"],
        "groups": result["national"]["group_counts"],
    }


def _entry(key: tuple[str, str], points: float, **text: str) -> dict[str, Any]:
    unit, node = key
    return {"unit": unit, "node": node, "points": float(points), **text}


def _dossier_folder(db: Database, options: DemoOptions) -> Path | None:
    """The demo's dossiers go where it is told, else beside its SQLite database file."""
    if options.dossier_folder is not None:
        return options.dossier_folder
    database = make_url(db.url).database if db.dialect == "sqlite" else None
    if not database or database == ":memory:":
        return None
    return Path(database).expanduser().parent / "dossiers"


def _clear_synthetic_dataset(folder: Path) -> None:
    """Remove an earlier demo's dossiers; refuse to touch a folder holding anything else."""
    if _check_dossier_folder(folder):
        shutil.rmtree(folder)


def _check_dossier_folder(folder: Path) -> bool:
    """Whether ``folder`` holds an earlier demo's dossiers (False: absent or empty); refused
    when it holds anything else."""
    if not folder.exists() or not any(folder.iterdir()):
        return False
    marker = folder / "DATASET.json"
    synthetic = False
    if marker.is_file():
        try:
            synthetic = bool(json.loads(marker.read_text(encoding="utf-8")).get("synthetic"))
        except (ValueError, AttributeError):
            synthetic = False
    if not synthetic:
        raise SipasError("demo.dossier_folder", folder=folder)
    return True


def _demo_service_index(
    folder: Path, options: DemoOptions, progress: Progress | None
) -> DemoServiceIndex:
    """Synthetic dossiers of the year and their service index (QĐ 766) for each month, each
    quarter and the year, stored where the web app reads them."""
    stage = f"service index {DOSSIER_YEAR}"
    steps = 1 + len(GRAINS)
    _clear_synthetic_dataset(folder)
    generated = service_index_api.generate_dossiers(
        folder,
        dossiers=options.dossiers,
        start=date(DOSSIER_YEAR, 1, 1),
        end=date(DOSSIER_YEAR, 12, 31),
        seed=options.seed,
    )
    if progress:
        progress(stage, 1, steps)
    periods: list[str] = []
    for done, grain in enumerate(GRAINS, start=2):
        # With the drill-down by procedure on every indicator: the web app's unit pages show it.
        result = service_index_api.compute_service_index(
            folder, str(DOSSIER_YEAR), each=grain, procedures=True
        )
        periods += result["periods"]
        if progress:
            progress(stage, done, steps)
    first = result["agencies"][0]  # the year's, computed last
    return {
        "folder": str(folder),
        "dossiers": generated["dossiers"],
        "periods": len(periods),
        "first": f"{first['unit']} {first['total']:.2f}",
        "results": result["results"],
    }
