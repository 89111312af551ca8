"""The web application in-process, on SQLite and on the real PostgreSQL server: every route, the
JSON twins, downloads, logging in, CSRF, and who may read and write what (an authorization matrix).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from conftest import ROOT
from par_fixtures import EVERY_RUBRIC
from servers import fresh_database
from sipas.api import par, users
from sipas.api.demo import DemoOptions, run_demo
from sipas.settings import load_settings
from sipas.store import Database, open_database
from sipas.store import surveys as survey_store
from sipas.web import create_app
from upload_samples import MINIMAL_PDF

PASSWORD = "correct horse battery"
ACCOUNTS = {
    "admin": ("admin", None),
    "analyst": ("analyst", None),
    "officer01": ("officer", "01"),
    "officer79": ("officer", "79"),
    "appraiser": ("appraiser", None),
    "clerk": ("clerk", None),
    "guessed": ("clerk", None),  # locked out by the throttling test
}
PDF = MINIMAL_PDF


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("web")
    with fresh_database(request.param, folder, "sipas_web") as db:
        yield _build_site(db, folder)


def _build_site(db: Database, folder: Path) -> dict[str, Any]:
    run_demo(
        db,
        DemoOptions(
            seed=3,
            years=(2024, 2025),
            respondents_per_province=40,
            provinces=("01", "79"),
            dossiers=3_000,
            # Where the app's settings look for the dossiers: data_dir/dossiers by default.
            dossier_folder=folder / "data" / "dossiers",
        ),
    )
    for name, (role, province) in ACCOUNTS.items():
        users.create_user(db, name=name, role=role, password=PASSWORD, province=province)
    with db.begin() as connection:  # a survey open for the clerks' entry
        survey_store.create_survey(
            connection,
            code="paper-2025",
            framework_id="sipas-gen2",
            framework_version="2024",
            year=2025,
            geography="34",
            reference_date=date(2025, 7, 1),
            synthetic=True,
        )
    framework = folder / "every-rubric.yaml"
    framework.write_text(EVERY_RUBRIC, encoding="utf-8")
    admin = par.Actor("admin", "admin")
    par.create_campaign(db, admin, code="open-2025", framework=str(framework), year=2025)
    par.assign(db, admin, "open-2025", user="officer01", role="self_assessor", unit="01")
    par.assign(db, admin, "open-2025", user="officer79", role="self_assessor", unit="79")
    par.assign(db, admin, "open-2025", user="appraiser", role="appraiser", node="1")
    settings = load_settings(None, data_dir=folder / "data")
    return {
        "db": db,
        "app": create_app(settings, db),
        "results": folder / "data" / "dossiers" / "results" / "service-766",
    }


def _client(site: dict[str, Any], who: str | None = None) -> TestClient:
    client = TestClient(site["app"], base_url="https://testserver")
    if who is not None:
        response = _login(client, who, PASSWORD)
        assert response.status_code == 303, response.text
    return client


def _csrf(client: TestClient, path: str = "/login") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def _login(client: TestClient, name: str, password: str) -> Any:
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf": _csrf(client), "next": "/workspace"},
        follow_redirects=False,
    )


PUBLIC_PAGES = [
    "/",
    "/sipas/demo-sipas-2025",
    "/sipas/demo-sipas-2025?region=Đồng bằng sông Hồng",
    "/sipas/demo-sipas-2024",
    "/sipas/demo-sipas-2024-on-34",
    "/sipas/demo-sipas-2025/province/01",
    "/sipas/demo-sipas-2025/compare?a=01&b=79",
    "/par/demo-par-2019",
    "/service-index",
    "/service-index?period=2025-Q3",
    "/service-index/2025-07/unit/79",
    "/service-index/2025-07/unit/79.SO01",
    "/login",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_and_their_json_twins(site: dict[str, Any], path: str) -> None:
    client = _client(site)
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in page.headers
    if path != "/login":
        assert "DỮ LIỆU GIẢ LẬP" in page.text  # synthetic data says so on every page
        base, _, query = path.partition("?")
        twin = client.get(f"{base}.json" + (f"?{query}" if query else ""))
        assert twin.status_code == 200 and twin.json()["synthetic"] is True


def test_ranking_page_numbers_are_the_api_numbers(site: dict[str, Any]) -> None:
    client = _client(site)
    data = client.get("/sipas/demo-sipas-2025.json").json()
    assert [r["code"] for r in data["rows"]] and data["geography"] == "34"
    first = data["rows"][0]
    page = client.get("/sipas/demo-sipas-2025").text
    shown = f"{first['estimate']:.2f}".replace(".", ",")  # Vietnamese decimal comma
    assert shown in page and first["name"] in page
    english = client.get("/sipas/demo-sipas-2025?lang=en").text
    assert f"{first['estimate']:.2f}" in english and "SYNTHETIC DATA" in english
    assert data["previous"] == "demo-sipas-2024-on-34"  # change measured on the same geography
    assert '<script src="/vendor/plotly.min.js">' in page
    plotly = client.get("/vendor/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000


def test_downloads_hold_the_same_numbers_and_no_formulas(site: dict[str, Any]) -> None:
    client = _client(site)
    data = client.get("/sipas/demo-sipas-2025/download.json").json()
    text = client.get("/sipas/demo-sipas-2025/download.csv").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))  # headed in Vietnamese, the default
    assert [r["Mã"] for r in rows] == [r["code"] for r in data]
    assert float(rows[0]["Chỉ số"]) == pytest.approx(data[0]["estimate"])
    assert rows[0]["Ước lượng chưa ổn định"] in ("Có", "Không")  # words, not True/False
    english = client.get("/sipas/demo-sipas-2025/download.csv?lang=en").content.decode("utf-8-sig")
    assert next(csv.DictReader(io.StringIO(english)))["Index"] == rows[0]["Chỉ số"]
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/sipas/demo-sipas-2025/download.xlsx").content)
    )
    sheet = book.active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(2, header.index("Chỉ số") + 1)
    assert cell.value == pytest.approx(data[0]["estimate"]) and cell.number_format == "0.00"
    par_rows = client.get("/par/demo-par-2019/download.json").json()
    assert len(par_rows) == 2 and par_rows[0]["rank"] == 1
    assert client.get("/sipas/demo-sipas-2025/download.exe").status_code == 400


def test_errors_are_pages_or_json_never_tracebacks(site: dict[str, Any]) -> None:
    client = _client(site)
    missing = client.get("/sipas/nope")
    assert missing.status_code == 404 and "Traceback" not in missing.text
    assert client.get("/sipas/nope.json").json()["code"] == "public.unknown_run"
    assert client.get("/sipas/demo-sipas-2025/province/99.json").status_code == 404
    assert client.get("/api/docs").status_code == 200
    assert "cdn" not in client.get("/api/docs").text.lower()
    assert "/sipas/{run}.json" in client.get("/api/openapi.json").json()["paths"]


def test_errors_speak_the_language_of_the_page(site: dict[str, Any]) -> None:
    client = _client(site)
    page = client.get("/sipas/nope?lang=vi")
    assert page.status_code == 404
    assert "Không có kết quả SIPAS đã công bố nào tên nope" in page.text
    assert "Xem danh sách các năm trên trang SIPAS" in page.text
    assert "no published" not in page.text and "public.unknown_run" in page.text  # the code
    english = client.get("/sipas/nope?lang=en").text
    assert "no published SIPAS results called" in english and "Không có" not in english
    nowhere = client.get("/nowhere?lang=vi")
    assert nowhere.status_code == 404 and "Không có trang này" in nowhere.text
    assert client.get("/nowhere.json").json()["code"] == "http.not_found"
    incomplete = client.get("/sipas/demo-sipas-2025/compare?lang=vi")
    assert incomplete.status_code == 422 and "Yêu cầu thiếu hoặc sai: a, b" in incomplete.text
    assert client.get("/sipas/demo-sipas-2025/compare.json").json()["code"] == "http.bad_request"
    period = client.get("/service-index?period=2025-13&lang=vi")
    assert period.status_code == 400 and "2025-13 không phải là một kỳ đánh giá" in period.text
    unit = client.get("/service-index/2025-Q3/unit/99?lang=vi").text
    assert "Không có tỉnh, bộ hay đơn vị mã 99 trong kết quả kỳ 2025-Q3" in unit
    officer = _client(site, "officer01")
    token = _csrf(officer, "/workspace/open-2025/01?lang=vi")
    form = {"stage": "self", "points": "2.5", "note": "nhiều", "csrf": token}
    too_much = officer.post("/workspace/open-2025/01/1.5", data=form)
    assert too_much.status_code == 400
    said = "open-2025 › đơn vị 01 › tiêu chí 1.5: 2,5 điểm vượt quá điểm tối đa 2 của tiêu chí"
    assert said in too_much.text and "Hãy nhập một số từ 0 đến 2" in too_much.text
    in_english = officer.post("/workspace/open-2025/01/1.5?lang=en", data=form).text
    assert "2.5 points is above the leaf&#39;s maximum of 2" in in_english
    refused = _client(site, "officer79").get("/workspace/open-2025/01?lang=vi")
    assert refused.status_code == 403
    assert "officer79 (cán bộ tỉnh) không được xem điểm của đơn vị 01" in refused.text
    wrong = client.post(
        "/login?lang=vi",
        data={"name": "ghost", "password": "wrong password!", "csrf": _csrf(client)},
    )
    assert wrong.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in wrong.text


def test_login_throttling_and_csrf(site: dict[str, Any]) -> None:
    client = _client(site)
    assert _login(client, "analyst", "wrong password!").status_code == 401
    assert _login(client, "nobody", PASSWORD).status_code == 401
    no_token = client.post(
        "/login", data={"name": "analyst", "password": PASSWORD}, follow_redirects=False
    )
    assert no_token.status_code == 403
    for _ in range(4):
        _login(client, "guessed", "wrong password!")
    throttled = _login(client, "guessed", "wrong password!")
    assert throttled.status_code == 401  # the fifth failure starts the wait
    assert _login(client, "guessed", PASSWORD).status_code == 429  # even the right password waits
    ok = _login(client, "analyst", PASSWORD)
    assert ok.status_code == 303 and ok.headers["location"] == "/workspace"
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    evil = _client(site)
    assert (
        evil.post(
            "/login",
            data={
                "name": "analyst",
                "password": PASSWORD,
                "csrf": _csrf(evil),
                "next": "//evil.example",
            },
            follow_redirects=False,
        ).headers["location"]
        == "/"
    )


# Who may open a unit's page, and who may write its self-assessment, while the campaign is at
# the self stage: officers of the unit's province only, and admins.
READ = {
    "admin": 200,
    "analyst": 200,
    "officer01": 200,
    "officer79": 403,
    "appraiser": 200,
    "clerk": 403,
    None: 401,
}
WRITE_SELF = {
    "admin": 303,
    "analyst": 403,
    "officer01": 303,
    "officer79": 403,
    "appraiser": 403,
    "clerk": 403,
}


@pytest.mark.parametrize("who", list(READ))
def test_authorization_matrix(site: dict[str, Any], who: str | None) -> None:
    client = _client(site, who)
    for path in ("/workspace/open-2025/01.json", "/workspace/open-2025/01/history.json"):
        assert client.get(path).status_code == READ[who], (who, path)
    page = client.get("/workspace/open-2025/01", follow_redirects=False)
    assert page.status_code == (303 if who is None else READ[who])
    listing = client.get("/workspace.json")
    assert listing.status_code == (401 if who is None else 403 if who == "clerk" else 200)
    if who is None:
        return
    token = _csrf(client, "/login")
    before = par.unit_scores(site["db"], par.Actor("admin", "admin"), "open-2025", "01")
    form = client.post(
        "/workspace/open-2025/01/1.5",
        data={"stage": "self", "points": "1", "note": "báo cáo", "csrf": token},
        follow_redirects=False,
    )
    assert form.status_code == WRITE_SELF[who], (who, form.text[:200])
    api = client.post(
        "/api/par/open-2025/01/1.5",
        json={"stage": "self", "points": 1.5},
        headers={"X-CSRF-Token": token},
    )
    assert api.status_code == (200 if WRITE_SELF[who] == 303 else 403), (who, api.text)
    area = client.post(
        "/workspace/open-2025/01",
        data={"stage": "self", "area": "1", "points.1.5": "1", "note.1.5": "", "csrf": token},
        follow_redirects=False,
    )
    assert area.status_code == WRITE_SELF[who], (who, area.text[:200])
    if WRITE_SELF[who] != 303:
        after = par.unit_scores(site["db"], par.Actor("admin", "admin"), "open-2025", "01")
        assert after == before  # a refused write changes nothing
    forged = client.post(
        "/workspace/open-2025/01/1.5", data={"stage": "self", "points": "1"}, follow_redirects=False
    )
    assert forged.status_code == 403  # no CSRF token: refused whoever asks


def test_officer_self_assesses_with_evidence_and_sees_history(site: dict[str, Any]) -> None:
    client = _client(site, "officer01")
    token = _csrf(client, "/workspace/open-2025/01")
    saved = client.post(
        "/workspace/open-2025/01/1.2",
        data={"stage": "self", "value": "", "points": "1", "note": "có kinh phí", "csrf": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    upload = client.post(
        "/workspace/open-2025/01/1.2/evidence",
        data={"csrf": token},
        files={"file": ("kế hoạch.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert upload.status_code == 303
    bad = client.post(
        "/workspace/open-2025/01/1.2/evidence",
        data={"csrf": token},
        files={"file": ("virus.exe", b"MZ", "application/octet-stream")},
    )
    assert bad.status_code == 400
    assert "virus.exe: không nhận tệp .exe làm tài liệu kiểm chứng" in bad.text
    page = client.get("/workspace/open-2025/01").text
    assert "kế hoạch.pdf" in page
    history = client.get("/workspace/open-2025/01/history.json?node=1.2").json()["rows"]
    assert [h["action"] for h in history][-2:] == ["par.self", "par.evidence"]
    assert history[-2]["actor"] == "officer01"
    other = client.get("/workspace/open-2025/79")
    assert other.status_code == 403
    listed = client.get("/workspace/open-2025/01.json").json()["evidence"]
    link = f"/workspace/open-2025/01/evidence/{listed[0]['id']}"
    download = _client(site, "appraiser").get(link)  # appraisers read the evidence they appraise
    assert download.status_code == 200 and download.content == PDF
    assert "filename*=UTF-8''k%E1%BA%BF" in download.headers["content-disposition"]
    assert _client(site, "officer79").get(link).status_code == 403
    assert client.get("/workspace/open-2025/01/evidence/999999").status_code == 404


def test_cached_views_follow_every_change(tmp_path: Path) -> None:
    from sipas.api.queries import public

    db = open_database(f"sqlite:///{tmp_path / 'cache.db'}")
    db.upgrade()
    framework = tmp_path / "flat.yaml"
    from par_fixtures import FLAT

    framework.write_text(FLAT, encoding="utf-8")
    admin = par.Actor("admin", "admin")
    par.create_campaign(
        db,
        admin,
        code="c",
        framework=str(framework),
        year=2025,
        units=[{"unit_code": "U", "name": "U", "kind": "commune", "province_code": "01"}],
    )
    assert public.cached(db, "par_campaigns") == []
    par.write_scores(
        db,
        admin,
        "c",
        "self",
        [
            {"unit": "U", "node": "1", "points": 50, "note": "x"},
            {"unit": "U", "node": "2", "points": 30, "note": "x"},
        ],
    )
    for stage in ("appraisal1", "explanation", "appraisal2", "final"):
        par.advance(db, admin, "c", stage)
    assert [c["code"] for c in public.cached(db, "par_campaigns")] == ["c"]
    assert public.cached(db, "par_ranking", "c", None)["units"][0]["index"] == 80.0


def test_reports_from_the_web_app(site: dict[str, Any]) -> None:
    from pypdf import PdfReader

    client = _client(site)
    pdf = client.get("/sipas/demo-sipas-2025/province/01/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Hà Nội" in text
    book = client.get("/sipas/demo-sipas-2025/report.xlsx?lang=en")
    assert book.status_code == 200 and openpyxl.load_workbook(io.BytesIO(book.content)).sheetnames
    assert client.get("/sipas/demo-sipas-2025/report.doc").status_code == 400


def _vi(value: float, digits: int = 2) -> str:
    """A number as the Vietnamese pages write it: 1.234,56."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _cells(html: str, row_id: str) -> list[str]:
    """The text of each cell of the table row marked ``row_id`` (data-code or id)."""
    found = re.search(rf'<tr (?:data-code|id)="{re.escape(row_id)}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"no row {row_id}"
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", found.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in cells]


def test_service_index_ranking_shows_the_stored_results(site: dict[str, Any]) -> None:
    import json

    import pandas as pd

    folder = site["results"] / "2025-Q3"
    stored = pd.read_parquet(folder / "scores.parquet")
    agencies = stored[stored.level == "agency"].sort_values(["rank", "unit_code"])
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    client = _client(site)
    data = client.get("/service-index.json?period=2025-Q3").json()
    assert [r["code"] for r in data["rows"]] == list(agencies.unit_code)
    assert [r["rank"] for r in data["rows"]] == list(agencies["rank"])
    assert [r["total"] for r in data["rows"]] == pytest.approx(list(agencies.total))
    assert data["dossiers"] == meta["dossiers"] and data["excluded_rows"] == meta["excluded_rows"]
    assert len(data["rows"]) == 34 and data["previous"] == "2025-Q2"
    html = client.get("/service-index?period=2025-Q3").text
    assert f'id="dossiers">{_vi(meta["dossiers"], 0)}<' in html
    assert f'id="excluded">{_vi(meta["excluded_rows"], 0)}<' in html
    groups = [g["code"] for g in data["groups"]]
    for record in agencies.to_dict("records"):
        cells = _cells(html, record["unit_code"])
        change = "" if pd.isna(record["change"]) else _vi(record["change"])
        assert cells[0] == str(record["rank"]), record["unit_code"]
        assert cells[2:4] == [_vi(record["total"]), ("+" if record["change"] > 0 else "") + change]
        assert cells[4:10] == [_vi(record[g]) for g in groups]
        assert cells[10] == _vi(record["dossiers"], 0)
    assert "<optgroup" in html and 'value="2025-07"' in html  # year, quarters and months
    english = client.get("/service-index?period=2025-Q3&lang=en").text
    assert f"{agencies.total.iloc[0]:.2f}" in english and "Total points" in english
    text = client.get("/service-index/2025-Q3/download.csv?lang=vi").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["Mã"] for r in rows] == list(agencies.unit_code)
    assert [float(r["Tổng điểm"]) for r in rows] == pytest.approx(list(agencies.total), abs=1e-4)
    assert client.get("/service-index/2031/download.csv").status_code == 404
    assert client.get("/service-index.json?period=2025-13").json()["code"] == (
        "service_index.bad_period"
    )


