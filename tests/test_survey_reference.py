"""The estimation engine against R `survey`, to 1e-9, on the data sets in tests/reference/.

The reference numbers were written by tests/reference/survey_reference.R (see the README there);
this test reads the committed numbers, so R is not needed to run it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sipas.survey import (
    NATIONAL,
    POOLED,
    DesignColumns,
    EstimationOptions,
    LonelyPsu,
    ReplicateMethod,
    ReplicateOptions,
    estimate,
)
from survey_fixtures import small_framework

REFERENCE = Path(__file__).parent / "reference"
TOLERANCE = 1e-9


def _scenarios() -> list[tuple[str, str, str, str, str]]:
    found = []
    for path in sorted((REFERENCE / "expected").glob("*.csv")):
        if path.stem == "omitted":
            continue
        expected = pd.read_csv(path, dtype={"domain": str})
        keys = expected[["design", "lonely", "fpc", "rule"]].drop_duplicates()
        found += [(path.stem, *row) for row in keys.itertuples(index=False)]
    return found


@pytest.mark.parametrize(("dataset", "design", "lonely", "fpc", "rule"), _scenarios())
def test_item_estimates_equal_r_survey(
    dataset: str, design: str, lonely: str, fpc: str, rule: str
) -> None:
    frame = pd.read_csv(REFERENCE / "data" / f"{dataset}.csv", dtype={"psu": str, "stratum": str})
    expected = pd.read_csv(REFERENCE / "expected" / f"{dataset}.csv", dtype={"domain": str})
    expected = expected[
        (expected.design == design)
        & (expected.lonely == lonely)
        & (expected.fpc == fpc)
        & (expected.rule == rule)
    ]
    stratified = frame["stratum"].nunique() > 1
    method = {
        "taylor": ReplicateMethod.BOOTSTRAP,
        "jkn": ReplicateMethod.JKN,
        "jk1": ReplicateMethod.JK1,
    }[design]
    result = estimate(
        frame,
        small_framework(rule),
        DesignColumns(
            weight="weight",
            psu="psu",
            strata="stratum" if stratified else None,
            fpc="fpc" if fpc == "yes" else None,
        ),
        EstimationOptions(
            unit="province",
            by=(("sex",),),
            replicates=ReplicateOptions(method=method, replicates=20),
            lonely_psu=LonelyPsu(lonely),
            # Replicate designs: the item SEs of the table come from the replicates
            # (`--item-se replicate`), as R's as.svrepdesign + svyby(..., svymean).
            item_se="taylor" if design == "taylor" else "replicate",
        ),
    )
    lonely_strata = set(frame.groupby("stratum")["psu"].nunique().loc[lambda n: n == 1].index)
    partition_of = {"province": "province", "sex": "sex", "all": NATIONAL}
    checked = 0
    for row in expected.itertuples(index=False):
        ref: Any = row
        partition = partition_of[ref.by]
        cell = POOLED if ref.by == "all" else ref.domain
        ours = result.value(partition, cell, ref.item) / 100
        assert ours == pytest.approx(ref.estimate, abs=TOLERANCE, rel=TOLERANCE), ref
        table_se = result.value(partition, cell, ref.item, "se") / 100
        in_cell = frame[ref.by] == ref.domain if ref.by != "all" else frame.index >= 0
        if set(frame.loc[in_cell, "stratum"]) <= lonely_strata:
            # Wholly in single-PSU strata: R's SE is 0 under every rule; ours is unavailable.
            assert abs(ref.se) < 1e-12, ref
            assert np.isnan(table_se), ref
            assert np.isnan(result.value(partition, cell, ref.item, "ci_low")), ref
            assert result.value(partition, cell, ref.item, "unstable"), ref
            checked += 1
            continue
        if design != "taylor":
            assert table_se == pytest.approx(ref.se, abs=TOLERANCE, rel=TOLERANCE), ref
            assert (
                result.rows()
                .set_index(["partition", "cell", "indicator"])
                .loc[(partition, cell, ref.item), "se_method"]
                == design.lower()
            ), ref
        if design == "taylor":
            se = result.value(partition, cell, ref.item, "se") / 100
            deff = result.value(partition, cell, ref.item, "deff")
            if ref.se > 1e-12:
                assert deff == pytest.approx(ref.deff, rel=1e-7), ref
        else:
            position = result.cell_labels[partition].index(cell)
            se = float(result.replicate_se(partition, ref.item)[position]) / 100
        assert se == pytest.approx(ref.se, abs=TOLERANCE, rel=TOLERANCE), ref
        checked += 1
    assert checked == len(expected) > 0


def test_cells_r_cannot_estimate_are_undefined_not_zero() -> None:
    """Where R's svymean quietly returns 0 (no valid answer in the domain), we return nothing."""
    omitted = pd.read_csv(REFERENCE / "expected" / "omitted.csv")
    case = omitted[(omitted.dataset == "blanks") & (omitted.design == "taylor")].iloc[0]
    frame = pd.read_csv(REFERENCE / "data" / "blanks.csv", dtype={"psu": str})
    result = estimate(
        frame,
        small_framework(case["rule"]),
        DesignColumns(weight="weight", psu="psu", strata="stratum"),
        EstimationOptions(unit="province", replicates=ReplicateOptions(replicates=20)),
    )
    assert np.isnan(result.value("province", case["domain"], case["item"]))
    assert result.value("province", case["domain"], case["item"], "n") == 0
    assert result.value("province", case["domain"], case["item"], "unstable")
    assert any("no valid answers" in w for w in result.warnings)
