"""Invariants of the estimator, on random designs (hypothesis).

- shares and their confidence bounds stay within [0, 100];
- results do not depend on the order of the rows;
- multiplying every weight by a constant changes no estimate or standard error;
- a province's results do not change when other provinces' rows are added or removed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sipas.survey import DesignColumns, EstimationOptions, ReplicateOptions, estimate
from survey_fixtures import ITEMS, small_framework

COLUMNS = DesignColumns(weight="weight", psu="psu", strata="stratum")
OPTIONS = EstimationOptions(unit="province", replicates=ReplicateOptions(replicates=40, seed=5))
COMPARED = ["estimate", "se", "ci_low", "ci_high", "n"]


@st.composite
def surveys(draw: st.DrawFn) -> pd.DataFrame:
    """2–4 provinces (each its own stratum), 2–4 PSUs each, 1–6 respondents per PSU."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_provinces = draw(st.integers(2, 4))
    rows = []
    for p in range(n_provinces):
        for j in range(int(rng.integers(2, 5))):
            level = rng.normal()
            for _ in range(int(rng.integers(1, 7))):
                answers = np.clip(np.round(3.5 + level + rng.normal(0, 1, len(ITEMS))), 1, 5)
                answers[rng.random(len(ITEMS)) < 0.1] = np.nan
                rows.append(
                    {
                        "province": f"P{p}",
                        "stratum": f"P{p}",
                        "psu": f"C{j}",
                        "weight": float(rng.lognormal(3, 0.7)),
                        **dict(zip(ITEMS, answers, strict=True)),
                    }
                )
    return pd.DataFrame(rows)


def _run(frame: pd.DataFrame) -> pd.DataFrame:
    result = estimate(frame, small_framework(), COLUMNS, OPTIONS)
    return result.table.set_index(["partition", "cell", "indicator"]).sort_index()


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(surveys())
def test_shares_and_bounds_stay_between_0_and_100(frame: pd.DataFrame) -> None:
    table = _run(frame)
    for column in ("estimate", "ci_low", "ci_high"):
        values = table[column].dropna()
        assert ((values >= 0) & (values <= 100)).all(), column
    # A cell nobody answered has no estimate and no interval (every answer can be blank).
    empty = table["estimate"].isna()
    assert table.loc[empty, ["ci_low", "ci_high"]].isna().all().all()
    known = table[~empty]
    assert (known["ci_low"] <= known["estimate"] + 1e-12).all()
    assert (known["estimate"] <= known["ci_high"] + 1e-12).all()


@FAST
@given(surveys(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(frame: pd.DataFrame, random: object) -> None:
    shuffled = frame.sample(frac=1.0, random_state=np.random.default_rng(len(frame)))
    pd.testing.assert_frame_equal(
        _run(frame)[COMPARED], _run(shuffled.reset_index(drop=True))[COMPARED], rtol=1e-9
    )


@FAST
@given(surveys(), st.floats(0.001, 1000.0))
def test_scaling_all_weights_changes_nothing(frame: pd.DataFrame, factor: float) -> None:
    # The design effect is left out on purpose: R's SRS reference variance has a finite-population
    # factor (N - n)/N with N the sum of weights, so it moves when weights are rescaled.
    scaled = frame.assign(weight=frame["weight"] * factor)
    pd.testing.assert_frame_equal(_run(frame)[COMPARED], _run(scaled)[COMPARED], rtol=1e-9)


@FAST
@given(surveys())
def test_a_province_is_unaffected_by_other_provinces(frame: pd.DataFrame) -> None:
    full = _run(frame)
    kept = sorted(frame["province"].unique())[:-1]
    alone = _run(frame[frame["province"].isin(kept)].reset_index(drop=True))
    mine = full.loc["province"].loc[kept][COMPARED]
    pd.testing.assert_frame_equal(mine, alone.loc["province"][COMPARED], rtol=1e-9)
