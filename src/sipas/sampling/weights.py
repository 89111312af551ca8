"""Weights after fieldwork: non-response adjustment, calibration to population margins, trimming.

The path is the usual one: design weights → non-response adjustment within cells (respondents carry
the weight of the non-respondents of their cell) → calibration so that weighted counts reproduce
known population margins (sex, age band, urban/rural per province, from a census file) → trimming of
extreme weights with the excess redistributed so that totals are kept.

Calibration comes in the two forms R ``survey`` offers: raking (iterative proportional fitting, the
same weights as ``rake()`` and ``calibrate(calfun="raking")``) and linear (GREG,
``calibrate(calfun="linear")``). Calibration can be done separately in each group (province): margins
then carry a group column. Every function is vectorised over groups and levels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.rows import counted_phrase, file_rows

_SHOWN = 10


class CalibrationMethod(StrEnum):
    RAKING = "raking"
    LINEAR = "linear"


@dataclass(frozen=True)
class Margins:
    """Population totals: one row per (group, variable, level)."""

    table: pd.DataFrame  # columns: group (str, "" for all), variable, level, total

    @property
    def variables(self) -> list[str]:
        return list(dict.fromkeys(self.table["variable"]))


@dataclass
class WeightReport:
    """How the weights came out: what a survey statistician checks before using them."""

    method: str
    respondents: int
    total: float
    min: float
    max: float
    mean: float
    cv: float
    kish_deff: float  # 1 + CV² of the weights: the variance inflation due to weighting alone
    effective_n: float
    percentiles: dict[str, float] = field(default_factory=dict)  # p1 … p99 of the weights
    iterations: int = 0
    converged: bool = True
    max_margin_error: float = 0.0  # largest |weighted total − population total| over all margins
    trimmed: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def weight_report(weights: np.ndarray, method: str, **extra: object) -> WeightReport:
    w = np.asarray(weights, dtype=float)
    total = float(w.sum())
    mean = total / len(w)
    cv = float(w.std() / mean) if mean else float("nan")
    effective = total**2 / float((w**2).sum())
    points = (1, 5, 25, 50, 75, 95, 99)
    percentiles = {f"p{q}": float(v) for q, v in zip(points, np.percentile(w, points), strict=True)}
    return WeightReport(
        method=method,
        respondents=len(w),
        total=total,
        min=float(w.min()),
        max=float(w.max()),
        mean=mean,
        cv=cv,
        kish_deff=len(w) / effective,
        effective_n=effective,
        percentiles=percentiles,
        **extra,  # type: ignore[arg-type]
    )


# --- margins ---------------------------------------------------------------------------------


def read_margins(frame: pd.DataFrame, group: str | None = None) -> Margins:
    """Check a margins table (``variable, level, total`` and optionally a group column)."""
    needed = ["variable", "level", "total"] + ([group] if group else [])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SipasError("weights.margins_columns", columns=missing, needed=needed)
    table = pd.DataFrame(
        {
            "group": frame[group].astype(str).str.strip() if group else "",
            "variable": frame["variable"].astype(str).str.strip(),
            "level": frame["level"].astype(str).str.strip(),
            "total": pd.to_numeric(frame["total"], errors="coerce"),
        }
    )
    bad = table["total"].isna() | (table["total"] <= 0)
    if bad.any():
        rows = file_rows(frame.index, bad)
        raise SipasError("weights.bad_total", rows=rows)
    duplicated = table.duplicated(["group", "variable", "level"], keep=False)
    if duplicated.any():
        rows = file_rows(frame.index, duplicated)
        raise SipasError("weights.duplicate_margin", rows=rows)
    sums = table.groupby(["group", "variable"])["total"].sum().unstack("variable")
    spread = (sums.max(axis=1) - sums.min(axis=1)) / sums.max(axis=1)
    disagree = spread[spread > 1e-9]
    if len(disagree):
        where = disagree.index[0]
        totals = [
            Phrase("weights.variable_total", variable=v, total=float(sums.loc[where, v]))
            for v in sums.columns
        ]
        if group:
            raise SipasError(
                "weights.margins_disagree_in_group", group=group, value=where, totals=totals
            )
        raise SipasError("weights.margins_disagree", totals=totals)
    return Margins(table)


def _codes_of(values: pd.Series, index: dict[str, int]) -> tuple[np.ndarray, list[str]]:
    """Each row's level number (-1 for a value with no margin, or a blank), cleaning each distinct
    value once rather than every row; and the distinct values as cleaned."""
    raw, uniques = pd.factorize(values, sort=False)
    cleaned = [str(u).strip() for u in uniques]
    lookup = np.array([index.get(c, -1) for c in cleaned] + [-1], dtype=np.int64)
    return lookup[raw], cleaned + ([""] if (raw < 0).any() else [])


def _level_codes(
    sample: pd.DataFrame, margins: Margins, group: str | None
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Group number per row, and per variable: level number per row and targets (groups × levels)."""
    if group:
        if group not in sample.columns:
            raise SipasError("weights.missing_group_column", column=group)
        group_labels = sorted(set(margins.table["group"]))
        position = {g: i for i, g in enumerate(group_labels)}
        groups, cleaned = _codes_of(sample[group], position)
        if (groups < 0).any():
            unknown = sorted(set(cleaned) - set(position))
            raise SipasError("weights.no_margins_for_group", group=group, values=unknown[:_SHOWN])
    else:
        group_labels = [""]
        groups = np.zeros(len(sample), dtype=np.int64)
    out = []
    for variable in margins.variables:
        if variable not in sample.columns:
            raise SipasError("weights.missing_margin_variable", variable=variable)
        rows = margins.table[margins.table["variable"] == variable]
        levels = sorted(set(rows["level"]))
        index = {level: i for i, level in enumerate(levels)}
        codes, cleaned = _codes_of(sample[variable], index)
        unknown_mask = codes < 0
        if unknown_mask.any():
            shown = sorted(set(cleaned) - set(index))[:_SHOWN]
            rows_shown = file_rows(sample.index, unknown_mask)
            raise SipasError(
                "weights.unknown_level", column=variable, levels=shown, rows=rows_shown
            )
        targets = np.zeros((len(group_labels), len(levels)))
        for row in rows.itertuples(index=False):
            targets[group_labels.index(str(row.group)), index[str(row.level)]] = float(row.total)
        counts = np.bincount(groups * len(levels) + codes, minlength=targets.size).reshape(
            targets.shape
        )
        empty = np.argwhere((counts == 0) & (targets > 0))
        if len(empty):
            cells = [
                (group_labels[g] + " " if group else "") + f"{variable}={levels[lv]}"
                for g, lv in empty[:_SHOWN]
            ]
            raise SipasError(
                "weights.empty_cell", count=counted_phrase(len(empty), "cell"), cells=cells
            )
        out.append((codes, targets))
    return groups, out


