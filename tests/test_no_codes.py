"""What a Vietnamese reader meets holds no internal code (`policy.accountability`, `Q9_01`,
`par.self`, `(officer)`, `19.XA004`, a framework id), no float noise (6.650700000000001), no
TRUE/FALSE and no English word: every public page, every download and every report of the demo,
rendered in Vietnamese. English readers get English headers.

The PDF reports (text by pdftotext) and the methodology statements they share with the workbooks
are checked in `test_report_pdfs_and_methodology_in_vietnamese`."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from plain_words import findings, page_text, workbook_findings
from sipas.api import reports
from sipas.api.demo import DemoOptions, run_demo
from sipas.messages import text
from sipas.reports.format import label
from sipas.settings import load_settings
from sipas.store import open_database
from sipas.web import create_app

pytestmark = pytest.mark.slow

OPTIONS = DemoOptions(
    seed=5,
    years=(2024, 2025),
    respondents_per_province=60,
    provinces=("01", "19", "79"),
    dossiers=3_000,
    accounts=False,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("no-codes")
    db = open_database(f"sqlite:///{folder / 'sipas.db'}")
    run_demo(db, dataclasses.replace(OPTIONS, dossier_folder=folder / "dossiers"))
    settings = load_settings(None, data_dir=folder)  # the dossiers are in data_dir/dossiers
    client = TestClient(create_app(settings, db), base_url="https://testserver")
    yield {"db": db, "client": client, "folder": folder}
    db.close()


def _get(client: TestClient, path: str, lang: str = "vi") -> Any:
    response = client.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
    assert response.status_code == 200, (path, response.text[:300])
    return response


def _public_pages(client: TestClient) -> list[str]:
    """Every public page of the demo: home, each SIPAS year, its provinces (profile, priorities,
    service time across the indices), comparisons and method sensitivity, the PAR ranking,
    the published results of every year, the service index of every period, every agency of
    the year (and a few of a month), and every sub-unit of one agency."""
    pages = ["/"]
    home = _get(client, "/.json").json()
    for run in home["sipas"]:
        base = f"/sipas/{run['code']}"
        pages += [base, f"{base}/sensitivity"]
        codes = [r["code"] for r in _get(client, f"{base}.json").json()["rows"]]
        for code in codes:
            province = f"{base}/province/{code}"
            pages += [province, f"{province}/cross-index"]
            if not run["derived"]:  # priorities need the survey's own provinces
                pages.append(f"{province}/priorities")
        pages += [
            f"{base}/compare?a={codes[0]}&b={codes[1]}",
            f"{base}/compare?provinces={','.join(codes)}",
            f"{base}/compare?a={codes[0]}&with=top5",
        ]
    pages.append(f"/sipas/{home['sipas'][0]['code']}/sensitivity?draws=10&seed=1")
    pages += [f"/par/{c['code']}" for c in home["par"]]
    for index, years in home["published"].items():
        pages += [f"/{index}/published/{year}" for year in years]
        pages.append(f"/{index}/published/{years[0]}/compare?province=19")
    index = _get(client, "/service-index.json").json()
    pages += [f"/service-index?period={p['period']}" for p in index["periods"]]
    for period, count in (("2025", None), ("2025-07", 5)):
        agencies = _get(client, f"/service-index.json?period={period}").json()["rows"][:count]
        pages += [f"/service-index/{period}/unit/{a['code']}" for a in agencies]
    agency = _get(client, "/service-index/2025/unit/19.json").json()
    pages += [f"/service-index/2025/unit/{s['code']}" for s in agency["subunits"]]
    return pages


def _downloads(client: TestClient) -> list[str]:
    home = _get(client, "/.json").json()
    tables = [f"/sipas/{run['code']}" for run in home["sipas"]]
    tables += [f"/par/{c['code']}" for c in home["par"]]
    periods = _get(client, "/service-index.json").json()["periods"]
    tables += [f"/service-index/{p['period']}" for p in periods]
    return [f"{table}/download.{kind}" for table in tables for kind in ("csv", "xlsx", "json")]


def _procedure_codes(client: TestClient, path: str) -> set[str]:
    """The national procedure codes a service-index unit page lists (1.000123): codes the
    public knows its procedures by, not numbers."""
    if "/unit/" not in path:
        return set()
    return {p["procedure"] for p in _get(client, f"{path}.json").json()["procedures"]}


def test_the_check_finds_what_it_looks_for() -> None:
    """Each kind of finding is caught; plain Vietnamese passes."""
    for bad in (
        "Yếu tố policy.accountability",
        "Câu Q9_01",
        "giai đoạn par.self",
        "cán bộ (officer)",
        "đơn vị 19.XA004",
        "khung par-province-2017",
        "chênh lệch 6.650700000000001",
        "không ổn định TRUE",
        "Điểm yếu: weakness",
        "Thay đổi: not significant",
    ):
        assert findings(bad), bad
    assert not findings(
        "Chỉ số SIPAS và PAR INDEX 2025 của Hà Nội: 83,94 (81,20–86,70), xếp hạng 3 — "
        "Có ý nghĩa thống kê. Nguồn: chinhphu.vn. Tải về: CSV · XLSX · JSON · PDF"
    )


def test_public_pages_in_vietnamese_hold_no_codes_and_no_english(
    site: dict[str, Any],
) -> None:
    client = site["client"]
    pages = _public_pages(client)
    assert len(pages) > 60  # provinces, published years, periods, agencies and sub-units
    found = {}
    for path in pages:
        shown = findings(
            page_text(_get(client, path).text), allowed_codes=_procedure_codes(client, path)
        )
        if shown:
            found[path] = shown
    assert found == {}


def test_downloads_in_vietnamese_hold_no_codes_no_noise_and_no_true_false(
    site: dict[str, Any],
) -> None:
    client = site["client"]
    found = {}
    for path in _downloads(client):
        response = _get(client, path)
        if path.endswith(".csv"):
            shown = findings(response.content.decode("utf-8-sig"))
        elif path.endswith(".xlsx"):
            shown = workbook_findings(response.content)
        else:  # JSON is for programs: the api's field names, but no float noise
            shown = [f for f in findings(response.text) if f.startswith("float noise")]
        if shown:
            found[path] = shown
    assert found == {}


def test_english_readers_get_english_download_headers(site: dict[str, Any]) -> None:
    client = site["client"]
    for lang in ("vi", "en"):
        body = _get(client, "/sipas/demo-sipas-2025/download.csv", lang).content
        header = next(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert header[:4] == [text(f"download.{k}", lang) for k in ("code", "name", "region")] + [
            text("download.estimate", lang)
        ]
        book = openpyxl.load_workbook(
            io.BytesIO(_get(client, "/par/demo-par-2019/download.xlsx", lang).content)
        )
        sheet = book.active
        assert sheet.title == text("download.sheet", lang)
        assert sheet.cell(1, 1).value == text("download.unit", lang)
        complete = [c.value for c in sheet[1]].index(text("download.complete", lang)) + 1
        assert sheet.cell(2, complete).value in (text("yes", lang), text("no", lang))
    json_rows = _get(client, "/sipas/demo-sipas-2025/download.json").json()
    assert "estimate" in json_rows[0]  # JSON keeps the api's field names in every language


def _report_files(site: dict[str, Any], kind: str) -> dict[str, Path]:
    folder = site["folder"] / f"reports-{kind}"
    folder.mkdir(exist_ok=True)
    made = {
        "national": reports.national_report(
            site["db"], folder / f"national.{kind}", fmt=kind, run="demo-sipas-2025", lang="vi"
        )
    }
    for province in ("01", "19", "79"):
        made[province] = reports.province_report(
            site["db"],
            province,
            folder / f"{province}.{kind}",
            fmt=kind,
            run="demo-sipas-2025",
            lang="vi",
        )
    made["appraisal"] = reports.appraisal_report(
        site["db"], "demo-par-2019", "19", folder / f"appraisal.{kind}", fmt=kind, lang="vi"
    )
    made["par"] = reports.par_report(site["db"], "demo-par-2019", folder / f"par.{kind}")
    return made


METHODOLOGY = label("method_short", "vi")


def test_report_workbooks_in_vietnamese_hold_no_codes_and_no_english(
    site: dict[str, Any],
) -> None:
    """Every sheet but the methodology (whose statements are checked with the PDFs below)."""
    found = {}
    for name, path in _report_files(site, "xlsx").items():
        shown = [f for f in workbook_findings(path.read_bytes()) if METHODOLOGY not in f]
        if shown:
            found[name] = shown
    assert found == {}


def _pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return " ".join(done.stdout.decode("utf-8").split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_report_pdfs_and_methodology_in_vietnamese(site: dict[str, Any]) -> None:
    found = {}
    for name, path in _report_files(site, "pdf").items():
        shown = findings(_pdf_text(path))
        if shown:
            found[f"{name}.pdf"] = shown
    for name, path in _report_files(site, "xlsx").items():
        shown = [f for f in workbook_findings(path.read_bytes()) if METHODOLOGY in f]
        if shown:
            found[f"{name}.xlsx"] = shown
    assert found == {}


def test_json_twins_keep_the_codes_programs_need(site: dict[str, Any]) -> None:
    """The pages name what they show; their JSON twins still give the codes beside the names."""
    twin = _get(site["client"], "/sipas/demo-sipas-2025/province/19.json").json()
    element = next(e for e in twin["elements"] if e["indicator"] == "policy")
    assert element["name"]["vi"] and element["name"]["en"]
    assert re.fullmatch(r"Q\d+_\d+", twin["items"][0]["indicator"])
    unit = _get(site["client"], "/service-index/2025/unit/19.json").json()
    first = unit["subunits"][0]
    assert re.fullmatch(r"19\.(SO|XA)\d+", first["code"]) and first["name"] != first["code"]
    assert json.dumps(unit)  # plain data
