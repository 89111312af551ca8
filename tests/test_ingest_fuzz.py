"""Malformed and hostile input never produces a traceback; every row is accounted for; what sipas
writes to CSV and XLSX never runs as a formula."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest_fixtures import cp1258, responses, write_csv
from sipas.api import ingest as api
from sipas.errors import SipasError
from sipas.store import ingest as ingest_store
from sipas.store import open_database
from sipas.store.surveys import get_survey

FORMULAS = ['=HYPERLINK("http://example.invalid","click")', "@SUM(A1:A9)", "+1+1", "-2+3", "=1+1"]
MUTATIONS = ("none", "bad_code", "blank_required", "bad_date", "bad_province", "formula",
             "duplicate_key", "late_district", "garbage", "blank_row")  # fmt: skip


def _mutated(choices: list[str]) -> pd.DataFrame:
    base = responses(rows_per_province=40, codes=("01",)).head(len(choices))
    frame = base.astype(object).reset_index(drop=True)
    for i, mutation in enumerate(choices):
        if mutation == "bad_code":
            frame.loc[i, "Q9_04"] = 6
        elif mutation == "blank_required":
            frame.loc[i, ["province", "province_code"]] = None
        elif mutation == "bad_date":
            frame.loc[i, "interview_date"] = "31/02/2024"
        elif mutation == "bad_province":
            frame.loc[i, "province"] = "Atlantis"
        elif mutation == "formula":
            frame.loc[i, "Q11"] = FORMULAS[i % len(FORMULAS)]
        elif mutation == "duplicate_key" and i > 0:
            frame.loc[i, "respondent_key"] = frame.loc[0, "respondent_key"]
        elif mutation == "late_district":
            frame.loc[i, ["district", "interview_date"]] = ["001", "2025-08-01"]
        elif mutation == "garbage":
            frame.loc[i, "sex"] = "\x07¤?\x1b"
        elif mutation == "blank_row":
            frame.loc[i, :] = None
    return frame


def _encoded(frame: pd.DataFrame, encoding: str, delimiter: str) -> bytes:
    text = frame.to_csv(index=False, sep=delimiter, lineterminator="\r\n")
    if encoding == "cp1258":
        return cp1258(text)
    return text.encode(encoding)


DB: dict[str, Any] = {}


def _database(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if "db" not in DB:
        DB["db"] = open_database(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'f.db'}")
    return DB["db"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    choices=st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_every_row_is_accepted_or_quarantined_and_reimport_is_idempotent(
    tmp_path_factory: pytest.TempPathFactory, choices: list[str], encoding: str, delimiter: str
) -> None:
    frame = _mutated(choices)
    path = tmp_path_factory.mktemp("in") / "data.csv"
    path.write_bytes(_encoded(frame, encoding, delimiter))
    rows = sum(1 for c in choices if c != "blank_row")  # empty lines are not rows
    db = _database(tmp_path_factory)
    code = f"fuzz-{uuid.uuid4().hex[:8]}"
    first = api.import_file(db, path, "sipas-gen2", code)
    assert first.rows == rows
    assert first.accepted + first.quarantined == rows
    assert first.inserted == first.accepted
    with db.begin() as c:
        survey_id = get_survey(c, code)["id"] if first.rows else None
        before = ingest_store.counts(c, survey_id) if survey_id else None
    second = api.import_file(db, path, "sipas-gen2", code)
    assert (second.accepted, second.quarantined, second.inserted) == (
        first.accepted, first.quarantined, 0
    )  # fmt: skip
    assert second.unchanged == first.accepted
    if survey_id:
        with db.begin() as c:
            after = ingest_store.counts(c, survey_id)
        assert before is not None
        assert {k: v for k, v in after.items() if k != "batches"} == {
            k: v for k, v in before.items() if k != "batches"
        }
        assert before["responses"] == first.accepted
        assert before["quarantined_open"] == first.quarantined


# -- malformed files through the CLI -----------------------------------------------------------
def _valid_csv() -> bytes:
    return responses(codes=("01",)).head(6).to_csv(index=False).encode()


def _check_clean(result: Any) -> None:
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(min_value=0, max_value=4000))
def test_truncated_files_are_reported_not_crashed(run_cli: Any, tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.csv"
    path.write_bytes(_valid_csv()[:cut])
    _check_clean(run_cli("validate", str(path), "--framework", "sipas-gen2", "--quiet"))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(min_size=0, max_size=3000),
    suffix=st.sampled_from([".csv", ".xlsx", ".zip", ".sav"]),
)
def test_binary_garbage_is_refused_cleanly(
    run_cli: Any, tmp_path: Path, data: bytes, suffix: str
) -> None:
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(data)
    result = run_cli("validate", str(path), "--framework", "sipas-gen2", "--quiet")
    _check_clean(result)


def test_wrong_delimiter_names_the_problem(run_cli: Any, tmp_path: Path) -> None:
    text = responses(codes=("01",)).head(3).to_csv(index=False, sep="#")
    path = tmp_path / "hash.csv"
    path.write_text(text, encoding="utf-8")
    result = run_cli(
        "validate", str(path), "--framework", "sipas-gen2", "--quiet", "--format", "json"
    )
    _check_clean(result)
    assert result.exit_code == 1
    assert "single column" in result.output and "ingest.missing_column" in result.output


def test_rows_with_extra_cells_are_kept_and_quarantined(run_cli: Any, tmp_path: Path) -> None:
    lines = _valid_csv().decode().splitlines()
    lines[2] += ",surplus,cells"
    path = tmp_path / "extra.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = api.validate_file(path, "sipas-gen2")
    assert report.rows == 6 and report.quarantined == 1
    bad = [p for p in report.problems if p.code == "ingest.bad_row_shape"]
    assert [(p.row, p.message) for p in bad] == [
        (
            3,
            f"the row has {lines[0].count(',') + 3} cells; the header has {lines[0].count(',') + 1}",
        )
    ]


def test_a_ten_megabyte_field_is_quarantined_without_flooding_the_report(
    run_cli: Any, tmp_path: Path
) -> None:
    frame = responses(codes=("01",)).head(4).astype(object)
    frame.loc[1, "Q11"] = "x" * 10_000_000
    path = write_csv(frame, tmp_path / "big.csv")
    result = run_cli(
        "validate", str(path), "--framework", "sipas-gen2", "--quiet", "--format", "json"
    )
    _check_clean(result)
    assert result.exit_code == 1
    assert len(result.output) < 20_000
    assert "ingest.too_long" in result.output and "10,000,000 characters" in result.output


def test_mixed_encodings_through_the_cli(run_cli: Any, tmp_path: Path) -> None:
    frame = responses(codes=("01",)).head(4).astype(object)
    frame["village"] = "Thôn Đông"
    text = frame.to_csv(index=False).splitlines(keepends=True)
    data = "".join(text[:3]).encode() + cp1258("".join(text[3:]))
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    result = run_cli(
        "validate", str(path), "--framework", "sipas-gen2", "--quiet", "--format", "json"
    )
    _check_clean(result)
    assert "ingest.mixed_encoding" in result.output
    report = api.validate_file(path, "sipas-gen2")
    assert report.accepted == 4


def test_empty_and_header_only_files(run_cli: Any, tmp_path: Path) -> None:
    for name, data in {"empty.csv": b"", "header.csv": _valid_csv().splitlines()[0] + b"\n",
                       "blank.csv": b"\n\n\n", "nul.csv": b"a\x00b\x00\n"}.items():  # fmt: skip
        path = tmp_path / name
        path.write_bytes(data)
        _check_clean(run_cli("validate", str(path), "--framework", "sipas-gen2", "--quiet"))
        _check_clean(
            run_cli("import", str(path), "--framework", "sipas-gen2", "--survey", "x", "--quiet")
        )


def test_validate_exit_code_follows_validity(run_cli: Any, tmp_path: Path) -> None:
    good = write_csv(responses(codes=("01",)).head(5), tmp_path / "good.csv")
    assert run_cli("validate", str(good), "--framework", "sipas-gen2", "--quiet").exit_code == 0
    frame = responses(codes=("01",)).head(5).astype(object)
    frame.loc[0, "Q9_01"] = 0
    bad = write_csv(frame, tmp_path / "bad.csv")
    result = run_cli("validate", str(bad), "--framework", "sipas-gen2", "--quiet")
    assert result.exit_code == 1
    assert "ingest.bad_code" in result.output and "Q9_01" in result.output


# -- formula escaping --------------------------------------------------------------------------
def _formula_like(value: object) -> bool:
    return isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r")


def test_reports_and_double_entry_files_escape_formulas(run_cli: Any, tmp_path: Path) -> None:
    first = responses(codes=("01",)).head(6)
    second = first.copy().astype(object)
    for i, formula in enumerate(FORMULAS):
        second.loc[i, "Q11"] = formula
    second.loc[5, "village"] = "@SUM(A1)"
    a = write_csv(first, tmp_path / "a.csv")
    b = write_csv(second, tmp_path / "b.csv")
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"disagreements{suffix}"
        result = run_cli(
            "double-entry",
            str(a),
            str(b),
            "--framework",
            "sipas-gen2",
            "--report",
            str(out),
            "--format",
            "json",
        )
        _check_clean(result)
        cells = _cells(out)
        assert any(str(c).startswith("'=HYPERLINK") for c in cells)
        assert "'@SUM(A1)" in cells
        assert not any(_formula_like(c) for c in cells)
    csv_out = run_cli(
        "double-entry", str(a), str(b), "--framework", "sipas-gen2", "--format", "csv"
    )
    rows = list(csv.reader(io.StringIO(csv_out.output)))
    assert not any(_formula_like(c) for row in rows for c in row)
    assert any(c.startswith("'=HYPERLINK") for row in rows for c in row)
    frame = second.copy()
    frame.loc[0, "Q9_01"] = '=HYPERLINK("x")'
    bad = write_csv(frame, tmp_path / "bad.csv")
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"problems{suffix}"
        _check_clean(
            run_cli(
                "validate", str(bad), "--framework", "sipas-gen2", "--report", str(out), "--quiet"
            )
        )
        assert not any(_formula_like(c) for c in _cells(out))


def test_xlsform_export_holds_no_formula(run_cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "form.xlsx"
    result = run_cli("xlsform", "sipas-gen2", "-o", str(out))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["survey", "choices", "settings"]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"


def test_quarantine_listing_as_csv_escapes_formulas(run_cli: Any, tmp_path: Path) -> None:
    frame = responses(codes=("01",)).head(3).astype(object)
    frame.loc[0, "respondent_key"] = '=HYPERLINK("http://example.invalid")'
    frame.loc[0, "Q9_01"] = 9
    path = write_csv(frame, tmp_path / "q.csv")
    assert (
        run_cli(
            "import", str(path), "--framework", "sipas-gen2", "--survey", "q", "--quiet"
        ).exit_code
        == 0
    )
    listing = run_cli("quarantine", "q", "--format", "csv")
    rows = list(csv.reader(io.StringIO(listing.output)))
    assert len(rows) == 2
    assert rows[1][1].startswith("'=HYPERLINK")


def _cells(path: Path) -> list[object]:
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path)
        cells = []
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", cell.value
                    cells.append(cell.value)
        return cells
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [c for row in csv.reader(handle) for c in row]


def test_zip_without_csv_and_corrupt_zip(run_cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "nothing")
    result = run_cli("validate", str(path), "--framework", "sipas-gen2")
    assert result.exit_code == 1 and "ingest.zip_no_csv" in result.output


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=5),
            st.sampled_from(["Q9_01", "sex", "province", "interview_date", "respondent_key",
                             "Q2", "Q11", "weight", "commune", "district", "Q1_3"]),
            st.one_of(st.text(max_size=30), st.sampled_from(FORMULAS), st.just("")),
        ),
        max_size=12,
    )
)  # fmt: skip
def test_arbitrary_cell_text_never_breaks_validation(tmp_path: Path, cells: list[Any]) -> None:
    frame = responses(codes=("01",)).head(6).astype(object)
    for row, column, value in cells:
        frame.loc[row, column] = value
    path = tmp_path / "cells.csv"
    text = frame.to_csv(index=False, quoting=csv.QUOTE_ALL)  # a bare "\r" would end the line
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    try:
        report = api.validate_file(path, "sipas-gen2")
    except SipasError as error:  # a whole-file refusal (e.g. NUL characters) is a clean answer
        assert error.code.startswith("ingest.")
        return
    assert report.accepted + report.quarantined == report.rows
    assert report.rows <= 6
    json.loads(report.to_json())
