"""Published results imported from files: one transaction per file, replacing that file's rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from sipas.store.schema import published_results

_COLUMNS = (
    "index_id",
    "year",
    "unit",
    "node",
    "value",
    "rank",
    "group_name",
    "change",
    "rank_change",
    "source",
    "note",
    "report",
    "origin",
)


def replace_published(
    connection: Connection, origin: str, rows: list[dict[str, Any]], imported_by: str
) -> int:
    """Store ``rows`` (dicts of the table's columns) as the figures of ``origin`` for the
    (index, year) pairs they cover, replacing what that file brought before. Returns the count."""
    pairs = {(r["index_id"], r["year"]) for r in rows}
    for index_id, year in pairs:
        connection.execute(
            delete(published_results).where(
                published_results.c.origin == origin,
                published_results.c.index_id == index_id,
                published_results.c.year == year,
            )
        )
    now = datetime.now(UTC)
    if rows:
        connection.execute(
            insert(published_results),
            [{**r, "origin": origin, "imported_by": imported_by, "created_at": now} for r in rows],
        )
    return len(rows)


def load_published(
    connection: Connection, index_id: str | None = None, year: int | None = None
) -> list[dict[str, Any]]:
    query = select(*(published_results.c[c] for c in _COLUMNS)).order_by(published_results.c.id)
    if index_id is not None:
        query = query.where(published_results.c.index_id == index_id)
    if year is not None:
        query = query.where(published_results.c.year == year)
    return [dict(r._mapping) for r in connection.execute(query)]


def published_version(connection: Connection) -> tuple[Any, ...]:
    """Moves whenever imported published results change."""
    row = connection.execute(
        select(func.max(published_results.c.id), func.count(published_results.c.id))
    ).one()
    return (row[0], row[1])
