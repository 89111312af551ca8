"""The hot path: item shares for every cell, with Taylor variances and replicate estimates.

Respondents are processed in chunks of whole strata (rows sorted by PSU, so a stratum is a
contiguous run of rows). Within a chunk, answers are summed to PSU × cell totals; then

- the point estimate of item k in cell c is the ratio  sum(w·valid·y) / sum(w·valid);
- its Taylor variance is that of the ratio's linearised values z = w·valid·(y − r)/sum(w·valid)
  summed to PSUs, centred within each stratum, with PSUs sampled with replacement
  (``svydesign(ids=~psu, strata=~stratum, nest=TRUE)`` and ``svymean`` in R); PSUs of the stratum in
  which the cell has no respondents count as zeros, which is how domain estimation works;
- replicate totals for all cells, items and replicates of a stratum come from ONE matrix product,
  (replicate factors)ᵀ · (PSU × [cells · items · {numerator, denominator}]).

Memory is bounded by the chunk size (or the largest stratum), not by the survey, so a million
respondents fit easily; the Taylor pass works on a whole chunk at once, with no loop over strata.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sipas.survey.design import Design, LonelyPsu
from sipas.survey.items import ItemValues
from sipas.survey.replicates import ReplicateDesign, StratumFactors

_EXHAUSTIVE = 1e-7  # R: a stratum whose every PSU was taken contributes no variance
EXHAUSTIVE = _EXHAUSTIVE  # for the callers that tell which strata add no variance
_KEEP_CHUNKS_CELLS = 4_000_000  # respondents × items below which chunks are reused in pass 2
_CHUNK_ROWS = 20_000  # rows of whole strata processed together (bounds the working memory)

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
        n, big_n = self.count, self.den
        srs = srs_variance(n, big_n, self.num, self.sq)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = self.taylor_var / srs
        return np.where((big_n >= n) & (n > 1), out, np.nan)


def srs_variance(
    n: np.ndarray, weight_sum: np.ndarray, weighted_sum: np.ndarray, weighted_squares: np.ndarray
) -> np.ndarray:
    """Variance of a weighted mean under simple random sampling, as R's ``svymean(deff=TRUE)``:
    s²·(N − n)/(N·n), with s² the weighted variance times n/(n − 1) and N the sum of weights."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = weighted_sum / weight_sum
        s2 = n / (n - 1) * (weighted_squares / weight_sum - mean**2)
        return np.asarray(s2 * (weight_sum - n) / (weight_sum * n))


