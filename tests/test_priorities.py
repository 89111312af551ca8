"""What to improve first: expectations-based importance by hand, the quadrant rule, and the
built-in framework's links."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sipas.errors import SipasError
from sipas.frameworks import load_builtin, require_survey
from sipas.survey.design import DesignColumns, design_from_frame
from sipas.survey.estimate import estimate
from sipas.survey.priorities import (
    domain_share,
    expectation_importance,
    priorities_of,
    rank_priorities,
)
from sipas.synthetic import synthetic_survey

# Two strata of two PSUs; "wanted" is a high-priority answer, NaN a blank.
TINY = pd.DataFrame(
    {
        "stratum": ["A", "A", "A", "A", "B", "B", "B", "B"],
        "psu": ["a1", "a1", "a2", "a2", "b1", "b1", "b2", "b2"],
        "weight": [1.0, 1.0, 2.0, 2.0, 1.0, 3.0, 1.0, 1.0],
        "answer": [3, 1, 3, np.nan, 3, 3, 1, 2],
    }
)


def test_the_share_asking_for_improvement_by_hand() -> None:
    design = design_from_frame(TINY, DesignColumns("weight", "psu", "stratum"))
    answers = TINY["answer"].to_numpy(float)
    share = domain_share(design, answers == 3, ~np.isnan(answers), np.ones(8, dtype=bool))
    # Valid weights: 1 + 1 + 2 + 1 + 3 + 1 + 1 = 10; wanted: 1 + 2 + 1 + 3 = 7 → 70%.
    assert math.isclose(share.estimate, 70.0)
    assert share.n == 7
    # Influence w (y − 0.7) / 10 per valid row, summed by PSU:
    #   a1: (0.3 − 0.7) / 10 = −0.04; a2: 2 × 0.3 / 10 = 0.06
    #   b1: (0.3 + 3 × 0.3) / 10 = 0.12; b2: (−0.7 − 0.7) / 10 = −0.14
    # Each stratum: 2/1 × Σ (t − t̄)²: A: t̄ = 0.01 → 2 × (0.05² + 0.05²) = 0.01;
    # B: t̄ = −0.01 → 2 × (0.13² + 0.13²) = 0.0676. Variance 0.0776; SE in percent:
    assert math.isclose(share.se, 100 * math.sqrt(0.0776), rel_tol=1e-12)


def test_the_built_in_links_name_real_aspects_and_components() -> None:
    framework = require_survey(load_builtin("sipas-gen2"))
    chosen = priorities_of(framework)
    assert set(chosen.links) == {f"Q10_{k}" for k in range(1, 10)}
    without = [n.code for n in framework.leaf_components() if n.code not in
               {node for nodes in chosen.links.values() for node in nodes}]  # fmt: skip
    assert without == ["policy.quality", "policy.impact"]  # no aspect speaks to them


def test_a_framework_without_an_expectations_question_says_so() -> None:
    framework = require_survey(load_builtin("sipas-gen1"))
    with pytest.raises(SipasError) as caught:
        priorities_of(framework)
    assert caught.value.code == "priorities.not_defined"


@pytest.fixture(scope="module")
def survey() -> tuple[pd.DataFrame, object, object]:
    framework = require_survey(load_builtin("sipas-gen2"))
    frame = synthetic_survey(framework, 2024, provinces=["01", "19"], seed=5)
    columns = DesignColumns("weight", "village", "stratum")
    result = estimate(frame, framework, columns)
    return frame, framework, result


def test_components_are_placed_in_quadrants_by_the_provinces_medians(survey) -> None:  # type: ignore[no-untyped-def]
    frame, framework, result = survey
    design = design_from_frame(frame, DesignColumns("weight", "village", "stratum"))
    aspects = expectation_importance(frame, design, framework, frame["province_code"], "19")
    ranked = rank_priorities(result.table, framework, aspects, "19")
    assert {p.node for p in ranked} == {n.code for n in framework.leaf_components()}
    known = [p for p in ranked if p.importance is not None]
    importance_median = np.median([p.importance for p in known])
    performance_median = np.median([p.performance for p in known])
    for p in known:
        expected = {
            (True, True): "improve_first",
            (True, False): "keep_up",
            (False, True): "low_priority",
            (False, False): "possible_overkill",
        }[(p.importance >= importance_median, p.performance < performance_median)]
        assert p.quadrant == expected
        # Performance is read from the estimate table, not recomputed.
        assert p.performance == result.value("province", "19", p.node)
    # Most urgent first; unknown importance last.
    scores = [p.score for p in ranked if p.score is not None]
    assert scores == sorted(scores, reverse=True)
    assert [p.quadrant for p in ranked[-2:]] == ["unknown", "unknown"]
    # The civil servants' importance is the mean of its two aspects' shares.
    civil = next(p for p in ranked if p.node == "service.civil_servants")
    assert civil.aspects == ("Q10_4", "Q10_5")
    assert math.isclose(
        civil.importance, (aspects["Q10_4"].estimate + aspects["Q10_5"].estimate) / 2
    )


# --- through the CLI on a stored survey --------------------------------------------------------


@pytest.fixture
def stored(run_cli) -> str:  # type: ignore[no-untyped-def]
    from sipas.api.demo import DemoOptions, run_demo
    from sipas.settings import load_settings
    from sipas.store import open_database

    db = open_database(load_settings().resolved_database_url())
    run_demo(db, DemoOptions(years=(2024,), provinces=("01", "19", "79"), dossiers=0,
                             respondents_per_province=300))  # fmt: skip
    return "demo-sipas-2024"


def test_the_cli_names_components_and_draws_the_chart(run_cli, stored: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    chart = tmp_path / "quadrant.png"
    result = run_cli(
        "priorities", "--survey", stored, "--province", "Thái Nguyên", "--chart", str(chart),
        "--replicates", "20",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Thủ tục hành chính" in result.output and "service.procedures" not in result.output
    assert "cải thiện trước" in result.output
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shown = json.loads(
        run_cli(
            "priorities",
            "--survey",
            stored,
            "--province",
            "19",
            "--replicates",
            "20",
            "--format",
            "json",
        ).stdout
    )
    assert shown["cell"] == "19" and len(shown["components"]) == 9
    refused = run_cli("priorities", "--survey", stored, "--province", "Hà Giang")
    assert refused.exit_code == 1 and "[priorities.unknown_cell]" in refused.output


def test_compare_a_province_with_chosen_peers(run_cli, stored: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    chart = tmp_path / "peers.png"
    result = run_cli("--lang", "en", "compare", "Thái Nguyên", "--run", stored,
                     "--with", "Hà Nội,79", "--chart", str(chart), "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["cell"] == "19" and found["peer_cells"] == ["01", "79"]
    rows = {r["indicator"]: r for r in found["rows"]}
    assert rows["SIPAS"]["level"] == "index" and len(rows) == 9 + 2 + 1 + 33
    for row in rows.values():
        assert math.isclose(row["difference"], row["estimate"] - row["peers_mean"], abs_tol=1e-9)
        significant = abs(row["difference"]) > 1.959963984540054 * row["se"]
        assert (row["verdict"] != "not different") == significant
    assert chart.read_bytes()[:4] == b"\x89PNG"
    table = run_cli("compare", "19", "--run", stored, "--with", "top5")
    assert table.exit_code == 0 and "so với 5 tỉnh dẫn đầu" in table.output
    refused = run_cli("compare", "19", "--run", stored, "--with", "19")
    assert refused.exit_code == 1 and "[compare.no_peers]" in refused.output
    # Bắc Kạn, merged with Thái Nguyên in 2025, is not in this run: said, not compared with none.
    refused = run_cli("--lang", "en", "compare", "19", "--run", stored, "--with", "merged")
    assert refused.exit_code == 1 and "[compare.partners_not_in_run]" in refused.output
    assert "06 Bắc Kạn" in refused.output
