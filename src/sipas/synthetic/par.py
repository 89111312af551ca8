"""A synthetic PAR round: self-assessed and final points per province and leaf. Never official."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.frameworks.model import ParFramework
from sipas.frameworks.validate import scoring_gaps
from sipas.geo.units import Province


def synthetic_par_round(
    framework: ParFramework, provinces: list[Province], year: int, seed: int = 20241
) -> pd.DataFrame:
    """Rows of unit_code, node_code, stage ('self' or 'final'), points; points ≤ each leaf's max."""
    gaps = scoring_gaps(framework)
    if gaps:
        raise SipasError(
            "par.not_scorable",
            f"framework {framework.id} cannot be scored yet: {gaps[0]}",
            "fill in the missing maxima in your own copy of the framework",
        )
    rows = []
    for p in provinces:
        rng = np.random.default_rng([seed, 7, year, int(p.code)])
        level = rng.normal(0.87, 0.04)  # a province's general standing
        for leaf in framework.leaves():
            top = float(leaf.max_points or 0.0)
            share = float(np.clip(level + rng.normal(0, 0.05), 0.35, 1.0))
            final = round(top * share, 2)
            claimed = round(min(top, final + abs(rng.normal(0, 0.04)) * top), 2)
            rows.append(
                {"unit_code": p.code, "node_code": leaf.code, "stage": "self", "points": claimed}
            )
            rows.append(
                {"unit_code": p.code, "node_code": leaf.code, "stage": "final", "points": final}
            )
    return pd.DataFrame(rows)