def test_service_index_unit_page_shows_indicators_units_months_and_procedures(
    site: dict[str, Any],
) -> None:
    import json

    import pandas as pd

    folder = site["results"] / "2025-Q3"
    client = _client(site)
    data = client.get("/service-index/2025-Q3/unit/01.json").json()
    html = client.get("/service-index/2025-Q3/unit/01").text
    indicators = pd.read_parquet(folder / "indicators.parquet")
    mine = indicators[(indicators.level == "agency") & (indicators.unit_code == "01")]
    assert [i["indicator"] for i in data["indicators"]] == list(mine.indicator)
    for record in mine.to_dict("records"):
        shown = next(i for i in data["indicators"] if i["indicator"] == record["indicator"])
        assert (shown["numerator"], shown["denominator"]) == (
            record["numerator"],
            record["denominator"],
        )
        cells = _cells(html, f"ind-{record['indicator']}")
        assert cells[1:3] == [_vi(record["numerator"], 0), _vi(record["denominator"], 0)]
        if shown["kind"] == "share" and not pd.isna(record["ratio"]):
            assert cells[3] == _vi(record["ratio"] * 100) + "%"
        if shown["scored"]:
            assert cells[4] == f"{_vi(record['points'])} / {_vi(shown['max_points'], 0)}"
    scores = pd.read_parquet(folder / "scores.parquet")
    units = scores[(scores.level == "unit") & (scores.agency_code == "01")]
    units = units.sort_values(["rank", "unit_code"])
    assert [u["code"] for u in data["subunits"]] == list(units.unit_code)
    for record in units.to_dict("records"):
        cells = _cells(html, record["unit_code"])
        assert cells[0] == str(record["rank"]) and cells[2] == _vi(record["total"])
    months = [
        pd.read_parquet(site["results"] / f"2025-{m:02d}" / "scores.parquet") for m in range(1, 13)
    ]
    expected = [
        float(m[(m.level == "agency") & (m.unit_code == "01")].total.iloc[0]) for m in months
    ]
    assert [p["period"] for p in data["trend"]] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert [p["total"] for p in data["trend"]] == pytest.approx(expected)
    assert 'data-chart="trend-chart"' in html
    # The drill-down adds up to the agency's indicators, for every indicator stored by procedure
    # (the dossier indicators only when computed with the full drill-down).
    fine = pd.read_parquet(folder / "procedures.parquet")
    fine = fine[fine.agency_code == "01"]
    procedures = data["procedures"]
    assert len({p["procedure"] for p in procedures}) == len(procedures)
    stored = [c.removesuffix("_num") for c in fine.columns if c.endswith("_num")]
    assert {"T1", "O4", "P1", "D1"} <= set(stored)  # the demo computes the full drill-down
    for code in stored:
        numerator = sum(p["indicators"].get(code, {}).get("numerator", 0) for p in procedures)
        denominator = sum(p["indicators"].get(code, {}).get("denominator", 0) for p in procedures)
        agency = mine[mine.indicator == code].iloc[0]
        assert (numerator, denominator) == (agency.numerator, agency.denominator), code
    assert sum(p["dossiers"] for p in procedures) == fine.dossiers.sum()
    detailed = json.loads((folder / "meta.json").read_text(encoding="utf-8")).get("procedures")
    assert ('id="procedure-note"' in html) == (detailed is False)
    # The busiest procedures on the page, every one on demand.
    assert html.count('<tr><th scope="row">') == min(30, len(procedures)) < len(procedures)
    every = client.get("/service-index/2025-Q3/unit/01?procedures=all").text
    assert all(f">{p['procedure']}</th>" in every for p in procedures)
    one = client.get("/service-index/2025-Q3/unit/01.SO01.json").json()
    assert one["level"] == "unit" and one["agency"]["code"] == "01" and one["subunits"] == []
    missing = client.get("/service-index/2025-Q3/unit/99")
    assert missing.status_code == 404 and "Traceback" not in missing.text


