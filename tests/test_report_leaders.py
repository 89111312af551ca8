"""Reports as a leader reads them: the PDFs are rendered from a synthetic survey, turned back into
text with poppler's ``pdftotext`` and into pixels with ``pdftoppm``, and checked against what the
api computes here: the one diagnosis, the run's ranks, the priorities of the stored survey.

Pages rendered for a look are written to tests/artifacts/leaders/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.text import Text
from PIL import Image

from sipas.api import par
from sipas.api import reports as api
from sipas.api.demo import DEMO_ACTOR, DemoOptions, run_demo
from sipas.api.estimation import EstimateRequest, diagnosis_view, estimate_stored_survey, load_run
from sipas.api.queries.priorities import priorities
from sipas.cli.context import AppContext
from sipas.cli.report import report
from sipas.frameworks import load_builtin, require_par
from sipas.geo.units import LAST_DAY_OF_63, provinces_on
from sipas.reports import charts
from sipas.reports.figures import map_cells, map_highlight, tile_layout
from sipas.reports.format import label, number
from sipas.settings import load_settings
from sipas.store import Database, open_database
from sipas.synthetic.par import synthetic_par_round

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "leaders"
PAR_2019 = "demo-par-2019"
PAR_2024 = "leaders-par-2024"
RUN_2025 = "demo-sipas-2025"

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext, pdftoppm, pdfimages) not installed",
)


@dataclass
class Leaders:
    db: Database
    url: str
    docs: dict[str, dict[str, Any]]
    files: dict[str, Path]


def _par_round_2024(db: Database) -> None:
    """A final PAR round of 2024 (the year of the 2024 survey) on the 63 provinces."""
    framework = require_par(load_builtin("par-province-2017"))
    provinces = provinces_on(LAST_DAY_OF_63)
    scores = synthetic_par_round(framework, provinces, 2024, 11)
    final = scores[scores["stage"] == "final"]
    units = [
        {"unit_code": p.code, "name": p.name, "kind": "province", "province_code": p.code}
        for p in provinces
    ]
    par.create_campaign(
        db, DEMO_ACTOR, code=PAR_2024, framework=framework.id, year=2024, units=units,
        synthetic=True,
    )  # fmt: skip
    entries = [
        {"unit": r.unit_code, "node": r.node_code, "points": float(r.points)}
        for r in final.itertuples()
    ]
    par.write_scores(db, DEMO_ACTOR, PAR_2024, "self", entries)
    for stage in ("appraisal1", "explanation", "appraisal2", "final"):
        par.advance(db, DEMO_ACTOR, PAR_2024, stage)


@pytest.fixture(scope="module")
def leaders(tmp_path_factory: pytest.TempPathFactory) -> Leaders:
    folder = tmp_path_factory.mktemp("leaders")
    url = f"sqlite:///{folder / 'sipas.db'}"
    db = open_database(url)
    run_demo(db, DemoOptions(seed=5, years=(2024, 2025), respondents_per_province=120, dossiers=0))
    _par_round_2024(db)
    ctx25 = api.year_context(db, year=2025)
    mixed = api.year_context(db, year=2024, par_campaign=PAR_2019)
    matched = api.year_context(db, year=2024, lang="en", par_campaign=PAR_2024)
    docs = {
        "national": api.national_document(ctx25),
        "province": api.province_document(ctx25, "01"),
        "mixed": api.province_document(mixed, "79"),
        "matched": api.province_document(matched, "79"),
    }
    files = {name: api.write(doc, "pdf", folder / f"{name}.pdf") for name, doc in docs.items()}
    return Leaders(db, url, docs, files)


def _text(path: Path) -> str:
    """The PDF's text as pdftotext reads it, runs of white space as one space."""
    found = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(found.split())


def _between(text: str, start: str, end: str) -> str:
    """The text from the first ``start`` (a heading) to the next ``end`` after it."""
    begin = text.index(start)
    return text[begin : text.index(end, begin + len(start))]


