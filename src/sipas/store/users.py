"""User accounts: stored as rows; hashing and the rules of logging in live in sipas.api.users."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from sipas.errors import SipasError
from sipas.store.schema import users

_PUBLIC = ("id", "name", "display_name", "role", "province_code", "active", "created_at")


def add_user(connection: Connection, **values: Any) -> int:
    exists = connection.execute(select(users.c.id).where(users.c.name == values["name"])).scalar()
    if exists is not None:
        raise SipasError("users.exists", name=values["name"])
    result = connection.execute(
        insert(users).values(failed_logins=0, created_at=datetime.now(UTC), **values)
    )
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for the new user")
    return int(key[0])


def get_user(connection: Connection, name: str, with_secret: bool = False) -> dict[str, Any] | None:
    columns = [users.c[c] for c in _PUBLIC]
    if with_secret:
        columns += [users.c.password_hash, users.c.failed_logins, users.c.locked_until]
    row = connection.execute(select(*columns).where(users.c.name == name)).first()
    return dict(row._mapping) if row is not None else None


def get_user_by_id(connection: Connection, user_id: int) -> dict[str, Any] | None:
    row = connection.execute(select(*(users.c[c] for c in _PUBLIC)).where(users.c.id == user_id))
    found = row.first()
    return dict(found._mapping) if found is not None else None


def list_users(connection: Connection) -> list[dict[str, Any]]:
    rows = connection.execute(select(*(users.c[c] for c in _PUBLIC)).order_by(users.c.name))
    return [dict(r._mapping) for r in rows]


def set_login_state(
    connection: Connection, name: str, failed_logins: int, locked_until: datetime | None
) -> None:
    connection.execute(
        update(users)
        .where(users.c.name == name)
        .values(failed_logins=failed_logins, locked_until=locked_until)
    )


def set_password_hash(connection: Connection, name: str, password_hash: str) -> None:
    connection.execute(
        update(users).where(users.c.name == name).values(password_hash=password_hash)
    )
