"""Reports: the files are opened and their contents checked against the api's numbers.

One small synthetic data set (2024 on the 63 provinces, 2025 on the 34, a PAR round) and one set
of reports are built per test session; pages are rendered to PNG under tests/artifacts/reports/
for a look at every report type.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import unicodedata
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pypdfium2
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from sipas.api import reports as api
from sipas.api.demo import DemoOptions, run_demo
from sipas.api.estimation import EstimateRequest, diagnosis_view, estimate_stored_survey, load_run
from sipas.api.par import results, unit_scores
from sipas.api.par.campaigns import SYSTEM
from sipas.api.queries.public import indicator_names
from sipas.cli.context import AppContext
from sipas.cli.report import report
from sipas.errors import SipasError
from sipas.geo.units import REFORM_DAY, provinces_on
from sipas.reports.excel import Sheet, write_workbook
from sipas.reports.figures import tile_layout
from sipas.reports.format import label, long_date, number, percent
from sipas.reports.workbooks import NATIONAL_CELLS
from sipas.settings import load_settings
from sipas.store import Database, open_database

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "reports"
PREPARED = date(2025, 4, 6)
PAR = "demo-par-2019"


@dataclass
class Built:
    db: Database
    url: str
    files: dict[str, Path]
    docs: dict[str, dict[str, Any]]


def _build(folder: Path) -> tuple[str, dict[str, Any], dict[str, Path]]:
    url = f"sqlite:///{folder / 'sipas.db'}"
    db = open_database(url)
    run_demo(db, DemoOptions(seed=5, years=(2024, 2025), respondents_per_province=120, dossiers=0))
    ctx25 = api.year_context(db, year=2025, prepared=PREPARED)
    ctx24 = api.year_context(db, year=2024, lang="en", par_campaign=PAR, prepared=PREPARED)
    first_par_unit = results(db, PAR)["units"][0]["unit"]
    docs = {
        "national": api.national_document(ctx25),
        "province": api.province_document(ctx25, "01"),
        "province_en": api.province_document(ctx24, "79"),
        "appraisal": api.appraisal_document(db, PAR, first_par_unit, prepared=PREPARED),
    }
    files = {}
    for name, doc in docs.items():
        for fmt in ("pdf", "html", "xlsx"):
            if name == "province_en" and fmt == "xlsx":
                continue
            files[f"{name}.{fmt}"] = api.write(doc, fmt, folder / f"{name}.{fmt}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):  # pages of an earlier run
        old.unlink(missing_ok=True)
    for key, path in files.items():
        if key.endswith(".pdf"):
            pdf = pypdfium2.PdfDocument(str(path))
            for i in range(len(pdf)):
                pdf[i].render(scale=1.2).to_pil().save(ARTIFACTS / f"{path.stem}-{i + 1}.png")
            pdf.close()
    db.close()
    return url, docs, files


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Built once per test run: under pytest-xdist the first worker builds, the others wait
    for it (a lock file in the run's temporary folder) and read what it wrote."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "reports-built"
    folder.mkdir(exist_ok=True)
    saved = folder / "built.pickle"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if saved.exists():
            url, docs, files = pickle.loads(saved.read_bytes())
        else:
            url, docs, files = _build(folder)
            saved.write_bytes(pickle.dumps((url, docs, files)))
    return Built(open_database(url), url, files, docs)


def _pdf_text(path: Path) -> str:
    """The text of every page, with line breaks and runs of spaces as single spaces."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def _run_table(db: Database, code: str) -> pd.DataFrame:
    return pd.DataFrame(load_run(db, code)["rows"])


def _index_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[(table["partition"] == "province") & (table["indicator"] == "SIPAS")]


# --- formatting ------------------------------------------------------------------------------


