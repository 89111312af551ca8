"""The pages people use, in a real headless Chromium against the real app served over loopback.

Chromium comes from Debian (/usr/bin/chromium; the test command installs it), driven by Playwright.
Screenshots are kept in test-artifacts/browser/ for a look.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browsers import ARTIFACTS, launched_chromium, require_chromium
from par_fixtures import EVERY_RUBRIC
from servers import serving
from sipas.api import par, users
from sipas.api.demo import DemoOptions, run_demo
from sipas.settings import load_settings
from sipas.store import open_database
from upload_samples import MINIMAL_PDF

PASSWORD = "correct horse battery"

require_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from sipas.web import create_app

    folder = tmp_path_factory.mktemp("browser")
    db = open_database(f"sqlite:///{folder / 'site.db'}")
    db.upgrade()
    options = DemoOptions(
        seed=5,
        years=(2025,),
        respondents_per_province=30,
        dossiers=3_000,
        dossier_folder=folder / "data" / "dossiers",  # where the app's settings look
    )
    run_demo(db, options)
    users.create_user(db, name="officer01", role="officer", password=PASSWORD, province="01")
    users.create_user(db, name="boss", role="admin", password=PASSWORD)
    users.create_user(db, name="lan", role="analyst", password=PASSWORD)
    framework = folder / "every-rubric.yaml"
    framework.write_text(EVERY_RUBRIC, encoding="utf-8")
    admin = par.Actor("admin", "admin")
    par.create_campaign(db, admin, code="open-2025", framework=str(framework), year=2025)
    par.assign(db, admin, "open-2025", user="officer01", role="self_assessor", unit="01")
    app = create_app(load_settings(None, data_dir=folder / "data"), db)
    with serving(app) as base:
        yield base
    db.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


def test_ranking_page_draws_its_chart(server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/sipas")
    page.wait_for_selector("#ranking-chart[data-drawn='true']", timeout=15_000)
    assert page.locator("#ranking-chart .main-svg").count() > 0  # Plotly drew SVG
    assert page.locator("table tbody tr").count() == 34
    page.wait_for_selector("#map-chart[data-drawn='true']")  # the tile map of the 34
    assert page.locator("#map-chart .heatmaplayer").count() == 1
    assert "DỮ LIỆU GIẢ LẬP" in page.inner_text(".synthetic")
    page.screenshot(path=str(ARTIFACTS / "sipas-ranking.png"), full_page=True)
    page.click("text=English")
    page.wait_for_selector("#ranking-chart[data-drawn='true']")
    assert "SYNTHETIC DATA" in page.inner_text(".synthetic")
    assert not errors, errors
    page.close()


def test_officer_uploads_evidence(server: str, browser: Any, tmp_path: Path) -> None:
    evidence = tmp_path / "ke-hoach.pdf"
    evidence.write_bytes(MINIMAL_PDF)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/workspace/open-2025/01")
    page.fill("#name", "officer01")  # redirected to the login page first
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/workspace/open-2025/01")
    page.fill("#points-1\\.5", "1.5")
    page.fill("#note-1\\.5", "sáng kiến được công nhận")
    page.click("#save-1")  # the area's form (1.5 is in area 1)
    page.wait_for_selector("#saved")
    page.set_input_files("#file-1\\.5", str(evidence))
    page.locator("button[form='upload-1.5']").click()
    page.wait_for_selector("#evidence li")
    assert "ke-hoach.pdf" in page.inner_text("#evidence")
    assert "1,50" in page.inner_text("#leaf-1\\.5")  # Vietnamese decimal comma
    page.screenshot(path=str(ARTIFACTS / "officer-evidence.png"), full_page=True)
    page.close()


def test_service_index_pages_draw_their_charts(server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/")
    page.click("nav >> text=Chỉ số phục vụ (QĐ 766)")
    page.wait_for_selector("#ranking-chart[data-drawn='true']", timeout=15_000)
    assert page.locator("#ranking tbody tr").count() == 34
    assert "DỮ LIỆU GIẢ LẬP" in page.inner_text(".synthetic")
    page.select_option("#period", "2025-Q2")
    page.click("form button[type=submit]")
    page.wait_for_url("**period=2025-Q2")
    page.wait_for_selector("#ranking-chart[data-drawn='true']")
    page.screenshot(path=str(ARTIFACTS / "service-index-ranking.png"), full_page=True)
    first = page.locator("#ranking tbody tr th a").first
    name = first.inner_text()
    first.click()
    page.wait_for_selector("#trend-chart[data-drawn='true']", timeout=15_000)
    assert name in page.inner_text("h1")
    assert page.locator("#indicators tr[id^='ind-']").count() >= 20
    page.screenshot(path=str(ARTIFACTS / "service-index-unit.png"), full_page=True)
    assert not errors, errors
    page.close()


def _log_in(page: Any, server: str, name: str, target: str) -> None:
    page.goto(f"{server}{target}")
    page.fill("#name", name)  # redirected to the login page first
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}{target}")


def test_admin_deactivates_an_account_and_its_session_ends(server: str, browser: Any) -> None:
    lan = browser.new_context(viewport={"width": 1280, "height": 900})
    lan_page = lan.new_page()
    _log_in(lan_page, server, "lan", "/workspace")
    boss = browser.new_context(viewport={"width": 1400, "height": 900})
    page = boss.new_page()
    _log_in(page, server, "boss", "/admin/users")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert "Tài khoản người dùng" in page.inner_text("h1")
    row = page.locator("#user-lan")
    assert "phân tích" in row.inner_text() and "Đang hoạt động" in row.inner_text()
    with page.expect_navigation():
        row.locator("button[value=deactivate]").click()
    assert "Đã khóa tài khoản lan" in page.inner_text("#accounts-notice")
    assert "Đã khóa" in page.locator("#user-lan").inner_text()
    page.screenshot(path=str(ARTIFACTS / "admin-accounts.png"), full_page=True)
    # lan's open session has ended: the next page asks to log in again.
    lan_page.goto(f"{server}/workspace")
    assert "/login" in lan_page.url
    # A new password, typed in the row's form, then the account back.
    page.locator("#user-lan input[name=password]").fill("a new long passphrase")
    with page.expect_navigation():
        page.locator("#user-lan button[value=reset_password]").click()
    assert "Đã đặt mật khẩu mới cho lan" in page.inner_text("#accounts-notice")
    with page.expect_navigation():
        page.locator("#user-lan button[value=activate]").click()
    assert "Đã mở lại tài khoản lan" in page.inner_text("#accounts-notice")
    boss.close()
    lan.close()
