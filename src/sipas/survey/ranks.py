"""Ranks with 95% rank intervals.

A point rank orders units by their published value (rounded to the framework's decimals, ties
sharing the better rank). Its uncertainty comes from the replicates: with the bootstrap, each
replicate ranks the units again and the 2.5% and 97.5% points of a unit's replicate ranks bound its
rank; with a jackknife (whose replicates are too close together to rank), units are ranked in
draws from a normal distribution with the replicate covariance. Two units whose rank intervals
overlap are not called different. A unit without a standard error has no rank interval.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.survey.estimate import SurveyEstimates
from sipas.survey.replicates import ReplicateMethod

NORMAL_DRAWS = 4000


def _descending_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks along the first axis, 1 = highest; NaN values get NaN."""
    filled = np.where(np.isnan(values), -np.inf, values)
    ranks = np.argsort(np.argsort(-filled, axis=0, kind="stable"), axis=0) + 1.0
    return np.where(np.isnan(values), np.nan, ranks)


def _point_ranks(values: np.ndarray, decimals: int) -> np.ndarray:
    """1 + the number of units with a higher published (rounded) value: ties share a rank."""
    rounded = np.round(values, decimals)
    higher = (rounded[None, :] > rounded[:, None]).sum(axis=1)
    return np.where(np.isfinite(rounded), 1.0 + higher, np.nan)


def _draws(
    result: SurveyEstimates, partition: str, indicator: str, estimate: np.ndarray
) -> np.ndarray:
    """Units × draws of the indicator whose ranks give the rank intervals."""
    replicates = result.replicate_values(partition, indicator)
    design = result.replicate_design
    if design.options.method is ReplicateMethod.BOOTSTRAP:
        return replicates
    valid = np.isfinite(replicates).all(axis=0)
    centred = replicates[:, valid] - replicates[:, valid].mean(axis=1, keepdims=True)
    covariance = (centred * design.rscales[valid]) @ centred.T * design.scale
    rng = np.random.default_rng([design.options.seed, 11])
    finite = np.isfinite(estimate)
    draws = np.full((len(estimate), NORMAL_DRAWS), np.nan)
    draws[finite] = rng.multivariate_normal(
        estimate[finite], covariance[np.ix_(finite, finite)], NORMAL_DRAWS, method="eigh"
    ).T
    return draws


def rank_table(
    result: SurveyEstimates, indicator: str | None = None, partition: str | None = None
) -> pd.DataFrame:
    """Units ranked on one indicator (the index by default) with 95% rank intervals."""
    partition = partition or result.options.unit
    indicator = indicator or result.tree.nodes[0].code
    if indicator not in result.indicators:
        raise SipasError(
            "survey.unknown_indicator",
            indicator=indicator,
            framework=result.framework_id,
            known=[n.code for n in result.tree.nodes],
        )
    labels = result.cell_labels[partition]
    rows = (
        result.table[
            (result.table["partition"] == partition) & (result.table["indicator"] == indicator)
        ]
        .set_index("cell")
        .loc[list(labels)]
    )
    estimate = rows["estimate"].to_numpy(dtype=float)
    draws = _draws(result, partition, indicator, estimate)
    replicate_ranks = _descending_ranks(draws)
    with warnings.catch_warnings():  # a unit with no value at all has no rank interval
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanquantile(replicate_ranks, 0.025, axis=1, method="inverted_cdf")
        high = np.nanquantile(replicate_ranks, 0.975, axis=1, method="inverted_cdf")
    # A unit without a standard error (wholly in single-PSU strata) has no rank interval either:
    # its replicates do not vary, which would give it a falsely narrow one.
    no_se = ~np.isfinite(rows["se"].to_numpy(dtype=float))
    low = np.where(no_se, np.nan, low)
    high = np.where(no_se, np.nan, high)
    table = pd.DataFrame(
        {
            "cell": list(labels),
            "indicator": indicator,
            "estimate": estimate,
            "se": rows["se"].to_numpy(),
            "ci_low": rows["ci_low"].to_numpy(),
            "ci_high": rows["ci_high"].to_numpy(),
            "n": rows["n"].to_numpy(),
            "rank": _point_ranks(estimate, result.decimals),
            "rank_low": low,
            "rank_high": high,
        }
    )
    table["clearly_above"] = [
        int(np.sum(table["rank_high"] < lo)) for lo in table["rank_low"]
    ]  # units whose whole interval lies above this one's
    table["clearly_below"] = [int(np.sum(table["rank_low"] > hi)) for hi in table["rank_high"]]
    return table.sort_values(["rank", "cell"]).reset_index(drop=True)


def different(table: pd.DataFrame, a: str, b: str) -> bool:
    """Whether two units' 95% rank intervals are disjoint (only then are they called different)."""
    rows = table.set_index("cell")
    first, second = rows.loc[a], rows.loc[b]
    return bool(first["rank_high"] < second["rank_low"] or second["rank_high"] < first["rank_low"])
