"""Replicate weights: Rao–Wu rescaled bootstrap and delete-one-PSU jackknives, as R ``survey`` makes them.

A replicate multiplies the weight of every respondent of a PSU by that PSU's factor. Factors are
given stratum by stratum (:class:`StratumFactors`): a stratum's block lists the replicates in which
its PSUs' factors differ from 1, so a jackknife over 400 PSUs costs 400 small blocks, not a dense
400 x 400 matrix, and a bootstrap over a million PSUs is drawn one stratum at a time.

Variances follow R's ``svrVar``: ``scale * sum_r rscale_r * (theta_r - centre)^2`` where the centre
is the mean of the replicates (``mse=False``, R's default) or the full-sample estimate (``mse=True``).
Replicates whose estimate is undefined (a domain with no weight left) are left out, as R does.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from sipas.errors import SipasError
from sipas.survey.design import Design, LonelyPsu

MAX_JACKKNIFE_REPLICATES = 20_000


class ReplicateMethod(StrEnum):
    BOOTSTRAP = "bootstrap"  # Rao–Wu rescaled bootstrap, n_h - 1 PSUs drawn per stratum
    JACKKNIFE = "jackknife"  # JK1 for one stratum, JKn when stratified (R's type="auto")
    JK1 = "jk1"  # delete one PSU, strata ignored (R refuses it for stratified designs)
    JKN = "jkn"  # delete one PSU within its stratum


@dataclass(frozen=True)
class ReplicateOptions:
    method: ReplicateMethod = ReplicateMethod.BOOTSTRAP
    replicates: int = 500  # bootstrap only; a jackknife has one replicate per PSU
    seed: int = 20241
    mse: bool = False  # centre on the full-sample estimate instead of the replicates' mean

    def label(self) -> str:
        if self.method is ReplicateMethod.BOOTSTRAP:
            return f"bootstrap ({self.replicates} replicates)"
        return self.method.value


@dataclass(frozen=True)
class StratumFactors:
    stratum: int
    columns: np.ndarray  # which replicates these factors belong to
    factors: np.ndarray  # (PSUs of the stratum) x len(columns)


@dataclass(frozen=True)
class ReplicateDesign:
    """How many replicates there are, how to scale their spread, and each stratum's factors."""

    options: ReplicateOptions
    count: int
    scale: float
    rscales: np.ndarray  # per replicate
    _design: Design

    def blocks(self) -> Iterator[StratumFactors]:
        method = self.options.method
        if method is ReplicateMethod.BOOTSTRAP:
            yield from _bootstrap_blocks(self._design, self.options)
        elif method is ReplicateMethod.JK1:
            yield from _jk1_blocks(self._design)
        else:
            yield from _jkn_blocks(self._design)

    def variance(self, thetas: np.ndarray, full: np.ndarray) -> np.ndarray:
        """Variance of each estimate from its replicates (last axis), skipping undefined ones."""
        valid = np.isfinite(thetas) & (self.rscales > 0)
        if self.options.mse:
            centre = full[..., None]
        else:
            count = valid.sum(axis=-1, keepdims=True)
            total = np.where(valid, thetas, 0.0).sum(axis=-1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                centre = total / count
        deviation = np.where(valid, thetas - centre, 0.0)
        with np.errstate(invalid="ignore"):
            spread = (deviation**2 * self.rscales).sum(axis=-1) * self.scale
        defined = np.isfinite(full) & valid.any(axis=-1)
        return np.where(defined, spread, np.nan)


def replicate_design(design: Design, options: ReplicateOptions) -> ReplicateDesign:
    method = options.method
    if method is ReplicateMethod.JACKKNIFE:
        method = ReplicateMethod.JK1 if design.n_strata == 1 else ReplicateMethod.JKN
        options = ReplicateOptions(method, options.replicates, options.seed, options.mse)
    if method is ReplicateMethod.BOOTSTRAP:
        if options.replicates < 2:
            raise SipasError("survey.bad_replicates", replicates=options.replicates)
        count = options.replicates
        return ReplicateDesign(options, count, 1.0 / (count - 1), np.ones(count), design)
    if design.n_psus > MAX_JACKKNIFE_REPLICATES:
        raise SipasError("survey.too_many_replicates", psus=design.n_psus)
    if method is ReplicateMethod.JK1:
        if design.n_strata > 1:
            raise SipasError("survey.jk1_stratified", strata=design.n_strata)
        n = design.n_psus
        if n < 2:
            raise SipasError("survey.jackknife_too_few_psus")
        scale = float(design.finite[0]) * (n - 1) / n
        return ReplicateDesign(options, n, scale, np.ones(n), design)
    return _jkn_design(design, options)


def _bootstrap_blocks(design: Design, options: ReplicateOptions) -> Iterator[StratumFactors]:
    # Each stratum's draws come from their own stream, seeded by the stratum's name, so a
    # province's replicates (and so its standard errors and rank draws) do not depend on which
    # other strata are in the file or in what order.
    columns = np.arange(options.replicates)
    for h, n in enumerate(design.n_psu):
        if n < 2:  # a lonely PSU cannot be resampled: it contributes no variance
            continue
        name = zlib.crc32(design.stratum_labels[h].encode("utf-8"))
        rng = np.random.default_rng([options.seed, 7, name, int(n)])
        yield StratumFactors(h, columns, _rao_wu_factors(rng, int(n), options.replicates))


def _rao_wu_factors(rng: np.random.Generator, n: int, replicates: int) -> np.ndarray:
    """PSUs × replicates: n - 1 of the n PSUs drawn with replacement, counts scaled by n/(n - 1).

    Draws are made in chunks of replicates so that a stratum of a million PSUs (an online survey)
    never holds more than a few million draws at once.
    """
    factors = np.empty((n, replicates))
    chunk = max(1, 1_000_000 // n)
    for start in range(0, replicates, chunk):
        stop = min(start + chunk, replicates)
        draws = rng.integers(0, n, size=(stop - start, n - 1))
        flat = draws + (np.arange(stop - start) * n)[:, None]
        counts = np.bincount(flat.ravel(), minlength=(stop - start) * n).reshape(stop - start, n)
        factors[:, start:stop] = counts.T * (n / (n - 1))
    return factors


def _jk1_blocks(design: Design) -> Iterator[StratumFactors]:
    n = design.n_psus
    factors = np.full((n, n), n / (n - 1))
    np.fill_diagonal(factors, 0.0)
    yield StratumFactors(0, np.arange(n), factors)


def _jkn_layout(design: Design) -> tuple[list[tuple[int, int]], list[int]]:
    """(stratum, first replicate) for strata with their own replicates, and lonely 'adjust' ones."""
    own: list[tuple[int, int]] = []
    adjusted: list[int] = []
    column = 0
    for h, n in enumerate(design.n_psu):
        if n == 1 and design.finite[h] != 0:
            if design.lonely is LonelyPsu.ADJUST:
                adjusted.append(h)
                column += 1
            continue
        own.append((h, column))
        column += int(n)
    return own, adjusted


def _jkn_design(design: Design, options: ReplicateOptions) -> ReplicateDesign:
    own, adjusted = _jkn_layout(design)
    rscales: list[float] = []
    column = 0
    adjusted_set = set(adjusted)
    starts = dict(own)
    n_strata = design.n_strata
    for h, n in enumerate(design.n_psu):
        if h in adjusted_set:
            rscales.append((n_strata - 1) / n_strata)
            column += 1
        elif h in starts:
            rscales.extend([float(design.finite[h]) * (n - 1) / n] * int(n))
            column += int(n)
    if column == 0:
        raise SipasError("survey.jackknife_no_replicates")
    scale = 1.0
    if column < design.n_psus and design.lonely is LonelyPsu.AVERAGE:
        scale = design.n_psus / column
    return ReplicateDesign(options, column, scale, np.asarray(rscales), design)


def _jkn_blocks(design: Design) -> Iterator[StratumFactors]:
    own, adjusted = _jkn_layout(design)
    starts = dict(own)
    # Adjusted lonely strata get one replicate each, in which their PSU is dropped and every other
    # PSU is scaled by H/(H-1) (R's jknweights).
    adjusted_columns = []
    column = 0
    for h, n in enumerate(design.n_psu):
        if h in starts:
            column = starts[h] + int(n)
        elif h in adjusted:
            adjusted_columns.append((h, column))
            column += 1
    n_strata = design.n_strata
    inflate = n_strata / (n_strata - 1) if n_strata > 1 else 1.0
    for h, n in enumerate(design.n_psu):
        n = int(n)
        columns: list[np.ndarray] = []
        blocks: list[np.ndarray] = []
        if h in starts:
            factors = np.full((n, n), n / (n - 1))
            np.fill_diagonal(factors, 0.0)
            columns.append(starts[h] + np.arange(n))
            blocks.append(factors)
        for lonely_h, lonely_column in adjusted_columns:
            columns.append(np.array([lonely_column]))
            blocks.append(np.full((n, 1), 0.0 if lonely_h == h else inflate))
        if columns:
            yield StratumFactors(h, np.concatenate(columns), np.hstack(blocks))
