"""From diagnosis to action on the web, in process on demo-like data: each page's JSON twin equals
what the CLI prints with `--format json` (through the real CLI on the same database), the compare
page takes province names as people type them, the published peers are the built-in figures, and
the cross-index view reads the same numbers as the pages it gathers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sipas.api.demo import DemoOptions, run_demo
from sipas.frameworks import load_builtin, require_survey
from sipas.published import builtin
from sipas.settings import load_settings
from sipas.store import open_database
from sipas.web import create_app

Z = 1.959963984540054
PROVINCES = ("01", "19", "31", "48", "79")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("web-analysis") / "data"
    folder.mkdir()
    db = open_database(f"sqlite:///{folder / 'sipas.db'}")
    run_demo(
        db,
        DemoOptions(
            seed=11,
            years=(2024, 2025),
            respondents_per_province=60,
            provinces=PROVINCES,
            dossiers=2_000,
            dossier_folder=folder / "dossiers",
        ),
    )
    app = create_app(load_settings(None, data_dir=folder), db)
    yield {"client": TestClient(app, base_url="https://testserver"), "data": folder, "db": db}
    db.close()


def _plain(value: Any) -> Any:
    """NaN (printed by the CLI as NaN) as JSON's null, which the web answers."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _cli_json(run_cli: Any, site: dict[str, Any], *args: str) -> Any:
    result = run_cli("--data-dir", str(site["data"]), *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return _plain(json.loads(result.stdout))


def _chart(page: str, name: str) -> dict[str, Any]:
    found = re.search(rf'data-chart="{name}">(.*?)</script>', page, re.S)
    assert found, f"no chart {name}"
    return dict(json.loads(found.group(1)))


# --- priorities ----------------------------------------------------------------------------------


def test_the_priorities_twin_is_the_cli_json(site: dict[str, Any], run_cli: Any) -> None:
    client = site["client"]
    twin = client.get("/sipas/demo-sipas-2024/province/19/priorities.json?lang=vi").json()
    cli = _cli_json(run_cli, site, "priorities", "--survey", "demo-sipas-2024", "--province",
                    "Thái Nguyên")  # fmt: skip
    assert twin == cli
    # The ranking is the rule written out: importance × (100 − performance) / 100, highest first.
    scored = [p for p in twin["components"] if p["score"] is not None]
    for p in scored:
        assert math.isclose(p["score"], p["importance"] * (100 - p["performance"]) / 100)
    assert [p["score"] for p in scored] == sorted((p["score"] for p in scored), reverse=True)
    first = [p for p in twin["components"] if p["quadrant"] == "improve_first"]
    assert first, "the demo province has something to improve first"
    page = client.get("/sipas/demo-sipas-2024/province/19/priorities?lang=vi").text
    assert page.count('class="improve-first"') == len(first)
    chart = _chart(page, "priorities-chart")
    shown = {name for trace in chart["data"] for name in trace["text"]}
    assert {twin["names"][p["node"]] for p in first} <= shown
    assert chart["data"][1]["x"] == [p["performance"] for p in first]
    assert "error_x" in chart["data"][1] and "error_y" in chart["data"][1]
    english = client.get("/sipas/demo-sipas-2024/province/19/priorities?lang=en").text
    assert "improve first" in english and "Administrative procedures" in english
    derived = client.get("/sipas/demo-sipas-2024-on-34/province/19/priorities.json")
    assert derived.status_code == 404 and derived.json()["code"] == "priorities.derived_run"


# --- sensitivity ---------------------------------------------------------------------------------


def test_sensitivity_is_computed_on_request_and_its_twin_is_the_cli_json(
    site: dict[str, Any], run_cli: Any
) -> None:
    client = site["client"]
    waiting = client.get("/sipas/demo-sipas-2024/sensitivity?lang=vi")
    assert waiting.status_code == 200
    assert 'id="sensitivity-form"' in waiting.text and "sensitivity-chart" not in waiting.text
    assert client.get("/sipas/demo-sipas-2024/sensitivity.json").json()["computed"] is False
    twin = client.get("/sipas/demo-sipas-2024/sensitivity.json?draws=60&seed=5").json()
    cli = _cli_json(run_cli, site, "sensitivity", "demo-sipas-2024", "--draws", "60",
                    "--seed", "5")  # fmt: skip
    assert twin == cli
    page = client.get("/sipas/demo-sipas-2024/sensitivity?draws=60&seed=5&lang=vi").text
    chart = _chart(page, "sensitivity-chart")
    method, sampling = chart["data"]
    units = sorted(twin["result"]["units"], key=lambda u: u["nominal_rank"])
    assert method["x"] == [float(u["nominal_rank"]) for u in units]
    # Each whisker reaches the interval's ends: method range and sampling rank interval.
    for i, u in enumerate(units):
        assert method["x"][i] + method["error_x"]["array"][i] == u["rank_high"]
        assert method["x"][i] - method["error_x"]["arrayminus"][i] == u["rank_low"]
        assert sampling["x"][i] + sampling["error_x"]["array"][i] == u["sampling_high"]
        assert u["sampling_low"] <= u["nominal_rank"] <= u["sampling_high"]
    assert "Hạng theo sai số mẫu (95%)" in page
    refused = client.get("/sipas/demo-sipas-2024/sensitivity.json?draws=5")
    assert refused.status_code == 422 and refused.json()["code"] == "sensitivity.draws"


# --- several provinces, peer sets, names as typed -------------------------------------------------


def test_the_compare_page_takes_several_provinces_by_name(site: dict[str, Any]) -> None:
    client = site["client"]
    asked = "Hà Nội, thai nguyen, TP.HCM"
    data = client.get("/sipas/demo-sipas-2025/compare.json", params={"provinces": asked}).json()
    side = data["side_by_side"]
    assert side["cells"] == ["01", "19", "79"]
    assert side["names"] == ["Hà Nội", "Thái Nguyên", "Hồ Chí Minh"]
    assert data["against"] is None  # three provinces: each against the national mean
    index = side["rows"][0]
    assert index["indicator"] == "SIPAS" and index["level"] == "index"
    assert {r["level"] for r in side["rows"]} == {"index", "subindex", "component"}
    ranking = client.get("/sipas/demo-sipas-2025.json").json()
    assert math.isclose(index["national"], ranking["national"]["estimate"], abs_tol=1e-4)
    saved = {r["code"]: r for r in ranking["rows"]}
    for row in side["rows"]:
        for p in row["provinces"]:
            assert math.isclose(p["difference"], p["estimate"] - row["national"], abs_tol=1e-9)
            significant = abs(p["difference"]) > Z * p["se"]
            assert (p["verdict"] != "not different") == significant
            assert p["low"] < p["estimate"] < p["high"]
    for p in index["provinces"]:
        assert math.isclose(p["estimate"], saved[p["cell"]]["estimate"], abs_tol=1e-4)
    # The same verdicts as the province page (one diagnosis).
    profile = client.get("/sipas/demo-sipas-2025/province/19.json").json()
    words = {"strength": "above", "weakness": "below", "not different": "not different"}
    mine = {e["indicator"]: words[e["verdict"]] for e in profile["elements"]}
    for row in side["rows"]:
        assert row["provinces"][1]["verdict"] == mine[row["indicator"]]
    page = client.get("/sipas/demo-sipas-2025/compare", params={"provinces": asked}).text
    chart = _chart(page, "compare-chart")
    assert [t["name"] for t in chart["data"]] == [*side["names"], "Trung bình cả nước"]
    assert chart["data"][-1]["x"] == [r["national"] for r in side["rows"]]
    # A name that means several provinces is refused with them; one outside the run, plainly.
    vague = client.get("/sipas/demo-sipas-2025/compare.json?provinces=Bình&lang=vi").json()
    assert vague["code"] in ("geo.ambiguous_name", "geo.partial_name")
    typo = client.get("/sipas/demo-sipas-2025/compare?provinces=Thai Nguen&lang=vi")
    assert typo.status_code == 404 and "Thái Nguyên" in typo.text  # the closest name offered
    absent = client.get("/sipas/demo-sipas-2025/compare.json?provinces=Cà Mau")
    assert absent.status_code == 404 and absent.json()["code"] == "compare.unknown_cell"


def test_peer_sets_on_the_web_equal_the_cli(site: dict[str, Any], run_cli: Any) -> None:
    client = site["client"]
    for peers in ("top5", "region", "thai nguyen,79"):
        data = client.get(
            "/sipas/demo-sipas-2024/compare.json",
            params={"provinces": "Hà Nội", "with": peers},
        ).json()
        cli = _cli_json(run_cli, site, "compare", "Hà Nội", "--run", "demo-sipas-2024",
                        "--with", peers)  # fmt: skip
        assert data["against"] == cli
        assert data["side_by_side"]["cells"] == [cli["cell"], *cli["peer_cells"]]
        if peers == "region":
            assert cli["peer_cells"] == ["31"]  # Hải Phòng, the other one of the Red River Delta
    assert cli["peer_cells"] == ["19", "79"]
    two = client.get("/sipas/demo-sipas-2024/compare.json?a=19&b=Hà Nội").json()
    assert two["against"]["peer_cells"] == ["01"]  # two provinces: the first against the second
    row = two["against"]["rows"][0]
    assert math.isclose(row["difference"], row["estimate"] - row["peers_mean"], abs_tol=1e-9)
    page = client.get("/sipas/demo-sipas-2024/compare?provinces=19&with=top5&lang=vi").text
    assert "so với 5 tỉnh dẫn đầu" in page and 'id="peers-table"' in page


# --- peers on published figures ---------------------------------------------------------------


def test_published_peers_are_the_built_in_figures(site: dict[str, Any], run_cli: Any) -> None:
    client = site["client"]
    path = "/sipas/published/2024/compare.json"
    twin = client.get(path, params={"province": "Thái Nguyên", "with": "top5"}).json()
    cli = _cli_json(run_cli, site, "compare", "Thái Nguyên", "--on", "published", "--year",
                    "2024", "--with", "top5")  # fmt: skip
    assert twin == cli
    assert twin["cell"] == "19" and twin["value"] == 90.23 and twin["rank"] == 2
    assert twin["tested"] is False and "no standard errors" in twin["note"]
    # The five highest published SIPAS 2024 values other than Thái Nguyên's, from the built-in
    # table read here on its own.
    shipped = {
        f.unit: f.value
        for f in builtin()
        if f.index == "sipas" and f.year == 2024 and not f.node and not f.report
        and f.unit.isdigit() and f.value is not None
    }  # fmt: skip
    top = sorted((u for u in shipped if u != "19"), key=lambda u: -shipped[u])[:5]
    assert [p["unit"] for p in twin["peer_values"]] == top
    assert [p["value"] for p in twin["peer_values"]] == [shipped[u] for u in top]
    total = twin["rows"][0]
    assert total["node"] == "SIPAS" and total["peers_with_value"] == 5
    assert math.isclose(total["peers_mean"], sum(shipped[u] for u in top) / 5)
    assert math.isclose(total["difference"], 90.23 - total["peers_mean"])
    listed = client.get(path, params={"province": "19", "with": "Hà Nội, Hà Giang"}).json()
    assert [(p["unit"], p["value"]) for p in listed["peer_values"]] == [("01", 86.5), ("02", None)]
    assert listed["rows"][0]["peers_with_value"] == 1
    assert listed["rows"][0]["peers_mean"] == 86.5
    page = client.get("/sipas/published/2024/compare?province=19&lang=vi").text
    assert "không kiểm định ý nghĩa thống kê" in page and "90,23" in page
    assert 'data-chart="published-compare-chart"' in page
    missing = client.get(path, params={"province": "Hà Giang"})
    assert missing.status_code == 404 and missing.json()["code"] == "compare.not_published"
    refused = run_cli("--data-dir", str(site["data"]), "compare", "19", "--on", "published")
    assert refused.exit_code == 1 and "[compare.year_needed]" in refused.output
    refused = run_cli("--data-dir", str(site["data"]), "compare", "19")
    assert refused.exit_code == 1 and "[compare.run_needed]" in refused.output


# --- one province across the three indices ------------------------------------------------------


def test_the_service_time_items_are_about_time() -> None:
    from sipas.api.queries.cross_index import SERVICE_TIME_ITEMS

    for framework_id, items in SERVICE_TIME_ITEMS.items():
        framework = require_survey(load_builtin(framework_id))
        texts = {i.code: i.text.vi.lower() for i in framework.satisfaction.items}
        for code in items:
            assert any(w in texts[code] for w in ("thời gian", "thời hạn", "ngày hẹn")), code


def test_the_cross_index_view_reads_each_index(site: dict[str, Any], run_cli: Any) -> None:
    client = site["client"]
    data = client.get("/sipas/demo-sipas-2025/province/19/cross-index.json").json()
    series = {s["key"]: s for s in data["series"]}
    assert set(series) == {"sipas:Q9_22", "sipas:Q9_28", "service_index:P1"}
    rounds = _cli_json(run_cli, site, "par", "campaign", "list")
    final = sorted(c["code"] for c in rounds if c["stage"] == "final")
    assert len(final) >= 2  # the demo's PAR rounds (2019, 2023, 2024) …
    assert data["left_out"]["par"] == len(final)  # … are all on the 63 provinces
    saved = _cli_json(run_cli, site, "results", "show", "demo-sipas-2025")
    rows = saved["rows"] if isinstance(saved, dict) else saved
    item = next(r for r in rows if r["cell"] == "19" and r["indicator"] == "Q9_22")
    point = next(p for p in series["sipas:Q9_22"]["points"] if p["year"] == 2025)
    assert (point["value"], point["low"], point["high"]) == (
        item["estimate"], item["ci_low"], item["ci_high"],
    )  # fmt: skip
    assert [p["derived"] for p in series["sipas:Q9_22"]["points"]] == [True, False]  # 2024 on 34
    unit = client.get("/service-index/2025/unit/19.json").json()
    on_time = next(i for i in unit["indicators"] if i["indicator"] == "P1")
    (year,) = series["service_index:P1"]["points"]
    assert year["year"] == 2025
    assert math.isclose(year["value"], 100 * on_time["numerator"] / on_time["denominator"])
    older = client.get("/sipas/demo-sipas-2024/province/19/cross-index.json").json()
    keys = {s["key"] for s in older["series"]}
    assert keys == {"sipas:Q9_22", "sipas:Q9_28", "par:procedures"}
    assert older["left_out"]["service_index"] == 1  # the dossiers are on the 34 provinces
    points = next(s for s in older["series"] if s["key"] == "par:procedures")["points"]
    assert len(points) == len(final)  # one point per round, each read from that round's results
    for area, code in zip(points, final, strict=True):
        par_round = client.get(f"/par/{code}.json").json()
        mine = next(u for u in par_round["units"] if u["unit"] == "19")
        assert area["value"] == mine[f"area_{area['detail']['area']}"]
    page = client.get("/sipas/demo-sipas-2025/province/19/cross-index?lang=vi").text
    chart = _chart(page, "cross-chart")
    assert len(chart["data"]) == 3 and "error_y" in chart["data"][0]
    assert "Hồ sơ giải quyết đúng hạn" in page
    province = client.get("/sipas/demo-sipas-2025/province/19?lang=vi").text
    assert 'href="/sipas/demo-sipas-2025/province/19/cross-index"' in province


def test_analysis_pages_refuse_what_is_not_public(site: dict[str, Any]) -> None:
    client = site["client"]
    for path in (
        "/sipas/nope/sensitivity.json?draws=20",
        "/sipas/nope/province/19/priorities.json",
        "/sipas/nope/province/19/cross-index.json",
    ):
        response = client.get(path)
        assert response.status_code == 404 and response.json()["code"] == "public.unknown_run"
    wrong = client.get("/sipas/demo-sipas-2025/province/99/cross-index.json")
    assert wrong.status_code == 404 and wrong.json()["code"] == "public.unknown_province"
