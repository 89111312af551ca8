"""Strengths and weaknesses: where a unit is significantly above or below the national mean, its
region's mean and the best unit, on every node of the index and every item — computed once here;
every surface (CLI, reports, web pages, JSON) reads this table.

Differences are tested with their replicate standard errors, so the covariance between a unit and a
national mean that includes it, is accounted for. A difference is significant when
|difference| > 1.96 × SE (two-sided 5% test). A unit without a standard error of its own (one lying
wholly in single-PSU strata) has none for its differences either: they are not tested.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sipas.survey.estimate import MEAN_OF_UNITS, NATIONAL, Z_95, SurveyEstimates, normal_p_value
from sipas.survey.replicates import ReplicateDesign

LEVELS = ("index", "subindex", "component", "item")  # every node of the tree, then its items


def _verdict(difference: np.ndarray, se: np.ndarray, above: str, below: str) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        significant = np.abs(difference) > Z_95 * se
    return np.where(
        significant & (difference > 0), above, np.where(significant, below, "not different")
    )


def _own_se(result: SurveyEstimates, unit: str, codes: list[str]) -> np.ndarray:
    """Units × indicators: whether the unit's own estimate has a standard error."""
    rows = result.table[result.table["partition"] == unit]
    grid = rows.pivot(index="cell", columns="indicator", values="se")
    se = np.asarray(grid.loc[list(result.cell_labels[unit]), codes], dtype=float)
    estimate = result.estimates(unit)[:, [result.indicators.index(c) for c in codes]]
    return np.asarray(np.isfinite(se) | ~np.isfinite(estimate))


def _p_values(difference: np.ndarray, se: np.ndarray) -> list[float]:
    return [
        normal_p_value(d / s) if s > 0 else np.nan
        for d, s in zip(difference.ravel(), se.ravel(), strict=True)
    ]


def diagnose(
    result: SurveyEstimates,
    cell: str | None = None,
    levels: tuple[str, ...] = LEVELS,
    regions: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per unit × indicator of the chosen levels (all units unless ``cell`` is given):
    the unit against the national mean, the best unit and, given ``regions`` (unit → region),
    the mean of its region's units — each difference with its replicate standard error."""
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
    has_se = _own_se(result, unit, codes)
    se_national = np.where(has_se, se_national, np.nan)
    se_best = np.where(has_se & has_se[best, np.arange(len(codes))][None, :], se_best, np.nan)
    vs_best = np.where(is_best, "best", _verdict(diff_best, se_best, "above", "below"))
    columns: dict[str, object] = {
        "cell": np.repeat(labels, len(codes)),
        "indicator": np.tile(codes, len(labels)),
        "level": np.tile([_level(result, c) for c in codes], len(labels)),
        "estimate": estimate.ravel(),
        "national": np.tile(national, len(labels)),
        "diff_national": diff_national.ravel(),
        "se_diff_national": se_national.ravel(),
        "p_national": _p_values(diff_national, se_national),
        "vs_national": _verdict(diff_national, se_national, "above", "below").ravel(),
        "best_cell": np.tile([labels[b] for b in best], len(labels)),
        "best": np.tile(estimate[best, np.arange(len(codes))], len(labels)),
        "diff_best": diff_best.ravel(),
        "se_diff_best": se_best.ravel(),
        "vs_best": vs_best.ravel(),
    }
    if regions is not None:
        columns.update(_versus_region(labels, estimate, replicates, regions, design, has_se))
    frame = pd.DataFrame(columns)
    if cell is not None:
        frame = frame[frame["cell"] == cell]
    return _ordered(frame, levels)


def _ordered(frame: pd.DataFrame, levels: tuple[str, ...]) -> pd.DataFrame:
    order = {level: i for i, level in enumerate(levels)}  # the index first, items last
    frame = frame.assign(_order=frame["level"].map(order))
    frame = frame.sort_values(["cell", "_order"], kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True)


def _versus_region(
    labels: list[str],
    estimate: np.ndarray,
    replicates: np.ndarray,
    regions: Mapping[str, str],
    design: ReplicateDesign,
    has_se: np.ndarray,
) -> dict[str, object]:
    """Each unit against the unweighted mean of its region's units (itself included, as the
    national mean includes it; the replicate differences carry that covariance)."""
    region_of = [regions.get(label) for label in labels]
    mean = np.full_like(estimate, np.nan)
    mean_replicates = np.full_like(replicates, np.nan)
    for region in {r for r in region_of if r is not None}:
        members = [i for i, r in enumerate(region_of) if r == region]
        with np.errstate(invalid="ignore"):
            mean[members] = np.nanmean(estimate[members], axis=0)
            mean_replicates[members] = np.nanmean(replicates[members], axis=0)
    difference = estimate - mean
    se = np.sqrt(design.variance(replicates - mean_replicates, difference))
    se = np.where(has_se, se, np.nan)
    return {
        "region": np.repeat(np.array(region_of, dtype=object), estimate.shape[1]),
        "region_mean": mean.ravel(),
        "diff_region": difference.ravel(),
        "se_diff_region": se.ravel(),
        "vs_region": _verdict(difference, se, "above", "below").ravel(),
    }


def compare_with_peers(
    result: SurveyEstimates,
    cell: str,
    peers: list[str],
    levels: tuple[str, ...] = LEVELS,
) -> pd.DataFrame:
    """``cell`` against the unweighted mean of ``peers`` (itself left out) on every indicator of
    the chosen levels, each difference with its replicate standard error."""
    unit = result.options.unit
    labels = list(result.cell_labels[unit])
    others = [labels.index(p) for p in peers if p in labels and p != cell]
    if cell not in labels or not others:
        return pd.DataFrame()
    chosen = [i for i, code in enumerate(result.indicators) if _level(result, code) in levels]
    codes = [result.indicators[i] for i in chosen]
    replicates = result.replicates[unit][:, chosen, :]
    estimate = result.estimates(unit)[:, chosen]
    mine = labels.index(cell)
    with np.errstate(invalid="ignore"):
        peer_mean = np.nanmean(estimate[others], axis=0)
        peer_replicates = np.nanmean(replicates[others], axis=0)
    difference = estimate[mine] - peer_mean
    se = np.sqrt(result.replicate_design.variance(replicates[mine] - peer_replicates, difference))
    se = np.where(_own_se(result, unit, codes)[mine], se, np.nan)
    frame = pd.DataFrame(
        {
            "cell": cell,
            "indicator": codes,
            "level": [_level(result, c) for c in codes],
            "estimate": estimate[mine],
            "peers_mean": peer_mean,
            "diff_peers": difference,
            "se_diff_peers": se,
            "p_peers": _p_values(difference, se),
            "vs_peers": _verdict(difference, se, "above", "below"),
            "peers": ", ".join(labels[i] for i in others),
        }
    )
    return _ordered(frame, levels)


def _level(result: SurveyEstimates, code: str) -> str:
    if code in result.tree.item_codes:
        return "item"
    return next(n.level for n in result.tree.nodes if n.code == code)