def _signed(section: str) -> list[str]:
    """The signed numbers of a section (the differences: values and SEs carry no sign)."""
    return re.findall(r"[+−]\d+,\d\d", section)


def _by_size(diagnosis: pd.DataFrame, verdict: str) -> list[float]:
    rows = diagnosis[(diagnosis["vs_national"] == verdict) & (diagnosis["level"] != "index")]
    return sorted(rows["diff_national"].astype(float), key=lambda d: -abs(d))


# --- words ----------------------------------------------------------------------------------


def test_titles_carry_the_index_and_the_full_name(leaders: Leaders) -> None:
    province = _text(leaders.files["province"])
    assert province.startswith("Chỉ số SIPAS 2025 — Thành phố Hà Nội ")
    matched = _text(leaders.files["matched"])
    assert matched.startswith("SIPAS 2024 — Hồ Chí Minh City ")
    national = _text(leaders.files["national"])
    assert national.startswith("Chỉ số SIPAS 2025 — Cả nước ")
    # the footer of every page repeats the title, never a code
    pages = province.count("Chỉ số SIPAS 2025 — Thành phố Hà Nội")
    assert pages >= 3 and "— 01" not in province


def test_the_glossary_explains_the_terms_in_the_reports_language(leaders: Leaders) -> None:
    vi = _text(leaders.files["national"])
    glossary = _between(vi, "Giải thích thuật ngữ", "Phụ lục: phương pháp và giả định")
    for term in ("Hiệu ứng thiết kế", "Khoảng thứ hạng", "“Có ý nghĩa” (có ý nghĩa thống kê)",
                 "Khoảng tin cậy 95%", "Tỷ lệ hài lòng (top-2-box)", "Trọng số lặp"):  # fmt: skip
        assert term in glossary, term
    assert "hơn 1,96 lần sai số chuẩn" in glossary
    en = _text(leaders.files["matched"])
    glossary = _between(en, "Glossary", "Annex: methodology and assumptions")
    for term in ("Design effect", "Rank interval", "Significant (statistically significant)",
                 "95% confidence interval", "Top-2-box share", "Replicate weights"):  # fmt: skip
        assert term in glossary, term
    assert "Hiệu ứng" not in en


def test_the_methodology_annex_is_in_the_reports_language(leaders: Leaders) -> None:
    vi = _text(leaders.files["province"])
    annex = vi[vi.index("Phụ lục: phương pháp và giả định") :]
    for rule in ("A1", "A5", "A6", "A9", "A13"):
        assert f"{rule} —" in annex
    assert "Câu bỏ trống không tính vào mẫu số của tiêu chí" in annex
    # no English sentence: the framework's notes (written in English) are named, not quoted
    for word in (" the ", " of ", " is ", "Framework note", "unweighted"):
        assert word not in annex, word
    assert "bản tiếng Anh của báo cáo" in annex
    en = _text(leaders.files["matched"])
    annex = en[en.index("Annex: methodology and assumptions") :]
    assert (
        "Framework note: An item's value is the percentage of valid answers coded 4 or 5" in annex
    )
    assert "Câu bỏ trống" not in annex


# --- strengths and weaknesses: the one diagnosis, by size, ten in the body -------------------


