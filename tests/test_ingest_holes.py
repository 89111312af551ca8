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
