"""PAR what-if: hand-worked distances to a group and to a rank among ties, and a recomputation
that equals the results computed after the same scores are really stored."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from par_fixtures import FLAT
from sipas.errors import SipasError
from sipas.frameworks import ParFramework, parse_framework_text
from sipas.par import compute
from sipas.par.whatif import Target, open_leaves, points_needed, standing, what_if

# Leaf 1 is worth 60 points, leaf 2 40; groups A ≥ 90, B ≥ 80, C ≥ 70 (published index).
SCORES = {
    "X": (50.0, 38.8),  # 88.8: group B, 1.2 below 90
    "Y": (55.0, 37.0),  # 92.0
    "Z": (52.0, 40.0),  # 92.0, tied with Y
    "W": (50.0, 35.0),  # 85.0
}
UNITS = list(SCORES)


def _framework() -> ParFramework:
    framework, report = parse_framework_text(FLAT, "test")
    assert isinstance(framework, ParFramework), report
    return framework


def _scores() -> pd.DataFrame:
    rows = [
        {"unit_code": unit, "node_code": code, "points": points}
        for unit, pair in SCORES.items()
        for code, points in zip(("1", "2"), pair, strict=True)
    ]
    return pd.DataFrame(rows)


def _need(target: str) -> Any:
    framework, scores = _framework(), _scores()
    results = compute(framework, UNITS, scores)
    return points_needed(framework, results, scores, "X", Target.parse(target))


def test_a_unit_1_2_points_below_group_a() -> None:
    # Groups go by the published index, rounded half-up to 2 decimals: 89.995 is published as
    # 90.00, so X needs 89.995 − 88.8 = 1.195 points (the maximum is 100, so points = index).
    need = _need("group:A")
    assert math.isclose(need.index, 89.995)
    assert math.isclose(need.points, 1.195)
    assert need.reachable
    # Leaf 1 has 60 − 50 = 10 points open, leaf 2 40 − 38.8 = 1.2: the largest first.
    assert [leaf.code for leaf in need.path] == ["1"]
    assert math.isclose(need.path[0].open, 10.0)


def test_a_target_rank_among_ties() -> None:
    # Y and Z share rank 1 at 92; W is 4th... X (88.8) is 3rd. Rank 2 does not exist while Y and
    # Z tie: to be 2nd or better X must reach 92 and share rank 1 — 3.2 points.
    need = _need("rank:2")
    assert math.isclose(need.points, 3.2, abs_tol=1e-9)
    assert _need("rank:3").points == 0.0  # already 3rd
    assert _need("rank:4").points == 0.0  # there are only 3 others
    framework = _framework()
    results, after, _ = what_if(framework, UNITS, _scores(), "X", {"1": 53.2})
    assert after.rank == 1 and math.isclose(after.index, 92.0)
    assert set(results.units.loc[results.units["rank"] == 1, "unit_code"]) == {"X", "Y", "Z"}


def test_a_total_target_and_an_unreachable_one() -> None:
    assert math.isclose(_need("total:95").points, 6.2)
    need = _need("total:100")
    assert need.reachable and math.isclose(need.points, 11.2)
    assert [leaf.code for leaf in need.path] == ["1", "2"]
    assert math.isclose(need.path[-1].cumulative, 11.2)


def test_what_if_changes_only_the_unit_and_leaves_the_input_alone() -> None:
    framework, scores = _framework(), _scores()
    before = scores.copy()
    results, after, changed = what_if(framework, UNITS, scores, "X", {"2": 40.0})
    pd.testing.assert_frame_equal(scores, before)
    assert math.isclose(after.index, 90.0) and after.group == "A"
    # Every other unit is exactly as before.
    plain = compute(framework, UNITS, scores).units.set_index("unit_code")
    for unit in ("Y", "Z", "W"):
        assert standing(results, unit).index == plain.loc[unit, "index"]
    assert len(changed) == len(scores)


def test_open_leaves_are_sorted_largest_first() -> None:
    leaves = open_leaves(_framework(), _scores(), "W")
    assert [(leaf.code, leaf.open) for leaf in leaves] == [("1", 10.0), ("2", 5.0)]
    assert leaves[-1].cumulative == 15.0


@pytest.mark.parametrize("text", ["group:", "rank:0", "rank:1.5", "total:-1", "best", "total:x"])
def test_a_target_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(SipasError) as caught:
        Target.parse(text)
    assert caught.value.code == "par.whatif.bad_target"


def test_hypothetical_points_are_checked_against_the_leaf() -> None:
    framework = _framework()
    with pytest.raises(SipasError) as caught:
        what_if(framework, UNITS, _scores(), "X", {"2": 41.0})
    assert caught.value.code == "par.whatif.points_out_of_range"
    with pytest.raises(SipasError) as caught:
        what_if(framework, UNITS, _scores(), "X", {"9": 1.0})
    assert caught.value.code == "par.whatif.unknown_leaf"


# --- through the CLI, on a stored campaign -------------------------------------------------------


@pytest.fixture
def campaign(run_cli: Any, tmp_path: Path) -> str:
    (tmp_path / "flat.yaml").write_text(FLAT, encoding="utf-8")
    units = "unit_code,name,kind,province_code\n" + "".join(
        f"{u},Đơn vị {u},department,01\n" for u in UNITS
    )
    (tmp_path / "units.csv").write_text(units, encoding="utf-8")
    sheet = "unit_code,node_code,points\n" + "".join(
        f"{u},{code},{points}\n"
        for u, pair in SCORES.items()
        for code, points in zip(("1", "2"), pair, strict=True)
    )
    (tmp_path / "self.csv").write_text(sheet, encoding="utf-8")
    for args in (
        ("par", "campaign", "create", "flat-2025", "--framework", "flat.yaml", "--year", "2025",
         "--units", "units.csv"),
        ("par", "scores", "import", "self.csv", "--campaign", "flat-2025", "--stage", "self"),
    ):  # fmt: skip
        result = run_cli(*args)
        assert result.exit_code == 0, result.output
    return "flat-2025"


def test_the_recomputation_equals_the_results_after_really_storing_the_scores(
    run_cli: Any, campaign: str, tmp_path: Path
) -> None:
    asked = run_cli(
        "par", "whatif", campaign, "--unit", "X", "--set", "2=40", "--target", "rank:1",
        "--format", "json",
    )  # fmt: skip
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.stdout)
    assert answer["now"]["group"] == "B" and answer["after"]["group"] == "A"
    assert math.isclose(answer["need"]["points"], 2.0, abs_tol=1e-6)  # 90 → 92 (tie at rank 1)
    # Nothing was stored by asking.
    shown = json.loads(
        run_cli("par", "results", campaign, "--stage", "self", "--format", "json").stdout
    )
    assert next(u for u in shown["units"] if u["unit"] == "X")["index"] == 88.8
    # Store the same change for real, and compare.
    (tmp_path / "change.csv").write_text("unit_code,node_code,points\nX,2,40\n", encoding="utf-8")
    stored = run_cli(
        "par", "scores", "import", "change.csv", "--campaign", campaign, "--stage", "self"
    )
    assert stored.exit_code == 0, stored.output
    shown = json.loads(
        run_cli("par", "results", campaign, "--stage", "self", "--format", "json").stdout
    )
    x = next(u for u in shown["units"] if u["unit"] == "X")
    assert x["index"] == round(answer["after"]["index"], 2)
    assert x["group"] == answer["after"]["group"] and x["rank"] == answer["after"]["rank"]


def test_the_terminal_answer_names_the_leaves_to_improve(run_cli: Any, campaign: str) -> None:
    result = run_cli("par", "whatif", campaign, "--unit", "X", "--target", "group:A")
    assert result.exit_code == 0, result.output
    assert "1,195" in result.output  # Vietnamese decimal comma
    assert "nhóm B" in result.output
    refused = run_cli("par", "whatif", campaign, "--unit", "Q", "--target", "group:A")
    assert refused.exit_code == 1 and "[par.whatif.unknown_unit]" in refused.output
    refused = run_cli("par", "whatif", campaign, "--unit", "X", "--set", "2:40")
    assert refused.exit_code == 1 and "[par.whatif.bad_change]" in refused.output


# --- on the officer's web workspace --------------------------------------------------------------


def test_the_workspace_answers_what_if_without_storing(campaign: str) -> None:
    import re

    from fastapi.testclient import TestClient

    from sipas.api import users
    from sipas.settings import load_settings
    from sipas.store import open_database
    from sipas.web import create_app

    settings = load_settings()
    db = open_database(settings.resolved_database_url())
    users.create_user(db, name="can", role="officer", password="correct horse battery",
                      province="01")  # fmt: skip
    users.create_user(db, name="khac", role="officer", password="correct horse battery",
                      province="79")  # fmt: skip
    app = create_app(settings, db)

    def signed_in(name: str) -> TestClient:
        client = TestClient(app, base_url="https://testserver")
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert token
        client.post("/login", data={"name": name, "password": "correct horse battery",
                                    "csrf": token.group(1), "next": "/workspace"})  # fmt: skip
        return client

    client = signed_in("can")
    page = client.get(
        f"/workspace/{campaign}/X/whatif", params={"target": "group:A", "set": "2=39"}
    )
    assert page.status_code == 200, page.text
    assert "Cần thêm 0,995 điểm" in page.text and "nhóm B" in page.text
    assert 'data-chart="whatif-chart"' in page.text
    twin = client.get(f"/workspace/{campaign}/X/whatif.json", params={"target": "rank:1"}).json()
    assert math.isclose(twin["answer"]["need"]["points"], 3.2, abs_tol=1e-9)
    assert len(twin["answer"]["others"]) == 3
    # Another province's officer may not look.
    refused = signed_in("khac").get(f"/workspace/{campaign}/X/whatif")
    assert refused.status_code == 403
    bad = client.get(f"/workspace/{campaign}/X/whatif", params={"target": "best"})
    assert bad.status_code == 400 and "không hợp lệ" in bad.text
