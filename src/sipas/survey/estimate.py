"""Every published SIPAS number from response microdata, each with its uncertainty.

``estimate`` returns a :class:`SurveyEstimates`: one row per (partition, cell, indicator) with the
estimate, standard error, 95% confidence interval, valid answers, design effect, coefficient of
variation, effective sample size and an ``unstable`` flag, plus the replicate estimates that ranks,
diagnosis and comparisons are computed from.

Standard errors: item shares by Taylor linearisation (exactly R ``survey``'s ``svymean``);
components, sub-indices, the index and the national mean of provinces by replicate weights
(Rao–Wu bootstrap by default, or a jackknife), because they are non-linear functions of many items.

An estimate is flagged unstable when its effective sample size (valid answers / design effect) is
below 30, or its coefficient of variation (SE / estimate) is above 30%, or it rests on fewer than
30 valid answers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.frameworks.model import NationalRule, SurveyFramework
from sipas.survey.composites import Tree, index_tree
from sipas.survey.design import DesignColumns, LonelyPsu, design_from_frame, label_codes
from sipas.survey.engine import Cells, CellTotals, cell_totals, srs_variance
from sipas.survey.items import item_values
from sipas.survey.replicates import ReplicateDesign, ReplicateOptions, replicate_design

UNSTABLE_MIN_N = 30
UNSTABLE_MIN_EFFECTIVE_N = 30.0
UNSTABLE_MAX_CV = 0.30
Z_95 = 1.959963984540054  # the 97.5% point of the standard normal, as R's qnorm(0.975)

NATIONAL = "national"
MEAN_OF_UNITS = "mean_of_provinces"
POOLED = "pooled"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class EstimationOptions:
    unit: str = "province"  # the column whose cells are ranked (provinces, departments, communes)
    by: tuple[tuple[str, ...], ...] = ()  # further domains; each a tuple of columns crossed
    replicates: ReplicateOptions = field(default_factory=ReplicateOptions)
    lonely_psu: LonelyPsu = LonelyPsu.FAIL


COLUMNS = [
    "partition",
    "cell",
    "indicator",
    "level",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "n",
    "deff",
    "cv",
    "n_eff",
    "unstable",
    "se_method",
]


@dataclass
class SurveyEstimates:
    """Estimates for every cell of every partition, and the replicates behind them."""

    framework_id: str
    tree: Tree
    options: EstimationOptions
    national_rule: NationalRule
    decimals: int
    table: pd.DataFrame
    replicate_method: str
    # Per partition: cells × (items then nodes) × replicates, in percent; and the design behind it.
    replicates: dict[str, np.ndarray]
    cell_labels: dict[str, tuple[str, ...]]
    indicators: tuple[str, ...]  # item codes then node codes: the middle axis of `replicates`
    replicate_design: ReplicateDesign
    warnings: list[str] = field(default_factory=list)

    def rows(self, partition: str | None = None, level: str | None = None) -> pd.DataFrame:
        out = self.table
        if partition is not None:
            out = out[out["partition"] == partition]
        if level is not None:
            out = out[out["level"] == level]
        return out.reset_index(drop=True)

    def value(self, partition: str, cell: str, indicator: str, column: str = "estimate") -> float:
        hit = self.table[
            (self.table["partition"] == partition)
            & (self.table["cell"] == cell)
            & (self.table["indicator"] == indicator)
        ]
        if hit.empty:
            raise KeyError((partition, cell, indicator))
        return float(hit[column].iloc[0])

    def estimates(self, partition: str) -> np.ndarray:
        """cells × indicators (items then nodes) for one partition, cells as in ``cell_labels``."""
        rows = self.table[self.table["partition"] == partition]
        grid = rows.pivot(index="cell", columns="indicator", values="estimate")
        return np.asarray(grid.loc[list(self.cell_labels[partition]), list(self.indicators)], float)

    def replicate_values(self, partition: str, indicator: str) -> np.ndarray:
        """cells × replicates for one indicator of one partition."""
        return self.replicates[partition][:, self.indicators.index(indicator), :]

    def replicate_se(self, partition: str, indicator: str) -> np.ndarray:
        """Replicate-based standard error of one indicator in every cell of a partition.

        Items are reported with Taylor standard errors; this gives their replicate counterpart.
        """
        full = self.table[
            (self.table["partition"] == partition) & (self.table["indicator"] == indicator)
        ]
        order = {label: i for i, label in enumerate(self.cell_labels[partition])}
        estimate = np.full(len(order), np.nan)
        for cell, value in zip(full["cell"], full["estimate"], strict=True):
            estimate[order[cell]] = value
        thetas = self.replicate_values(partition, indicator)
        return np.asarray(np.sqrt(self.replicate_design.variance(thetas, estimate)))


def _partition(
    frame: pd.DataFrame, columns: Sequence[str], name: str, what: str = "domain"
) -> Cells:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        flag = "--unit" if what == "unit" else "--by"
        raise SipasError(
            "survey.missing_column",
            columns=missing,
            flag=flag,
            available=[str(c) for c in list(frame.columns)[:40]],
        )
    # Each column's distinct values are cleaned once (not every row), then crossed by number.
    combined = np.zeros(len(frame), dtype=np.int64)
    blank = np.zeros(len(frame), dtype=bool)
    label_lists: list[list[str]] = []
    for column in columns:
        codes, kept = label_codes(frame[column])
        blank |= codes < 0
        combined = combined * max(len(kept), 1) + np.maximum(codes, 0)
        label_lists.append(kept)
    present, cell = np.unique(np.where(blank, -1, combined), return_inverse=True)
    offset = 1 if len(present) and present[0] == -1 else 0
    labels = []
    for value in present[offset:]:
        parts = []
        for kept in reversed(label_lists):
            parts.append(kept[value % max(len(kept), 1)])
            value //= max(len(kept), 1)
        labels.append(" × ".join(reversed(parts)))
    return Cells(name, np.asarray(cell - offset, dtype=np.int64), tuple(labels))


def _stats_rows(
    partition: str,
    labels: Sequence[str],
    indicators: Sequence[str],
    levels: Sequence[str],
    estimate: np.ndarray,
    variance: np.ndarray,
    n: np.ndarray,
    deff: np.ndarray,
    se_methods: Sequence[str],
) -> pd.DataFrame:
    """One row per cell × indicator; arrays are cells × indicators, on the 0–100 scale."""
    cells, k = estimate.shape
    se = np.sqrt(variance)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = se / estimate
        n_eff = np.where(deff > 0, n / deff, n)
    unstable = (
        (n < UNSTABLE_MIN_N)
        | (np.nan_to_num(n_eff, nan=0.0) < UNSTABLE_MIN_EFFECTIVE_N)
        | (np.nan_to_num(cv, nan=0.0) > UNSTABLE_MAX_CV)
        | np.isnan(estimate)
    )
    return pd.DataFrame(
        {
            "partition": partition,
            "cell": np.repeat(np.asarray(labels, dtype=object), k),
            "indicator": np.tile(np.asarray(indicators, dtype=object), cells),
            "level": np.tile(np.asarray(levels, dtype=object), cells),
            "estimate": estimate.ravel(),
            "se": se.ravel(),
            "ci_low": np.clip(estimate - Z_95 * se, 0.0, 100.0).ravel(),
            "ci_high": np.clip(estimate + Z_95 * se, 0.0, 100.0).ravel(),
            "n": n.ravel().astype(np.int64),
            "deff": deff.ravel(),
            "cv": cv.ravel(),
            "n_eff": n_eff.ravel(),
            "unstable": unstable.ravel(),
            "se_method": np.tile(np.asarray(se_methods, dtype=object), cells),
        }
    )


def _node_deff(totals: CellTotals, variance: np.ndarray) -> np.ndarray:
    """Design effect of a composite: its variance over that of an SRS of respondents' node scores."""
    assert totals.scores is not None
    wsum, wsq, wn, n = totals.scores
    srs = srs_variance(n, wn, wsum, wsq)
    with np.errstate(invalid="ignore", divide="ignore"):
        deff = variance / srs
    return np.where((wn >= n) & (n > 1) & (srs > 0), deff, np.nan)


