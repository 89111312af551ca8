"""Every published SIPAS number from response microdata, each with its uncertainty.

``estimate`` returns a :class:`SurveyEstimates`: one row per (partition, cell, indicator) with the
estimate, standard error, 95% confidence interval, valid answers, design effect, coefficient of
variation, effective sample size and an ``unstable`` flag, plus the replicate estimates that ranks,
diagnosis and comparisons are computed from.

Standard errors: item shares by Taylor linearisation (exactly R ``survey``'s ``svymean``);
components, sub-indices, the index and the national mean of provinces by replicate weights
(Rao–Wu bootstrap by default, or a jackknife), because they are non-linear functions of many items.

Item standard errors can come from the replicates instead (``item_se="replicate"``), as R's
``as.svrepdesign`` + ``svyby(..., svymean)``.

An estimate is flagged unstable when its effective sample size (valid answers / design effect) is
below 30, or its coefficient of variation (SE / estimate) is above 30%, or it rests on fewer than
30 valid answers, or it has no standard error.

Single-PSU strata: a stratum with one PSU adds nothing to a variance under the lonely-PSU rules
``remove``, ``certainty`` and ``average`` (Taylor and JKn, as R), and under any rule with the
bootstrap (R's bootstrap ignores ``survey.lonely.psu`` too; only ``adjust`` with Taylor or JKn gives
the lonely PSU a variance); cells that partly lie there keep their (too small) SE, as R gives it,
with a warning naming the strata. A cell that lies wholly in single-PSU strata gets SE 0 (or none)
from R under every rule, ``adjust`` included (its residuals sum to zero in its one PSU): its SE,
confidence interval and rank interval are marked unavailable (NaN), it is flagged unstable, and a
warning names it.
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
from sipas.survey.design import Design, DesignColumns, LonelyPsu, design_from_frame, label_codes
from sipas.survey.engine import EXHAUSTIVE, Cells, CellTotals, cell_totals, srs_variance
from sipas.survey.items import item_values
from sipas.survey.replicates import (
    ReplicateDesign,
    ReplicateMethod,
    ReplicateOptions,
    replicate_design,
)

UNSTABLE_MIN_N = 30
UNSTABLE_MIN_EFFECTIVE_N = 30.0
UNSTABLE_MAX_CV = 0.30
Z_95 = 1.959963984540054  # the 97.5% point of the standard normal, as R's qnorm(0.975)

NATIONAL = "national"
MEAN_OF_UNITS = "mean_of_provinces"
POOLED = "pooled"

Progress = Callable[[str, int, int], None]

ITEM_SE_TAYLOR = "taylor"
ITEM_SE_REPLICATE = "replicate"
ITEM_SE_METHODS = (ITEM_SE_TAYLOR, ITEM_SE_REPLICATE)


@dataclass(frozen=True)
class EstimationOptions:
    unit: str = "province"  # the column whose cells are ranked (provinces, departments, communes)
    by: tuple[tuple[str, ...], ...] = ()  # further domains; each a tuple of columns crossed
    replicates: ReplicateOptions = field(default_factory=ReplicateOptions)
    lonely_psu: LonelyPsu = LonelyPsu.FAIL
    item_se: str = ITEM_SE_TAYLOR  # or ITEM_SE_REPLICATE: item SEs from the replicate design


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
    unavailable: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per cell × indicator; arrays are cells × indicators, on the 0–100 scale.

    ``unavailable`` marks estimates whose variance cannot be estimated (a cell wholly in
    single-PSU strata): their SE, CI, deff, CV and effective n are NaN.
    """
    cells, k = estimate.shape
    if unavailable is not None and unavailable.any():
        variance = np.where(unavailable, np.nan, variance)
        deff = np.where(unavailable, np.nan, deff)
    se = np.sqrt(variance)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = se / estimate
        n_eff = np.where(deff > 0, n / deff, n)
    if unavailable is not None and unavailable.any():
        n_eff = np.where(unavailable, np.nan, n_eff)
    unstable = (
        (n < UNSTABLE_MIN_N)
        | (np.nan_to_num(n_eff, nan=0.0) < UNSTABLE_MIN_EFFECTIVE_N)
        | (np.nan_to_num(cv, nan=0.0) > UNSTABLE_MAX_CV)
        | np.isnan(estimate)
        | ~np.isfinite(se)  # no standard error: nothing says the estimate is stable
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


def _lonely_strata(design: Design, reps: ReplicateDesign) -> tuple[np.ndarray, np.ndarray]:
    """Per stratum: a single PSU (not exhaustive); and, of those, the ones that add no variance.

    Only ``adjust`` gives a single PSU a variance, and not with the bootstrap (which, as R's,
    cannot resample one PSU under any rule).
    """
    lonely = (design.n_psu == 1) & (design.finite >= EXHAUSTIVE)
    adjust = design.lonely is LonelyPsu.ADJUST
    bootstrap = reps.options.method is ReplicateMethod.BOOTSTRAP
    return lonely, (lonely if not adjust or bootstrap else np.zeros_like(lonely))


def _wholly_in(cells: Cells, design: Design, strata: np.ndarray) -> np.ndarray:
    """Per cell: whether every respondent of the cell is in one of the given strata."""
    if not strata.any():
        return np.zeros(cells.count, dtype=bool)
    inside = strata[design.stratum]
    member = cells.codes >= 0
    everyone = np.bincount(cells.codes[member], minlength=cells.count)
    within = np.bincount(cells.codes[member & inside], minlength=cells.count)
    return np.asarray((everyone > 0) & (within == everyone))


def _lonely_warning(design: Design, reps: ReplicateDesign, silent: np.ndarray) -> str | None:
    if not silent.any():
        return None
    strata = [design.stratum_labels[h] for h in np.flatnonzero(silent)]
    named = ", ".join(strata[:5]) + (", …" if len(strata) > 5 else "")
    rule = design.lonely.value
    if design.lonely is LonelyPsu.ADJUST:  # only the bootstrap leaves them out
        why = (
            "the bootstrap cannot resample a single PSU, so under any --lonely-psu rule (R's"
            " bootstrap does the same) they add no variance to the composites"
        )
    else:
        why = f"under --lonely-psu {rule} they add no variance"
    return (
        f"{len(strata)} strata have a single PSU ({named}): {why}; standard errors of estimates"
        f" that include them are too small (--lonely-psu adjust with --method jackknife gives"
        f" them a variance)"
    )


def estimate(
    frame: pd.DataFrame,
    framework: SurveyFramework,
    columns: DesignColumns,
    options: EstimationOptions | None = None,
    progress: Progress | None = None,
) -> SurveyEstimates:
    """Estimate items, components, sub-indices and the index for units, the nation and domains."""
    options = options or EstimationOptions()
    if options.item_se not in ITEM_SE_METHODS:
        raise SipasError(
            "survey.bad_item_se", method=options.item_se, methods=list(ITEM_SE_METHODS)
        )
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

    item_replicate = options.item_se == ITEM_SE_REPLICATE
    weights = tree.item_weights()
    totals = cell_totals(design, values, partitions, reps, weights, step)
    # A mean over a cell that lies wholly in single-PSU strata has no estimable variance under
    # any rule (R gives SE 0, even with 'adjust': the cell's residuals sum to zero in its PSU).
    lonely, silent = _lonely_strata(design, reps)
    lonely_warning = _lonely_warning(design, reps, silent)
    if lonely_warning:
        warnings.append(lonely_warning)

    item_codes = list(tree.item_codes)
    node_codes = tree.codes
    indicators = (*item_codes, *node_codes)
    levels = ["item"] * len(item_codes) + [n.level for n in tree.nodes]
    taylor = "taylor"
    rep_label = reps.options.label()
    frames: list[pd.DataFrame] = []
    replicates: dict[str, np.ndarray] = {}
    labels: dict[str, tuple[str, ...]] = {}
    srs_variances: dict[str, np.ndarray] = {}
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
        if item_replicate:  # R: svyby(..., svymean) on as.svrepdesign(...)
            item_var = reps.variance(item_reps, item_est)
            srs = srs_variance(t.count, t.den, t.num, t.sq)
            with np.errstate(invalid="ignore", divide="ignore"):
                replicate_deff = item_var / 100**2 / srs
            item_deff = np.where((t.den >= t.count) & (t.count > 1), replicate_deff, np.nan)
        wholly = _wholly_in(t.cells, design, lonely)
        unavailable = np.repeat(wholly[:, None], len(indicators), axis=1)
        estimate_all = np.concatenate([item_est, node_est], axis=1)
        variance_all = np.concatenate([item_var, node_var], axis=1)
        deff_all = np.concatenate([item_deff, node_deff], axis=1)
        assert t.scores is not None  # respondents with a defined score on each node
        n_all = np.concatenate([t.count, t.scores[3]], axis=1)
        item_method = rep_label if item_replicate else taylor
        methods = [item_method] * len(item_codes) + [rep_label] * len(node_codes)
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
                unavailable,
            )
        )
        lonely_cells = [label for label, out in zip(t.cells.labels, wholly, strict=True) if out]
        if lonely_cells:
            named = ", ".join(lonely_cells[:5]) + (", …" if len(lonely_cells) > 5 else "")
            warnings.append(
                f"{len(lonely_cells)} {partition} cells lie wholly in single-PSU strata ({named}):"
                f" their estimates have no standard error, confidence interval or rank interval"
                f" (under any --lonely-psu rule) and are flagged unstable"
            )
        no_se = np.isfinite(estimate_all) & ~np.isfinite(variance_all) & ~unavailable
        if no_se.any():
            cell_index, indicator_index = (int(v[0]) for v in np.nonzero(no_se))
            warnings.append(
                f"{int(no_se.sum())} {partition} estimates have no standard error (e.g."
                f" {t.cells.labels[cell_index]} {indicators[indicator_index]}): they are"
                f" flagged unstable"
            )
        replicates[partition] = np.concatenate([item_reps, node_reps], axis=1)
        labels[partition] = t.cells.labels
        with np.errstate(invalid="ignore", divide="ignore"):
            srs_variances[partition] = variance_all / deff_all
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
        mean_srs = np.nansum(srs_variances[unit.name], axis=0) / unit.count**2
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
