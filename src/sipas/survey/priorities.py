"""What to improve first: each part of the index's performance against its importance.

- **Performance** is the estimate a run already made: an item's share satisfied, or a component's
  value, with its 95% confidence interval (read from the estimate table, never recomputed).
- **Importance from expectations**: the weighted share of respondents who rate an aspect of the
  expectations question "high priority" for improvement (blanks left out), with its Taylor
  standard error as a domain mean of the design. A component takes the mean share of the aspects
  the framework links to it; a component no aspect speaks to has no importance (shown as such).
- **Importance from an overall question**, where the framework has one: the coefficient of each
  component in a design-based regression of overall satisfaction on the respondents' component
  scores (:func:`sipas.survey.regression.svyglm_gaussian`, equal to R's ``svyglm``).

A component is "improve first" when its importance is at or above the median and its performance
below the median of the province's components whose importance is known (the importance–performance quadrant); the list is
ranked by importance × (100 − performance).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.frameworks.model import Priorities, SurveyFramework
from sipas.survey.design import Design
from sipas.survey.regression import Regression, svyglm_gaussian, total_covariance

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Share:
    estimate: float  # percent
    se: float
    n: int  # valid answers

    @property
    def ci(self) -> tuple[float, float]:
        return self.estimate - Z95 * self.se, self.estimate + Z95 * self.se


@dataclass(frozen=True)
class Priority:
    cell: str  # the province (or other unit)
    node: str  # component code
    performance: float
    performance_low: float
    performance_high: float
    importance: float | None  # percent asking for improvement; None: no aspect speaks to it
    importance_se: float | None
    aspects: tuple[str, ...]  # the expectation items behind the importance
    quadrant: str  # improve_first | keep_up | low_priority | possible_overkill | unknown
    score: float | None  # importance × (100 − performance) / 100: the order of the list
    coefficient: float | None = None  # regression importance, where the framework allows
    coefficient_se: float | None = None


def priorities_of(framework: SurveyFramework) -> Priorities:
    chosen = framework.priorities
    if chosen is None or chosen.expectation_question is None:
        raise SipasError("priorities.not_defined", framework=framework.id)
    nodes = {node.code for node in framework.leaf_components()}
    aspects = _aspect_codes(framework, chosen.expectation_question)
    for aspect, targets in chosen.links.items():
        unknown = [t for t in targets if t not in nodes]
        if aspect not in aspects or unknown:
            raise SipasError(
                "priorities.bad_link",
                framework=framework.id,
                aspect=aspect,
                nodes=unknown or targets,
            )
    return chosen


def _aspect_codes(framework: SurveyFramework, question: str) -> list[str]:
    found = next((q for q in framework.questions if q.code == question), None)
    if found is None or not found.items:
        raise SipasError(
            "priorities.bad_link", framework=framework.id, aspect=question, nodes=[question]
        )
    return [item.code for item in found.items]


def domain_share(
    design: Design, wanted: np.ndarray, valid: np.ndarray, domain: np.ndarray
) -> Share:
    """Weighted share (percent) of ``wanted`` among ``valid`` rows of ``domain``, with the Taylor
    standard error of a domain mean (R: ``svyby(~y, ~domain, design, svymean, na.rm = TRUE)``)."""
    use = valid & domain
    w = np.where(use, design.weight, 0.0)
    total = w.sum()
    if total <= 0:
        return Share(float("nan"), float("nan"), 0)
    y = wanted.astype(float)
    share = float((w * y).sum() / total)
    influence = (w * (y - share) / total)[:, None]
    variance = float(total_covariance(design, influence)[0, 0])
    return Share(100.0 * share, 100.0 * float(np.sqrt(variance)), int(use.sum()))


def expectation_importance(
    frame: pd.DataFrame,
    design: Design,
    framework: SurveyFramework,
    cells: pd.Series,
    cell: str,
) -> dict[str, Share]:
    """Each aspect of the expectations question → the share rating it high priority in ``cell``."""
    chosen = priorities_of(framework)
    high = np.asarray(chosen.high_priority_codes, dtype=float)
    domain = (cells.astype(str) == cell).to_numpy()
    out: dict[str, Share] = {}
    for aspect in _aspect_codes(framework, str(chosen.expectation_question)):
        if aspect not in frame.columns:
            raise SipasError("priorities.missing_column", column=aspect)
        answers = pd.to_numeric(frame[aspect], errors="coerce").to_numpy(dtype=float)
        valid = ~np.isnan(answers)
        out[aspect] = domain_share(design, np.isin(answers, high), valid, domain)
    return out


def component_scores(frame: pd.DataFrame, framework: SurveyFramework) -> pd.DataFrame:
    """Per respondent and component: the share of the component's answered items satisfied (0–1),
    NaN where none was answered — the predictors of the regression importance."""
    top = set(framework.rules.top_box_codes)
    out = {}
    for node in framework.leaf_components():
        answers = frame[list(node.items or [])].apply(pd.to_numeric, errors="coerce")
        satisfied = answers.isin(top).where(answers.notna())
        out[node.code] = satisfied.mean(axis=1, skipna=True)
    return pd.DataFrame(out, index=frame.index)


def regression_importance(
    frame: pd.DataFrame, design: Design, framework: SurveyFramework
) -> Regression | None:
    """Overall satisfaction on the component scores, where the framework names the question."""
    chosen = framework.priorities
    if chosen is None or chosen.overall_question is None:
        return None
    if chosen.overall_question not in frame.columns:
        raise SipasError("priorities.missing_column", column=chosen.overall_question)
    codes = sorted(int(o.code) for o in framework.scales[framework.satisfaction.scale].options)
    overall = pd.to_numeric(frame[chosen.overall_question], errors="coerce").to_numpy(float)
    y = (overall - codes[0]) / (codes[-1] - codes[0])
    scores = component_scores(frame, framework)
    return svyglm_gaussian(design, y, scores.to_numpy(float), tuple(scores.columns))


def rank_priorities(
    table: pd.DataFrame,
    framework: SurveyFramework,
    aspects: dict[str, Share],
    cell: str,
    partition: str = "province",
    regression: Regression | None = None,
) -> list[Priority]:
    """The cell's components with performance (from the estimate ``table``) and importance,
    their quadrant, most urgent first."""
    chosen = priorities_of(framework)
    linked: dict[str, list[str]] = {}
    for aspect, targets in chosen.links.items():
        for target in targets:
            linked.setdefault(target, []).append(aspect)
    rows = table[(table["partition"] == partition) & (table["cell"] == cell)].set_index("indicator")
    coefficients = (
        dict(zip(regression.names, zip(regression.coef, regression.se, strict=True), strict=True))
        if regression is not None
        else {}
    )
    found: list[Priority] = []
    for node in framework.leaf_components():
        if node.code not in rows.index:
            continue
        row = rows.loc[node.code]
        shares = [aspects[a] for a in linked.get(node.code, []) if a in aspects]
        coefficient = coefficients.get(node.code)
        found.append(
            Priority(
                cell=cell,
                node=node.code,
                performance=float(row["estimate"]),
                performance_low=float(row["ci_low"]),
                performance_high=float(row["ci_high"]),
                importance=float(np.mean([s.estimate for s in shares])) if shares else None,
                # The mean of k shares: its SE from theirs taken as independent (stated).
                importance_se=(
                    float(np.sqrt(sum(s.se**2 for s in shares)) / len(shares)) if shares else None
                ),
                aspects=tuple(linked.get(node.code, [])),
                quadrant="unknown",
                score=None,
                coefficient=None if coefficient is None else float(coefficient[0]),
                coefficient_se=None if coefficient is None else float(coefficient[1]),
            )
        )
    importance_median, performance_median = medians(found)
    placed = [_placed(p, importance_median, performance_median) for p in found]
    placed.sort(key=lambda p: (p.score is None, -(p.score or 0.0), p.node))
    return placed


def medians(found: list[Priority]) -> tuple[float, float]:
    """The quadrant lines: median importance and median performance of the components whose
    importance is known (those placed in the quadrant)."""
    known = [p for p in found if p.importance is not None]
    if not known:
        return float("nan"), float("nan")
    return (
        float(np.median([p.importance for p in known])),
        float(np.median([p.performance for p in known])),
    )


QUADRANTS = {
    (True, True): "improve_first",
    (True, False): "keep_up",
    (False, True): "low_priority",
    (False, False): "possible_overkill",
}


def _placed(found: Priority, importance_median: float, performance_median: float) -> Priority:
    if found.importance is None:
        return found
    quadrant = QUADRANTS[
        (found.importance >= importance_median, found.performance < performance_median)
    ]
    score = found.importance * (100.0 - found.performance) / 100.0
    return replace(found, quadrant=quadrant, score=score)
