"""Private pages are never stored by a browser or proxy; HSTS is sent when behind HTTPS."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from sipas.api import users
from sipas.settings import load_settings
from sipas.store import open_database
from sipas.web import create_app

PASSWORD = "mat-khau-dai-1"


def _client(tmp_path: Path, **settings: object) -> TestClient:
    db = open_database(f"sqlite:///{tmp_path / 'web.db'}")
    if not users.list_users(db):
        users.create_user(db, name="admin", role="admin", password=PASSWORD)
    app = create_app(load_settings(None, data_dir=tmp_path / "data", **settings), db)
    return TestClient(app, base_url="https://testserver")


def _login(client: TestClient) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    done = client.post(
        "/login",
        data={"name": "admin", "password": PASSWORD, "csrf": token.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303


def test_private_pages_are_no_store(tmp_path: Path) -> None:
    client = _client(tmp_path)
    # A visitor's public page may be cached; the sign-in form (it starts a session) may not.
    assert client.get("/").headers.get("cache-control") != "no-store"
    assert client.get("/login").headers["cache-control"] == "no-store"
    # Private addresses, even when they only answer "sign in first".
    for path in ("/workspace", "/workspace.json", "/clerk", "/workspace/x/D1/evidence/1"):
        answer = client.get(path, follow_redirects=False)
        assert answer.headers["cache-control"] == "no-store", path
    _login(client)
    for path in ("/workspace", "/workspace.json", "/clerk", "/"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store", path
    # Static files keep their caching, signed in or not.
    static = client.get("/static/site.css")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"
    assert "strict-transport-security" not in client.get("/").headers


def test_hsts_when_behind_https(tmp_path: Path) -> None:
    client = _client(tmp_path, behind_https=True)
    for path in ("/", "/login", "/health"):
        assert client.get(path).headers["strict-transport-security"] == (
            "max-age=31536000; includeSubDomains"
        )
