"""The last holes in ingestion: every row accounted for at the right row, field and code.

Each test writes a small, realistic file (generated responses spoiled the way a clerk, a
spreadsheet or a Kobo user spoils them, or a file under tests/data/) and checks what is
reported, and that accepted + quarantined = the file's data rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from ingest_fixtures import PERIOD_2024, responses, write_csv
from sipas.api import ingest as api
from sipas.errors import SipasError
from sipas.store import Database, open_database
from sipas.store import ingest as ingest_store
from sipas.store.surveys import get_survey, load_responses

DATA = Path(__file__).parent / "data"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'holes.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    database = open_database(url)
    database.upgrade()
    yield database
    database.close()


def _where(report: api.IngestReport) -> set[tuple[int | None, str | None, str]]:
    return {(p.row, p.field, p.code) for p in report.problems if p.severity == "error"}


def _balanced(report: api.IngestReport, rows: int) -> None:
    assert report.rows == rows
    assert report.accepted + report.quarantined == rows


# -- respondent keys -------------------------------------------------------------------------
def test_blank_form_number_is_a_row_problem_and_the_fix_adds_exactly_that_row(
    db: Database, tmp_path: Path
) -> None:
    frame = responses(10).astype(object)  # 20 rows, form numbers as the generator writes them
    n = len(frame)
    frame.loc[4, "respondent_key"] = "   "  # blank: spreadsheet row 6
    frame.loc[7, "respondent_key"] = None  # empty: row 9
    spaced = frame.copy()
    spaced.loc[2, "respondent_key"] = f"  {frame.loc[2, 'respondent_key']} "
    first = api.import_file(db, write_csv(frame, tmp_path / "a.csv"), "sipas-gen2", "k",
                            PERIOD_2024)  # fmt: skip
    assert _where(first) == {(6, "respondent_key", "ingest.no_key"),
                             (9, "respondent_key", "ingest.no_key")}  # fmt: skip
    _balanced(first, n)
    assert (first.accepted, first.quarantined, first.inserted) == (n - 2, 2, n - 2)
    # The same file with a trailing and leading space around a form number: the same respondent.
    again = api.import_file(db, write_csv(spaced, tmp_path / "b.csv"), "sipas-gen2", "k",
                            PERIOD_2024)  # fmt: skip
    assert (again.inserted, again.unchanged, again.quarantined) == (0, n - 2, 2)
    fixed = spaced.copy()
    fixed.loc[4, "respondent_key"] = "HN-FIX-1"
    fixed.loc[7, "respondent_key"] = "HN-FIX-2"
    last = api.import_file(db, write_csv(fixed, tmp_path / "c.csv"), "sipas-gen2", "k",
                           PERIOD_2024)  # fmt: skip
    assert (last.inserted, last.unchanged, last.quarantined) == (2, n - 2, 0)
    _balanced(last, n)
    with db.begin() as c:
        stored = load_responses(c, "k")
        assert len(stored) == n
        assert stored["respondent_key"].is_unique
        assert not stored["respondent_key"].str.startswith("fp-").any()
        assert frame.loc[2, "respondent_key"] in set(stored["respondent_key"])
        survey_id = get_survey(c, "k")["id"]
        counts = ingest_store.counts(c, survey_id)
    assert (counts["quarantined_open"], counts["quarantined_resolved"]) == (0, 2)


# -- row shape on every path ------------------------------------------------------------------
def _csv_lines(frame: pd.DataFrame) -> list[str]:
    return frame.to_csv(index=False).splitlines()


def _shape_file(tmp_path: Path, fault: str) -> tuple[Path, int, int]:
    """A file whose row 5 has 50 cells (of the header's), plus the fault at its last line."""
    frame = responses(5)  # 10 rows
    lines = _csv_lines(frame)
    width = len(lines[0].split(","))
    cells = lines[4].split(",")  # spreadsheet row 5
    assert '"' not in lines[4]
    lines[4] = ",".join(cells[:50])
    if fault == "truncated":  # a half-written last line, no line end
        text = "\n".join(lines[:-1]) + "\n" + ",".join(lines[-1].split(",")[: width // 2])
    elif fault == "quote":  # the last line opens a quote that never closes
        last = lines[-1].split(",")
        last[3] = '"' + last[3]
        text = "\n".join([*lines[:-1], ",".join(last)]) + "\n"
    else:
        text = "\n".join(lines) + "\n"
    path = tmp_path / f"shape-{fault}.csv"
    path.write_text(text, encoding="utf-8")
    return path, width, len(frame)


@pytest.mark.parametrize(
    ("fault", "code"),
    [("none", None), ("truncated", "ingest.truncated_row"), ("quote", "ingest.unclosed_quote")],
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])  # streamed, and read in memory
def test_row_shape_is_checked_on_every_path(
    tmp_path: Path, fault: str, code: str | None, encoding: str
) -> None:
    path, width, n = _shape_file(tmp_path, fault)
    if encoding != "utf-8":
        path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    report = api.validate_file(path, "sipas-gen2", PERIOD_2024)
    errors = {(p.row, p.field, p.code): p.values for p in report.problems if p.severity == "error"}
    assert errors[(5, None, "ingest.bad_row_shape")] == {"cells": 50, "width": width}
    expected = {(5, None, "ingest.bad_row_shape")}
    if code is not None:
        expected.add((n + 1, None, code))  # the last data row: spreadsheet row n + 1
        assert errors[(n + 1, None, code)]["width"] == width
    assert {k for k in errors if k[1] is None} == expected
    _balanced(report, n)
    assert report.quarantined == len(expected)


def test_a_short_row_is_quarantined_not_stored_blank(db: Database, tmp_path: Path) -> None:
    path, width, n = _shape_file(tmp_path, "none")
    report = api.import_file(db, path, "sipas-gen2", "shape", PERIOD_2024)
    _balanced(report, n)
    assert (report.accepted, report.quarantined, report.inserted) == (n - 1, 1, n - 1)
    with db.begin() as c:
        survey_id = get_survey(c, "shape")["id"]
        entry = ingest_store.quarantined(c, survey_id)[0]
    assert entry["file_row"] == 5
    assert entry["reasons"][0]["code"] == "ingest.bad_row_shape"
    assert entry["reasons"][0]["values"] == {"cells": 50, "width": width}


# -- workbooks ---------------------------------------------------------------------------------
def _workbook(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """A clerk's workbook: a notes sheet first; the data sheet has a two-row header where the
    form number's header is merged over both rows and Part B's title is merged above its codes;
    one satisfaction answer is a formula the writing program never calculated."""
    from openpyxl import Workbook

    frame = responses(4).astype(object)  # 8 rows
    book = Workbook()
    notes = book.active
    notes.title = "Ghi chú"
    for line in ("Phiếu khảo sát SIPAS 2024 - Hà Nội", "Người nhập: Nguyễn Thị Lan", "Ngày: 12/9"):
        notes.append([line])
    sheet = book.create_sheet("Dữ liệu")
    columns = list(frame.columns)
    first_item = columns.index("Q9_01") + 1
    top = [None] * len(columns)
    top[0] = columns[0]  # merged A1:A2
    top[first_item - 1] = "Phần B - Mức độ hài lòng"
    sheet.append(top)
    sheet.append([None, *columns[1:]])
    sheet.merge_cells(start_row=1, start_column=1, end_row=2, end_column=1)
    sheet.merge_cells(start_row=1, start_column=first_item, end_row=1, end_column=first_item + 5)
    for values in frame.itertuples(index=False):
        sheet.append([None if pd.isna(v) else v for v in values])
    formula_column = columns.index("Q9_03") + 1
    sheet.cell(row=6, column=formula_column, value="=IF(B6>0,4,3)")  # data row 4 of 8
    extra = book.create_sheet("Sheet3")
    for i in range(5):
        extra.append([f"x{i}", i])
    path = tmp_path / "phieu nhap tay.xlsx"
    book.save(path)
    return path, frame


def test_workbook_sheet_merged_header_and_formula_without_value(
    db: Database, tmp_path: Path
) -> None:
    path, frame = _workbook(tmp_path)
    report = api.import_file(db, path, "sipas-gen2", "xl", PERIOD_2024)
    assert "Dữ liệu" in report.format
    _balanced(report, len(frame))
    assert _where(report) == {(6, "Q9_03", "ingest.formula_without_value")}
    formula = next(p for p in report.problems if p.code == "ingest.formula_without_value")
    assert formula.values == {"field": "Q9_03", "formula": "=IF(B6>0,4,3)"}
    other = next(p for p in report.problems if p.code == "ingest.other_sheets")
    assert other.values["sheet"] == "Dữ liệu"
    assert "'Ghi chú' (3)" in other.values["sheets"] and "'Sheet3' (5)" in other.values["sheets"]
    assert (report.accepted, report.quarantined) == (len(frame) - 1, 1)
    with db.begin() as c:
        stored = load_responses(c, "xl")
    assert sorted(stored["respondent_key"]) == sorted(
        k for i, k in enumerate(frame["respondent_key"]) if i != 3
    )
    # Named explicitly: the notes sheet has no framework header, so its rows are refused.
    notes = api.validate_file(path, "sipas-gen2", PERIOD_2024, sheet="Ghi chú")
    assert "Ghi chú" in notes.format and not notes.valid
    with pytest.raises(SipasError) as missing:
        api.validate_file(path, "sipas-gen2", PERIOD_2024, sheet="Trang 9")
    assert missing.value.code == "ingest.no_sheet"


@pytest.mark.parametrize("kind", ["xlsx", "zip"])
def test_zip_bombs_are_refused_before_reading(tmp_path: Path, kind: str) -> None:
    import time
    import zipfile

    path = tmp_path / ("bomb.xlsx" if kind == "xlsx" else "bomb.zip")
    member = "xl/sharedStrings.xml" if kind == "xlsx" else "form.csv"
    block = b"<si><t>a</t></si>" * 65536
    archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9)
    with archive, archive.open(member, "w", force_zip64=True) as stream:
        for _ in range(256):  # about 300 MB inflated, well under 1 MB on disk
            stream.write(block)
    assert path.stat().st_size < 2_000_000
    started = time.perf_counter()
    with pytest.raises(SipasError) as refused:
        api.validate_file(path, "sipas-gen2", PERIOD_2024)
    assert time.perf_counter() - started < 1.0
    assert refused.value.code == "ingest.zip_ratio"
    assert refused.value.values["member"] == member


# -- missing and misspelt answer columns -------------------------------------------------------
def test_missing_or_misspelt_answer_column_is_an_error_unless_allowed(
    db: Database, tmp_path: Path
) -> None:
    frame = responses(5)  # 10 rows
    n = len(frame)
    spoiled = frame.drop(columns=["Q9_05"]).rename(columns={"Q9_07": "Q9_7"})
    path = write_csv(spoiled, tmp_path / "cot.csv")
    report = api.validate_file(path, "sipas-gen2", PERIOD_2024)
    assert not report.valid
    file_level = {(p.field, p.code): p.values for p in report.problems if p.row is None}
    assert file_level[("Q9_05", "ingest.missing_answer_column")] == {
        "column": "Q9_05", "framework": "sipas-gen2"}  # fmt: skip
    assert file_level[("Q9_07", "ingest.misspelt_column")] == {"column": "Q9_07", "like": "Q9_7"}
    misspelt = next(p for p in report.problems if p.code == "ingest.misspelt_column")
    assert "Q9_7" in misspelt.hint and "Q9_07" in misspelt.hint
    _balanced(report, n)
    assert report.quarantined == n  # no row is stored with those answers blank
    rows = {(p.row, p.field, p.code) for p in report.problems if p.row is not None}
    assert (2, "Q9_05", "ingest.missing_column") in rows
    # Allowed explicitly: accepted, and what was allowed is kept with the batch.
    fixed = write_csv(frame.drop(columns=["Q9_05"]), tmp_path / "cot-2.csv")
    done = api.import_file(db, fixed, "sipas-gen2", "cols", PERIOD_2024, allow_missing=["Q9_05"])
    _balanced(done, n)
    assert (done.accepted, done.quarantined) == (n, 0)
    with db.begin() as c:
        batch = ingest_store.list_batches(c, get_survey(c, "cols")["id"])[-1]
    assert batch["summary"]["allowed_missing_columns"] == ["Q9_05"]
    with pytest.raises(SipasError) as wrong:
        api.validate_file(fixed, "sipas-gen2", PERIOD_2024, allow_missing=["Q9_99"])
    assert wrong.value.code == "ingest.allow_unknown_column"


def test_a_question_the_framework_marks_optional_may_be_left_out(tmp_path: Path) -> None:
    from sipas.frameworks import load_builtin, require_survey

    framework = require_survey(load_builtin("sipas-gen2"))
    items = [
        i.model_copy(update={"optional": i.code == "Q9_05"}) for i in framework.satisfaction.items
    ]
    satisfaction = framework.satisfaction.model_copy(update={"items": items})
    relaxed = framework.model_copy(update={"satisfaction": satisfaction})
    frame = responses(5).drop(columns=["Q9_05"])
    report = api.validate_file(write_csv(frame, tmp_path / "opt.csv"), relaxed, PERIOD_2024)
    assert report.valid and report.accepted == len(frame)


def test_cli_validate_exits_1_on_a_misspelt_column(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sipas.cli.main import cli as main

    frame = responses(5).rename(columns={"Q9_07": "Q9_7"})
    path = write_csv(frame, tmp_path / "cot.csv")
    result = CliRunner().invoke(main, ["--lang", "en", "validate", str(path), "--framework",
                                       "sipas-gen2", "--period", "2024-08-01:2024-10-15"])  # fmt: skip
    assert result.exit_code == 1
    assert "ingest.misspelt_column" in result.output
    allowed = CliRunner().invoke(main, ["--lang", "en", "validate", str(path), "--framework",
                                        "sipas-gen2", "--period", "2024-08-01:2024-10-15",
                                        "--allow-missing-columns", "Q9_07"])  # fmt: skip
    assert allowed.exit_code == 0, allowed.output


# -- quarantine closing, former provinces, file names ------------------------------------------
def test_a_deleted_double_entry_closes_its_quarantine_entry(db: Database, tmp_path: Path) -> None:
    frame = responses(5).astype(object)  # 10 rows
    n = len(frame)
    twice = pd.concat([frame, frame.iloc[[3]].assign(respondent_key="HN-9999")], ignore_index=True)
    first = api.import_file(db, write_csv(twice, tmp_path / "x2.csv"), "sipas-gen2", "dup",
                            PERIOD_2024)  # fmt: skip
    _balanced(first, n + 1)
    assert _where(first) == {(n + 2, None, "ingest.duplicate_respondent")}
    dup = next(p for p in first.problems if p.code == "ingest.duplicate_respondent")
    assert dup.values == {"first": 5}
    # The clerk deletes the second copy and imports the file again: the entry is resolved.
    again = api.import_file(db, write_csv(frame, tmp_path / "x1.csv"), "sipas-gen2", "dup",
                            PERIOD_2024)  # fmt: skip
    _balanced(again, n)
    assert (again.inserted, again.unchanged, again.quarantined) == (0, n, 0)
    with db.begin() as c:
        survey_id = get_survey(c, "dup")["id"]
        counts = ingest_store.counts(c, survey_id)
        closed = ingest_store.quarantined(c, survey_id, "resolved")
    assert (counts["quarantined_open"], counts["quarantined_resolved"]) == (0, 1)
    assert closed[0]["respondent_key"] == "HN-9999" and closed[0]["file_row"] == n + 2


def test_former_and_merged_province_names_name_the_successor(tmp_path: Path) -> None:
    frame = responses(3).astype(object)  # 6 rows
    frame.loc[1, "province"] = "Hà Tây"  # merged into Hà Nội on 2008-08-01: row 3
    frame.loc[2, "province"] = "Tỉnh Nghệ Tĩnh"  # split in 1991: row 4
    frame.loc[4, "province"] = "Hà Giang"  # merged into Tuyên Quang on 2025-07-01: row 6
    frame.loc[4, "interview_date"] = "2025-09-10"
    report = api.validate_file(write_csv(frame, tmp_path / "tinh.csv"), "sipas-gen2")
    _balanced(report, len(frame))
    found = {(p.row, p.field, p.code): p for p in report.problems if p.severity == "error"}
    assert set(found) == {(3, "province", "ingest.geo_former_merged"),
                          (4, "province", "ingest.geo_former_split"),
                          (6, "province", "ingest.geo_merged")}  # fmt: skip
    assert found[(3, "province", "ingest.geo_former_merged")].values == {
        "value": "Hà Tây", "ended": "2008-08-01", "successors": "01 Hà Nội"}  # fmt: skip
    assert found[(4, "province", "ingest.geo_former_split")].values["successors"] == (
        "40 Nghệ An, 42 Hà Tĩnh"
    )
    assert found[(6, "province", "ingest.geo_merged")].values["successor"] == "08 Tuyên Quang"
    assert "01 Hà Nội" in found[(3, "province", "ingest.geo_former_merged")].hint


def test_control_and_bidi_characters_in_a_file_name_are_escaped(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sipas.cli.main import cli as main

    frame = responses(3).astype(object)
    frame.loc[0, "Q9_01"] = 9  # one problem, so the details table shows the file
    path = write_csv(frame, tmp_path / "phieu\u202eslx.csv")  # shows as "phieuxls.csv" reversed
    report = api.validate_file(path, "sipas-gen2", PERIOD_2024)
    assert report.file == "phieu\\u202eslx.csv"
    assert {p.file for p in report.problems} == {"phieu\\u202eslx.csv"}
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["--lang", "en", "validate", str(path), "--framework",
                                       "sipas-gen2", "--period", "2024-08-01:2024-10-15",
                                       "--format", "json", "--report", str(out)])  # fmt: skip
    assert result.exit_code == 1
    assert "\u202e" not in result.output and "\\\\u202e" in result.output
    assert "\u202e" not in out.read_text(encoding="utf-8")
    bell = write_csv(frame, tmp_path / "a\x07b.csv")
    assert api.validate_file(bell, "sipas-gen2", PERIOD_2024).file == "a\\u0007b.csv"


# -- Kobo exports with labels, ODK Central zips with repeat groups -----------------------------
def test_kobo_export_with_label_headers_and_multiple_answers_as_labels(
    db: Database, tmp_path: Path
) -> None:
    from ingest_fixtures import gen2

    framework = gen2()
    frame = responses(5).astype(object)  # 10 rows
    n = len(frame)
    items = framework.satisfaction.items[:3]
    multiple = next(q for q in framework.questions if q.type == "multiple")
    options = {str(o.code): o.label.vi for o in framework.options_of(multiple)}
    export = frame.copy()
    for code in list(frame[multiple.code].dropna().unique()):
        labels = "; ".join(options[c] for c in str(code).split(";"))
        export.loc[frame[multiple.code] == code, multiple.code] = labels
    export.loc[6, multiple.code] = "Mạng xã hội; Không có ai"  # not an option: row 8
    renamed = {i.code: f"phan_b/{i.text.vi}" for i in items}  # "group/label" as Kobo joins them
    export = export.rename(columns=renamed)
    path = tmp_path / "kobo-labels.csv"
    export.to_csv(path, sep=";", index=False)
    report = api.import_file(db, path, "sipas-gen2", "kobo-l", PERIOD_2024)
    _balanced(report, n)
    assert _where(report) == {(8, multiple.code, "ingest.bad_code")}
    warned = {p.code: p for p in report.problems if p.severity == "warning"}
    assert warned["ingest.label_headers"].values["count"] == 3
    assert warned["ingest.labels_as_codes"].field == multiple.code
    assert "ingest.missing_answer_column" not in {p.code for p in report.problems}
    with db.begin() as c:
        stored = load_responses(c, "kobo-l").set_index("respondent_key")
    keys = frame["respondent_key"].drop(index=6)
    for item in items:
        assert stored.loc[keys, item.code].tolist() == frame.drop(index=6)[item.code].tolist()
    expected = frame.drop(index=6)[multiple.code].tolist()
    assert [None if v is None or v != v else v for v in stored.loc[keys, multiple.code]] == [
        None if v is None or v != v else v for v in expected
    ]


def test_odk_central_zip_with_repeat_groups(db: Database, tmp_path: Path) -> None:
    import zipfile

    frame = responses(5).astype(object)  # 10 rows
    n = len(frame)
    keys = [f"uuid:0000-{i:04d}" for i in range(n)]
    main = frame.copy()
    main.insert(0, "SubmissionDate", "2024-08-05T03:12:45.000Z")
    main["KEY"] = keys
    main.loc[2, "Q9_01"] = 7  # row 4: not a scale code
    members = pd.DataFrame({"PARENT_KEY": [keys[0], keys[0], keys[1]], "name": ["An", "Bình", "Chi"],
                            "KEY": [f"{keys[0]}/members[1]", f"{keys[0]}/members[2]",
                                    f"{keys[1]}/members[1]"]})  # fmt: skip
    path = tmp_path / "sipas_gen2.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sipas_gen2.csv", main.to_csv(index=False))
        archive.writestr("sipas_gen2-members.csv", members.to_csv(index=False))
        archive.writestr("sipas_gen2-members-phones.csv", "PARENT_KEY,KEY,phone\n")
    report = api.import_file(db, path, "sipas-gen2", "odk-r", PERIOD_2024)
    _balanced(report, n)
    assert _where(report) == {(4, "Q9_01", "ingest.bad_code")}
    repeat = next(p for p in report.problems if p.code == "ingest.repeat_tables")
    assert repeat.values == {
        "tables": "sipas_gen2-members.csv (3), sipas_gen2-members-phones.csv (0)", "count": 2}  # fmt: skip
    with db.begin() as c:
        stored = load_responses(c, "odk-r")
    assert len(stored) == n - 1
    assert sorted(stored["respondent_key"]) == sorted(frame["respondent_key"].drop(index=2))