def test_strengths_and_weaknesses_by_size_with_the_rest_in_the_annex(leaders: Leaders) -> None:
    # The diagnosis computed here, from the stored survey with the run's options.
    options = api.choose_run(leaders.db, None, RUN_2025)["options"]
    known = EstimateRequest.__dataclass_fields__
    request = EstimateRequest(
        **{k: tuple(v) if k == "by" else v for k, v in options.items() if k in known}
    )
    outcome, _ = estimate_stored_survey(leaders.db, RUN_2025, request)
    diagnosis = pd.DataFrame(diagnosis_view(outcome, "01")["rows"])
    strengths, weaknesses = _by_size(diagnosis, "above"), _by_size(diagnosis, "below")
    assert len(strengths) > 10, "the demo's Hà Nội has more strengths than the body shows"
    text = _text(leaders.files["province"])
    body = _between(text, "Điểm mạnh (cao hơn", "Các tiêu chí cần ưu tiên cải thiện")
    shown_strengths = _between(body, "Điểm mạnh (cao hơn", "Điểm yếu (thấp hơn")
    shown_weaknesses = body[body.index("Điểm yếu (thấp hơn") :]
    assert _signed(shown_strengths) == [number(d, sign=True) for d in strengths[:10]]
    assert _signed(shown_weaknesses) == [number(d, sign=True) for d in weaknesses[:10]]
    assert f"Còn {len(strengths) - 10} mục khác" in shown_strengths
    annex = _between(text, "Phụ lục: Điểm mạnh, điểm yếu còn lại", "Giải thích thuật ngữ")
    assert _signed(annex) == [number(d, sign=True) for d in strengths[10:] + weaknesses[10:]]
    # every entry once: body and annex together are the diagnosis, nothing more
    doc = leaders.docs["province"]
    assert len(doc["strengths"]) == len(strengths) and len(doc["weaknesses"]) == len(weaknesses)
    assert len(doc["sw_annex"]) == max(0, len(strengths) - 10) + max(0, len(weaknesses) - 10)


# --- the tile map ----------------------------------------------------------------------------


def _map_page(path: Path) -> tuple[int, dict[str, float]]:
    """The page of the tile map (the largest image) and its placement (pdfimages -list)."""
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    images = [line.split() for line in listing if line.split()[2] == "image"]
    biggest = max(images, key=lambda r: int(r[3]) * int(r[4]))
    return int(biggest[0]), {"width": int(biggest[3]), "x_ppi": float(biggest[12])}


def test_the_map_is_legible_and_outlines_the_reports_province(leaders: Leaders) -> None:
    doc = leaders.docs["province"]
    code, key = map_highlight(doc)
    assert code == "01" and key is not None and "Hà Nội" in key
    values = {c: v for c, _, v in map_cells(doc)}
    names = {c: n for c, n, _ in map_cells(doc)}
    figure = charts.tile_figure(tile_layout("34"), values, names, str, code, key)
    # the map is printed at the size it is drawn: one pixel per 1/MAP_DPI inch on paper
    page, placed = _map_page(leaders.files["province"])
    assert placed["x_ppi"] == pytest.approx(charts.MAP_DPI, abs=1)
    assert placed["width"] == round(figure.get_figwidth() * charts.MAP_DPI)
    scale = charts.MAP_DPI / placed["x_ppi"]  # printed size / drawn size
    FigureCanvasAgg(figure).draw()  # the scale's numbers exist once drawn
    texts = [t for t in figure.findobj(Text) if t.get_text() and t.get_visible() and t.get_figure()]
    tiles_text = [t for t in texts if t.axes is figure.axes[0]]
    assert len(tiles_text) == 34 and all("\n" in t.get_text() for t in tiles_text)  # name, value
    assert len(texts) > 34 + 3  # the scale's numbers and the key
    assert min(t.get_fontsize() * scale for t in texts) >= 8.0
    # the province is outlined in the accent colour, thicker than any other tile, and keyed
    tiles = {p.get_gid(): p for p in figure.axes[0].patches}
    own = tiles["tile-01"]
    assert own.get_edgecolor() == pytest.approx(to_rgba(charts.ACCENT))
    assert own.get_linewidth() > max(p.get_linewidth() for g, p in tiles.items() if g != "tile-01")
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend == [label("map_own", "vi", name="Hà Nội")]
    text = _text(leaders.files["province"])
    assert "Ô viền đỏ đậm: Hà Nội." in text
    # the national report's map outlines nothing
    assert map_highlight(leaders.docs["national"]) == (None, None)
    # on the printed page, the outline is there: pixels of the accent colour (nowhere else on
    # a map page: the scale runs from yellow to blue)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTIFACTS / "province-map"
    subprocess.run(
        ["pdftoppm", "-f", str(page), "-l", str(page), "-r", "110", "-png", "-singlefile",
         str(leaders.files["province"]), str(prefix)],
        check=True,
    )  # fmt: skip
    pixels = np.asarray(Image.open(f"{prefix}.png").convert("RGB")).astype(int)
    accent = np.array([int(charts.ACCENT[i : i + 2], 16) for i in (1, 3, 5)])
    near = (np.abs(pixels - accent).sum(axis=2) < 60).sum()
    assert near > 300, near