def _nanmean(values: np.ndarray) -> np.ndarray:
    """Mean over the first axis, ignoring NaN; NaN (without a warning) where nothing is left."""
    present = ~np.isnan(values)
    count = present.sum(axis=0)
    total = np.where(present, values, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def estimate(
    frame: pd.DataFrame,
    framework: SurveyFramework,
    columns: DesignColumns,
    options: EstimationOptions | None = None,
    progress: Progress | None = None,
) -> SurveyEstimates:
    """Estimate items, components, sub-indices and the index for units, the nation and domains."""
    options = options or EstimationOptions()
    design = design_from_frame(frame, columns, options.lonely_psu)
    values = item_values(frame, framework)
    tree = index_tree(framework)
    reps = replicate_design(design, options.replicates)
    unit = _partition(frame, [options.unit], options.unit, "unit")
    if unit.count == 0:
        raise SipasError("survey.no_units", column=options.unit)
    partitions = [unit, Cells(NATIONAL, np.zeros(len(frame), dtype=np.int64), (POOLED,))]
    warnings: list[str] = []
    for columns_by in options.by:
        name = " × ".join(columns_by)
        if name not in {p.name for p in partitions}:
            cells = _partition(frame, columns_by, name)
            if cells.count == 0:
                warnings.append(f"{name!r} is blank in every row: there are no estimates by it")
                continue
            partitions.append(cells)
    blank_units = int((unit.codes < 0).sum())
    if blank_units:
        warnings.append(
            f"{blank_units} respondents have no {options.unit!r}: they count in the national"
            " pooled estimate but in no unit"
        )

    def step(done: int, total: int) -> None:
        if progress:
            progress("estimate", done, total)

    weights = tree.item_weights()
    totals = cell_totals(design, values, partitions, reps, weights, step)

    item_codes = list(tree.item_codes)
    node_codes = tree.codes
    indicators = (*item_codes, *node_codes)
    levels = ["item"] * len(item_codes) + [n.level for n in tree.nodes]
    taylor = "taylor"
    rep_label = reps.options.label()
    frames: list[pd.DataFrame] = []
    replicates: dict[str, np.ndarray] = {}
    labels: dict[str, tuple[str, ...]] = {}
    srs_variance: dict[str, np.ndarray] = {}
    for t in totals:
        item_est = t.estimate * 100
        item_reps = t.replicate_estimates()
        assert item_reps is not None
        item_reps = item_reps * 100
        node_est = tree.combine(item_est[..., None])[..., 0]
        node_reps = tree.combine(item_reps)
        node_var = reps.variance(node_reps, node_est)
        item_var = t.taylor_var * 100**2
        node_deff = _node_deff(t, node_var / 100**2)
        item_deff = t.deff()
        estimate_all = np.concatenate([item_est, node_est], axis=1)
        variance_all = np.concatenate([item_var, node_var], axis=1)
        deff_all = np.concatenate([item_deff, node_deff], axis=1)
        assert t.scores is not None  # respondents with a defined score on each node
        n_all = np.concatenate([t.count, t.scores[3]], axis=1)
        methods = [taylor] * len(item_codes) + [rep_label] * len(node_codes)
        partition = t.cells.name
        frames.append(
            _stats_rows(
                partition,
                t.cells.labels,
                indicators,
                levels,
                estimate_all,
                variance_all,
                n_all,
                deff_all,
                methods,
            )
        )
        replicates[partition] = np.concatenate([item_reps, node_reps], axis=1)
        labels[partition] = t.cells.labels
        with np.errstate(invalid="ignore", divide="ignore"):
            srs_variance[partition] = variance_all / deff_all
        if partition == unit.name:
            empty = [
                (label, code)
                for label, row in zip(t.cells.labels, t.count, strict=True)
                for code, c in zip(item_codes, row, strict=True)
                if c == 0
            ]
            if empty:
                warnings.append(
                    f"{len(empty)} unit × item cells have no valid answers (e.g. {empty[0][0]}"
                    f" {empty[0][1]}): those items are left out of their components there"
                )

    # The national value as the ministry computes it: the unweighted mean of the units.
    unit_reps = replicates[unit.name]
    unit_rows = frames[0]
    unit_est = unit_rows["estimate"].to_numpy().reshape(unit.count, len(indicators))
    unit_n = unit_rows["n"].to_numpy().reshape(unit.count, len(indicators))
    mean_est = _nanmean(unit_est)[None, :]
    mean_reps = _nanmean(unit_reps)[None, ...]
    mean_var = reps.variance(mean_reps, mean_est)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_srs = np.nansum(srs_variance[unit.name], axis=0) / unit.count**2
        mean_deff = mean_var / mean_srs[None, :]
    national_mean = _stats_rows(
        NATIONAL,
        [MEAN_OF_UNITS],
        indicators,
        levels,
        mean_est,
        mean_var,
        unit_n.sum(axis=0)[None, :].astype(float),
        mean_deff,
        [rep_label] * len(indicators),
    )
    frames.insert(1, national_mean)
    replicates[NATIONAL] = np.concatenate([replicates[NATIONAL], mean_reps], axis=0)
    labels[NATIONAL] = (POOLED, MEAN_OF_UNITS)

    table = pd.concat(frames, ignore_index=True)
    return SurveyEstimates(
        framework_id=framework.id,
        tree=tree,
        options=options,
        national_rule=framework.rules.national,
        decimals=framework.rules.decimals,
        table=table,
        replicate_method=rep_label,
        replicates=replicates,
        cell_labels=labels,
        indicators=indicators,
        replicate_design=reps,
        warnings=warnings,
    )


def headline_national_cell(result: SurveyEstimates) -> str:
    return MEAN_OF_UNITS if result.national_rule is NationalRule.MEAN_OF_PROVINCES else POOLED


def normal_p_value(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))
