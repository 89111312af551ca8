"""PAR outputs as a reader gets them: the national report (PDF and XLSX) against `sipas par results`,
the score sheets' survey column and total row, and the appraisal report's areas.

Two rounds of the 63 provinces on a framework with three areas, self-assessed and survey-fed
criteria, written through the same api a ministry uses (self-assessment, survey values, appraisal
stages, final), the second round measured on the first.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from par_fixtures import EVERY_RUBRIC
from sipas.api import par
from sipas.frameworks import parse_framework_text, require_par
from sipas.par import area_summaries, compute
from sipas.settings import load_settings
from sipas.store import Database, open_database

FRAMEWORK = """
id: par-test-areas
kind: par
version: "1"
title: {vi: "Chỉ số cải cách hành chính thử nghiệm", en: "Trial administrative reform index"}
total_points: 30
groups:
  - {code: A, min_index: 90, label: {vi: "Nhóm A", en: "Group A"}}
  - {code: B, min_index: 80, label: {vi: "Nhóm B", en: "Group B"}}
  - {code: C, min_index: 70, label: {vi: "Nhóm C", en: "Group C"}}
nodes:
  - code: "LV1"
    name: {vi: "Công tác chỉ đạo điều hành", en: "Direction and management"}
    max_points: 10
    children:
      - {code: "LV1.1", name: {vi: "Kế hoạch năm", en: "Annual plan"}, max_points: 4, method: self_assessed}
      - {code: "LV1.2", name: {vi: "Kiểm tra", en: "Inspections"}, max_points: 6, method: self_assessed}
  - code: "LV2"
    name: {vi: "Cải cách thủ tục hành chính", en: "Procedure reform"}
    max_points: 12
    children:
      - {code: "LV2.1", name: {vi: "Công khai thủ tục", en: "Procedures published"}, max_points: 5, method: self_assessed}
      - {code: "LV2.2", name: {vi: "Đánh giá của người dân", en: "Citizens' assessment"}, max_points: 7, method: survey}
  - code: "LV3"
    name: {vi: "Tác động của cải cách", en: "Impact of reform"}
    max_points: 8
    children:
      - {code: "LV3.1", name: {vi: "Hài lòng của tổ chức", en: "Organisations' satisfaction"}, max_points: 8, method: survey}
"""
AREAS = {"LV1": "Công tác chỉ đạo điều hành", "LV2": "Cải cách thủ tục hành chính",
         "LV3": "Tác động của cải cách"}  # fmt: skip
SURVEY_LEAVES = ("LV2.2", "LV3.1")
ADMIN = par.Actor("bo-noi-vu", "admin")


def _database() -> Database:
    return open_database(load_settings(None).resolved_database_url())


def _round(db: Database, framework: Path, year: int, previous: str | None) -> str:
    """A whole round: self scores, survey values, appraisal changes with reasons, final."""
    code = f"par-{year}"
    par.create_campaign(
        db, ADMIN, code=code, framework=str(framework), year=year, previous=previous
    )
    units = [u["unit_code"] for u in par.campaign_units(db, code)]
    rng = np.random.default_rng(year)
    leaves = {"LV1.1": 4, "LV1.2": 6, "LV2.1": 5, "LV2.2": 7, "LV3.1": 8}
    claimed = {
        (u, leaf): round(float(top * rng.uniform(0.55, 1.0)), 2)
        for u in units
        for leaf, top in leaves.items()
    }
    self_entries, survey_entries = [], []
    for (unit, leaf), points in claimed.items():
        entry = {"unit": unit, "node": leaf, "points": points}
        (survey_entries if leaf in SURVEY_LEAVES else self_entries).append(entry)
    par.write_scores(db, ADMIN, code, "self", self_entries)
    par.write_scores(db, ADMIN, code, "survey", survey_entries)
    par.advance(db, ADMIN, code, "appraisal1")
    appraised = [
        {"unit": u, "node": "LV1.2", "points": round(claimed[(u, "LV1.2")] * 0.9, 2),
         "reason": "thiếu biên bản kiểm tra"}
        for u in units[::3]
    ]  # fmt: skip
    par.write_scores(db, ADMIN, code, "appraisal1", appraised)
    for stage in ("explanation", "appraisal2", "final"):
        par.advance(db, ADMIN, code, stage)
    return code


@pytest.fixture
def rounds(tmp_path: Path) -> dict[str, Any]:
    framework = tmp_path / "khung.yaml"
    framework.write_text(FRAMEWORK, encoding="utf-8")
    db = _database()
    first = _round(db, framework, 2023, None)
    second = _round(db, framework, 2024, first)
    return {"db": db, "first": first, "second": second}


def _ok(run_cli: Any, *args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return str(result.output)


def _vi(value: float) -> str:
    """A number as the Vietnamese report prints it (decimal comma, 2 decimals)."""
    return f"{value:.2f}".replace(".", ",")


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def _signed(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    if value == 0 and not digits:
        return "0"
    return (f"{value:+.{digits}f}" if digits else f"{value:+d}").replace(".", ",").replace("-", "−")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _results(run_cli: Any, campaign: str) -> dict[str, Any]:
    return dict(json.loads(_ok(run_cli, "par", "results", campaign, "--format", "json")))


def _best_by_area(shown: dict[str, Any]) -> dict[str, tuple[float, set[str]]]:
    """Each area's highest component index in the results and the units that reach it."""
    found = {}
    for code in AREAS:
        top = max(u[f"area_{code}"] for u in shown["units"])
        found[code] = (top, {u["name"] for u in shown["units"] if u[f"area_{code}"] == top})
    return found