# --- a PAR round of another year -------------------------------------------------------------


def test_a_par_round_of_another_year_is_labelled_beside_its_figures(leaders: Leaders) -> None:
    mixed = _text(leaders.files["mixed"])
    section = _between(mixed, "Chỉ số cải cách hành chính (PAR INDEX)", "Giải thích thuật ngữ")
    note = (
        "Lưu ý về năm số liệu Chỉ số PAR INDEX trong mục này là của năm 2019, không phải năm 2024"
    )
    assert note in section
    assert section.index(note) < section.index(f"{PAR_2019} (2019): Chỉ số PAR")
    assert leaders.docs["mixed"]["par"]["year_note"] is not None
    matched = _text(leaders.files["matched"])
    assert f"{PAR_2024} (2024): PAR index" in matched
    assert "Note on the years" not in matched and "not of the SIPAS survey year" not in matched
    assert leaders.docs["matched"]["par"]["year_note"] is None
    # a report without a PAR round says nothing of years either
    assert "Lưu ý về năm số liệu" not in _text(leaders.files["province"])


# --- sensitivity and priorities --------------------------------------------------------------


def test_the_national_report_shows_how_firm_the_ranks_are(leaders: Leaders) -> None:
    text = _text(leaders.files["national"])
    section = _between(text, "Độ vững của thứ hạng: phương pháp và sai số mẫu", "Giải thích")
    found = leaders.docs["national"]["sensitivity"]
    assert f"được tính lại {found['draws']} lần" in section
    assert "Khoảng hạng theo phương pháp và theo sai số mẫu" in section  # the chart's caption
    ranks = pd.DataFrame(load_run(leaders.db, RUN_2025)["rows"])
    ranks = ranks[(ranks["partition"] == "province") & (ranks["indicator"] == "SIPAS")]
    ranks = ranks.set_index("cell")
    assert len(found["units"]) == len(ranks) == 34
    for unit in found["units"]:
        run = ranks.loc[unit["code"]]
        # the sampling side is the run's own rank interval, the method side spans the rank
        assert (unit["rank"], unit["sampling_low"], unit["sampling_high"]) == (
            run["rank"], run["rank_low"], run["rank_high"],
        )  # fmt: skip
        assert unit["method_low"] <= unit["method_high"]
    top = found["units"][0]
    assert f"{top['rank']} {top['name']} " in section


def test_the_province_report_says_what_to_improve_first(leaders: Leaders) -> None:
    text = _text(leaders.files["province"])
    section = _between(text, "Các tiêu chí cần ưu tiên cải thiện", "Xu hướng qua các năm")
    expected = priorities(leaders.db, RUN_2025, "01")
    first = [p for p in expected.components if p.quadrant == "improve_first"]
    assert first, "the demo's Hà Nội has elements to improve first"
    for p in expected.components:
        assert expected.names[p.node].split()[0] in section
    shown = section[section.index("Cải thiện trước: các tiêu chí") :]
    positions = [shown.index(" ".join(i.text.split()[:4])) for i in expected.items]
    assert positions == sorted(positions)  # lowest satisfaction first, as the api ranks them
    assert "Mức quan trọng và mức hài lòng của các yếu tố" in section  # the chart's caption


def test_the_sensitivity_can_be_left_out_and_says_so(leaders: Leaders, tmp_path: Path) -> None:
    out = tmp_path / "national.html"
    context = AppContext(settings=load_settings(None, database_url=leaders.url))
    result = CliRunner().invoke(
        report,
        ["national", "--year", "2025", "--format", "html", "--no-sensitivity", "-o", str(out)],
        obj=context,
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert label("sensitivity", "vi") in html and label("sensitivity_skipped", "vi") in html
    assert label("chart_sensitivity", "vi") not in html
