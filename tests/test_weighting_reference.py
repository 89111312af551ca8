"""Calibration against R `survey` (rake, calibrate linear and raking), to 1e-8.

Reference weights were written by tests/reference/weighting/calibrate_reference.R (see the README
there); this test reads the committed numbers, so R is not needed to run it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sipas.sampling.weights import linear_calibration, rake, read_margins

REFERENCE = Path(__file__).parent / "reference" / "weighting"
CASES = sorted(p.stem for p in (REFERENCE / "expected").glob("*.csv"))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("method", ["rake", "raking", "linear"])
def test_weights_equal_r_survey(case: str, method: str) -> None:
    sample = pd.read_csv(REFERENCE / "data" / f"respondents_{case}.csv", dtype=str)
    margins = read_margins(pd.read_csv(REFERENCE / "data" / f"margins_{case}.csv", dtype=str))
    expected = pd.read_csv(REFERENCE / "expected" / f"{case}.csv")
    expected = expected[expected["method"] == method].set_index("row_id")["weight"]
    weights = sample["weight"].astype(float).to_numpy()
    function = linear_calibration if method == "linear" else rake
    ours, report = function(sample, weights, margins)
    reference = expected.loc[sample["row_id"].astype(int)].to_numpy()
    np.testing.assert_allclose(ours, reference, rtol=1e-8)
    assert report.max_margin_error < 1e-6
