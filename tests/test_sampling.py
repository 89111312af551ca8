"""Sample sizes, allocation, selection with inclusion probabilities, and weighting."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sipas.errors import SipasError
from sipas.sampling.select import Method, draw, pps_probabilities, pps_systematic, read_design
from sipas.sampling.size import Allocation, allocate, margin_of_error, required_size, yamane
from sipas.sampling.weights import (
    linear_calibration,
    nonresponse_adjust,
    rake,
    read_margins,
    trim,
    weight_report,
)

# --- sizes ---------------------------------------------------------------------------------


def test_required_size_by_hand() -> None:
    # z = 1.959964; 1.959964² × 0.25 × 2 / 0.05² = 768.29 → 769
    assert required_size(0.05, deff=2.0) == 769
    # with a population of 2,000: 768.29 / (1 + 767.29 / 2000) = 555.3 → 556
    assert required_size(0.05, deff=2.0, population=2000) == 556
    assert margin_of_error(769, deff=2.0) <= 0.05 < margin_of_error(768, deff=2.0)


def test_yamane_rule() -> None:
    assert yamane(10_000, 0.05) == math.ceil(10_000 / (1 + 10_000 * 0.0025))  # 385


def test_allocation_adds_up_and_respects_the_minimum() -> None:
    populations = pd.Series([8_000_000, 1_000_000, 500_000, 300_000], index=list("ABCD"))
    for method in Allocation:
        n = allocate(2_000, populations, method, minimum=300)
        assert n.sum() == 2_000 and (n >= 300).all(), method
    proportional = allocate(1_000, pd.Series([3, 1], index=["x", "y"]), Allocation.PROPORTIONAL)
    assert list(proportional) == [750, 250]


def test_allocation_refuses_impossible_requests() -> None:
    with pytest.raises(SipasError) as caught:
        allocate(500, pd.Series([1, 2, 3]), minimum=200)
    assert caught.value.code == "sample.allocation_too_small"
    with pytest.raises(SipasError) as caught:
        allocate(500, pd.Series([1, 0, 3], index=["a", "b", "c"]))
    assert caught.value.code == "sample.bad_populations" and caught.value.values["units"] == ["b"]


# --- selection -----------------------------------------------------------------------------

SIZES = np.array([500, 120, 80, 60, 60, 45, 40, 30, 25, 20, 12, 8], dtype=float)


def test_pps_probabilities_take_large_units_for_certain() -> None:
    prob = pps_probabilities(SIZES, 4)
    assert prob[0] == 1.0  # 4 × 500 / 1000 > 1
    assert prob.sum() == pytest.approx(4.0)
    rest = SIZES[1:]
    assert np.allclose(prob[1:], 3 * rest / rest.sum())


def _frequency_ok(hits: np.ndarray, prob: np.ndarray, draws: int) -> None:
    """Each unit's selection frequency within 4.5 binomial standard errors of its probability."""
    se = np.sqrt(prob * (1 - prob) / draws)
    assert np.all(np.abs(hits / draws - prob) <= 4.5 * se + 1e-12), (hits / draws, prob)


def test_pps_systematic_selects_with_the_stated_probabilities() -> None:
    draws = 4000
    hits = np.zeros(len(SIZES))
    for seed in range(draws):
        chosen, prob = pps_systematic(np.random.default_rng(seed), SIZES, 4)
        assert len(chosen) == 4
        hits[chosen] += 1
    _frequency_ok(hits, prob, draws)


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for province in ("01", "79"):
        for c in range(8):
            for v in range(int(rng.integers(3, 7))):
                rows.append({"province": province, "commune": f"{province}-C{c}",
                             "village": f"{province}-C{c}-V{v}",
                             "households": int(rng.integers(40, 400))})  # fmt: skip
    return pd.DataFrame(rows)


DESIGN = """
id: test
strata: province
stages:
  - {name: commune, unit: commune, method: pps_systematic, size: households, take: 3}
  - {name: village, unit: village, method: srs, take: 2, reserve: 1}
  - {name: household, size: households, take: 20}
"""


