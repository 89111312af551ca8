"""Periods, the indicator framework as data, conditions and scoring curves of the service index."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from sipas.errors import SipasError
from sipas.service_index import builtin_framework, load_framework, parse_period
from sipas.service_index.framework import parse_condition
from sipas.service_index.incremental import affected_periods


def test_periods() -> None:
    q3 = parse_period("2025-Q3")
    assert (q3.start, q3.end, q3.grain) == (date(2025, 7, 1), date(2025, 9, 30), "quarter")
    assert [p.key for p in q3.split("month")] == ["2025-07", "2025-08", "2025-09"]
    assert parse_period("2025-01").previous().key == "2024-12"
    assert parse_period("2024-02").end == date(2024, 2, 29)
    assert parse_period("2025").previous().key == "2024"
    assert parse_period("2025-Q1").previous().key == "2024-Q4"
    assert parse_period("2025-12").next().key == "2026-01"
    for bad in ("2025-13", "2025-Q5", "25", "July"):
        with pytest.raises(SipasError) as caught:
            parse_period(bad)
        assert caught.value.code == "service_index.bad_period"


def test_affected_periods_are_those_holding_the_new_days() -> None:
    stored = ["2025-07", "2025-08", "2025-09"]
    got = affected_periods([date(2025, 8, 15), date(2025, 8, 31)], stored)
    assert [p.key for p in got] == ["2025-08"]
    assert affected_periods([date(2025, 10, 1)], stored) == []


def test_builtin_framework_is_data_with_sources() -> None:
    framework = builtin_framework()
    assert framework.code == "service-766"
    assert [(g.code, g.points) for g in framework.groups] == [
        ("transparency", 18),
        ("progress", 20),
        ("online", 12),
        ("payment", 10),
        ("digitisation", 22),
        ("satisfaction", 18),
    ]
    assert sum(i.points for i in framework.indicators if i.scored) == 100
    assert {i.threshold for i in framework.indicators} == {None, 0.8, 0.9}
    split = builtin_framework("service-766-split")  # the reconstruction keeps O3's 50 % threshold
    assert {i.threshold for i in split.indicators} == {None, 0.5, 0.8, 0.9}
    assert any(i.provisional for i in framework.indicators)
    assert "766" in framework.sources["decision"]
    assert framework.parameter("publish_days") == 5
    text = Path(__file__).parents[1] / "src/sipas/service_index/data/service-766.yaml"
    raw = yaml.safe_load(text.read_text(encoding="utf-8"))
    assert raw["parameters"]["publish_days"]["provisional"] is True


def _framework_file(tmp_path: Path, change: dict[str, object]) -> Path:
    text = Path(__file__).parents[1] / "src/sipas/service_index/data/service-766.yaml"
    raw = yaml.safe_load(text.read_text(encoding="utf-8"))
    raw["groups"][1]["indicators"][0].update(change)
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_a_framework_that_breaks_a_rule_is_refused_naming_the_node(tmp_path: Path) -> None:
    with pytest.raises(SipasError) as caught:
        load_framework(_framework_file(tmp_path, {"numerator": ["on_tme"]}))
    assert "groups[1].indicators[0].numerator[0]" in caught.value.message
    assert "on_tme" in caught.value.message
    with pytest.raises(SipasError) as caught:
        load_framework(_framework_file(tmp_path, {"points": 19}))
    assert "add up to 19" in caught.value.message
    with pytest.raises(SipasError):
        load_framework(_framework_file(tmp_path, {"curve": {"threshold": 1.5}}))
    # what YAML makes of an unquoted comma: {vi: Tiến độ, kết quả, en: Progress}
    cut = {"name": {"vi": "Tiến độ", "kết quả": None, "en": "Progress"}}
    with pytest.raises(SipasError) as caught:
        load_framework(_framework_file(tmp_path, cut))
    assert "groups[1].indicators[0].name" in caught.value.message
    assert "quote" in caught.value.message
    assert (
        load_framework(_framework_file(tmp_path, {"numerator": ["judged"]})).code == "service-766"
    )


def test_conditions_read_and_evaluate() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [3, 2, 1], "f": [True, False, True]})
    cases = {
        "f": [True, False, True],
        "not f": [False, True, False],
        "a >= 2": [False, True, True],
        "a == b": [False, True, False],
        "a in [1, 3]": [True, False, True],
        "a != 2": [True, False, True],
    }
    for text, want in cases.items():
        assert parse_condition(text).evaluate(frame).tolist() == want, text
    assert parse_condition("applicant_type == 'citizen'").value == "citizen"
    for bad in ("a >>= 2", "a in 3", ""):
        with pytest.raises(ValueError):
            parse_condition(bad)


def test_scoring_curves() -> None:
    framework = builtin_framework()
    by_code = {i.code: i for i in framework.indicators}
    assert by_code["P1"].score(0.9) == pytest.approx(18.0)  # linear: 20 × 0.9
    assert by_code["O4"].score(0.4) == pytest.approx(4.8)  # linear: 12 × 0.4
    split = {i.code: i for i in builtin_framework("service-766-split").indicators}
    assert split["O3"].score(0.4) == pytest.approx(4.8)  # 6 × 0.4 / 0.5
    assert split["O3"].score(0.7) == 6.0  # full at ≥ 50 %
    assert by_code["S1"].score(None) == 6.0  # no feedback: full points
    assert by_code["P1"].score(None) == 0.0
    assert by_code["P2"].score(3.5) is None  # reported, not scored


@given(st.floats(0, 1), st.floats(0, 1))
def test_points_stay_within_the_maximum_and_grow_with_the_ratio(a: float, b: float) -> None:
    for indicator in builtin_framework().indicators:
        if not indicator.scored:
            continue
        low, high = sorted((a, b))
        p_low, p_high = indicator.score(low), indicator.score(high)
        assert p_low is not None and p_high is not None
        assert 0 <= p_low <= p_high <= indicator.points
