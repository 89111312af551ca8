"""The hot path: item shares for every cell, with Taylor variances and replicate estimates.

Respondents are processed one stratum at a time (rows sorted by PSU, so a stratum is a contiguous
block). Within a block, answers are summed to PSU × cell totals; then

- the point estimate of item k in cell c is the ratio  sum(w·valid·y) / sum(w·valid);
- its Taylor variance is that of the ratio's linearised values z = w·valid·(y − r)/sum(w·valid)
  summed to PSUs, centred within each stratum, with PSUs sampled with replacement
  (``svydesign(ids=~psu, strata=~stratum, nest=TRUE)`` and ``svymean`` in R); PSUs of the stratum in
  which the cell has no respondents count as zeros, which is how domain estimation works;
- replicate totals for all cells, items and replicates of the block come from ONE matrix product,
  (replicate factors − 1)ᵀ · (PSU × [cells · items · {numerator, denominator}]).

Memory is bounded by the largest stratum, not by the survey, so a million respondents fit easily.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sipas.survey.design import Design, LonelyPsu
from sipas.survey.items import ItemValues
from sipas.survey.replicates import ReplicateDesign

_EXHAUSTIVE = 1e-7
_KEEP_BLOCKS_CELLS = 4_000_000  # respondents × items below which blocks are reused in pass 2  # R: a stratum whose every PSU was taken contributes no variance

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Cells:
    """A partition of respondents: cell number per row (-1 = in no cell) and the cells' names."""

    name: str
    codes: np.ndarray
    labels: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.labels)


