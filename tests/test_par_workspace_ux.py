"""The PAR workspace and the survey forms as people use them, in process through real HTTP
(FastAPI's TestClient) on SQLite: pages titled by names, inputs pre-filled with what is saved,
a whole area saved by one form all or nothing, refusals beside their fields with what was typed
kept, a confirmation before the lock and before a stage advance, and survey problems named by
the question's text."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from par_fixtures import EVERY_RUBRIC
from sipas.api import invitations as inv
from sipas.api import par, users
from sipas.frameworks import load_builtin, require_survey
from sipas.settings import load_settings
from sipas.store import Database, open_database
from sipas.store import surveys as survey_store
from sipas.store.schema import audit_log
from upload_samples import MINIMAL_PDF

PASSWORD = "correct horse battery"
ADMIN = par.Actor("admin", "admin")
CAMPAIGN = "open-2025"
UNIT = f"/workspace/{CAMPAIGN}/01"
SURVEY = "paper-2025"
GEN2 = require_survey(load_builtin("sipas-gen2"))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    from sipas.web import create_app

    db = open_database(f"sqlite:///{tmp_path / 'site.db'}")
    db.upgrade()
    for name, role, province in (
        ("officer01", "officer", "01"),
        ("boss", "admin", None),
        ("tham", "appraiser", None),
        ("clerk", "clerk", None),
    ):
        users.create_user(db, name=name, role=role, password=PASSWORD, province=province)
    framework = tmp_path / "every-rubric.yaml"
    framework.write_text(EVERY_RUBRIC, encoding="utf-8")
    par.create_campaign(db, ADMIN, code=CAMPAIGN, framework=str(framework), year=2025)
    par.assign(db, ADMIN, CAMPAIGN, user="officer01", role="self_assessor", unit="01")
    par.assign(db, ADMIN, CAMPAIGN, user="tham", role="appraiser", node="1")
    with db.begin() as connection:
        survey_store.create_survey(
            connection,
            code=SURVEY,
            framework_id="sipas-gen2",
            framework_version="2024",
            year=2025,
            geography="34",
            reference_date=date(2025, 7, 1),
            synthetic=True,
        )
    yield {"db": db, "app": create_app(load_settings(None, data_dir=tmp_path / "data"), db)}
    db.close()


def _client(site: dict[str, Any], who: str | None = None) -> TestClient:
    client = TestClient(site["app"], base_url="https://testserver")
    if who is not None:
        token = _csrf(client, "/login")
        done = client.post(
            "/login",
            data={"name": who, "password": PASSWORD, "csrf": token},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    return client


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def _text(page: str, element_id: str) -> str:
    """The text of the element with ``element_id`` (up to its closing tag of the same kind)."""
    found = re.search(rf'<(\w+)[^>]*id="{re.escape(element_id)}"[^>]*>(.*?)</\1>', page, re.S)
    assert found, f"no #{element_id}"
    words = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(2)))).strip()
    return re.sub(r" ([:.,)])", r"\1", words)  # no space left where a tag ended before a mark


def _leaf_block(page: str, leaf: str) -> str:
    """The markup of one criterion's card on the unit page."""
    start = page.index(f'id="leaf-{leaf}"')
    following = page.find('class="leaf', start + 1)
    return page[start : following if following != -1 else len(page)]


def _input_value(page: str, element_id: str) -> str:
    found = re.search(rf'<input id="{re.escape(element_id)}"[^>]*?value="([^"]*)"', page, re.S)
    assert found, f"no input #{element_id}"
    return html.unescape(found.group(1))


def _self(db: Database, unit: str = "01") -> dict[str, float | None]:
    return {row["node"]: row["self"] for row in par.unit_scores(db, ADMIN, CAMPAIGN, unit)}


def _audit_rows(db: Database) -> int:
    with db.begin() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count()).where(audit_log.c.action == "par.self")
            ).scalar_one()
        )


# -- 1. titled by names -------------------------------------------------------------------------


