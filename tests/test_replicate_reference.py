"""Replicate standard errors against R `survey`, to 1e-9: items (`--item-se replicate`) and composites.

The numbers were written by tests/reference/replicates/replicate_reference.R (items: as.svrepdesign
+ svyby(..., svymean); components and index: withReplicates on the same replicate design), for
JKn and JK1 with and without fpc, JKn under each lonely-PSU rule, and the bootstrap given sipas's own
replicate factors (bootstrap_<dataset>.csv, since R cannot draw the same bootstrap). R is not
needed to run this.
A cell that lies wholly in a single-PSU stratum gets SE 0 from R under every rule; here its SE,
confidence interval and rank interval are unavailable and it is flagged unstable.
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
EXPECTED = pd.read_csv(REFERENCE / "replicates" / "expected.csv", dtype={"domain": str})
OMITTED = pd.read_csv(REFERENCE / "replicates" / "omitted.csv", dtype={"domain": str})
TOLERANCE = 1e-9
BOOTSTRAP_REPLICATES = 50  # as bootstrap_factors.py wrote them for R
BOOTSTRAP_SEED = 20241
SCENARIO = ["dataset", "design", "lonely", "fpc", "rule"]


def _scenarios() -> list[tuple[str, ...]]:
    keys = EXPECTED[SCENARIO].drop_duplicates()
    return [tuple(str(v) for v in row) for row in keys.itertuples(index=False)]


def _estimate(dataset: str, design: str, lonely: str, fpc: str, rule: str) -> Any:
    frame = pd.read_csv(REFERENCE / "data" / f"{dataset}.csv", dtype={"psu": str, "stratum": str})
    method = {
        "jkn": ReplicateMethod.JKN,
        "jk1": ReplicateMethod.JK1,
        "bootstrap": ReplicateMethod.BOOTSTRAP,
    }[design]
    result = estimate(
        frame,
        small_framework(rule),
        DesignColumns(
            weight="weight",
            psu="psu",
            strata=None if dataset == "unstratified" else "stratum",
            fpc="fpc" if fpc == "yes" else None,
        ),
        EstimationOptions(
            unit="province",
            by=(("sex",),),
            replicates=ReplicateOptions(method, BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED),
            lonely_psu=LonelyPsu(lonely),
            item_se="replicate",
        ),
    )
    return frame, result


def test_the_reference_covers_every_lonely_rule_items_and_composites() -> None:
    lonely = EXPECTED[EXPECTED.dataset == "lonely"]
    assert set(lonely.lonely) == {"remove", "adjust", "average", "certainty"}
    assert {"q1", "q6", "a", "b", "ALL"} <= set(EXPECTED.indicator)
    assert {
        ("jkn", "yes"),
        ("jk1", "yes"),
        ("jkn", "no"),
        ("jk1", "no"),
        ("bootstrap", "no"),
    } <= set(zip(EXPECTED.design, EXPECTED.fpc, strict=True))


@pytest.mark.parametrize(("dataset", "design", "lonely", "fpc", "rule"), _scenarios())
def test_replicate_standard_errors_equal_r_survey(
    dataset: str, design: str, lonely: str, fpc: str, rule: str
) -> None:
    frame, result = _estimate(dataset, design, lonely, fpc, rule)
    expected = EXPECTED[
        (EXPECTED.dataset == dataset)
        & (EXPECTED.design == design)
        & (EXPECTED.lonely == lonely)
        & (EXPECTED.fpc == fpc)
        & (EXPECTED.rule == rule)
    ]
    single = frame.groupby("stratum")["psu"].nunique()
    lonely_strata = set(single[single == 1].index)
    table = result.table.set_index(["partition", "cell", "indicator"])
    partition_of = {"province": "province", "sex": "sex", "all": NATIONAL}
    wholly_lonely = 0
    for row in expected.itertuples(index=False):
        ref: Any = row
        cell = POOLED if ref.by == "all" else ref.domain
        ours = table.loc[(partition_of[ref.by], cell, ref.indicator)]
        assert ours["estimate"] / 100 == pytest.approx(ref.estimate, abs=TOLERANCE), ref
        in_cell = frame[ref.by] == ref.domain if ref.by != "all" else frame.index >= 0
        if set(frame.loc[in_cell, "stratum"]) <= lonely_strata:
            # R: SE 0 (under every rule); here: no SE, no interval, flagged unstable.
            assert abs(ref.se) < 1e-12, ref
            assert np.isnan(ours["se"]) and np.isnan(ours["ci_low"]) and ours["unstable"], ref
            wholly_lonely += 1
            continue
        assert ours["se"] / 100 == pytest.approx(ref.se, abs=TOLERANCE, rel=TOLERANCE), ref
        assert ours["se_method"] == result.replicate_method, ref
    assert len(expected) > 0
    assert (wholly_lonely > 0) == (dataset == "lonely")


def test_cells_r_cannot_estimate_have_no_estimate() -> None:
    case = OMITTED.iloc[0]
    _, result = _estimate(case.dataset, case.design, case.lonely, case.fpc, case.rule)
    assert np.isnan(result.value("province", case.domain, case.indicator))
    assert result.value("province", case.domain, case.indicator, "unstable")


@pytest.mark.parametrize("dataset", ["clusters", "lonely"])
def test_the_bootstrap_factors_given_to_r_are_the_ones_sipas_draws(dataset: str) -> None:
    import importlib.util

    path = REFERENCE / "replicates" / "bootstrap_factors.py"
    spec = importlib.util.spec_from_file_location("bootstrap_factors", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = pd.read_csv(
        REFERENCE / "replicates" / f"bootstrap_{dataset}.csv", dtype={"psu": str, "stratum": str}
    )
    drawn = module.factors(dataset)
    assert (module.REPLICATES, module.SEED) == (BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED)
    pd.testing.assert_frame_equal(drawn, committed, check_exact=False, rtol=1e-15, atol=0)
