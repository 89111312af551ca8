"""`sipas estimate`, `sipas results` and `sipas change` as a user meets them.

The CLI is a thin mirror of :mod:`sipas.api.estimation`: its JSON is the API's view, its saved runs
hold the same numbers as the estimate in memory, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sipas.api import estimation as api
from sipas.frameworks import load_builtin, require_survey
from sipas.store import open_database
from sipas.synthetic import synthetic_survey

PROVINCES = ["01", "02", "04", "79"]
SEED = 7
DESIGN_ARGS = (
    "--weight",
    "weight",
    "--psu",
    "village",
    "--strata",
    "stratum",
    "--replicates",
    "50",
    "--seed",
    str(SEED),
)
NUMBERS = ("estimate", "se", "ci_low", "ci_high", "n", "deff", "cv", "n_eff")
RANKS = ("rank", "rank_low", "rank_high")


def _request(**changes: Any) -> api.EstimateRequest:
    fields: dict[str, Any] = {
        "framework": "sipas-gen2",
        "weight": "weight",
        "psu": "village",
        "strata": "stratum",
        "replicates": 50,
        "seed": SEED,
    }
    return api.EstimateRequest(**{**fields, **changes})


def _through_json(view: Any) -> Any:
    return json.loads(json.dumps(view, default=str))


@pytest.fixture(scope="module")
def survey_frame() -> pd.DataFrame:
    framework = require_survey(load_builtin("sipas-gen2"))
    return synthetic_survey(framework, 2024, provinces=PROVINCES)


@pytest.fixture(scope="module")
def responses(tmp_path_factory: pytest.TempPathFactory, survey_frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("responses") / "r.csv"
    survey_frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def responses_with_gap(
    tmp_path_factory: pytest.TempPathFactory, survey_frame: pd.DataFrame
) -> Path:
    """Nobody in province 04 answered Q9_01: that cell's estimate is undefined (NaN)."""
    frame = survey_frame.copy()
    frame.loc[frame["province_code"] == "04", "Q9_01"] = pd.NA
    path = tmp_path_factory.mktemp("responses") / "gap.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def outcome(responses: Path) -> api.Outcome:
    return api.estimate_file(responses, _request())


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _same_number(saved: Any, shown: Any) -> bool:
    if saved is None or shown is None:
        return saved is None and shown is None
    return math.isclose(float(saved), float(shown), rel_tol=0.0, abs_tol=1e-12)


def _assert_same_rows(saved: list[dict[str, Any]], shown: list[dict[str, Any]]) -> None:
    """Saved rows (no province names) against the view's rows, number by number."""
    assert len(saved) == len(shown) > 0
    for stored, view in zip(saved, shown, strict=True):
        for key in ("partition", "cell", "indicator", "level", "unstable", "se_method"):
            assert stored[key] == view[key], (key, stored, view)
        for key in NUMBERS + RANKS:
            assert _same_number(stored[key], view[key]), (key, stored, view)


# --- the CLI prints exactly what the API returns ----------------------------------------------


@pytest.mark.parametrize(
    ("cli_args", "make_view"),
    [
        ((), lambda outcome: api.estimates_view(outcome)),
        (("--show", "ranks"), lambda outcome: api.ranks_view(outcome)),
        (
            ("--show", "diagnosis", "--cell", "01"),
            lambda outcome: api.diagnosis_view(outcome, "01"),
        ),
    ],
    ids=["estimates", "ranks", "diagnosis"],
)
def test_json_output_equals_the_api(
    run_cli: Any, responses: Path, outcome: api.Outcome, cli_args: tuple[str, ...], make_view: Any
) -> None:
    result = run_cli(
        "estimate", str(responses), *DESIGN_ARGS, *cli_args, "--format", "json", "--quiet"
    )
    assert _json(result) == _through_json(make_view(outcome))