def test_stage_probabilities_multiply_and_match_simulated_frequencies() -> None:
    frame, design = _frame(), read_design(DESIGN)
    draws = 1500
    hits: dict[str, int] = {}
    expected: dict[str, float] = {}
    for seed in range(draws):
        sample = draw(frame, design, seed)
        main = sample[~sample["reserve"]]
        product = main["p_commune"] * main["p_village"] * main["p_household"]
        assert np.allclose(product, main["probability"])
        assert np.allclose(main["design_weight"] * main["probability"], 1.0)
        assert (main.groupby("province")["commune"].nunique() == 3).all()
        for village, p in zip(main["village"], main["p_commune"] * main["p_village"], strict=True):
            hits[village] = hits.get(village, 0) + 1
            expected[village] = p
    villages = sorted(expected)
    _frequency_ok(
        np.array([hits[v] for v in villages], dtype=float),
        np.array([expected[v] for v in villages]),
        draws,
    )


def test_the_same_seed_gives_the_same_sample_whatever_the_row_order() -> None:
    frame, design = _frame(), read_design(DESIGN)
    first = draw(frame, design, 11).sort_values("village").reset_index(drop=True)
    shuffled = draw(frame.sample(frac=1.0, random_state=5), design, 11)
    second = shuffled.sort_values("village").reset_index(drop=True)
    pd.testing.assert_frame_equal(first, second[first.columns])
    assert not draw(frame, design, 12)["village"].equals(draw(frame, design, 11)["village"])


def test_reserves_are_marked_and_not_in_the_main_sample() -> None:
    sample = draw(_frame(), read_design(DESIGN), 2)
    per_commune = sample.groupby("commune")["reserve"].agg(["sum", "size"])
    assert (per_commune["sum"] <= 1).all() and (per_commune["size"] - per_commune["sum"] <= 2).all()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda f: pd.concat([f, f.head(2)]), "sample.duplicate_units"),
        (lambda f: f.assign(households=f["households"].where(f.index != 4, 0)), "sample.bad_size"),
        (lambda f: f.drop(columns="commune"), "sample.frame_columns"),
        (
            lambda f: f[f["commune"].isin(["01-C0", "01-C1", "79-C0", "79-C1", "79-C2"])],
            "sample.allocation_exceeds_frame",
        ),
    ],
)
def test_bad_frames_are_refused_with_rows(change: object, code: str) -> None:
    frame = change(_frame())  # type: ignore[operator]
    with pytest.raises(SipasError) as caught:
        draw(frame, read_design(DESIGN), 1)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("stages", "words"),
    [
        ("[{name: c, unit: c, method: pps_systematic, take: 2}]", "needs a size column"),
        ("[{name: h, size: hh, take: 5}, {name: v, unit: v, take: 2}]", "must be the last"),
        ("[{name: h, take: 5}]", "at least one stage"),
    ],
)
def test_stages_that_do_not_fit_together_are_refused(stages: str, words: str) -> None:
    with pytest.raises(SipasError) as caught:
        read_design(f"id: x\nstages: {stages}\n")
    assert caught.value.code == "sample.design_invalid" and words in caught.value.message


def test_a_bad_design_file_names_the_field() -> None:
    with pytest.raises(SipasError) as caught:
        read_design("id: x\nstages:\n  - {name: a, unit: a, take: 0}\n")
    assert caught.value.code == "sample.design_invalid" and "take" in caught.value.message
    assert Method("srs") is Method.SRS


# --- weights -------------------------------------------------------------------------------


def _respondents() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(8)
    n = 400
    frame = pd.DataFrame(
        {
            "province": rng.choice(["01", "79"], n),
            "sex": rng.choice(["male", "female"], n, p=[0.4, 0.6]),
            "age_band": rng.choice(["18-34", "35-59", "60+"], n, p=[0.2, 0.5, 0.3]),
        }
    )
    return frame, rng.lognormal(3, 0.5, n)


def _margins() -> pd.DataFrame:
    rows = []
    for province, total in (("01", 9000.0), ("79", 11000.0)):
        rows += [
            (province, "sex", "male", total * 0.49), (province, "sex", "female", total * 0.51),
            (province, "age_band", "18-34", total * 0.35),
            (province, "age_band", "35-59", total * 0.45),
            (province, "age_band", "60+", total * 0.20),
        ]  # fmt: skip
    return pd.DataFrame(rows, columns=["province", "variable", "level", "total"])


