"""Accounts and logging in: each refusal is its declared message, in Vietnamese and English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sipas.api import users
from sipas.api.par import Actor
from sipas.errors import SipasError
from sipas.store import Database, open_database

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
    assert waits.text("vi")[1] == f"Hãy thử lại sau {until:%H:%M} (giờ UTC)"


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(SipasError) as error:
        Actor("lan", "boss")
    assert error.value.code == "auth.bad_role"
    assert error.value.text("vi")[0] == "Không có vai trò 'boss'"
