"""`sipas dossiers …` and `sipas service-index …`: generate, check, compute, read results, and
append a day of dossiers recomputing only the period it falls in."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sipas.api import service_index as api
from sipas.errors import SipasError
from sipas.service_index import compute_index, connect, parse_period

QUARTER = ["2025-07", "2025-08", "2025-09"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dossiers") / "q3"
    api.generate_dossiers(
        root, dossiers=4_000, start=date(2025, 7, 1), end=date(2025, 9, 30), seed=3, communes=2
    )
    return root


def _copy(dataset: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(dataset, target, ignore=shutil.ignore_patterns("results"))
    return target


def test_generate_compute_and_results(run_cli: Any, dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = run_cli(
        "service-index",
        "compute",
        "--data",
        str(dataset),
        "--period",
        "2025-Q3",
        "--each",
        "month",
        "--procedures",
        "--out",
        str(out),
        "--format",
        "json",
    )
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["periods"] == QUARTER
    agencies = [r for r in result["agencies"] if r["period"] == "2025-08"]
    assert len(agencies) == 34
    assert sorted(r["rank"] for r in agencies)[0] == 1
    assert all(0 <= r["total"] <= 100 for r in agencies)
    assert all(r["change"] is not None for r in agencies)  # July was computed in the same run
    for key in QUARTER:
        meta = json.loads((out / "service-766" / key / "meta.json").read_text())
        assert meta["engine"] == "duckdb"
        assert meta["procedures"] is True  # the full drill-down was asked for
    # JSON of the CLI is what the api returns
    done = run_cli(
        "service-index",
        "results",
        "--data",
        str(dataset),
        "--out",
        str(out),
        "--period",
        "2025-08",
        "--unit",
        "01",
        "--format",
        "json",
    )
    rows = json.loads(done.output)
    assert rows == api.service_index_results(dataset, "2025-08", unit="01", out=out)
    assert [r["indicator"] for r in rows][:4] == ["T1", "T2", "T3", "T4"]
    assert len(rows) == 20  # service-766: one indicator for online services
    assert rows[0]["name"] == "Thủ tục được công bố đúng hạn"
    done = run_cli(
        "service-index",
        "results",
        "--data",
        str(dataset),
        "--out",
        str(out),
        "--period",
        "2025-08",
        "--level",
        "unit",
        "--agency",
        "01",
        "--format",
        "csv",
    )
    table = list(csv.DictReader(done.output.splitlines()))
    assert len(table) == 12 + 2 and {r["unit"][:3] for r in table} == {"01."}
    done = run_cli(
        "service-index",
        "results",
        "--data",
        str(dataset),
        "--out",
        str(out),
        "--period",
        "2025-08",
        "--unit",
        "01.SO01",
        "--by-procedure",
        "--format",
        "json",
    )
    drill = json.loads(done.output)
    assert {r["procedure"][:2] for r in drill} == {"1."}
    p1 = [r for r in drill if r["indicator"] == "P1"]
    stored = pd.read_parquet(out / "service-766" / "2025-08" / "indicators.parquet")
    unit = stored[(stored.unit_code == "01.SO01") & (stored.indicator == "P1")].iloc[0]
    assert sum(r["denominator"] for r in p1) == unit.denominator


def test_user_errors_are_one_line(run_cli: Any, dataset: Path, tmp_path: Path) -> None:
    done = run_cli("service-index", "compute", "--data", str(dataset), "--period", "2025-13")
    assert done.exit_code == 1 and "service_index.bad_period" in done.output
    done = run_cli(
        "service-index",
        "results",
        "--data",
        str(dataset),
        "--period",
        "2024-01",
        "--out",
        str(tmp_path / "none"),
    )
    assert done.exit_code == 1 and "service_index.no_results" in done.output
    done = run_cli("service-index", "compute", "--data", str(tmp_path), "--period", "2025-07")
    assert done.exit_code == 1 and "service_index.no_catalogue" in done.output
    assert "Traceback" not in done.output


def _day_file(dataset: Path, path: Path, bad: bool = True) -> None:
    listed = pq.read_table(dataset / "catalogue.parquet").to_pandas().iloc[0]
    rows = []
    for i in range(3):
        rows.append(
            {
                "dossier_id": f"NEW{i}",
                "procedure_code": listed.procedure_code,
                "agency_code": listed.agency_code,
                "unit_code": listed.unit_code,
                "channel": 2,
                "submitted_on": "2025-08-15",
                "received_on": "2025-08-15",
                "promised_on": "2025-08-20",
                "ended_on": "2025-08-18" if i else "",
                "status": 10 if i else 4,
                "synced": "true",
            }
        )
    if bad:
        rows.append({**rows[1], "dossier_id": "NEW9", "procedure_code": "9.999", "status": 42})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_validate_reports_each_bad_row(run_cli: Any, dataset: Path, tmp_path: Path) -> None:
    day = tmp_path / "day.csv"
    _day_file(dataset, day)
    report = tmp_path / "problems.csv"
    done = run_cli(
        "dossiers",
        "validate",
        str(day),
        "--data",
        str(dataset),
        "--report",
        str(report),
        "--format",
        "json",
    )
    assert done.exit_code == 1
    result = json.loads(done.output)
    assert (result["rows"], result["valid_rows"], result["rows_with_problems"]) == (4, 3, 1)
    with report.open(encoding="utf-8") as handle:
        problems = list(csv.DictReader(handle))
    assert {(p["row"], p["code"]) for p in problems} == {
        ("5", "dossier.unknown_procedure"),
        ("5", "dossier.bad_status"),
    }
    good = tmp_path / "good.csv"
    _day_file(dataset, good, bad=False)
    assert run_cli("dossiers", "validate", str(good), "--data", str(dataset)).exit_code == 0


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}


def test_appending_a_day_recomputes_only_its_period(
    run_cli: Any, dataset: Path, tmp_path: Path
) -> None:
    data = _copy(dataset, tmp_path)
    api.compute_service_index(data, "2025-Q3", each="month")
    root = data / "results" / "service-766"
    july, september = _bytes(root / "2025-07"), _bytes(root / "2025-09")
    day = tmp_path / "day.csv"
    _day_file(dataset, day)
    done = run_cli("dossiers", "append", str(day), "--data", str(data), "--format", "json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert result["recomputed"] == ["2025-08"]
    assert result["untouched"] == ["2025-07", "2025-09"]
    assert _bytes(root / "2025-07") == july  # history is not recomputed
    august = pd.read_parquet(root / "2025-08" / "scores.parquet")
    fresh = compute_index(data, [parse_period("2025-08")], connect("duckdb"))
    pd.testing.assert_frame_equal(august, fresh.scores, check_dtype=False)
    meta = json.loads((root / "2025-08" / "meta.json").read_text())
    assert meta["excluded_rows"] == 1  # the bad row is stored but left out
    # September's change now starts from the new August totals
    sept = pd.read_parquet(root / "2025-09" / "scores.parquet").set_index(["level", "unit_code"])
    new_august = august.set_index(["level", "unit_code"])
    assert sept.previous_total.equals(new_august.total.reindex(sept.index))
    assert _bytes(root / "2025-09") != september


def test_an_appended_id_already_in_the_dataset_is_reported_and_recomputed_everywhere(
    run_cli: Any, dataset: Path, tmp_path: Path
) -> None:
    """A dossier id repeated across months leaves out the earlier row too: validation says so
    before the append, and the append recomputes the earlier row's period as well."""
    data = _copy(dataset, tmp_path)
    api.compute_service_index(data, "2025-Q3", each="month")
    root = data / "results" / "service-766"
    july_file = sorted((data / "dossiers" / "2025-07").glob("*.parquet"))[0]
    july_id = pq.read_table(july_file, columns=["dossier_id"]).column(0)[0].as_py()
    day = tmp_path / "day.csv"
    _day_file(dataset, day, bad=False)
    frame = pd.read_csv(day, dtype=str, keep_default_na=False)
    frame.loc[0, "dossier_id"] = july_id  # an August row reusing a July id
    frame.to_csv(day, index=False)

    checked = run_cli("dossiers", "validate", str(day), "--data", str(data), "--format", "json")
    assert checked.exit_code == 1
    problems = json.loads(checked.output)["problems"]
    assert [(p["row"], p["code"]) for p in problems] == [(2, "dossier.id_in_dataset")]

    done = run_cli("dossiers", "append", str(day), "--data", str(data), "--format", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["recomputed"] == ["2025-07", "2025-08"]
    for key in ("2025-07", "2025-08"):
        fresh = compute_index(data, [parse_period(key)], connect("duckdb"))
        assert (
            json.loads((root / key / "meta.json").read_text())["excluded_rows"]
            == (fresh.excluded[key])
        )
        assert fresh.excluded[key] >= 1  # both rows of the repeated id are left out


def test_a_dataset_that_cannot_be_written_is_still_checked(dataset: Path, tmp_path: Path) -> None:
    """The id register is kept only where it can be written: elsewhere it is built in memory.
    (A file in the register's place stands in for a read-only folder, which root could write.)"""
    data = _copy(dataset, tmp_path)
    import shutil

    shutil.rmtree(data / "_register", ignore_errors=True)
    (data / "_register").write_text("not a folder", encoding="utf-8")
    out = tmp_path / "results"
    result = api.compute_service_index(data, "2025-08", out=out)
    assert result["periods"] == ["2025-08"]
    assert (data / "_register").read_text(encoding="utf-8") == "not a folder"
    fresh = compute_index(data, [parse_period("2025-08")], connect("duckdb"))
    assert result["excluded_rows"] == fresh.excluded


def test_stray_folders_and_broken_labels_do_not_break_the_results(
    dataset: Path, tmp_path: Path
) -> None:
    from sipas.api.queries import service_index_public as public

    data = _copy(dataset, tmp_path)
    api.compute_service_index(data, "2025-08")
    root = data / "results" / "service-766"
    import shutil

    shutil.copytree(root / "2025-08", root / "2025-Q5")  # a copy under a name that is no period
    shutil.copytree(root / "2025-08", root / "2025-08 (backup)")
    assert api.stored_periods(root) == ["2025-08"]
    (data / "DATASET.json").write_text("{not json", encoding="utf-8")
    assert public.dataset_info(data) == {"synthetic": False, "note": None}
    (root / "2025-08" / "meta.json").write_text("[]", encoding="utf-8")
    assert api.read_meta(root / "2025-08") == {}
    for text in ("0000", "9999-12", "2025-13", "2025-Q5"):
        with pytest.raises(SipasError) as caught:
            parse_period(text)
        assert caught.value.code == "service_index.bad_period"