def _group_sums(keys: np.ndarray, *matrices: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Sum the rows of each matrix by key: the unique keys (sorted) and the summed rows.

    Rows already in key order (PSUs within a stratum usually are) are not reordered, and a run
    with a single key is one column sum. Booleans are summed as counts.
    """

    def total(matrix: np.ndarray, starts: np.ndarray | None) -> np.ndarray:
        dtype = np.int64 if matrix.dtype == bool else None
        if starts is None:
            return np.asarray(matrix.sum(axis=0, keepdims=True, dtype=dtype))
        return np.asarray(np.add.reduceat(matrix, starts, axis=0, dtype=dtype))

    if len(keys) == 0:  # e.g. a stratum where nobody belongs to any cell of this partition
        return keys, [np.zeros((0, *m.shape[1:])) for m in matrices]
    if keys[0] == keys[-1] and np.all(keys == keys[0]):
        return keys[:1], [total(m, None) for m in matrices]
    if not np.all(keys[1:] >= keys[:-1]):
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        matrices = tuple(m[order] for m in matrices)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], [total(m, starts) for m in matrices]


@dataclass
class _Pairs:
    """A chunk's PSU × cell totals for one partition, in PSU order (so strata are contiguous)."""

    psu: np.ndarray  # PSU number within the chunk
    stratum: np.ndarray  # the design's stratum number
    cell: np.ndarray
    count: np.ndarray  # pairs × items: valid answers
    num: np.ndarray  # w·valid·y
    den: np.ndarray  # w·valid
    sq: np.ndarray  # w·valid·y²


class _Chunk:
    """Consecutive whole strata, with each row's quantities computed once.

    The rows' valid answers, w·valid·y and w·valid (and w·valid·y² unless values are 0/1) sit side
    by side in one matrix, so that each partition sums them to PSU × cell totals in one pass.
    """

    def __init__(
        self, design: Design, values: ItemValues, rows: np.ndarray | slice, first_psu: int
    ):
        self.rows = rows
        self.first_psu = first_psu
        self.psu = design.psu[rows] - first_psu
        self.design = design
        self.values = values
        k = self.n_items = values.valid.shape[1]
        valid = values.valid[rows]  # booleans
        value = values.value[rows]
        blocks = 3 if values.binary else 4  # y² = y for 0/1 values: no need to sum it twice
        stack = np.empty((len(self.psu), blocks * k))
        stack[:, :k] = valid
        wv = np.multiply(design.weight[rows][:, None], valid, out=stack[:, 2 * k : 3 * k])
        wvy = np.multiply(wv, value, out=stack[:, k : 2 * k])
        if not values.binary:
            np.multiply(wvy, value, out=stack[:, 3 * k :])
        self.stack = stack
        self._pairs: dict[str, _Pairs] = {}

    @property
    def valid(self) -> np.ndarray:
        """Rows × items: 1.0 where the answer counts, else 0.0."""
        return self.stack[:, : self.n_items]

    @property
    def y(self) -> np.ndarray:
        return np.asarray(self.values.value[self.rows], dtype=float)

    def pairs(self, cells: Cells) -> _Pairs:
        if cells.name not in self._pairs:
            k = self.n_items
            codes = cells.codes[self.rows]
            keep = codes >= 0
            everyone = bool(keep.all())
            keys = self.psu * cells.count + codes if everyone else (
                self.psu[keep] * cells.count + codes[keep]
            )  # fmt: skip
            unique, (sums,) = _group_sums(keys, self.stack if everyone else self.stack[keep])
            count, num, den = sums[:, :k], sums[:, k : 2 * k], sums[:, 2 * k : 3 * k]
            sq = sums[:, 3 * k :] if sums.shape[1] > 3 * k else num
            psu = unique // cells.count
            self._pairs[cells.name] = _Pairs(
                psu=psu,
                stratum=self.design.psu_stratum[psu + self.first_psu],
                cell=unique % cells.count,
                count=count,
                num=num,
                den=den,
                sq=sq,
            )
        return self._pairs[cells.name]


def _node_scores(block: _Chunk, node_matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each respondent's score on each node (mean of the node's valid item values) and whether defined."""
    valid = np.ascontiguousarray(block.valid)
    weight_sum = valid @ node_matrix
    with np.errstate(invalid="ignore", divide="ignore"):
        score = ((block.y * valid) @ node_matrix) / weight_sum
    defined = weight_sum > 0
    return np.where(defined, score, 0.0), defined.astype(float)


def _chunks(design: Design, limit: int) -> list[tuple[int, int]]:
    """Runs of whole strata [first, last) holding at most ``limit`` rows (or one stratum)."""
    rows = np.bincount(design.stratum, minlength=design.n_strata)
    runs: list[tuple[int, int]] = []
    start, size = 0, 0
    for h in range(design.n_strata):
        if size and size + rows[h] > limit:
            runs.append((start, h))
            start, size = h, 0
        size += int(rows[h])
    runs.append((start, design.n_strata))
    return runs


def cell_totals(
    design: Design,
    values: ItemValues,
    partitions: list[Cells],
    replicates: ReplicateDesign | None = None,
    node_matrix: np.ndarray | None = None,
    progress: Progress | None = None,
    chunk_rows: int = _CHUNK_ROWS,
) -> list[CellTotals]:
    """Point estimates, Taylor variances and (optionally) replicate estimates for every partition."""
    n_items = len(values.codes)
    # Rows already in PSU order (as a file sorted by stratum and PSU is) are read in place.
    in_order = bool(np.all(design.psu[1:] >= design.psu[:-1]))
    order = None if in_order else np.argsort(design.psu, kind="stable")
    first_psu = np.r_[0, np.cumsum(design.n_psu)[:-1]].astype(np.int64)
    row_bounds = np.asarray(
        np.searchsorted(design.psu if order is None else design.psu[order],
                        np.r_[first_psu, design.n_psus]),
        dtype=np.int64,
    )  # fmt: skip
    runs = _chunks(design, chunk_rows)
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
    # ("direct") plus the plain totals of the strata it leaves alone (total − "covered"; both
    # add the same stratum × cell sums in the same order, so they cancel exactly when nothing is
    # left).
    sums = _ReplicateSums(partitions, n_items, n_rep) if replicates else None
    n_nodes = node_matrix.shape[1] if node_matrix is not None else 0
    score_sums = [np.zeros((4, p.count, n_nodes)) for p in partitions]
    # Factor blocks come stratum by stratum and are drawn as they are needed: a million-PSU
    # bootstrap never holds more than one stratum's factors.
    factor_blocks = iter(replicates.blocks()) if replicates else iter(())
    pending = next(factor_blocks, None)
    total_steps = 2 * len(runs)

    # Small surveys keep each chunk between the two passes; large ones rebuild it.
    keep_chunks = design.n_rows * n_items <= _KEEP_CHUNKS_CELLS
    kept: dict[int, _Chunk] = {}

    def chunk(index: int) -> _Chunk:
        if index in kept:
            return kept.pop(index)  # the second and last use
        first, last = runs[index]
        bounds = slice(int(row_bounds[first]), int(row_bounds[last]))
        rows = bounds if order is None else order[bounds]
        made = _Chunk(design, values, rows, int(first_psu[first]))
        if keep_chunks:
            kept[index] = made
        return made

    # Pass 1: totals and replicate totals.
    for index, (_, last) in enumerate(runs):
        c = chunk(index)
        per_stratum: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        if node_matrix is not None:
            score, defined = _node_scores(c, node_matrix)
            w = design.weight[c.rows][:, None]
            row_scores = np.hstack([w * score, w * score**2, w * defined, defined])
        for i, part in enumerate(partitions):
            t = out[i]
            pairs = c.pairs(part)
            # Stratum × cell sums, added in stratum order (the order "covered" uses too).
            keys = pairs.stratum * part.count + pairs.cell
            groups, (count, num, den, sq) = _group_sums(
                keys, pairs.count, pairs.num, pairs.den, pairs.sq
            )
            group_cells = groups % part.count
            np.add.at(t.count, group_cells, count)
            np.add.at(t.num, group_cells, num)
            np.add.at(t.den, group_cells, den)
            np.add.at(t.sq, group_cells, sq)
            per_stratum.append((groups // part.count, group_cells, num, den))
            if node_matrix is not None:
                codes = part.codes[c.rows]
                keep = codes >= 0
                unique_s, (sums_s,) = _group_sums(
                    codes[keep], row_scores if keep.all() else row_scores[keep]
                )
                for j in range(4):
                    score_sums[i][j, unique_s] += sums_s[:, j * n_nodes : (j + 1) * n_nodes]
        while pending is not None and pending.stratum < last:
            f, pending = pending, next(factor_blocks, None)
            assert sums is not None
            sums.add_stratum(f, design, partitions, c, per_stratum)
        if progress:
            progress(index + 1, total_steps)

    estimates = [t.estimate for t in out]

    # Pass 2: Taylor variances (the centre of each cell's residuals is known only now), for a
    # whole chunk at once: residual totals per PSU, then sums per stratum × cell.
    average = design.lonely is LonelyPsu.AVERAGE
    present = [np.zeros((p.count, n_items)) for p in partitions]
    usable = [np.zeros((p.count, n_items)) for p in partitions]
    n_psu_all = design.n_psu.astype(float)
    finite_all = design.finite
    for index in range(len(runs)):
        c = chunk(index)
        for i, part in enumerate(partitions):
            pairs = c.pairs(part)
            if len(pairs.cell) == 0:
                continue
            num, den = pairs.num, pairs.den
            with np.errstate(invalid="ignore", divide="ignore"):
                z = (num - estimates[i][pairs.cell] * den) / out[i].den[pairs.cell]
            keys = pairs.stratum * part.count + pairs.cell
            groups, (z1, n_pairs, den_sum) = _group_sums(keys, z, np.ones((len(z), 1)), den)
            position = np.searchsorted(groups, keys)
            h = groups // part.count
            cells = groups % part.count
            n_h = n_psu_all[h][:, None]
            f_h = finite_all[h][:, None]
            exhaustive = f_h < _EXHAUSTIVE
            lonely = (n_h == 1) & ~exhaustive
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = z1 / n_h
                _, (squares,) = _group_sums(keys, (z - mean[position]) ** 2)
                absent = n_h - n_pairs  # PSUs of the stratum where the cell has nobody: z = 0
                spread = f_h * n_h / (n_h - 1) * (squares + absent * mean**2)
            adjust = design.lonely is LonelyPsu.ADJUST
            # A lonely PSU's total is centred at zero under 'adjust'; otherwise it adds nothing.
            contribution = np.where(lonely, f_h * z1**2 if adjust else 0.0, spread)
            contribution = np.where(exhaustive, 0.0, contribution)
            np.add.at(out[i].taylor_var, cells, contribution)
            if average:
                answered = (den_sum > 0).astype(float)
                np.add.at(present[i], cells, answered)
                np.add.at(usable[i], cells, np.where(lonely, 0.0, answered))
        if progress:
            progress(len(runs) + index + 1, total_steps)
    if average:
        for i, t in enumerate(out):
            with np.errstate(invalid="ignore", divide="ignore"):
                t.taylor_var *= present[i] / usable[i]

    for i, t in enumerate(out):
        if sums is not None:
            t.replicate_num, t.replicate_den = sums.totals(i, t.num, t.den)
        if node_matrix is not None:
            s = score_sums[i]
            t.scores = (s[0], s[1], s[2], s[3])
    if progress:
        progress(total_steps, total_steps)
    return out


def _column_index(columns: np.ndarray) -> slice | np.ndarray:
    """A block's replicate columns as a slice when they are one ascending run (no copy)."""
    first = int(columns[0])
    if len(columns) == 1 or (
        int(columns[-1]) - first == len(columns) - 1 and bool(np.all(np.diff(columns) == 1))
    ):
        return slice(first, first + len(columns))
    return columns


class _ReplicateSums:
    """Replicate totals of every partition, laid out {num, den} × cells × items × replicates.

    "direct" holds the factor-weighted sums of the strata each replicate resamples; "covered"
    the plain sums of the same strata, added in the same order as the totals. While every block
    covers all replicates (a bootstrap, JK1), "covered" is the same in every replicate and is
    kept once per cell; the first block covering only some replicates (JKn) spreads it.
    """

    def __init__(self, partitions: list[Cells], n_items: int, n_rep: int):
        self.n_items = n_items
        self.n_rep = n_rep
        self.direct = [np.zeros((2, p.count, n_items, n_rep)) for p in partitions]
        self.covered_all: list[np.ndarray] | None = [
            np.zeros((2, p.count, n_items)) for p in partitions
        ]
        self.covered: list[np.ndarray] = []
        self._stratum_first: np.ndarray | None = None

    def _spread_covered(self) -> None:
        assert self.covered_all is not None
        self.covered = [
            np.repeat(c[..., None], self.n_rep, axis=-1) for c in self.covered_all
        ]  # fmt: skip
        self.covered_all = None

    def add_stratum(
        self,
        f: StratumFactors,
        design: Design,
        partitions: list[Cells],
        c: _Chunk,
        per_stratum: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    ) -> None:
        """Add one stratum's replicate totals: one matrix product over all partitions and cells."""
        h = f.stratum
        k = self.n_items
        n_psu = int(design.n_psu[h])
        if self._stratum_first is None:
            self._stratum_first = np.r_[0, np.cumsum(design.n_psu)].astype(np.int64)
        local_first = int(self._stratum_first[h]) - c.first_psu
        columns = _column_index(f.columns)
        every = isinstance(columns, slice) and columns == slice(0, self.n_rep)
        if not every and self.covered_all is not None:
            self._spread_covered()
        stacked = []
        for i, part in enumerate(partitions):
            group_strata, group_cells, num, den = per_stratum[i]
            mine = group_strata == h
            cells = group_cells[mine]
            if len(cells) == 0:  # nobody of this stratum is in any cell of the partition
                continue
            for j, sums in enumerate((num[mine], den[mine])):  # cells × items
                if self.covered_all is not None:
                    self.covered_all[i][j, cells] += sums
                elif isinstance(columns, slice):
                    self.covered[i][j, cells, :, columns] += sums[..., None]
                else:
                    self.covered[i][j][np.ix_(cells, np.arange(k), columns)] += sums[..., None]
            pairs = c.pairs(part)
            in_stratum = pairs.stratum == h
            num_den = np.stack([pairs.num[in_stratum], pairs.den[in_stratum]], axis=1)
            stacked.append((i, cells, pairs.psu[in_stratum] - local_first, pairs.cell[in_stratum],
                            num_den))  # fmt: skip
        if not stacked:
            return
        heights = [len(cells) * 2 * k for _, cells, _, _, _ in stacked]
        matrix = np.zeros((sum(heights), n_psu))  # [cells · {num, den} · items] × PSUs
        offset = 0
        for (_, cells, psu, cell, num_den), height in zip(stacked, heights, strict=True):
            local = np.searchsorted(cells, cell)
            view = matrix[offset : offset + height].reshape(len(cells), 2, k, n_psu)
            view[local, :, :, psu] = num_den
            offset += height
        product = matrix @ f.factors  # the one matrix product of this stratum
        offset = 0
        for (i, cells, _, _, _), height in zip(stacked, heights, strict=True):
            block_sums = product[offset : offset + height].reshape(len(cells), 2, k, -1)
            for j in range(2):
                direct = self.direct[i][j]
                if isinstance(columns, slice):
                    direct[cells, :, columns] += block_sums[:, j]
                else:
                    direct[np.ix_(cells, np.arange(k), columns)] += block_sums[:, j]
            offset += height

    def totals(self, i: int, num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Replicate numerators and denominators of partition i (cells × items × replicates)."""
        direct = self.direct[i]
        if self.covered_all is not None:
            covered = self.covered_all[i]
            direct[0] += (num - covered[0])[..., None]
            direct[1] += (den - covered[1])[..., None]
        else:
            full = self.covered[i]
            direct[0] += num[..., None] - full[0]
            direct[1] += den[..., None] - full[1]
        return direct[0], direct[1]