def test_json_view_describes_the_estimate(run_cli: Any, responses: Path) -> None:
    view = _json(run_cli("estimate", str(responses), *DESIGN_ARGS, "--format", "json", "--quiet"))
    assert view["framework"] == "sipas-gen2"
    assert view["unit"] == "province"
    assert view["method"]["composites"] == "bootstrap (50 replicates)"
    assert view["method"]["seed"] == SEED
    assert view["warnings"] == []
    partitions = {row["partition"] for row in view["rows"]}
    assert partitions == {"province", "national"}
    provinces = {row["cell"] for row in view["rows"] if row["partition"] == "province"}
    assert provinces == set(PROVINCES)
    index_rows = [r for r in view["rows"] if r["level"] == "index" and r["partition"] == "province"]
    assert sorted(r["rank"] for r in index_rows) == [1, 2, 3, 4]
    for row in view["rows"]:
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]


def test_csv_output_has_the_uncertainty_columns(run_cli: Any, responses: Path) -> None:
    as_csv = run_cli("estimate", str(responses), *DESIGN_ARGS, "--format", "csv", "--quiet")
    as_json = _json(
        run_cli("estimate", str(responses), *DESIGN_ARGS, "--format", "json", "--quiet")
    )
    assert as_csv.exit_code == 0, as_csv.output
    reader = csv.DictReader(io.StringIO(as_csv.stdout))
    rows = list(reader)
    assert reader.fieldnames is not None
    for column in ("estimate", "se", "ci_low", "ci_high", "n", "deff", "unstable"):
        assert column in reader.fieldnames
    assert len(rows) == len(as_json["rows"])
    first = as_json["rows"][0]
    assert float(rows[0]["estimate"]) == pytest.approx(first["estimate"])
    assert int(rows[0]["n"]) == first["n"]


def test_table_output_names_provinces_and_intervals(run_cli: Any, responses: Path) -> None:
    result = run_cli("estimate", str(responses), *DESIGN_ARGS, "--quiet")
    assert result.exit_code == 0, result.output
    assert "Hà Nội" in result.stdout
    assert "95% CI" in result.stdout
    assert "national mean_of_provinces" in result.stdout


def test_ranks_table_and_diagnosis_table(run_cli: Any, responses: Path) -> None:
    ranks = run_cli("estimate", str(responses), *DESIGN_ARGS, "--show", "ranks", "--quiet")
    assert ranks.exit_code == 0, ranks.output
    assert "ranking on SIPAS" in ranks.stdout
    assert "rank (95%)" in ranks.stdout and "●" in ranks.stdout
    diagnosis = run_cli(
        "estimate", str(responses), *DESIGN_ARGS, "--show", "diagnosis", "--cell", "79", "--quiet"
    )
    assert diagnosis.exit_code == 0, diagnosis.output
    assert "strengths and weaknesses" in diagnosis.stdout


# --- domains ---------------------------------------------------------------------------------


def test_by_gives_a_partition_per_domain(run_cli: Any, responses: Path) -> None:
    view = _json(
        run_cli(
            "estimate", str(responses), *DESIGN_ARGS, "--by", "sex", "--format", "json", "--quiet"
        )
    )
    sex = [r for r in view["rows"] if r["partition"] == "sex"]
    assert {r["cell"] for r in sex} == {"1", "2"}
    assert {r["level"] for r in sex} == {"item", "component", "subindex", "index"}
    # Domain cells are not ranked, and are not province codes to be named.
    assert all(r["rank"] is None for r in sex)
    assert all(r.get("name") is None for r in sex)


def test_by_crosses_columns_joined_by_comma(run_cli: Any, responses: Path) -> None:
    view = _json(
        run_cli(
            "estimate",
            str(responses),
            *DESIGN_ARGS,
            "--by",
            "sex,urban_rural",
            "--by",
            "sex",
            "--format",
            "json",
            "--quiet",
        )
    )
    partitions = {r["partition"] for r in view["rows"]}
    assert partitions == {"province", "national", "sex × urban_rural", "sex"}
    crossed = {r["cell"] for r in view["rows"] if r["partition"] == "sex × urban_rural"}
    assert crossed == {"1 × 1", "1 × 2", "2 × 1", "2 × 2"}


