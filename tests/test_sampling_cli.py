"""`sipas sample size|draw` and `sipas weights compute` through the real CLI, files opened and checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from sipas.api import sampling as api

WEIGHTING = Path(__file__).parent / "reference" / "weighting" / "data"

DESIGN = """id: two-provinces
strata: province
stages:
  - {name: commune, unit: commune, method: pps_systematic, size: households, take: 4}
  - {name: village, unit: village, method: srs, take: 2, reserve: 1}
  - {name: household, size: households, take: 25}
"""


@pytest.fixture
def frame_files(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(4)
    rows = []
    for province in ("01", "79"):
        for c in range(12):
            for v in range(int(rng.integers(3, 7))):
                rows.append({"province": province, "commune": f"{province}-C{c:02d}",
                             "village": f"{province}-C{c:02d}-V{v}",
                             "households": int(rng.integers(40, 300))})  # fmt: skip
    frame = tmp_path / "frame.csv"
    pd.DataFrame(rows).to_csv(frame, index=False)
    design = tmp_path / "design.yaml"
    design.write_text(DESIGN, encoding="utf-8")
    return design, frame


def _error(result: Any, code: str) -> None:
    assert result.exit_code == 1, result.output
    assert f"[{code}]" in result.output and "\n  gợi ý: " in result.output  # Vietnamese first
    assert "Traceback" not in result.output


def test_sample_size_json_is_the_api(run_cli: Any) -> None:
    result = run_cli("sample", "size", "--margin", "4", "--deff", "1.8", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == api.sample_size(api.SizeRequest(4.0, deff=1.8))


def test_yamane_needs_a_population(run_cli: Any) -> None:
    ok = run_cli("sample", "size", "--margin", "5", "--rule", "yamane", "--population", "8000",
                 "--format", "json")  # fmt: skip
    assert json.loads(ok.stdout)["n"] == 381  # 8000 / (1 + 8000 × 0.0025) = 380.95
    _error(run_cli("sample", "size", "--margin", "5", "--rule", "yamane"), "sample.no_population")


def test_allocation_per_province(run_cli: Any, tmp_path: Path) -> None:
    populations = tmp_path / "pop.csv"
    pd.DataFrame({"province": ["01", "79", "26"], "population": [8.7e6, 9.5e6, 1.2e6]}).to_csv(
        populations, index=False
    )
    result = run_cli("sample", "size", "--margin", "5", "--total", "2000", "--populations",
                     str(populations), "--minimum", "400", "--format", "json")  # fmt: skip
    table = json.loads(result.stdout)["allocation"]
    assert sum(row["n"] for row in table) == 2000
    assert min(row["n"] for row in table) == 400
    too_many = run_cli("sample", "size", "--margin", "5", "--total", "1000", "--populations",
                       str(populations), "--minimum", "400")  # fmt: skip
    _error(too_many, "sample.allocation_too_small")


def test_draw_writes_sample_reserves_and_contact_lists(
    run_cli: Any, frame_files: tuple[Path, Path], tmp_path: Path
) -> None:
    design, frame = frame_files
    out = tmp_path / "drawn"
    result = run_cli("sample", "draw", str(design), "--frame", str(frame), "--seed", "3",
                     "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    sample = pd.read_csv(out / "sample.csv", dtype={"province": str})
    assert len(sample) == 2 * 4 * 2  # provinces × communes × villages
    assert np.allclose(sample["design_weight"] * sample["probability"], 1.0)
    assert len(pd.read_csv(out / "reserves.csv")) == 2 * 4
    book = openpyxl.load_workbook(out / "contact_lists.xlsx", read_only=True)
    assert book.sheetnames == ["01", "79", "reserves"]
    assert book["01"].max_row == 1 + 8  # header + the province's villages
    again = tmp_path / "again"
    run_cli(
        "sample", "draw", str(design), "--frame", str(frame), "--seed", "3", "--out", str(again)
    )
    assert (again / "sample.csv").read_bytes() == (out / "sample.csv").read_bytes()


def test_draw_refuses_a_frame_with_repeated_units(
    run_cli: Any, frame_files: tuple[Path, Path]
) -> None:
    design, frame = frame_files
    table = pd.read_csv(frame)
    pd.concat([table, table.head(1)]).to_csv(frame, index=False)
    _error(run_cli("sample", "draw", str(design), "--frame", str(frame)), "sample.duplicate_units")


def test_weights_compute_writes_calibrated_weights(run_cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "calibrated.csv"
    result = run_cli("weights", "compute", str(WEIGHTING / "respondents_small.csv"), "--weight",
                     "weight", "--margins", str(WEIGHTING / "margins_small.csv"), "--out",
                     str(out), "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    report = body["calibrated"]
    assert report["converged"] and report["max_margin_error"] < 1e-8
    assert sum(b["count"] for b in body["histogram"]) == report["respondents"] == 300
    assert report["min"] <= report["percentiles"]["p50"] <= report["max"]
    calibrated = pd.read_csv(out)
    margins = pd.read_csv(WEIGHTING / "margins_small.csv")
    for row in margins.itertuples(index=False):
        total = calibrated.loc[calibrated[row.variable] == row.level, "calibrated_weight"].sum()
        assert total == pytest.approx(row.total, rel=1e-10)


def test_weights_refuse_margins_that_disagree(run_cli: Any, tmp_path: Path) -> None:
    margins = pd.read_csv(WEIGHTING / "margins_small.csv")
    margins.loc[0, "total"] += 1000
    broken = tmp_path / "margins.csv"
    margins.to_csv(broken, index=False)
    result = run_cli("weights", "compute", str(WEIGHTING / "respondents_small.csv"), "--weight",
                     "weight", "--margins", str(broken))  # fmt: skip
    _error(result, "weights.margins_disagree")


def test_frame_of_procedure_users_counts_each_person_once(run_cli: Any, tmp_path: Path) -> None:
    dossiers = tmp_path / "dossiers.csv"
    pd.DataFrame(
        {
            "unit": ["Sở Tư pháp", "Sở Tư pháp", "Sở Tư pháp", "UBND xã A", "UBND xã A", "X"],
            "citizen_id": ["001 234", "001234", "555", "001234", None, "777"],
            "received": [
                "2024-03-01",
                "2024-05-02",
                "2023-12-31",
                "2024-04-04",
                "2024-04-04",
                "not a date",
            ],
        }
    ).to_csv(dossiers, index=False)
    out = tmp_path / "frame.csv"
    result = run_cli("sample", "frame", str(dossiers), "--unit", "unit", "--person", "citizen_id",
                     "--date", "received", "--from", "2024-01-01", "--to", "2024-06-30",
                     "--out", str(out), "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["report"]
    assert report == {
        "dossiers": 6, "in_window": 3, "before_window": 1, "after_window": 0,
        "quarantined": 2, "quarantined_rows": [6, 7], "persons": 2,
    }  # fmt: skip
    frame = pd.read_csv(out, dtype=str)
    justice = frame[frame["unit"] == "Sở Tư pháp"]
    assert list(justice["person"]) == ["001234"] and list(justice["dossiers"]) == ["2"]
    quarantined = pd.read_csv(tmp_path / "frame-quarantined.csv")
    assert sorted(quarantined["reason"]) == ["no citizen_id", "received is not a date"]


def test_weights_with_non_response_adjustment(run_cli: Any, tmp_path: Path) -> None:
    sample = pd.read_csv(WEIGHTING / "respondents_small.csv")
    sample["answered"] = np.where(np.arange(len(sample)) % 4 == 0, "no", "yes")
    path = tmp_path / "sampled.csv"
    sample.to_csv(path, index=False)
    out = tmp_path / "out.csv"
    result = run_cli("weights", "compute", str(path), "--weight", "weight", "--margins",
                     str(WEIGHTING / "margins_small.csv"), "--responded", "answered",
                     "--nonresponse-cells", "sex", "--out", str(out), "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert len(written) == (sample["answered"] == "yes").sum()
    for sex, rows in sample.groupby("sex"):
        adjusted = written.loc[written["sex"] == sex, "adjusted_weight"].sum()
        assert adjusted == pytest.approx(rows["weight"].sum())
    assert "non-response" in json.loads(result.stdout)["calibrated"]["notes"][0]


def test_built_in_designs_draw_from_their_frames(
    run_cli: Any, frame_files: tuple[Path, Path], tmp_path: Path
) -> None:
    _, frame = frame_files
    result = run_cli("sample", "draw", "household-2025", "--frame", str(frame), "--format", "json")
    assert result.exit_code == 0, result.output
    drawn = json.loads(result.stdout)
    assert drawn["design"] == "household-2025" and drawn["units"] == 2 * 6 * 3
    assert {row["interviews"] for row in drawn["by_stratum"]} <= {6 * 3 * 32, 6 * 3 * 31}
    with_districts = pd.read_csv(frame, dtype={"province": str}).assign(
        district=lambda f: f["province"] + "-D" + (f["commune"].str[-1].astype(int) % 4).astype(str)
    )
    path = tmp_path / "districts.csv"
    with_districts.to_csv(path, index=False)
    result = run_cli("sample", "draw", "household-2024", "--frame", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    _error(run_cli("sample", "draw", "nosuch", "--frame", str(frame)), "sample.no_file")


def test_allocation_with_fixed_sizes(run_cli: Any, tmp_path: Path) -> None:
    populations = tmp_path / "pop.csv"
    pd.DataFrame({"province": ["01", "79", "26"], "population": [8.7e6, 9.5e6, 1.2e6]}).to_csv(
        populations, index=False
    )
    args = ["sample", "size", "--margin", "5", "--total", "4000", "--populations", str(populations)]
    result = run_cli(*args, "--fixed", "01=2700", "--format", "json")
    table = {row["unit"]: row["n"] for row in json.loads(result.stdout)["allocation"]}
    assert table["01"] == 2700 and sum(table.values()) == 4000
    _error(run_cli(*args, "--fixed", "01:2700"), "sample.bad_fixed")


def test_drawn_weighted_sample_plugs_into_estimation(run_cli: Any, tmp_path: Path) -> None:
    """Sample (synthetic fieldwork) → calibrated weights → estimates, through the CLI."""
    from sipas.frameworks import load_builtin, require_survey
    from sipas.synthetic import SyntheticDesign, synthetic_survey

    framework = require_survey(load_builtin("sipas-gen2"))
    responses = synthetic_survey(
        framework, 2024, design=SyntheticDesign(respondents_per_province=90), provinces=["01", "79"]
    )
    responses["sex"] = np.where(np.arange(len(responses)) % 3 == 0, "male", "female")
    path = tmp_path / "responses.csv"
    responses.to_csv(path, index=False)
    totals = responses.groupby("province")["weight"].sum() * 1.2
    margins = pd.DataFrame(
        [(p, "sex", s, totals[p] * share) for p in totals.index
         for s, share in (("male", 0.49), ("female", 0.51))],
        columns=["province", "variable", "level", "total"],
    )  # fmt: skip
    margins_path = tmp_path / "margins.csv"
    margins.to_csv(margins_path, index=False)
    weighted = tmp_path / "weighted.csv"
    result = run_cli("weights", "compute", str(path), "--weight", "weight", "--margins",
                     str(margins_path), "--group", "province", "--out", str(weighted))  # fmt: skip
    assert result.exit_code == 0, result.output
    estimated = run_cli("estimate", str(weighted), "--weight", "calibrated_weight", "--psu", "psu",
                        "--strata", "stratum", "--replicates", "20", "--level", "index",
                        "--format", "json", "--quiet")  # fmt: skip
    assert estimated.exit_code == 0, estimated.output
    rows = json.loads(estimated.stdout)["rows"]
    assert {r["cell"] for r in rows if r["partition"] == "province"} == {"01", "79"}
