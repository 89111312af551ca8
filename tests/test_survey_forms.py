"""A respondent's web form that is blank or lacks a required answer is refused on the form
itself, naming the questions by their text; the invitation stays usable and the draft is kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sipas.api import invitations
from sipas.frameworks import load_builtin, require_survey
from sipas.frameworks.registry import builtin_text
from sipas.settings import load_settings
from sipas.store import Database, open_database
from sipas.store import surveys as survey_store
from sipas.store.schema import responses
from sipas.web import create_app

GEN2 = require_survey(load_builtin("sipas-gen2"))


def _survey(db: Database, code: str, framework_id: str) -> None:
    with db.begin() as connection:
        survey_store.create_survey(
            connection,
            code=code,
            framework_id=framework_id,
            framework_version="test",
            year=2026,
            geography="34",
            reference_date=date(2026, 1, 1),
            synthetic=True,
        )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    # The built-in instrument with one required profile question, one required item and at
    # least two satisfaction answers per form.
    spec = yaml.safe_load(builtin_text("sipas-gen2"))
    spec["id"] = "gen2-strict"
    next(q for q in spec["profile"] if q["code"] == "sex")["required"] = True
    spec["satisfaction"]["items"][0]["required"] = True
    spec["satisfaction"]["min_answered"] = 2
    strict = tmp_path / "gen2-strict.yaml"
    strict.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    db = open_database(f"sqlite:///{tmp_path / 'forms.db'}")
    _survey(db, "strict-2026", str(strict))
    _survey(db, "plain-2026", "sipas-gen2")
    settings = load_settings(None, data_dir=tmp_path / "data")
    yield {"db": db, "app": create_app(settings, db)}
    db.close()


def _stored(db: Database) -> int:
    with db.begin() as connection:
        return int(connection.execute(select(func.count()).select_from(responses)).scalar_one())


def _invite(db: Database, survey: str) -> str:
    issued = invitations.create_invitations(db, survey, [invitations.Sampled("01")], 1)
    return f"/survey/{issued[0]['token']}"


def test_a_blank_or_incomplete_form_is_refused_and_the_invitation_stays(
    site: dict[str, Any],
) -> None:
    client = TestClient(site["app"], base_url="https://testserver")
    link = _invite(site["db"], "strict-2026")
    page = client.get(f"{link}?lang=vi").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    sex = "Giới tính"
    first_item = GEN2.satisfaction.items[0].text.vi

    blank = client.post(link, data={"csrf": token, "action": "submit"})
    assert blank.status_code == 422
    assert "Phiếu chưa có câu trả lời nào" in blank.text
    assert f"Chưa trả lời câu hỏi bắt buộc: «{sex}»" in blank.text
    assert f"Chưa trả lời câu hỏi bắt buộc: «{first_item}»" in blank.text
    assert "survey_thanks" not in blank.text and _stored(site["db"]) == 0

    partial = client.post(link, data={"csrf": token, "action": "submit", "Q9_02": "4"})
    assert partial.status_code == 422
    assert f"«{sex}»" in partial.text and f"«{first_item}»" in partial.text
    assert "Mới trả lời 1 câu về mức độ hài lòng; cần ít nhất 2 câu" in partial.text
    assert "Phiếu chưa có câu trả lời nào" not in partial.text
    # The invitation still opens, on the form, with what was typed kept as the draft.
    again = client.get(link)
    assert again.status_code == 200 and 'id="survey-form"' in again.text
    assert 'name="Q9_02" value="4" checked' in again.text
    assert _stored(site["db"]) == 0

    done = client.post(
        link,
        data={"csrf": token, "action": "submit", "sex": "2", "Q9_01": "5", "Q9_02": "4"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and _stored(site["db"]) == 1


def test_the_json_twin_refuses_a_blank_form_too(site: dict[str, Any]) -> None:
    client = TestClient(site["app"], base_url="https://testserver")
    link = _invite(site["db"], "plain-2026")  # the built-in instrument: one answer at least
    url = link.replace("/survey/", "/api/survey/")
    blank = client.post(url, json={"action": "submit", "answers": {"Q9_01": " "}})
    assert blank.status_code == 422
    assert blank.json()["problems"][""][0]["code"] == "survey.blank_form"
    profile_only = client.post(url, json={"action": "submit", "answers": {"sex": "1"}})
    problem = profile_only.json()["problems"][""][0]
    assert problem["code"] == "survey.too_few_answers"
    assert problem["values"] == {"answered": 0, "needed": 1}
    reader = TestClient(site["app"], base_url="https://testserver")  # its session needs CSRF
    assert reader.get(f"{link}.json").json()["answers"] == {"sex": "1"}  # the draft
    ok = client.post(url, json={"action": "submit", "answers": {"sex": "1", "Q9_07": "3"}})
    assert ok.status_code == 200 and ok.json()["status"] == "submitted"
    assert _stored(site["db"]) == 1


def test_required_flags_are_read_from_the_framework() -> None:
    assert GEN2.satisfaction.min_answered == 1
    assert not any(item.required for item in GEN2.satisfaction.items)
    sections = invitations.form_sections(GEN2, "vi")
    assert not invitations.unanswered(GEN2, sections, {"Q9_01": "4"})
    assert set(invitations.unanswered(GEN2, sections, {})) == {""}
