"""The PAR workspace as an officer uses it, in a real headless Chromium against the real app served
over loopback: an area edited and saved in one form, a refused value shown beside its field with
what was typed kept, the lock asked for before it happens, and the header on a 390 px phone.

Chromium comes from Debian (/usr/bin/chromium), driven by Playwright, as in test_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from browsers import ARTIFACTS, launched_chromium, require_chromium
from par_fixtures import EVERY_RUBRIC
from servers import serving
from sipas.api import par, users
from sipas.settings import load_settings
from sipas.store import Database, open_database

PASSWORD = "correct horse battery"
ADMIN = par.Actor("admin", "admin")
CAMPAIGN = "open-2025"

pytestmark = pytest.mark.browser

require_chromium()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Database]]:
    from sipas.web import create_app

    folder = tmp_path_factory.mktemp("browser-par")
    db = open_database(f"sqlite:///{folder / 'site.db'}")
    db.upgrade()
    users.create_user(db, name="officer01", role="officer", password=PASSWORD, province="01")
    users.create_user(
        db, name="officer79", role="officer", password=PASSWORD, province="79",
        display_name="Nguyễn Thị Phương Thảo",
    )  # fmt: skip
    framework = folder / "every-rubric.yaml"
    framework.write_text(EVERY_RUBRIC, encoding="utf-8")
    par.create_campaign(db, ADMIN, code=CAMPAIGN, framework=str(framework), year=2025)
    par.assign(db, ADMIN, CAMPAIGN, user="officer01", role="self_assessor", unit="01")
    par.assign(db, ADMIN, CAMPAIGN, user="officer79", role="self_assessor", unit="79")
    app = create_app(load_settings(None, data_dir=folder / "data"), db)
    with serving(app) as base:
        yield base, db
    db.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


def _signed_in(browser: Any, base: str, name: str, target: str, **options: Any) -> Any:
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
    page = context.new_page()
    page.goto(f"{base}{target}")
    page.fill("#name", name)  # redirected to the login page first
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{target}")
    return page


def _self_scores(db: Database, unit: str) -> dict[str, float | None]:
    return {row["node"]: row["self"] for row in par.unit_scores(db, ADMIN, CAMPAIGN, unit)}


def _field(node: str, kind: str = "points") -> str:
    return f"#{kind}-{node.replace('.', chr(92) + '.')}"


def test_officer_edits_an_area_and_saves_it_in_one_form(site: Any, browser: Any) -> None:
    base, db = site
    page = _signed_in(browser, base, "officer01", f"/workspace/{CAMPAIGN}/01")
    assert page.inner_text("h1") == "Hà Nội · Tự đánh giá"  # names, not "01" or "self"
    assert "Hà Nội" in page.title() and "self" not in page.title()
    page.fill(_field("1.1"), "2")
    page.fill(_field("1.1", "note"), "kế hoạch số 12/KH-UBND")
    page.fill(_field("1.2"), "1")
    page.fill(_field("1.5"), "1,5")
    page.click("#save-1")
    page.wait_for_selector("#saved")
    assert "Chỉ đạo điều hành" in page.inner_text("#saved")  # the area by its name
    saved = _self_scores(db, "01")
    assert (saved["1.1"], saved["1.2"], saved["1.5"]) == (2.0, 1.0, 1.5)
    assert saved["1.3"] is None  # left blank: not written
    # After the save the form shows what is stored, and the note beside its criterion.
    assert page.input_value(_field("1.1")) == "2"
    assert page.input_value(_field("1.5")) == "1,5"
    assert page.input_value(_field("1.1", "note")) == "kế hoạch số 12/KH-UBND"
    assert "kế hoạch số 12/KH-UBND" in page.inner_text("#leaf-1\\.1 .notes")
    assert "1,50" in page.inner_text("#leaf-1\\.5 .scores")
    page.screenshot(path=str(ARTIFACTS / "par-area-saved.png"), full_page=True)
    page.context.close()


def test_a_refused_value_is_shown_beside_its_field_and_nothing_is_saved(
    site: Any, browser: Any
) -> None:
    base, db = site
    par.write_score(db, ADMIN, CAMPAIGN, unit="79", node="1.1", stage="self", points=1)
    page = _signed_in(browser, base, "officer79", f"/workspace/{CAMPAIGN}/79")
    assert page.input_value(_field("1.1")) == "1"  # pre-filled with the stored score
    page.fill(_field("1.1"), "2")
    page.fill(_field("1.2"), "7")  # above the leaf's maximum of 1
    page.fill(_field("1.2", "note"), "đã có dự toán")
    page.click("#save-1")
    page.wait_for_selector("#err-1\\.2")
    said = page.inner_text("#err-1\\.2")
    assert "7 điểm vượt quá điểm tối đa 1 của tiêu chí" in said and "từ 0 đến 1" in said
    assert page.get_attribute(_field("1.2"), "aria-invalid") == "true"
    assert page.locator(".field-error").count() == 1  # only the bad field is marked
    # What was typed is still there, the good value too, and nothing of the area was saved.
    assert page.input_value(_field("1.2")) == "7"
    assert page.input_value(_field("1.2", "note")) == "đã có dự toán"
    assert page.input_value(_field("1.1")) == "2"
    assert _self_scores(db, "79")["1.1"] == 1.0 and _self_scores(db, "79")["1.2"] is None
    page.screenshot(path=str(ARTIFACTS / "par-area-refused.png"), full_page=True)
    page.fill(_field("1.2"), "1")
    page.click("#save-1")
    page.wait_for_selector("#saved")
    assert _self_scores(db, "79")["1.1"] == 2.0 and _self_scores(db, "79")["1.2"] == 1.0
    page.context.close()


def _locked(db: Database, unit: str) -> bool:
    units = {u["unit_code"]: u for u in par.campaign_units(db, CAMPAIGN)}
    return units[unit]["locked_at"] is not None


def _complete(db: Database, unit: str) -> None:
    """Every self-assessed leaf scored, with a note where evidence is expected."""
    for leaf in ("1.1", "1.2", "1.3", "1.4", "1.5", "B.1", "B.2", "P.1"):
        par.write_score(
            db, ADMIN, CAMPAIGN, unit=unit, node=leaf, stage="self", points=0, note="xem hồ sơ"
        )


def test_lock_asks_first_and_nothing_is_locked_when_cancelled(site: Any, browser: Any) -> None:
    base, db = site
    _complete(db, "48")
    users.create_user(db, name="officer48", role="officer", password=PASSWORD, province="48")
    url = f"/workspace/{CAMPAIGN}/48"
    page = _signed_in(browser, base, "officer48", url)
    asked: list[str] = []

    def cancel(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", cancel)
    page.click("#lock-button")
    page.wait_for_timeout(300)  # a cancelled dialog sends nothing: there is nothing to wait for
    assert asked and "Chốt tự đánh giá của Đà Nẵng?" in asked[0]
    assert page.url == f"{base}{url}" and not _locked(db, "48")
    page.context.close()
    # Without script the server asks on a page of its own; going back locks nothing either.
    page = _signed_in(browser, base, "officer48", url, java_script_enabled=False)
    page.click("#lock-button")
    page.wait_for_selector("#confirm-question")
    assert "Chốt tự đánh giá của Đà Nẵng?" in page.inner_text("#confirm-question")
    page.click("#confirm-no")
    page.wait_for_selector("#lock-button")
    assert not _locked(db, "48")
    page.click("#lock-button")
    page.click("#confirm-yes")  # confirmed: now it is locked
    page.wait_for_selector("#locked")
    assert _locked(db, "48")
    page.context.close()


def _header_fits(page: Any) -> tuple[int, int]:
    found = page.evaluate(
        "() => { const h = document.querySelector('header');"
        " return [h.scrollWidth, h.clientWidth, document.documentElement.scrollWidth]; }"
    )
    return found[0], found[1]


def test_the_header_fits_a_390_px_phone(site: Any, browser: Any) -> None:
    base, _ = site
    phone = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2}
    visitor = browser.new_context(**phone).new_page()
    visitor.goto(f"{base}/login")
    scroll, client = _header_fits(visitor)
    assert scroll <= client, (scroll, client)
    visitor.context.close()
    # Signed in, the header carries more: the workspace link, the user's name, the logout button.
    page = _signed_in(browser, base, "officer79", f"/workspace/{CAMPAIGN}/79", **phone)
    scroll, client = _header_fits(page)
    assert scroll <= client, (scroll, client)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    header = page.locator("header").bounding_box()
    assert header is not None and header["height"] < 844 / 4  # compact: the page shows below it
    assert not page.locator("#site-nav").is_visible()  # the links fold behind the menu button
    page.screenshot(path=str(ARTIFACTS / "par-workspace-390.png"))
    page.click(".menu-button")
    assert page.locator("#site-nav a[href='/workspace']").is_visible()
    scroll, client = _header_fits(page)
    assert scroll <= client, (scroll, client)
    page.screenshot(path=str(ARTIFACTS / "par-workspace-390-menu.png"))
    page.context.close()
