"""Creating a coded record (a survey, a campaign) that is unique by code, optionally replacing it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Table, delete, func, insert, select

from sipas.errors import SipasError


def create_coded(
    connection: Connection,
    table: Table,
    children: list[tuple[Table, Column[Any]]],
    values: dict[str, Any],
    *,
    what: str,
    replace: bool,
    exists: Callable[[str], SipasError],
) -> int:
    """Insert ``values`` (which hold a unique ``code``); refuse (with the error ``exists`` makes
    of the code) or replace an existing one.

    Replacing deletes the old record's rows in each child table first (explicitly, so SQLite
    without cascading deletes behaves like PostgreSQL).
    """
    code = values["code"]
    existing = connection.execute(select(table.c.id).where(table.c.code == code)).scalar()
    if existing is not None:
        if not replace:
            raise exists(code)
        for child, foreign_key in children:
            connection.execute(delete(child).where(foreign_key == existing))
        connection.execute(delete(table).where(table.c.id == existing))
    result = connection.execute(insert(table).values(**values, created_at=datetime.now(UTC)))
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError(f"the database returned no id for the new {what}")
    return int(key[0])


def data_version(connection: Connection) -> tuple[Any, ...]:
    """Changes whenever published data may have changed: a new audit row (every PAR write) or a
    new, replaced or deleted estimation run, imported published results. Three indexed look-ups."""
    from sipas.store.published import published_version
    from sipas.store.schema import audit_log, estimation_runs

    audit = connection.execute(select(func.max(audit_log.c.id))).scalar()
    runs = connection.execute(
        select(func.max(estimation_runs.c.id), func.count(estimation_runs.c.id))
    ).one()
    return (audit, runs[0], runs[1], *published_version(connection))