# --- calibration -----------------------------------------------------------------------------


def rake(
    sample: pd.DataFrame,
    weights: np.ndarray,
    margins: Margins,
    group: str | None = None,
    tolerance: float = 1e-14,
    max_iterations: int = 1000,
) -> tuple[np.ndarray, WeightReport]:
    """Iterative proportional fitting: adjust weights to each margin in turn until all hold.

    Sweeps stop when the largest margin error is below ``tolerance`` × the total weight (the limit
    of double precision) or stops improving; the result counts as converged when that error is
    below 1e-10 of the total.
    """
    groups, variables = _level_codes(sample, margins, group)
    w = np.asarray(weights, dtype=float).copy()
    iterations, error, best, stalled = 0, np.inf, np.inf, 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - the count is reported
        for codes, targets in variables:
            levels = targets.shape[1]
            cell = groups * levels + codes
            current = np.bincount(cell, weights=w, minlength=targets.size)
            w *= (targets.ravel() / current)[cell]
        error = _margin_error(w, groups, variables)
        scale = max(1.0, float(w.sum()))
        if error <= tolerance * scale:
            break
        stalled = stalled + 1 if error >= best else 0
        best = min(best, error)
        if stalled >= 5:
            break
    converged = error <= 1e-10 * max(1.0, float(w.sum()))
    report = weight_report(
        w, "raking", iterations=iterations, converged=converged, max_margin_error=error
    )
    if not converged:
        report.notes.append(
            f"raking did not converge in {iterations} iterations (largest margin error"
            f" {error:.3g}): margins may be inconsistent with each other or cells nearly empty"
        )
    return w, report


def _margin_error(
    w: np.ndarray, groups: np.ndarray, variables: list[tuple[np.ndarray, np.ndarray]]
) -> float:
    error = 0.0
    for codes, targets in variables:
        cell = groups * targets.shape[1] + codes
        current = np.bincount(cell, weights=w, minlength=targets.size)
        error = max(error, float(np.max(np.abs(current - targets.ravel()))))
    return error


def margin_error(
    sample: pd.DataFrame, weights: np.ndarray, margins: Margins, group: str | None = None
) -> float:
    """Largest |weighted total − population total| over every margin cell."""
    groups, variables = _level_codes(sample, margins, group)
    return _margin_error(np.asarray(weights, dtype=float), groups, variables)


