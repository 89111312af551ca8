"""Composites, replicates, ranks, diagnosis and change, each checked by a hand calculation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sipas.api.estimation import UNIT_34, on_34_provinces
from sipas.frameworks import load_builtin, require_survey
from sipas.survey import (
    MEAN_OF_UNITS,
    NATIONAL,
    POOLED,
    DesignColumns,
    EstimationOptions,
    ReplicateMethod,
    ReplicateOptions,
    combine_published,
    design_from_frame,
    estimate,
)
from sipas.survey.change import yearly_change
from sipas.survey.diagnosis import compare_with_peers, diagnose
from sipas.survey.estimate import SurveyEstimates
from sipas.survey.ranks import different, rank_table
from sipas.survey.replicates import replicate_design
from sipas.synthetic import SyntheticDesign, synthetic_survey
from survey_fixtures import ITEMS, small_framework

COLUMNS = DesignColumns(weight="weight", psu="psu", strata="stratum")


@pytest.fixture(scope="module")
def gen2_survey() -> pd.DataFrame:
    framework = require_survey(load_builtin("sipas-gen2"))
    return synthetic_survey(framework, 2024, provinces=["01", "02", "04", "08", "79", "92"])


def _gen2(frame: pd.DataFrame, **options: object) -> object:
    framework = require_survey(load_builtin("sipas-gen2"))
    return estimate(
        frame,
        framework,
        COLUMNS,
        EstimationOptions(unit="province", **options),  # type: ignore[arg-type]
    )


def test_published_arithmetic_of_ha_noi_2024() -> None:
    """Hà Nội 2024: policy 86.51 and service 86.49 give SIPAS 86.50 (A4)."""
    framework = require_survey(load_builtin("sipas-gen2"))
    filled = combine_published(framework, {"policy": 86.51, "service": 86.49})
    assert filled["SIPAS"] == pytest.approx(86.50, abs=1e-9)


def test_composites_are_unweighted_means_of_their_children(gen2_survey: pd.DataFrame) -> None:
    result = _gen2(gen2_survey, replicates=ReplicateOptions(replicates=20))
    framework = require_survey(load_builtin("sipas-gen2"))
    value = lambda code: result.value("province", "01", code)  # noqa: E731
    for component in framework.leaf_components():
        items = [value(code) for code in component.items or []]
        assert value(component.code) == pytest.approx(sum(items) / len(items), abs=1e-9)
    service = ["service.access", "service.procedures", "service.civil_servants"]
    service += ["service.results", "service.feedback"]
    assert value("service") == pytest.approx(np.mean([value(c) for c in service]), abs=1e-9)
    assert value("SIPAS") == pytest.approx((value("policy") + value("service")) / 2, abs=1e-9)


def test_national_mean_of_provinces_is_the_unweighted_mean(gen2_survey: pd.DataFrame) -> None:
    result = _gen2(gen2_survey, replicates=ReplicateOptions(replicates=20))
    provinces = result.rows("province", "index")["estimate"]
    assert result.value(NATIONAL, MEAN_OF_UNITS, "SIPAS") == pytest.approx(provinces.mean())
    # The pooled value weights provinces by their population, so it differs.
    assert result.value(NATIONAL, POOLED, "SIPAS") != pytest.approx(provinces.mean(), abs=1e-6)


def test_a_blank_item_is_left_out_of_its_component() -> None:
    rows = []
    for j in range(4):
        for k in range(5):
            rows.append({"province": "A", "stratum": "A", "psu": f"c{j}", "weight": 1.0 + k,
                         "q1": 5, "q2": 1 + (j + k) % 5, "q3": None,
                         "q4": 4, "q5": 2, "q6": 3})  # fmt: skip
    result = estimate(
        pd.DataFrame(rows), small_framework(), COLUMNS,
        EstimationOptions(unit="province", replicates=ReplicateOptions(replicates=10)),
    )  # fmt: skip
    q1, q2 = result.value("province", "A", "q1"), result.value("province", "A", "q2")
    assert math.isnan(result.value("province", "A", "q3"))
    assert result.value("province", "A", "a") == pytest.approx((q1 + q2) / 2)
    assert any("no valid answers" in w for w in result.warnings)


def test_bootstrap_factors_follow_rao_wu() -> None:
    """n_h - 1 PSUs drawn with replacement, scaled by n_h/(n_h - 1): factors sum to n_h."""
    frame = pd.DataFrame({"stratum": list("aaabbbbb"), "psu": list("12312345"), "weight": 1.0})
    design = design_from_frame(frame, DesignColumns(weight="weight", psu="psu", strata="stratum"))
    reps = replicate_design(design, ReplicateOptions(replicates=200, seed=1))
    for block in reps.blocks():
        n = design.n_psu[block.stratum]
        assert np.allclose(block.factors.sum(axis=0), n)
        draws = block.factors * (n - 1) / n
        assert np.allclose(draws, np.round(draws)) and draws.min() >= 0
    assert reps.scale == pytest.approx(1 / 199)


def test_replicate_variance_by_hand() -> None:
    frame = pd.DataFrame({"stratum": "s", "psu": list("1234"), "weight": 1.0})
    design = design_from_frame(frame, DesignColumns(weight="weight", psu="psu", strata="stratum"))
    jk1 = replicate_design(design, ReplicateOptions(method=ReplicateMethod.JK1))
    thetas = np.array([[1.0, 2.0, 4.0, np.nan]])  # one undefined replicate is left out
    mean = 7 / 3
    expected = 3 / 4 * ((1 - mean) ** 2 + (2 - mean) ** 2 + (4 - mean) ** 2)
    assert jk1.variance(thetas, np.array([2.0]))[0] == pytest.approx(expected)
    mse = replicate_design(design, ReplicateOptions(method=ReplicateMethod.JK1, mse=True))
    assert mse.variance(thetas, np.array([2.0]))[0] == pytest.approx(3 / 4 * (1 + 0 + 4))


def test_bootstrap_variance_agrees_with_taylor_on_average(gen2_survey: pd.DataFrame) -> None:
    """With many replicates the Rao–Wu variance of an item share approaches the Taylor one."""
    result = _gen2(gen2_survey, replicates=ReplicateOptions(replicates=3000, seed=3))
    taylor = result.rows(NATIONAL)
    taylor = taylor[(taylor["cell"] == POOLED) & (taylor["level"] == "item")]
    boot = np.array([result.replicate_se(NATIONAL, code)[0] for code in taylor["indicator"]])
    ratio = boot**2 / taylor["se"].to_numpy() ** 2
    assert 0.9 < float(np.mean(ratio)) < 1.1, ratio


def test_ranks_and_rank_intervals() -> None:
    """Three clearly separated provinces get single ranks; two identical ones share a range."""
    rng = np.random.default_rng(0)
    rows = []
    levels = {"A": 5, "B": 3, "C": 1, "D": 4, "E": 4}
    for province, answer in levels.items():
        for j in range(6):
            for _ in range(30):
                noisy = answer if province in "ABC" else int(rng.integers(3, 6))
                rows.append({"province": province, "stratum": province, "psu": f"c{j}",
                             "weight": 1.0, **dict.fromkeys(ITEMS, noisy)})  # fmt: skip
    result = estimate(
        pd.DataFrame(rows), small_framework("rescaled"), COLUMNS,
        EstimationOptions(unit="province", replicates=ReplicateOptions(replicates=200)),
    )  # fmt: skip
    table = rank_table(result).set_index("cell")
    assert table.loc["A", "rank"] == 1 and table.loc["A", "rank_high"] == 1
    assert table.loc["C", "rank"] == 5 and table.loc["C", "rank_low"] == 5
    assert table.loc["D", "rank_low"] <= 3 and table.loc["E", "rank_high"] >= 3
    assert different(table.reset_index(), "A", "C")
    assert not different(table.reset_index(), "D", "E")


def test_point_ranks_share_ties_at_published_precision() -> None:
    rows = []
    for province, share in {"A": 0.8, "B": 0.8, "C": 0.5}.items():
        for j in range(4):
            for k in range(10):
                answer = 5 if k < share * 10 else 1
                rows.append({"province": province, "stratum": province, "psu": f"c{j}",
                             "weight": 1.0, **dict.fromkeys(ITEMS, answer)})  # fmt: skip
    result = estimate(
        pd.DataFrame(rows), small_framework(), COLUMNS,
        EstimationOptions(unit="province", replicates=ReplicateOptions(replicates=20)),
    )  # fmt: skip
    ranks = rank_table(result).set_index("cell")["rank"]
    assert list(ranks.loc[["A", "B", "C"]]) == [1, 1, 3]


def test_jackknife_rank_intervals(gen2_survey: pd.DataFrame) -> None:
    result = _gen2(gen2_survey, replicates=ReplicateOptions(method=ReplicateMethod.JACKKNIFE))
    table = rank_table(result)
    assert (table["rank_low"] <= table["rank"]).all() and (
        table["rank"] <= table["rank_high"]
    ).all()


def test_diagnosis_flags_a_weak_item_against_the_nation_and_the_best() -> None:
    rng = np.random.default_rng(1)
    rows = []
    for province in "ABCD":
        for j in range(5):
            for _ in range(40):
                answers = {q: int(rng.integers(3, 6)) for q in ITEMS}
                if province == "A":
                    answers["q1"] = int(rng.integers(1, 3))  # A is weak on q1
                rows.append({"province": province, "stratum": province, "psu": f"c{j}",
                             "weight": 1.0, **answers})  # fmt: skip
    result = estimate(
        pd.DataFrame(rows), small_framework(), COLUMNS,
        EstimationOptions(unit="province", replicates=ReplicateOptions(replicates=200)),
    )  # fmt: skip
    table = diagnose(result, "A").set_index("indicator")
    assert table.loc["q1", "vs_national"] == "below"
    assert table.loc["q1", "vs_best"] == "below"
    assert table.loc["q1", "estimate"] == 0.0
    national = np.mean([result.value("province", p, "q1") for p in "ABCD"])
    assert table.loc["q1", "national"] == pytest.approx(national)
    assert table.loc["q1", "diff_national"] == pytest.approx(-national)
    assert table.loc["q4", "vs_national"] == "not different"
    best = diagnose(result).query("indicator == 'q4' and vs_best == 'best'")
    assert len(best) == 1


def _four_provinces() -> SurveyEstimates:
    rng = np.random.default_rng(2)
    rows = []
    for province in "ABCD":
        for j in range(5):
            for _ in range(30):
                answers = {q: int(rng.integers(2 if province == "A" else 3, 6)) for q in ITEMS}
                rows.append({"province": province, "stratum": province, "psu": f"c{j}",
                             "weight": 1.0 + j % 2, **answers})  # fmt: skip
    return estimate(
        pd.DataFrame(rows), small_framework(), COLUMNS,
        EstimationOptions(unit="province", replicates=ReplicateOptions(replicates=100)),
    )  # fmt: skip


def test_the_national_mean_is_the_peers_mean_scaled_by_n_minus_1_over_n() -> None:
    # national = (θ_A + Σ others) / 4, so θ_A − national = 3/4 (θ_A − mean of the others) in every
    # replicate too: the difference and its SE scale by 3/4 and the verdict cannot differ.
    result = _four_provinces()
    national = diagnose(result, "A").set_index("indicator")
    peers = compare_with_peers(result, "A", ["B", "C", "D"]).set_index("indicator")
    assert list(national.index) == list(peers.index)  # every node and item, the index first
    assert national["level"].iloc[0] == "index"
    assert np.allclose(national["diff_national"], 0.75 * peers["diff_peers"])
    assert np.allclose(national["se_diff_national"], 0.75 * peers["se_diff_peers"])
    assert (national["vs_national"] == peers["vs_peers"]).all()
    assert compare_with_peers(result, "A", ["A"]).empty  # no peer but itself


def test_one_region_of_everyone_is_the_nation() -> None:
    result = _four_provinces()
    table = diagnose(result, regions=dict.fromkeys("ABCD", "R"))
    assert np.allclose(table["region_mean"], table["national"])
    assert np.allclose(table["se_diff_region"], table["se_diff_national"], equal_nan=True)
    assert (table["vs_region"] == table["vs_national"]).all()
    split = diagnose(result, regions={"A": "R1", "B": "R1", "C": "R2", "D": "R2"})
    a = split[(split["cell"] == "A") & (split["indicator"] == "q1")].iloc[0]
    b_q1 = result.value("province", "B", "q1")
    assert a["region_mean"] == pytest.approx((a["estimate"] + b_q1) / 2)


def test_change_is_a_z_test_on_independent_years() -> None:
    before = pd.DataFrame({"partition": "province", "cell": ["A", "B"], "indicator": "X",
                           "level": "index", "estimate": [80.0, 70.0], "se": [1.0, 3.0]})  # fmt: skip
    after = before.assign(estimate=[83.0, 71.0], se=[2.0, 4.0])
    table = yearly_change(before, after, before_unit="province", after_unit="province")
    a = table.set_index("cell").loc["A"]
    assert a["change"] == 3.0 and a["se_change"] == pytest.approx(math.sqrt(5))
    assert a["p_value"] == pytest.approx(math.erfc(3 / math.sqrt(5) / math.sqrt(2)))
    assert not a["significant"]  # z = 1.34
    b = table.set_index("cell").loc["B"]
    assert b["se_change"] == pytest.approx(5.0) and not b["significant"]
    bigger = yearly_change(before, after.assign(se=[0.5, 0.5]), before_unit="province",
                           after_unit="province")  # fmt: skip
    assert bigger.set_index("cell").loc["A", "significant"]


def test_unstable_estimates_are_flagged() -> None:
    rows = [{"province": p, "stratum": p, "psu": f"c{j}", "weight": 1.0,
             **dict.fromkeys(ITEMS, 1 + (i + j) % 5)}
            for p, n in {"big": 60, "small": 5}.items() for j in range(3) for i in range(n)]  # fmt: skip
    result = estimate(
        pd.DataFrame(rows), small_framework(), COLUMNS,
        EstimationOptions(unit="province", replicates=ReplicateOptions(replicates=20)),
    )  # fmt: skip
    assert result.value("province", "small", "q1", "unstable")
    assert result.value("province", "small", "q1", "n") == 15
    assert not result.value("province", "big", "q1", "unstable")


def test_a_63_province_survey_re_aggregates_to_the_34(gen2_survey: pd.DataFrame) -> None:
    """Hà Giang (02) joined Tuyên Quang (08) in 2025: its respondents count for the new 08."""
    frame = on_34_provinces(gen2_survey)
    assert set(frame.loc[frame["province_code"] == "02", UNIT_34]) == {"08"}
    assert set(frame.loc[frame["province_code"] == "01", UNIT_34]) == {"01"}
    old = _gen2(gen2_survey, replicates=ReplicateOptions(replicates=20))
    framework = require_survey(load_builtin("sipas-gen2"))
    new = estimate(
        frame, framework, COLUMNS,
        EstimationOptions(unit=UNIT_34, replicates=ReplicateOptions(replicates=20)),
    )  # fmt: skip
    # Hà Nội did not merge with anything in this sample: the same respondents, the same shares.
    assert new.value(UNIT_34, "01", "Q9_01") == pytest.approx(old.value("province", "01", "Q9_01"))
    # A pooled share lies between the shares of the provinces pooled into it (02 and 08).
    for item in ("Q9_01", "Q9_20", "Q9_33"):
        members = [old.value("province", c, item) for c in ("02", "08")]
        assert min(members) <= new.value(UNIT_34, "08", item) <= max(members)
        assert new.value(UNIT_34, "08", item, "n") == sum(
            old.value("province", c, item, "n") for c in ("02", "08")
        )


def test_synthetic_design_with_one_respondent_per_psu_runs(gen2_survey: pd.DataFrame) -> None:
    """An online survey: no clusters, every respondent its own PSU, strata = provinces."""
    framework = require_survey(load_builtin("sipas-gen2"))
    small = synthetic_survey(
        framework, 2024, design=SyntheticDesign(respondents_per_province=60), provinces=["01", "79"]
    )
    result = estimate(
        small, framework, DesignColumns(weight="weight", strata="stratum"),
        EstimationOptions(unit="province", replicates=ReplicateOptions(replicates=50)),
    )  # fmt: skip
    assert np.isfinite(result.rows("province", "index")["se"]).all()


@pytest.mark.parametrize("method", [ReplicateMethod.BOOTSTRAP, ReplicateMethod.JKN])
def test_chunking_does_not_change_any_number(gen2_survey: pd.DataFrame, method: str) -> None:
    """Strata processed one at a time (as for a million rows) or all together: the same results."""
    from sipas.survey.engine import Cells, cell_totals
    from sipas.survey.items import item_values

    framework = require_survey(load_builtin("sipas-gen2"))
    design = design_from_frame(gen2_survey, DesignColumns("weight", "village", "stratum"))
    values = item_values(gen2_survey, framework)
    codes, labels = pd.factorize(gen2_survey["sex"], sort=True)
    partitions = [
        Cells("province", pd.factorize(gen2_survey["province"], sort=True)[0], ("",) * 6),
        Cells("sex", codes, tuple(map(str, labels))),
    ]
    reps = replicate_design(design, ReplicateOptions(method=ReplicateMethod(method), replicates=30))
    together = cell_totals(design, values, partitions, reps)
    one_by_one = cell_totals(design, values, partitions, reps, chunk_rows=1)
    for a, b in zip(together, one_by_one, strict=True):
        np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-12)
        np.testing.assert_allclose(a.taylor_var, b.taylor_var, rtol=1e-9)
        np.testing.assert_allclose(a.replicate_estimates(), b.replicate_estimates(), rtol=1e-12)


def test_change_counts_the_places_moved_on_point_ranks() -> None:
    before = pd.DataFrame({"partition": "province", "cell": ["A", "B", "C"], "indicator": "X",
                           "level": "index", "estimate": [80.0, 70.0, 60.0], "se": 1.0,
                           "rank": [1.0, 2.0, 3.0]})  # fmt: skip
    after = before.assign(estimate=[70.0, 71.0, 90.0], rank=[3.0, 2.0, 1.0])
    table = yearly_change(before, after, before_unit="province", after_unit="province")
    moved = table.set_index("cell")["rank_change"].to_dict()
    assert moved == {"A": -2.0, "B": 0.0, "C": 2.0}  # C up 2 places, A down 2
