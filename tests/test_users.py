"""Accounts and logging in: each refusal is its declared message, in Vietnamese and English."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from servers import fresh_database
from sipas.api import users
from sipas.api.par import Actor
from sipas.errors import SipasError
from sipas.store import Database, open_database
from sipas.store.schema import audit_log, login_throttle

PASSWORD = "một cụm mật khẩu dài"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'users.db'}")
    database.upgrade()
    yield database
    database.close()


def _refused(call: object, **kwargs: object) -> SipasError:
    with pytest.raises(SipasError) as error:
        call(**kwargs)  # type: ignore[operator]
    return error.value


def test_account_refusals_say_what_and_what_to_do(db: Database) -> None:
    weak = _refused(users.create_user, db=db, name="lan", role="analyst", password="short")
    assert weak.code == "users.weak_password" and weak.status == 400
    assert weak.values == {"length": 5, "minimum": users.MIN_PASSWORD}
    assert weak.text("vi")[0] == "Mật khẩu có 5 ký tự; cần ít nhất 10 ký tự"
    role = _refused(users.create_user, db=db, name="lan", role="boss", password=PASSWORD)
    assert role.code == "users.bad_role"
    assert role.text("en") == (
        "unknown role 'boss'",
        "roles: admin, analyst, officer, appraiser, clerk",
    )
    nowhere = _refused(users.create_user, db=db, name="an", role="officer", password=PASSWORD)
    assert nowhere.code == "users.province_required" and "—" in nowhere.message
    extra = _refused(
        users.create_user, db=db, name="lan", role="analyst", password=PASSWORD, province="01"
    )
    assert extra.text("vi")[0].endswith("vai trò phân tích thì không")
    assert _refused(users.create_user, db=db, name=" ", role="admin", password=PASSWORD).code == (
        "users.bad_name"
    )
    users.create_user(db, name="lan", role="analyst", password=PASSWORD)
    again = _refused(users.create_user, db=db, name="lan", role="analyst", password=PASSWORD)
    assert again.code == "users.exists" and again.status == 409
    assert again.text("vi")[0] == "Đã có người dùng tên 'lan'"


def test_login_refusals(db: Database) -> None:
    users.create_user(db, name="lan", role="analyst", password=PASSWORD)
    wrong = _refused(users.authenticate, db=db, name="lan", password="wrong password")
    assert wrong.code == "auth.failed" and wrong.status == 401 and wrong.values == {}
    assert wrong.text("vi") == ("Sai tên đăng nhập hoặc mật khẩu", None)
    for _ in range(users.MAX_FAILURES - 1):
        _refused(users.authenticate, db=db, name="lan", password="wrong password")
    waits = _refused(users.authenticate, db=db, name="lan", password=PASSWORD)
    assert waits.code == "auth.throttled" and waits.status == 429
    until = waits.values["until"]
    assert waits.text("vi")[1] == f"Hãy thử lại sau {until:%H:%M:%S} (giờ UTC)"


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(SipasError) as error:
        Actor("lan", "boss")
    assert error.value.code == "auth.bad_role"
    assert error.value.text("vi")[0] == "Không có vai trò 'boss'"


def _checked(db: Database, name: str) -> int:
    """Passwords checked and found wrong for ``name``: each writes one audit row."""
    with db.begin() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(audit_log)
                .where(audit_log.c.action == "auth.failed", audit_log.c.entity_id == name)
            ).scalar_one()
        )


def _attempt(db: Database, name: str, password: str, address: str | None = "10.0.0.1") -> str:
    try:
        users.authenticate(db, name, password, address)
    except SipasError as error:
        return error.code
    return "ok"


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_parallel_wrong_passwords_are_checked_at_most_five_times(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path, "sipas_login") as db:
        users.create_user(db, name="admin", role="admin", password=PASSWORD)
        with ThreadPoolExecutor(30) as pool:
            answers = list(
                pool.map(lambda i: _attempt(db, "admin", f"guess number {i}"), range(30))
            )
        assert _checked(db, "admin") == users.MAX_FAILURES
        assert answers.count("auth.failed") == users.MAX_FAILURES
        assert answers.count("auth.throttled") == 30 - users.MAX_FAILURES
        # Even the right password now waits, and is not checked.
        assert _attempt(db, "admin", PASSWORD) == "auth.throttled"
        # An unknown name is counted, checked and throttled the same way.
        with ThreadPoolExecutor(30) as pool:
            unknown = list(pool.map(lambda i: _attempt(db, "nobody", f"guess {i}"), range(30)))
        assert sorted(unknown) == sorted(answers)
        assert _checked(db, "nobody") == users.MAX_FAILURES


def test_waits_grow_and_end(db: Database) -> None:
    users.create_user(db, name="lan", role="analyst", password=PASSWORD)
    assert users.wait_after(4, 5) is None
    assert [users.wait_after(n, 5).total_seconds() for n in (5, 6, 7, 12)] == [2, 4, 8, 256]  # type: ignore[union-attr]
    assert users.wait_after(40, 5) == users.MAX_WAIT
    for _ in range(users.MAX_FAILURES):
        assert _attempt(db, "lan", "wrong password") == "auth.failed"
    refused = _refused(users.authenticate, db=db, name="lan", password=PASSWORD)
    wait = refused.values["until"] - datetime.now(UTC)
    assert timedelta(seconds=0) < wait <= timedelta(seconds=2)
    time.sleep(wait.total_seconds() + 0.1)
    # After the wait one attempt is checked: wrong, it doubles the wait; right, it clears it.
    assert _attempt(db, "lan", "wrong again!") == "auth.failed"
    refused = _refused(users.authenticate, db=db, name="lan", password=PASSWORD)
    wait = refused.values["until"] - datetime.now(UTC)
    assert timedelta(seconds=2) < wait <= timedelta(seconds=4)
    time.sleep(wait.total_seconds() + 0.1)
    assert _attempt(db, "lan", PASSWORD) == "ok"
    with db.begin() as connection:
        row = connection.execute(
            select(login_throttle).where(login_throttle.c.key == "account:lan")
        ).one()
    assert row.failures == 0 and row.blocked_until is None
    assert _checked(db, "lan") == users.MAX_FAILURES + 1


def test_one_address_guessing_many_names_waits(db: Database) -> None:
    for i in range(users.ADDRESS_FAILURES):
        assert _attempt(db, f"name{i}", "wrong password", "192.0.2.7") == "auth.failed"
    # The address waits, whatever name it tries; another address does not.
    assert _attempt(db, "fresh", "wrong password", "192.0.2.7") == "auth.throttled"
    assert _attempt(db, "fresh", "wrong password", "192.0.2.8") == "auth.failed"
    # A refused attempt counted for no key: "fresh" has one failure, not two.
    with db.begin() as connection:
        failures = connection.execute(
            select(login_throttle.c.failures).where(login_throttle.c.key == "account:fresh")
        ).scalar_one()
    assert failures == 1


def test_a_stale_count_starts_again(db: Database) -> None:
    users.create_user(db, name="lan", role="analyst", password=PASSWORD)
    for _ in range(users.MAX_FAILURES - 1):
        _attempt(db, "lan", "wrong password")
    with db.begin() as connection:  # the last failure was over an hour ago
        connection.execute(
            update(login_throttle)
            .where(login_throttle.c.key == "account:lan")
            .values(last_at=datetime.now(UTC) - users.FRESH - timedelta(minutes=1))
        )
    assert _attempt(db, "lan", "wrong password") == "auth.failed"
    assert _attempt(db, "lan", "wrong password") == "auth.failed"  # 2 in a row, not 6


def test_an_inactive_account_answers_as_an_unknown_name(db: Database) -> None:
    users.create_user(db, name="lan", role="analyst", password=PASSWORD)
    users.set_active(db, "lan", False, by="boss")
    assert _attempt(db, "lan", PASSWORD) == "auth.failed"
    assert _attempt(db, "ghost", PASSWORD) == "auth.failed"
    users.set_active(db, "lan", True, by="boss")
    assert _attempt(db, "lan", PASSWORD) == "ok"


def test_account_changes_are_audited_and_end_sessions(db: Database) -> None:
    from sipas.store import audit

    lan = users.create_user(db, name="lan", role="analyst", password=PASSWORD)
    epoch = users.get_user(db, lan["id"])["session_epoch"]  # type: ignore[index]
    users.set_active(db, "lan", False, by="boss")
    users.set_active(db, "lan", True, by="boss")
    users.reset_password(db, "lan", "another long passphrase", by="boss")
    for _ in range(users.MAX_FAILURES):
        _attempt(db, "lan", "wrong password")
    assert users.unlock(db, "lan", by="boss") == {"name": "lan", "unlocked": True}
    assert _attempt(db, "lan", "another long passphrase") == "ok"
    assert users.set_role(db, "lan", "officer", "79", by="boss")["province"] == "79"
    # Deactivating and a new password each ended every session.
    assert users.get_user(db, lan["id"])["session_epoch"] == epoch + 2  # type: ignore[index]
    with db.begin() as connection:
        rows = audit.history(connection, "user", "lan")
    changes = [(r["action"], r["actor"]) for r in rows if r["action"] != "auth.failed"]
    assert changes == [
        ("users.create", "sipas"),
        ("users.deactivate", "boss"),
        ("users.activate", "boss"),
        ("users.reset_password", "boss"),
        ("users.unlock", "boss"),
        ("users.set_role", "boss"),
    ]
    assert rows[-1]["before"] == {"role": "analyst", "province": None}
    assert rows[-1]["after"] == {"role": "officer", "province": "79"}
    assert "another" not in str([r["after"] for r in rows])  # never the password


def test_account_changes_refused(db: Database) -> None:
    users.create_user(db, name="boss", role="admin", password=PASSWORD)
    unknown = _refused(users.set_active, db=db, name="ghost", active=False)
    assert unknown.code == "users.unknown" and unknown.status == 404
    assert unknown.text("vi")[0] == "Không có người dùng tên 'ghost'"
    self_lock = _refused(users.set_active, db=db, name="boss", active=False, by="boss")
    assert self_lock.code == "users.not_yourself" and self_lock.status == 409
    assert _refused(users.set_role, db=db, name="boss", role="clerk", by="boss").code == (
        "users.not_yourself"
    )
    weak = _refused(users.reset_password, db=db, name="boss", password="short")
    assert weak.code == "users.weak_password"
    assert _refused(users.set_role, db=db, name="boss", role="king").code == "users.bad_role"
    assert _refused(users.set_role, db=db, name="boss", role="officer").code == (
        "users.province_required"
    )
