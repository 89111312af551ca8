"""Survey pages in-process, on SQLite and on the real PostgreSQL server: invitations (random,
hashed, single use, expiring), the respondent's form with save-and-resume and one response per
invitation however often it is submitted, and the clerk's entry of paper forms validated and
quarantined as imports are.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient

from servers import fresh_database
from sipas.api import invitations as inv
from sipas.api import users
from sipas.api.demo import DemoOptions, run_demo
from sipas.cli.context import AppContext
from sipas.cli.invitations import invitations as invitations_cli
from sipas.errors import SipasError
from sipas.frameworks import load_builtin, require_survey
from sipas.settings import load_settings
from sipas.store import surveys as survey_store
from sipas.store.schema import audit_log, quarantined_rows, responses, survey_invitations
from sipas.web import create_app

PASSWORD = "correct horse battery"
SURVEY = "demo-sipas-2025"
PAPER = "paper-2025"  # open for entry: no results of it are published yet
ROLES = {"admin": None, "analyst": None, "officer": "01", "appraiser": None, "clerk": None}
GEN2 = require_survey(load_builtin("sipas-gen2"))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("web_survey")
    with fresh_database(request.param, folder, "sipas_survey") as db:
        run_demo(
            db,
            DemoOptions(
                seed=5,
                years=(2025,),
                respondents_per_province=8,
                provinces=("01", "79"),
                dossiers=0,
            ),
        )
        for role, province in ROLES.items():
            users.create_user(db, name=role, role=role, password=PASSWORD, province=province)
        with db.begin() as connection:
            survey_store.create_survey(
                connection,
                code=PAPER,
                framework_id="sipas-gen2",
                framework_version="2024",
                year=2025,
                geography="34",
                reference_date=date(2025, 7, 1),
                synthetic=True,
            )
        settings = load_settings(None, data_dir=folder / "data")
        yield {"db": db, "app": create_app(settings, db), "url": db.url, "folder": folder}


def _client(site: dict[str, Any], who: str | None = None) -> TestClient:
    client = TestClient(site["app"], base_url="https://testserver")
    if who is not None:
        token = _csrf(client, "/login")
        response = client.post(
            "/login",
            data={"name": who, "password": PASSWORD, "csrf": token},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
    return client


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def _invite(site: dict[str, Any], **design: Any) -> dict[str, Any]:
    person = inv.Sampled(**{"province_code": "79", **design})
    return inv.create_invitations(site["db"], SURVEY, [person], expires_days=7)[0]


def _rows(site: dict[str, Any], table: sa.Table, *where: Any) -> list[Any]:
    with site["db"].begin() as connection:
        return list(connection.execute(sa.select(table).where(*where)))


def _responses_of(site: dict[str, Any], key: str) -> list[Any]:
    return _rows(site, responses, responses.c.respondent_key == key)


def _audit(site: dict[str, Any], action: str, entity_id: str) -> list[Any]:
    return _rows(site, audit_log, audit_log.c.action == action, audit_log.c.entity_id == entity_id)


# -- invitations -----------------------------------------------------------------------------


def test_tokens_are_random_stored_only_as_hashes(site: dict[str, Any]) -> None:
    people = [inv.Sampled("01", stratum="01-urban", psu="c-12", weight=3.5)] * 3
    issued = inv.create_invitations(site["db"], SURVEY, people, expires_days=10, actor="t")
    tokens = [i["token"] for i in issued]
    assert len(set(tokens)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{40}", t) for t in tokens)  # 40 hex digits = 160 bits
    stored = _rows(
        site,
        survey_invitations,
        survey_invitations.c.respondent_key.in_([i["respondent_key"] for i in issued]),
    )
    assert sorted(r.token_hash for r in stored) == sorted(
        hashlib.sha256(t.encode()).hexdigest() for t in tokens
    )
    everything = json.dumps([list(r) for r in stored], default=str)
    assert not any(t in everything for t in tokens)  # the token itself is nowhere
    assert {(r.province_code, r.stratum, r.psu, r.weight) for r in stored} == {
        ("01", "01-urban", "c-12", 3.5)
    }
    audits = _audit(site, "survey.invite", f"{SURVEY}/{issued[0]['respondent_key']}")
    assert len(audits) == 1 and tokens[0] not in json.dumps(audits[0].after)


def test_invitations_refuse_bad_design_values(site: dict[str, Any]) -> None:
    with pytest.raises(SipasError) as bad_province:
        inv.create_invitations(site["db"], SURVEY, [inv.Sampled("99")], expires_days=5)
    assert bad_province.value.code == "invitations.bad_province"
    with pytest.raises(SipasError) as bad_weight:
        inv.create_invitations(site["db"], SURVEY, [inv.Sampled("01", weight=0)], 5)
    assert bad_weight.value.code == "invitations.bad_weight"
    with pytest.raises(SipasError) as unknown:
        inv.create_invitations(site["db"], "no-such-survey", [inv.Sampled("01")], 5)
    assert unknown.value.code == "survey.unknown"


def test_unknown_and_expired_links_are_refused(site: dict[str, Any]) -> None:
    client = _client(site)
    missing = client.get("/survey/" + "0" * 40)
    assert missing.status_code == 404 and "Traceback" not in missing.text
    assert client.get("/survey/" + "0" * 40 + ".json").json()["code"] == "survey.invitation_unknown"
    issued = _invite(site)
    with site["db"].begin() as connection:
        connection.execute(
            sa.update(survey_invitations)
            .where(survey_invitations.c.respondent_key == issued["respondent_key"])
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    expired = client.get(issued["link"] + ".json")
    assert expired.status_code == 410 and expired.json()["code"] == "survey.invitation_expired"
    day = datetime.now(UTC) - timedelta(minutes=1)
    page = client.get(issued["link"]).text
    assert f"Đường dẫn mời này đã hết hạn ngày {day:%d/%m/%Y}" in page
    assert "Hãy xin nhóm điều tra một lời mời mới" in page
    assert "this invitation expired" not in page
    token = _csrf(client, "/login")
    post = client.post(issued["link"], data={"csrf": token, "action": "submit", "Q9_01": "4"})
    assert post.status_code == 410 and _responses_of(site, issued["respondent_key"]) == []


# -- the respondent's form -------------------------------------------------------------------


def test_form_is_generated_from_the_framework_in_vietnamese_and_english(
    site: dict[str, Any],
) -> None:
    issued = _invite(site)
    client = _client(site)
    page = client.get(issued["link"])
    assert page.status_code == 200 and '<html lang="vi">' in page.text
    item = GEN2.satisfaction.items[0]
    assert item.text.vi in page.text and item.text.en not in page.text
    # 33 satisfaction items x 5 answers, each a radio button named by the item's code
    assert len(re.findall(r'type="radio" name="Q9_\d\d"', page.text)) == 33 * 5
    # Q2 (9 channels) and Q7 (9 channels) are the checkbox questions
    assert len(re.findall(r'type="checkbox" name="Q', page.text)) == 9 + 9  # not the menu's
    assert page.text.count("<fieldset") >= 33 and page.text.count("<legend") >= 33
    assert 'name="province"' not in page.text  # the invitation says where the respondent lives
    assert 'name="csrf"' in page.text
    english = client.get(issued["link"] + "?lang=en")
    assert '<html lang="en">' in english.text and item.text.en in english.text
    twin = client.get(issued["link"] + ".json").json()
    assert twin["status"] == "open" and twin["survey"] == SURVEY
    names = inv.field_names(twin["sections"])
    assert names[-33:] == [i.code for i in GEN2.satisfaction.items]
    assert "Q1_1" in names and "Q11" in names and "province" not in names


def test_save_and_resume_keeps_the_draft_on_the_server(site: dict[str, Any]) -> None:
    issued = _invite(site)
    first = _client(site)
    token = _csrf(first, issued["link"])
    saved = first.post(
        issued["link"],
        data={"csrf": token, "action": "save", "Q9_01": "4", "Q2": ["1", "3"], "Q11": "xin chào"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    later = _client(site)  # another device, another session: the link alone resumes
    page = later.get(issued["link"]).text
    assert re.search(r'name="Q9_01" value="4" checked', page)
    assert re.search(r'name="Q2" value="1" checked', page)
    assert re.search(r'name="Q2" value="3" checked', page)
    assert not re.search(r'name="Q2" value="2" checked', page)
    assert "xin chào</textarea>" in page
    assert _responses_of(site, issued["respondent_key"]) == []  # a draft is not a response
    assert len(_audit(site, "survey.draft", f"{SURVEY}/{issued['respondent_key']}")) == 1


def test_switching_language_keeps_the_answers_typed(site: dict[str, Any]) -> None:
    issued = _invite(site)
    client = _client(site)
    page = client.get(issued["link"]).text
    # The switch is a submit button of the form itself (HTML's form attribute), not a link.
    assert re.search(
        r'<button type="submit" form="survey-form" name="action" value="lang:en"', page
    )
    assert 'id="survey-form"' in page and '<a href="?lang=en"' not in page
    # Enter in a field presses the first button of the form in the page: saving the draft
    first = re.search(r'<button type="submit"[^>]*>', page)
    assert first is not None and 'value="save"' in first.group(0)
    token = _csrf(client, issued["link"])
    typed = {"csrf": token, "action": "lang:en", "Q9_01": "4", "Q2": ["1", "3"], "Q11": "chậm"}
    switched = client.post(issued["link"], data=typed, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"].endswith("?lang=en")
    english = client.get(switched.headers["location"]).text
    assert '<html lang="en">' in english and GEN2.satisfaction.items[0].text.en in english
    assert re.search(r'name="Q9_01" value="4" checked', english)
    assert re.search(r'name="Q2" value="3" checked', english)
    assert "chậm</textarea>" in english
    assert 'value="lang:vi"' in english  # and back again
    back = client.post(
        issued["link"], data={**typed, "action": "lang:vi", "Q9_02": "5"}, follow_redirects=False
    )
    vietnamese = client.get(back.headers["location"]).text
    assert '<html lang="vi">' in vietnamese
    assert re.search(r'name="Q9_02" value="5" checked', vietnamese)
    assert _responses_of(site, issued["respondent_key"]) == []  # a switch never submits
    odd = client.post(issued["link"], data={**typed, "action": "lang:fr"}, follow_redirects=False)
    assert odd.status_code == 303 and _responses_of(site, issued["respondent_key"]) == []


def test_problems_are_shown_next_to_their_fields_for_screen_readers(
    site: dict[str, Any],
) -> None:
    issued = _invite(site)
    client = _client(site)
    token = _csrf(client, issued["link"])
    refused = client.post(
        issued["link"],
        data={"csrf": token, "action": "submit", "Q9_01": "9", "Q9_02": "5"},
    )
    assert refused.status_code == 422
    html = refused.text
    assert 'role="alert"' in html and 'href="#f-Q9_01"' in html
    assert 'id="err-Q9_01"' in html
    assert re.search(r'name="Q9_01" value="1"[^>]*aria-describedby="err-Q9_01"', html)
    assert 'aria-invalid="true"' in html and 'aria-describedby="err-Q9_02"' not in html
    assert "Mã trả lời không có trong danh sách" in html
    assert re.search(r'name="Q9_02" value="5" checked', html)  # what was typed stays
    assert _responses_of(site, issued["respondent_key"]) == []
    draft = _rows(
        site, survey_invitations, survey_invitations.c.respondent_key == issued["respondent_key"]
    )[0].draft
    assert draft == {"Q9_01": "9", "Q9_02": "5"}  # kept for the next visit


def test_submission_is_stored_once_with_the_invitation_design(site: dict[str, Any]) -> None:
    issued = _invite(site, stratum="79-rural", psu="xa-26734", weight=2.5)
    key = issued["respondent_key"]
    client = _client(site)
    token = _csrf(client, issued["link"])
    answers = {"csrf": token, "action": "submit", "sex": "2", "Q9_01": "4", "Q9_33": "1"}
    answers |= {"Q2": ["1", "3"], "Q1_2": "3", "Q11": "Thủ tục nhanh hơn"}
    sent = client.post(issued["link"], data=answers, follow_redirects=False)
    assert sent.status_code == 303
    again = client.post(issued["link"], data=answers, follow_redirects=False)
    assert again.status_code == 303  # a double submit is answered the same way…
    stored = _responses_of(site, key)
    assert len(stored) == 1  # …and stores one response
    row = stored[0]
    assert (row.province_code, row.stratum, row.psu, row.weight) == (
        "79",
        "79-rural",
        "xa-26734",
        2.5,
    )
    assert row.interview_date == date.today()
    assert row.profile["sex"] == 2
    assert row.answers["Q9_01"] == 4 and row.answers["Q9_33"] == 1 and row.answers["Q9_02"] is None
    assert row.answers["Q2"] == "1;3" and row.answers["Q1_2"] == 3
    assert row.answers["Q11"] == "Thủ tục nhanh hơn"
    assert len(_audit(site, "survey.respond", f"{SURVEY}/{key}")) == 1
    thanks = client.get(issued["link"])
    assert (
        thanks.status_code == 200 and "Cảm ơn" in thanks.text and 'type="radio"' not in thanks.text
    )
    twin = client.post(
        f"/api/survey/{issued['token']}",
        json={"action": "submit", "answers": {"Q9_01": "1"}},
        headers={"X-CSRF-Token": token},
    )
    assert twin.json()["status"] == "already_submitted" and len(_responses_of(site, key)) == 1
    save = client.post(issued["link"], data={"csrf": token, "action": "save", "Q9_01": "2"})
    assert save.status_code == 409  # a used invitation takes no more drafts


def test_racing_submits_store_one_response(site: dict[str, Any]) -> None:
    issued = _invite(site)
    results: list[str] = []
    barrier = threading.Barrier(6)

    def send() -> None:
        barrier.wait()
        results.append(inv.submit(site["db"], issued["token"], {"Q9_05": "5"})["status"])

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already_submitted"] * 5 + ["submitted"]
    assert len(_responses_of(site, issued["respondent_key"])) == 1


def test_concurrent_submissions_are_checked_and_written_together(site: dict[str, Any]) -> None:
    people = [inv.Sampled("01", stratum="s", psu=f"p{n}") for n in range(15)]
    issued = inv.create_invitations(site["db"], SURVEY, people, expires_days=3)
    same = {f"Q9_{n:02d}": "4" for n in range(1, 34)}  # twelve people, identical answers
    work = [(i["token"], same) for i in issued[:12]]
    work += [(i["token"], {**same, "Q9_10": "0"}) for i in issued[12:]]  # three mistakes
    work += [(issued[0]["token"], same)] * 3  # and one person pressing "send" four times
    results: dict[int, str] = {}
    barrier = threading.Barrier(len(work))

    def send(n: int, token: str, answers: dict[str, str]) -> None:
        barrier.wait()
        results[n] = inv.submit(site["db"], token, answers)["status"]

    threads = [threading.Thread(target=send, args=(n, *w)) for n, w in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [results[n] for n in range(len(work))]
    assert statuses[1:12] == ["submitted"] * 11
    assert statuses[12:15] == ["invalid"] * 3
    assert sorted([statuses[0], *statuses[15:]]) == ["already_submitted"] * 3 + ["submitted"]
    keys = [i["respondent_key"] for i in issued]
    stored = _rows(site, responses, responses.c.respondent_key.in_(keys))
    assert sorted(r.respondent_key for r in stored) == sorted(keys[:12])
    assert sorted(r.psu for r in stored) == sorted(f"p{n}" for n in range(12))
    assert all(r.answers["Q9_01"] == 4 for r in stored)
    drafts = _rows(site, survey_invitations, survey_invitations.c.respondent_key.in_(keys[12:]))
    assert [d.draft["Q9_10"] for d in drafts] == ["0"] * 3 and all(
        d.submitted_at is None for d in drafts
    )
    respond = _rows(
        site,
        audit_log,
        audit_log.c.action == "survey.respond",
        audit_log.c.entity_id.in_([f"{SURVEY}/{k}" for k in keys]),
    )
    assert len(respond) == 12


def test_the_database_constraint_holds_when_the_check_is_passed(site: dict[str, Any]) -> None:
    issued = _invite(site)
    assert inv.submit(site["db"], issued["token"], {"Q9_03": "3"})["status"] == "submitted"
    with site["db"].begin() as connection:  # as if a second request had read "open" earlier
        connection.execute(
            sa.update(survey_invitations)
            .where(survey_invitations.c.respondent_key == issued["respondent_key"])
            .values(submitted_at=None)
        )
    again = inv.submit(site["db"], issued["token"], {"Q9_03": "1"})
    assert again["status"] == "already_submitted"  # the unique (survey, respondent) constraint
    stored = _responses_of(site, issued["respondent_key"])
    assert len(stored) == 1 and stored[0].answers["Q9_03"] == 3


def test_writes_need_the_form_token(site: dict[str, Any]) -> None:
    issued = _invite(site)
    client = _client(site)
    client.get(issued["link"])
    forged = client.post(issued["link"], data={"action": "submit", "Q9_01": "4"})
    assert forged.status_code == 403
    api = client.post(f"/api/survey/{issued['token']}", json={"answers": {"Q9_01": "4"}})
    assert api.status_code == 403 and _responses_of(site, issued["respondent_key"]) == []


def test_json_api_saves_and_submits(site: dict[str, Any]) -> None:
    issued = _invite(site)
    client = _client(site)
    token = _csrf(client, issued["link"])
    headers = {"X-CSRF-Token": token}
    url = f"/api/survey/{issued['token']}"
    assert client.get(issued["link"] + ".json").json()["csrf"] == token
    saved = client.post(url, json={"action": "save", "answers": {"Q9_07": "2"}}, headers=headers)
    assert saved.json() == {"status": "saved", "answered": 1}
    assert client.get(issued["link"] + ".json").json()["answers"] == {"Q9_07": "2"}
    bad = client.post(url, json={"answers": {"Q9_07": "six"}}, headers=headers)
    assert (
        bad.status_code == 422 and bad.json()["problems"]["Q9_07"][0]["code"] == "ingest.bad_code"
    )
    good = client.post(url, json={"answers": {"Q9_07": "2"}}, headers=headers)
    assert good.json()["status"] == "submitted"
    assert _responses_of(site, issued["respondent_key"])[0].answers["Q9_07"] == 2


# -- the clerk's entry of paper forms --------------------------------------------------------

CLERK_PAGES = ("/clerk", f"/clerk/{PAPER}")
ALLOWED = {"admin": 200, "clerk": 200, "analyst": 403, "officer": 403, "appraiser": 403}


@pytest.mark.parametrize("who", [*ALLOWED, None])
def test_only_clerks_and_admins_enter_paper_forms(site: dict[str, Any], who: str | None) -> None:
    client = _client(site, who)
    for path in CLERK_PAGES:
        assert client.get(f"{path}.json").status_code == (ALLOWED[who] if who else 401), path
        html = client.get(path, follow_redirects=False)
        assert html.status_code == (ALLOWED[who] if who else 303), path
    token = _csrf(client, "/login")
    form = {"csrf": token, "respondent_key": f"auth-{who}", "province": "01"}
    form |= {"interview_date": "02/11/2026", "Q9_01": "4"}
    posted = client.post(f"/clerk/{PAPER}", data=form, follow_redirects=False)
    assert posted.status_code == (303 if who in ("admin", "clerk") else 401 if who is None else 403)
    api = client.post(
        f"/api/clerk/{PAPER}",
        json={"fields": {**form, "respondent_key": f"auth-api-{who}"}},
        headers={"X-CSRF-Token": token},
    )
    assert api.status_code == (200 if who in ("admin", "clerk") else 401 if who is None else 403)
    stored = _responses_of(site, f"auth-{who}") + _responses_of(site, f"auth-api-{who}")
    assert len(stored) == (2 if who in ("admin", "clerk") else 0)


def test_clerk_form_is_made_for_the_keyboard(site: dict[str, Any]) -> None:
    client = _client(site, "clerk")
    page = client.get(f"/clerk/{PAPER}").text
    assert re.search(r'id="in-respondent_key"[^>]*autofocus', page)
    assert page.count("autofocus") == 1 and "tabindex=" not in page.replace('tabindex="-1"', "")
    assert re.search(r'<label for="in-Q9_01">', page)
    assert re.search(r'id="in-Q9_01"[^>]*inputmode="numeric"', page)
    inputs = re.findall(r'<input id="in-([^"]+)"', page)
    # the design fields, then every field of the framework in the order of the paper form
    assert inputs[:5] == ["respondent_key", "interview_date", "stratum", "psu", "weight"]
    assert inputs[5:9] == ["province", "district", "commune", "village"]
    assert inputs[-33:] == [i.code for i in GEN2.satisfaction.items]


def test_clerk_stores_a_valid_form_and_keeps_the_place_for_the_next(site: dict[str, Any]) -> None:
    client = _client(site, "clerk")
    token = _csrf(client, f"/clerk/{PAPER}")
    form = {"csrf": token, "respondent_key": "HN-0001", "province": "01", "commune": "00004"}
    form |= {"interview_date": "03/11/2026", "stratum": "01-u", "psu": "p-7", "weight": "12.5"}
    form |= {"sex": "1", "Q2": "2 4", "Q9_01": "5", "Q9_02": "3", "Q1_3": "2"}
    saved = client.post(f"/clerk/{PAPER}", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/clerk/{PAPER}?status=stored&saved=HN-0001"
    row = _responses_of(site, "HN-0001")[0]
    assert (row.province_code, row.stratum, row.psu, row.weight) == ("01", "01-u", "p-7", 12.5)
    assert row.interview_date == date(2026, 11, 3) and row.commune == "00004"
    assert row.answers["Q9_01"] == 5 and row.answers["Q2"] == "2;4" and row.answers["Q1_3"] == 2
    audits = _audit(site, "survey.clerk_entry", f"{PAPER}/HN-0001")
    assert [a.actor for a in audits] == ["clerk"] and audits[0].after["status"] == "stored"
    following = client.get(saved.headers["location"]).text
    assert "HN-0001" in following and 'role="status"' in following
    assert 'name="province" value="01"' in following  # the bundle's place is kept…
    assert 'name="interview_date" value="03/11/2026"' in following
    assert 'name="respondent_key" value=""' in following  # …the form number and answers are not
    assert 'name="Q9_01" value=""' in following
    again = client.post(f"/clerk/{PAPER}", data=form, follow_redirects=False)
    assert again.headers["location"].endswith("status=unchanged&saved=HN-0001")
    assert len(_responses_of(site, "HN-0001")) == 1


def test_clerk_language_switch_keeps_the_fields_typed_and_stores_nothing(
    site: dict[str, Any],
) -> None:
    client = _client(site, "clerk")
    page = client.get(f"/clerk/{PAPER}?lang=vi").text
    assert re.search(r'<button type="submit" form="clerk-form" name="action" value="lang:en"', page)
    # Enter in a field presses the first button of the form in the page: saving, not switching
    first = re.search(r'<button type="submit"[^>]*>', page)
    assert first is not None and "lang:" not in first.group(0)
    token = _csrf(client, f"/clerk/{PAPER}")
    form = {"csrf": token, "action": "lang:en", "respondent_key": "HN-LANG-1", "Q9_01": "4"}
    switched = client.post(f"/clerk/{PAPER}", data=form, follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == f"/clerk/{PAPER}?lang=en"
    english = client.get(switched.headers["location"]).text
    assert '<html lang="en"' in english
    assert 'name="respondent_key" value="HN-LANG-1"' in english
    assert 'name="Q9_01" value="4"' in english
    assert _responses_of(site, "HN-LANG-1") == []  # switching language stores nothing
    # the typed fields come back once, not on every later visit
    assert 'name="respondent_key" value=""' in client.get(f"/clerk/{PAPER}").text


def test_clerk_refused_form_is_quarantined_with_reasons_then_corrected(
    site: dict[str, Any],
) -> None:
    client = _client(site, "clerk")
    token = _csrf(client, f"/clerk/{PAPER}")
    form = {"csrf": token, "respondent_key": "HCM-0042", "province": "79"}
    form |= {"interview_date": "28/02/2026", "Q9_01": "7", "Q9_02": "4", "weight": "-1"}
    form |= {"Q9_03": "0"}  # the validator reports answers before the weight; the form is after
    refused = client.post(f"/clerk/{PAPER}", data=form)
    assert refused.status_code == 422
    html = refused.text
    for field in ("Q9_01", "Q9_03", "weight"):
        assert f'id="err-{field}"' in html, field
        assert re.search(rf'id="in-{field}"[^>]*aria-describedby="err-{field}', html), field
    # the focus on the first problem in the order of the form
    assert re.search(r'id="in-weight"[^>]*autofocus', html) and html.count("autofocus") == 1
    # The import path's message, with its specifics, in the page's language.
    assert "Q9_01 = 7 không phải là một trong các mã trả lời 1, 2, 3, 4, 5" in html
    english = client.post(f"/clerk/{PAPER}?lang=en", data=form).text
    assert "Q9_01 = &#39;7&#39; is not one of the answer codes 1, 2, 3, 4, 5" in english
    assert 'name="Q9_02" value="4"' in html  # nothing typed is lost
    assert _responses_of(site, "HCM-0042") == []
    kept = _rows(site, quarantined_rows, quarantined_rows.c.respondent_key == "HCM-0042")
    assert len(kept) == 1 and kept[0].status == "open"
    assert "Quyền số &#39;-1&#39; không phải là số dương" in html  # declared, with its value
    reasons = {r["code"]: r for r in kept[0].reasons}
    assert reasons["ingest.bad_weight"]["values"] == {"value": "-1"}  # stored: renders again
    assert {r["field"] for r in kept[0].reasons} == {"Q9_01", "Q9_03", "weight"}
    assert kept[0].data["Q9_01"] == "7"
    audits = _audit(site, "survey.clerk_entry", f"{PAPER}/HCM-0042")
    assert audits[0].after["status"] == "quarantined"
    form |= {"Q9_01": "2", "Q9_03": "3", "weight": "1"}
    fixed = client.post(f"/clerk/{PAPER}", data=form, follow_redirects=False)
    assert fixed.status_code == 303
    assert _responses_of(site, "HCM-0042")[0].answers["Q9_01"] == 2
    resolved = _rows(site, quarantined_rows, quarantined_rows.c.respondent_key == "HCM-0042")
    assert [r.status for r in resolved] == ["resolved"]


def test_clerks_enter_only_into_surveys_open_for_entry(site: dict[str, Any]) -> None:
    client = _client(site, "clerk")
    page = client.get(f"/clerk/{SURVEY}?lang=vi")
    assert page.status_code == 409
    assert f"Cuộc điều tra {SURVEY} đã công bố kết quả" in page.text
    token = _csrf(client, "/login")
    form = {"csrf": token, "respondent_key": "LATE-1", "province": "01", "Q9_01": "4"}
    form |= {"interview_date": "02/11/2026"}
    assert client.post(f"/clerk/{SURVEY}", data=form, follow_redirects=False).status_code == 409
    api = client.post(
        f"/api/clerk/{SURVEY}", json={"fields": form}, headers={"X-CSRF-Token": token}
    )
    assert api.status_code == 409 and api.json()["code"] == "survey.closed_for_entry"
    assert _responses_of(site, "LATE-1") == []


def test_clerk_pages_have_json_twins(site: dict[str, Any]) -> None:
    client = _client(site, "clerk")
    listing = client.get("/clerk.json").json()
    assert PAPER in [s["code"] for s in listing["surveys"]]
    assert SURVEY not in [s["code"] for s in listing["surveys"]]  # published: closed
    form = client.get(f"/clerk/{PAPER}.json").json()
    assert form["design"] == ["respondent_key", "interview_date", "stratum", "psu", "weight"]
    assert form["invitations"]["issued"] >= 0
    assert client.get("/clerk/nope.json").status_code == 404
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/clerk.json", "/clerk/{survey}.json", "/survey/{token}.json"} <= set(paths)
    assert {"/api/survey/{token}", "/api/clerk/{survey}"} <= set(paths)


# -- the command line ------------------------------------------------------------------------


def test_cli_issues_invitations_to_a_private_file(site: dict[str, Any], tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path / "data", database_url=site["url"])
    out = tmp_path / "tokens.csv"
    args = ["create", "--survey", SURVEY, "--count", "2", "--province", "01", "--province", "79"]
    args += ["--weight", "4", "--expires", "14", "-o", str(out), "--format", "json"]
    result = CliRunner().invoke(invitations_cli, args, obj=AppContext(settings=settings))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["province_code"] for r in rows] == ["01", "01", "79", "79"]
    assert {r["weight"] for r in rows} == {"4.0"}
    summary = json.loads(result.output)
    assert [(s["province"], s["invitations"]) for s in summary] == [("01", 2), ("79", 2)]
    page = _client(site).get(rows[0]["link"])
    assert page.status_code == 200 and "Q9_01" in page.text
    again = CliRunner().invoke(invitations_cli, args, obj=AppContext(settings=settings))
    assert again.exit_code != 0 and "never overwritten" in str(again.exception)
    status = CliRunner().invoke(
        invitations_cli,
        ["status", "--survey", SURVEY, "--format", "json"],
        obj=AppContext(settings=settings),
    )
    assert status.exit_code == 0, status.output
    shown = {r["province"]: r for r in json.loads(status.output)}
    now = datetime.now(UTC)
    expected: dict[str, dict[str, int]] = {}
    for row in _rows(site, survey_invitations):  # counted here from the table itself
        counts = expected.setdefault(
            row.province_code, {"issued": 0, "submitted": 0, "open": 0, "expired": 0}
        )
        counts["issued"] += 1
        if row.submitted_at is not None:
            counts["submitted"] += 1
        elif inv._aware(row.expires_at) > now:
            counts["open"] += 1
        else:
            counts["expired"] += 1
    assert {
        p: {k: r[k] for k in ("issued", "submitted", "open", "expired")} for p, r in shown.items()
    } == expected
    sample = tmp_path / "sample.csv"
    sample.write_text("province_code,stratum,psu,weight,respondent_key\n01,s1,p1,2.5,S-1\n")
    out2 = tmp_path / "t2.csv"
    result = CliRunner().invoke(
        invitations_cli,
        ["create", "--survey", SURVEY, "--sample", str(sample), "-o", str(out2)],
        obj=AppContext(settings=settings),
    )
    assert result.exit_code == 0, result.output
    stored = _rows(site, survey_invitations, survey_invitations.c.respondent_key == "S-1")
    assert (stored[0].stratum, stored[0].psu, stored[0].weight) == ("s1", "p1", 2.5)


def test_a_program_holding_the_token_submits_without_a_session(site: dict[str, Any]) -> None:
    issued = _invite(site)
    client = _client(site)  # no page visited: no session cookie, no CSRF token
    url = f"/api/survey/{issued['token']}"
    first = client.post(url, json={"action": "submit", "answers": {"Q9_04": "5"}})
    assert first.status_code == 200 and first.json()["status"] == "submitted"
    again = client.post(url, json={"action": "submit", "answers": {"Q9_04": "5"}})
    assert again.json()["status"] == "already_submitted"
    assert len(_responses_of(site, issued["respondent_key"])) == 1
    wrong = client.post("/api/survey/" + "0" * 40, json={"answers": {"Q9_04": "5"}})
    assert wrong.status_code == 404
