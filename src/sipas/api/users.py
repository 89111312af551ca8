"""Accounts and logging in: argon2id password hashes, roles, throttling of failed logins.

Roles are those of the design: ``admin``, ``analyst`` (reads everything), ``officer`` (their own
province), ``appraiser`` (assigned areas), ``clerk`` (data entry). Respondents use one-time
invitation tokens and the public needs no account.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypedDict

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sipas.api.par import Actor
from sipas.errors import SipasError
from sipas.geo import provinces_on
from sipas.store import Database, audit
from sipas.store import users as store
from sipas.store.users import Account

ROLES = ("admin", "analyst", "officer", "appraiser", "clerk")
MIN_PASSWORD = 10
MAX_FAILURES = 5  # failed logins in a row for one account name before each attempt waits
ADDRESS_FAILURES = 20  # failed logins in a row from one client address before each waits
# After n ≥ MAX_FAILURES failures in a row the next attempt waits 2^(n + 1 − MAX_FAILURES)
# seconds (2, 4, 8, …), at most MAX_WAIT: guessing stays slow, and nobody can shut an account out
# for long by failing on it.
MAX_WAIT = timedelta(minutes=5)
HOLD = timedelta(seconds=60)  # the longest an attempt being checked holds a waiting key
FRESH = timedelta(hours=1)  # a count whose last failure is older starts again
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


class NewAccount(TypedDict):
    id: int
    name: str
    role: str
    province: str | None


class SignedIn(TypedDict):
    """Who logged in: what a session carries (never the password hash)."""

    id: int
    name: str
    display_name: str
    role: str
    province_code: str | None
    session_epoch: int


class ActiveChanged(TypedDict):
    name: str
    active: bool


class PasswordChanged(TypedDict):
    name: str
    password_changed: bool


class Unlocked(TypedDict):
    name: str
    unlocked: bool


class RoleChanged(TypedDict):
    name: str
    role: str
    province: str | None


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
) -> NewAccount:
    name = name.strip()
    if not name or len(name) > 120:
        raise SipasError("users.bad_name")
    if role not in ROLES:
        raise SipasError("users.bad_role", role=role, roles=list(ROLES))
    if len(password) < MIN_PASSWORD:
        raise SipasError("users.weak_password", length=len(password), minimum=MIN_PASSWORD)
    province = _province_for(role, province)
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


def _province_for(role: str, province: str | None) -> str | None:
    if role == "officer":
        codes = {p.code for p in provinces_on(date.today())}
        if province is None or province.zfill(2) not in codes:
            raise SipasError("users.province_required", province=province or "—")
        return province.zfill(2)
    if province is not None:
        raise SipasError("users.province_only_officers", role=role)
    return None


def list_users(db: Database) -> list[Account]:
    with db.begin() as connection:
        return store.list_users(connection)


def wait_after(failures: int, free: int) -> timedelta | None:
    """How long the next attempt waits after ``failures`` in a row (None: it need not wait)."""
    if failures < free:
        return None
    return min(timedelta(seconds=2 ** min(failures + 1 - free, 30)), MAX_WAIT)


def _keys(name: str, address: str | None) -> list[tuple[str, int]]:
    keys = [(f"account:{name[:150]}", MAX_FAILURES)]
    if address:
        keys.append((f"address:{address[:150]}", ADDRESS_FAILURES))
    return keys


def authenticate(db: Database, name: str, password: str, address: str | None = None) -> SignedIn:
    """The user, if the password is right. The message never says which of name and password
    was wrong, and an unknown name goes through the same steps (counted, a hash checked, the
    failure audited) as a known one, so it answers the same in the same time.

    Every attempt is counted for the account name and the client ``address`` before the
    password is checked, each in one atomic UPDATE; once either has failed too often in a row,
    further attempts wait (see :func:`wait_after`) and are refused without a check, so attempts
    sent together cannot exceed the count."""
    now = datetime.now(UTC)
    keys = _keys(name, address)
    counts: dict[str, int] = {}
    with db.begin() as connection:
        for key, free in keys:
            counted = store.claim_attempt(
                connection, key, now=now, free=free, hold_until=now + HOLD, fresh_after=now - FRESH
            )
            if counted is None:
                until = store.blocked_until(connection, key) or now
                # Raised inside the transaction: it rolls back, so the attempt counts for no key.
                raise SipasError("auth.throttled", until=until)
            counts[key] = counted
    with db.read() as connection:
        user = store.get_user(connection, name, with_secret=True)
    try:
        _HASHER.verify(_dummy_hash() if user is None else user["password_hash"], password)
        right = user is not None and bool(user["active"])
    except (VerificationError, InvalidHashError):
        right = False
    done = datetime.now(UTC)
    with db.begin() as connection:
        for key, free in keys:
            holds = counts[key] >= free
            if right and key.startswith("account:"):
                store.reset_attempts(connection, key)
            elif right:
                store.take_back_attempt(connection, key, release=holds)
            elif holds:
                wait = wait_after(counts[key], free)
                store.set_wait(connection, key, done + wait if wait else None)
        if not right:
            audit.record(
                connection,
                actor=name[:120],
                action="auth.failed",
                entity="user",
                entity_id=name[:120],
                after={"address": address},
            )
        elif user is not None and _HASHER.check_needs_rehash(user["password_hash"]):
            store.set_password_hash(connection, name, _HASHER.hash(password))
    if not right:
        raise SipasError("auth.failed")
    assert user is not None
    return SignedIn(
        id=user["id"],
        name=user["name"],
        display_name=user["display_name"],
        role=user["role"],
        province_code=user["province_code"],
        session_epoch=user.get("session_epoch", 0),
    )


def end_sessions(db: Database, user_id: int) -> None:
    """Log out: every session of this user ends, on every device (the session cookies carry
    the user's session epoch, which this raises)."""
    with db.begin() as connection:
        user = store.get_user_by_id(connection, user_id)
        if user is not None:
            store.end_sessions(connection, user["name"])
            audit.record(
                connection,
                actor=user["name"],
                action="auth.logout",
                entity="user",
                entity_id=user["name"],
            )


def _account(connection: Any, name: str) -> Account:
    user = store.get_user(connection, name)
    if user is None:
        raise SipasError("users.unknown", name=name)
    return user


def _refuse_self(name: str, by: str, action: str) -> None:
    if name == by:
        raise SipasError("users.not_yourself", name=name, action=action)


def set_active(db: Database, name: str, active: bool, *, by: str = "sipas") -> ActiveChanged:
    """Deactivate (every session ends, logging in is refused) or activate an account."""
    if not active:
        _refuse_self(name, by, "deactivate")
    with db.begin() as connection:
        user = _account(connection, name)
        store.set_user(connection, name, active=active)
        if not active:
            store.end_sessions(connection, name)
        audit.record(
            connection,
            actor=by,
            action="users.activate" if active else "users.deactivate",
            entity="user",
            entity_id=name,
            before={"active": bool(user["active"])},
            after={"active": active},
        )
    return {"name": name, "active": active}


def reset_password(db: Database, name: str, password: str, *, by: str = "sipas") -> PasswordChanged:
    """A new password for an account: every session of it ends and its failures are forgotten.
    The audit row says that the password changed, never the password or its hash."""
    if len(password) < MIN_PASSWORD:
        raise SipasError("users.weak_password", length=len(password), minimum=MIN_PASSWORD)
    with db.begin() as connection:
        _account(connection, name)
        store.set_password_hash(connection, name, _HASHER.hash(password))
        store.end_sessions(connection, name)
        store.reset_attempts(connection, _keys(name, None)[0][0])
        audit.record(
            connection,
            actor=by,
            action="users.reset_password",
            entity="user",
            entity_id=name,
            after={"sessions_ended": True},
        )
    return {"name": name, "password_changed": True}


def change_password(
    db: Database, name: str, current: str, new: str, address: str | None = None
) -> PasswordChanged:
    """A user's own new password: the current one is checked (counted and throttled as a
    login), then every session of the user ends, as with :func:`reset_password`."""
    if len(new) < MIN_PASSWORD:
        raise SipasError("users.weak_password", length=len(new), minimum=MIN_PASSWORD)
    authenticate(db, name, current, address)
    return reset_password(db, name, new, by=name)


def unlock(db: Database, name: str, *, by: str = "sipas") -> Unlocked:
    """Forget the account's failed logins: its next attempt is checked at once."""
    with db.begin() as connection:
        _account(connection, name)
        had = store.clear_attempts(connection, _keys(name, None)[0][0])
        audit.record(
            connection,
            actor=by,
            action="users.unlock",
            entity="user",
            entity_id=name,
            before={"waiting": had},
        )
    return {"name": name, "unlocked": had}


def set_role(
    db: Database, name: str, role: str, province: str | None = None, *, by: str = "sipas"
) -> RoleChanged:
    """A new role (and an officer's province) for an account, effective on its next page."""
    if role not in ROLES:
        raise SipasError("users.bad_role", role=role, roles=list(ROLES))
    if role != "admin":
        _refuse_self(name, by, "set-role")
    province = _province_for(role, province)
    with db.begin() as connection:
        user = _account(connection, name)
        store.set_user(connection, name, role=role, province_code=province)
        audit.record(
            connection,
            actor=by,
            action="users.set_role",
            entity="user",
            entity_id=name,
            before={"role": user["role"], "province": user["province_code"]},
            after={"role": role, "province": province},
        )
    return {"name": name, "role": role, "province": province}


def get_user(db: Database, user_id: int) -> Account | None:
    with db.begin() as connection:
        return store.get_user_by_id(connection, user_id)


def actor_for(user: Account | SignedIn) -> Actor:
    return Actor(user["name"], user["role"], user["province_code"])
