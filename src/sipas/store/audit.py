"""The append-only audit log: who changed what, when, from what, to what, and why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypedDict, cast

from sqlalchemy import Connection, insert, select

from sipas.store.schema import audit_log


class AuditRow(TypedDict):
    """One audited change: when, who, what action on which entity, the values before and after
    (JSON, None when there were none) and why."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any
    reason: str | None


def record(
    connection: Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> None:
    connection.execute(
        insert(audit_log).values(
            at=datetime.now(UTC),
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            reason=reason,
        )
    )


def record_many(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Many audit rows in one statement (an import); each row as :func:`record` takes it."""
    if rows:
        at = datetime.now(UTC)
        connection.execute(
            insert(audit_log),
            [{"at": at, "before": None, "after": None, "reason": None, **row} for row in rows],
        )


def history(
    connection: Connection, entity: str, entity_id: str, prefix: bool = False
) -> list[AuditRow]:
    """The rows of one entity, oldest first; with ``prefix``, of every id starting with it."""
    match = (
        audit_log.c.entity_id.startswith(entity_id, autoescape=True)
        if prefix
        else audit_log.c.entity_id == entity_id
    )
    rows = connection.execute(
        select(audit_log).where(audit_log.c.entity == entity, match).order_by(audit_log.c.id)
    )
    return [cast(AuditRow, dict(row._mapping)) for row in rows]
