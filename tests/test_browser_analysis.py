"""The compare page with several provinces, in a real headless Chromium: a visitor types province
names into the compare box and the chart draws each of them with its intervals against the
national mean.

Chromium comes from Debian (/usr/bin/chromium), driven by Playwright, as in test_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browsers import ARTIFACTS, launched_chromium, require_chromium
from servers import serving
from sipas.api.demo import DemoOptions, run_demo
from sipas.settings import load_settings
from sipas.store import open_database

pytestmark = pytest.mark.browser


require_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from sipas.web import create_app

    folder = tmp_path_factory.mktemp("browser-analysis")
    db = open_database(f"sqlite:///{folder / 'site.db'}")
    options = DemoOptions(
        seed=9,
        years=(2024,),
        respondents_per_province=30,
        provinces=("01", "19", "31", "79"),
        dossiers=0,
    )
    run_demo(db, options)
    app = create_app(load_settings(None, data_dir=folder / "data"), db)
    with serving(app) as base:
        yield base
    db.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


def test_the_compare_page_draws_the_provinces_typed(server: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/sipas/demo-sipas-2024/compare?a=01&b=79&lang=vi")
    page.wait_for_selector("#compare-chart[data-drawn='true']", timeout=15_000)
    # Names as people type them, three provinces at once.
    page.fill("#provinces", "Hà Nội, thai nguyen, TP.HCM")
    page.click("#compare-form button[type=submit]")
    page.wait_for_url("**/compare?provinces=*")
    page.wait_for_selector("#compare-chart[data-drawn='true']", timeout=15_000)
    chart = page.inner_text("#compare-chart")
    for name in ("Hà Nội", "Thái Nguyên", "Hồ Chí Minh", "Trung bình cả nước"):
        assert name in chart  # the legend: a series per province, and the national mean
    # Three provinces and the national mean drawn; each province with its interval whiskers.
    assert page.locator("#compare-chart .scatterlayer .trace").count() == 4
    assert page.locator("#compare-chart .scatterlayer .trace .errorbar").count() > 0
    header = page.locator("#compare-table thead th").all_inner_texts()
    assert header[1:4] == ["Hà Nội", "Thái Nguyên", "Hồ Chí Minh"]
    page.screenshot(path=str(ARTIFACTS / "compare-provinces.png"), full_page=True)
    # A peer set: the first province against the top five.
    page.select_option("#with", "top5")
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#peers-table", timeout=15_000)
    page.wait_for_selector("#compare-chart[data-drawn='true']", timeout=15_000)
    assert "5 tỉnh dẫn đầu" in page.inner_text("h2")
    assert page.locator("#compare-chart .scatterlayer .trace").count() == 5  # itself, 3, national
    assert not errors, errors
    page.close()
