"""Official published results beside our estimates, in a real headless Chromium.

Chromium comes from Debian (/usr/bin/chromium), driven by Playwright, as in test_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browsers import ARTIFACTS, launched_chromium, require_chromium
from servers import serving
from sipas.api.demo import DemoOptions, run_demo
from sipas.api.queries import public
from sipas.api.queries.public import indicator_names
from sipas.settings import load_settings
from sipas.store import open_database

require_chromium()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    from sipas.web import create_app

    folder = tmp_path_factory.mktemp("browser-published")
    db = open_database(f"sqlite:///{folder / 'site.db'}")
    options = DemoOptions(
        seed=8,
        years=(2023, 2024),
        respondents_per_province=20,
        provinces=("01", "19", "22", "30", "31"),
        dossiers=0,
    )
    run_demo(db, options)
    run = next(r["code"] for r in public.sipas_runs(db) if r["year"] == 2024)
    app = create_app(load_settings(None, data_dir=folder / "data"), db)
    with serving(app) as base:
        yield base, run
    db.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


def test_ranking_shows_published_results_beside_estimates(
    server: tuple[str, str], browser: Any
) -> None:
    base, run = server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/sipas/{run}?lang=vi")
    page.wait_for_selector("#ranking-chart[data-drawn='true']", timeout=15_000)
    # Two series drawn: our estimates with their intervals, the published values as diamonds.
    assert page.locator("#ranking-chart .scatterlayer .trace").count() == 2
    assert "Kết quả công bố" in page.inner_text("#ranking-chart")  # the legend
    note = page.inner_text("#published-note")
    assert "Kết quả công bố" in note and "83,94" in note and "+1,28" in note
    row = page.locator("table tbody tr", has_text="Thái Nguyên")
    assert row.locator("td.published-value").inner_text().strip() == "90,23"
    assert row.locator("td.published-rank").inner_text().startswith("2")
    page.screenshot(path=str(ARTIFACTS / "sipas-published-beside.png"), full_page=True)
    page.click(f"a[href='/sipas/{run}/province/19']")
    page.wait_for_selector("#trend-chart[data-drawn='true']", timeout=15_000)
    assert "90,23" in page.inner_text("#published-province")
    assert page.locator("#trend-chart .scatterlayer .trace").count() == 2
    # The profile: the province's points with their intervals, the national mean, the best;
    # elements named in Vietnamese on the axis, never by their codes.
    page.wait_for_selector("#profile-chart[data-drawn='true']", timeout=15_000)
    assert page.locator("#profile-chart .scatterlayer .trace").count() == 3
    axis = page.locator("#profile-chart .xaxislayer-above").text_content() or ""
    policy = indicator_names("sipas-gen2")["policy"]["vi"]
    assert "policy" not in axis and policy in axis
    page.screenshot(path=str(ARTIFACTS / "province-published.png"), full_page=True)
    assert not errors, errors
    page.close()


def test_published_page_draws_its_chart(server: tuple[str, str], browser: Any) -> None:
    base, _ = server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/par/published/2024?lang=vi")
    page.wait_for_selector("#ranking-chart[data-drawn='true']", timeout=15_000)
    row = page.locator("#published-units tbody tr", has_text="Thái Nguyên")
    assert "91,47" in row.inner_text() and "tăng 1 bậc" in row.inner_text()
    assert "88,37" in page.inner_text("#published-means")
    page.screenshot(path=str(ARTIFACTS / "par-published-2024.png"), full_page=True)
    page.click("text=English")
    page.wait_for_selector("#ranking-chart[data-drawn='true']")
    assert "Published results" in page.inner_text("h1")
    assert not errors, errors
    page.close()
