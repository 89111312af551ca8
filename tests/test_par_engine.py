"""The PAR engine on worked examples whose arithmetic is written out here, plus its invariants."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from par_fixtures import EVERY_RUBRIC, FLAT
from sipas.errors import SipasError
from sipas.frameworks import ParFramework, parse_framework_text
from sipas.par import check_points, compute, points_from_value, round_half_up


def _framework(text: str = EVERY_RUBRIC) -> ParFramework:
    framework, report = parse_framework_text(text, "test")
    assert framework is not None, [str(p) for p in report.errors]
    assert isinstance(framework, ParFramework)
    return framework


def _leaf(framework: ParFramework, code: str):  # type: ignore[no-untyped-def]
    return next(leaf for leaf in framework.leaves() if leaf.code == code)


def _scores(
    framework: ParFramework, unit: str, values: dict[str, object]
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for code, value in values.items():
        if value == "n/a":
            rows.append({"unit_code": unit, "node_code": code, "points": None, "applicable": False})
        else:
            points = points_from_value(_leaf(framework, code), value, code)
            rows.append(
                {"unit_code": unit, "node_code": code, "points": points, "applicable": True}
            )
    return rows


UNIT_X = {
    "1.1": 90,  # not above 90, at least 70 → 1
    "1.2": "đạt",  # met → 1
    "1.3": "trễ hạn",  # late → 0.5 × 1
    "1.4": 60,  # 4 × 60 / 80 = 3
    "1.5": 1.5,  # points entered directly
    # citizens (6×1 + 2×0.6 + 2×0.2) / 10 = 0.76; officials (1 + 0.6 + 0.2 + 0) / 4 = 0.45
    # mean 0.605 × 6 = 3.63
    "2.1": {
        "citizens": {"A": 6, "B": 2, "C": 2, "D": 0},
        "officials": {"A": 1, "B": 1, "C": 1, "D": 1},
    },
    "2.2": 83.94,  # 4 × 0.8394 = 3.3576
    "B.1": 1.5,
    "B.2": 1.0,  # bonus 2.5, capped at 2
    "P.1": 0.5,  # penalty 0.5 (cap 1)
}
UNIT_Y = {
    "1.1": 95,  # above 90 → 2
    "1.2": "không đạt",  # → 0
    "1.3": "đúng hạn",  # → 1
    "1.4": 100,  # 4 × min(100 / 80, 1) = 4
    "1.5": "n/a",  # excluded: area 1 max becomes 8
    "2.1": {"citizens": {"A": 5}, "officials": {"D": 3}},  # (1 + 0) / 2 × 6 = 3
    "2.2": 50,  # 4 × 0.5 = 2
}


def _compute(text: str = EVERY_RUBRIC) -> pd.DataFrame:
    framework = _framework(text)
    rows = _scores(framework, "X", UNIT_X) + _scores(framework, "Y", UNIT_Y)
    return compute(framework, ["X", "Y"], pd.DataFrame(rows))


def test_every_rubric_kind_by_hand() -> None:
    results = _compute()
    units = results.units.set_index("unit_code")
    nodes = results.nodes.set_index(["unit_code", "node_code"])
    # X: area 1 = 1 + 1 + 0.5 + 3 + 1.5 = 7 of 10; area 2 = 3.63 + 3.3576 = 6.9876 of 10
    assert nodes.loc[("X", "1"), "points"] == pytest.approx(7.0)
    assert nodes.loc[("X", "2"), "points"] == pytest.approx(6.9876)
    assert nodes.loc[("X", "2"), "index"] == pytest.approx(69.876)
    # total = 13.9876 + bonus 2 (capped) − penalty 0.5 = 15.4876; index = 15.4876 / 20 × 100
    assert units.loc["X", "bonus"] == pytest.approx(2.0)
    assert units.loc["X", "penalty"] == pytest.approx(0.5)
    assert units.loc["X", "total"] == pytest.approx(15.4876)
    assert units.loc["X", "index"] == pytest.approx(77.438)
    assert round_half_up(units.loc["X", "index"]) == 77.44
    assert units.loc["X", "group"] == "C"
    # Y: area 1 = 2 + 0 + 1 + 4 = 7 of 8 (1.5 excluded); area 2 = 3 + 2 = 5; index = 12 / 18 × 100
    assert nodes.loc[("Y", "1"), "max"] == pytest.approx(8.0)
    assert nodes.loc[("Y", "1"), "index"] == pytest.approx(87.5)
    assert units.loc["Y", "index"] == pytest.approx(200 / 3)
    assert round_half_up(units.loc["Y", "index"]) == 66.67
    assert pd.isna(units.loc["Y", "group"])
    assert list(units["rank"]) == [1, 2]
    assert bool(units.loc["Y", "complete"])  # bonus and penalty leaves are optional
    # national mean of indices: (77.438 + 66.666…) / 2
    assert results.national["mean_index"] == pytest.approx((77.438 + 200 / 3) / 2)
    assert results.national["group_counts"] == {"A": 0, "B": 0, "C": 1, "none": 1}


def test_not_applicable_as_full_points() -> None:
    results = _compute(
        EVERY_RUBRIC.replace("not_applicable: exclude", "not_applicable: full_points")
    )
    y = results.units.set_index("unit_code").loc["Y"]
    # 1.5 earns its 2 points: (7 + 2 + 5) / 20 × 100 = 70
    assert y["index"] == pytest.approx(70.0)
    assert y["group"] == "C"


def test_not_applicable_where_the_framework_does_not_allow_it() -> None:
    framework = _framework()
    rows = [{"unit_code": "X", "node_code": "1.2", "points": None, "applicable": False}]
    with pytest.raises(SipasError) as error:
        compute(framework, ["X"], pd.DataFrame(rows))
    assert error.value.code == "par.not_applicable_in_scores"
    assert error.value.values == {"unit": "X", "leaf": "1.2"}
    assert "tiêu chí 1.2 là không áp dụng" in error.value.text("vi")[0]


def test_missing_leaf_counts_zero_and_marks_the_unit_incomplete() -> None:
    framework = _framework()
    rows = [r for r in _scores(framework, "X", UNIT_X) if r["node_code"] != "1.4"]
    units = compute(framework, ["X"], pd.DataFrame(rows)).units
    assert units.loc[0, "missing_leaves"] == 1
    assert not units.loc[0, "complete"]
    assert units.loc[0, "total"] == pytest.approx(15.4876 - 3)


def test_rubric_inputs_refused_with_the_leaf_named() -> None:
    framework = _framework()
    cases = [
        ("1.1", 120, "par.value.rate_range"),
        ("1.2", "maybe", "par.value.binary"),
        ("1.3", "soon", "par.value.timeliness"),
        ("2.1", {"citizens": {"A": 1}}, "par.value.survey_group"),  # officials missing
        ("2.1", {"citizens": {"E": 1}, "officials": {"A": 1}}, "par.value.survey_answer"),
        ("1.5", 2.5, "par.above_max"),
        ("1.5", -1, "par.negative_points"),
    ]
    for code, value, expected in cases:
        with pytest.raises(SipasError) as error:
            points_from_value(_leaf(framework, code), value, f"unit X › {code}")
        assert error.value.code == expected, (code, value)
        assert f"unit X › {code}" in error.value.message
        assert error.value.text("vi")[0].startswith(f"unit X › {code}: ")


def test_points_entered_directly_must_be_ones_the_rubric_gives() -> None:
    framework = _framework()
    assert check_points(_leaf(framework, "1.2"), 1, "1.2") == 1.0
    assert check_points(_leaf(framework, "1.3"), 0.5, "1.3") == 0.5
    with pytest.raises(SipasError) as error:
        check_points(_leaf(framework, "1.2"), 0.5, "1.2")
    assert error.value.code == "par.points_not_in_rubric"
    assert "0, 1" in (error.value.hint or "")
    with pytest.raises(SipasError) as error:
        check_points(_leaf(framework, "1.3"), 0.7, "1.3")  # timeliness: 0, 0.5 or 1 here
    assert error.value.code == "par.points_not_in_rubric"
    vi = error.value.text("vi")
    assert vi[0] == "1.3: thang chấm (timeliness) của tiêu chí không có mức 0,7 điểm"
    assert vi[1] == "Các mức điểm: 0; 0,5; 1"  # decimal commas: the levels are set apart by ";"


def test_published_rounding_is_half_up_on_the_decimal_value() -> None:
    # Hải Phòng: 91.87 in 2023 plus 4.30 gives 96.17 in 2024 (float sum 96.17000000000002).
    assert round_half_up(91.87 + 4.30) == 96.17
    # Python's round() gives 2.67 and 88.36 here: the floats sit just below the half.
    assert round(2.675, 2) == 2.67 and round_half_up(2.675) == 2.68
    assert round_half_up(88.365) == 88.37
    assert round_half_up(88.3649) == 88.36
    assert round_half_up(float("nan")) is None


def _flat(points: dict[str, tuple[float, float]]) -> pd.DataFrame:
    framework = _framework(FLAT)
    rows = [
        {"unit_code": unit, "node_code": code, "points": value}
        for unit, pair in points.items()
        for code, value in zip(("1", "2"), pair, strict=True)
    ]
    return compute(framework, list(points), pd.DataFrame(rows)).units.set_index("unit_code")


def test_group_counts_at_the_thresholds() -> None:
    units = _flat(
        {
            "at90": (60, 30),
            "pub90": (59.995, 30),  # 89.995 is published as 90.00: group A
            "below90": (59.994, 30),  # 89.994 → 89.99: group B
            "at80": (50, 30),
            "below80": (49.99, 30),
            "at70": (40, 30),
            "below70": (39.99, 30),
        }
    )
    assert units["group"].fillna("-").tolist() == ["A", "A", "B", "B", "C", "C", "-"]


def test_ties_share_a_rank_on_unrounded_totals() -> None:
    units = _flat(
        {
            "a": (60, 35),  # 95
            "b": (0.1, 0.2),  # 0.30000000000000004 in floating point
            "c": (0.3, 0.0),  # 0.3: the same total, a tie
            "d": (50, 35),  # 85
            "e": (50, 34.999),  # 84.999: published 85.00 too, but lower unrounded
        }
    )
    assert units["rank"].to_dict() == {"a": 1, "b": 4, "c": 4, "d": 2, "e": 3}


@st.composite
def _trees(draw: st.DrawFn) -> tuple[str, list[str], list[float]]:
    """A random three-level framework (maxima in hundredths) and its leaf codes and maxima."""
    lines, leaves, maxima = [], [], []
    total = 0
    for a in range(1, draw(st.integers(1, 4)) + 1):
        area_lines, area_total = [], 0
        for c in range(1, draw(st.integers(1, 3)) + 1):
            code = f"{a}.{c}"
            if draw(st.booleans()):
                subs = [draw(st.integers(1, 500)) for _ in range(draw(st.integers(1, 3)))]
                child_lines = "".join(
                    f"""
          - {{code: "{code}.{s + 1}", name: {{vi: "x", en: "x"}}, max_points: {m / 100}, method: self_assessed}}"""
                    for s, m in enumerate(subs)
                )
                area_lines.append(
                    f"""
      - code: "{code}"
        name: {{vi: "x", en: "x"}}
        max_points: {sum(subs) / 100}
        children:{child_lines}"""
                )
                leaves += [f"{code}.{s + 1}" for s in range(len(subs))]
                maxima += [m / 100 for m in subs]
                area_total += sum(subs)
            else:
                m = draw(st.integers(1, 500))
                area_lines.append(
                    f"""
      - {{code: "{code}", name: {{vi: "x", en: "x"}}, max_points: {m / 100}, method: self_assessed}}"""
                )
                leaves.append(code)
                maxima.append(m / 100)
                area_total += m
        lines.append(
            f"""
  - code: "{a}"
    name: {{vi: "x", en: "x"}}
    max_points: {area_total / 100}
    children:{"".join(area_lines)}"""
        )
        total += area_total
    text = f"""
