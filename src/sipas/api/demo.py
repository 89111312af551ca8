"""The demo: a synthetic national data set built, saved and summarised in one call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sipas.frameworks import load_builtin, require_par, require_survey
from sipas.geo import provinces_on
from sipas.geo.units import LAST_DAY_OF_63
from sipas.store import Database, audit
from sipas.store import par as par_store
from sipas.store import surveys as survey_store
from sipas.synthetic import SyntheticDesign, fieldwork_window, survey_provinces
from sipas.synthetic.par import synthetic_par_round
from sipas.synthetic.survey import synthetic_province_survey

SYNTHETIC_LABEL = (
    "SYNTHETIC demo data — not official results / DỮ LIỆU GIẢ LẬP, không phải kết quả chính thức"
)
DEMO_SURVEY_FRAMEWORK = "sipas-gen2"
DEMO_PAR_FRAMEWORK = "par-province-2017"
DEMO_PAR_YEAR = 2019  # a year in which QĐ 2948 (par-province-2017) was in force
DEFAULT_YEARS = (2023, 2024, 2025)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class DemoOptions:
    seed: int = 20241
    years: tuple[int, ...] = DEFAULT_YEARS
    respondents_per_province: int = 580
    provinces: tuple[str, ...] | None = None  # codes; None = every province of each year


@dataclass
class DemoSummary:
    database: str
    seed: int
    label: str = SYNTHETIC_LABEL
    surveys: list[dict[str, Any]] = field(default_factory=list)
    par: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "seed": self.seed,
            "label": self.label,
            "surveys": self.surveys,
            "par": self.par,
        }


def run_demo(db: Database, options: DemoOptions, progress: Progress | None = None) -> DemoSummary:
    """Generate and store the synthetic surveys and PAR round, replacing an earlier demo."""
    framework = require_survey(load_builtin(DEMO_SURVEY_FRAMEWORK))
    design = SyntheticDesign(respondents_per_province=options.respondents_per_province)
    summary = DemoSummary(database=db.display_url, seed=options.seed)
    profile = [q.code for q in framework.profile if q.code not in survey_store.DESIGN_COLUMNS]
    answers = framework.question_columns() + framework.item_codes()
    for year in options.years:
        day = fieldwork_window(year)[0]
        chosen = [p for p in survey_provinces(year) if _wanted(p.code, options)]
        code = f"demo-sipas-{year}"
        with db.begin() as connection:
            survey_id = survey_store.create_survey(
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
            written = 0
            for done, p in enumerate(chosen, start=1):
                frame = synthetic_province_survey(framework, p, year, design, options.seed)
                written += survey_store.add_responses(
                    connection, survey_id, frame, profile, answers
                )
                if progress:
                    progress(f"SIPAS {year}", done, len(chosen))
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
    summary.par.append(_demo_par(db, options, progress))
    return summary


def _wanted(code: str, options: DemoOptions) -> bool:
    return options.provinces is None or code in options.provinces


def _demo_par(db: Database, options: DemoOptions, progress: Progress | None) -> dict[str, Any]:
    framework = require_par(load_builtin(DEMO_PAR_FRAMEWORK))
    units = [p for p in provinces_on(LAST_DAY_OF_63) if _wanted(p.code, options)]
    scores = synthetic_par_round(framework, units, DEMO_PAR_YEAR, options.seed)
    code = f"demo-par-{DEMO_PAR_YEAR}"
    with db.begin() as connection:
        campaign_id = par_store.create_campaign(
            connection,
            code=code,
            framework_id=framework.id,
            framework_version=framework.version,
            year=DEMO_PAR_YEAR,
            geography="63",
            synthetic=True,
            description=SYNTHETIC_LABEL,
            replace=True,
        )
        par_store.add_scores(connection, campaign_id, scores.to_dict(orient="records"))
        audit.record(
            connection,
            actor="sipas demo",
            action="par.campaign.create",
            entity="par_campaign",
            entity_id=code,
            after={"units": len(units), "synthetic": True},
        )
    if progress:
        progress(f"PAR {DEMO_PAR_YEAR}", 1, 1)
    final = scores[scores["stage"] == "final"].groupby("unit_code")["points"].sum()
    return {
        "campaign": code,
        "framework": framework.id,
        "year": DEMO_PAR_YEAR,
        "units": len(units),
        "mean_total": round(float(final.mean()), 2) if len(final) else None,
    }
