"""How much of a rank is an artefact of method: the composite's choices varied by Monte Carlo,
next to the sampling uncertainty of the same rank (the uncertainty and sensitivity analysis of
composite indicators, as COINr does it).

The choices varied, each drawn uniformly per draw:

- the **item rule's threshold**: the framework's top boxes, the top box only, or the top three;
- the **weights** of the components in the index: the framework's (unweighted means at each
  level), equal across all components, or the framework's each multiplied by a random factor
  within ±``random_bound`` and normalised;
- the **aggregation**: arithmetic or geometric weighted mean of the components;
- **dropping one component** (or none), its weight shared out among the others.

For each unit: its nominal rank (the framework's choices), the median and the 5–95% range of its
rank over the draws, and the share of its rank's variance that comes from method rather than
sampling — ``var_method / (var_method + var_sampling)``, with the sampling variance from the
estimate's bootstrap replicates. For each choice: its first-order sensitivity index, the variance
of the mean rank given that choice over the total rank variance, pooled over the units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

THRESHOLDS = ("framework", "top1", "top3")
WEIGHTS = ("framework", "equal", "random")
AGGREGATIONS = ("arithmetic", "geometric")
FACTORS = ("threshold", "weights", "aggregation", "drop")


@dataclass(frozen=True)
class Choices:
    thresholds: tuple[str, ...] = THRESHOLDS
    weights: tuple[str, ...] = WEIGHTS
    aggregations: tuple[str, ...] = AGGREGATIONS
    drop: bool = True
    random_bound: float = 0.5
    draws: int = 1000
    seed: int = 20241


@dataclass(frozen=True)
class UnitSensitivity:
    cell: str
    nominal_index: float
    nominal_rank: int
    median_rank: float
    rank_low: float  # 5th percentile over the draws
    rank_high: float  # 95th percentile
    mean_shift: float  # mean |rank − nominal rank|
    method_variance: float
    sampling_variance: float | None
    sampling_low: float | None  # 2.5th percentile of the rank over the bootstrap replicates
    sampling_high: float | None  # 97.5th percentile
    method_share: float | None  # None without a sampling variance, or when both are zero


@dataclass(frozen=True)
class Sensitivity:
    units: list[UnitSensitivity]
    first_order: dict[str, float]  # factor → first-order sensitivity index (pooled)
    choices: Choices


def competition_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks of each column's rows on descending values, equal values sharing the best rank
    (1, 2, 2, 4); works on a vector or on units × draws."""
    matrix = values.reshape(len(values), -1)
    ranks = np.empty_like(matrix)
    for j in range(matrix.shape[1]):
        column = matrix[:, j]
        # 1 + the number of units strictly above (to 1e-9, as PAR and SIPAS ranks).
        ranks[:, j] = 1 + (column[None, :] > column[:, None] + 1e-9).sum(axis=1)
    return ranks.reshape(values.shape)


def aggregate(values: np.ndarray, weights: np.ndarray, how: str) -> np.ndarray:
    """Units × components → units: the weighted arithmetic or geometric mean (weights sum to 1)."""
    if how == "geometric":
        with np.errstate(divide="ignore"):
            logs = np.log(np.clip(values, 0.0, None))
        return np.asarray(np.exp(logs @ weights))
    return np.asarray(values @ weights)


def _weights(base: np.ndarray, scheme: str, bound: float, rng: np.random.Generator) -> np.ndarray:
    if scheme == "equal":
        chosen = np.ones_like(base)
    elif scheme == "random":
        chosen = base * rng.uniform(1.0 - bound, 1.0 + bound, size=base.shape)
    else:
        chosen = base.copy()
    return np.asarray(chosen / chosen.sum())


def sensitivity(
    values: Mapping[str, np.ndarray],
    base_weights: np.ndarray,
    cells: list[str],
    choices: Choices | None = None,
    sampling_ranks: np.ndarray | None = None,
) -> Sensitivity:
    """``values``: threshold → units × components (percent); ``base_weights``: the framework's
    weight of each component in the index; ``sampling_ranks``: units × replicates, the index's
    rank in each bootstrap replicate."""
    choices = choices or Choices()
    rng = np.random.default_rng(choices.seed)
    thresholds = [t for t in choices.thresholds if t in values]
    base = base_weights / base_weights.sum()
    n_components = len(base)
    drops = [-1, *range(n_components)] if choices.drop else [-1]
    levels = {
        "threshold": rng.integers(len(thresholds), size=choices.draws),
        "weights": rng.integers(len(choices.weights), size=choices.draws),
        "aggregation": rng.integers(len(choices.aggregations), size=choices.draws),
        "drop": rng.integers(len(drops), size=choices.draws),
    }
    indices = np.empty((len(cells), choices.draws))
    for d in range(choices.draws):
        matrix = values[thresholds[levels["threshold"][d]]]
        weights = _weights(base, choices.weights[levels["weights"][d]], choices.random_bound, rng)
        dropped = drops[levels["drop"][d]]
        if dropped >= 0:
            weights = weights.copy()
            weights[dropped] = 0.0
            weights /= weights.sum()
        indices[:, d] = aggregate(matrix, weights, choices.aggregations[levels["aggregation"][d]])
    ranks = competition_ranks(indices)
    nominal_index = aggregate(values["framework"], base, "arithmetic")
    nominal = competition_ranks(nominal_index)
    method_variance = ranks.var(axis=1)
    sampling_variance = sampling_ranks.var(axis=1) if sampling_ranks is not None else None
    units = []
    for i, cell in enumerate(cells):
        sampling = None if sampling_variance is None else float(sampling_variance[i])
        both = method_variance[i] + (sampling or 0.0)
        share = float(method_variance[i] / both) if sampling is not None and both > 0 else None
        units.append(
            UnitSensitivity(
                cell=cell,
                nominal_index=float(nominal_index[i]),
                nominal_rank=int(nominal[i]),
                median_rank=float(np.median(ranks[i])),
                rank_low=float(np.percentile(ranks[i], 5)),
                rank_high=float(np.percentile(ranks[i], 95)),
                mean_shift=float(np.abs(ranks[i] - nominal[i]).mean()),
                method_variance=float(method_variance[i]),
                sampling_variance=sampling,
                sampling_low=(
                    None if sampling_ranks is None else float(np.percentile(sampling_ranks[i], 2.5))
                ),
                sampling_high=(
                    None
                    if sampling_ranks is None
                    else float(np.percentile(sampling_ranks[i], 97.5))
                ),
                method_share=share,
            )
        )
    return Sensitivity(units, _first_order(ranks, levels), choices)


def _first_order(ranks: np.ndarray, levels: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Var(E[rank | factor]) / Var(rank), summed over units before dividing (pooled)."""
    total = ranks.var(axis=1).sum()
    out = {}
    for factor in FACTORS:
        chosen = levels[factor]
        explained = 0.0
        for level in np.unique(chosen):
            inside = chosen == level
            share = inside.mean()
            explained += (share * (ranks[:, inside].mean(axis=1) - ranks.mean(axis=1)) ** 2).sum()
        out[factor] = float(explained / total) if total > 0 else 0.0
    return out