def test_pages_are_titled_by_unit_and_stage_names_never_codes(site: dict[str, Any]) -> None:
    officer = _client(site, "officer01")
    page = officer.get(f"{UNIT}?lang=vi").text
    assert _text(page, "main").startswith("Hà Nội · Tự đánh giá")  # h1
    assert re.search(r"<h1>Hà Nội · Tự đánh giá</h1>", page)
    title = re.search(r"<title>(.*?)</title>", page).group(1)  # type: ignore[union-attr]
    assert title == "Hà Nội · Tự đánh giá · Ví dụ 2025 · sipas"
    assert "par.self" not in page and ">self<" not in page
    english = officer.get(f"{UNIT}?lang=en").text
    assert "<h1>Hà Nội · Self-assessment</h1>" in english
    assert "Plan completion" in english and "Tỷ lệ hoàn thành kế hoạch" not in english
    campaign = officer.get(f"/workspace/{CAMPAIGN}?lang=vi").text
    assert "<h1>Ví dụ 2025</h1>" in campaign and _text(campaign, "stage") == "Tự đánh giá"
    assert ">Hà Nội</a>" in campaign
    par.advance(site["db"], ADMIN, CAMPAIGN, "appraisal1")
    appraiser = _client(site, "tham").get(f"{UNIT}?lang=vi").text
    assert "<h1>Hà Nội · Thẩm định vòng 1</h1>" in appraiser


# -- 2. pre-filled inputs, notes and evidence beside each criterion -----------------------------


def test_inputs_show_the_saved_score_with_its_note_and_evidence(site: dict[str, Any]) -> None:
    db = site["db"]
    officer = par.Actor("officer01", "officer", "01")
    par.write_score(db, officer, CAMPAIGN, unit="01", node="1.5", stage="self",
                    points="1.5", note="sáng kiến cấp tỉnh")  # fmt: skip
    par.write_score(db, officer, CAMPAIGN, unit="01", node="1.3", stage="self",
                    points=0, applicable=True)  # fmt: skip
    par.upload_evidence(db, officer, CAMPAIGN, unit="01", node="1.5",
                        filename="quyet-dinh.pdf", content=MINIMAL_PDF)  # fmt: skip
    page = _client(site, "officer01").get(f"{UNIT}?lang=vi").text
    assert _input_value(page, "points-1.5") == "1,5"  # the saved score, as Vietnamese write it
    assert _input_value(page, "note-1.5") == "sáng kiến cấp tỉnh"
    assert _input_value(page, "points-1.3") == "0"  # a saved zero is not an empty field
    assert _input_value(page, "points-1.1") == ""  # nothing saved yet
    card = _leaf_block(page, "1.5")
    assert "Tự đánh giá:</strong> sáng kiến cấp tỉnh" in card  # the saved note beside it
    assert "quyet-dinh.pdf</a>" in card  # and its evidence
    assert "chưa có tài liệu" in _leaf_block(page, "1.1")
    english = _client(site, "officer01").get(f"{UNIT}?lang=en").text
    assert _input_value(english, "points-1.5") == "1.5"


# -- 3 and 5. one form per area, all or nothing, refusals beside their fields -------------------