def test_vietnamese_numbers_and_dates() -> None:
    assert number(83.9412) == "83,94"
    assert number(83.9412, "en") == "83.94"
    assert percent(83.9412) == "83,94%"
    assert number(36288, digits=0) == "36.288"
    assert number(-1.234, sign=True) == "−1,23"
    assert number(0.5, sign=True) == "+0,50"
    assert number(float("nan")) == "–"
    assert long_date(date(2025, 4, 6)) == "ngày 6 tháng 4 năm 2025"
    assert long_date(date(2025, 4, 6), "en") == "6 April 2025"


@pytest.mark.parametrize(("geography", "day"), [("63", date(2025, 6, 30)), ("34", REFORM_DAY)])
def test_tile_layouts_hold_every_province_once(geography: str, day: date) -> None:
    layout = tile_layout(geography)
    codes = [code for code, _, _ in layout]
    assert sorted(codes) == sorted(p.code for p in provinces_on(day))
    assert len({(row, col) for _, row, col in layout}) == len(layout)


# --- PDF -------------------------------------------------------------------------------------


def test_national_pdf_shows_the_api_figures(built: Built) -> None:
    text = _pdf_text(built.files["national.pdf"])
    assert unicodedata.is_normalized("NFC", text)
    table = _run_table(built.db, "demo-sipas-2025")
    national = table[
        (table["partition"] == "national")
        & (table["cell"] == "mean_of_provinces")
        & (table["indicator"] == "SIPAS")
    ].iloc[0]
    assert number(national["estimate"]) in text
    assert f"{number(national['ci_low'])}–{number(national['ci_high'])}" in text
    rows = _index_rows(table).sort_values("rank")
    top = rows.iloc[0]
    name = next(p.name for p in provinces_on(REFORM_DAY) if p.code == top["cell"])
    # "Huế 90,80 … 1–5" as the ranking table prints it: name, value, rank interval
    assert name in text and number(top["estimate"]) in text
    assert f"{int(top['rank_low'])}–{int(top['rank_high'])}" in text
    for heading in ("Báo cáo Chỉ số hài lòng", "Xếp hạng các tỉnh, thành phố", "Trung bình theo vùng",
                    "Phụ lục: phương pháp và giả định", "Thay đổi so với năm trước",
                    "DỮ LIỆU GIẢ LẬP", "ngày 6 tháng 4 năm 2025", "Đồng bằng sông Cửu Long"):  # fmt: skip
        assert heading in text, heading
    for rule in ("A1", "A2", "A3", "A4", "A5", "A6", "A10", "A11", "A13"):
        assert f"{rule} —" in text
    # the annex states the rules the run used, in the report's language
    assert "mã 4 hoặc 5 (top-2-box)" in text and "Câu bỏ trống không tính vào mẫu số" in text
    assert "trung bình cộng không trọng số của các giá trị cấp tỉnh" in text


def test_province_pdf_shows_its_figures_and_significant_weaknesses_only(built: Built) -> None:
    text = _pdf_text(built.files["province.pdf"])
    assert unicodedata.is_normalized("NFC", text)
    assert "Chỉ số SIPAS 2025 — Thành phố Hà Nội" in text
    assert "Báo cáo kết quả của Thành phố Hà Nội năm 2025" in text
    own = _index_rows(_run_table(built.db, "demo-sipas-2025")).set_index("cell").loc["01"]
    assert number(own["estimate"]) in text
    assert f"{int(own['rank'])}/34" in text
    assert f"{int(own['rank_low'])}–{int(own['rank_high'])}" in text
    # Weaknesses are exactly what the api's diagnosis calls significantly below the mean,
    # on a fresh estimate of the stored survey with the run's options.
    outcome, _ = estimate_stored_survey(
        built.db,
        "demo-sipas-2025",
        EstimateRequest(framework="sipas-gen2", weight="weight", psu="psu", strata="stratum"),
    )
    diagnosis = pd.DataFrame(diagnosis_view(outcome, "01")["rows"])
    below = set(diagnosis.loc[diagnosis["vs_national"] == "below", "indicator"])
    doc = built.docs["province"]
    assert {w["code"] for w in doc["weaknesses"]} == below
    assert {s["code"] for s in doc["strengths"]} == set(
        diagnosis.loc[diagnosis["vs_national"] == "above", "indicator"]
    )
    for weakness in doc["weaknesses"][:3]:
        assert number(weakness["estimate"]) in text


