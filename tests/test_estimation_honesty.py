"""Nothing silently wrong in estimation: single-PSU strata, missing standard errors, warnings.

Data: tests/reference/data/lonely.csv, whose stratum (and province) S1 has a single PSU, so that
province lies wholly in a single-PSU stratum; R gives it SE 0 under every rule and both replicate
methods (see tests/reference/README.md and test_replicate_reference.py).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from sipas.api import estimation as api
from sipas.store import open_database
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
from sipas.survey.diagnosis import compare_with_peers, diagnose
from sipas.survey.estimate import _stats_rows
from sipas.survey.ranks import rank_table
from survey_fixtures import small_framework

LONELY = Path(__file__).parent / "reference" / "data" / "lonely.csv"
RULES = ["remove", "adjust", "average", "certainty"]
METHODS = ["jkn", "bootstrap"]
INDICATORS = ["q1", "q2", "q3", "q4", "q5", "q6", "a", "b", "ALL"]
DESIGN = ["--weight", "weight", "--psu", "psu", "--strata", "stratum"]


def _lonely_estimate(rule: str, method: str, item_se: str = "taylor") -> Any:
    frame = pd.read_csv(LONELY, dtype={"psu": str, "stratum": str})
    return estimate(
        frame,
        small_framework("top2"),
        DesignColumns(weight="weight", psu="psu", strata="stratum"),
        EstimationOptions(
            unit="province",
            by=(("sex",),),
            replicates=ReplicateOptions(method=ReplicateMethod(method), replicates=200),
            lonely_psu=LonelyPsu(rule),
            item_se=item_se,
        ),
    )


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("rule", RULES)
def test_a_province_wholly_in_a_single_psu_stratum_has_no_se_ci_or_rank_interval(
    rule: str, method: str
) -> None:
    result = _lonely_estimate(rule, method)
    for indicator in INDICATORS:
        assert np.isfinite(result.value("province", "S1", indicator))
        for column in ("se", "ci_low", "ci_high", "deff", "cv", "n_eff"):
            assert np.isnan(result.value("province", "S1", indicator, column)), (indicator, column)
        assert result.value("province", "S1", indicator, "unstable"), indicator
        # The other provinces keep a real standard error.
        assert result.value("province", "S3", indicator, "se") > 0, indicator
    ranks = rank_table(result).set_index("cell")
    assert ranks.loc["S1", "rank"] == 5
    assert np.isnan(ranks.loc["S1", "rank_low"]) and np.isnan(ranks.loc["S1", "rank_high"])
    assert ranks.loc["S3", "rank_low"] <= ranks.loc["S3", "rank"] <= ranks.loc["S3", "rank_high"]
    assert any("lie wholly in single-PSU strata (S1)" in w for w in result.warnings)
    # Cells only partly in S1 keep an SE; where S1 adds no variance to it, a warning says so.
    assert result.value(NATIONAL, POOLED, "ALL", "se") > 0
    silent = rule != "adjust" or method == "bootstrap"
    assert any("1 strata have a single PSU (S1)" in w for w in result.warnings) == silent


def test_bootstrap_adjust_warns_that_the_lonely_psu_adds_no_variance_to_composites() -> None:
    result = _lonely_estimate("adjust", "bootstrap")
    (warning,) = [w for w in result.warnings if "strata have a single PSU" in w]
    assert "bootstrap cannot resample a single PSU" in warning


def test_an_estimate_without_standard_error_is_unstable() -> None:
    """Plenty of answers, design effect 1, but a NaN variance: not stable (it was before)."""
    rows = _stats_rows(
        "province",
        ["01", "02"],
        ["q1"],
        ["item"],
        estimate=np.array([[50.0], [50.0]]),
        variance=np.array([[np.nan], [4.0]]),
        n=np.array([[500.0], [500.0]]),
        deff=np.array([[1.0], [1.0]]),
        se_methods=["taylor"],
    )
    assert rows["unstable"].tolist() == [True, False]
    assert np.isnan(rows["ci_low"].iloc[0]) and np.isnan(rows["ci_high"].iloc[0])


def test_item_se_replicate_reports_replicate_ses_for_items() -> None:
    taylor = _lonely_estimate("adjust", "jkn")
    replicate = _lonely_estimate("adjust", "jkn", item_se="replicate")
    position = replicate.cell_labels["province"].index("S3")
    assert replicate.value("province", "S3", "q1", "se") == pytest.approx(
        float(replicate.replicate_se("province", "q1")[position]), abs=1e-12
    )
    assert replicate.value("province", "S3", "q1", "se") != pytest.approx(
        taylor.value("province", "S3", "q1", "se"), abs=1e-6
    )
    assert set(replicate.rows("province", "item")["se_method"]) == {"jkn"}
    assert set(taylor.rows("province", "item")["se_method"]) == {"taylor"}
    # Composites are unchanged.
    assert replicate.value("province", "S3", "ALL", "se") == taylor.value(
        "province", "S3", "ALL", "se"
    )


# --- the CLI: warnings in every format, --item-se ---------------------------------------------


@pytest.fixture(scope="module")
def framework_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("framework") / "small.yaml"
    dumped = small_framework("top2").model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(dumped, allow_unicode=True), encoding="utf-8")
    return path


def _run(run_cli: Any, framework_file: Path, *args: str) -> Any:
    result = run_cli(
        "--lang",
        "en",
        "estimate",
        str(LONELY),
        "--framework",
        str(framework_file),
        *DESIGN,
        "--lonely-psu",
        "remove",
        "--replicates",
        "50",
        "--no-save",
        "--quiet",
        *args,
    )
    assert result.exit_code == 0, result.output
    return result


WHOLLY = "1 province cells lie wholly in single-PSU strata (S1)"
SILENT = "1 strata have a single PSU (S1): under --lonely-psu remove they add no variance"


def test_warnings_in_the_table_and_on_stderr(run_cli: Any, framework_file: Path) -> None:
    result = _run(run_cli, framework_file, "--level", "index")
    assert WHOLLY in result.stdout and SILENT in result.stdout  # the table's footer
    assert WHOLLY in result.stderr and SILENT in result.stderr
    s1 = next(line for line in result.stdout.splitlines() if "│ S1" in line)
    assert "n/a" in s1  # no CI, no SE, no rank interval


def test_warnings_in_json_and_on_stderr(run_cli: Any, framework_file: Path) -> None:
    result = _run(run_cli, framework_file, "--format", "json")
    view = json.loads(result.stdout)
    assert any(WHOLLY in w for w in view["warnings"])
    assert any(SILENT in w for w in view["warnings"])
    assert WHOLLY in result.stderr
    s1 = [r for r in view["rows"] if r["partition"] == "province" and r["cell"] == "S1"]
    assert len(s1) == len(INDICATORS)
    for row in s1:
        assert row["se"] is None and row["ci_low"] is None and row["unstable"] is True
        if row["indicator"] == "ALL":
            assert row["rank"] == 5 and row["rank_low"] is None and row["rank_high"] is None


def test_warnings_as_leading_comment_lines_in_csv_and_on_stderr(
    run_cli: Any, framework_file: Path
) -> None:
    result = _run(run_cli, framework_file, "--format", "csv")
    lines = result.stdout.splitlines()
    comments = [line for line in lines if line.startswith("# warning: ")]
    assert lines[: len(comments)] == comments  # leading, before the header
    assert any(WHOLLY in c for c in comments) and any(SILENT in c for c in comments)
    assert WHOLLY in result.stderr
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[len(comments) :]))))
    s1 = next(r for r in rows if r["cell"] == "S1" and r["indicator"] == "ALL")
    assert s1["se"] == "" and s1["ci_low"] == "" and s1["unstable"] == "True"
    # pandas reads it with comment="#".
    frame = pd.read_csv(io.StringIO(result.stdout), comment="#")
    assert len(frame) == len(rows)


def test_no_warning_no_comment_line(run_cli: Any, framework_file: Path) -> None:
    clusters = LONELY.with_name("clusters.csv")
    result = run_cli(
        "--lang", "en", "estimate", str(clusters), "--framework", str(framework_file),
        *DESIGN, "--replicates", "20", "--no-save", "--quiet", "--format", "csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("partition,cell,indicator")
    assert result.stderr == ""


def test_item_se_flag(run_cli: Any, framework_file: Path) -> None:
    args = ("--method", "jackknife", "--lonely-psu", "adjust", "--format", "json")
    taylor = json.loads(_run(run_cli, framework_file, *args).stdout)
    replicate = json.loads(_run(run_cli, framework_file, *args, "--item-se", "replicate").stdout)
    assert taylor["method"]["items"] == "taylor linearisation"
    assert replicate["method"]["items"] == "jkn"
    item = [r for r in replicate["rows"] if r["level"] == "item" and r["partition"] == "province"]
    assert {r["se_method"] for r in item} == {"jkn"}
    outcome = api.estimate_file(
        LONELY,
        api.EstimateRequest(
            framework=str(framework_file),
            weight="weight",
            psu="psu",
            strata="stratum",
            method="jackknife",
            lonely_psu="adjust",
            item_se="replicate",
        ),
    )
    assert replicate["rows"] == api.estimates_view(outcome)["rows"]
    bad = run_cli("--lang", "en", "estimate", str(LONELY), *DESIGN, "--item-se", "bootstrap")
    assert bad.exit_code != 0 and "--item-se" in bad.output


@pytest.mark.parametrize("rule", ["remove", "adjust"])
def test_a_unit_without_se_gets_no_tested_differences(rule: str) -> None:
    """Its replicates do not vary, so its differences would look falsely precise."""
    result = _lonely_estimate(rule, "bootstrap")
    regions = {"S1": "north", "S2": "north", "S3": "south", "S4": "south", "S5": "south"}
    table = diagnose(result, regions=regions).set_index(["cell", "indicator"])
    for indicator in INDICATORS:
        s1 = table.loc[("S1", indicator)]
        for column in ("se_diff_national", "se_diff_best", "se_diff_region", "p_national"):
            assert np.isnan(s1[column]), (indicator, column)
        assert s1["vs_national"] == "not different" and s1["vs_region"] == "not different"
        assert np.isfinite(table.loc[("S3", indicator), "se_diff_national"])
    peers = compare_with_peers(result, "S1", ["S2", "S3"]).set_index("indicator")
    assert peers["se_diff_peers"].isna().all() and set(peers["vs_peers"]) == {"not different"}


def test_a_saved_run_keeps_the_missing_se_and_the_item_se_choice(
    tmp_path: Path, framework_file: Path
) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'runs.db'}")
    request = api.EstimateRequest(
        framework=str(framework_file),
        weight="weight",
        psu="psu",
        strata="stratum",
        method="jackknife",
        lonely_psu="remove",
        item_se="replicate",
    )
    outcome = api.estimate_file(LONELY, request)
    api.save_outcome(db, "lonely", outcome)
    run = api.load_run(db, "lonely")
    s1 = [r for r in run["rows"] if r["partition"] == "province" and r["cell"] == "S1"]
    assert s1 and all(r["se"] is None and r["ci_low"] is None and r["unstable"] for r in s1)
    assert {r["se_method"] for r in s1} == {"jkn"}
    listed = {r["code"]: r for r in api.list_runs(db)}
    assert listed["lonely"]
    db.close()
