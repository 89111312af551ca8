"""Accounts and logging in: argon2id password hashes, roles, throttling of failed logins.

Roles are those of the design: ``admin``, ``analyst`` (reads everything), ``officer`` (their own
province), ``appraiser`` (assigned areas), ``clerk`` (data entry). Respondents use one-time
invitation tokens and the public needs no account.
"""

from __future__ import annotations

import contextlib
import functools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sipas.api.par import Actor
from sipas.errors import SipasError
from sipas.geo import provinces_on
from sipas.store import Database, audit
from sipas.store import users as store

ROLES = ("admin", "analyst", "officer", "appraiser", "clerk")
MIN_PASSWORD = 10
MAX_FAILURES = 5  # failed logins in a row before the account waits
LOCK_FOR = timedelta(minutes=15)
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def _dummy_hash() -> str:
    """Verified when the user does not exist, so that a wrong name takes as long as a wrong
    password; made on first use (hashing costs a worker about 0.2 s of start-up)."""
    return _HASHER.hash("sipas: no such user")


def warm_up() -> None:
    """Make what the first login needs now (a server calls this in the background at start)."""
    _dummy_hash()


def create_user(
    db: Database,
    *,
    name: str,
    role: str,
    password: str,
    province: str | None = None,
    display_name: str = "",
    created_by: str = "sipas",
) -> dict[str, Any]:
    name = name.strip()
    if not name or len(name) > 120:
        raise SipasError("users.bad_name")
    if role not in ROLES:
        raise SipasError("users.bad_role", role=role, roles=list(ROLES))
    if len(password) < MIN_PASSWORD:
        raise SipasError("users.weak_password", length=len(password), minimum=MIN_PASSWORD)
    if role == "officer":
        codes = {p.code for p in provinces_on(date.today())}
        if province is None or province.zfill(2) not in codes:
            raise SipasError("users.province_required", province=province or "—")
        province = province.zfill(2)
    elif province is not None:
        raise SipasError("users.province_only_officers", role=role)
    with db.begin() as connection:
        user_id = store.add_user(
            connection,
            name=name,
            display_name=display_name or name,
            role=role,
            province_code=province,
            password_hash=_HASHER.hash(password),
            active=True,
        )
        audit.record(
            connection,
            actor=created_by,
            action="users.create",
            entity="user",
            entity_id=name,
            after={"role": role, "province": province},
        )
    return {"id": user_id, "name": name, "role": role, "province": province}


def list_users(db: Database) -> list[dict[str, Any]]:
    with db.begin() as connection:
        return store.list_users(connection)


def authenticate(db: Database, name: str, password: str) -> dict[str, Any]:
    """The user, if the password is right; counts failures and makes the account wait after
    MAX_FAILURES in a row. The message never says which of name and password was wrong."""
    wrong = SipasError("auth.failed")
    now = datetime.now(UTC)
    # The transaction commits before any refusal is raised: a failed attempt must be counted.
    with db.begin() as connection:
        user = store.get_user(connection, name, with_secret=True)
        if user is None or not user["active"]:
            with contextlib.suppress(VerificationError):
                _HASHER.verify(_dummy_hash(), password + "x")
            refusal: SipasError | None = wrong
        else:
            refusal = _check_password(connection, user, password, now)
    if refusal is not None:
        raise refusal
    assert user is not None
    return {k: user[k] for k in ("id", "name", "display_name", "role", "province_code")}


def _check_password(
    connection: Any, user: dict[str, Any], password: str, now: datetime
) -> SipasError | None:
    name = user["name"]
    locked = user["locked_until"]
    if locked is not None:
        locked = locked if locked.tzinfo else locked.replace(tzinfo=UTC)
        if locked > now:
            return SipasError("auth.throttled", until=locked)
    try:
        _HASHER.verify(user["password_hash"], password)
    except (VerificationError, InvalidHashError):
        failures = int(user["failed_logins"]) + 1
        until = now + LOCK_FOR if failures >= MAX_FAILURES else None
        store.set_login_state(connection, name, 0 if until else failures, until)
        audit.record(connection, actor=name, action="auth.failed", entity="user", entity_id=name)
        return SipasError("auth.failed")
    store.set_login_state(connection, name, 0, None)
    if _HASHER.check_needs_rehash(user["password_hash"]):
        store.set_password_hash(connection, name, _HASHER.hash(password))
    return None


def get_user(db: Database, user_id: int) -> dict[str, Any] | None:
    with db.begin() as connection:
        return store.get_user_by_id(connection, user_id)


def actor_for(user: dict[str, Any]) -> Actor:
    return Actor(user["name"], user["role"], user.get("province_code"))