def test_national_report_pdf_is_the_engines_results(
    run_cli: Any, rounds: dict[str, Any], tmp_path: Path
) -> None:
    shown = _results(run_cli, rounds["second"])
    assert shown["previous"] == rounds["first"]
    path = tmp_path / "par.pdf"
    assert _ok(run_cli, "report", "par", rounds["second"], "-o", str(path)).strip() == str(path)
    text = _pdf_text(path)
    flat = _flat(text)
    assert "Chỉ số cải cách hành chính thử nghiệm" in flat and "2024" in flat
    assert rounds["second"] in flat
    assert f"Chỉ số PAR trung bình cả nước {_vi(shown['national']['mean_index'])}" in flat
    for code, count in shown["national"]["group_counts"].items():
        name = f"Nhóm {code}" if code != "none" else "Dưới ngưỡng nhóm thấp nhất"
        assert f"{name} {count}" in flat

    # Every unit in the engine's order, with its rank (ties as computed), totals and change.
    first = shown["units"][0]
    assert first["rank"] == 1
    position = 0
    for unit in shown["units"]:
        row = " ".join(
            [
                str(unit["rank"]),
                unit["name"],
                _vi(unit["points"]),
                _vi(unit["bonus"]),
                _vi(unit["penalty"]),
                _vi(unit["total"]),
                _vi(unit["index"]),
                unit["group"] or "–",
                _signed(unit["change"]),
                _signed(unit["rank_change"], 0),
            ]
        )
        found = flat.find(row, position)
        assert found >= 0, row
        position = found
    assert any(u["rank_change"] not in (None, 0) for u in shown["units"])

    # Per area: the name, the best unit and its component index, the national mean.
    for code, (top, names) in _best_by_area(shown).items():
        match = re.search(re.escape(AREAS[code]) + r" [\d,]+ (.+?) ([\d,]+) ([\d,]+) ", flat)
        assert match, AREAS[code]
        assert match.group(1) in names and match.group(3) == _vi(top)
        mean = sum(u[f"area_{code}"] for u in shown["units"]) / len(shown["units"])
        assert _vi(round(mean, 2)) in flat[match.end() : match.end() + 40]
    assert "LV" not in text  # areas by name, never by code


def test_national_report_xlsx_has_the_same_values(
    run_cli: Any, rounds: dict[str, Any], tmp_path: Path
) -> None:
    shown = _results(run_cli, rounds["second"])
    path = tmp_path / "par.xlsx"
    _ok(run_cli, "report", "par", rounds["second"], "--output", str(path))
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames[:2] == ["Xếp hạng các đơn vị", "Kết quả theo lĩnh vực"]
    rows = list(book["Xếp hạng các đơn vị"].iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[0] == "Hạng")
    assert rows[top][:3] == ("Hạng", "Mã", "Đơn vị")
    table = rows[top + 1 : top + 1 + len(shown["units"])]
    expected = [
        (u["rank"], u["unit"], u["name"], u["points"], u["bonus"], u["penalty"], u["total"],
         u["index"], u["group"], u["change"], u["rank_change"])
        for u in shown["units"]
    ]  # fmt: skip
    assert [tuple(r[:11]) for r in table] == expected
    assert rows[top + 1 + len(shown["units"])][7] == shown["national"]["mean_index"]

    areas = list(book["Kết quả theo lĩnh vực"].iter_rows(values_only=True))
    head = next(i for i, r in enumerate(areas) if r[0] == "Lĩnh vực")
    best = _best_by_area(shown)
    for code, row in zip(AREAS, areas[head + 1 :], strict=True):
        assert row[0] == AREAS[code]
        assert set(row[2].split(", ")) <= best[code][1] and row[4] == best[code][0]
    matrix = list(book["Chỉ số thành phần theo lĩnh vực"].iter_rows(values_only=True))
    head = next(i for i, r in enumerate(matrix) if r[0] == "Hạng")
    assert list(matrix[head][3:]) == list(AREAS.values())
    assert [list(r[3:]) for r in matrix[head + 1 :]] == [
        [u[f"area_{c}"] for c in AREAS] for u in shown["units"]
    ]


