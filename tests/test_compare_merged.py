"""`sipas compare P --with merged`: on a source of the 63 provinces (a run of the 63, published
figures of a year before 2025) the peers are the former provinces merged with P in 2025, read
from the crosswalk here on its own; a province that became a 2025 province alone, and a source of
the 34 (whose units are not the former provinces), are refused with declared errors — through the
real CLI and the real web app on demo-like data."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sipas.api.demo import DemoOptions, run_demo
from sipas.geo import LAST_DAY_OF_63, members_of, province, successor_of
from sipas.published import builtin
from sipas.settings import load_settings
from sipas.store import open_database
from sipas.web import create_app

Z = 1.959963984540054
DATA = Path(__file__).resolve().parent / "data" / "published"
PROVINCES = ("01", "06", "19", "20")  # Hà Nội, Bắc Kạn, Thái Nguyên, Lạng Sơn (2024 codes)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("compare-merged") / "data"
    folder.mkdir()
    db = open_database(f"sqlite:///{folder / 'sipas.db'}")
    options = DemoOptions(seed=7, years=(2024, 2025), respondents_per_province=60,
                          provinces=PROVINCES, dossiers=0)  # fmt: skip
    run_demo(db, options)
    app = create_app(load_settings(None, data_dir=folder), db)
    yield {"client": TestClient(app, base_url="https://testserver"), "data": folder}
    db.close()


def _cli(run_cli: Any, site: dict[str, Any], *args: str) -> Any:
    return run_cli("--data-dir", str(site["data"]), *args)


def _partners(code: str) -> list[str]:
    """The other former provinces of the 2025 province ``code`` became part of."""
    old = province(code, LAST_DAY_OF_63)
    return [p.code for p in members_of(successor_of(old)) if p.code != code]


def test_on_a_run_of_the_63_the_peers_are_the_merger_partners(
    site: dict[str, Any], run_cli: Any
) -> None:
    assert _partners("19") == ["06"]  # Thái Nguyên + Bắc Kạn → Thái Nguyên
    result = _cli(run_cli, site, "--lang", "en", "compare", "Thái Nguyên", "--run",
                  "demo-sipas-2024", "--with", "merged", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["cell"] == "19" and found["peer_cells"] == _partners("19")
    assert found["merger"] == "Thái Nguyên + Bắc Kạn → Thái Nguyên (2025)"
    # Asked from the other side, the partner is Thái Nguyên.
    asked = _cli(run_cli, site, "compare", "06", "--run", "demo-sipas-2024", "--with", "merged",
                 "--format", "json")  # fmt: skip
    other = json.loads(asked.stdout)
    assert other["peer_cells"] == _partners("06") == ["19"]
    # Tested as every peer set is: the difference and its replicate SE decide the verdict.
    for row in found["rows"]:
        assert math.isclose(row["difference"], row["estimate"] - row["peers_mean"], abs_tol=1e-9)
        assert (row["verdict"] != "not different") == (abs(row["difference"]) > Z * row["se"])
    # One peer: its mean is its own estimate, which the side-by-side view shows for Bắc Kạn.
    twin = (
        site["client"]
        .get("/sipas/demo-sipas-2024/compare.json", params={"provinces": "19", "with": "merged"})
        .json()
    )
    assert twin["against"]["peer_cells"] == ["06"]
    index = next(r for r in twin["side_by_side"]["rows"] if r["level"] == "index")
    bac_kan = index["provinces"][1]
    assert bac_kan["cell"] == "06"
    assert math.isclose(found["rows"][0]["peers_mean"], bac_kan["estimate"], abs_tol=1e-9)
    table = _cli(run_cli, site, "compare", "19", "--run", "demo-sipas-2024", "--with", "merged")
    assert table.exit_code == 0, table.output
    assert "các tỉnh cùng sáp nhập năm 2025" in table.output
    assert "Sáp nhập: Thái Nguyên + Bắc Kạn → Thái Nguyên (2025)" in table.output


def test_published_2024_peers_are_the_partners_built_in_values(
    site: dict[str, Any], run_cli: Any
) -> None:
    shipped = {
        f.unit: f.value
        for f in builtin()
        if f.index == "sipas" and f.year == 2024 and not f.node and not f.report
        and f.unit.isdigit()
    }  # fmt: skip
    result = _cli(run_cli, site, "compare", "Thái Nguyên", "--on", "published", "--year",
                  "2024", "--with", "merged", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert [p["unit"] for p in found["peer_values"]] == _partners("19")
    assert [p["value"] for p in found["peer_values"]] == [shipped.get(c) for c in _partners("19")]
    # No SIPAS 2024 value was published for Bắc Kạn: nothing to average, nothing to subtract.
    total = found["rows"][0]
    assert found["value"] == shipped["19"] and shipped.get("06") is None
    assert total["peers_with_value"] == 0 and total["peers_mean"] is None
    assert total["difference"] is None
    assert found["tested"] is False and found["merger"].endswith("→ Thái Nguyên (2025)")
    page = site["client"].get(
        "/sipas/published/2024/compare", params={"province": "19", "with": "merged", "lang": "vi"}
    )
    assert page.status_code == 200 and 'id="merger"' in page.text
    assert '<option value="merged">' in page.text


def test_published_peers_on_a_complete_table_average_the_partners(
    site: dict[str, Any], run_cli: Any
) -> None:
    table = DATA / "par_2024_annex_synthetic.csv"  # SYNTHETIC: invented figures
    assert _cli(run_cli, site, "published", "import", str(table)).exit_code == 0
    shown = json.loads(_cli(run_cli, site, "published", "show", "par", "--year", "2024",
                            "--format", "json").stdout)  # fmt: skip
    value = {u["unit"]: u["value"] for u in shown["units"] if u["origin"] == table.name}
    assert _partners("37") == ["35", "36"]  # Ninh Bình + Hà Nam + Nam Định → Ninh Bình
    result = _cli(run_cli, site, "compare", "Ninh Bình", "--on", "published", "--year", "2024",
                  "--index", "par", "--with", "merged", "--format", "json")  # fmt: skip
    found = json.loads(result.stdout)
    assert [(p["unit"], p["value"]) for p in found["peer_values"]] == [
        ("35", value["35"]),
        ("36", value["36"]),
    ]
    total = found["rows"][0]
    mean = (value["35"] + value["36"]) / 2  # by hand: the mean of the two partners
    assert total["peers_with_value"] == 2 and math.isclose(total["peers_mean"], mean)
    assert math.isclose(total["difference"], value["37"] - mean)
    assert found["merger"] == "Ninh Bình + Hà Nam + Nam Định → Ninh Bình (2025)"


def test_a_province_that_was_not_merged_is_refused(site: dict[str, Any], run_cli: Any) -> None:
    # Lạng Sơn and Hà Nội each became a 2025 province alone.
    assert _partners("20") == [] and _partners("01") == []
    for name, args in (
        ("Lạng Sơn", ("--run", "demo-sipas-2024")),
        ("Hà Nội", ("--on", "published", "--year", "2024")),
    ):
        refused = _cli(run_cli, site, "--lang", "en", "compare", name, *args, "--with", "merged")
        assert refused.exit_code == 1 and "[compare.not_merged]" in refused.output
        assert f"{name} was not merged with any province" in refused.output
    web = site["client"].get(
        "/sipas/demo-sipas-2024/compare.json", params={"provinces": "20", "with": "merged"}
    )
    assert web.json()["code"] == "compare.not_merged"


def test_a_source_of_the_34_is_refused_naming_the_predecessors(
    site: dict[str, Any], run_cli: Any
) -> None:
    for args in (
        ("--run", "demo-sipas-2025"),
        ("--run", "demo-sipas-2024-on-34"),
        ("--on", "published", "--year", "2025"),
    ):
        refused = _cli(run_cli, site, "--lang", "en", "compare", "19", *args, "--with", "merged")
        assert refused.exit_code == 1, refused.output
        assert "[compare.merged_on_34]" in refused.output
        assert "19 Thái Nguyên, 06 Bắc Kạn" in refused.output and "before 2025" in refused.output


def test_the_web_compare_page_offers_and_takes_merged(site: dict[str, Any]) -> None:
    client = site["client"]
    page = client.get("/sipas/demo-sipas-2024/compare?provinces=19&with=merged&lang=vi")
    assert page.status_code == 200
    assert '<option value="merged" selected>' in page.text and 'id="peers-table"' in page.text
    assert "Thái Nguyên + Bắc Kạn → Thái Nguyên (2025)" in page.text
    on_34 = client.get("/sipas/demo-sipas-2025/compare?provinces=19&lang=vi").text
    assert 'value="merged"' not in on_34  # no choice that its units cannot answer
