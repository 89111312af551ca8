"""Official published results on the public pages, beside our estimates, with JSON twins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from servers import fresh_database
from sipas.api import published as published_api
from sipas.api.demo import DemoOptions, run_demo
from sipas.api.queries import public
from sipas.settings import load_settings
from sipas.web import create_app

SYNTHETIC_XLSX = (
    Path(__file__).resolve().parent / "data" / "published" / "par_2024_annex_synthetic.xlsx"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("published-web")
    with fresh_database("sqlite", folder, "published") as db:
        options = DemoOptions(
            seed=7,
            years=(2023, 2024),
            respondents_per_province=20,
            provinces=("01", "19", "31"),
            dossiers=0,
        )
        run_demo(db, options)
        app = create_app(load_settings(None, data_dir=folder / "data"), db)
        runs = {r["year"]: r["code"] for r in public.sipas_runs(db) if not r["derived"]}
        yield {"db": db, "client": TestClient(app, base_url="https://testserver"), "runs": runs}


def test_the_sipas_ranking_shows_published_results_beside_estimates(site: dict[str, Any]) -> None:
    client, run = site["client"], site["runs"][2024]
    data = client.get(f"/sipas/{run}.json").json()
    rows = {r["code"]: r for r in data["rows"]}
    # Seed article: Thái Nguyên 90.23, 2nd; our (synthetic) estimate stays beside it.
    assert rows["19"]["published"]["value"] == 90.23 and rows["19"]["published"]["rank"] == 2
    assert rows["19"]["estimate"] is not None
    assert data["published"]["national"]["value"] == 83.94
    assert data["published"]["national"]["change"] == 1.28
    assert data["published"]["page"] == "/sipas/published/2024"
    traces = data["charts"]["ranking"]["data"]
    assert len(traces) == 2 and "error_x" in traces[0]  # our CIs, then the published diamonds
    assert traces[1]["name"] == "Kết quả công bố"
    page = client.get(f"/sipas/{run}?lang=vi").text
    assert "Kết quả công bố" in page and "90,23" in page and "83,94" in page
    english = client.get(f"/sipas/{run}?lang=en").text
    assert "Published results" in english and "90.23" in english


def test_the_province_page_shows_its_published_result(site: dict[str, Any]) -> None:
    client, run = site["client"], site["runs"][2024]
    data = client.get(f"/sipas/{run}/province/19.json").json()
    assert data["published"]["value"] == 90.23 and data["published"]["rank"] == 2
    years = [p["year"] for p in data["published_trend"]]
    assert 2023 in years and 2024 in years
    assert len(data["charts"]["trend"]["data"]) == 2
    assert data["published_par"]["value"] == 91.47 and data["published_par"]["rank_change"] == 1
    page = client.get(f"/sipas/{run}/province/19?lang=vi").text
    assert 'id="published-province"' in page and "90,23" in page
    assert 'id="published-province-par"' in page and "tăng 1 bậc" in page


def test_published_pages_and_their_twins(site: dict[str, Any]) -> None:
    client = site["client"]
    data = client.get("/par/published/2024.json").json()
    (unit,) = [u for u in data["units"] if u["unit"] == "19"]
    assert (unit["value"], unit["rank"], unit["rank_change"]) == (91.47, 5, 1)
    page = client.get("/par/published/2024?lang=vi").text
    assert "Kết quả công bố" in page and "91,47" in page and "tăng 1 bậc" in page
    assert "88,37" in page and "chưa đủ" in page  # the computed mean says it is incomplete
    assert client.get("/sipas/published/2024").status_code == 200
    missing = client.get("/sipas/published/1990.json")
    assert missing.status_code == 404
    assert missing.json()["code"] == "published.no_results"


def test_an_import_moves_the_pages(site: dict[str, Any]) -> None:
    client = site["client"]
    before = client.get("/par/published/2024.json").json()
    published_api.import_file(site["db"], SYNTHETIC_XLSX)
    after = client.get("/par/published/2024.json").json()
    assert len(after["units"]) == len(before["units"]) + 63
    (computed,) = after["computed"]
    assert computed["complete"] and computed["value"] == 88.37


def test_the_par_ranking_shows_published_results_beside_ours(site: dict[str, Any]) -> None:
    client = site["client"]
    # The 2019 round (the demo also scores 2023 and 2024, newest first)
    campaign = next(c for c in public.par_campaigns(site["db"]) if c["year"] == 2019)
    data = client.get(f"/par/{campaign['code']}.json").json()
    assert data["year"] == 2019
    units = {u["unit"]: u for u in data["units"]}
    # news.gov.vn: PAR INDEX 2019 Hà Nội 84.64 (2nd), Hải Phòng 84.35 (4th), mean 81.15.
    assert units["01"]["published"]["value"] == 84.64 and units["01"]["published"]["rank"] == 2
    assert units["31"]["published"]["rank"] == 4
    assert units["19"]["published"] is None  # nothing published for Thái Nguyên in 2019
    assert data["published"]["national"]["value"] == 81.15
    page = client.get(f"/par/{campaign['code']}?lang=vi").text
    assert "Kết quả công bố" in page and "84,64" in page


def test_our_estimates_have_a_rank_change_too(site: dict[str, Any]) -> None:
    client = site["client"]
    now = client.get(f"/sipas/{site['runs'][2024]}.json").json()["rows"]
    before = {
        r["code"]: r["rank"] for r in client.get(f"/sipas/{site['runs'][2023]}.json").json()["rows"]
    }
    for row in now:
        assert row["rank_change"] == int(before[row["code"]]) - int(row["rank"])
        moved = row["rank_change"]
        expected = (
            "giữ nguyên thứ hạng"
            if moved == 0
            else f"{'tăng' if moved > 0 else 'giảm'} {abs(moved)} bậc"
        )
        assert row["rank_change_text"]["vi"] == expected


def test_the_home_page_links_every_published_year(site: dict[str, Any]) -> None:
    client = site["client"]
    page = client.get("/?lang=vi").text
    assert 'href="/sipas/published/2024"' in page and 'href="/par/published/2012"' in page
    assert 2024 in client.get("/.json").json()["published"]["sipas"]


def test_the_reports_show_published_results_beside_ours(site: dict[str, Any]) -> None:
    client, run = site["client"], site["runs"][2024]
    province = client.get(f"/sipas/{run}/province/19/report.html?lang=vi")
    assert province.status_code == 200
    assert "Kết quả công bố" in province.text and "90,23" in province.text
    assert "91,47" in province.text and "tăng 1 bậc" in province.text  # PAR INDEX 2024
    national = client.get(f"/sipas/{run}/report.html?lang=vi").text
    assert "Kết quả công bố" in national and "83,94" in national and "+1,28" in national