def test_an_area_is_saved_by_one_form_through_the_checked_path(site: dict[str, Any]) -> None:
    db = site["db"]
    client = _client(site, "officer01")
    token = _csrf(client, UNIT)
    form = {"csrf": token, "stage": "self", "area": "1",
            "points.1.1": "2", "note.1.1": "kế hoạch 12", "points.1.2": "1", "note.1.2": "",
            "points.1.5": "1,5", "note.1.5": "",
            "points.1.3": "", "note.1.3": "", "points.1.4": "", "note.1.4": ""}  # fmt: skip
    done = client.post(UNIT, data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{UNIT}?saved=1"
    scores = _self(db)
    assert (scores["1.1"], scores["1.2"], scores["1.5"]) == (2.0, 1.0, 1.5)
    assert scores["1.3"] is None and scores["1.4"] is None  # blank leaves are not written
    assert _audit_rows(db) == 3  # one audit row per leaf written
    page = client.get(done.headers["location"] + "&lang=vi").text
    assert _text(page, "saved") == "Đã lưu: Chỉ đạo điều hành"  # the area by its name
    # The same form again changes nothing: no audit row for a change that did not happen.
    again = client.post(UNIT, data=form, follow_redirects=False)
    assert again.status_code == 303 and _audit_rows(db) == 3
    history = par.history(db, ADMIN, CAMPAIGN, "01", "1.1")
    assert [(h["actor"], h["after"], h["note"]) for h in history] == [
        ("officer01", 2.0, "kế hoạch 12")
    ]


def test_one_bad_value_refuses_the_whole_area_and_keeps_what_was_typed(
    site: dict[str, Any],
) -> None:
    db = site["db"]
    par.write_score(db, ADMIN, CAMPAIGN, unit="01", node="1.1", stage="self", points=1)
    before = _audit_rows(db)
    client = _client(site, "officer01")
    token = _csrf(client, UNIT)
    form = {"csrf": token, "stage": "self", "area": "1",
            "points.1.1": "2", "note.1.1": "đã sửa",
            "points.1.2": "7", "note.1.2": "có dự toán",  # the leaf's maximum is 1
            "points.1.5": "1,5", "note.1.5": ""}  # fmt: skip
    refused = client.post(f"{UNIT}?lang=vi", data=form)
    assert refused.status_code == 400  # the refusal's declared status, on the form's own page
    page = refused.text
    said = _text(page, "err-1.2")
    assert "1.2: 7 điểm vượt quá điểm tối đa 1 của tiêu chí" in said
    assert "Hãy nhập một số từ 0 đến 1" in said  # the declared hint, in the user's language
    assert 'id="err-1.2"' in _leaf_block(page, "1.2") and page.count('class="field-error"') == 1
    assert re.search(r'id="points-1.2"[^>]*aria-invalid="true"[^>]*aria-describedby="err-1.2"',
                     page, re.S)  # fmt: skip
    assert "Chưa lưu điểm nào của lĩnh vực này" in _text(page, "refused-1")
    # Everything typed is still in the inputs, the good values as much as the bad one.
    typed = {"points-1.1": "2", "note-1.1": "đã sửa", "points-1.2": "7",
             "note-1.2": "có dự toán", "points-1.5": "1,5"}  # fmt: skip
    assert {k: _input_value(page, k) for k in typed} == typed
    # Nothing of the area was saved, and no audit row was written.
    assert _self(db)["1.1"] == 1.0 and _self(db)["1.2"] is None and _self(db)["1.5"] is None
    assert _audit_rows(db) == before
    english = client.post(f"{UNIT}?lang=en", data=form).text
    assert "7 points is above the leaf&#39;s maximum of 1" in english
    # Two bad values: both are named, each beside its own field.
    both = client.post(f"{UNIT}?lang=vi", data=form | {"points.1.5": "nhiều"}).text
    assert _text(both, "err-1.2") and "nhiều" in _text(both, "err-1.5")


def test_an_appraiser_gets_the_form_of_the_area_assigned_and_must_give_reasons(
    site: dict[str, Any],
) -> None:
    db = site["db"]
    par.write_score(db, ADMIN, CAMPAIGN, unit="01", node="1.1", stage="self", points=2)
    par.advance(db, ADMIN, CAMPAIGN, "appraisal1")
    client = _client(site, "tham")
    page = client.get(f"{UNIT}?lang=vi").text
    assert 'id="form-area-1"' in page and 'id="form-area-B"' not in page  # only area 1
    assert 'id="reason-1.1"' in page and 'id="note-1.1"' not in page
    token = _csrf(client, UNIT)
    form = {"csrf": token, "stage": "appraisal1", "area": "1", "points.1.1": "1", "reason.1.1": ""}
    refused = client.post(f"{UNIT}?lang=vi", data=form)
    assert refused.status_code == 400 and "cần ghi lý do" in _text(refused.text, "err-1.1")
    assert _input_value(refused.text, "points-1.1") == "1"
    done = client.post(UNIT, data=form | {"reason.1.1": "thiếu văn bản"}, follow_redirects=False)
    assert done.status_code == 303
    sheet = {row["node"]: row for row in par.unit_scores(db, ADMIN, CAMPAIGN, "01")}
    assert sheet["1.1"]["appraisal1"] == 1.0 and sheet["1.1"]["reason"] == "thiếu văn bản"


def test_a_refused_upload_is_shown_beside_its_field(site: dict[str, Any]) -> None:
    client = _client(site, "officer01")
    token = _csrf(client, UNIT)
    refused = client.post(
        f"{UNIT}/1.5/evidence?lang=vi",
        data={"csrf": token},
        files={"file": ("ke-hoach.exe", b"MZ", "application/octet-stream")},
    )
    assert refused.status_code == 400
    assert ".exe" in _text(refused.text, "ferr-1.5")
    assert 'id="ferr-1.5"' in _leaf_block(refused.text, "1.5")


# -- 4. confirmation before the lock and before a stage advance ---------------------------------


def _locked(db: Database) -> bool:
    return {u["unit_code"]: u for u in par.campaign_units(db, CAMPAIGN)}["01"][
        "locked_at"
    ] is not None


def test_the_lock_asks_for_confirmation_first(site: dict[str, Any]) -> None:
    db = site["db"]
    client = _client(site, "officer01")
    token = _csrf(client, UNIT)
    page = client.get(f"{UNIT}?lang=vi").text
    assert 'data-confirm="Chốt tự đánh giá của Hà Nội?' in page  # the script's dialog
    asked = client.post(f"{UNIT}/lock?lang=vi", data={"csrf": token})
    assert asked.status_code == 200 and not _locked(db)  # only asked: nothing locked
    assert _text(asked.text, "confirm-question").startswith("Chốt tự đánh giá của Hà Nội?")
    assert f'href="{UNIT}" id="confirm-no"' in asked.text
    assert re.search(r'name="confirm" value="yes"', asked.text)
    # Confirmed, but the self-assessment is incomplete: refused beside the lock button.
    incomplete = client.post(f"{UNIT}/lock?lang=vi", data={"csrf": token, "confirm": "yes"})
    assert incomplete.status_code == 400 and not _locked(db)
    assert "Chưa thể chốt đơn vị 01" in _text(incomplete.text, "err-lock")
    for leaf in ("1.1", "1.2", "1.3", "1.4", "1.5", "B.1", "B.2", "P.1"):
        par.write_score(db, ADMIN, CAMPAIGN, unit="01", node=leaf, stage="self", points=0,
                        note="xem hồ sơ")  # fmt: skip
    done = client.post(f"{UNIT}/lock", data={"csrf": token, "confirm": "yes"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and _locked(db)
    after = client.get(f"{UNIT}?lang=vi").text
    assert 'id="locked"' in after and 'id="lock-button"' not in after
    assert 'id="form-area-1"' not in after  # a locked unit offers no form


def test_a_stage_advance_asks_for_confirmation_first(site: dict[str, Any]) -> None:
    db = site["db"]
    boss = _client(site, "boss")
    token = _csrf(boss, f"/workspace/{CAMPAIGN}")
    asked = boss.post(f"/workspace/{CAMPAIGN}/advance?lang=vi",
                      data={"csrf": token, "stage": "appraisal1"})  # fmt: skip
    assert asked.status_code == 200
    question = _text(asked.text, "confirm-question")
    assert "«Tự đánh giá» sang «Thẩm định vòng 1»" in question and "Ví dụ 2025" in question
    assert par.show_campaign(db, CAMPAIGN)["stage"] == "self"
    assert '<input type="hidden" name="stage" value="appraisal1">' in asked.text
    wrong = boss.post(f"/workspace/{CAMPAIGN}/advance?lang=vi",
                      data={"csrf": token, "stage": "final", "confirm": "yes"})  # fmt: skip
    assert wrong.status_code == 409
    assert "tiếp theo là thẩm định vòng 1" in _text(wrong.text, "err-advance")
    assert par.show_campaign(db, CAMPAIGN)["stage"] == "self"
    done = boss.post(f"/workspace/{CAMPAIGN}/advance",
                     data={"csrf": token, "stage": "appraisal1", "confirm": "yes"},
                     follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and par.show_campaign(db, CAMPAIGN)["stage"] == "appraisal1"


# -- 6. survey problems named by the question's text --------------------------------------------


def _question(code: str) -> str:
    item = next(i for i in GEN2.satisfaction.items if i.code == code)
    return item.text.vi


def test_survey_problems_name_the_question_by_its_text(site: dict[str, Any]) -> None:
    person = inv.Sampled(province_code="79")
    issued = inv.create_invitations(site["db"], SURVEY, [person], expires_days=7)[0]
    client = _client(site)
    token = _csrf(client, issued["link"])
    refused = client.post(
        f"{issued['link']}?lang=vi",
        data={"csrf": token, "action": "submit", "Q9_01": "9", "Q9_02": "5"},
    )
    assert refused.status_code == 422
    summary = _text(refused.text, "problems")
    assert f"{_question('Q9_01')}: Mã trả lời không có trong danh sách" in summary
    assert "Q9_01" not in summary  # the respondent never sees a code
    # The clerk, who types codes from the paper form, sees the code and the question's text.
    clerk = _client(site, "clerk")
    token = _csrf(clerk, f"/clerk/{SURVEY}")
    form = {"csrf": token, "respondent_key": "HCM-7", "province": "79", "weight": "-1",
            "interview_date": "01/08/2025", "Q9_01": "7"}  # fmt: skip
    paper = clerk.post(f"/clerk/{SURVEY}?lang=vi", data=form)
    assert paper.status_code == 422
    listed = _text(paper.text, "problems")
    assert f"Q9_01 {_question('Q9_01')}:" in listed
    assert "weight Quyền số:" in listed  # a field of the paper form by its word on the page


def test_the_history_and_the_campaign_list_speak_in_names(site: dict[str, Any]) -> None:
    db = site["db"]
    par.write_score(db, ADMIN, CAMPAIGN, unit="01", node="1.5", stage="self", points=1,
                    note="lần đầu")  # fmt: skip
    client = _client(site, "officer01")
    history = client.get(f"{UNIT}/history?lang=vi").text
    assert "<h1>Lịch sử thay đổi · Hà Nội</h1>" in history
    row = _text(history, "main")
    assert "Tự đánh giá" in row and "1.5 Sáng kiến" in row and "par.self" not in history
    assert ">time<" not in history and ">action<" not in history  # headers in the language
    listing = client.get("/workspace?lang=vi").text
    assert f'<a href="/workspace/{CAMPAIGN}">Ví dụ 2025</a>' in listing
    whatif = client.get(f"{UNIT}/whatif?lang=vi").text
    assert f'<a href="{UNIT}">Hà Nội</a> · Tự đánh giá' in whatif


def test_write_leaves_checks_every_entry_and_saves_none_when_one_is_refused(
    site: dict[str, Any],
) -> None:
    db = site["db"]
    officer = par.Actor("officer01", "officer", "01")
    entries = [
        {"node": "1.1", "points": "2"},
        {"node": "2.1", "points": "3"},  # a survey leaf: not self-assessed
        {"node": "1.9", "points": "1"},  # no such leaf
        {"node": "1.2", "points": "1"},
    ]
    done = par.write_leaves(db, officer, CAMPAIGN, unit="01", stage="self", entries=entries)
    assert {k: v.code for k, v in done.refused.items()} == {
        "2.1": "par.survey_leaf",
        "1.9": "par.unknown_node",
    }
    assert done.saved == [] and _self(db)["1.1"] is None and _audit_rows(db) == 0
    good = [e for e in entries if e["node"] in ("1.1", "1.2")]
    done = par.write_leaves(db, officer, CAMPAIGN, unit="01", stage="self", entries=good)
    assert (done.saved, done.unchanged, done.refused) == (["1.1", "1.2"], [], {})
    same_and_new = [{"node": "1.1", "points": "2,0"}, {"node": "1.2", "points": "0"}]
    again = par.write_leaves(db, officer, CAMPAIGN, unit="01", stage="self", entries=same_and_new)
    assert (again.saved, again.unchanged) == (["1.2"], ["1.1"]) and _audit_rows(db) == 3
    # Another unit's officer is refused by the same access check as a single write.
    other = par.Actor("officer79", "officer", "79")
    refused = par.write_leaves(db, other, CAMPAIGN, unit="01", stage="self", entries=good)
    assert {v.code for v in refused.refused.values()} == {"auth.forbidden.write_stage"}