def test_english_province_report_with_par(built: Built) -> None:
    text = _pdf_text(built.files["province_en.pdf"])
    doc = built.docs["province_en"]
    assert "SIPAS 2024 — Hồ Chí Minh City" in text and "Results of Hồ Chí Minh City, 2024" in text
    par = next(u for u in results(built.db, PAR)["units"] if u["unit"] == "79")
    assert f"PAR index {number(par['index'], 'en')}" in text
    assert doc["par"]["unit"]["rank"] == par["rank"]
    assert "6 April 2025" in text


def test_appraisal_pdf_shows_scores_and_reasons(built: Built) -> None:
    doc = built.docs["appraisal"]
    text = _pdf_text(built.files["appraisal.pdf"])
    sheet = unit_scores(built.db, SYSTEM, PAR, doc["unit"])
    changed = [r for r in sheet if r["reason"]]
    assert changed, "the demo appraisal changes some scores"
    for row in changed:
        assert number(row["self"]) in text and number(row["final"]) in text
    # the reason as written (compared word by word: a hyphenated word may break across lines)
    assert " ".join(changed[0]["reason"].split()[:5]) in text
    assert "Cải cách thủ tục hành chính" in text


def test_pdf_fonts_are_embedded(built: Built) -> None:
    for key, path in built.files.items():
        if not key.endswith(".pdf"):
            continue
        seen = set()
        for page in PdfReader(path).pages:
            for font in page["/Resources"]["/Font"].values():
                font = font.get_object()
                descendant = font["/DescendantFonts"][0].get_object()
                descriptor = descendant["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, (key, font)
                seen.add(str(font["/BaseFont"]).split("+")[-1])
        # The bundled faces, declared by @font-face: never a system fallback font.
        assert seen and all(name.startswith("SipasSans") for name in seen), (key, seen)


def test_pages_rendered_for_a_look(built: Built) -> None:
    for name in ("national", "province", "province_en", "appraisal"):
        pages = sorted(ARTIFACTS.glob(f"{name}-*.png"))
        assert pages, name
        image = pypdfium2.PdfDocument(str(built.files[f"{name}.pdf"]))[0].render().to_pil()
        low, high = image.convert("L").getextrema()
        assert high - low > 100  # ink on paper: not a blank page


# --- Excel -----------------------------------------------------------------------------------


def test_xlsx_values_equal_the_api(built: Built) -> None:
    book = openpyxl.load_workbook(built.files["national.xlsx"])
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
    data = book[label("data_sheet", "vi")]
    rows = list(data.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == label("year", "vi"))
    frame = pd.DataFrame(rows[header_at + 1 :], columns=rows[header_at])
    api_table = _run_table(built.db, "demo-sipas-2025")
    assert len(frame) == len(api_table)
    # The sheet names units and indicators in Vietnamese (no internal codes): match on names.
    names = {code: name["vi"] for code, name in indicator_names("sipas-gen2").items()}
    assert len(set(names.values())) == len(names)
    national = api_table["partition"] == "national"
    expected = api_table.assign(
        indicator=api_table["indicator"].map(names),
        partition=national.map({True: "scope_national", False: "scope_province"}).map(
            lambda key: label(key, "vi")
        ),
        cell=[
            label(NATIONAL_CELLS[c], "vi") if n else c
            for c, n in zip(api_table["cell"], national, strict=True)
        ],
    )
    merged = frame.merge(
        expected,
        left_on=[label(k, "vi") for k in ("code", "indicator", "scope")],
        right_on=["cell", "indicator", "partition"],
    )
    assert len(merged) == len(api_table)
    for column, header in (
        ("estimate", "value"),
        ("se", "se"),
        ("ci_low", "ci_low"),
        ("ci_high", "ci_high"),
        ("deff", "deff"),
    ):
        shown = merged[label(header, "vi")].astype(float)
        assert (shown - merged[column].astype(float)).abs().max() == 0
    ranking = book.worksheets[0]
    values = list(ranking.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(values) if r and r[0] == "STT") + 1
    first = values[start]
    top = _index_rows(api_table).sort_values("rank").iloc[0]
    assert first[1] == top["cell"] and first[4] == top["estimate"] and first[7] == top["rank"]


def test_province_and_appraisal_xlsx(built: Built) -> None:
    book = openpyxl.load_workbook(built.files["province.xlsx"])
    summary = list(book.worksheets[0].iter_rows(values_only=True))
    own = _index_rows(_run_table(built.db, "demo-sipas-2025")).set_index("cell").loc["01"]
    assert ("SIPAS", own["estimate"]) in summary
    appraisal = openpyxl.load_workbook(built.files["appraisal.xlsx"]).worksheets[0]
    sheet = unit_scores(built.db, SYSTEM, PAR, built.docs["appraisal"]["unit"])
    rows = {r[0]: r for r in appraisal.iter_rows(values_only=True) if r and r[0]}
    for leaf in sheet:
        assert rows[leaf["node"]][3] == leaf["self"] and rows[leaf["node"]][6] == leaf["final"]


def test_xlsx_escapes_formulas(tmp_path: Path) -> None:
    path = write_workbook(
        tmp_path / "x.xlsx",
        [
            Sheet(
                "s", "=caption", ["=h"], [['=HYPERLINK("http://x")'], ["-1+2"], [1.5], ["Đà Nẵng"]]
            )
        ],
        ["@banner"],
    )
    sheet = openpyxl.load_workbook(path).worksheets[0]
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert '\'=HYPERLINK("http://x")' in values and "'-1+2" in values and "'=h" in values
    assert 1.5 in values and "Đà Nẵng" in values
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


# --- HTML accessibility ----------------------------------------------------------------------


class _A11y(HTMLParser):
    """A strict check of what screen readers need from report pages: a language, one title,
    headings in order, alt text on every image, and tables with a caption, column headers and
    row headers, every header with a scope."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.lang = None
        self.h1 = 0
        self.last_heading = 0
        self.table: dict[str, Any] | None = None
        self.row_has_th = False
        self.in_tbody = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag in ("h1", "h2", "h3", "h4"):
            level = int(tag[1])
            self.h1 += level == 1
            if level > self.last_heading + 1:
                self.problems.append(f"heading {tag} skips a level")
            self.last_heading = level
        if tag == "img" and not (a.get("alt") or "").strip():
            self.problems.append(f"img without alt: {a.get('src', '')[:40]}")
        if tag == "table":
            self.table = {"caption": False, "thead_th": 0}
        if tag == "caption" and self.table is not None:
            self.table["caption"] = True
        if tag == "th":
            if a.get("scope") not in ("col", "row"):
                self.problems.append("th without scope col/row")
            if "thead" in self.stack and self.table is not None:
                self.table["thead_th"] += 1
            self.row_has_th = True
        if tag == "tr":
            self.row_has_th = False
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and "tbody" in self.stack and not self.row_has_th:
            self.problems.append("body row without a row header")
        if tag == "table" and self.table is not None:
            if not self.table["caption"]:
                self.problems.append("table without caption")
            if not self.table["thead_th"]:
                self.problems.append("table without column headers")
            self.table = None
        while self.stack and self.stack.pop() != tag:
            pass


def lint(html: str) -> list[str]:
    checker = _A11y()
    checker.feed(html)
    if checker.lang not in ("vi", "en"):
        checker.problems.append("html without lang")
    if checker.h1 != 1:
        checker.problems.append(f"{checker.h1} h1 headings")
    return checker.problems


def test_the_lint_catches_problems() -> None:
    bad = '<html><body><h1>x</h1><h3>y</h3><img src="a.png"><table><tr><th>a</th></tr>' + (
        "<tbody><tr><td>1</td></tr></tbody></table></body></html>"
    )
    problems = lint(bad)
    assert any("lang" in p for p in problems) and any("alt" in p for p in problems)
    assert any("caption" in p for p in problems) and any("scope" in p for p in problems)
    assert any("skips" in p for p in problems) and any("row header" in p for p in problems)


@pytest.mark.parametrize("name", ["national", "province", "province_en", "appraisal"])
def test_html_passes_the_accessibility_lint(built: Built, name: str) -> None:
    html = built.files[f"{name}.html"].read_text(encoding="utf-8")
    assert lint(html) == []
    assert unicodedata.is_normalized("NFC", html)
    assert html.count("<img") == html.count('alt="') > (0 if name != "appraisal" else -1)


# --- CLI and errors --------------------------------------------------------------------------


def test_cli_writes_the_report_the_api_writes(built: Built, tmp_path: Path) -> None:
    runner = CliRunner()
    context = AppContext(settings=load_settings(None, database_url=built.url))
    out = tmp_path / "hn.xlsx"
    result = runner.invoke(
        report, ["province", "1", "--year", "2025", "--format", "xlsx", "-o", str(out)],
        obj=context,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    sheet = openpyxl.load_workbook(out).worksheets[0]
    expected = built.docs["province"]["province"]["estimate"]
    assert ("SIPAS", expected) in list(sheet.iter_rows(values_only=True))


def test_user_errors_are_explained(built: Built) -> None:
    with pytest.raises(SipasError) as error:
        api.year_context(built.db, year=2019)
    assert error.value.code == "report.no_run" and "2024" in (error.value.hint or "")
    ctx = api.year_context(built.db, year=2025)
    with pytest.raises(SipasError) as error:
        api.province_document(ctx, "02")  # Hà Giang: not a province since 1 July 2025
    assert error.value.code == "report.unknown_province"
    with pytest.raises(SipasError) as error:
        api.year_context(built.db, year=2025, par_campaign=PAR)
    assert error.value.code == "report.par_geography"
    with pytest.raises(SipasError) as error:
        api.national_report(built.db, None, fmt="docx", year=2025)
    assert error.value.code == "report.bad_format"


def test_demo_writes_the_national_one_province_and_the_par_reports(
    built: Built, tmp_path: Path
) -> None:
    written = api.demo_reports(built.db, tmp_path)
    names = sorted(p.name for p in written)
    top = built.docs["national"]["provinces"][0]["code"]
    # The national PAR INDEX report of the latest PAR round (2024, on synthetic criteria) and the
    # appraisal report of its first unit.
    latest = "demo-par-2024"
    first = results(built.db, latest)["units"][0]["unit"]
    assert names == sorted(
        [
            "sipas-2025-national-vi.pdf",
            "sipas-2025-national-vi.xlsx",
            f"sipas-2025-{top}-vi.pdf",
            f"sipas-2025-{top}-vi.xlsx",
            f"par-{latest}-national-vi.pdf",
            f"par-{latest}-{first}-vi.pdf",
        ]
    )
    assert all(p.stat().st_size > 1000 for p in written)


def test_a_years_province_reports_in_worker_processes(built: Built, tmp_path: Path) -> None:
    paths = api.all_province_reports(
        built.db, tmp_path, year=2025, codes=["01", "79"], workers=2, fmt="pdf"
    )
    assert [p.name for p in paths] == ["sipas-2025-01-vi.pdf", "sipas-2025-79-vi.pdf"]
    assert "Báo cáo kết quả của Thành phố Hà Nội năm 2025" in _pdf_text(paths[0])
    assert "Báo cáo kết quả của Thành phố Hồ Chí Minh năm 2025" in _pdf_text(paths[1])
