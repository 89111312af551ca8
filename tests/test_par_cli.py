"""`sipas par …` as a user runs it: a campaign from files, Excel round trips, clear refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from par_fixtures import EVERY_RUBRIC
from sipas.api import par
from sipas.settings import load_settings
from sipas.store import open_database
from upload_samples import MINIMAL_PDF

UNITS_CSV = (
    "unit_code,name,kind,province_code\n"
    "D1,Sở Nội vụ,department,01\n"
    'D2,=HYPERLINK("http://evil"),department,01\n'
    "X1,Phường Ba Đình,commune,01\n"
)
SELF_CSV = (
    "unit_code,node_code,points,value,applicable,note\n"
    "D1,1.1,,95,,kế hoạch số 1\n"
    "D1,1.2,,đạt,,có kinh phí\n"
    "D1,1.3,,đúng hạn,,ban hành 5/1\n"
    "D1,1.4,,80,,báo cáo quý IV\n"
    "D1,1.5,,,không,\n"
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "framework": tmp_path / "khung.yaml",
        "units": tmp_path / "don-vi.csv",
        "self": tmp_path / "tu-danh-gia.csv",
    }
    paths["framework"].write_text(EVERY_RUBRIC, encoding="utf-8")
    paths["units"].write_text(UNITS_CSV, encoding="utf-8")
    paths["self"].write_text(SELF_CSV, encoding="utf-8")
    return paths


def _ok(run_cli: Any, *args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return str(result.output)


def _error(run_cli: Any, code: str, *args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 1, result.output
    assert f"[{code}]" in result.output and "Traceback" not in result.output, result.output
    return str(result.output)


def _open_campaign(run_cli: Any, files: dict[str, Path]) -> None:
    _ok(
        run_cli,
        "par",
        "campaign",
        "create",
        "hn-2025",
        "--framework",
        str(files["framework"]),
        "--year",
        "2025",
        "--units",
        str(files["units"]),
        "--deadline",
        "2099-12-31",
    )
    _ok(
        run_cli,
        "par",
        "assign",
        "hn-2025",
        "--user",
        "an",
        "--role",
        "self_assessor",
        "--unit",
        "D1",
    )
    _ok(run_cli, "par", "assign", "hn-2025", "--user", "chi", "--role", "appraiser", "--node", "1")


AN = ("par", "--as", "an", "--role", "officer", "--province", "01")
CHI = ("par", "--as", "chi", "--role", "appraiser")


def test_a_round_from_files(run_cli: Any, files: dict[str, Path], tmp_path: Path) -> None:
    _open_campaign(run_cli, files)
    out = _ok(
        run_cli,
        *AN,
        "scores",
        "import",
        str(files["self"]),
        "--campaign",
        "hn-2025",
        "--stage",
        "self",
    )
    assert "5 self scores saved" in out
    pdf = tmp_path / "ke-hoach.pdf"
    pdf.write_bytes(MINIMAL_PDF)
    _ok(run_cli, *AN, "evidence", "hn-2025", str(pdf), "--unit", "D1", "--node", "1.1")
    _ok(run_cli, *AN, "lock", "hn-2025", "D1")
    _ok(run_cli, "par", "campaign", "advance", "hn-2025", "appraisal1")

    # The appraiser edits the exported sheet: 1.4 from 4 to 3 points, with the reason in Ghi chú.
    sheet_path = tmp_path / "diem.xlsx"
    _ok(
        run_cli,
        *CHI,
        "scores",
        "export",
        "--campaign",
        "hn-2025",
        "--unit",
        "D1",
        "-o",
        str(sheet_path),
    )
    book = openpyxl.load_workbook(sheet_path)
    sheet = book["D1"]
    header = [c.value for c in sheet[2]]
    assert header[:8] == [
        "STT",
        "Lĩnh vực/Tiêu chí/Tiêu chí thành phần",
        "Điểm tối đa",
        "Tự đánh giá",
        "Thẩm định",
        "Điều tra xã hội học",
        "Điểm đạt được",
        "Chỉ số",
    ]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=3)}
    assert rows["1"][3].value == pytest.approx(8.0)  # 2 + 1 + 1 + 4; 1.5 not applicable
    assert rows["1.4"][3].value == pytest.approx(4.0)
    rows["1.4"][4].value = 3
    rows["1.4"][8].value = "tỷ lệ thực tế 60%"
    book.save(sheet_path)
    out = _ok(
        run_cli,
        *CHI,
        "scores",
        "import",
        str(sheet_path),
        "--campaign",
        "hn-2025",
        "--stage",
        "appraisal1",
    )
    assert "1 appraisal1 scores saved" in out

    for stage in ("explanation", "appraisal2", "final"):
        _ok(run_cli, "par", "campaign", "advance", "hn-2025", stage)
    shown = json.loads(_ok(run_cli, "par", "results", "hn-2025", "--format", "json"))
    d1 = next(u for u in shown["units"] if u["unit"] == "D1")
    # area 1: 2 + 1 + 1 + 3 = 7 of 8 (1.5 excluded); area 2 has no survey values yet: 0 of 10
    assert d1["area_1"] == 87.5 and d1["area_2"] == 0.0
    assert d1["index"] == round(7 / 18 * 100, 2) and not d1["complete"]

    # The JSON twin of the CLI is the api's result.
    settings = load_settings(None)
    db = open_database(settings.resolved_database_url())
    assert json.loads(json.dumps(par.results(db, "hn-2025"), default=str)) == shown

    history = json.loads(
        _ok(
            run_cli,
            "par",
            "history",
            "hn-2025",
            "--unit",
            "D1",
            "--node",
            "1.4",
            "--format",
            "json",
        )
    )
    assert [h["action"] for h in history] == ["par.self", "par.appraisal1", "par.final"]
    assert history[1]["reason"] == "tỷ lệ thực tế 60%" and history[1]["actor"] == "chi"

    csv_out = _ok(run_cli, "par", "results", "hn-2025", "--format", "csv")
    assert "'=HYPERLINK" in csv_out  # a unit name that is a formula is escaped
    workbook = tmp_path / "all.xlsx"
    _ok(run_cli, "par", "scores", "export", "--campaign", "hn-2025", "-o", str(workbook))
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames == ["D1", "D2", "X1", "Dữ liệu"]
    names = {row[0].value: row[1].value for row in book["Dữ liệu"].iter_rows(min_row=2)}
    assert names["D2"] == '\'=HYPERLINK("http://evil")'
    assert book["D1"]["H3"].value == 87.5  # area 1's index on the final scores
    assert all(
        not isinstance(c.value, str) or not c.value.startswith("=")
        for s in book.worksheets
        for row in s.iter_rows()
        for c in row
    )


def test_refusals_are_one_clear_line(run_cli: Any, files: dict[str, Path], tmp_path: Path) -> None:
    _error(run_cli, "par.campaign_unknown", "par", "results", "nope")
    _open_campaign(run_cli, files)
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_code,node_code,points\nD1,1.5,1\nD1,B.1,7\n", encoding="utf-8")
    out = _error(
        run_cli,
        "par.above_max",
        *AN,
        "scores",
        "import",
        str(bad),
        "--campaign",
        "hn-2025",
        "--stage",
        "self",
    )
    said = "dòng 3 › đơn vị D1 › tiêu chí B.1: 7 điểm vượt quá điểm tối đa 1,5 của tiêu chí"
    assert said in out and "Hãy nhập một số từ 0 đến 1,5" in out
    twice = tmp_path / "twice.csv"
    twice.write_text("unit_code,node_code,points\nD1,1.5,1\nD1,1.5,2\n", encoding="utf-8")
    out = _error(
        run_cli,
        "par.duplicate_entry",
        *AN,
        "scores",
        "import",
        str(twice),
        "--campaign",
        "hn-2025",
        "--stage",
        "self",
    )
    assert "dòng 3 › đơn vị D1 › tiêu chí 1.5: tiêu chí được nhập hai lần" in out
    other = ("par", "--as", "binh", "--role", "officer", "--province", "79")
    _error(
        run_cli,
        "auth.forbidden.write_stage",
        *other,
        "scores",
        "import",
        str(files["self"]),
        "--campaign",
        "hn-2025",
        "--stage",
        "self",
    )
    _error(
        run_cli,
        "auth.forbidden.read",
        *other,
        "scores",
        "show",
        "--campaign",
        "hn-2025",
        "--unit",
        "D1",
    )
    _error(run_cli, "par.stage_order", "par", "campaign", "advance", "hn-2025", "final")
    _error(run_cli, "par.not_final", "par", "results", "hn-2025")
    _error(
        run_cli,
        "par.bad_deadline",
        "par",
        "campaign",
        "create",
        "x",
        "--framework",
        str(files["framework"]),
        "--year",
        "2025",
        "--deadline",
        "soon",
    )
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"\x00\x01 not a workbook")
    _error(
        run_cli,
        "par.sheet_unreadable",
        *AN,
        "scores",
        "import",
        str(garbage),
        "--campaign",
        "hn-2025",
        "--stage",
        "self",
    )
    shown = json.loads(
        _ok(
            run_cli,
            "par",
            "scores",
            "show",
            "--campaign",
            "hn-2025",
            "--unit",
            "D1",
            "--format",
            "json",
        )
    )
    assert all(row["self"] is None for row in shown)  # nothing was saved by the refusals


def test_provisional_results_before_final(run_cli: Any, files: dict[str, Path]) -> None:
    _open_campaign(run_cli, files)
    _ok(
        run_cli,
        *AN,
        "scores",
        "import",
        str(files["self"]),
        "--campaign",
        "hn-2025",
        "--stage",
        "self",
    )
    out = _ok(run_cli, "par", "compute", "hn-2025", "--stage", "self")
    assert "3 units" in out and "have leaves without a self score" in out
