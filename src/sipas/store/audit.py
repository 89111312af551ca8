"""The append-only audit log: who changed what, when, from what, to what, and why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from sipas.store.schema import audit_log


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


def history(connection: Connection, entity: str, entity_id: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(audit_log)
        .where(audit_log.c.entity == entity, audit_log.c.entity_id == entity_id)
        .order_by(audit_log.c.id)
    )
    return [dict(row._mapping) for row in rows]
