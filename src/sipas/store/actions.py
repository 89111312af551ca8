"""Remediation plans in the database: add, read and change actions (the api audits each change)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from sipas.errors import SipasError
from sipas.store.schema import actions

STATUSES = ("planned", "in_progress", "done", "dropped")


def add_action(connection: Connection, values: dict[str, Any], actor: str) -> dict[str, Any]:
    """Insert one action; returns it as stored."""
    row = {**values, "created_by": actor, "created_at": datetime.now(UTC)}
    new_id = connection.execute(insert(actions).values(**row)).inserted_primary_key[0]
    return get_action(connection, int(new_id))


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
