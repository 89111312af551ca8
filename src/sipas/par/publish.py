"""Rounding for publication: half-up to two decimals, on the decimal value the user reads.

Binary floating point cannot hold most two- or three-decimal numbers exactly (88.365 is stored as
88.36499999…), so Python's ``round`` gives 88.36 where the ministry's tables give 88.37. Rounding the
shortest decimal representation of the float (its ``repr``) half-up gives what a person rounding
by hand gives. Everything inside the engine keeps full precision; only published values are rounded.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

PUBLISHED_DECIMALS = 2


def round_half_up(value: float | None, decimals: int = PUBLISHED_DECIMALS) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))
