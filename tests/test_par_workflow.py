"""A PAR round end to end through the api, on SQLite and on the real PostgreSQL server.

Self-assessment → evidence → lock → appraisal 1 (a change needs a reason) → explanation →
appraisal 2 → final → results → audit history, with every refusal checked to change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from par_fixtures import EVERY_RUBRIC, FLAT
from sipas.api import par
from sipas.api.par import Actor
from sipas.errors import SipasError
from sipas.store import Database, open_database
from upload_samples import MINIMAL_PDF

ADMIN = Actor("admin", "admin")
AN = Actor("an", "officer", province_code="01")  # Hà Nội
BINH = Actor("binh", "officer", province_code="79")  # TP Hồ Chí Minh
CHI = Actor("chi", "appraiser")
ANALYST = Actor("lan", "analyst")
PDF = MINIMAL_PDF
UNITS = [
    {"unit_code": "D1", "name": "Sở Nội vụ Hà Nội", "kind": "department", "province_code": "01"},
    {"unit_code": "D2", "name": "Sở Tư pháp Hà Nội", "kind": "department", "province_code": "01"},
    {"unit_code": "D3", "name": "Sở Nội vụ TP HCM", "kind": "department", "province_code": "79"},
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'par.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    database = open_database(url)
    database.upgrade()
    yield database
    database.close()


@pytest.fixture
def campaign(db: Database, tmp_path: Path) -> str:
    framework = tmp_path / "every-rubric.yaml"
    framework.write_text(EVERY_RUBRIC, encoding="utf-8")
    par.create_campaign(
        db,
        ADMIN,
        code="c2025",
        framework=str(framework),
        year=2025,
        units=UNITS,
        deadline=datetime.now(UTC) + timedelta(days=30),
    )
    par.assign(db, ADMIN, "c2025", user="an", role="self_assessor", unit="D1")
    par.assign(db, ADMIN, "c2025", user="binh", role="self_assessor", unit="D3")
    par.assign(db, ADMIN, "c2025", user="chi", role="appraiser", node="1")
    return "c2025"


def _refused(expected: str, call: Any, *args: Any, **kwargs: Any) -> SipasError:
    with pytest.raises(SipasError) as error:
        call(*args, **kwargs)
    assert error.value.code == expected, error.value.message
    return error.value


def _sheet(db: Database, unit: str = "D1") -> dict[str, dict[str, Any]]:
    return {row["node"]: row for row in par.unit_scores(db, ADMIN, "c2025", unit)}


SELF = {"1.1": 90, "1.2": "đạt", "1.3": "trễ hạn", "1.4": 60, "B.1": 1.5, "B.2": 1.0, "P.1": 0.5}


def _self_assess(db: Database) -> None:
    for node, value in SELF.items():
        par.write_score(
            db,
            AN,
            "c2025",
            unit="D1",
            node=node,
            stage="self",
            value=value,
            note=None if node == "1.1" else "báo cáo số 12/BC-SNV",
        )
    par.write_score(
        db,
        AN,
        "c2025",
        unit="D1",
        node="1.5",
        stage="self",
        points=1.5,
        note="sáng kiến được công nhận",
    )
    par.upload_evidence(
        db, AN, "c2025", unit="D1", node="1.1", filename="kế hoạch.pdf", content=PDF
    )


def test_full_round(db: Database, campaign: str) -> None:
    _self_assess(db)
    sheet = _sheet(db)
    assert sheet["1.4"]["self"] == pytest.approx(3.0)  # 4 × 60 / 80
    assert sheet["1.1"]["self"] == 1.0

    par.lock(db, AN, campaign, "D1")
    par.write_score(
        db,
        ANALYST,
        campaign,
        unit="D1",
        node="2.1",
        stage="survey",
        value={
            "citizens": {"A": 6, "B": 2, "C": 2, "D": 0},
            "officials": {"A": 1, "B": 1, "C": 1, "D": 1},
        },
    )
    par.write_score(db, ANALYST, campaign, unit="D1", node="2.2", stage="survey", value=83.94)

    par.advance(db, ADMIN, campaign, "appraisal1")
    par.write_score(db, CHI, campaign, unit="D1", node="1.1", stage="appraisal1", value=90)  # same
    par.write_score(
        db,
        CHI,
        campaign,
        unit="D1",
        node="1.4",
        stage="appraisal1",
        value=50,
        reason="báo cáo cho thấy tỷ lệ 50%",
    )
    par.advance(db, ADMIN, campaign, "explanation")
    par.write_score(
        db,
        AN,
        campaign,
        unit="D1",
        node="1.4",
        stage="explanation",
        note="tỷ lệ đúng là 55%, xem phụ lục 2",
    )
    par.advance(db, ADMIN, campaign, "appraisal2")
    par.write_score(
        db,
        CHI,
        campaign,
        unit="D1",
        node="1.4",
        stage="appraisal2",
        value=55,
        reason="chấp nhận giải trình một phần",
    )
    summary = par.advance(db, ADMIN, campaign, "final")
    assert summary["final_scores"] == 10  # D1's 10 leaves; D2 and D3 gave nothing

    result = par.results(db, campaign)
    d1 = next(u for u in result["units"] if u["unit"] == "D1")
    # area 1: 1 + 1 + 0.5 + 4 × 55/80 (= 2.75) + 1.5 = 6.75; area 2: 3.63 + 3.3576 = 6.9876
    # total 13.7376 + bonus min(2.5, 2) − penalty 0.5 = 15.2376; index = 15.2376 / 20 × 100
    assert d1["area_1"] == 67.5
    assert d1["area_2"] == 69.88
    assert d1["index"] == 76.19
    assert d1["rank"] == 1 and d1["group"] == "C" and d1["complete"]
    others = [u for u in result["units"] if u["unit"] != "D1"]
    assert all(not u["complete"] and u["index"] == 0 for u in others)
    assert par.results(db, campaign) == result  # recomputed from stored scores, reproducibly

    trail = par.history(db, ADMIN, campaign, "D1", "1.4")
    assert [t["action"] for t in trail] == [
        "par.self",
        "par.appraisal1",
        "par.explanation",
        "par.appraisal2",
        "par.final",
    ]
    assert trail[0]["after"] == pytest.approx(3.0) and trail[0]["actor"] == "an"
    assert (
        trail[1]["after"] == pytest.approx(2.5)
        and trail[1]["reason"] == "báo cáo cho thấy tỷ lệ 50%"
    )
    assert trail[2]["note"] == "tỷ lệ đúng là 55%, xem phụ lục 2"
    assert trail[3]["after"] == pytest.approx(2.75) and trail[3]["actor"] == "chi"
    assert trail[4]["after"] == pytest.approx(2.75)
    _refused(
        "par.wrong_stage",
        par.write_score,
        db,
        CHI,
        campaign,
        unit="D1",
        node="1.4",
        stage="appraisal2",
        value=80,
        reason="late change",
    )


def test_self_assessment_refusals_save_nothing(db: Database, campaign: str) -> None:
    _self_assess(db)
    before = _sheet(db)
    _refused(
        "par.above_max",
        par.write_score,
        db,
        AN,
        campaign,
        unit="D1",
        node="1.5",
        stage="self",
        points=2.5,
    )
    _refused(
        "par.negative_points",
        par.write_score,
        db,
        AN,
        campaign,
        unit="D1",
        node="1.5",
        stage="self",
        points=-1,
    )
    _refused(
        "par.unknown_node",
        par.write_score,
        db,
        AN,
        campaign,
        unit="D1",
        node="9.9",
        stage="self",
        points=1,
    )
    _refused(
        "par.not_a_leaf",
        par.write_score,
        db,
        AN,
        campaign,
        unit="D1",
        node="1",
        stage="self",
        points=1,
    )
    _refused(
        "par.unknown_unit_at",
        par.write_score,
        db,
        AN,
        campaign,
        unit="D9",
        node="1.5",
        stage="self",
        points=1,
    )
    # another province's unit, by an officer who is assigned nothing there
    error = _refused(
        "auth.forbidden.write_stage",
        par.write_score,
        db,
        AN,
        campaign,
        unit="D3",
        node="1.5",
        stage="self",
        points=1,
    )
    assert "D3" in error.message
    _refused(
        "auth.forbidden.write_stage",
        par.write_score,
        db,
        BINH,
        campaign,
        unit="D1",
        node="1.5",
        stage="self",
        points=0,
    )
    # own province, but not assigned to this unit
    _refused(
        "auth.forbidden.not_assigned",
        par.write_score,
        db,
        AN,
        campaign,
        unit="D2",
        node="1.5",
        stage="self",
        points=1,
    )
    _refused(
        "par.survey_leaf",
        par.write_score,
        db,
        AN,
        campaign,
        unit="D1",
        node="2.1",
        stage="self",
        value={"citizens": {"A": 1}, "officials": {"A": 1}},
    )
    _refused(
        "auth.forbidden.write_stage",
        par.write_score,
        db,
        CHI,
        campaign,
        unit="D1",
        node="1.1",
        stage="self",
        value=95,
    )
    _refused(
        "par.wrong_stage",
        par.write_score,
        db,
        CHI,
        campaign,
        unit="D1",
        node="1.1",
        stage="appraisal1",
        value=95,
        reason="x",
    )
    _refused("auth.forbidden.read", par.unit_scores, db, BINH, campaign, "D1")
    _refused("auth.forbidden.read", par.history, db, BINH, campaign, "D1")
    assert _sheet(db) == before


def test_evidence_lock_and_deadline(db: Database, campaign: str) -> None:
    incomplete = _refused("par.lock_incomplete", par.lock, db, AN, campaign, "D1")
    said = incomplete.text("vi")[0]
    assert said.startswith("Chưa thể chốt đơn vị D1: ") and "chưa tự đánh giá" in said
    _self_assess(db)
    _refused(
        "par.evidence_type",
        par.upload_evidence,
        db,
        AN,
        campaign,
        unit="D1",
        node="1.2",
        filename="virus.exe",
        content=b"MZ",
    )
    _refused(
        "par.evidence_content",
        par.upload_evidence,
        db,
        AN,
        campaign,
        unit="D1",
        node="1.2",
        filename="fake.pdf",
        content=b"<html>",
    )
    _refused(
        "par.evidence_size",
        par.upload_evidence,
        db,
        AN,
        campaign,
        unit="D1",
        node="1.2",
        filename="big.pdf",
        content=b"%PDF" + bytes(par.MAX_EVIDENCE_BYTES),
    )
    _refused(
        "auth.forbidden.write_stage",
        par.upload_evidence,
        db,
        BINH,
        campaign,
        unit="D1",
        node="1.2",
        filename="x.pdf",
        content=PDF,
    )
    again = par.upload_evidence(
        db, AN, campaign, unit="D1", node="1.1", filename="copy.pdf", content=PDF
    )
    assert not again["new"]  # the same content is stored once
    files = par.list_evidence(db, AN, campaign, "D1")
    assert [(f["node_code"], f["filename"], f["size"]) for f in files] == [
        ("1.1", "kế hoạch.pdf", len(PDF))
    ]
    par.lock(db, AN, campaign, "D1")
    before = _sheet(db)
    locked = _refused(
        "par.locked",
        par.write_score,
        db,
        AN,
        campaign,
        unit="D1",
        node="1.5",
        stage="self",
        points=0.5,
    )
    assert locked.status == 409 and locked.values["by"] == "an"
    assert "đã được an chốt lúc" in locked.text("vi")[0]
    assert _sheet(db) == before
    # a passed deadline closes the self-assessment of units not yet locked
    with db.begin() as connection:
        connection.execute(
            sa.text("UPDATE par_campaigns SET deadline = :d"),
            {"d": datetime.now(UTC) - timedelta(hours=1)},
        )
    _refused(
        "par.deadline_passed",
        par.write_score,
        db,
        BINH,
        campaign,
        unit="D3",
        node="1.5",
        stage="self",
        points=1,
    )


def test_appraisal_refusals(db: Database, campaign: str) -> None:
    _self_assess(db)
    par.lock(db, AN, campaign, "D1")
    _refused("par.stage_order", par.advance, db, ADMIN, campaign, "final")
    _refused("auth.forbidden.advance", par.advance, db, CHI, campaign, "appraisal1")
    par.advance(db, ADMIN, campaign, "appraisal1")
    before = _sheet(db)
    error = _refused(
        "par.reason_required",
        par.write_score,
        db,
        CHI,
        campaign,
        unit="D1",
        node="1.4",
        stage="appraisal1",
        value=50,
    )
    assert "3" in error.message and "2.5" in error.message
    # area 2 is not chi's
    _refused(
        "auth.forbidden.not_assigned",
        par.write_score,
        db,
        CHI,
        campaign,
        unit="D1",
        node="2.2",
        stage="appraisal1",
        value=50,
        reason="x",
    )
    _refused(
        "auth.forbidden.appraise",
        par.write_score,
        db,
        AN,
        campaign,
        unit="D1",
        node="1.4",
        stage="appraisal1",
        value=50,
        reason="x",
    )
    _refused(
        "par.points_disagree",
        par.write_score,
        db,
        CHI,
        campaign,
        unit="D1",
        node="1.4",
        stage="appraisal1",
        value=50,
        points=4,
        reason="x",
    )
    assert _sheet(db) == before


def test_audit_log_is_append_only(db: Database, campaign: str) -> None:
    _self_assess(db)
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError), db.begin() as connection:
            connection.execute(sa.text(statement))
    assert par.history(db, ADMIN, campaign, "D1", "1.1")[0]["actor"] == "an"


def test_write_scores_is_all_or_nothing(db: Database, campaign: str) -> None:
    entries = [
        {"unit": "D1", "node": "1.5", "points": 1, "note": "x", "row": 2},
        {"unit": "D1", "node": "1.2", "points": 0.5, "row": 3},  # binary: 0 or 1
    ]
    error = _refused(
        "par.points_not_in_rubric", par.write_scores, db, AN, campaign, "self", entries
    )
    assert error.message.startswith("row 3 › unit D1 › leaf 1.2: 0.5 points")
    assert error.text("vi")[0].startswith("dòng 3 › đơn vị D1 › tiêu chí 1.2: ")
    assert _sheet(db)["1.5"]["self"] is None


def _save_run(db: Database, code: str, geography: str, estimates: dict[str, float]) -> None:
    import pandas as pd

    from sipas.store import estimates as estimate_store

    table = pd.DataFrame(
        [
            {
                "partition": "province",
                "cell": cell,
                "indicator": "SIPAS",
                "level": "index",
                "estimate": value,
                "se": 1.0,
                "ci_low": value - 2,
                "ci_high": value + 2,
                "n": 576,
                "unstable": False,
                "se_method": "bootstrap",
            }
            for cell, value in estimates.items()
        ]
    )
    with db.begin() as connection:
        estimate_store.save_run(
            connection,
            code=code,
            table=table,
            source="test",
            framework_id="sipas-gen2",
            framework_version="2024",
            unit="province",
            method="bootstrap",
            options={"geography": geography},
        )


def test_sipas_results_feed_the_linked_leaf(db: Database, tmp_path: Path) -> None:
    framework = tmp_path / "every-rubric.yaml"
    framework.write_text(EVERY_RUBRIC, encoding="utf-8")
    par.create_campaign(db, ADMIN, code="p2025", framework=str(framework), year=2025)
    assert par.show_campaign(db, "p2025")["units"] == 34  # the provinces since 1/7/2025
    _save_run(db, "sipas-2025", "34", {"01": 83.94, "79": 50.0})
    _save_run(db, "sipas-2024", "63", {"01": 80.0})
    _refused("par.geography_mismatch.run", par.fill_from_sipas, db, ANALYST, "p2025", "sipas-2024")
    _refused("auth.forbidden.survey", par.fill_from_sipas, db, AN, "p2025", "sipas-2025")
    summary = par.fill_from_sipas(db, ANALYST, "p2025", "sipas-2025")
    assert summary["filled"] == 2 and len(summary["missing"]) == 32
    sheet = {row["node"]: row for row in par.unit_scores(db, ADMIN, "p2025", "01")}
    assert sheet["2.2"]["survey"] == pytest.approx(4 * 0.8394)  # max 4 × 83.94 / 100
    trail = par.history(db, ADMIN, "p2025", "01", "2.2")
    assert trail[0]["actor"] == "lan" and "sipas-2025" in trail[0]["note"]


def test_change_on_the_previous_campaign(db: Database, tmp_path: Path) -> None:
    flat = tmp_path / "flat.yaml"
    flat.write_text(FLAT, encoding="utf-8")
    units = UNITS[:2]
    for code, previous, points in (
        ("y2024", None, {"D1": (50, 30), "D2": (55, 35)}),  # 80 and 90
        ("y2025", "y2024", {"D1": (58.5, 37.5), "D2": (50, 35)}),  # 96 and 85
    ):
        par.create_campaign(
            db, ADMIN, code=code, framework=str(flat), year=2025, units=units, previous=previous
        )
        entries = [
            {"unit": u, "node": n, "points": p, "note": "x"}
            for u, pair in points.items()
            for n, p in zip(("1", "2"), pair, strict=True)
        ]
        par.write_scores(db, ADMIN, code, "self", entries)
        for stage in ("appraisal1", "explanation", "appraisal2", "final"):
            par.advance(db, ADMIN, code, stage)
    shown = {u["unit"]: u for u in par.results(db, "y2025")["units"]}
    assert shown["D1"]["change"] == 16.0 and shown["D1"]["rank_change"] == 1  # 2nd → 1st
    assert shown["D2"]["change"] == -5.0 and shown["D2"]["rank_change"] == -1
    _refused(
        "par.geography_mismatch.previous",
        par.create_campaign,
        db,
        ADMIN,
        code="p",
        framework=str(flat),
        year=2025,
        previous="y2024",
    )  # the 34 provinces against two departments
