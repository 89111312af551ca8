"""Remediation plans in the database: add, read and change actions (the api audits each change)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from sipas.errors import SipasError
from sipas.store.schema import actions, estimates, estimation_runs, surveys

STATUSES = ("planned", "in_progress", "done", "dropped")


def add_action(connection: Connection, values: dict[str, Any], actor: str) -> dict[str, Any]:
    """Insert one action; returns it as stored."""
    row = {**values, "created_by": actor, "created_at": datetime.now(UTC)}
    key = connection.execute(insert(actions).values(**row)).inserted_primary_key
    assert key is not None  # an insert of one row always has its key
    return get_action(connection, int(key[0]))


def get_action(connection: Connection, action_id: int) -> dict[str, Any]:
    row = connection.execute(select(actions).where(actions.c.id == action_id)).first()
    if row is None:
        raise SipasError("actions.unknown", id=action_id)
    return dict(row._mapping)


def list_actions(
    connection: Connection,
    *,
    province_code: str | None = None,
    year: int | None = None,
    index_kind: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Actions matching every filter given, by province, year and id."""
    query = select(actions)
    if province_code is not None:
        query = query.where(actions.c.province_code == province_code)
    if year is not None:
        query = query.where(actions.c.year == year)
    if index_kind is not None:
        query = query.where(actions.c.index_kind == index_kind)
    if status is not None:
        query = query.where(actions.c.status == status)
    query = query.order_by(actions.c.province_code, actions.c.year, actions.c.id)
    return [dict(row._mapping) for row in connection.execute(query)]


def update_action(
    connection: Connection, action_id: int, changes: dict[str, Any], actor: str
) -> dict[str, Any]:
    """Change the given columns of one action; returns it as stored."""
    connection.execute(
        update(actions)
        .where(actions.c.id == action_id)
        .values(**changes, updated_by=actor, updated_at=datetime.now(UTC))
    )
    return get_action(connection, action_id)


def runs_of_year(connection: Connection, framework_id: str, year: int) -> list[dict[str, Any]]:
    """The saved estimation runs of the stored surveys of ``year`` on ``framework_id``, newest
    first (runs estimated from a file have no year and are left out)."""
    rows = connection.execute(
        select(estimation_runs, surveys.c.year, surveys.c.geography.label("survey_geography"))
        .join(surveys, surveys.c.id == estimation_runs.c.survey_id)
        .where(surveys.c.year == year, estimation_runs.c.framework_id == framework_id)
        .order_by(estimation_runs.c.created_at.desc(), estimation_runs.c.id.desc())
    )
    return [dict(row._mapping) for row in rows]


def estimate_rows(
    connection: Connection, run_id: int, partition: str, cell: str, indicator: str
) -> list[dict[str, Any]]:
    """The stored estimate of one cell and indicator of a run (none or one row)."""
    rows = connection.execute(
        select(estimates).where(
            estimates.c.run_id == run_id,
            estimates.c.partition == partition,
            estimates.c.cell == cell,
            estimates.c.indicator == indicator,
        )
    )
    return [dict(row._mapping) for row in rows]
