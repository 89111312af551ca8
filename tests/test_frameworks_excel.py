"""PAR frameworks in the ministry's Excel layout: export, import of hand-typed sheets, problems."""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sipas.cli.main import cli
from sipas.frameworks import ParFramework, load_builtin
from sipas.frameworks.excel import export_par_xlsx, import_par_xlsx
from sipas.frameworks.report import ValidationReport

PAR_BUILTINS = ["par-province-2017", "par-province-2024"]
HEADER = ("STT", "Lĩnh vực/Tiêu chí/Tiêu chí thành phần", "Điểm tối đa", "Phương pháp đánh giá")


def _workbook(rows: list[tuple], title: str = "Khung chỉ số") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rules(report: ValidationReport) -> list[str]:
    return [p.rule for p in report.problems]


def _only(report: ValidationReport, rule: str):
    found = [p for p in report.problems if p.rule == rule]
    assert len(found) == 1, report.problems
    return found[0]


# --- round trip of the built-ins -----------------------------------------------------------------


@pytest.mark.parametrize("framework_id", PAR_BUILTINS)
def test_export_then_import_gives_no_problems(framework_id: str) -> None:
    framework, report = import_par_xlsx(export_par_xlsx(load_builtin(framework_id)))
    assert report.problems == []
    assert isinstance(framework, ParFramework)


@pytest.mark.parametrize("framework_id", PAR_BUILTINS)
def test_export_then_import_keeps_identity_tree_and_levels(framework_id: str) -> None:
    original = load_builtin(framework_id)
    framework, _ = import_par_xlsx(export_par_xlsx(original))
    assert framework is not None
    back, expected = framework.model_dump(), original.model_dump()
    for key in ("id", "kind", "version", "title", "total_points", "provisional", "notes"):
        assert back[key] == expected[key], key
    assert back["levels"] == expected["levels"]
    assert back["nodes"] == expected["nodes"]
    assert [g["min_index"] for g in back["groups"]] == [g["min_index"] for g in expected["groups"]]


@pytest.mark.parametrize("framework_id", PAR_BUILTINS)
def test_export_then_import_gives_an_equal_framework(framework_id: str) -> None:
    original = load_builtin(framework_id)
    framework, report = import_par_xlsx(export_par_xlsx(original))
    assert report.errors == []
    assert framework is not None
    assert framework.model_dump() == original.model_dump()


# --- the exported workbook -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported_2017() -> openpyxl.Workbook:
    data = export_par_xlsx(load_builtin("par-province-2017"))
    return openpyxl.load_workbook(io.BytesIO(data))


