"""The API docs page in a real headless Chromium, with every address off this machine blocked:
the bundled Swagger UI reads the OpenAPI document FastAPI serves and lists the operations, under
the same Content-Security-Policy as every page (no inline script, nothing refused)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

from browsers import ARTIFACTS, launched_chromium, require_chromium
from servers import serving
from sipas.settings import load_settings
from sipas.store import open_database

pytestmark = pytest.mark.browser

require_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from sipas.web import create_app

    folder = tmp_path_factory.mktemp("api_docs")
    db = open_database(f"sqlite:///{folder / 'site.db'}")
    with serving(create_app(load_settings(None, data_dir=folder / "data"), db)) as base:
        yield base
    db.close()


def test_the_api_docs_list_their_operations_offline(server: str) -> None:
    outside: list[str] = []
    errors: list[str] = []

    def only_here(route: Any) -> None:
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:  # a CDN or anything else: the page must not need it
            outside.append(route.request.url)
            route.abort()

    with launched_chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", only_here)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        answer = page.goto(f"{server}/api/docs")
        assert answer is not None
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        page.wait_for_selector(".opblock", timeout=20_000)
        operations = page.locator(".opblock-summary-path").all_inner_texts()
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)
        text = page.inner_text("body")
    assert outside == []
    assert errors == []
    assert "Unable to render this definition" not in text
    paths = {p.replace("\u200b", "").strip() for p in operations}
    assert "/api/survey/{token}" in paths
    assert "/sipas/{run}/report.{kind}" in paths
    assert len(paths) >= 10
