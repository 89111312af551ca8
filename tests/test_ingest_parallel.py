"""Well-formed CSV files are checked by worker processes, a part of the file each, while the
importing process finds duplicates in file order and stores. What comes out must be exactly
what checking the file chunk by chunk in one process gives: the same report (every problem at
its row, field and code, in the same order) and the same rows stored, accepted and quarantined.

Chunks of 7 rows make a small file many parts; duplicates, conflicts and bad cells are placed
so that they fall in other parts than the rows they repeat.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text

from ingest_fixtures import PERIOD_2024, responses, write_csv
from sipas.api import ingest as api
from sipas.ingest import readers
from sipas.ingest.readers import Part, PartMisreadError, read_part, read_source
from sipas.store import Database, open_database

CHUNK = 7


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'parallel.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "CHUNK_ROWS", CHUNK)


def _spoiled(path: Path) -> Path:
    """60 rows, spoiled where a clerk spoils them, every row as wide as the header."""
    frame = responses(30).head(60).astype(object)  # Hà Nội, then TP Hồ Chí Minh
    frame.loc[3, "Q9_05"] = "7"  # off the scale: row 5
    frame.loc[9, "interview_date"] = "31/02/2024"  # no such day: row 11
    frame.loc[12, "province"] = "Atlantis"  # row 14
    frame.loc[16, "sex"] = "Nam"  # a label where a code goes: row 18
    frame.loc[20, "respondent_key"] = frame.loc[2, "respondent_key"]  # part 3 repeats part 1
    answers = [c for c in frame.columns if c != "respondent_key"]
    frame.loc[33, answers] = frame.loc[1, answers].to_numpy()  # part 5: row 3's form again
    frame.loc[41, "respondent_key"] = None  # no form number: row 43
    frame.loc[47, "weight"] = "-3"  # row 49
    frame.loc[58, "respondent_key"] = frame.loc[44, "respondent_key"]  # last part repeats
    return write_csv(frame, path)


def _outcome(url: str, path: Path, workers: int, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(api, "WORKERS", workers)
    database = open_database(url)
    try:
        validated = api.validate_file(path, "sipas-gen2", PERIOD_2024)
        first = api.import_file(database, path, "sipas-gen2", "s", PERIOD_2024)
        again = api.import_file(database, path, "sipas-gen2", "s", PERIOD_2024)
        changed = pd.read_csv(path, dtype=object)
        changed.loc[25, "Q9_01"] = "1" if changed.loc[25, "Q9_01"] != "1" else "2"  # a conflict
        third = api.import_file(database, write_csv(changed, path.with_name("c.csv")),
                                "sipas-gen2", "s", PERIOD_2024)  # fmt: skip
        stored = _stored(database)
    finally:
        _empty(database)
        database.close()
    reports = [_report(r) for r in (validated, first, again, third)]
    return reports, stored


def _report(report: api.IngestReport) -> dict[str, Any]:
    assert report.accepted + report.quarantined == report.rows
    return {"summary": report.summary(), "problems": [p.to_dict() for p in report.problems]}


def _stored(database: Database) -> dict[str, Any]:
    first = "(SELECT MIN(id) FROM import_batches)"  # batches counted from the first (PostgreSQL
    # numbers go on after a delete)

    def rows(query: str) -> list[list[Any]]:
        with database.read() as connection:
            found = connection.execute(text(query)).all()
        return [[json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v for v in r]
                for r in found]  # fmt: skip

    return {
        "responses": rows(
            "SELECT respondent_key, province_code, province_key, commune, village, stratum, psu,"
            " weight, interview_date, profile, answers FROM responses ORDER BY respondent_key"
        ),
        "quarantined": rows(
            f"SELECT batch_id - {first}, respondent_key, file_row, row_hash, data, reasons, status,"
            f" resolved_batch_id - {first} FROM quarantined_rows ORDER BY id"
        ),
        "flags": rows(
            "SELECT batch_id, respondent_key, code, message FROM response_flags ORDER BY id"
        ),
        "batches": rows(
            "SELECT rows, accepted, quarantined, inserted, unchanged, flagged, summary"
            " FROM import_batches ORDER BY id"
        ),
    }


def _empty(database: Database) -> None:
    """The next run starts from an empty database, as this one did."""
    with database.begin() as connection:
        for table in ("response_flags", "quarantined_rows", "responses", "import_batches",
                      "surveys"):  # fmt: skip
            connection.execute(text(f"DELETE FROM {table}"))


def test_parts_checked_by_workers_give_what_one_process_gives(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _spoiled(tmp_path / "spoiled.csv")
    source = read_source(path)
    assert source.parts is not None and len(source.parts) == 9  # 60 rows in parts of 7
    assert [p.first for p in source.parts] == list(range(0, 60, CHUNK))
    local = _outcome(db_url, path, 0, monkeypatch)
    parallel = _outcome(db_url, path, 2, monkeypatch)  # workers forked from this process
    assert parallel == local
    # Beside another thread (a progress bar, a web server) workers come from a fork server.
    done = threading.Event()
    beside = threading.Thread(target=done.wait, daemon=True)
    beside.start()
    try:
        assert _outcome(db_url, path, 2, monkeypatch) == local
    finally:
        done.set()
        beside.join()
    (validated, first, again, third), stored = parallel
    assert validated["summary"]["rows"] == first["summary"]["rows"] == 60
    assert validated["summary"]["quarantined"] == first["summary"]["quarantined"]
    codes = {(p["row"], p["field"], p["code"]) for p in first["problems"]}
    assert {(5, "Q9_05", "ingest.bad_code"), (11, "interview_date", "ingest.bad_date"),
            (14, "province", "ingest.geo_unknown"), (22, "respondent_key", "ingest.duplicate_id"),
            (35, None, "ingest.duplicate_respondent"), (43, "respondent_key", "ingest.no_key"),
            (49, "weight", "ingest.bad_weight"), (60, "respondent_key", "ingest.duplicate_id"),
            } <= codes  # fmt: skip
    assert first["summary"]["quarantined"] == len({p["row"] for p in first["problems"]
                                                   if p["severity"] == "error" and p["row"]})  # fmt: skip
    assert again["summary"]["inserted"] == 0
    assert again["summary"]["unchanged"] == first["summary"]["inserted"]
    conflict = [p for p in third["problems"] if p["code"] == "ingest.conflict"]
    assert [p["row"] for p in conflict] == [27]
    # The conflicting row is kept with its cells as the file has them (read again for it).
    kept = [q for q in stored["quarantined"] if q[2] == 27]
    assert kept and kept[-1][4]["Q9_01"] in ("1", "2")
    assert len(stored["responses"]) == first["summary"]["inserted"]


def test_a_part_read_with_another_number_of_records_is_refused(tmp_path: Path) -> None:
    path = write_csv(responses(30), tmp_path / "r.csv")
    source = read_source(path)
    assert source.parts is not None
    part = source.parts[1]
    assert len(read_part(part)) == CHUNK
    wrong = Part(part.path, part.start, part.end, part.first, part.rows + 1, part.delimiter,
                 part.columns, part.normalise)  # fmt: skip
    with pytest.raises(PartMisreadError):
        read_part(wrong)


def test_files_with_odd_line_ends_or_bad_rows_are_read_in_one_process(tmp_path: Path) -> None:
    frame = responses(30)
    lines = frame.to_csv(index=False).splitlines()
    lone = tmp_path / "mixed.csv"  # one line ended by "\r" alone (pasted from an old Mac file)
    lone.write_text("\n".join(lines[:9]) + "\r" + "\n".join(lines[9:]) + "\n", encoding="utf-8")
    assert read_source(lone).parts is None  # pandas ends a line at "\r"; the count does not
    crlf = tmp_path / "windows.csv"
    crlf.write_bytes(frame.to_csv(index=False, lineterminator="\r\n").encode())
    assert read_source(crlf).parts is not None
    short = tmp_path / "short.csv"
    lines[4] = ",".join(lines[4].split(",")[:10])
    short.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read_source(short).parts is None
    report = api.validate_file(short, "sipas-gen2", PERIOD_2024)
    assert (5, None, "ingest.bad_row_shape") in {(p.row, p.field, p.code) for p in report.problems}
    assert report.accepted + report.quarantined == report.rows == len(frame)