def linear_calibration(
    sample: pd.DataFrame, weights: np.ndarray, margins: Margins, group: str | None = None
) -> tuple[np.ndarray, WeightReport]:
    """GREG: w·(1 + x'λ), the closest weights in chi-square distance that hit every margin.

    Weights may turn negative when margins are far from the sample; that is reported, not hidden.
    """
    groups, variables = _level_codes(sample, margins, group)
    w = np.asarray(weights, dtype=float)
    out = w.copy()
    for g in np.unique(groups):
        rows = groups == g
        columns = []
        totals = []
        for codes, targets in variables:
            for level in range(targets.shape[1]):
                columns.append((codes[rows] == level).astype(float))
                totals.append(targets[g, level])
        x = np.column_stack(columns)
        wg = w[rows]
        gap = np.asarray(totals) - x.T @ wg
        # The dummies of each variable add up to one, so X'WX is singular: the least-squares
        # solution still gives the unique calibrated weights.
        lam = np.linalg.lstsq((x * wg[:, None]).T @ x, gap, rcond=None)[0]
        out[rows] = wg * (1.0 + x @ lam)
    error = _margin_error(out, groups, variables)
    report = weight_report(out, "linear", iterations=1, max_margin_error=error)
    negative = int((out <= 0).sum())
    if negative:
        report.notes.append(
            f"{negative} weights are zero or negative after linear calibration: use raking, or"
            " bounds by trimming"
        )
    return out, report


def calibrate(
    sample: pd.DataFrame,
    weights: np.ndarray,
    margins: Margins,
    method: CalibrationMethod = CalibrationMethod.RAKING,
    group: str | None = None,
) -> tuple[np.ndarray, WeightReport]:
    if method is CalibrationMethod.LINEAR:
        return linear_calibration(sample, weights, margins, group)
    return rake(sample, weights, margins, group)


# --- before and after calibration ------------------------------------------------------------


def nonresponse_adjust(
    frame: pd.DataFrame, weights: np.ndarray, responded: np.ndarray, cells: list[str]
) -> np.ndarray:
    """Respondents carry the weight of their cell's non-respondents: w × Σw(all) / Σw(responded).

    Returns weights for every row, zero for non-respondents.
    """
    missing = [c for c in cells if c not in frame.columns]
    if missing:
        raise SipasError("weights.missing_cell_columns", columns=missing)
    key = frame[cells].astype(str).agg(" × ".join, axis=1) if cells else pd.Series("", frame.index)
    codes, labels = pd.factorize(key, sort=True)
    w = np.asarray(weights, dtype=float)
    answered = np.asarray(responded, dtype=bool)
    everyone = np.bincount(codes, weights=w, minlength=len(labels))
    respondents = np.bincount(codes, weights=w * answered, minlength=len(labels))
    empty = np.flatnonzero(respondents == 0)
    if len(empty):
        shown = [str(labels[i]) for i in empty[:_SHOWN]]
        raise SipasError(
            "weights.cell_without_respondents",
            count=counted_phrase(len(empty), "cell"),
            cells=shown,
        )
    return np.where(answered, w * (everyone / respondents)[codes], 0.0)


def trim(
    weights: np.ndarray,
    upper: float | None = None,
    lower: float | None = None,
    groups: np.ndarray | None = None,
    max_iterations: int = 100,
) -> tuple[np.ndarray, int]:
    """Cap weights to [lower, upper] and spread the excess over the others, keeping each group's total.

    Returns the weights and how many were capped. Bounds are absolute; a relative bound such as
    "3.5 × the median" is computed by the caller.
    """
    w = np.asarray(weights, dtype=float).copy()
    group = np.zeros(len(w), dtype=np.int64) if groups is None else np.asarray(groups)
    totals = np.bincount(group, weights=w)
    capped = np.zeros(len(w), dtype=bool)
    high = np.inf if upper is None else upper
    low = -np.inf if lower is None else lower
    for _ in range(max_iterations):
        over = w > high * (1 + 1e-12)
        under = w < low * (1 - 1e-12)
        if not over.any() and not under.any():
            break
        w = np.clip(w, low, high)
        capped |= over | under
        free = ~capped
        current = np.bincount(group, weights=w, minlength=len(totals))
        free_total = np.bincount(group, weights=w * free, minlength=len(totals))
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = np.where(free_total > 0, 1 + (totals - current) / free_total, 1.0)
        w = np.where(free, w * factor[group], w)
    return w, int(capped.sum())
