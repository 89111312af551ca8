"""Official published results: the built-in public figures, the ministry's annex layout read all
or nothing, and `sipas published …` as a user runs it."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from sipas.api import published as api
from sipas.errors import SipasError
from sipas.published import (
    builtin,
    implied_ranks,
    rank_change_phrase,
    rank_contradictions,
    read_file,
    resolve_unit,
)
from sipas.store import open_database

DATA = Path(__file__).resolve().parent / "data" / "published"
SYNTHETIC_CSV = DATA / "par_2024_annex_synthetic.csv"  # SYNTHETIC: invented figures
SYNTHETIC_XLSX = DATA / "par_2024_annex_synthetic.xlsx"
HEADER_ROW = 4  # title lines 1–3, the header on row 4: data from row 5


def _ok(run_cli: Any, *args: str) -> str:
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    return str(result.output)


def _json(run_cli: Any, *args: str) -> Any:
    return json.loads(_ok(run_cli, "--lang", "en", *args, "--format", "json"))


# --- "Done when": the seed-level facts, from the built-in data, each with its source ---------


def test_thai_nguyen_sipas_2024_is_90_23_and_second(run_cli: Any) -> None:
    # Seed article (baoquocte.vn): Thái Nguyên 90.23%, 2nd after Hải Phòng (SIPAS 2024).
    shown = _json(run_cli, "published", "show", "sipas", "--year", "2024", "--unit", "19")
    (unit,) = shown["units"]
    assert (unit["unit"], unit["name"], unit["value"], unit["rank"]) == (
        "19",
        "Thái Nguyên",
        90.23,
        2,
    )
    assert unit["source"] == "seed article (baoquocte.vn)"
    # 2023: 90.29, 2nd (baogialai.com.vn): a change computed from the published figures.
    assert (unit["previous_value"], unit["change"], unit["change_from"]) == (
        90.29,
        -0.06,
        "computed",
    )
    assert unit["rank_change"] == 0 and unit["rank_change_text"]["vi"] == "giữ nguyên thứ hạng"


def test_sipas_2024_national_is_83_94_up_1_28(run_cli: Any) -> None:
    # vietnam.vnanet.vn and news.laodong.vn: SIPAS 2024 national 83.94%, +1.28 on 2023.
    shown = _json(run_cli, "published", "show", "sipas", "--year", "2024")
    (national,) = [a for a in shown["national"] if a["unit"] == "national" and a["node"] == ""]
    assert (national["value"], national["change"], national["label"]) == (83.94, 1.28, "published")
    assert national["source"].startswith("https://vietnam.vnanet.vn/")
    # Nothing averaged over missing units: the mean of the few known values is labelled so.
    (computed,) = shown["computed"]
    assert not computed["complete"] and computed["label"] == "computed from an incomplete table"
    assert computed["with_value"] < computed["units"] <= computed["expected"] == 63


def test_thai_nguyen_par_2024_is_91_47_fifth_up_one_place(run_cli: Any) -> None:
    # Seed article (baoquocte.vn): PAR INDEX 2024 Thái Nguyên 91.47%, 5th, up 1 place.
    shown = _json(run_cli, "published", "show", "par", "--year", "2024", "--unit", "Thái Nguyên")
    (unit,) = shown["units"]
    assert (unit["value"], unit["rank"], unit["rank_change"]) == (91.47, 5, 1)
    assert unit["rank_change_from"] == "published"
    assert unit["rank_change_text"] == {"vi": "tăng 1 bậc", "en": "up 1 place"}
    assert unit["source"] == "seed article (baoquocte.vn)"


def test_par_2024_national_mean_is_88_37_up_1_39(run_cli: Any) -> None:
    # vietnamplus.vn: PAR INDEX 2024 mean of the 63 provinces 88.37%, +1.39 on 2023.
    shown = _json(run_cli, "published", "show", "par", "--year", "2024")
    (national,) = [a for a in shown["national"] if a["unit"] == "national"]
    assert (national["value"], national["change"]) == (88.37, 1.39)
    assert "vietnamplus.vn" in national["source"]


def test_conflicting_reports_are_kept_side_by_side_labelled() -> None:
    haiphong = [
        f for f in builtin() if (f.index, f.year, f.unit, f.node) == ("sipas", 2024, "31", "")
    ]
    assert sorted((f.report, f.value) for f in haiphong) == [("a", 91.10), ("b", 90.59)]
    assert all(f.source.startswith("https://") for f in haiphong)


def test_every_built_in_figure_has_a_source_and_missing_is_not_zero() -> None:
    figures = builtin()
    assert figures and all(f.source for f in figures)
    ranked_only = [f for f in figures if f.rank is not None and f.value is None]
    assert ranked_only, "ranks published without a value are kept"
    assert all(f.value != 0 for f in figures)


# --- the rules over a table ----------------------------------------------------------------


def test_competition_ranks_and_contradictions() -> None:
    assert implied_ranks([90.0, 91.0, 90.0, None, 80.0]) == [2, 1, 2, None, 4]
    # Equal rounded values may carry different ranks (ranked on unrounded totals); a higher value
    # with a worse rank may not.
    assert rank_contradictions([90.0, 90.0, 89.0], [1, 2, 3]) == []
    assert rank_contradictions([90.0, 91.0, 89.0], [1, 2, 3]) == [(1, 0)]
    assert rank_contradictions([90.0, None, 89.0], [1, 2, 3]) == []


def test_rank_change_phrases() -> None:
    assert rank_change_phrase(3).render("vi") == "tăng 3 bậc"  # type: ignore[union-attr]
    assert rank_change_phrase(-2).render("vi") == "giảm 2 bậc"  # type: ignore[union-attr]
    assert rank_change_phrase(-1).render("en") == "down 1 place"  # type: ignore[union-attr]
    assert rank_change_phrase(None) is None


def test_units_provinces_on_the_year_ministries_and_names() -> None:
    assert resolve_unit("Thái Nguyên", 2024) == "19"
    assert resolve_unit("19", 2024) == "19"
    assert resolve_unit("Bộ Tư pháp", 2023) == "BTP"
    assert resolve_unit("Ngân hàng Nhà nước", 2016) == "NHNN"
    assert resolve_unit("Giá trị trung bình", 2024) == "national"
    with pytest.raises(SipasError) as caught:
        resolve_unit("Hà Tây", 2024)  # joined Hà Nội in 2008
    assert caught.value.code == "published.no_such_unit"
    with pytest.raises(SipasError):
        resolve_unit("Bộ Kế hoạch và Đầu tư", 2025)  # merged into Bộ Tài chính on 2025-03-01


# --- a complete 63-province table in the ministry's layout (SYNTHETIC) ----------------------


@pytest.mark.parametrize("path", [SYNTHETIC_CSV, SYNTHETIC_XLSX], ids=["csv", "xlsx"])
def test_a_complete_annex_table_reproduces_its_mean_groups_ties(run_cli: Any, path: Path) -> None:
    imported = _json(run_cli, "published", "import", str(path))
    assert imported["layout"] == "annex"
    assert imported["tables"] == [{"index": "par", "year": 2024, "units": 63, "with_value": 63}]
    shown = _json(run_cli, "published", "show", "par", "--year", "2024")
    (computed,) = shown["computed"]
    # By construction (make_synthetic.py): the 63 totals add up to 63 × 88.37.
    assert computed["value"] == 88.37 and computed["complete"] and computed["label"] == "computed"
    assert computed["groups"] == {"A": 13, "B": 50}
    assert computed["above_80"] == 63 and computed["expected"] == 63  # "63/63 above 80%"
    assert computed["tied_ranks"] == [9, 52]
    # The file's own mean row is kept as published, beside the built-in one.
    file_means = [a for a in shown["national"] if a["origin"] == path.name]
    assert [(a["value"], a["label"]) for a in file_means] == [(88.37, "published")]
    mine = [u for u in shown["units"] if u["origin"] == path.name]
    assert len(mine) == 63
    tied = sorted(u["name"] for u in mine if u["rank"] == 9)
    assert len(tied) == 2
    hanoi = next(u for u in mine if u["unit"] == "01")
    assert hanoi["value"] == 96.17 and hanoi["rank"] == 1
    assert len(hanoi["sub_values"]) == 8
    assert round(sum(hanoi["sub_values"].values()), 2) == 96.17


def test_export_reads_back(run_cli: Any, tmp_path: Path) -> None:
    _ok(run_cli, "published", "import", str(SYNTHETIC_CSV))
    out = tmp_path / "all.csv"
    _ok(run_cli, "published", "export", "--index", "par", "--year", "2024", "--output", str(out))
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["origin"] for r in rows} == {"builtin", SYNTHETIC_CSV.name}
    mine = tmp_path / "mine.csv"
    with mine.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[k for k in rows[0] if k != "origin"])
        writer.writeheader()
        for r in rows:
            if r["origin"] == SYNTHETIC_CSV.name:
                writer.writerow({k: v for k, v in r.items() if k != "origin"})
    again = read_file(mine)
    assert again.layout == "long" and again.problems == []
    assert len(again.figures) == sum(1 for r in rows if r["origin"] == SYNTHETIC_CSV.name)


# --- each bad file refused with its row-level problems, nothing stored ----------------------


def _lines() -> list[list[str]]:
    with SYNTHETIC_CSV.open(encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _write(path: Path, lines: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(lines)
    return path


def _row_of(lines: list[list[str]], name: str) -> int:
    return next(i for i, line in enumerate(lines) if len(line) > 1 and line[1] == name)


def _bad(kind: str, lines: list[list[str]]) -> int:
    """Spoil the table one way; return the (0-based) line that is wrong."""
    if kind == "unknown_unit":
        at = _row_of(lines, "Hà Giang")
        lines[at][1] = "Hà Giangg Xyz"
    elif kind == "duplicate_unit":
        at = _row_of(lines, "Cà Mau")
        lines[at][1] = "Hà Giang"
    elif kind == "not_a_number":
        at = _row_of(lines, "Cao Bằng")
        lines[at][4] = "mười hai"
    elif kind == "out_of_range":
        at = _row_of(lines, "Cao Bằng")
        lines[at][10] = "101,5"
    elif kind == "rank_contradicts_values":
        at = _row_of(lines, "Hà Nội")  # 96.17, rank 1 → rank 7
        lines[at][11] = "7"
    elif kind == "areas_do_not_add_up":
        at = _row_of(lines, "Cao Bằng")
        lines[at][5] = "1,00"
    return at


BAD = [
    ("unknown_unit", "B (Tỉnh/thành phố)"),
    ("duplicate_unit", "B (Tỉnh/thành phố)"),
    ("not_a_number", "E (Cải cách TTHC)"),
    ("out_of_range", "K (Chỉ số PAR INDEX 2024)"),
    ("rank_contradicts_values", "L (Xếp hạng)"),
    ("areas_do_not_add_up", "K (Chỉ số PAR INDEX 2024)"),
]


@pytest.mark.parametrize(("kind", "column"), BAD, ids=[k for k, _ in BAD])
def test_a_bad_file_is_refused_row_by_row_and_nothing_is_stored(
    tmp_path: Path, kind: str, column: str
) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'p.db'}")
    lines = _lines()
    at = _bad(kind, lines)
    path = _write(tmp_path / "bang.csv", lines)
    with pytest.raises(SipasError) as caught:
        api.import_file(db, path)
    error = caught.value
    assert error.code == "published.file_refused"
    problems = error.values["problems"]
    codes = {p.code for p in problems}
    assert f"published.{kind}" in codes, [str(p) for p in problems]
    found = next(p for p in problems if p.code == f"published.{kind}")
    assert found.values["sheet"] == "bang.csv"
    if kind != "rank_contradicts_values":
        assert found.values["row"] == at + 1
    assert found.values["column"] == column
    message_vi, _ = error.text("vi")
    assert "Trang bang.csv, dòng" in message_vi and "chưa lưu gì" in message_vi
    assert not any(line["origin"] == "bang.csv" for line in api.list_published(db))


def test_a_rank_out_of_order_names_the_row_it_contradicts(tmp_path: Path) -> None:
    lines = _lines()
    at = _row_of(lines, "Hà Nội")
    lines[at][11] = "7"
    path = _write(tmp_path / "bang.csv", lines)
    result = read_file(path)
    problem = next(p for p in result.problems if p.code == "published.rank_contradicts_values")
    assert problem.values["other"] == "Hà Nội" and problem.values["other_rank"] == 7
    assert "Hà Nội" in problem.render("en") and "ranked 7" in problem.render("en")


def test_the_cli_prints_every_problem_and_exits_1(run_cli: Any, tmp_path: Path) -> None:
    lines = _lines()
    _bad("not_a_number", lines)
    _bad("unknown_unit", lines)
    path = _write(tmp_path / "bang.csv", lines)
    result = run_cli("published", "import", str(path))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "[published.file_refused]" in result.output
    assert "'mười hai'" in result.output and "'Hà Giangg Xyz'" in result.output
    assert "có 2 lỗi" in result.output


def test_no_index_or_year_asks_for_them(tmp_path: Path) -> None:
    lines = _lines()
    lines[0], lines[1] = [""], ["Bảng tổng hợp"]
    path = _write(tmp_path / "bang.csv", lines)
    result = read_file(path)
    assert [p.code for p in result.problems] == ["published.index_year_unknown"]
    assert read_file(path, "par", 2024).problems == []


def test_import_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    db = open_database(postgres_url)
    path = shutil.copy(SYNTHETIC_XLSX, tmp_path / "phu-luc.xlsx")
    imported = api.import_file(db, Path(path), source="synthetic test table")
    assert imported.stored > 63
    table = api.show(db, "par", 2024)
    (computed,) = table.computed
    assert computed.value == 88.37 and computed.groups == {"A": 13, "B": 50}
    lines = _lines()
    _bad("duplicate_unit", lines)
    with pytest.raises(SipasError):
        api.import_file(db, _write(tmp_path / "phu-luc.csv", lines))
    assert {line["origin"] for line in api.list_published(db)} == {"builtin", "phu-luc.xlsx"}
    # Importing the same file again replaces its figures instead of doubling them.
    assert api.import_file(db, Path(path)).stored == imported.stored
    assert len([u for u in api.show(db, "par", 2024).units if u.origin == "phu-luc.xlsx"]) == 63
    db.close()


def test_across_the_2025_merger_predecessors_are_shown_not_reaggregated(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'p.db'}")
    path = tmp_path / "sipas-2025.csv"
    path.write_text(
        "index,year,unit,value,rank,source\nsipas,2025,Thái Nguyên,88.50,3,synthetic test row\n",
        encoding="utf-8",
    )
    api.import_file(db, path)
    (unit,) = api.show(db, "sipas", 2025, "Thái Nguyên").units
    before = {p["name"]: p for p in unit.predecessors}
    # The 2025 Thái Nguyên was formed from the 63-era Thái Nguyên and Bắc Kạn.
    assert set(before) == {"Thái Nguyên", "Bắc Kạn"}
    assert before["Thái Nguyên"]["value"] == 90.23 and before["Thái Nguyên"]["rank"] == 2
    assert before["Bắc Kạn"]["value"] is None
    assert all(p["label"] == "predecessor province (not re-aggregated)" for p in unit.predecessors)
    assert unit.change is None and unit.previous_value is None  # no invented 2024 value


def test_a_two_row_header_under_merged_cells(tmp_path: Path) -> None:
    """The annex as often laid out: "Các lĩnh vực" merged over one column per area."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2023 (bảng thử, SYNTHETIC)"])
    sheet.append(["STT", "Tỉnh, thành phố", "Các lĩnh vực", None, "Chỉ số PAR INDEX", "Xếp hạng"])
    sheet.append([None, None, "LV1", "LV2", None, None])
    sheet.merge_cells("C2:D2")
    sheet.append([1, "Quảng Ninh", 50.08, 42.10, 92.18, 1])
    sheet.append([2, "Hải Phòng", 50.0, 41.87, 91.87, 2])
    book.save(tmp_path / "phu-luc.xlsx")
    result = read_file(tmp_path / "phu-luc.xlsx")
    assert result.problems == [] and result.indices == {("par", 2023)}
    quangninh = {f.node: f.value for f in result.figures if f.unit == "22"}
    assert quangninh == {"": 92.18, "LV1": 50.08, "LV2": 42.10}


def test_sipas_sub_indices_named_chi_so_are_not_taken_for_the_index(tmp_path: Path) -> None:
    path = tmp_path / "sipas.csv"
    path.write_text(
        "CHỈ SỐ SIPAS NĂM 2024 (bảng thử, SYNTHETIC)\n"
        "STT,Tỉnh/thành phố,Chỉ số hài lòng về chính sách,Chỉ số hài lòng về dịch vụ,"
        "Chỉ số SIPAS,Xếp hạng\n"
        '1,Thái Nguyên,"90,10","90,36","90,23",2\n',
        encoding="utf-8",
    )
    result = read_file(path)
    assert result.problems == [] and result.indices == {("sipas", 2024)}
    total = next(f for f in result.figures if f.node == "")
    assert (total.unit, total.value, total.rank) == ("19", 90.23, 2)
    assert {f.node for f in result.figures} == {
        "",
        "Chỉ số hài lòng về chính sách",
        "Chỉ số hài lòng về dịch vụ",
    }
