"""Official published results in: a published table read, checked and stored, all or nothing.

What is read back (list, show, export, what the pages put beside our estimates) lives in
:mod:`sipas.api.queries.published`, re-exported here for the CLI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypedDict, cast

from sipas.api.queries.published import (
    Aggregate,
    ComputedMean,
    Figure,
    PublishedTable,
    _normal,
    beside,
    beside_row,
    export,
    figures,
    history,
    list_published,
    show,
)
from sipas.errors import SipasError
from sipas.published import AGGREGATES, TOTAL, read_file, with_source
from sipas.published.problems import Problems
from sipas.store import Database
from sipas.store import published as store

SHOWN_PROBLEMS = 20  # problems named in a refusal's message; the count says how many in all

__all__ = [
    "Aggregate",
    "ComputedMean",
    "Figure",
    "ImportResult",
    "PublishedTable",
    "beside",
    "beside_row",
    "export",
    "figures",
    "history",
    "import_file",
    "list_published",
    "show",
]


class ImportedTableRow(TypedDict):
    """A published table read from a file: its index, year, units, and units with a value."""

    index: str
    year: int
    units: int
    with_value: int


class ImportSummary(TypedDict):
    """A published file imported: its name, layout, the tables read and the rows stored."""

    file: str
    layout: str
    tables: list[ImportedTableRow]
    stored: int


@dataclass(frozen=True)
class ImportResult:
    file: str
    layout: str
    tables: list[ImportedTableRow]
    stored: int

    def to_dict(self) -> ImportSummary:
        return cast(ImportSummary, asdict(self))


def import_file(
    db: Database,
    path: Path,
    index: str | None = None,
    year: int | None = None,
    source: str | None = None,
    imported_by: str = "cli",
) -> ImportResult:
    """Read, check and store a published table: all or nothing. Every problem names its sheet,
    row and column; with any problem, nothing is stored."""
    result = read_file(Path(path), _normal(index) if index else None, year)
    if result.problems:
        raise SipasError(
            "published.file_refused",
            file=result.file,
            count=len(result.problems),
            problems=Problems(result.problems[:SHOWN_PROBLEMS]),
        )
    items = with_source(result.figures, source or result.file)
    rows = [
        {
            "index_id": f.index,
            "year": f.year,
            "unit": f.unit,
            "node": f.node,
            "value": f.value,
            "rank": f.rank,
            "group_name": f.group,
            "change": f.change,
            "rank_change": f.rank_change,
            "source": f.source,
            "note": f.note,
            "report": f.report,
        }
        for f in items
    ]
    with db.begin() as connection:
        stored = store.replace_published(connection, result.file, rows, imported_by)
    tables: list[ImportedTableRow] = []
    for idx, yr in sorted(result.indices):
        totals = [
            f
            for f in items
            if f.index == idx and f.year == yr and f.node == TOTAL and f.unit not in AGGREGATES
        ]
        tables.append(
            {
                "index": idx,
                "year": yr,
                "units": len(totals),
                "with_value": sum(1 for f in totals if f.value is not None),
            }
        )
    return ImportResult(result.file, result.layout, tables, stored)
