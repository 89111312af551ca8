"""Method sensitivity of a saved run's ranks, for callers: the survey behind the run is read
again so that the item rule's threshold can be varied; the sampling side comes from the same
bootstrap replicates as the run's rank intervals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sipas.api.estimation import Outcome, on_34_provinces, outcome_of_run
from sipas.frameworks import SurveyFramework
from sipas.frameworks.model import IndexNode
from sipas.store import Database
from sipas.store import surveys as survey_store
from sipas.survey.sensitivity import Choices, Sensitivity, competition_ranks, sensitivity

__all__ = ["Choices", "RunSensitivity", "outcome_sensitivity", "rank_chart", "run_sensitivity"]


@dataclass(frozen=True)
class RunSensitivity:
    run: str
    survey: str
    framework: str
    synthetic: bool
    names: dict[str, str]  # cell → name
    components: list[str]
    result: Sensitivity


def component_weights(framework: SurveyFramework) -> dict[str, float]:
    """Each leaf component's weight in the index under the framework's rule (an unweighted mean
    at every level: a node's weight is split equally among its children)."""
    weights: dict[str, float] = {}

    def visit(node: IndexNode, weight: float) -> None:
        if node.items:
            weights[node.code] = weight
            return
        children = node.children or []
        for child in children:
            visit(child, weight / len(children))

    visit(framework.satisfaction.index, 1.0)
    return weights


def component_values(
    frame: pd.DataFrame,
    framework: SurveyFramework,
    unit: str,
    weight: str,
    cells: list[str],
    top: set[int],
) -> np.ndarray:
    """Cells × leaf components: each component the mean of its items' weighted shares (percent)
    of valid answers in ``top`` — the framework's item and component rules with another
    threshold."""
    where = frame[unit].astype(str)
    w = pd.to_numeric(frame[weight], errors="coerce").to_numpy(float)
    components = _leaves(framework.satisfaction.index)
    out = np.full((len(cells), len(components)), np.nan)
    for j, node in enumerate(components):
        shares = []
        for item in node.items or []:
            answers = pd.to_numeric(frame[item], errors="coerce")
            valid = answers.notna().to_numpy()
            hit = answers.isin(top).to_numpy()
            numerator = pd.Series(w * hit * valid).groupby(where.to_numpy()).sum()
            denominator = pd.Series(w * valid).groupby(where.to_numpy()).sum()
            shares.append((100.0 * numerator / denominator).reindex(cells).to_numpy())
        out[:, j] = np.nanmean(np.vstack(shares), axis=0)
    return out


def _leaves(node: IndexNode) -> list[IndexNode]:
    if node.items:
        return [node]
    return [leaf for child in node.children or [] for leaf in _leaves(child)]


def run_sensitivity(db: Database, run_code: str, choices: Choices | None = None) -> RunSensitivity:
    outcome, run = outcome_of_run(db, run_code)
    survey = str(run["source"]).removeprefix("survey:")
    with db.engine.connect() as connection:
        frame = survey_store.load_responses(connection, survey)
    if run["derived"]:
        frame = on_34_provinces(frame)
    return outcome_sensitivity(outcome, frame, run_code, survey, bool(run["synthetic"]), choices)


def outcome_sensitivity(
    outcome: Outcome,
    frame: pd.DataFrame,
    run_code: str,
    survey: str,
    synthetic: bool,
    choices: Choices | None = None,
) -> RunSensitivity:
    """The method sensitivity of an estimate's ranks, ``frame`` the respondents it was made from
    (with its unit column): the item rule's threshold varied on them, the sampling side from the
    estimate's own replicates."""
    choices = choices or Choices()
    request = outcome.request
    framework = outcome.framework
    result = outcome.result
    unit = result.options.unit
    cells = list(result.cell_labels[unit])
    scale = sorted(int(o.code) for o in framework.scales[framework.satisfaction.scale].options)
    framework_top = set(framework.rules.top_box_codes)
    thresholds = {
        "framework": framework_top,
        "top1": {scale[-1]},
        "top3": set(scale[-3:]),
    }
    values = {
        name: component_values(frame, framework, request.unit, request.weight, cells, top)
        for name, top in thresholds.items()
    }
    weights = component_weights(framework)
    components = [node.code for node in _leaves(framework.satisfaction.index)]
    index_code = framework.satisfaction.index.code
    sampling = competition_ranks(result.replicate_values(unit, index_code))
    found = sensitivity(
        values, np.array([weights[c] for c in components]), cells, choices, sampling
    )
    return RunSensitivity(
        run=run_code,
        survey=survey,
        framework=framework.id,
        synthetic=synthetic,
        names={cell: outcome.unit_names.get(cell, cell) for cell in cells},
        components=components,
        result=found,
    )


def rank_chart(found: RunSensitivity, lang: str) -> bytes:
    """Each unit's rank range over method choices beside its sampling rank interval (PNG)."""
    from sipas.messages import text
    from sipas.reports.charts import RankRange, rank_ranges

    ranges = [
        RankRange(
            label=found.names[u.cell],
            rank=u.nominal_rank,
            method_low=u.rank_low,
            method_high=u.rank_high,
            sampling_low=u.sampling_low,
            sampling_high=u.sampling_high,
        )
        for u in found.result.units
    ]
    names = (text("sensitivity.legend.method", lang), text("sensitivity.legend.sampling", lang))
    return rank_ranges(ranges, names)