@dataclass
class CellTotals:
    """Everything the estimators need about one partition's cells (arrays are cells × items)."""

    cells: Cells
    respondents: np.ndarray  # per cell
    count: np.ndarray  # valid answers
    num: np.ndarray  # sum of w·valid·y
    den: np.ndarray  # sum of w·valid
    sq: np.ndarray  # sum of w·valid·y²
    taylor_var: np.ndarray
    replicate_num: np.ndarray | None = None  # cells × items × replicates
    replicate_den: np.ndarray | None = None
    scores: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None  # see node_scores

    @property
    def estimate(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(self.num / self.den)

    def replicate_estimates(self) -> np.ndarray | None:
        if self.replicate_num is None or self.replicate_den is None:
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(self.replicate_num / self.replicate_den)

    def deff(self) -> np.ndarray:
        """Design effect as R's ``svymean(deff=TRUE)``: Taylor variance over the SRS variance."""
        n = self.count
        big_n = self.den
        r = self.estimate
        with np.errstate(invalid="ignore", divide="ignore"):
            s2 = n / (n - 1) * (self.sq / big_n - r**2)
            srs = s2 * (big_n - n) / (big_n * n)
            out = self.taylor_var / srs
        return np.where((big_n >= n) & (n > 1), out, np.nan)


def _group_sums(keys: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum the rows of a matrix by key: the unique keys (sorted) and one summed row for each.

    Rows already in key order (PSUs within a stratum usually are) are not reordered, and a block
    with a single key is one column sum.
    """
    if len(keys) == 0:  # e.g. a stratum where nobody belongs to any cell of this partition
        return keys, np.zeros((0, *matrix.shape[1:]))
    if keys[0] == keys[-1] and np.all(keys == keys[0]):
        return keys[:1], matrix.sum(axis=0, keepdims=True)
    if not np.all(keys[1:] >= keys[:-1]):
        order = np.argsort(keys, kind="stable")
        keys, matrix = keys[order], matrix[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(matrix, starts, axis=0)


def _split(matrix: np.ndarray, parts: int) -> list[np.ndarray]:
    return np.split(matrix, parts, axis=1)


@dataclass
class _Pairs:
    """A block's PSU × cell totals for one partition."""

    psu: np.ndarray  # local PSU number within the stratum
    cell: np.ndarray
    num: np.ndarray
    den: np.ndarray


class _Block:
    """One stratum's rows with their per-row quantities computed once."""

    def __init__(self, design: Design, values: ItemValues, rows: np.ndarray, first_psu: int):
        self.rows = rows
        self.psu = design.psu[rows] - first_psu
        weight = design.weight[rows][:, None]
        k = len(values.codes)
        # One matrix [valid | w·valid·y | w·valid | w·valid·y²] so that every sum is one pass.
        self.stats = np.empty((len(rows), 4 * k))
        self.valid = self.stats[:, :k]
        self.valid[:] = values.valid[rows]
        self.wvy = self.stats[:, k : 2 * k]
        self.wv = self.stats[:, 2 * k : 3 * k]
        np.multiply(weight, self.valid, out=self.wv)
        y = values.value[rows].astype(float)
        np.multiply(self.wv, y, out=self.wvy)
        self.wvyy = self.stats[:, 3 * k :]
        np.multiply(self.wvy, 1.0 if values.binary else y, out=self.wvyy)
        self.y = y

        self._pairs: dict[str, _Pairs] = {}

    def pairs(self, cells: Cells) -> _Pairs:
        if cells.name not in self._pairs:
            codes = cells.codes[self.rows]
            keep = codes >= 0
            keys = self.psu[keep] * cells.count + codes[keep]
            k = self.valid.shape[1]
            num_den = self.stats[:, k : 3 * k]  # w·valid·y and w·valid, side by side
            unique, sums = _group_sums(keys, num_den if keep.all() else num_den[keep])
            num, den = _split(sums, 2)
            self._pairs[cells.name] = _Pairs(unique // cells.count, unique % cells.count, num, den)
        return self._pairs[cells.name]


def _node_scores(block: _Block, node_matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each respondent's score on each node (mean of the node's valid item values) and whether defined."""
    weight_sum = block.valid @ node_matrix
    with np.errstate(invalid="ignore", divide="ignore"):
        score = ((block.y * block.valid) @ node_matrix) / weight_sum
    defined = weight_sum > 0
    return np.where(defined, score, 0.0), defined.astype(float)


def cell_totals(
    design: Design,
    values: ItemValues,
    partitions: list[Cells],
    replicates: ReplicateDesign | None = None,
    node_matrix: np.ndarray | None = None,
    progress: Progress | None = None,
) -> list[CellTotals]:
    """Point estimates, Taylor variances and (optionally) replicate estimates for every partition."""
    n_items = len(values.codes)
    order = np.argsort(design.psu, kind="stable")
    first_psu = np.r_[0, np.cumsum(design.n_psu)[:-1]]
    row_bounds = np.asarray(
        np.searchsorted(design.psu[order], np.r_[first_psu, design.n_psus]), dtype=np.int64
    )
    out = [
        CellTotals(
            cells=p,
            respondents=np.bincount(p.codes[p.codes >= 0], minlength=p.count).astype(float),
            count=np.zeros((p.count, n_items)),
            num=np.zeros((p.count, n_items)),
            den=np.zeros((p.count, n_items)),
            sq=np.zeros((p.count, n_items)),
            taylor_var=np.zeros((p.count, n_items)),
        )
        for p in partitions
    ]
    n_rep = replicates.count if replicates else 0
    # Replicate totals are kept exact where they should be zero (a cell whose every PSU is
    # dropped in a replicate): the factor-weighted sums of the strata a replicate resamples
    # ("direct") plus the plain totals of the strata it leaves alone (total − "covered", where both
    # sums add the same numbers in the same order, so they cancel exactly when nothing is left).
    direct = [np.zeros((2, p.count, n_items, n_rep)) for p in partitions] if replicates else []
    covered = [np.zeros((2, p.count, n_items, n_rep)) for p in partitions] if replicates else []
    n_nodes = node_matrix.shape[1] if node_matrix is not None else 0
    score_sums = [np.zeros((4, p.count, n_nodes)) for p in partitions]
    # Factor blocks come stratum by stratum and are drawn as they are needed: a million-PSU
    # bootstrap never holds more than one stratum's factors.
    factor_blocks = iter(replicates.blocks()) if replicates else iter(())
    pending = next(factor_blocks, None)
    total_steps = 2 * design.n_strata

    # Small surveys keep each stratum's block between the two passes; large ones rebuild it, so
    # that memory stays bounded by one stratum.
    keep_blocks = design.n_rows * n_items <= _KEEP_BLOCKS_CELLS
    kept: dict[int, _Block] = {}

    def block(h: int) -> _Block:
        if h in kept:
            return kept.pop(h)  # the second and last use
        rows = order[row_bounds[h] : row_bounds[h + 1]]
        made = _Block(design, values, rows, int(first_psu[h]))
        if keep_blocks:
            kept[h] = made
        return made

    # Pass 1: totals and replicate totals.
    for h in range(design.n_strata):
        b = block(h)
        stacked: list[tuple[int, np.ndarray, _Pairs]] = []
        if node_matrix is not None:
            score, defined = _node_scores(b, node_matrix)
            w = design.weight[b.rows][:, None]
            row_scores = np.hstack([w * score, w * score**2, w * defined, defined])
        for i, part in enumerate(partitions):
            codes = part.codes[b.rows]
            keep = codes >= 0
            t = out[i]
            kept_codes = codes[keep]
            all_kept = bool(keep.all())
            unique, sums = _group_sums(kept_codes, b.stats if all_kept else b.stats[keep])
            cnt, num, den, sq = _split(sums, 4)
            t.count[unique] += cnt
            t.num[unique] += num
            t.den[unique] += den
            t.sq[unique] += sq
            if node_matrix is not None:
                unique_s, sums = _group_sums(
                    kept_codes, row_scores if all_kept else row_scores[keep]
                )
                for j, part_sum in enumerate(_split(sums, 4)):
                    score_sums[i][j, unique_s] += part_sum
            if pending is not None and pending.stratum == h:
                pairs = b.pairs(part)
                if len(unique) == 0:  # nobody of this stratum is in any cell of the partition
                    continue
                stacked.append((i, unique, pairs))
                target = np.ix_(np.arange(2), unique, np.arange(n_items), pending.columns)
                covered[i][target] += np.stack([num, den])[..., None]
        if pending is not None and pending.stratum == h:
            f, pending = pending, next(factor_blocks, None)
            n_psu = int(design.n_psu[h])
            widths = [len(cells) * 2 * n_items for _, cells, _ in stacked]
            matrix = np.zeros((n_psu, sum(widths)))
            offset = 0
            for (_, cells, pairs), width in zip(stacked, widths, strict=True):
                local = np.searchsorted(cells, pairs.cell)
                view = matrix[:, offset : offset + width].reshape(n_psu, len(cells), 2, n_items)
                view[pairs.psu, local, 0] = pairs.num
                view[pairs.psu, local, 1] = pairs.den
                offset += width
            product = f.factors.T @ matrix  # the one matrix product of this stratum
            offset = 0
            for (i, cells, _), width in zip(stacked, widths, strict=True):
                block_sums = product[:, offset : offset + width].reshape(-1, len(cells), 2, n_items)
                # replicates × cells × {num, den} × items  →  {num, den} × cells × items × replicates
                target = np.ix_(np.arange(2), cells, np.arange(n_items), f.columns)
                direct[i][target] += block_sums.transpose(2, 1, 3, 0)
                offset += width
        if progress:
            progress(h + 1, total_steps)

    estimates = [t.estimate for t in out]

    # Pass 2: Taylor variances (the centre of each cell's residuals is known only now).
    # Under the 'average' rule a lonely stratum's share is made up by scaling the sum by the number
    # of strata in which the cell has answers over the number of those that could contribute (R).
    average = design.lonely is LonelyPsu.AVERAGE
    present = [np.zeros((p.count, n_items)) for p in partitions]
    usable = [np.zeros((p.count, n_items)) for p in partitions]
    for h in range(design.n_strata):
        n_psu = int(design.n_psu[h])
        finite = float(design.finite[h])
        exhaustive = finite < _EXHAUSTIVE
        lonely = n_psu == 1 and not exhaustive
        silent = lonely and design.lonely in (LonelyPsu.REMOVE, LonelyPsu.CERTAINTY)
        if not average and (exhaustive or silent):
            continue
        b = block(h)
        for i, part in enumerate(partitions):
            pairs = b.pairs(part)
            if len(pairs.cell) == 0:
                continue
            with np.errstate(invalid="ignore", divide="ignore"):
                z = (pairs.num - estimates[i][pairs.cell] * pairs.den) / out[i].den[pairs.cell]
            cells, sums = _group_sums(pairs.cell, np.hstack([z, np.ones((len(z), 1)), pairs.den]))
            z1, n_pairs, den = (
                sums[:, :n_items],
                sums[:, n_items : n_items + 1],
                sums[:, n_items + 1 :],
            )
            if average:
                answered = den > 0
                present[i][cells] += answered
                if not lonely:
                    usable[i][cells] += answered
            if exhaustive or (lonely and design.lonely is not LonelyPsu.ADJUST):
                continue
            if lonely:  # ADJUST: the lonely PSU's total is centred at zero, not at its own mean
                contribution = finite * z1**2
            else:
                mean = z1 / n_psu
                local = np.searchsorted(cells, pairs.cell)
                _, squares = _group_sums(pairs.cell, (z - mean[local]) ** 2)
                absent = n_psu - n_pairs  # PSUs of the stratum where the cell has nobody: z = 0
                contribution = finite * n_psu / (n_psu - 1) * (squares + absent * mean**2)
            out[i].taylor_var[cells] += contribution
        if progress:
            progress(design.n_strata + h + 1, total_steps)
    if average:
        for i, t in enumerate(out):
            with np.errstate(invalid="ignore", divide="ignore"):
                t.taylor_var *= present[i] / usable[i]

    for i, t in enumerate(out):
        if replicates:
            t.replicate_num = direct[i][0] + (t.num[..., None] - covered[i][0])
            t.replicate_den = direct[i][1] + (t.den[..., None] - covered[i][1])
        if node_matrix is not None:
            s = score_sums[i]
            t.scores = (s[0], s[1], s[2], s[3])
    if progress:
        progress(total_steps, total_steps)
    return out
