"""What to improve first, for a province of a stored survey: its components' performance (the
estimate) against their importance (the expectations question, and a regression where the
framework has an overall question), with a quadrant chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from sipas.api.estimation import EstimateRequest, Outcome, estimate_stored_survey
from sipas.errors import SipasError
from sipas.frameworks import SurveyFramework, require_survey, resolve_framework
from sipas.geo import match_province
from sipas.store import Database
from sipas.store import surveys as survey_store
from sipas.survey.design import Design, design_from_frame
from sipas.survey.priorities import (
    Priority,
    Share,
    expectation_importance,
    medians,
    priorities_of,
    rank_priorities,
    regression_importance,
)
from sipas.survey.regression import Regression


@dataclass(frozen=True)
class ItemToImprove:
    item: str
    text: str
    node: str
    performance: float
    low: float
    high: float


@dataclass(frozen=True)
class PriorityReport:
    survey: str
    framework: str
    year: int
    cell: str
    name: str
    synthetic: bool
    provisional_links: bool
    components: list[Priority]
    names: dict[str, str]  # component and aspect codes → names in the chosen language
    aspects: dict[str, Share]
    medians: tuple[float, float] = (float("nan"), float("nan"))  # importance, performance
    items: list[ItemToImprove] = field(default_factory=list)  # of "improve first", worst first
    rule: str = (
        "importance: weighted share rating the aspect high priority (blanks left out); "
        "quadrants split at the province's medians; ranked by importance × (100 − performance)"
    )


def priorities(
    db: Database,
    survey_code: str,
    province: str,
    lang: str = "vi",
    replicates: int = 200,
    seed: int = 20241,
) -> PriorityReport:
    with db.engine.connect() as connection:
        survey = survey_store.get_survey(connection, survey_code)
    framework = require_survey(resolve_framework(survey["framework_id"]))
    request = EstimateRequest(
        framework=framework.id,
        weight="weight",
        psu="psu",
        strata="stratum",
        replicates=replicates,
        seed=seed,
    )
    outcome, _ = estimate_stored_survey(db, survey_code, request)
    with db.engine.connect() as connection:
        frame = survey_store.load_responses(connection, survey_code)
    inputs = priority_inputs(
        outcome, frame, survey_code, int(survey["year"]), bool(survey["synthetic"])
    )
    cell = _cell(province, set(inputs.cells), survey["reference_date"], survey_code)
    return priorities_for(inputs, cell, lang)


@dataclass(frozen=True)
class PriorityInputs:
    """What every unit's priorities share: the estimate (performance), the respondents and their
    design (importance), and the survey-wide regression importance, computed once."""

    outcome: Outcome
    frame: pd.DataFrame
    design: Design
    cells: pd.Series
    regression: Regression | None
    survey: str
    year: int
    synthetic: bool


def priority_inputs(
    outcome: Outcome, frame: pd.DataFrame, survey: str, year: int, synthetic: bool
) -> PriorityInputs:
    """The shared part of the priorities of an estimate's units (``frame``: the respondents the
    estimate was made from, with its unit column). Raises ``priorities.*`` errors when the
    framework or the data has no expectations question."""
    framework = outcome.framework
    priorities_of(framework)
    request = outcome.request
    design = design_from_frame(frame, request.design_columns())
    return PriorityInputs(
        outcome=outcome,
        frame=frame,
        design=design,
        cells=frame[request.unit].astype(str),
        regression=regression_importance(frame, design, framework),
        survey=survey,
        year=year,
        synthetic=synthetic,
    )


def priorities_for(inputs: PriorityInputs, cell: str, lang: str = "vi") -> PriorityReport:
    """One unit's components placed by importance and performance, and its items to improve."""
    outcome, framework, frame = inputs.outcome, inputs.outcome.framework, inputs.frame
    aspects = expectation_importance(frame, inputs.design, framework, inputs.cells, cell)
    table = outcome.result.table
    partition = outcome.request.unit
    components = rank_priorities(
        table, framework, aspects, cell, partition=partition, regression=inputs.regression
    )
    names = {node.code: node.name.get(lang) for node in framework.leaf_components()}
    chosen = framework.priorities
    question = next(q for q in framework.questions if q.code == chosen.expectation_question)  # type: ignore[union-attr]
    names.update({item.code: item.text.get(lang) for item in question.items or []})
    return PriorityReport(
        survey=inputs.survey,
        framework=framework.id,
        year=inputs.year,
        cell=cell,
        name=outcome.unit_names.get(cell, cell),
        synthetic=inputs.synthetic,
        provisional_links=bool(chosen.provisional) if chosen else True,
        components=components,
        names=names,
        aspects=aspects,
        medians=medians(components),
        items=_items(table, framework, components, cell, lang, partition),
    )


def _cell(asked: str, cells: set[str], on: date, survey: str) -> str:
    if asked in cells:
        return asked
    try:
        found = match_province(asked, on).code
    except SipasError:
        found = None
    if found in cells:
        return str(found)
    raise SipasError("priorities.unknown_cell", cell=asked, survey=survey)


def _items(
    table: pd.DataFrame,
    framework: SurveyFramework,
    components: list[Priority],
    cell: str,
    lang: str,
    partition: str = "province",
) -> list[ItemToImprove]:
    first = {p.node for p in components if p.quadrant == "improve_first"}
    texts = {item.code: item.text.get(lang) for item in framework.satisfaction.items}
    rows = table[(table["partition"] == partition) & (table["cell"] == cell)].set_index("indicator")
    out = []
    for node in framework.leaf_components():
        if node.code not in first:
            continue
        for item in node.items or []:
            if item in rows.index:
                row = rows.loc[item]
                out.append(
                    ItemToImprove(
                        item,
                        texts.get(item, item),
                        node.code,
                        float(row["estimate"]),
                        float(row["ci_low"]),
                        float(row["ci_high"]),
                    )
                )
    return sorted(out, key=lambda i: i.performance)


def priority_chart(report: PriorityReport, lang: str) -> bytes:
    """The importance–performance chart (PNG) of a report: the components whose importance is
    known, "improve first" in the accent colour, the quadrant lines at the medians."""
    from sipas.messages import text
    from sipas.reports.charts import QuadrantPoint, quadrant
    from sipas.reports.format import number

    points = [
        QuadrantPoint(
            label=report.names[p.node],
            performance=p.performance,
            performance_low=p.performance_low,
            performance_high=p.performance_high,
            importance=p.importance,
            importance_se=p.importance_se or 0.0,
            highlight=p.quadrant == "improve_first",
        )
        for p in report.components
        if p.importance is not None
    ]
    return quadrant(
        points,
        report.medians,
        lambda x: number(x, lang, 0),
        (text("priorities.axis.importance", lang), text("priorities.axis.performance", lang)),
        text("priorities.quadrant.improve_first", lang),
    )