id: random
kind: par
version: "1"
title: {{vi: "x", en: "x"}}
total_points: {total / 100}
nodes:{"".join(lines)}
"""
    return text, leaves, maxima


@settings(max_examples=60, deadline=None)
@given(tree=_trees(), data=st.data())
def test_index_is_leaf_points_over_maximum(
    tree: tuple[str, list[str], list[float]], data: st.DataObject
) -> None:
    text, leaves, maxima = tree
    framework = _framework(text)
    units = ["u1", "u2", "u3"]
    rows = []
    for unit in units:
        for code, top in zip(leaves, maxima, strict=True):
            share = data.draw(st.integers(0, 100))
            rows.append({"unit_code": unit, "node_code": code, "points": top * share / 100})
    frame = pd.DataFrame(rows)
    results = compute(framework, units, frame).units.set_index("unit_code")
    for unit in units:
        expected = math.fsum(frame.loc[frame["unit_code"] == unit, "points"]) / math.fsum(maxima)
        assert results.loc[unit, "index"] == pytest.approx(expected * 100, abs=1e-9)


def test_a_framework_with_every_rubric_round_trips_through_excel() -> None:
    from sipas.frameworks.excel import export_par_xlsx, import_par_xlsx

    framework = _framework()
    again, report = import_par_xlsx(export_par_xlsx(framework))
    assert report.valid, [str(p) for p in report.errors]
    assert again == framework