def test_exported_workbook_has_the_ministry_sheet_and_header(exported_2017) -> None:
    assert "Khung chỉ số" in exported_2017.sheetnames
    sheet = exported_2017["Khung chỉ số"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["STT", "Lĩnh vực/Tiêu chí/Tiêu chí thành phần", "Điểm tối đa"]
    assert "Phương pháp đánh giá" in header
    assert "Tên tiếng Anh" in header


def test_exported_max_points_are_numbers(exported_2017) -> None:
    framework = load_builtin("par-province-2017")
    rows = list(exported_2017["Khung chỉ số"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(framework.walk())
    for row, (_, node) in zip(rows, framework.walk(), strict=True):
        assert row[0] == node.code
        assert isinstance(row[2], int | float), row
        assert not isinstance(row[2], bool)
        assert row[2] == node.max_points


def test_exported_vietnamese_names_are_intact(exported_2017) -> None:
    framework = load_builtin("par-province-2017")
    rows = list(exported_2017["Khung chỉ số"].iter_rows(min_row=2, values_only=True))
    for row, (_, node) in zip(rows, framework.walk(), strict=True):
        assert row[1] == node.name.vi
        assert unicodedata.is_normalized("NFC", row[1])
    assert rows[0][1] == "Công tác chỉ đạo, điều hành cải cách hành chính"


# --- a hand-typed ministry-style sheet -----------------------------------------------------------

MINISTRY_ROWS = [
    ("KHUNG CHỈ SỐ CẢI CÁCH HÀNH CHÍNH CẤP TỈNH",),
    (),
    HEADER,
    ("I", "Công tác chỉ đạo, điều hành cải cách hành chính", 45, None),
    (1, "Kế hoạch cải cách hành chính", "7,5", None),
    ("1.1", "Ban hành kế hoạch đúng thời hạn", "2,5", "Tự đánh giá"),
    ("1.2", "Mức độ hoàn thành kế hoạch", 5, "Tự đánh giá"),
    (2, "Đánh giá của người dân về chỉ đạo, điều hành", "37,5", "Điều tra XHH"),
    ("II", "Cải cách thủ tục hành chính", 55, None),
    (1, "Công khai thủ tục hành chính", "32,5", None),
    ("1.1", "Công khai đầy đủ, đúng quy định", "12,5", "Tự đánh giá"),
    ("1.2", "Mức độ hài lòng về công khai", 20, "Điều tra XHH"),
    (2, "Giải quyết thủ tục hành chính đúng hạn", "22,5", "Tự đánh giá"),
]


@pytest.fixture
def ministry_import(tmp_path: Path):
    path = tmp_path / "khung-bo-noi-vu.xlsx"
    path.write_bytes(_workbook(MINISTRY_ROWS, title="Sheet1"))
    return import_par_xlsx(path)


def test_ministry_sheet_imports_valid_with_a_no_english_warning(ministry_import) -> None:
    framework, report = ministry_import
    assert report.errors == []
    assert _rules(report) == ["xlsx.no_english"]
    assert report.warnings[0].severity == "warning"
    assert isinstance(framework, ParFramework)
    assert framework.id == "khung-bo-noi-vu"


def test_ministry_sheet_gets_dotted_codes_and_maxima(ministry_import) -> None:
    framework, _ = ministry_import
    got = {node.code: node.max_points for _, node in framework.walk()}
    assert got == {
        "1": 45.0,
        "1.1": 7.5,
        "1.1.1": 2.5,
        "1.1.2": 5.0,
        "1.2": 37.5,
        "2": 55.0,
        "2.1": 32.5,
        "2.1.1": 12.5,
        "2.1.2": 20.0,
        "2.2": 22.5,
    }


def test_ministry_sheet_is_nested_by_area_and_criterion(ministry_import) -> None:
    framework, _ = ministry_import
    assert [n.code for n in framework.nodes] == ["1", "2"]
    area_one, area_two = framework.nodes
    assert [c.code for c in area_one.children] == ["1.1", "1.2"]
    assert [c.code for c in area_one.children[0].children] == ["1.1.1", "1.1.2"]
    assert [c.code for c in area_two.children] == ["2.1", "2.2"]
    assert area_two.children[0].children[1].name.vi == "Mức độ hài lòng về công khai"
    trails = {node.code: trail for trail, node in framework.walk()}
    assert trails["2.1.2"] == ("2", "2.1")


def test_ministry_sheet_reads_method_words(ministry_import) -> None:
    framework, _ = ministry_import
    methods = {node.code: node.method for node in framework.leaves()}
    assert methods == {
        "1.1.1": "self_assessed",
        "1.1.2": "self_assessed",
        "1.2": "survey",
        "2.1.1": "self_assessed",
        "2.1.2": "survey",
        "2.2": "self_assessed",
    }


def test_ministry_sheet_uses_vietnamese_name_for_english(ministry_import) -> None:
    framework, _ = ministry_import
    for _, node in framework.walk():
        assert node.name.en == node.name.vi


def test_row_numbered_before_any_roman_area_is_reported() -> None:
    rows = [HEADER, (1, "Tiêu chí lạc", 10, "Tự đánh giá"), ("I", "Lĩnh vực", 100, "Kết hợp")]
    framework, report = import_par_xlsx(_workbook(rows))
    assert framework is None
    assert "row 2" in _only(report, "xlsx.order").path


# --- bad sheets ----------------------------------------------------------------------------------


def test_sheet_without_header_is_refused() -> None:
    rows = [("Bảng điểm",), ("1", "Lĩnh vực", 100, "Tự đánh giá")]
    framework, report = import_par_xlsx(_workbook(rows))
    assert framework is None
    assert _rules(report) == ["xlsx.header"]


def test_non_numeric_max_is_reported_with_its_row() -> None:
    rows = [
        ("Tiêu đề",),
        HEADER,
        ("1", "Lĩnh vực một", 98, "Tự đánh giá"),
        ("2", "Lĩnh vực hai", "hai", "Tự đánh giá"),
    ]
    framework, report = import_par_xlsx(_workbook(rows))
    assert framework is None
    problem = _only(report, "xlsx.points")
    assert problem.path.endswith("row 4")
    assert "'hai'" in problem.message


def test_unknown_method_is_reported_with_its_row() -> None:
    rows = [HEADER, ("1", "Lĩnh vực", 100, "Phỏng vấn sâu")]
    framework, report = import_par_xlsx(_workbook(rows))
    assert framework is None
    problem = _only(report, "xlsx.method")
    assert problem.path.endswith("row 2")
    assert "Phỏng vấn sâu" in problem.message


def test_sub_criterion_without_its_criterion_is_an_orphan() -> None:
    rows = [
        HEADER,
        ("1", "Lĩnh vực một", 50, "Tự đánh giá"),
        ("3", "Lĩnh vực ba", 50, None),
        ("3.1.1", "Tiêu chí thành phần mồ côi", 50, "Tự đánh giá"),
    ]
    framework, report = import_par_xlsx(_workbook(rows))
    assert framework is None
    problem = _only(report, "xlsx.orphan")
    assert problem.path.endswith("row 4")
    assert "'3.1'" in problem.message


def test_children_exceeding_their_parent_break_the_framework_rule() -> None:
    rows = [
        HEADER,
        ("1", "Lĩnh vực", 100, None),
        ("1.1", "Tiêu chí một", 60, "Tự đánh giá"),
        ("1.2", "Tiêu chí hai", 50, "Tự đánh giá"),
    ]
    framework, report = import_par_xlsx(_workbook(rows), framework_id="par-test")
    assert framework is None
    problem = _only(report, "par.children_exceed")
    assert problem.path == "par-test › 1 › 1.2"


@pytest.mark.parametrize(
    "content",
    [
        os.urandom(64) + b"\x00\xff",
        "STT;Tên;Điểm tối đa\n1;Lĩnh vực;100\n".encode(),
        b"",
        b"PK\x03\x04 truncated zip",
    ],
    ids=["random-bytes", "text", "empty", "broken-zip"],
)
def test_unreadable_file_is_reported_not_raised(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "khung.xlsx"
    path.write_bytes(content)
    for source in (path, content):
        framework, report = import_par_xlsx(source)
        assert framework is None
        assert _rules(report) == ["xlsx.unreadable"]


def test_zip_that_is_not_a_workbook_is_unreadable() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    framework, report = import_par_xlsx(buffer.getvalue())
    assert framework is None
    assert _rules(report) == ["xlsx.unreadable"]


# --- the CLI -------------------------------------------------------------------------------------


def test_cli_export_xlsx_then_validate_exits_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIPAS_DATA_DIR", str(tmp_path / "data"))
    target = tmp_path / "par-2017.xlsx"
    runner = CliRunner()
    exported = runner.invoke(
        cli, ["frameworks", "export", "par-province-2017", "--format", "xlsx", "-o", str(target)]
    )
    assert exported.exit_code == 0, exported.output
    assert target.read_bytes()[:2] == b"PK"
    validated = runner.invoke(cli, ["frameworks", "validate", str(target)])
    assert validated.exit_code == 0, validated.output
    assert "valid" in validated.output
    assert "INVALID" not in validated.output


def test_cli_validate_of_a_text_file_named_xlsx_exits_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIPAS_DATA_DIR", str(tmp_path / "data"))
    target = tmp_path / "not-a-workbook.xlsx"
    target.write_text("hello", encoding="utf-8")
    result = CliRunner().invoke(cli, ["frameworks", "validate", str(target)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "xlsx.unreadable" in result.output
