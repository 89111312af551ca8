"""The CLI as a user meets it: clean one-line errors, exit codes, --debug, output formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sipas.api import frameworks as frameworks_api
from sipas.api import geo as geo_api
from sipas.cli.output import escape_formula, to_csv


def _python_m(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sipas", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_python_m_sipas_shows_help(tmp_path: Path) -> None:
    result = _python_m("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("demo", "frameworks", "geo", "settings"):
        assert command in result.stdout


def test_user_error_is_one_clean_line_without_traceback(tmp_path: Path) -> None:
    result = _python_m("--lang", "en", "frameworks", "show", "sipas-gen9", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: no built-in framework or file called 'sipas-gen9'")
    assert "[framework.unknown]" in lines[0]
    assert lines[1].strip().startswith("hint:")
    # Vietnamese first: the same declaration, in the default language.
    result = _python_m("frameworks", "show", "sipas-gen9", cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("lỗi: ") and lines[0].endswith("[framework.unknown]")
    assert lines[1].strip().startswith("gợi ý:")


def test_unexpected_error_hides_traceback_unless_debug(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(frameworks_api, "list_frameworks", boom)
    plain = run_cli("frameworks", "list")
    assert plain.exit_code == 70
    assert "internal error: RuntimeError: disk on fire" in plain.output
    assert "Traceback" not in plain.output
    debug = run_cli("--debug", "frameworks", "list")
    assert debug.exit_code == 70
    assert "Traceback" in debug.output


def test_usage_error_exits_2(run_cli: Any) -> None:
    result = run_cli("geo", "list", "--on", "yesterday")
    assert result.exit_code == 2
    assert "is not a date" in result.output


def test_json_output_equals_the_api(run_cli: Any) -> None:
    result = run_cli("--lang", "en", "frameworks", "list", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads(
        json.dumps(frameworks_api.list_frameworks("en"), default=str)
    )


def test_geo_list_json_equals_the_api(run_cli: Any) -> None:
    from datetime import date

    result = run_cli("geo", "list", "--on", "01/07/2025", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert rows == geo_api.list_provinces(date(2025, 7, 1))
    assert len(rows) == 34


def test_geo_crosswalk_csv_has_63_rows(run_cli: Any) -> None:
    result = run_cli("geo", "crosswalk", "--format", "csv")
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) == 64  # header + 63


def test_geo_crosswalk_backwards_has_34_rows(run_cli: Any) -> None:
    result = run_cli("geo", "crosswalk", "--direction", "new-to-old", "--format", "json")
    rows = json.loads(result.output)
    assert len(rows) == 34
    assert sum(len(r["formed_from"].split("+")) for r in rows) == 63


def test_geo_match_refusal_is_clean(run_cli: Any) -> None:
    result = run_cli("geo", "match", "Bình", "--on", "2024-01-01")
    assert result.exit_code == 1
    assert "ambiguous" in result.output and "Traceback" not in result.output


def test_frameworks_show_par_tree_and_gaps(run_cli: Any) -> None:
    result = run_cli("frameworks", "show", "par-province-2024")
    assert result.exit_code == 0
    assert "PROVISIONAL" in result.output
    assert "not yet scorable" in result.output


def test_frameworks_validate_exit_code_follows_validity(run_cli: Any, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_bytes(frameworks_api.export_framework("sipas-gen2", "yaml"))
    assert run_cli("frameworks", "validate", str(good)).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text("utf-8").replace("Q9_33", "Q9_99", 1), "utf-8")
    result = run_cli("frameworks", "validate", str(bad), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    assert {p["rule"] for p in report["problems"]} >= {"survey.unknown_item"}


def test_frameworks_validate_missing_file(run_cli: Any) -> None:
    result = run_cli("frameworks", "validate", "nowhere.yaml")
    assert result.exit_code == 1
    assert "Không có tệp bộ tiêu chí nowhere.yaml [framework.file_missing]" in result.output


def test_export_yaml_reads_back(run_cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "g1.yaml"
    assert run_cli("frameworks", "export", "sipas-gen1", "-o", str(out)).exit_code == 0
    assert run_cli("frameworks", "show", str(out), "--format", "json").exit_code == 0


def test_export_xlsx_of_a_survey_framework_is_refused(run_cli: Any) -> None:
    result = run_cli("frameworks", "export", "sipas-gen2", "--format", "xlsx")
    assert result.exit_code == 1
    assert "[framework.wrong_kind]" in result.output
    assert "không phải bộ tiêu chí PAR INDEX" in result.output


def test_csv_output_escapes_spreadsheet_formulas() -> None:
    text = to_csv([{"name": '=HYPERLINK("http://x")', "n": -3, "s": "@SUM(A1)", "t": "-x"}])
    assert "'=HYPERLINK" in text and "'@SUM" in text and "'-x" in text
    assert ",-3," in text  # numbers are not touched
    assert escape_formula("Hà Nội") == "Hà Nội"
