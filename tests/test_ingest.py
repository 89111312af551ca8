"""Survey data in: reading, validation against the framework, reports, storage and re-import."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ingest_fixtures import PERIOD_2024, cp1258, gen2, responses, write_csv
from sipas.api import ingest as api
from sipas.errors import SipasError
from sipas.ingest.encoding import decode_bytes, legacy_encoding
from sipas.ingest.problems import Problem, problem_text
from sipas.store import ingest as ingest_store
from sipas.store import open_database
from sipas.store.surveys import get_survey, load_responses


def _codes(report: api.IngestReport) -> dict[int | None, set[str]]:
    out: dict[int | None, set[str]] = {}
    for problem in report.problems:
        out.setdefault(problem.row, set()).add(problem.code)
    return out


# -- encodings -------------------------------------------------------------------------------
HANOI = "Hà Nội, Việt Nam, Nguyễn Văn Đức"


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 with BOM"), ("utf-16", "UTF-16"),
     ("cp1258", "Windows-1258")],
)  # fmt: skip
def test_excel_encodings_give_the_same_nfc_text(encoding: str, expected: str) -> None:
    text = f"village\n{HANOI}\n"
    data = cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    decoded = decode_bytes(data, "f.csv")
    assert decoded.encoding == expected
    assert decoded.text.splitlines()[1] == HANOI  # NFC: composed, whatever the bytes were


def test_decomposed_text_is_normalised_to_nfc() -> None:
    import unicodedata

    data = unicodedata.normalize("NFD", HANOI).encode("utf-8")
    assert decode_bytes(data, "f.csv").text == HANOI


def test_tcvn3_text_is_detected_and_converted() -> None:
    # "Hà Nội", "Việt Nam", "Nguyễn", "Đức" as the TCVN3 (ABC) fonts store them.
    legacy = "Hµ Néi, ViÖt Nam, NguyÔn V¨n §øc"
    assert legacy_encoding(legacy) == "TCVN3"
    decoded = decode_bytes(legacy.encode("utf-8"), "f.csv")
    assert decoded.legacy == "TCVN3"
    assert decoded.text == HANOI
    eight_bit = decode_bytes(legacy.encode("latin-1"), "f.csv")  # saved by an 8-bit program
    assert (eight_bit.legacy, eight_bit.text) == ("TCVN3", HANOI)


def test_vni_text_is_detected_and_converted() -> None:
    legacy = "Haø Noäi, Vieät Nam, Nguyeãn Vaên Ñöùc"  # as the VNI fonts store them
    assert legacy_encoding(legacy) == "VNI"
    decoded = decode_bytes(legacy.encode("cp1252"), "f.csv")
    assert decoded.legacy == "VNI"
    assert decoded.text == HANOI


@pytest.mark.parametrize(
    ("vni", "unicode"),
    [("Tröôøng", "Trường"), ("Thaønh phoá Hoà Chí Minh", "Thành phố Hồ Chí Minh"),
     ("tænh Quaûng Nam", "tỉnh Quảng Nam"), ("Ñaék Laék", "Đắk Lắk"), ("HAØ NOÄI", "HÀ NỘI"),
     ("Caàn Thô", "Cần Thơ"), ("Thöøa Thieân Hueá", "Thừa Thiên Huế"), ("Löông Thò Hoa", "Lương Thị Hoa")],
)  # fmt: skip
def test_vni_letters_compose_with_their_marks(vni: str, unicode: str) -> None:
    from sipas.ingest.encoding import vni_to_unicode

    assert vni_to_unicode(vni) == unicode


def test_legacy_text_in_a_file_is_converted_and_reported(tmp_path: Path) -> None:
    frame = responses(codes=("01",)).head(3).astype(object)
    frame["Q11"] = ["Coâng chöùc taän tình", "Thuû tuïc nhanh", None]  # VNI
    path = tmp_path / "vni.csv"
    path.write_bytes(frame.to_csv(index=False).encode("cp1252"))
    report = api.validate_file(path, "sipas-gen2")
    assert report.accepted == 3
    assert "ingest.legacy_vni" in report.counts()
    db = _db(tmp_path)
    api.import_file(db, path, "sipas-gen2", "vni")
    with db.begin() as c:
        stored = load_responses(c, "vni")
    assert stored["Q11"].tolist()[:2] == ["Công chức tận tình", "Thủ tục nhanh"]
    assert pd.isna(stored["Q11"].tolist()[2])


def test_unicode_vietnamese_is_not_mistaken_for_legacy() -> None:
    assert legacy_encoding(HANOI * 3) is None
    assert legacy_encoding("plain ascii, 1;2;3") is None


def test_mixed_utf8_and_cp1258_lines_are_read_and_reported() -> None:
    data = b"a\n" + "Hà Nội\n".encode() + cp1258("Việt Nam\n")
    decoded = decode_bytes(data, "f.csv")
    assert decoded.text.splitlines() == ["a", "Hà Nội", "Việt Nam"]
    assert decoded.cp1258_lines == [3]


# -- validation --------------------------------------------------------------------------------
def test_generated_responses_are_valid(tmp_path: Path) -> None:
    frame = responses()
    report = api.validate_file(write_csv(frame, tmp_path / "r.csv"), "sipas-gen2", PERIOD_2024)
    assert (report.rows, report.accepted, report.quarantined) == (len(frame), len(frame), 0)
    assert report.valid
    assert [p.code for p in report.problems if p.severity == "error"] == []


def test_every_problem_is_named_by_row_field_and_code(tmp_path: Path) -> None:
    frame = responses().astype(object)
    frame.loc[0, "Q9_05"] = 7  # spreadsheet row 2: off the 1–5 scale
    frame.loc[1, "sex"] = None  # row 3: blank, but sex is not required → no problem
    frame.loc[2, "province"] = "99"  # row 4: no such province
    frame.loc[3, "interview_date"] = "2024-13-40"  # row 5: not a date
    frame.loc[4, "interview_date"] = "2024-12-01"  # row 6: after fieldwork
    frame.loc[5, "district"] = "001"  # row 7: allowed before 1/7/2025
    frame.loc[6, "Q2"] = "1;12"  # row 8: 12 is not an information channel
    frame.loc[7, "respondent_key"] = frame.loc[8, "respondent_key"]  # rows 9/10: same key
    frame.loc[10, "province"] = "96"  # row 12: Cà Mau's 63-era code, valid on the date → fine
    frame.loc[11, ["province", "province_code"]] = None  # row 13: required
    frame.loc[12, "weight"] = "-3"  # row 14: negative weight
    report = api.validate_file(write_csv(frame, tmp_path / "r.csv"), "sipas-gen2", PERIOD_2024)
    codes = _codes(report)
    assert codes[2] == {"ingest.bad_code"}
    assert 3 not in codes
    assert codes[4] == {"ingest.geo_unknown"}
    assert codes[5] == {"ingest.bad_date"}
    assert codes[6] == {"ingest.outside_period"}
    assert 7 not in codes
    assert codes[8] == {"ingest.bad_code"}
    assert codes[10] == {"ingest.duplicate_id"}  # the second use of the key is refused
    assert 9 not in codes
    assert 12 not in codes
    assert codes[13] == {"ingest.required"}
    assert codes[14] == {"ingest.bad_weight"}
    assert report.quarantined == 8
    assert report.accepted == len(frame) - 8
    assert not report.valid
    first = next(p for p in report.problems if p.row == 2)
    assert (first.field, first.severity) == ("Q9_05", "error")
    assert "'7'" in first.message and "1, 2, 3, 4, 5" in first.message
    assert first.hint


def test_geography_must_be_valid_on_the_interview_date(tmp_path: Path) -> None:
    frame = responses(codes=("01",)).astype(object)
    frame.loc[0, "interview_date"] = "2025-08-01"  # code 01 is valid in both geographies
    frame.loc[1, "province"] = "02"  # Hà Giang: a 63-era code only …
    frame.loc[1, "interview_date"] = "2025-08-01"  # … after 1/7/2025
    frame.loc[2, "district"] = "271"
    frame.loc[2, "interview_date"] = "2025-08-02"  # districts ended on 1/7/2025: skip logic
    report = api.validate_file(write_csv(frame, tmp_path / "g.csv"), "sipas-gen2")
    codes = _codes(report)
    assert 2 not in codes
    assert codes[3] == {"ingest.geo_merged"}  # Hà Giang merged into Tuyên Quang
    merged = next(p for p in report.problems if p.row == 3)
    assert merged.values["day"] == "2025-08-01" and merged.values["value"] == "02"
    assert merged.values["successor"].endswith("Tuyên Quang")
    assert "2025-08-01" in merged.message and "Tuyên Quang" in merged.message
    assert "01/08/2025" in merged.text("vi")[0] and "địa bàn này thuộc" in merged.text("vi")[0]
    assert codes[4] == {"ingest.not_applicable"}


def test_province_names_as_typed_are_accepted(tmp_path: Path) -> None:
    frame = responses(codes=("01",)).astype(object)
    frame.loc[0, "province"] = "TP. Hà Nội"
    frame.loc[1, "province"] = "Hà Nọi xyz"
    report = api.validate_file(write_csv(frame, tmp_path / "n.csv"), "sipas-gen2")
    codes = _codes(report)
    assert 2 not in codes
    assert codes[3] == {"ingest.geo_unknown"}


def test_same_respondent_typed_twice_under_two_keys_is_a_duplicate(tmp_path: Path) -> None:
    frame = responses(codes=("01",))
    copy = frame.iloc[[0]].assign(respondent_key="another-number")
    report = api.validate_file(
        write_csv(pd.concat([frame, copy], ignore_index=True), tmp_path / "d.csv"), "sipas-gen2"
    )
    last = len(frame) + 2
    assert _codes(report)[last] == {"ingest.duplicate_respondent"}
    assert "row 2" in next(p.message for p in report.problems if p.row == last)


def test_quality_flags_do_not_reject(tmp_path: Path) -> None:
    frame = responses(codes=("01",)).astype(object)
    items = gen2().item_codes()
    frame.loc[0, items] = 4  # straight-lined
    frame["start"] = "2024-08-03T09:00:00+07:00"
    frame["end"] = "2024-08-03T09:40:00+07:00"
    frame.loc[1, "end"] = "2024-08-03T09:02:00+07:00"  # two minutes for ~80 fields
    report = api.validate_file(write_csv(frame, tmp_path / "q.csv"), "sipas-gen2")
    assert report.quarantined == 0 and report.valid
    assert report.flagged == 2
    flags = {(p.row, p.code) for p in report.problems if p.severity == "flag"}
    assert flags == {(2, "quality.straight_lining"), (3, "quality.too_fast")}


def test_quality_flags_are_stored_with_their_values(tmp_path: Path) -> None:
    from sqlalchemy import select

    from sipas.store.schema import response_flags

    frame = responses(codes=("01",)).astype(object)
    frame.loc[0, gen2().item_codes()] = 4
    db = _db(tmp_path)
    report = api.import_file(db, write_csv(frame, tmp_path / "q.csv"), "sipas-gen2", "flags")
    assert report.flagged == 1
    with db.begin() as c:
        stored = [dict(r._mapping) for r in c.execute(select(response_flags))]
    assert [(r["code"], r["message_values"]) for r in stored] == [
        ("quality.straight_lining", {"count": len(gen2().item_codes()), "value": 4})
    ]
    flag = stored[0]
    assert problem_text(flag, "en") == flag["message"]
    assert problem_text(flag, "vi").startswith(f"Cả {len(gen2().item_codes())} câu trả lời")
    assert problem_text(flag, "vi").endswith("đều là 4")


def test_every_problem_renders_its_declaration_in_both_languages(tmp_path: Path) -> None:
    frame = responses(codes=("01",)).astype(object)
    frame.loc[0, "Q9_01"] = "7"
    frame.loc[1, "interview_date"] = "31/02/2024"
    frame.loc[2, "province"] = "Atlantis"
    frame.loc[3, "weight"] = "-2"
    frame.loc[4, "respondent_key"] = frame.loc[5, "respondent_key"]
    frame.loc[6, "interview_date"] = None
    frame["extra"] = "x"
    report = api.validate_file(write_csv(frame, tmp_path / "p.csv"), "sipas-gen2", PERIOD_2024)
    codes = {p.code for p in report.problems}
    assert {"ingest.bad_code", "ingest.bad_date", "ingest.geo_unknown", "ingest.bad_weight",
            "ingest.duplicate_id", "ingest.required", "ingest.unknown_column"} <= codes  # fmt: skip
    for problem in report.problems:
        for lang in ("vi", "en"):
            message, hint = problem.text(lang)
            assert message and hint and "‹" not in message + hint, (problem, lang)
            assert problem.to_dict(lang)["message"] == message
        json.dumps(problem.to_dict())  # values are plain: they are stored as JSON
    by_code = {p.code: p for p in report.problems}
    assert (
        by_code["ingest.required"].text("vi")[0] == "Chưa điền ngày phỏng vấn (thông tin bắt buộc)"
    )
    assert by_code["ingest.required"].message == "the interview date is required and blank"
    assert by_code["ingest.bad_date"].text("vi")[0] == (
        "'31/02/2024' không phải là một ngày (ngày phỏng vấn)"
    )
    assert by_code["ingest.unknown_column"].values == {"count": 1, "framework": "sipas-gen2"}


def test_a_problem_stored_before_problems_had_values_shows_its_message() -> None:
    old = {"field": "weight", "code": "ingest.bad_weight",
           "message": "weight '-1' is not a positive number", "hint": "weights are positive"}  # fmt: skip
    assert problem_text(old, "vi") == "weight '-1' is not a positive number"
    assert problem_text(old, "vi", short=True) == "Quyền số phải là số dương"
    new = Problem("f.csv", 3, "weight", "ingest.bad_weight", {"value": "-1"}).reason()
    assert problem_text(new, "vi") == "Quyền số '-1' không phải là số dương"
    assert problem_text(new, "en") == new["message"] == "weight '-1' is not a positive number"
    assert problem_text({"code": "gone.code", "message": "as stored"}, "vi") == "as stored"


def test_missing_required_column_quarantines_every_row(tmp_path: Path) -> None:
    frame = responses(codes=("01",)).drop(columns=["province", "province_code"])
    report = api.validate_file(write_csv(frame, tmp_path / "m.csv"), "sipas-gen2")
    assert report.quarantined == len(frame) and report.accepted == 0
    assert any(p.code == "ingest.missing_column" and p.row is None for p in report.problems)


def test_report_as_json_and_table(tmp_path: Path) -> None:
    frame = responses(codes=("01",)).astype(object)
    frame.loc[0, "Q9_01"] = '=HYPERLINK("http://x","click")'
    report = api.validate_file(write_csv(frame, tmp_path / "j.csv"), "sipas-gen2")
    data = json.loads(report.to_json())
    assert data["rows"] == len(frame) and data["quarantined"] == 1
    assert data["problems"] == {"ingest.bad_code": 1}
    detail = data["details"][0]
    assert {k: detail[k] for k in ("row", "field", "code")} == {
        "row": 2, "field": "Q9_01", "code": "ingest.bad_code"
    }  # fmt: skip
    assert report.table_rows()[0]["row"] == 2


# -- storage -----------------------------------------------------------------------------------
def _db(tmp_path: Path, url: str | None = None):  # type: ignore[no-untyped-def]
    return open_database(url or f"sqlite:///{tmp_path / 'i.db'}")


def _import_twice_and_correct(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frame = responses().astype(object)
    frame.loc[3, "Q9_02"] = 9
    frame.loc[5, "province"] = "99"
    bad = write_csv(frame, tmp_path / "bad.csv")
    first = api.import_file(db, bad, "sipas-gen2", "field-2024", PERIOD_2024)
    assert (first.accepted, first.quarantined, first.inserted) == (
        len(frame) - 2,
        2,
        len(frame) - 2,
    )
    again = api.import_file(db, bad, "sipas-gen2", "field-2024", PERIOD_2024)
    assert (again.inserted, again.unchanged, again.quarantined) == (0, len(frame) - 2, 2)
    with db.begin() as c:
        survey_id = get_survey(c, "field-2024")["id"]
        counts = ingest_store.counts(c, survey_id)
        assert counts["responses"] == len(frame) - 2
        assert counts["quarantined_open"] == 2
        stored = ingest_store.quarantined(c, survey_id)
        assert [r["file_row"] for r in stored] == [5, 7]
        assert stored[0]["reasons"][0]["code"] == "ingest.bad_code"
        reason = stored[0]["reasons"][0]  # stored with its values: renders in either language
        assert reason["values"] == {
            "field": "Q9_02",
            "value": "9",
            "choices": ["1", "2", "3", "4", "5"],
        }
        assert problem_text(reason, "vi") == (
            "Q9_02 = 9 không phải là một trong các mã trả lời 1, 2, 3, 4, 5"
        )
        assert stored[0]["data"]["Q9_02"] == "9"
    frame.loc[3, "Q9_02"] = 2
    frame.loc[5, "province"] = "79" if frame.loc[5, "province_code"] == "79" else "01"
    fixed = api.import_file(db, write_csv(frame, tmp_path / "fixed.csv"), "sipas-gen2",
                            "field-2024", PERIOD_2024)  # fmt: skip
    assert (fixed.inserted, fixed.unchanged, fixed.quarantined) == (2, len(frame) - 2, 0)
    with db.begin() as c:
        counts = ingest_store.counts(c, survey_id)
        assert counts["responses"] == len(frame)
        assert (counts["quarantined_open"], counts["quarantined_resolved"]) == (0, 2)
        assert counts["batches"] == 3
        loaded = load_responses(c, "field-2024").set_index("respondent_key")
    assert loaded.loc[frame.loc[3, "respondent_key"], "Q9_02"] == 2


def test_corrected_file_reimports_quarantined_rows_only(tmp_path: Path) -> None:
    _import_twice_and_correct(_db(tmp_path), tmp_path)


@pytest.mark.postgres
def test_corrected_file_reimports_quarantined_rows_only_on_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    db = _db(tmp_path, postgres_url)
    assert db.dialect == "postgresql"
    _import_twice_and_correct(db, tmp_path)


def test_changed_answers_under_a_stored_key_are_quarantined_not_overwritten(tmp_path: Path) -> None:
    db = _db(tmp_path)
    frame = responses(codes=("01",))
    api.import_file(db, write_csv(frame, tmp_path / "a.csv"), "sipas-gen2", "s")
    changed = frame.copy()
    changed.loc[0, "Q9_01"] = 1 if frame.loc[0, "Q9_01"] != 1 else 2
    report = api.import_file(db, write_csv(changed, tmp_path / "b.csv"), "sipas-gen2", "s")
    assert (report.quarantined, report.unchanged, report.inserted) == (1, len(frame) - 1, 0)
    assert _codes(report)[2] == {"ingest.conflict"}
    with db.begin() as c:
        loaded = load_responses(c, "s").set_index("respondent_key")
    assert loaded.loc[frame.loc[0, "respondent_key"], "Q9_01"] == frame.loc[0, "Q9_01"]


def test_imported_file_stores_what_the_demo_stores(tmp_path: Path) -> None:
    """The same responses, imported from a CSV or from the frame, load back identically."""
    db = _db(tmp_path)
    frame = responses()
    from_frame = api.import_frame(db, frame, "sipas-gen2", _survey(db, "frame"), "demo")
    assert (from_frame.accepted, from_frame.quarantined) == (len(frame), 0)
    api.import_file(db, write_csv(frame, tmp_path / "r.csv"), "sipas-gen2", "file")
    with db.begin() as c:
        a = load_responses(c, "frame")
        b = load_responses(c, "file")
    pd.testing.assert_frame_equal(a, b)
    assert a["weight"].tolist() == frame["weight"].tolist()  # exact, not rounded
    assert (
        a["Q9_01"].tolist()
        == frame["Q9_01"].astype(object).where(frame["Q9_01"].notna(), None).tolist()
    )


def _survey(db, code: str) -> str:  # type: ignore[no-untyped-def]
    from sipas.store.surveys import create_survey

    with db.begin() as c:
        create_survey(c, code=code, framework_id="sipas-gen2", framework_version="2024", year=2024,
                      geography="63", reference_date=date(2024, 8, 1), synthetic=True)  # fmt: skip
    return code


def test_wrong_framework_for_an_existing_survey_is_refused(tmp_path: Path) -> None:
    db = _db(tmp_path)
    path = write_csv(responses(codes=("01",)), tmp_path / "r.csv")
    api.import_file(db, path, "sipas-gen2", "s")
    with pytest.raises(SipasError) as caught:
        api.import_file(db, path, "sipas-gen1", "s")
    assert caught.value.code == "ingest.wrong_framework"


# -- double entry ------------------------------------------------------------------------------
def test_double_entry_lists_every_disagreement(tmp_path: Path) -> None:
    first = responses(codes=("01",))
    second = first.copy().astype(object)
    second.loc[2, "Q9_07"] = 1 if first.loc[2, "Q9_07"] != 1 else 2
    second.loc[4, "sex"] = 3 - int(first.loc[4, "sex"])
    second = second.drop(index=6)
    result = api.double_entry(
        write_csv(first, tmp_path / "clerk_a.csv"),
        write_csv(second, tmp_path / "clerk_b.csv"),
        "sipas-gen2",
    )
    assert result["disagreements"] == 2
    assert [(d["row_a"], d["field"]) for d in result["details"]] == [(4, "Q9_07"), (6, "sex")]
    assert result["only_in_a"] == [first.loc[6, "respondent_key"]]
    assert result["forms_compared"] == len(first) - 1


@pytest.mark.parametrize("year", [2024, 2025])
def test_demo_data_through_import_frame_is_stored_as_add_responses_stores_it(
    tmp_path: Path, year: int
) -> None:
    """What `sipas demo` generates passes validation whole and is stored exactly as before."""
    from sipas.store.surveys import DESIGN_COLUMNS, add_responses
    from sipas.synthetic import SyntheticDesign, fieldwork_window, survey_provinces
    from sipas.synthetic.survey import synthetic_province_survey

    framework = gen2()
    chosen = survey_provinces(year)[:2]
    design = SyntheticDesign(respondents_per_province=60)
    frame = pd.concat(
        [synthetic_province_survey(framework, p, year, design, 20241) for p in chosen],
        ignore_index=True,
    )
    db = _db(tmp_path)
    profile = [q.code for q in framework.profile if q.code not in DESIGN_COLUMNS]
    answers = framework.question_columns() + framework.item_codes()
    _survey(db, "old")
    _survey(db, "new")
    with db.begin() as connection:
        add_responses(connection, get_survey(connection, "old")["id"], frame, profile, answers)
        report = api.import_frame(db, frame, framework, "new", source="sipas demo",
                                  period=fieldwork_window(year), connection=connection)  # fmt: skip
    assert (report.rows, report.accepted, report.quarantined) == (len(frame), len(frame), 0)
    assert [p.code for p in report.problems if p.severity != "flag"] == []
    with db.begin() as connection:
        pd.testing.assert_frame_equal(
            load_responses(connection, "old"), load_responses(connection, "new")
        )


def test_cli_json_is_what_the_api_returns(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frame = responses(codes=("01",)).astype(object)
    frame.loc[0, "Q9_01"] = 8
    path = write_csv(frame, tmp_path / "p.csv")
    result = run_cli("validate", str(path), "--framework", "sipas-gen2", "--format", "json",
                     "--period", "2024-08-01:2024-10-15")  # fmt: skip
    assert result.exit_code == 1
    expected = api.validate_file(path, "sipas-gen2", PERIOD_2024).to_dict()
    assert json.loads(result.output) == json.loads(json.dumps(expected, default=str))
    imported = run_cli("import", str(path), "--framework", "sipas-gen2", "--survey", "p",
                       "--format", "json")  # fmt: skip
    assert imported.exit_code == 0
    data = json.loads(imported.output)
    assert (data["inserted"], data["quarantined"], data["unchanged"]) == (len(frame) - 1, 1, 0)
    table = run_cli("import", str(path), "--framework", "sipas-gen2", "--survey", "p", "--quiet")
    assert "ingest.bad_code" in table.output and "unchanged" in table.output
    bad_period = run_cli("validate", str(path), "--framework", "sipas-gen2", "--period", "soon")
    assert bad_period.exit_code == 1 and "ingest.bad_period" in bad_period.output


def test_cli_table_speaks_the_users_language(run_cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "400")  # one line per problem
    frame = responses(codes=("01",)).astype(object)
    frame.loc[0, "Q9_01"] = 8
    path = write_csv(frame, tmp_path / "p.csv")
    vi = run_cli("--lang", "vi", "validate", str(path), "--framework", "sipas-gen2", "--quiet")
    assert "Q9_01 = 8 không phải là một trong các mã trả lời 1, 2, 3, 4, 5" in vi.output
    en = run_cli("--lang", "en", "validate", str(path), "--framework", "sipas-gen2", "--quiet")
    assert "Q9_01 = '8' is not one of the answer codes 1, 2, 3, 4, 5" in en.output