def test_level_filter(run_cli: Any, responses: Path) -> None:
    view = _json(
        run_cli(
            "estimate",
            str(responses),
            *DESIGN_ARGS,
            "--level",
            "component",
            "--format",
            "json",
            "--quiet",
        )
    )
    assert view["rows"]
    assert {r["level"] for r in view["rows"]} == {"component"}


# --- saved runs ------------------------------------------------------------------------------


def test_save_list_show_and_replace(run_cli: Any, responses: Path) -> None:
    saved = run_cli("estimate", str(responses), *DESIGN_ARGS, "--save", "run1", "--quiet")
    assert saved.exit_code == 0, saved.output
    assert "saved as 'run1'" in saved.stdout

    runs = _json(run_cli("results", "list", "--format", "json"))
    run1 = next(r for r in runs if r["code"] == "run1")
    assert run1["estimates"] > 0
    assert run1["source"] == str(responses)
    assert run1["method"] == "bootstrap (50 replicates)"
    assert run1["synthetic"] is False and run1["derived"] is False

    shown = _json(run_cli("results", "show", "run1", "--level", "index", "--format", "json"))
    assert shown["code"] == "run1"
    assert shown["rows"]
    assert {r["level"] for r in shown["rows"]} == {"index"}
    assert {r["cell"] for r in shown["rows"] if r["partition"] == "province"} == set(PROVINCES)

    again = run_cli("estimate", str(responses), *DESIGN_ARGS, "--save", "run1", "--quiet")
    assert again.exit_code == 1
    assert "lỗi: Đã có lần ước lượng mã 'run1' [estimate.exists]" in again.stderr
    assert "--replace" in again.stderr
    assert "Traceback" not in again.output

    replaced = run_cli(
        "estimate", str(responses), *DESIGN_ARGS, "--save", "run1", "--replace", "--quiet"
    )
    assert replaced.exit_code == 0, replaced.output
    runs_after = _json(run_cli("results", "list", "--format", "json"))
    assert [r["code"] for r in runs_after] == ["run1"]
    assert runs_after[0]["estimates"] == run1["estimates"]


def test_results_show_unknown_run(run_cli: Any) -> None:
    result = run_cli("results", "show", "nosuch")
    assert result.exit_code == 1
    assert "[estimate.unknown]" in result.stderr
    assert "Traceback" not in result.output


def test_saved_numbers_equal_the_estimate_in_memory(
    tmp_path: Path, responses_with_gap: Path
) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'runs.db'}")
    outcome = api.estimate_file(responses_with_gap, _request())
    api.save_outcome(db, "mem", outcome)
    view = api.estimates_view(outcome)
    run = api.load_run(db, "mem")
    # The undefined cell is NULL in the database and None in both views.
    gap = [r for r in view["rows"] if r["cell"] == "04" and r["indicator"] == "Q9_01"]
    assert gap and gap[0]["estimate"] is None and gap[0]["n"] == 0
    _assert_same_rows(run["rows"], view["rows"])
    index_view = api.estimates_view(outcome, "index")
    _assert_same_rows(api.load_run(db, "mem", "index")["rows"], index_view["rows"])
    db.close()


