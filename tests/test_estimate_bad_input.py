"""Bad survey files meet one clean error: exit code 1, a line naming the column and the rows, a hint.

Row numbers are the ones a spreadsheet shows: the header is row 1, the first respondent row 2.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sipas.errors import SipasError
from sipas.frameworks import load_builtin, require_survey
from sipas.survey import DesignColumns, EstimationOptions, LonelyPsu, ReplicateOptions, estimate
from sipas.synthetic import synthetic_survey

FRAMEWORK = require_survey(load_builtin("sipas-gen2"))
PROVINCES = ["01", "02", "04", "79"]
DESIGN = ("--weight", "weight", "--psu", "village", "--strata", "stratum")
FAST = ("--replicates", "50", "--quiet")
_ERROR_LINE = re.compile(r"^error: .+ \[(?P<code>[a-z_]+\.[A-Za-z_0-9]+)\]$")


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the English line (the Vietnamese one is checked once, at the end)."""
    monkeypatch.setenv("SIPAS_LANG", "en")


@pytest.fixture(scope="module")
def typed_frame() -> pd.DataFrame:
    """The synthetic survey as the generator makes it (numbers typed as numbers)."""
    return synthetic_survey(FRAMEWORK, 2024, provinces=PROVINCES)


@pytest.fixture(scope="module")
def base_csv(tmp_path_factory: pytest.TempPathFactory, typed_frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("responses") / "r.csv"
    typed_frame.to_csv(path, index=False)
    return path


@pytest.fixture
def frame(base_csv: Path) -> pd.DataFrame:
    """A fresh copy of the file's cells as text, ready to be spoilt by a test."""
    return pd.read_csv(base_csv, dtype=str, keep_default_na=False, na_values=[""])


def _write(frame: pd.DataFrame, name: str = "edited.csv") -> Path:
    path = Path.cwd() / name  # the autouse fixture runs every test in its own folder
    frame.to_csv(path, index=False)
    return path


def _estimate(run_cli: Any, path: Path | str, *args: str, design: tuple[str, ...] = DESIGN) -> Any:
    return run_cli("estimate", str(path), *design, *FAST, *args)


def _assert_user_error(result: Any, code: str | None, *mentions: str) -> str:
    """Exit 1, one error line with the code, one hint line, no traceback; returns the error line."""
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr, result.stderr
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines: list[str] = result.stderr.rstrip("\n").splitlines()
    assert len(lines) == 2, lines
    match = _ERROR_LINE.match(lines[0])
    assert match, lines[0]
    if code is not None:
        assert match["code"] == code, lines[0]
    assert lines[1].startswith("  hint: ") and len(lines[1]) > len("  hint: "), lines[1]
    for mention in mentions:
        assert mention in lines[0], (mention, lines[0])
    return lines[0]


def _json_ok(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    view: dict[str, Any] = json.loads(result.stdout)
    return view


# --- design columns --------------------------------------------------------------------------


def test_misspelt_weight_column(run_cli: Any, base_csv: Path) -> None:
    result = run_cli("estimate", str(base_csv), "--weight", "wieght", "--psu", "village", *FAST)
    line = _assert_user_error(result, "survey.missing_design_column", "--weight 'wieght'")
    assert "did you mean" not in line
    assert "weight" in result.stderr.splitlines()[1]  # the hint lists the file's columns


def test_weight_column_in_other_case_is_suggested(run_cli: Any, frame: pd.DataFrame) -> None:
    path = _write(frame.rename(columns={"weight": "Weight"}))
    result = _estimate(run_cli, path)
    _assert_user_error(result, "survey.missing_design_column", "'weight'", "did you mean 'Weight'?")


def test_misspelt_psu_and_strata_are_both_named(run_cli: Any, base_csv: Path) -> None:
    result = run_cli(
        "estimate",
        str(base_csv),
        "--weight",
        "weight",
        "--psu",
        "vilage",
        "--strata",
        "strat",
        *FAST,
    )
    _assert_user_error(result, "survey.missing_design_column", "--psu 'vilage'", "--strata 'strat'")


def test_blank_weights_name_their_rows(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[[3, 10], "weight"] = None
    result = _estimate(run_cli, _write(frame))
    _assert_user_error(result, "survey.blank_weight", "'weight'", "rows 5, 12", "(2 rows)")


def test_many_blank_weights_show_ten_rows_and_the_count(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[0:11, "weight"] = None
    result = _estimate(run_cli, _write(frame))
    _assert_user_error(
        result, "survey.blank_weight", "rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11", "(12 rows)"
    )


def test_zero_and_negative_weights(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[5, "weight"] = "0"
    frame.loc[8, "weight"] = "-2.5"
    result = _estimate(run_cli, _write(frame))
    _assert_user_error(result, "survey.nonpositive_weight", "'weight'", "rows 7, 10")


def test_infinite_weight(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[0, "weight"] = "inf"
    result = _estimate(run_cli, _write(frame))
    _assert_user_error(result, "survey.nonpositive_weight", "rows 2")


def test_text_weight(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[4, "weight"] = "abc"
    result = _estimate(run_cli, _write(frame))
    _assert_user_error(result, "survey.bad_weight", "'weight'", "rows 6")


def test_blank_psu(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[9, "village"] = None
    result = _estimate(run_cli, _write(frame))
    _assert_user_error(result, "survey.blank_psu", "'village'", "rows 11")


def test_blank_stratum(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[[11, 12], "stratum"] = None
    result = _estimate(run_cli, _write(frame))
    _assert_user_error(result, "survey.blank_stratum", "'stratum'", "rows 13, 14")


def test_fpc_smaller_than_the_sample(run_cli: Any, frame: pd.DataFrame) -> None:
    frame["fpc"] = "10"  # 18 villages were sampled in every stratum
    result = _estimate(run_cli, _write(frame), "--fpc", "fpc")
    _assert_user_error(result, "survey.fpc_below_sample", "'fpc'", "stratum '01'")


def _one_psu_in_stratum_02(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame["stratum"] == "02", "village"] = "02-ALL"
    return frame


def test_lonely_psu_is_refused_by_default(run_cli: Any, frame: pd.DataFrame) -> None:
    result = _estimate(run_cli, _write(_one_psu_in_stratum_02(frame)))
    _assert_user_error(result, "survey.lonely_psu", "1 stratum with a single PSU", ": 02")
    assert "--lonely-psu" in result.stderr.splitlines()[1]


@pytest.mark.parametrize("rule", ["remove", "certainty", "adjust", "average"])
def test_lonely_psu_rule_lets_the_estimate_run(
    run_cli: Any, frame: pd.DataFrame, rule: str
) -> None:
    path = _write(_one_psu_in_stratum_02(frame))
    view = _json_ok(_estimate(run_cli, path, "--lonely-psu", rule, "--format", "json"))
    assert view["method"]["lonely_psu"] == rule
    hanoi = [r for r in view["rows"] if r["cell"] == "01" and r["level"] == "index"]
    assert hanoi and hanoi[0]["se"] > 0


def test_jk1_on_a_stratified_design(run_cli: Any, base_csv: Path) -> None:
    result = _estimate(run_cli, base_csv, "--method", "jk1")
    _assert_user_error(result, "survey.jk1_stratified")
    assert "jkn" in result.stderr


# --- answers ---------------------------------------------------------------------------------


def test_answer_off_the_scale(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[6, "Q9_05"] = "7"
    result = _estimate(run_cli, _write(frame))
    _assert_user_error(result, "survey.answer_off_scale", "row 8 Q9_05=7", "1–5")


def test_half_point_answer_is_off_the_scale(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[3, "Q9_02"] = "4.5"
    result = _estimate(run_cli, _write(frame))
    _assert_user_error(result, "survey.answer_not_whole", "Q9_02", "rows 5", "4.5")


def test_text_answer(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[7, "Q9_05"] = "x"
    result = _estimate(run_cli, _write(frame))
    _assert_user_error(result, "survey.bad_answer", "'Q9_05'", "rows 9", "'x'")


def test_answers_and_weights_with_surrounding_spaces_are_read(
    run_cli: Any, frame: pd.DataFrame
) -> None:
    frame.loc[3, "weight"] = f" {frame.loc[3, 'weight']} "
    frame.loc[4, "Q9_03"] = " 4 "
    _json_ok(_estimate(run_cli, _write(frame), "--format", "json"))


def test_missing_item_column(run_cli: Any, frame: pd.DataFrame) -> None:
    result = _estimate(run_cli, _write(frame.drop(columns=["Q9_33"])))
    _assert_user_error(result, "survey.missing_items", "Q9_33", "1 of the framework's 33")


# --- units and domains -----------------------------------------------------------------------


def test_unknown_unit_column(run_cli: Any, base_csv: Path) -> None:
    result = _estimate(run_cli, base_csv, "--unit", "nope")
    _assert_user_error(result, "survey.missing_column", "nope (--")


def test_unknown_domain_column(run_cli: Any, base_csv: Path) -> None:
    result = _estimate(run_cli, base_csv, "--by", "sex,nope")
    _assert_user_error(result, "survey.missing_column", "nope (--")


def test_unit_column_blank_everywhere(run_cli: Any, base_csv: Path) -> None:
    result = _estimate(run_cli, base_csv, "--unit", "district")  # the synthetic data leave it empty
    _assert_user_error(result, "survey.no_units", "'district'")


def test_rare_and_absent_domain_categories_are_fine(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[frame.index[:3], "sex"] = "3"  # three respondents in a category of their own
    frame.loc[frame["sex"] == "2", "urban_rural"] = "1"  # no urban_rural=2 among sex=2
    path = _write(frame)
    view = _json_ok(
        _estimate(run_cli, path, "--by", "sex", "--by", "sex,urban_rural", "--format", "json")
    )
    rare = [r for r in view["rows"] if r["partition"] == "sex" and r["cell"] == "3"]
    assert rare and all(r["n"] <= 3 and r["unstable"] for r in rare)
    crossed = {r["cell"] for r in view["rows"] if r["partition"] == "sex × urban_rural"}
    assert "2 × 2" not in crossed
    assert {"1 × 1", "1 × 2", "2 × 1"} <= crossed


def test_some_blank_domain_values_are_left_out(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[frame.index[:5], "sex"] = None
    view = _json_ok(_estimate(run_cli, _write(frame), "--by", "sex", "--format", "json"))
    assert {r["cell"] for r in view["rows"] if r["partition"] == "sex"} == {"1", "2"}


def test_some_respondents_without_a_unit_give_a_warning(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[[5, 700], "province"] = None
    view = _json_ok(_estimate(run_cli, _write(frame), "--format", "json"))
    assert any("2 respondents have no 'province'" in w for w in view["warnings"])


def test_domain_blank_in_a_whole_stratum_is_left_out(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[frame["stratum"] == "04", "sex"] = None
    view = _json_ok(_estimate(run_cli, _write(frame), "--by", "sex", "--format", "json"))
    assert {r["cell"] for r in view["rows"] if r["partition"] == "sex"} == {"1", "2"}


def test_unit_blank_in_a_whole_stratum_gives_a_warning(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[frame["stratum"] == "04", "province"] = None
    blank = int((frame["stratum"] == "04").sum())
    view = _json_ok(_estimate(run_cli, _write(frame), "--format", "json"))
    assert any(f"{blank} respondents have no 'province'" in w for w in view["warnings"])
    assert {r["cell"] for r in view["rows"] if r["partition"] == "province"} == {"01", "02", "79"}


def test_domain_blank_everywhere_is_not_an_internal_error(run_cli: Any, base_csv: Path) -> None:
    result = _estimate(run_cli, base_csv, "--by", "district", "--format", "json")
    assert "internal error" not in result.output
    assert result.exit_code in (0, 1), result.output


def test_item_without_answers_in_a_province_is_a_warning(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[frame["province"] == "04", "Q9_01"] = None
    view = _json_ok(_estimate(run_cli, _write(frame), "--format", "json"))
    assert len(view["warnings"]) == 1
    assert "04 Q9_01" in view["warnings"][0]
    cell = [r for r in view["rows"] if r["cell"] == "04" and r["indicator"] == "Q9_01"]
    assert cell[0]["estimate"] is None and cell[0]["n"] == 0 and cell[0]["unstable"] is True
    # The component still has an estimate from the province's other items.
    index = [r for r in view["rows"] if r["cell"] == "04" and r["level"] == "index"]
    assert index[0]["estimate"] is not None


def _no_answers_in_province_04(frame: pd.DataFrame) -> Path:
    frame.loc[frame["province"] == "04", FRAMEWORK.item_codes()] = None
    return _write(frame)


@pytest.mark.filterwarnings("ignore:All-NaN slice encountered:RuntimeWarning")
def test_province_without_any_answers_is_a_warning(run_cli: Any, frame: pd.DataFrame) -> None:
    view = _json_ok(_estimate(run_cli, _no_answers_in_province_04(frame), "--format", "json"))
    assert any("33 unit × item cells have no valid answers" in w for w in view["warnings"])
    index = {r["cell"]: r for r in view["rows"] if r["level"] == "index"}
    assert index["04"]["estimate"] is None and index["04"]["rank"] is None
    assert sorted(index[c]["rank"] for c in ("01", "02", "79")) == [1, 2, 3]


def test_province_without_any_answers_prints_no_numpy_warnings(
    run_cli: Any, frame: pd.DataFrame
) -> None:
    path = _no_answers_in_province_04(frame)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _estimate(run_cli, path, "--format", "json")
    assert result.exit_code == 0, result.output
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []


# --- files and inputs ------------------------------------------------------------------------


def test_file_not_found(run_cli: Any) -> None:
    result = _estimate(run_cli, "nosuch.csv")
    _assert_user_error(result, "estimate.no_file", "nosuch.csv")


def test_unsupported_file_type(run_cli: Any) -> None:
    Path("responses.json").write_text('{"weight": [1, 2]}', encoding="utf-8")
    result = _estimate(run_cli, "responses.json")
    _assert_user_error(result, "estimate.file_type", "responses.json", ".json")


def test_header_only_file(run_cli: Any, frame: pd.DataFrame) -> None:
    result = _estimate(run_cli, _write(frame.head(0)))
    _assert_user_error(result, "survey.empty")


def test_zero_byte_file(run_cli: Any) -> None:
    Path("empty.csv").write_bytes(b"")
    result = _estimate(run_cli, "empty.csv")
    _assert_user_error(result, "estimate.unreadable", "empty.csv")


def test_file_not_in_utf8(run_cli: Any) -> None:
    Path("latin.csv").write_bytes("weight,province\n1,Hà\n".encode("latin-1"))
    result = _estimate(run_cli, "latin.csv")
    _assert_user_error(result, "estimate.unreadable", "latin.csv")


def test_garbage_excel_file(run_cli: Any) -> None:
    Path("garbage.xlsx").write_text("not a workbook", encoding="utf-8")
    result = _estimate(run_cli, "garbage.xlsx")
    _assert_user_error(result, "estimate.unreadable", "garbage.xlsx")


def test_unreadable_parquet_file(run_cli: Any) -> None:
    Path("garbage.parquet").write_text("not parquet", encoding="utf-8")
    result = _estimate(run_cli, "garbage.parquet")
    _assert_user_error(result, None, "garbage.parquet")


def test_row_numbers_count_empty_lines(run_cli: Any, frame: pd.DataFrame) -> None:
    frame.loc[5, "weight"] = None  # line 7 of the file as written
    lines = frame.to_csv(index=False).splitlines()
    lines.insert(3, "")  # an empty line 4: the blank weight moves to line (and row) 8
    path = Path("gappy.csv")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _estimate(run_cli, path)
    _assert_user_error(result, "survey.blank_weight", "rows 8")


def test_neither_file_nor_survey(run_cli: Any) -> None:
    result = run_cli("estimate", *DESIGN, *FAST)
    _assert_user_error(result, "estimate.no_input")


def test_both_file_and_survey(run_cli: Any, base_csv: Path) -> None:
    result = _estimate(run_cli, base_csv, "--survey", "demo-sipas-2024")
    _assert_user_error(result, "estimate.no_input")


def test_file_without_weight_option(run_cli: Any, base_csv: Path) -> None:
    result = run_cli("estimate", str(base_csv), "--psu", "village", *FAST)
    _assert_user_error(result, "estimate.no_weight", "--weight")


def test_unknown_stored_survey(run_cli: Any) -> None:
    result = run_cli("estimate", "--survey", "nosuch", *FAST)
    _assert_user_error(result, "survey.unknown", "'nosuch'")


def test_diagnosis_for_an_absent_cell(run_cli: Any, base_csv: Path) -> None:
    result = _estimate(run_cli, base_csv, "--show", "diagnosis", "--cell", "99")
    _assert_user_error(result, "estimate.unknown_cell", "'99'")
    assert "01, 02, 04, 79" in result.stderr.splitlines()[1]


def test_ranks_on_an_unknown_indicator(run_cli: Any, base_csv: Path) -> None:
    result = _estimate(run_cli, base_csv, "--show", "ranks", "--indicator", "NOPE")
    _assert_user_error(result, None, "'NOPE'")


# --- the pure library raises SipasError itself ------------------------------------------------


def _library(frame: pd.DataFrame, columns: DesignColumns | None = None) -> None:
    options = EstimationOptions(replicates=ReplicateOptions(replicates=10))
    estimate(frame, FRAMEWORK, columns or DesignColumns("weight", "village", "stratum"), options)


def test_library_missing_column(typed_frame: pd.DataFrame) -> None:
    with pytest.raises(SipasError) as raised:
        _library(typed_frame, DesignColumns("wieght", "village", "stratum"))
    assert raised.value.code == "survey.missing_design_column"
    assert raised.value.values["missing"] == ["wieght"]


def test_library_blank_weight_in_a_float_column(typed_frame: pd.DataFrame) -> None:
    frame = typed_frame.copy()
    frame.loc[[0, 4], "weight"] = np.nan
    with pytest.raises(SipasError) as raised:
        _library(frame)
    assert raised.value.code == "survey.blank_weight"
    assert "rows 2, 6" in raised.value.message


def test_library_off_scale_answer_in_an_integer_column(typed_frame: pd.DataFrame) -> None:
    frame = typed_frame.copy()
    frame.loc[2, "Q9_05"] = 7
    with pytest.raises(SipasError) as raised:
        _library(frame)
    assert raised.value.code == "survey.answer_off_scale"
    assert "row 4 Q9_05=7" in raised.value.message


def test_library_lonely_psu(typed_frame: pd.DataFrame) -> None:
    frame = _one_psu_in_stratum_02(typed_frame.copy())
    with pytest.raises(SipasError) as raised:
        _library(frame)
    assert raised.value.code == "survey.lonely_psu"
    assert raised.value.values["strata"] == ["02"]
    options = EstimationOptions(
        replicates=ReplicateOptions(replicates=10), lonely_psu=LonelyPsu.REMOVE
    )
    result = estimate(frame, FRAMEWORK, DesignColumns("weight", "village", "stratum"), options)
    assert not result.table.empty


def test_library_missing_items(typed_frame: pd.DataFrame) -> None:
    with pytest.raises(SipasError) as raised:
        _library(typed_frame.drop(columns=["Q9_33"]))
    assert raised.value.code == "survey.missing_items"
    assert raised.value.values["missing"] == ["Q9_33"]


def test_the_error_line_is_vietnamese_by_default(
    run_cli: Any, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SIPAS_LANG")
    frame.loc[[3, 10], "weight"] = None
    result = _estimate(run_cli, _write(frame))
    lines = result.stderr.rstrip("\n").splitlines()
    assert result.exit_code == 1 and len(lines) == 2, result.stderr
    assert (
        lines[0] == "lỗi: Cột 'weight' bị bỏ trống ở các dòng 5, 12 (2 dòng) [survey.blank_weight]"
    )
    assert lines[1].startswith("  gợi ý: Mỗi người trả lời cần có quyền số")
