"""How many respondents: sample size from a target precision, and its allocation across provinces."""

from __future__ import annotations

import math
from enum import StrEnum
from statistics import NormalDist

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.rows import counted_phrase


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise SipasError("sample.bad_confidence", confidence=confidence)
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def required_size(
    margin: float,
    confidence: float = 0.95,
    p: float = 0.5,
    deff: float = 1.0,
    population: float | None = None,
) -> int:
    """Respondents needed for a share to be known within ±margin (a proportion, e.g. 0.05).

    n0 = z² p(1−p) deff / margin², then the finite-population correction n0 / (1 + (n0 − 1)/N).
    """
    if not 0 < margin < 1:
        raise SipasError("sample.bad_margin", margin=margin)
    if deff <= 0 or not 0 < p < 1:
        raise SipasError("sample.bad_assumption", deff=deff, p=p)
    n0 = _z(confidence) ** 2 * p * (1 - p) * deff / margin**2
    if population is not None:
        n0 = n0 / (1 + (n0 - 1) / population)
    return math.ceil(n0 - 1e-9)


def yamane(population: float, margin: float = 0.05) -> int:
    """The pilot-era rule n = N / (1 + N·e²)."""
    if population <= 0:
        raise SipasError("sample.bad_population", population=population)
    return math.ceil(population / (1 + population * margin**2) - 1e-9)


def margin_of_error(
    n: float,
    confidence: float = 0.95,
    p: float = 0.5,
    deff: float = 1.0,
    population: float | None = None,
) -> float:
    """The ±margin (a proportion) a sample of n gives for a share p."""
    if n <= 0:
        return math.inf
    finite = 1.0 if population is None or population <= 1 else (population - n) / (population - 1)
    return _z(confidence) * math.sqrt(p * (1 - p) * deff / n * max(finite, 0.0))


class Allocation(StrEnum):
    EQUAL = "equal"
    PROPORTIONAL = "proportional"
    SQUARE_ROOT = "sqrt"  # a compromise between equal precision and equal weights
    POWER = "power"  # proportional to population ** power (Bankier)


def allocate(
    total: int,
    populations: pd.Series,
    method: Allocation = Allocation.PROPORTIONAL,
    minimum: int = 0,
    power: float = 0.5,
    fixed: dict[str, int] | None = None,
) -> pd.Series:
    """Whole numbers per unit that add up to ``total``, each at least ``minimum``.

    Units in ``fixed`` get exactly that number (e.g. a city surveyed at a set size); the others
    share the rest by the method. Rounding is by largest remainder, so the total is exact.
    """
    if fixed:
        unknown = sorted(set(fixed) - set(map(str, populations.index)))
        if unknown:
            raise SipasError("sample.unknown_unit", units=unknown[:10])
        kept = total - sum(fixed.values())
        others = populations[[str(i) not in fixed for i in populations.index]]
        if kept < minimum * len(others) or kept < 0:
            raise SipasError(
                "sample.fixed_too_large",
                fixed=sum(fixed.values()),
                kept=kept,
                units=counted_phrase(len(others), "unit"),
                minimum=minimum,
            )
        rest = allocate(kept, others, method, minimum, power) if len(others) else pd.Series()
        out = pd.Series(
            [fixed.get(str(i), 0) for i in populations.index], index=populations.index, name="n"
        )
        out.loc[rest.index] = rest
        return out.astype(int)
    sizes = pd.to_numeric(populations, errors="coerce")
    bad = sizes.isna() | (sizes <= 0)
    if bad.any():
        shown = [str(i) for i in sizes.index[bad.to_numpy()][:10]]
        raise SipasError(
            "sample.bad_populations", count=counted_phrase(int(bad.sum()), "unit"), units=shown
        )
    count = len(sizes)
    if minimum * count > total:
        raise SipasError(
            "sample.allocation_too_small",
            minimum=minimum,
            units=counted_phrase(count, "unit"),
            needed=minimum * count,
            total=total,
        )
    if method is Allocation.EQUAL:
        shares = np.ones(count)
    elif method is Allocation.PROPORTIONAL:
        shares = sizes.to_numpy(dtype=float)
    elif method is Allocation.SQUARE_ROOT:
        shares = np.sqrt(sizes.to_numpy(dtype=float))
    else:
        shares = sizes.to_numpy(dtype=float) ** power
    at_minimum = np.zeros(count, dtype=bool)
    result = np.zeros(count)
    # Units whose share falls below the minimum get the minimum; the rest share what is left.
    for _ in range(count + 1):
        remaining = total - minimum * at_minimum.sum()
        free_share = shares * ~at_minimum
        ideal = np.where(at_minimum, minimum, remaining * free_share / free_share.sum())
        below = ~at_minimum & (ideal < minimum)
        if not below.any():
            result = ideal
            break
        at_minimum |= below
    floor = np.floor(result).astype(int)
    short = total - int(floor.sum())
    order = np.argsort(-(result - floor), kind="stable")
    floor[order[:short]] += 1
    return pd.Series(floor, index=populations.index, name="n")
