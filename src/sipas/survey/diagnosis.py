"""Strengths and weaknesses: where a unit is significantly above or below the national mean and
how far it stands from the best unit, item by item and component by component.

Differences are tested with their replicate standard errors, so the covariance between a unit and a
national mean that includes it, is accounted for. A difference is significant when
|difference| > 1.96 × SE (two-sided 5% test).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sipas.survey.estimate import MEAN_OF_UNITS, NATIONAL, Z_95, SurveyEstimates, normal_p_value

LEVELS = ("component", "item")


def _verdict(difference: np.ndarray, se: np.ndarray, above: str, below: str) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        significant = np.abs(difference) > Z_95 * se
    return np.where(
        significant & (difference > 0), above, np.where(significant, below, "not different")
    )


def diagnose(
    result: SurveyEstimates, cell: str | None = None, levels: tuple[str, ...] = LEVELS
) -> pd.DataFrame:
    """One row per unit × indicator of the chosen levels (all units unless ``cell`` is given)."""
    unit = result.options.unit
    labels = list(result.cell_labels[unit])
    chosen = [i for i, code in enumerate(result.indicators) if _level(result, code) in levels]
    replicates = result.replicates[unit][:, chosen, :]
    national_replicates = result.replicates[NATIONAL][
        result.cell_labels[NATIONAL].index(MEAN_OF_UNITS)
    ][chosen]
    codes = [result.indicators[i] for i in chosen]
    estimate = result.estimates(unit)[:, chosen]
    national_row = result.cell_labels[NATIONAL].index(MEAN_OF_UNITS)
    national = result.estimates(NATIONAL)[national_row, chosen]
    design = result.replicate_design
    diff_national = estimate - national[None, :]
    se_national = np.sqrt(design.variance(replicates - national_replicates[None], diff_national))
    best = np.nanargmax(np.where(np.isnan(estimate), -np.inf, estimate), axis=0)
    best_replicates = replicates[best, np.arange(len(codes))]  # indicators × replicates
    diff_best = estimate - estimate[best, np.arange(len(codes))][None, :]
    se_best = np.sqrt(design.variance(replicates - best_replicates[None], diff_best))
    is_best = np.arange(len(labels))[:, None] == best[None, :]
    vs_best = np.where(is_best, "best", _verdict(diff_best, se_best, "above", "below"))
    frame = pd.DataFrame(
        {
            "cell": np.repeat(labels, len(codes)),
            "indicator": np.tile(codes, len(labels)),
            "level": np.tile([_level(result, c) for c in codes], len(labels)),
            "estimate": estimate.ravel(),
            "national": np.tile(national, len(labels)),
            "diff_national": diff_national.ravel(),
            "se_diff_national": se_national.ravel(),
            "p_national": [
                normal_p_value(d / s) if s > 0 else np.nan
                for d, s in zip(diff_national.ravel(), se_national.ravel(), strict=True)
            ],
            "vs_national": _verdict(diff_national, se_national, "above", "below").ravel(),
            "best_cell": np.tile([labels[b] for b in best], len(labels)),
            "best": np.tile(estimate[best, np.arange(len(codes))], len(labels)),
            "diff_best": diff_best.ravel(),
            "se_diff_best": se_best.ravel(),
            "vs_best": vs_best.ravel(),
        }
    )
    if cell is not None:
        frame = frame[frame["cell"] == cell]
    order = {level: i for i, level in enumerate(levels)}  # components before their items
    frame = frame.assign(_order=frame["level"].map(order))
    frame = frame.sort_values(["cell", "_order"], kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True)


def _level(result: SurveyEstimates, code: str) -> str:
    if code in result.tree.item_codes:
        return "item"
    return next(n.level for n in result.tree.nodes if n.code == code)
