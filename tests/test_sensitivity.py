"""Method sensitivity of ranks on synthetic composites whose answers are worked out by hand."""

from __future__ import annotations

import math

import numpy as np

from sipas.survey.sensitivity import Choices, competition_ranks, sensitivity

CELLS = ["a", "b", "c", "d"]
# Four units, three components. Only the first component differs between units; the other two
# are the same for everyone, so no weighting or aggregation can reorder the units (each index
# rises with the first component alone), while dropping the first component ties them all.
DOMINANT = np.array(
    [
        [90.0, 70.0, 80.0],
        [80.0, 70.0, 80.0],
        [70.0, 70.0, 80.0],
        [60.0, 70.0, 80.0],
    ]
)
SAME = {"framework": DOMINANT, "top1": DOMINANT, "top3": DOMINANT}
WEIGHTS = np.array([0.5, 0.25, 0.25])


def test_competition_ranks_share_ties() -> None:
    assert list(competition_ranks(np.array([3.0, 5.0, 5.0, 1.0]))) == [3, 1, 1, 4]


def test_without_dropping_nothing_moves_a_rank() -> None:
    result = sensitivity(SAME, WEIGHTS, CELLS, Choices(drop=False, draws=300, seed=1))
    for unit, expected in zip(result.units, [1, 2, 3, 4], strict=True):
        assert unit.nominal_rank == expected
        assert unit.rank_low == unit.rank_high == expected
        assert unit.method_variance == 0.0
    assert result.first_order == {"threshold": 0.0, "weights": 0.0, "aggregation": 0.0, "drop": 0.0}


def test_dropping_the_dominant_component_is_all_the_method_variation() -> None:
    # Draws drop nothing or one of three components, each 1/4 of the time; only dropping the
    # first ties everyone at rank 1. So unit d's rank is 4 three times in four and 1 once:
    # variance 9 × 3/16 = 27/16, all of it explained by the drop choice (first-order index 1).
    sampling = np.tile(np.array([[1.0], [2.0], [3.0], [4.0]]), (1, 50))
    sampling[3, ::2] = 3.0  # d is 3rd in half the replicates: variance 0.25
    result = sensitivity(SAME, WEIGHTS, CELLS, Choices(draws=4000, seed=7), sampling)
    assert math.isclose(result.first_order["drop"], 1.0)
    for factor in ("threshold", "weights", "aggregation"):
        assert abs(result.first_order[factor]) < 1e-3  # chance alone, no real effect
    d = result.units[3]
    assert math.isclose(d.method_variance, 27 / 16, rel_tol=0.05)
    assert math.isclose(d.sampling_variance or 0.0, 0.25)
    assert math.isclose(d.method_share or 0.0, (27 / 16) / (27 / 16 + 0.25), rel_tol=0.02)
    a = result.units[0]
    assert a.method_variance == 0.0 and a.sampling_variance == 0.0 and a.method_share is None


def test_a_threshold_that_reorders_units_is_found() -> None:
    flipped = DOMINANT.copy()
    flipped[:, 0] = flipped[::-1, 0]  # under the top box only, the order is reversed
    values = {"framework": DOMINANT, "top1": flipped, "top3": DOMINANT}
    result = sensitivity(values, WEIGHTS, CELLS, Choices(drop=False, draws=3000, seed=3))
    assert result.first_order["threshold"] > 0.99
    assert result.units[0].rank_low == 1 and result.units[0].rank_high == 4


def test_the_same_seed_gives_the_same_answer() -> None:
    rng = np.random.default_rng(0)
    values = {t: rng.uniform(60, 95, size=(4, 3)) for t in ("framework", "top1", "top3")}
    first = sensitivity(values, WEIGHTS, CELLS, Choices(draws=200, seed=11))
    again = sensitivity(values, WEIGHTS, CELLS, Choices(draws=200, seed=11))
    assert first == again


# --- on a saved run ------------------------------------------------------------------------------


def test_a_saved_runs_nominal_index_is_its_estimate(run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from sipas.api.demo import DemoOptions, run_demo
    from sipas.settings import load_settings
    from sipas.store import open_database

    db = open_database(load_settings().resolved_database_url())
    run_demo(db, DemoOptions(years=(2024,), provinces=("01", "19", "79", "31"), dossiers=0,
                             respondents_per_province=250))  # fmt: skip
    chart = tmp_path / "ranks.png"
    result = run_cli("sensitivity", "demo-sipas-2024", "--draws", "200", "--chart", str(chart),
                     "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    saved = json.loads(run_cli("results", "show", "demo-sipas-2024", "--format", "json").stdout)
    rows = saved["rows"] if isinstance(saved, dict) else saved
    index = {
        r["cell"]: r["estimate"]
        for r in rows
        if r["indicator"] == "SIPAS" and r["partition"] == "province"
    }
    for unit in found["result"]["units"]:
        # The framework's choices reproduce the saved index (the saved value is rounded to 4).
        assert math.isclose(unit["nominal_index"], index[unit["cell"]], abs_tol=1e-4)
        assert unit["sampling_low"] <= unit["nominal_rank"] <= unit["sampling_high"]
    assert chart.read_bytes()[:4] == b"\x89PNG"
    refused = run_cli("sensitivity", "no-such-run")
    assert refused.exit_code == 1