@pytest.mark.postgres
def test_saved_run_on_postgresql_equals_the_json_view(
    run_cli: Any, postgres_url: str, responses_with_gap: Path
) -> None:
    saved = run_cli(
        "--database-url",
        postgres_url,
        "estimate",
        str(responses_with_gap),
        *DESIGN_ARGS,
        "--save",
        "pg1",
        "--format",
        "json",
        "--quiet",
    )
    view = _json(saved)
    shown = _json(
        run_cli("--database-url", postgres_url, "results", "show", "pg1", "--format", "json")
    )
    assert shown["code"] == "pg1"
    nulls = [r for r in shown["rows"] if r["estimate"] is None]
    assert [(r["cell"], r["indicator"]) for r in nulls] == [("04", "Q9_01")]
    _assert_same_rows(shown["rows"], view["rows"])
    listed = _json(run_cli("--database-url", postgres_url, "results", "list", "--format", "json"))
    assert [(r["code"], r["estimates"]) for r in listed] == [("pg1", len(view["rows"]))]


# --- the demo and year-over-year change ------------------------------------------------------

# Hà Nội (01), Cao Bằng (04) and Hồ Chí Minh (79) exist in both years; Bình Dương (74) is part of
# Hồ Chí Minh from 1 July 2025, so the 2024 run on the 34 provinces pools it into 79.
DEMO_PROVINCES = "01,04,79,74"


@pytest.fixture
def demo_database(run_cli: Any) -> dict[str, Any]:
    result = run_cli(
        "demo",
        "--years",
        "2024,2025",
        "--provinces",
        DEMO_PROVINCES,
        "--respondents",
        "60",
        "--quiet",
        "--format",
        "json",
    )
    summary: dict[str, Any] = _json(result)
    return summary


def test_demo_saves_estimation_runs_and_change(run_cli: Any, demo_database: dict[str, Any]) -> None:
    runs = {r["code"]: r for r in _json(run_cli("results", "list", "--format", "json"))}
    assert {"demo-sipas-2024", "demo-sipas-2025", "demo-sipas-2024-on-34"} <= set(runs)
    assert all(r["synthetic"] for r in runs.values())
    assert runs["demo-sipas-2024-on-34"]["derived"] is True
    assert runs["demo-sipas-2024"]["derived"] is False

    on_34 = _json(
        run_cli("results", "show", "demo-sipas-2024-on-34", "--level", "index", "--format", "json")
    )
    assert {r["cell"] for r in on_34["rows"] if r["partition"] != "national"} == {"01", "04", "79"}

    change = _json(
        run_cli("change", "demo-sipas-2024-on-34", "demo-sipas-2025", "--format", "json")
    )
    assert change["derived"] is True
    assert change["rows"]
    for row in change["rows"]:
        for key in ("change", "se_change", "p_value", "significant"):
            assert key in row
        assert row["derived"] is True
        assert row["level"] == "index"
        assert row["change"] == pytest.approx(row["after"] - row["before"], abs=1e-3)
        assert 0.0 <= row["p_value"] <= 1.0
    assert {r["cell"] for r in change["rows"] if r["partition"] != "national"} == {"01", "04", "79"}

    table = run_cli("change", "demo-sipas-2024-on-34", "demo-sipas-2025")
    assert table.exit_code == 0, table.output
    assert "derived" in table.stdout


def test_change_refuses_different_geographies(run_cli: Any, demo_database: dict[str, Any]) -> None:
    result = run_cli("change", "demo-sipas-2024", "demo-sipas-2025")
    assert result.exit_code == 1
    assert "estimate.different_geographies" in result.output
    assert "--on-34" in result.stderr
    assert "Traceback" not in result.output


def test_stored_survey_on_34_equals_the_demo_run(
    run_cli: Any, demo_database: dict[str, Any]
) -> None:
    view = _json(
        run_cli(
            "estimate",
            "--survey",
            "demo-sipas-2024",
            "--on-34",
            "--seed",
            "20241",
            "--level",
            "index",
            "--format",
            "json",
            "--quiet",
        )
    )
    assert view["derived"] is True and view["synthetic"] is True
    assert view["unit"] == api.UNIT_34
    saved = _json(
        run_cli("results", "show", "demo-sipas-2024-on-34", "--level", "index", "--format", "json")
    )
    _assert_same_rows(saved["rows"], view["rows"])
