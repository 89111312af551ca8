"""The survey pages in a real browser: headless Chromium (Debian's package, driven by Playwright)
against the app served by uvicorn on a loopback port.

A respondent answers the survey on a 360x740 phone screen with the keyboard alone (Tab, Space,
arrow keys, Enter), saves, comes back and submits, and the response is in the database; a clerk
types a paper form, sees the problem next to its field, corrects it and the form is stored.
Screenshots are kept under test-artifacts/browser/.

Skipped only when /usr/bin/chromium is missing and SIPAS_REQUIRE_BROWSER is not set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from servers import fresh_database, serving
from sipas.api import invitations as inv
from sipas.api import users
from sipas.api.demo import DemoOptions, run_demo
from sipas.settings import load_settings
from sipas.store import surveys as survey_store
from sipas.store.schema import quarantined_rows, responses
from sipas.web import create_app

CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = bool(os.environ.get("SIPAS_REQUIRE_BROWSER"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "browser"
SURVEY = "demo-sipas-2025"
PAPER = "paper-2025"  # open for the clerks' entry: no results of it are published
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not REQUIRED,
    reason="no /usr/bin/chromium (apt-get install chromium chromium-driver); "
    "set SIPAS_REQUIRE_BROWSER=1 to make this a failure",
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("browser")
    with fresh_database(request.param, folder, "sipas_browser") as db:
        run_demo(
            db,
            DemoOptions(
                seed=9,
                years=(2025,),
                respondents_per_province=5,
                provinces=("01", "79"),
                dossiers=0,
            ),
        )
        users.create_user(db, name="clerk", role="clerk", password=PASSWORD)
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
        # Plain HTTP on loopback: the session cookie cannot carry the Secure flag here.
        settings = load_settings(None, data_dir=folder / "data", secure_cookies=False)
        with serving(create_app(settings, db)) as base:
            yield {"db": db, "base": base, "name": request.param}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("SIPAS_REQUIRE_BROWSER is set but /usr/bin/chromium is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - a missing test dependency
        pytest.fail(f"playwright is not installed: {error}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


def _focused(page: Any) -> dict[str, str]:
    found: dict[str, str] = page.evaluate(
        "() => { const e = document.activeElement; return {tag: e.tagName, id: e.id || '',"
        " name: e.name || '', type: e.type || '', value: e.value || ''}; }"
    )
    return found


def _wait_for_focus(page: Any, wanted: str) -> None:
    """The browser gives ``autofocus`` the focus once the page is shown: wait for it."""
    page.wait_for_function(
        "wanted => document.activeElement && document.activeElement.id === wanted",
        arg=wanted,
        timeout=5000,
    )


def _tab_to(page: Any, wanted: str, limit: int = 400) -> None:
    """Press Tab until the element with id ``wanted`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused(page)["id"] == wanted:
            return
    raise AssertionError(f"Tab never reached #{wanted}")


def _answer_by_keyboard(page: Any, answers: dict[str, str | list[str]]) -> None:
    """Walk the form with Tab; pick each answer with Space and the arrow keys, as a keyboard
    user does (a radio group is one tab stop, its options are reached with the arrows)."""
    done: set[str] = set()
    for _ in range(400):
        page.keyboard.press("Tab")
        now = _focused(page)
        if now["id"] == "send":
            break
        name, kind = now["name"], now["type"]
        wanted = answers.get(name)
        if wanted is None:
            continue
        if kind == "radio" and name not in done:
            page.keyboard.press("Space")  # checks the first option of the group
            for _ in range(int(str(wanted)) - 1):
                page.keyboard.press("ArrowDown")
            done.add(name)
        elif kind == "checkbox" and now["value"] in wanted:
            page.keyboard.press("Space")
        elif kind == "textarea" and isinstance(wanted, str):
            page.keyboard.type(wanted)
    else:
        raise AssertionError("Tab never reached the send button")
    missing = {n for n, v in answers.items() if isinstance(v, str) and n not in done}
    missing -= {n for n in answers if n == "Q11"}
    assert not missing, f"not reached by Tab: {missing}"


def _stored(db: Any, key: str) -> list[Any]:
    with db.begin() as connection:
        return list(
            connection.execute(sa.select(responses).where(responses.c.respondent_key == key))
        )


def test_respondent_answers_on_a_phone_with_the_keyboard(
    server: dict[str, Any], browser: Any
) -> None:
    issued = inv.create_invitations(
        server["db"], SURVEY, [inv.Sampled("79", stratum="79-u", psu="p-3", weight=1.75)], 7
    )[0]
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(server["base"] + issued["link"])
    assert page.evaluate("document.documentElement.lang") == "vi"
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    answers: dict[str, str | list[str]] = {"sex": "2", "age_band": "3", "Q1_1": "2"}
    answers |= {"Q2": ["1", "4"], "Q11": "Cần nhanh hơn"}
    answers |= {f"Q9_{n:02d}": str(1 + n % 5) for n in range(1, 34)}
    _answer_by_keyboard(page, answers)
    page.screenshot(
        path=str(ARTIFACTS / f"respondent-phone-filled-{server['name']}.png"), full_page=True
    )
    # Save and come back later: Shift+Tab from "send" reaches "save".
    page.keyboard.press("Shift+Tab")
    assert _focused(page)["value"] == "save"
    page.keyboard.press("Enter")
    page.wait_for_url("**?saved=1")
    assert _stored(server["db"], issued["respondent_key"]) == []
    page.goto(server["base"] + issued["link"])  # resumed from the server's draft
    assert page.is_checked('input[name="Q9_07"][value="3"]')
    assert page.is_checked('input[name="Q2"][value="4"]')
    _tab_to(page, "send")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Cảm ơn")
    page.screenshot(
        path=str(ARTIFACTS / f"respondent-phone-thanks-{server['name']}.png"), full_page=True
    )
    context.close()
    rows = _stored(server["db"], issued["respondent_key"])
    assert len(rows) == 1
    row = rows[0]
    assert (row.province_code, row.stratum, row.psu, row.weight) == ("79", "79-u", "p-3", 1.75)
    assert row.profile["sex"] == 2 and row.profile["age_band"] == 3
    assert row.answers["Q1_1"] == 2 and row.answers["Q2"] == "1;4"
    assert row.answers["Q11"] == "Cần nhanh hơn"
    assert [row.answers[f"Q9_{n:02d}"] for n in range(1, 34)] == [1 + n % 5 for n in range(1, 34)]


def test_language_switch_keeps_unsaved_answers_without_javascript(
    server: dict[str, Any], browser: Any
) -> None:
    issued = inv.create_invitations(server["db"], SURVEY, [inv.Sampled("01")], 7)[0]
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    page.goto(server["base"] + issued["link"])
    page.check('input[name="Q9_03"][value="2"]')
    page.check('input[name="Q2"][value="4"]')
    page.fill("#in-Q11", "Giấy tờ nhiều quá")
    with page.expect_navigation():
        page.click("header >> text=English")  # typed, never saved
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.is_checked('input[name="Q9_03"][value="2"]')
    assert page.is_checked('input[name="Q2"][value="4"]')
    assert page.input_value("#in-Q11") == "Giấy tờ nhiều quá"
    page.screenshot(
        path=str(ARTIFACTS / f"respondent-language-switch-{server['name']}.png"), full_page=False
    )
    page.check('input[name="Q9_04"][value="5"]')
    with page.expect_navigation():
        page.click("header >> text=Tiếng Việt")
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.is_checked('input[name="Q9_04"][value="5"]')
    assert page.is_checked('input[name="Q9_03"][value="2"]')
    context.close()
    assert _stored(server["db"], issued["respondent_key"]) == []  # still a draft


def test_clerk_enters_a_paper_form_by_keyboard(server: dict[str, Any], browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server["base"] + "/login")
    page.focus("#name")
    page.keyboard.type("clerk")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(server["base"] + f"/clerk/{PAPER}")
    _wait_for_focus(page, "in-respondent_key")  # ready to type at once
    # In the order of the paper form: number, date, stratum, PSU, weight, province, district,
    # commune, village, sex; blanks are skipped with Tab.
    typed = ["HP-0077", "05/11/2026", "", "", "", "01", "", "00007", "", "1"]
    for value in typed:
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    page.focus("#in-Q9_01")
    for value in ("8", "4", "4", "5"):  # Q9_01 … Q9_04, the first one wrong
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#err-Q9_01")
    _wait_for_focus(page, "in-Q9_01")  # the problem has the focus…
    assert page.get_attribute("#in-Q9_01", "aria-describedby").startswith("err-Q9_01")
    assert page.is_visible("[role=alert]")
    page.screenshot(path=str(ARTIFACTS / f"clerk-problem-{server['name']}.png"), full_page=False)
    page.keyboard.press("Control+A")  # …and is typed over
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    page.wait_for_selector("[role=status]")
    _wait_for_focus(page, "in-respondent_key")  # ready for the next form
    assert page.input_value("#in-province") == "01"
    page.screenshot(path=str(ARTIFACTS / f"clerk-stored-{server['name']}.png"), full_page=False)
    context.close()
    rows = _stored(server["db"], "HP-0077")
    assert len(rows) == 1
    assert rows[0].commune == "00007" and rows[0].profile["sex"] == 1
    assert [rows[0].answers[f"Q9_0{n}"] for n in range(1, 5)] == [2, 4, 4, 5]
    with server["db"].begin() as connection:
        kept = connection.execute(
            sa.select(quarantined_rows.c.status).where(
                quarantined_rows.c.respondent_key == "HP-0077"
            )
        ).scalars()
        assert list(kept) == ["resolved"]  # the refused entry was kept, then resolved
