"""The online-services group of the service index: the portal's one 12-point indicator in the
built-in ``service-766`` (full-process online dossiers over eligible dossiers), and the 2/4/6
reconstruction kept as ``service-766-split``. Both worked by hand on a tiny dossier set."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sipas.api.frameworks import list_frameworks, show_framework
from sipas.errors import SipasError
from sipas.service_index import compute_index, connect, load_framework, parse_period
from sipas.service_index.records import arrow_schema, write_partitioned

JULY = [parse_period("2025-07")]
D = date


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = arrow_schema(name)
    return pa.table({f.name: [r.get(f.name) for r in rows] for f in schema}, schema=schema)


def _dossier(id_: str, procedure: str, channel: int, **fields: Any) -> dict[str, Any]:
    row = {
        "dossier_id": id_,
        "procedure_code": procedure,
        "sector_code": "S",
        "agency_code": "01",
        "unit_code": "01.A",
        "channel": channel,
        "applicant_type": "citizen",
        "status": 10,
        "received_on": D(2025, 7, 3),
        "submitted_on": D(2025, 7, 3),
        "promised_on": D(2025, 7, 13),
        "ended_on": D(2025, 7, 10),
    }
    return {**row, **fields}


def _procedure(code: str, online_level: int, **fields: Any) -> dict[str, Any]:
    row = {
        "agency_code": "01",
        "unit_code": "01.A",
        "procedure_code": code,
        "sector_code": "S",
        "legal_days": 10,
        "online_level": online_level,
        "decided_on": D(2025, 1, 1),
        "published_on": D(2025, 1, 2),
    }
    return {**row, **fields}


# F: offered fully online (level 2); H: partly online (1); N: information only (0).
CATALOGUE = [_procedure("F", 2), _procedure("H", 1), _procedure("N", 0)]
DOSSIERS = [
    _dossier("f1", "F", 2),  # eligible, online
    _dossier("f2", "F", 2),  # eligible, online
    _dossier("f3", "F", 1),  # eligible, at the counter
    _dossier("f4", "F", 3),  # eligible, by post
    _dossier("f5", "F", 2, status=7),  # withdrawn: not counted at all
    _dossier("h1", "H", 2),  # online, but its procedure is not full-process online
    _dossier("h2", "H", 1),
    _dossier("n1", "N", 1),
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("online")
    pq.write_table(_table("catalogue", CATALOGUE), root / "catalogue.parquet")
    write_partitioned(_table("dossiers", DOSSIERS), root, "dossiers", "part-0")
    return root


def _online(dataset: Path, framework: str) -> dict[str, tuple[int, int, float]]:
    engine = connect("duckdb")
    try:
        result = compute_index(dataset, JULY, engine, framework=load_framework(framework))
    finally:
        engine.close()
    rows = result.indicators[
        (result.indicators.level == "unit") & (result.indicators.unit_code == "01.A")
    ]
    codes = {i.code for i in load_framework(framework).indicators if i.group == "online"}
    scores = result.scores[(result.scores.level == "unit") & (result.scores.unit_code == "01.A")]
    out = {
        r.indicator: (int(r.numerator), int(r.denominator), float(r.points))
        for r in rows.itertuples()
        if r.indicator in codes
    }
    out["group"] = (0, 0, float(scores.online.iloc[0]))
    return out


def test_one_12_point_indicator_by_hand(dataset: Path) -> None:
    framework = load_framework("service-766")
    online = [i for i in framework.indicators if i.group == "online"]
    assert [(i.code, i.points, i.threshold) for i in online] == [("O4", 12.0, None)]
    got = _online(dataset, "service-766")
    # Eligible: counted dossiers of F, the only procedure offered full-process online: f1, f2,
    # f3, f4 (f5 withdrawn). Full-process online: those submitted online, f1 and f2.
    # Points 12 × 2/4 = 6, linear (no threshold is published).
    assert got["O4"] == (2, 4, pytest.approx(12 * 2 / 4))
    assert got["group"][2] == pytest.approx(6.0)


def test_the_split_reconstruction_by_hand(dataset: Path) -> None:
    got = _online(dataset, "service-766-split")
    # O1: procedures in force offered online (level ≥ 1): F, H of F, H, N = 2/3; full at 80 %:
    #     2 × (2/3) / 0.8 = 5/3.
    # O2: of F and H, those that received an online dossier: both (f1, h1) = 2/2 → 4.
    # O3: counted dossiers submitted online: f1, f2, h1 of f1–f4, h1, h2, n1 = 3/7; full at 50 %:
    #     6 × (3/7) / 0.5 = 36/7.
    assert got["O1"] == (2, 3, pytest.approx(2 * (2 / 3) / 0.8))
    assert got["O2"] == (2, 2, pytest.approx(4.0))
    assert got["O3"] == (3, 7, pytest.approx(6 * (3 / 7) / 0.5))
    assert got["group"][2] == pytest.approx(5 / 3 + 4 + 36 / 7)


def test_both_frameworks_are_listed_and_shown() -> None:
    rows = {r["id"]: r for r in list_frameworks("en")}
    assert rows["service-766"]["size"] == "20 indicators"
    assert rows["service-766-split"]["size"] == "22 indicators"
    assert "reconstruction" in rows["service-766-split"]["title"]
    shown = show_framework("service-766-split", "en")
    online = [r for r in shown["tree"] if r["code"] in {"O1", "O2", "O3"}]
    assert [r["max_points"] for r in online] == [2.0, 4.0, 6.0]
    tree = show_framework("service-766", "en")["tree"]
    assert [r["code"] for r in tree if r["code"].startswith("O")] == ["O4"]


def test_the_cli_lists_both(run_cli: Any) -> None:
    listed = run_cli("frameworks", "list", "--format", "json")
    assert listed.exit_code == 0
    ids = [r["id"] for r in json.loads(listed.output)]
    assert "service-766" in ids and "service-766-split" in ids


def test_an_unknown_service_framework_names_the_built_ins() -> None:
    with pytest.raises(SipasError) as caught:
        load_framework("service-767")
    assert caught.value.code == "service_index.framework_not_found"
    assert "service-766-split" in caught.value.message
