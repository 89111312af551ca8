"""User accounts: stored as rows; hashing and the rules of logging in live in sipas.api.users."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict, cast

from sqlalchemy import Connection, case, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from sipas.errors import SipasError
from sipas.store.schema import login_throttle, users

_PUBLIC = ("id", "name", "display_name", "role", "province_code", "active", "created_at")


class Account(TypedDict):
    """A stored account as the api reads it; the secret fields only where asked for."""

    id: int
    name: str
    display_name: str
    role: str
    province_code: str | None
    active: bool
    created_at: datetime
    session_epoch: NotRequired[int]
    password_hash: NotRequired[str]


def _account(row: Any) -> Account:
    return cast(Account, dict(row._mapping))


def add_user(connection: Connection, **values: Any) -> int:
    exists = connection.execute(select(users.c.id).where(users.c.name == values["name"])).scalar()
    if exists is not None:
        raise SipasError("users.exists", name=values["name"])
    result = connection.execute(insert(users).values(created_at=datetime.now(UTC), **values))
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for the new user")
    return int(key[0])


def get_user(connection: Connection, name: str, with_secret: bool = False) -> Account | None:
    columns = [users.c[c] for c in _PUBLIC]
    if with_secret:
        columns += [users.c.password_hash, users.c.session_epoch]
    row = connection.execute(select(*columns).where(users.c.name == name)).first()
    return _account(row) if row is not None else None


def get_user_by_id(connection: Connection, user_id: int) -> Account | None:
    columns = [*(users.c[c] for c in _PUBLIC), users.c.session_epoch]
    row = connection.execute(select(*columns).where(users.c.id == user_id))
    found = row.first()
    return _account(found) if found is not None else None


def list_users(connection: Connection) -> list[Account]:
    rows = connection.execute(select(*(users.c[c] for c in _PUBLIC)).order_by(users.c.name))
    return [_account(r) for r in rows]


def set_password_hash(connection: Connection, name: str, password_hash: str) -> None:
    connection.execute(
        update(users).where(users.c.name == name).values(password_hash=password_hash)
    )


def set_user(connection: Connection, name: str, **values: Any) -> None:
    """Change columns of one account (active, role, province_code)."""
    connection.execute(update(users).where(users.c.name == name).values(**values))


def end_sessions(connection: Connection, name: str) -> None:
    """Every session cookie issued so far for this account stops working (one atomic UPDATE)."""
    connection.execute(
        update(users).where(users.c.name == name).values(session_epoch=users.c.session_epoch + 1)
    )


def claim_attempt(
    connection: Connection,
    key: str,
    *,
    now: datetime,
    free: int,
    hold_until: datetime,
    fresh_after: datetime,
) -> int | None:
    """Count a sign-in attempt before its password is checked, in one atomic UPDATE: the count
    it reached, or None while the key waits. The attempt that reaches ``free`` failures holds
    the key (``hold_until``) until :func:`settle_attempt` sets the real wait, so attempts sent
    together are refused, not checked. A count whose last attempt is older than ``fresh_after``
    starts again."""
    maker = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(maker(login_throttle).values(key=key, failures=0).on_conflict_do_nothing())
    t = login_throttle.c
    counted = case((t.last_at < fresh_after, 1), else_=t.failures + 1)
    row = connection.execute(
        update(login_throttle)
        .where(t.key == key, (t.blocked_until.is_(None)) | (t.blocked_until <= now))
        .values(
            failures=counted,
            last_at=now,
            blocked_until=case((counted >= free, hold_until), else_=None),
        )
        .returning(t.failures)
    ).first()
    return None if row is None else int(row[0])


def blocked_until(connection: Connection, key: str) -> datetime | None:
    found = connection.execute(
        select(login_throttle.c.blocked_until).where(login_throttle.c.key == key)
    ).scalar()
    if not isinstance(found, datetime):
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def set_wait(connection: Connection, key: str, until: datetime | None) -> None:
    connection.execute(
        update(login_throttle).where(login_throttle.c.key == key).values(blocked_until=until)
    )


def reset_attempts(connection: Connection, key: str) -> None:
    connection.execute(
        update(login_throttle)
        .where(login_throttle.c.key == key)
        .values(failures=0, blocked_until=None)
    )


def take_back_attempt(connection: Connection, key: str, release: bool) -> None:
    """A right password does not count against the key; ``release`` ends the hold this attempt
    put on it."""
    t = login_throttle.c
    values: dict[str, Any] = {"failures": case((t.failures > 0, t.failures - 1), else_=0)}
    if release:
        values["blocked_until"] = None
    connection.execute(update(login_throttle).where(t.key == key).values(**values))


def clear_attempts(connection: Connection, key: str) -> bool:
    """Forget the failures of one key (an admin's unlock); whether there were any."""
    t = login_throttle.c
    result = connection.execute(
        update(login_throttle)
        .where(t.key == key, (t.failures > 0) | t.blocked_until.is_not(None))
        .values(failures=0, blocked_until=None)
    )
    return bool(result.rowcount)
