"""Accounts: sessions the server ends (logout, a new password, deactivation), the `sipas users`
commands and the admin's accounts page, every change audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from servers import fresh_database
from sipas.api import users
from sipas.errors import SipasError
from sipas.settings import load_settings
from sipas.store import Database, audit, open_database
from sipas.web import create_app

PASSWORD = "correct horse battery"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    with fresh_database(request.param, tmp_path, "sipas_accounts") as db:
        for name, role in (("boss", "admin"), ("lan", "analyst"), ("clerk", "clerk")):
            users.create_user(db, name=name, role=role, password=PASSWORD)
        settings = load_settings(None, data_dir=tmp_path / "data")
        yield {"db": db, "app": create_app(settings, db)}


def _csrf(client: TestClient, path: str = "/login") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def _client(site: dict[str, Any], who: str, password: str = PASSWORD) -> TestClient:
    client = TestClient(site["app"], base_url="https://testserver")
    response = client.post(
        "/login",
        data={"name": who, "password": password, "csrf": _csrf(client), "next": "/workspace"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def _copy(client: TestClient, site: dict[str, Any]) -> TestClient:
    """Another client holding a copy of the session cookie (as a thief would)."""
    thief = TestClient(site["app"], base_url="https://testserver")
    thief.cookies.set("sipas_session", client.cookies["sipas_session"])
    return thief


def _history(db: Database, name: str) -> list[tuple[str, str]]:
    with db.begin() as connection:
        rows = audit.history(connection, "user", name)
    return [(r["action"], r["actor"]) for r in rows]


def test_a_session_copied_before_logout_is_refused_after(site: dict[str, Any]) -> None:
    lan = _client(site, "lan")
    elsewhere = _client(site, "lan")  # another device of the same user
    thief = _copy(lan, site)
    assert thief.get("/workspace.json").status_code == 200
    out = lan.post("/logout", data={"csrf": _csrf(lan, "/workspace")}, follow_redirects=False)
    assert out.status_code == 303
    assert thief.get("/workspace.json").status_code == 401
    assert lan.get("/workspace.json").status_code == 401
    assert elsewhere.get("/workspace.json").status_code == 401  # logout ends every session
    assert ("auth.logout", "lan") in _history(site["db"], "lan")
    again = _client(site, "lan")  # logging in again works
    assert again.get("/workspace.json").status_code == 200


def test_a_new_password_and_deactivation_end_every_session(site: dict[str, Any]) -> None:
    lan = _client(site, "lan")
    users.reset_password(site["db"], "lan", "another long passphrase", by="boss")
    assert lan.get("/workspace.json").status_code == 401
    lan = _client(site, "lan", "another long passphrase")
    users.set_active(site["db"], "lan", False, by="boss")
    assert lan.get("/workspace.json").status_code == 401
    users.set_active(site["db"], "lan", True, by="boss")
    assert lan.get("/workspace.json").status_code == 401  # activation revives no old session


def _act(client: TestClient, name: str, action: str, **form: str) -> Any:
    token = _csrf(client, "/admin/users")
    return client.post(
        f"/admin/users/{name}?lang=vi",
        data={"action": action, "csrf": token, **form},
        follow_redirects=True,
    )


def test_the_accounts_page(site: dict[str, Any]) -> None:
    boss = _client(site, "boss")
    page = boss.get("/admin/users?lang=vi")
    assert page.status_code == 200
    assert "Tài khoản người dùng" in page.text and "phân tích" in page.text
    listing = boss.get("/admin/users.json").json()
    assert [u["name"] for u in listing["users"]] == ["boss", "clerk", "lan"]
    for who in ("lan", "clerk"):
        assert _client(site, who).get("/admin/users").status_code == 403
    anonymous = TestClient(site["app"], base_url="https://testserver")
    assert anonymous.get("/admin/users.json").status_code == 401
    # Without the form's token nothing changes.
    forged = boss.post("/admin/users/lan", data={"action": "deactivate"}, follow_redirects=False)
    assert forged.status_code == 403
    assert users.list_users(site["db"])[2]["active"]

    lan = _client(site, "lan")
    done = _act(boss, "lan", "deactivate")
    assert "Đã khóa tài khoản lan" in done.text and "Đã khóa" in done.text
    assert lan.get("/workspace.json").status_code == 401
    assert "Đã mở lại tài khoản lan" in _act(boss, "lan", "activate").text
    weak = _act(boss, "lan", "reset_password", password="short")
    assert "Mật khẩu có 5 ký tự; cần ít nhất 10 ký tự" in weak.text
    assert (
        "Đã đặt mật khẩu mới cho lan"
        in _act(boss, "lan", "reset_password", password="a new long passphrase").text
    )
    _client(site, "lan", "a new long passphrase")
    assert "không phải chờ" in _act(boss, "lan", "unlock").text
    assert (
        "lan: vai trò cán bộ tỉnh, tỉnh 79"
        in _act(boss, "lan", "set_role", role="officer", province="79").text
    )
    refused = _act(boss, "boss", "deactivate")
    assert "không được tự làm việc này" in refused.text
    assert _act(boss, "ghost", "unlock").text.count("Không có người dùng tên &#39;ghost&#39;") == 1
    # The admin's own new password keeps the admin's session.
    _act(boss, "boss", "reset_password", password="the boss's new phrase")
    assert boss.get("/admin/users.json").status_code == 200
    assert _history(site["db"], "lan") == [
        ("users.create", "sipas"),
        ("users.deactivate", "boss"),
        ("users.activate", "boss"),
        ("users.reset_password", "boss"),
        ("users.unlock", "boss"),
        ("users.set_role", "boss"),
    ]


def test_the_users_commands(run_cli: Any, tmp_path: Path) -> None:
    created = run_cli("users", "create", "lan", "--role", "analyst", "--password", PASSWORD)
    assert created.exit_code == 0, created.output
    db = open_database(load_settings(None).resolved_database_url())
    lan = users.authenticate(db, "lan", PASSWORD)

    result = run_cli("--lang", "vi", "users", "deactivate", "lan")
    assert result.exit_code == 0, result.output
    assert "Đã khóa tài khoản lan" in result.output
    assert users.get_user(db, lan["id"])["active"] is False  # type: ignore[index]
    assert users.get_user(db, lan["id"])["session_epoch"] == lan["session_epoch"] + 1  # type: ignore[index]
    with pytest.raises(SipasError, match=r"wrong user name"):
        users.authenticate(db, "lan", PASSWORD)

    result = run_cli("--lang", "en", "users", "activate", "lan")
    assert result.exit_code == 0 and "lan is active again" in result.output
    users.authenticate(db, "lan", PASSWORD)

    result = run_cli("users", "reset-password", "lan", "--password", "a new long passphrase")
    assert result.exit_code == 0 and "Đã đặt mật khẩu mới cho lan" in result.output
    users.authenticate(db, "lan", "a new long passphrase")
    weak = run_cli("users", "reset-password", "lan", "--password", "short")
    assert weak.exit_code == 1 and "[users.weak_password]" in weak.output

    for _ in range(users.MAX_FAILURES):
        with pytest.raises(SipasError, match=r"wrong user name"):
            users.authenticate(db, "lan", "wrong password")
    with pytest.raises(SipasError, match=r"too many failed logins"):
        users.authenticate(db, "lan", "a new long passphrase")
    result = run_cli("users", "unlock", "lan")
    assert result.exit_code == 0 and "Đã xóa các lần đăng nhập sai của lan" in result.output
    users.authenticate(db, "lan", "a new long passphrase")

    result = run_cli("--lang", "en", "users", "set-role", "lan", "officer", "--province", "1")
    assert result.exit_code == 0 and "lan: role officer, province 01" in result.output
    missing = run_cli("users", "set-role", "lan", "officer")
    assert missing.exit_code == 1 and "[users.province_required]" in missing.output
    unknown = run_cli("users", "unlock", "ghost")
    assert unknown.exit_code == 1 and "[users.unknown]" in unknown.output

    actions = [a for a, actor in _history(db, "lan") if actor.startswith("cli")]
    assert actions == [
        "users.deactivate",
        "users.activate",
        "users.reset_password",
        "users.unlock",
        "users.set_role",
    ]
    db.close()


def test_a_throttled_login_says_when_to_come_back(site: dict[str, Any]) -> None:
    client = TestClient(site["app"], base_url="https://testserver")
    token = _csrf(client)
    form = {"name": "lan", "password": "wrong password", "csrf": token}
    answers = [client.post("/login?lang=vi", data=form) for _ in range(users.MAX_FAILURES)]
    assert [a.status_code for a in answers] == [401] * users.MAX_FAILURES
    waits = client.post("/login?lang=vi", data={**form, "password": PASSWORD})
    assert waits.status_code == 429 and 1 <= int(waits.headers["retry-after"]) <= 2
    assert "Đăng nhập sai quá nhiều lần liên tiếp" in waits.text
    assert "Hãy thử lại sau" in waits.text


def test_changing_ones_own_password_ends_the_other_sessions(site: dict[str, Any]) -> None:
    here = _client(site, "lan")
    elsewhere = _client(site, "lan")
    token = _csrf(here, "/account/password?lang=vi")
    form = {"csrf": token, "current": "not my password", "new": "my brand new phrase"}
    wrong = here.post("/account/password?lang=vi", data=form)
    assert wrong.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
    weak = here.post("/account/password?lang=vi", data={**form, "current": PASSWORD, "new": "x"})
    assert weak.status_code == 400 and "cần ít nhất 10 ký tự" in weak.text
    done = here.post("/account/password?lang=vi", data={**form, "current": PASSWORD})
    assert done.status_code == 200 and "Đã đổi mật khẩu" in done.text  # after the redirect
    assert here.get("/workspace.json").status_code == 200  # this session goes on
    assert elsewhere.get("/workspace.json").status_code == 401  # the others have ended
    _client(site, "lan", "my brand new phrase")
    assert ("users.reset_password", "lan") in _history(site["db"], "lan")
    anonymous = TestClient(site["app"], base_url="https://testserver")
    assert anonymous.get("/account/password.json").status_code == 401