def test_service_index_without_results_says_how_to_compute_them(
    site: dict[str, Any], tmp_path: Path
) -> None:
    settings = load_settings(None, data_dir=tmp_path / "data")  # no dossiers there
    client = TestClient(create_app(settings, site["db"]), base_url="https://testserver")
    page = client.get("/service-index")
    assert page.status_code == 200 and 'id="no-results"' in page.text
    assert "sipas service-index compute --data DATASET" in page.text
    assert "service_index_data" in page.text
    data = client.get("/service-index.json").json()
    assert data["rows"] == [] and data["periods"] == []
    home = client.get("/").text
    assert 'href="/service-index"' in home
    assert client.get("/service-index/2025/unit/01").status_code == 404


@pytest.fixture(scope="module")
def every_province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The demo on every province (few respondents): the rankings fill their whole grids."""
    folder = tmp_path_factory.mktemp("provinces")
    with fresh_database("sqlite", folder, "provinces") as db:
        options = DemoOptions(seed=4, years=(2024, 2025), respondents_per_province=20, dossiers=0)
        run_demo(db, options)
        app = create_app(load_settings(None, data_dir=folder / "data"), db)
        yield TestClient(app, base_url="https://testserver")


def _grid(geography: str) -> dict[str, tuple[int, int]]:
    path = ROOT / "src" / "sipas" / "reports" / "data" / f"tiles_{geography}.csv"
    with path.open(encoding="utf-8") as handle:
        return {r["code"]: (int(r["row"]), int(r["col"])) for r in csv.DictReader(handle)}


def _tiles(figure: dict[str, Any]) -> dict[str, tuple[int, int, float, str]]:
    """code → (row, col, value, hover text) of every tile drawn; a code twice fails."""
    trace = figure["data"][0]
    found: dict[str, tuple[int, int, float, str]] = {}
    for r, line in enumerate(trace["z"]):
        for c, value in enumerate(line):
            if value is None:
                continue
            code = re.match(r"<b>(\d\d)</b><br>", trace["text"][r][c])
            assert code, trace["text"][r][c]
            assert code.group(1) not in found, f"{code.group(1)} has two tiles"
            found[code.group(1)] = (r, c, value, trace["hovertext"][r][c])
    return found


@pytest.mark.parametrize(
    ("path", "geography", "key"),
    [
        ("/sipas/demo-sipas-2025.json", "34", "rows"),
        ("/sipas/demo-sipas-2024.json", "63", "rows"),
        ("/sipas/demo-sipas-2024.json?region=Tây Nguyên", "63", "rows"),
        ("/par/demo-par-2019.json", "63", "units"),
    ],
)
def test_tile_maps_put_each_ranked_province_on_its_square_of_the_grid(
    every_province: TestClient, path: str, geography: str, key: str
) -> None:
    data = every_province.get(path).json()
    ranked = {r.get("code", r.get("unit")): r for r in data[key]}
    tiles = _tiles(data["charts"]["map"])
    assert set(tiles) == set(ranked)  # every province of the ranking once, no other
    grid = _grid(geography)
    assert len(ranked) == len(grid) or "region" in path
    for code, (row, col, value, hover) in tiles.items():
        assert (row, col) == grid[code]
        shown = ranked[code]
        assert value == pytest.approx(shown.get("estimate", shown.get("index")))
        assert hover.startswith(f"{shown['name']}: {_vi(value)}")
        if key == "rows":  # SIPAS: the interval too
            assert hover.endswith(f"95%: {_vi(shown['ci_low'])}–{_vi(shown['ci_high'])})")
    page = every_province.get(path.replace(".json", "")).text
    assert 'data-chart="map-chart"' in page


def _routes() -> set[tuple[str, str]]:
    from sipas.web import (
        pages_analysis,
        pages_auth,
        pages_par,
        pages_public,
        pages_published,
        pages_service_index,
        pages_survey,
    )

    found = {
        ("GET", "/health"),
        ("GET", "/api/docs"),
        ("GET", "/api/openapi.json"),
        ("GET", "/vendor/plotly.min.js"),
    }
    for module in (
        pages_analysis,
        pages_auth,
        pages_public,
        pages_published,
        pages_service_index,
        pages_par,
        pages_survey,
    ):
        for route in module.router.routes:
            found |= {(method, route.path) for method in route.methods}
    return found


# Every GET route with real values, and who may open it: "public" answers everyone; "workspace"
# follows READ (unit pages) or the listing rule; "clerk" admits admins and clerks.
GET_ROUTES = {
    "/health": "public",
    "/api/docs": "public",
    "/api/openapi.json": "public",
    "/vendor/plotly.min.js": "public",
    "/login": "public",
    "/": "public",
    "/.json": "public",
    "/sipas": "redirect",
    "/par": "redirect",
    "/sipas/{run}": "public",
    "/sipas/{run}.json": "public",
    "/sipas/{run}/province/{code}": "public",
    "/sipas/{run}/province/{code}.json": "public",
    "/sipas/{run}/compare": "public",
    "/sipas/{run}/compare.json": "public",
    "/sipas/{run}/province/{code}/priorities": "public",
    "/sipas/{run}/province/{code}/priorities.json": "public",
    "/sipas/{run}/province/{code}/cross-index": "public",
    "/sipas/{run}/province/{code}/cross-index.json": "public",
    "/sipas/{run}/sensitivity": "public",
    "/sipas/{run}/sensitivity.json": "public",
    "/sipas/published/{year}/compare": "public",
    "/sipas/published/{year}/compare.json": "public",
    "/par/published/{year}/compare": "public",
    "/par/published/{year}/compare.json": "public",
    "/sipas/{run}/download.{kind}": "public",
    "/par/{campaign}": "public",
    "/par/{campaign}.json": "public",
    "/par/{campaign}/download.{kind}": "public",
    "/sipas/published/{year}": "public",
    "/sipas/published/{year}.json": "public",
    "/par/published/{year}": "public",
    "/par/published/{year}.json": "public",
    "/sipas/{run}/report.{kind}": "public",
    "/sipas/{run}/province/{code}/report.{kind}": "public",
    "/service-index": "public",
    "/service-index.json": "public",
    "/service-index/{period}/unit/{code}": "public",
    "/service-index/{period}/unit/{code}.json": "public",
    "/service-index/{period}/download.{kind}": "public",
    "/workspace": "listing",
    "/workspace.json": "listing",
    "/workspace/{campaign}": "listing",
    "/workspace/{campaign}.json": "listing",
    "/workspace/{campaign}/{unit}": "unit",
    "/workspace/{campaign}/{unit}.json": "unit",
    "/workspace/{campaign}/{unit}/history": "unit",
    "/workspace/{campaign}/{unit}/history.json": "unit",
    "/workspace/{campaign}/{unit}/whatif": "unit",
    "/workspace/{campaign}/{unit}/whatif.json": "unit",
    "/workspace/{campaign}/{unit}/evidence/{evidence_id}": "evidence",
    "/survey/{token}": "token",
    "/survey/{token}.json": "token",
    "/clerk": "clerk",
    "/clerk.json": "clerk",
    "/clerk/{survey}": "clerk",
    "/clerk/{survey}.json": "clerk",
    "/account/password": "account",
    "/account/password.json": "account",
    "/admin/users": "admin",
    "/admin/users.json": "admin",
}
POST_ROUTES = {  # each tried by role in the tests named
    "/login": "test_login_throttling_and_csrf",
    "/logout": "test_lock_advance_and_logout",
    "/workspace/{campaign}/{unit}": "test_authorization_matrix",  # an area's form
    "/workspace/{campaign}/{unit}/{node}": "test_authorization_matrix",
    "/api/par/{campaign}/{unit}/{node}": "test_authorization_matrix",
    "/workspace/{campaign}/{unit}/{node}/evidence": "test_officer_self_assesses_with_evidence…",
    "/workspace/{campaign}/{unit}/lock": "test_lock_advance_and_logout",
    "/workspace/{campaign}/advance": "test_lock_advance_and_logout",
    "/survey/{token}": "tests/test_web_survey.py",
    "/api/survey/{token}": "tests/test_web_survey.py",
    "/clerk/{survey}": "tests/test_web_survey.py",
    "/api/clerk/{survey}": "tests/test_web_survey.py",
    "/admin/users/{name}": "tests/test_accounts.py",
    "/account/password": "tests/test_accounts.py",
    "/workspace/{campaign}/{unit}/evidence/{evidence_id}/delete": "tests/test_uploads.py",
}


def test_every_route_is_in_the_matrix() -> None:
    declared = {("GET", p) for p in GET_ROUTES} | {("POST", p) for p in POST_ROUTES}
    assert _routes() == declared  # a new route needs its place in the authorization matrix


def _expected(kind: str, who: str | None, json: bool) -> int:
    anonymous = 401 if json else 303
    if kind in ("public", "token"):
        return 200
    if kind == "redirect":
        return 303
    if kind == "clerk":
        return anonymous if who is None else 200 if who in ("admin", "clerk") else 403
    if kind == "account":
        return anonymous if who is None else 200
    if kind == "admin":
        return anonymous if who is None else 200 if who == "admin" else 403
    if who is None:
        return anonymous
    if who == "clerk" or who == "guessed":
        return 403
    if kind == "listing":
        return 200
    return READ[who]  # unit pages and their evidence: officers of another province are refused


@pytest.mark.parametrize("who", list(READ))
def test_every_get_route_for_every_role(site: dict[str, Any], who: str | None) -> None:
    from sipas.api import invitations

    token = invitations.create_invitations(
        site["db"], "demo-sipas-2025", [invitations.Sampled("01")], expires_days=1
    )[0]["token"]
    evidence = par.upload_evidence(
        site["db"],
        par.Actor("admin", "admin"),
        "open-2025",
        unit="01",
        node="1.1",
        filename="x.pdf",
        content=PDF,
    )
    values = {
        "{run}": "demo-sipas-2025",
        "{code}": "01",
        "{kind}": "csv",
        "{campaign}": "open-2025",
        "{unit}": "01",
        "{evidence_id}": str(evidence["id"]),
        "{token}": token,
        "{survey}": "paper-2025",
        "{period}": "2025-Q3",
        "{year}": "2024",
    }
    client = _client(site, who)
    for path, kind in GET_ROUTES.items():
        url = path
        for name, value in values.items():
            url = url.replace(name, value)
        if kind == "public" and url.startswith("/par/"):
            url = url.replace("open-2025", "demo-par-2019")  # only final campaigns are public
        if "/report." in url:
            url = url.replace("report.csv", "report.xlsx")
        if "/published/" in url and "/compare" in url:
            url += "?province=01"
        elif url.endswith("/compare") or url.endswith("/compare.json"):
            url += "?a=01&b=79"
        response = client.get(url, follow_redirects=False)
        expected = _expected(kind, who, url.endswith(".json"))
        assert response.status_code == expected, (who, url, response.text[:200])


def test_lock_advance_and_logout(site: dict[str, Any], tmp_path: Path) -> None:
    from par_fixtures import FLAT

    framework = tmp_path / "flat.yaml"
    framework.write_text(FLAT, encoding="utf-8")
    admin = par.Actor("admin", "admin")
    par.create_campaign(
        site["db"],
        admin,
        code="flat-2025",
        framework=str(framework),
        year=2025,
        units=[{"unit_code": "01", "name": "Hà Nội", "kind": "province", "province_code": "01"}],
    )
    par.assign(site["db"], admin, "flat-2025", user="officer01", role="self_assessor", unit="01")
    officer = _client(site, "officer01")
    token = _csrf(officer, "/workspace/flat-2025/01")
    for node, points in (("1", "55"), ("2", "35")):
        saved = officer.post(
            f"/workspace/flat-2025/01/{node}",
            follow_redirects=False,
            data={"stage": "self", "points": points, "note": "báo cáo", "csrf": token},
        )
        assert saved.status_code == 303
    other = _client(site, "officer79")
    assert (
        other.post(
            "/workspace/flat-2025/01/lock",
            data={"csrf": _csrf(other, "/login")},
            follow_redirects=False,
        ).status_code
        == 403
    )
    asked = officer.post("/workspace/flat-2025/01/lock", data={"csrf": token})
    assert asked.status_code == 200 and 'id="confirm-yes"' in asked.text  # asked first
    assert par.show_campaign(site["db"], "flat-2025")["locked_units"] == 0
    locked = officer.post(
        "/workspace/flat-2025/01/lock",
        data={"csrf": token, "confirm": "yes"},
        follow_redirects=False,
    )
    assert locked.status_code == 303
    assert (
        officer.post(
            "/workspace/flat-2025/advance",
            data={"stage": "appraisal1", "csrf": token},
            follow_redirects=False,
        ).status_code
        == 403
    )
    boss = _client(site, "admin")
    moved = boss.post(
        "/workspace/flat-2025/advance",
        data={
            "stage": "appraisal1",
            "confirm": "yes",  # confirmed (unconfirmed, the page asks first)
            "csrf": _csrf(boss, "/workspace/flat-2025"),
        },
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert par.show_campaign(site["db"], "flat-2025")["stage"] == "appraisal1"
    assert par.show_campaign(site["db"], "flat-2025")["locked_units"] == 1
    out = officer.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303 and officer.get("/workspace.json").status_code == 401