@pytest.mark.parametrize("method", ["raking", "linear"])
def test_calibrated_weights_reproduce_every_margin(method: str) -> None:
    frame, weights = _respondents()
    margins = read_margins(_margins(), group="province")
    function = rake if method == "raking" else linear_calibration
    calibrated, report = function(frame, weights, margins, group="province")
    for row in _margins().itertuples(index=False):
        mask = (frame["province"] == row.province) & (frame[row.variable] == row.level)
        assert calibrated[mask.to_numpy()].sum() == pytest.approx(row.total, abs=1e-8)
    assert report.max_margin_error < 1e-8 and report.converged
    assert report.kish_deff == pytest.approx(
        len(calibrated) * (calibrated**2).sum() / calibrated.sum() ** 2
    )


def test_margins_that_disagree_are_refused() -> None:
    broken = _margins()
    broken.loc[0, "total"] += 500
    with pytest.raises(SipasError) as caught:
        read_margins(broken, group="province")
    assert caught.value.code == "weights.margins_disagree_in_group"
    assert "in province '01'" in caught.value.message


def test_a_margin_cell_without_respondents_is_refused() -> None:
    frame, weights = _respondents()
    frame.loc[frame["province"] == "79", "age_band"] = "35-59"
    with pytest.raises(SipasError) as caught:
        rake(frame, weights, read_margins(_margins(), group="province"), group="province")
    assert caught.value.code == "weights.empty_cell" and "79 age_band=18-34" in caught.value.message


def test_nonresponse_adjustment_keeps_each_cells_total() -> None:
    frame, weights = _respondents()
    responded = np.arange(len(frame)) % 3 != 0
    adjusted = nonresponse_adjust(frame, weights, responded, ["province", "sex"])
    for _, rows in frame.groupby(["province", "sex"]).groups.items():
        index = np.asarray(rows)
        assert adjusted[index].sum() == pytest.approx(weights[index].sum())
    assert (adjusted[~responded] == 0).all()
    with pytest.raises(SipasError) as caught:
        nonresponse_adjust(frame, weights, frame["sex"] == "male", ["sex"])
    assert caught.value.code == "weights.cell_without_respondents"


def test_trimming_caps_and_keeps_the_total() -> None:
    weights = np.array([1.0, 1.0, 1.0, 1.0, 20.0, 2.0])
    trimmed, capped = trim(weights, upper=6.0)
    assert trimmed.max() <= 6.0 + 1e-9 and capped == 2  # 20 is capped, then 2 grows past 6
    assert trimmed.sum() == pytest.approx(weights.sum())
    report = weight_report(trimmed, "trimmed")
    assert report.effective_n == pytest.approx(trimmed.sum() ** 2 / (trimmed**2).sum())


def test_a_value_without_a_population_total_is_named() -> None:
    frame, weights = _respondents()
    frame.loc[[3, 9], "sex"] = "other"
    with pytest.raises(SipasError) as caught:
        rake(frame, weights, read_margins(_margins(), group="province"), group="province")
    assert caught.value.code == "weights.unknown_level"
    assert "total: other (rows 5, 11)" in caught.value.message


def test_fixed_sizes_are_kept_and_the_rest_shared() -> None:
    populations = pd.Series([8.7e6, 9.5e6, 1.2e6, 0.6e6], index=["01", "79", "26", "27"])
    n = allocate(3000, populations, Allocation.PROPORTIONAL, minimum=300, fixed={"01": 1000})
    assert n["01"] == 1000 and n.sum() == 3000 and (n >= 300).all()
    with pytest.raises(SipasError) as caught:
        allocate(1000, populations, minimum=400, fixed={"01": 500})
    assert caught.value.code == "sample.fixed_too_large"
    assert caught.value.text("vi")[0] == (
        "Sau các cỡ mẫu cố định (500), chỉ còn 500 cho 3 đơn vị, ít hơn mức tối thiểu 400 mỗi đơn vị"
    )
