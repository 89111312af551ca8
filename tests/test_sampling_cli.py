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
    assert f"[{code}]" in result.output and "hint:" in result.output
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
    report = json.loads(result.stdout)["calibrated"]
    assert report["converged"] and report["max_margin_error"] < 1e-6
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
