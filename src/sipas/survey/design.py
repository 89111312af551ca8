"""The sample design as arrays: strata, primary sampling units (PSUs), weights, finite-population sizes.

A :class:`Design` is built once from a response table and checked there, so that every estimator
downstream can assume clean arrays: positive finite weights, PSUs numbered within their stratum
(the same village code in two provinces is two PSUs, as ``nest=TRUE`` in R ``survey``), and PSU
numbers that run stratum by stratum, so that a stratum's rows are one contiguous block once the
rows are sorted by PSU.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.rows import SHOWN, counted_phrase, file_rows


class LonelyPsu(StrEnum):
    """What a stratum with a single PSU contributes to a variance (R's ``survey.lonely.psu``)."""

    FAIL = "fail"  # refuse: the variance cannot be estimated from one PSU
    REMOVE = "remove"  # the stratum contributes nothing
    CERTAINTY = "certainty"  # the PSU was taken with certainty: it contributes nothing
    ADJUST = "adjust"  # its PSU total is centred at zero (the overall mean of a mean's residuals)
    AVERAGE = "average"  # the other strata's average contribution stands in for it


@dataclass(frozen=True)
class DesignColumns:
    """Which columns of a response table describe the design."""

    weight: str
    psu: str | None = None  # None: every respondent is their own PSU (e.g. an online survey)
    strata: str | None = None  # None: one stratum
    fpc: str | None = None  # population PSUs per stratum (> 1) or the sampling fraction (<= 1)


@dataclass(frozen=True)
class Design:
    stratum: np.ndarray  # per row: stratum number 0..H-1
    psu: np.ndarray  # per row: PSU number 0..P-1, numbered stratum by stratum
    weight: np.ndarray  # per row: positive sampling weight
    psu_stratum: np.ndarray  # per PSU: its stratum
    n_psu: np.ndarray  # per stratum: PSUs in the sample
    finite: np.ndarray  # per stratum: 1 - sampling fraction of PSUs (1 without an fpc)
    stratum_labels: tuple[str, ...]
    lonely: LonelyPsu = LonelyPsu.FAIL

    @property
    def n_rows(self) -> int:
        return len(self.weight)

    @property
    def n_strata(self) -> int:
        return len(self.n_psu)

    @property
    def n_psus(self) -> int:
        return len(self.psu_stratum)

    def lonely_strata(self) -> list[str]:
        return [self.stratum_labels[h] for h in np.flatnonzero(self.n_psu == 1)]


def _rows(mask: pd.Series) -> list[int]:
    return file_rows(mask.index, mask)


def _require_columns(frame: pd.DataFrame, columns: DesignColumns) -> None:
    wanted = {
        "--weight": columns.weight,
        "--psu": columns.psu,
        "--strata": columns.strata,
        "--fpc": columns.fpc,
    }
    missing = {flag: name for flag, name in wanted.items() if name and name not in frame.columns}
    if missing:
        from sipas.text import fold

        available = list(frame.columns)
        close = {
            flag: [c for c in available if fold(str(c)) == fold(name)]
            for flag, name in missing.items()
        }
        described = [
            Phrase("survey.design_column_close", flag=flag, name=name, close=close[flag][0])
            if close[flag]
            else Phrase("survey.design_column", flag=flag, name=name)
            for flag, name in missing.items()
        ]
        raise SipasError(
            "survey.missing_design_column",
            columns=described,
            missing=list(missing.values()),
            available=[str(c) for c in available[:40]],
        )


def _weights(frame: pd.DataFrame, column: str) -> np.ndarray:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    unreadable = values.isna() & raw.notna()
    if unreadable.any():
        raise SipasError(
            "survey.bad_weight",
            column=column,
            rows=_rows(unreadable),
            count=counted_phrase(int(unreadable.sum()), "row"),
        )
    blank = values.isna()
    if blank.any():
        raise SipasError(
            "survey.blank_weight",
            column=column,
            rows=_rows(blank),
            count=counted_phrase(int(blank.sum()), "row"),
        )
    array: np.ndarray = np.asarray(values.to_numpy(dtype=float))
    bad = pd.Series(~np.isfinite(array) | (array <= 0), index=frame.index)
    if bad.any():
        raise SipasError(
            "survey.nonpositive_weight",
            column=column,
            rows=_rows(bad),
            count=counted_phrase(int(bad.sum()), "row"),
        )
    return array


def label_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's label number (-1 for a blank) and the labels, sorted, spaces around them ignored.

    Factorizing first and cleaning only the distinct labels keeps this fast on a million rows.
    """
    raw_codes, raw_labels = pd.factorize(values, sort=False)
    cleaned = [str(label).strip() for label in raw_labels]
    labels = sorted({label for label in cleaned if label})
    position = {label: i for i, label in enumerate(labels)}
    # A missing value (raw code -1) picks the trailing -1.
    relabel = np.array([position.get(label, -1) for label in cleaned] + [-1], dtype=np.int64)
    return relabel[raw_codes], labels


def _codes(frame: pd.DataFrame, column: str, what: str) -> tuple[np.ndarray, list[str]]:
    """Label numbers of a design column, which may not be blank anywhere."""
    codes, labels = label_codes(frame[column])
    blank = pd.Series(codes < 0, index=frame.index)
    if blank.any():
        rows, count = _rows(blank), counted_phrase(int(blank.sum()), "row")
        if what == "stratum":
            raise SipasError("survey.blank_stratum", column=column, rows=rows, count=count)
        raise SipasError("survey.blank_psu", column=column, rows=rows, count=count)
    return codes, labels


def _finite_factor(
    frame: pd.DataFrame,
    column: str,
    stratum: np.ndarray,
    n_psu: np.ndarray,
    labels: tuple[str, ...],
) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = pd.Series(~np.isfinite(values) | (values <= 0), index=frame.index)
    if bad.any():
        raise SipasError(
            "survey.bad_fpc",
            column=column,
            rows=_rows(bad),
            count=counted_phrase(int(bad.sum()), "row"),
        )
    finite = np.ones(len(n_psu))
    for h in range(len(n_psu)):
        mine = np.unique(values[stratum == h])
        if len(mine) > 1:
            raise SipasError("survey.fpc_varies", column=column, count=len(mine), stratum=labels[h])
        value = float(mine[0])
        population = n_psu[h] / value if value <= 1 else value  # R: values <= 1 are fractions
        if population < n_psu[h] - 1e-9:
            raise SipasError(
                "survey.fpc_below_sample",
                stratum=labels[h],
                sampled=int(n_psu[h]),
                column=column,
                population=value,
            )
        finite[h] = (population - n_psu[h]) / population
    return finite


def design_from_frame(
    frame: pd.DataFrame, columns: DesignColumns, lonely: LonelyPsu = LonelyPsu.FAIL
) -> Design:
    """Check the design columns of a response table and turn them into arrays."""
    if frame.empty:
        raise SipasError("survey.empty")
    _require_columns(frame, columns)
    weight = _weights(frame, columns.weight)
    if columns.strata:
        stratum_codes, stratum_labels = _codes(frame, columns.strata, "stratum")
    else:
        stratum_codes, stratum_labels = np.zeros(len(frame), dtype=np.int64), ["all"]
    if columns.psu:
        psu_raw, psu_labels = _codes(frame, columns.psu, "PSU")
    else:
        psu_raw, psu_labels = np.arange(len(frame), dtype=np.int64), [""] * len(frame)
    # PSUs are nested in strata; numbering (stratum, psu) pairs in sorted order makes every
    # stratum's PSUs consecutive.
    pair = stratum_codes * max(len(psu_labels), 1) + psu_raw
    unique_pairs, psu_codes = np.unique(pair, return_inverse=True)
    psu_stratum = (unique_pairs // max(len(psu_labels), 1)).astype(np.int64)
    stratum_uniques = stratum_labels
    n_psu = np.bincount(psu_stratum, minlength=len(stratum_uniques))
    labels = tuple(str(s) for s in stratum_uniques)
    finite = (
        _finite_factor(frame, columns.fpc, stratum_codes, n_psu, labels)
        if columns.fpc
        else np.ones(len(n_psu))
    )
    design = Design(
        stratum=np.asarray(stratum_codes, dtype=np.int64),
        psu=np.asarray(psu_codes, dtype=np.int64),
        weight=weight,
        psu_stratum=psu_stratum,
        n_psu=n_psu,
        finite=finite,
        stratum_labels=labels,
        lonely=lonely,
    )
    lonely_strata = [h for h in np.flatnonzero(n_psu == 1) if finite[h] >= 1e-7]
    if lonely is LonelyPsu.FAIL and lonely_strata:
        strata = [labels[h] for h in lonely_strata]
        raise SipasError(
            "survey.lonely_psu",
            strata=strata,
            shown=strata[:SHOWN],
            count=counted_phrase(len(strata), "stratum"),
        )
    return design