def test_national_report_in_english_and_its_refusals(
    run_cli: Any, rounds: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "par-en.pdf"
    _ok(run_cli, "report", "par", rounds["second"], "-o", str(path), "--lang", "en")
    flat = _flat(_pdf_text(path))
    assert "Trial administrative reform index: results 2024" in flat
    assert "Direction and management" in flat and "Công tác chỉ đạo" not in flat
    assert "Index change on par-2023" in flat

    bad = run_cli("report", "par", rounds["second"], "-o", str(tmp_path / "par.docx"))
    assert bad.exit_code == 1 and "[report.bad_format]" in bad.output
    assert "Traceback" not in bad.output
    framework = tmp_path / "khung.yaml"
    par.create_campaign(rounds["db"], ADMIN, code="open-2025", framework=str(framework), year=2025)
    open_round = run_cli("report", "par", "open-2025")
    assert open_round.exit_code == 1 and "[par.not_final]" in open_round.output


def _sheet_rows(path: Path, unit: str) -> tuple[dict[str, tuple[Any, ...]], tuple[Any, ...]]:
    rows = list(openpyxl.load_workbook(path, read_only=True)[unit].iter_rows(values_only=True))
    assert rows[1][5] == "Điều tra xã hội học"
    by_code = {str(r[0]): r for r in rows[2:] if r[0] is not None}
    total = next(r for r in rows if r[1] == "Tổng điểm")
    return by_code, total


def test_score_sheets_show_survey_points_and_a_total_row(
    run_cli: Any, rounds: dict[str, Any], tmp_path: Path
) -> None:
    db, code = rounds["db"], rounds["second"]
    shown = {u["unit"]: u for u in _results(run_cli, code)["units"]}
    path = tmp_path / "diem.xlsx"
    _ok(run_cli, "par", "scores", "export", "--campaign", code, "-o", str(path))
    appraised = {u["unit_code"] for u in par.campaign_units(db, code)[::3]}
    assert "01" in appraised and "79" not in appraised
    for unit in ("01", "79", "96"):
        stored = {r["node"]: r for r in par.unit_scores(db, ADMIN, code, unit)}
        rows, total = _sheet_rows(path, unit)
        for leaf in SURVEY_LEAVES:
            assert stored[leaf]["survey"] is not None
            assert rows[leaf][5] == pytest.approx(stored[leaf]["survey"])
        for leaf in ("LV1.1", "LV1.2", "LV2.1"):
            assert rows[leaf][5] is None  # self-assessed: no survey points
        assert rows["LV1"][5] is None and rows["LV3"][5] == pytest.approx(rows["LV3.1"][5])
        assert rows["LV2"][1] == AREAS["LV2"]  # the area's name beside its STT
        # Tổng điểm: the sum of the three areas in every points column; the final one is the
        # engine's total and index.
        assert total[2] == pytest.approx(30.0)
        for col in (3, 4, 5, 6):
            values = [rows[a][col] for a in AREAS if rows[a][col] is not None]
            assert total[col] == (pytest.approx(sum(values)) if values else None)
        assert total[6] == pytest.approx(shown[unit]["total"], abs=0.005)
        assert total[7] == shown[unit]["index"]
    data = list(openpyxl.load_workbook(path, read_only=True)["Dữ liệu"].iter_rows(values_only=True))
    assert data[0][2:4] == ("node_code", "node_name")
    assert {r[3] for r in data[1:] if r[2] == "LV2.2"} == {"Đánh giá của người dân"}


def test_survey_points_come_back_from_their_column(
    run_cli: Any, rounds: dict[str, Any], tmp_path: Path
) -> None:
    """The survey column is where a survey stage is read from, the other columns untouched."""
    db = rounds["db"]
    framework = tmp_path / "khung.yaml"
    par.create_campaign(db, ADMIN, code="open-2025", framework=str(framework), year=2025)
    path = tmp_path / "khao-sat.xlsx"
    _ok(
        run_cli,
        "par",
        "scores",
        "export",
        "--campaign",
        "open-2025",
        "--unit",
        "01",
        "-o",
        str(path),
    )
    book = openpyxl.load_workbook(path)
    sheet = book["01"]
    for row in sheet.iter_rows(min_row=3):
        if row[0].value == "LV2.2":
            row[5].value = 6.25
        if row[0].value == "LV1.1":
            row[6].value = 3  # a final-column value is not a survey score
    book.save(path)
    out = _ok(run_cli, "par", "scores", "import", str(path), "--campaign", "open-2025",
              "--stage", "survey")  # fmt: skip
    assert "1 survey scores saved" in out
    stored = {r["node"]: r for r in par.unit_scores(db, ADMIN, "open-2025", "01")}
    assert stored["LV2.2"]["survey"] == 6.25 and stored["LV1.1"]["self"] is None


def test_appraisal_report_names_areas_and_their_component_index(
    run_cli: Any, rounds: dict[str, Any], tmp_path: Path
) -> None:
    shown = {u["unit"]: u for u in _results(run_cli, rounds["second"])["units"]}
    path = tmp_path / "tham-dinh.pdf"
    _ok(run_cli, "report", "appraisal", rounds["second"], "--unit", "01", "-o", str(path))
    flat = _flat(_pdf_text(path))
    assert "Chỉ số thành phần (%)" in flat
    assert "Chỉ số cải cách hành chính thử nghiệm" in flat and "par-test-areas" not in flat
    for code, name in AREAS.items():
        match = re.search(re.escape(name) + r"((?: [\d,]+| –)+)", flat)
        assert match, name
        assert match.group(1).split()[-1] == _vi(shown["01"][f"area_{code}"])
    assert "Kiểm tra" in flat  # the appraised criterion's name in the history, not its code


def test_area_summaries_by_hand() -> None:
    """Best units by the area's component index (a unit whose criterion is not applicable is
    compared on what applies to it), ties shared, means over the units, unweighted."""
    framework = require_par(parse_framework_text(EVERY_RUBRIC, "every-rubric")[0])
    leaves = {"1.1": 2, "1.2": 1, "1.3": 1, "1.4": 4, "1.5": 2, "2.1": 6, "2.2": 4}
    u1 = {**leaves, "1.5": None}  # 8 of the 8 that apply: 100
    u2 = {k: v for k, v in leaves.items() if k < "2"} | {"2.1": 3, "2.2": 2}  # 10 of 10; 5 of 10
    u3 = {"1.1": 1, "1.2": 0, "1.3": 0, "1.4": 2, "1.5": 1}  # 4 of 10; area 2 missing: 0
    rows = [
        {"unit_code": unit, "node_code": leaf, "points": points, "applicable": points is not None}
        for unit, scores in (("U1", u1), ("U2", u2), ("U3", u3))
        for leaf, points in scores.items()
    ]
    found = {
        a["area"]: a
        for a in area_summaries(
            framework, compute(framework, ["U1", "U2", "U3"], pd.DataFrame(rows))
        )
    }
    assert list(found) == ["1", "2"]  # bonus and penalty are not areas
    one, two = found["1"], found["2"]
    assert one["best"] == ["U1", "U2"] and one["best_index"] == pytest.approx(100.0)
    assert one["best_points"] == pytest.approx(10.0)
    assert one["mean_points"] == pytest.approx((8 + 10 + 4) / 3)
    assert one["mean_index"] == pytest.approx((100 + 100 + 40) / 3)
    assert two["best"] == ["U1"] and two["best_points"] == pytest.approx(10.0)
    assert two["mean_points"] == pytest.approx(5.0) and two["mean_index"] == pytest.approx(50.0)


def test_national_report_html_reads_well(
    run_cli: Any, rounds: dict[str, Any], tmp_path: Path
) -> None:
    from test_reports import lint

    path = tmp_path / "par.html"
    _ok(run_cli, "report", "par", rounds["second"], "-o", str(path))
    html = path.read_text(encoding="utf-8")
    assert lint(html) == []
    assert unicodedata.is_normalized("NFC", html)
    assert html.count("<img") == html.count('alt="') == 1
