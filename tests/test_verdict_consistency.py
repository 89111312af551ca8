"""One verdict everywhere: every province × node (index, sub-indices, components, items) of a saved
SIPAS run carries the same strength / weakness / no-difference verdict on every surface — the one
diagnosis (`sipas estimate --show diagnosis --format json`), the web province page and its JSON
twin, the province's XLSX report and the strengths and weaknesses its PDF lists."""

from __future__ import annotations

import html
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

from sipas.api import reports
from sipas.api.demo import DemoOptions, run_demo
from sipas.api.queries.public import indicator_names
from sipas.messages import text
from sipas.reports.format import label
from sipas.settings import load_settings
from sipas.store import estimates as estimate_store
from sipas.store import open_database
from sipas.web import create_app

pytestmark = pytest.mark.slow

RUN = "demo-sipas-2025"
# Five provinces of the 34 with enough respondents that some differences are significant.
OPTIONS = DemoOptions(
    seed=3,
    years=(2024, 2025),
    respondents_per_province=150,
    provinces=("01", "19", "48", "79", "92"),
    dossiers=0,
    accounts=False,
)
WORDS = {"above": "strength", "below": "weakness", "not different": "not different"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("verdicts")
    url = f"sqlite:///{folder / 'sipas.db'}"
    db = open_database(url)
    run_demo(db, OPTIONS)
    app = create_app(load_settings(None, data_dir=folder / "data"), db)
    yield {"db": db, "url": url, "folder": folder, "client": TestClient(app)}
    db.close()


@pytest.fixture(scope="module")
def diagnosis(site: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(province, node) → above / below / not different, as the CLI prints the one diagnosis,
    re-estimated with the saved run's own options."""
    from click.testing import CliRunner

    from sipas.cli.main import cli

    with site["db"].engine.connect() as connection:
        options = estimate_store.get_run(connection, RUN)["options"]
    result = CliRunner().invoke(
        cli,
        [
            "--database-url",
            site["url"],
            "estimate",
            "--survey",
            "demo-sipas-2025",
            "--show",
            "diagnosis",
            "--method",
            options["method"],
            "--replicates",
            str(options["replicates"]),
            "--seed",
            str(options["seed"]),
            "--lonely-psu",
            options["lonely_psu"],
            "--item-se",
            options["item_se"],
            "--no-save",
            "--quiet",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    return {(r["cell"], r["indicator"]): r["vs_national"] for r in rows}


def _provinces(diagnosis: dict[tuple[str, str], str]) -> list[str]:
    return sorted({cell for cell, _ in diagnosis})


def test_the_diagnosis_has_every_verdict_on_every_level(
    diagnosis: dict[tuple[str, str], str],
) -> None:
    """The data are such that the checks below can fail: strengths and weaknesses both occur,
    and every node and item of the framework is diagnosed for every province."""
    names = indicator_names("sipas-gen2")
    assert _provinces(diagnosis) == ["01", "19", "48", "79", "92"]
    assert {i for _, i in diagnosis} == set(names)
    assert set(diagnosis.values()) == {"above", "below", "not different"}
    items = [v for (_, i), v in diagnosis.items() if i.startswith("Q")]
    nodes = [v for (_, i), v in diagnosis.items() if not i.startswith("Q")]
    assert {"above", "below"} <= set(items) and {"above", "below"} & set(nodes)


def test_web_province_page_and_its_twin_say_the_diagnosis(
    site: dict[str, Any], diagnosis: dict[tuple[str, str], str]
) -> None:
    client = site["client"]
    for province in _provinces(diagnosis):
        twin = client.get(f"/sipas/{RUN}/province/{province}.json").json()
        shown = {e["indicator"]: e["verdict"] for e in twin["elements"] + twin["items"]}
        expected = {i: WORDS[v] for (c, i), v in diagnosis.items() if c == province}
        assert shown == expected, province
        page = client.get(f"/sipas/{RUN}/province/{province}?lang=vi").text
        rows = re.findall(
            r'<tr data-indicator="([^"]+)">.*?<td class="verdict[^"]*">([^<]*)</td>', page, re.S
        )
        assert dict(rows) == {i: text(f"web.{w}", "vi") for i, w in expected.items()}, province


def _sheet_verdicts(sheet: Any, names: dict[str, str]) -> dict[str, str]:
    """Node code → the verdict cell of its row (found by its name and the verdict column)."""
    header_row = next(
        r for r in sheet.iter_rows(values_only=True) if label("vs_mean", "vi") in (r or ())
    )
    column = header_row.index(label("vs_mean", "vi"))
    name_column = header_row.index(label("element", "vi"))
    by_name = {v: k for k, v in names.items()}
    found = {}
    for row in sheet.iter_rows(values_only=True):
        if row and row[name_column] in by_name:
            found[by_name[row[name_column]]] = row[column]
    return found


def test_province_workbook_says_the_diagnosis(
    site: dict[str, Any], diagnosis: dict[tuple[str, str], str], tmp_path: Path
) -> None:
    names = {code: name["vi"] for code, name in indicator_names("sipas-gen2").items()}
    for province in _provinces(diagnosis):
        path = reports.province_report(
            site["db"], province, tmp_path / f"{province}.xlsx", fmt="xlsx", run=RUN, lang="vi"
        )
        book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
        shown: dict[str, str] = {}
        for sheet in (book[label("element", "vi")], book[label("item", "vi")]):
            shown.update(_sheet_verdicts(sheet, names))
        expected = {
            i: label(v, "vi") for (c, i), v in diagnosis.items() if c == province and i != "SIPAS"
        }
        assert shown == expected, province


def _pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return " ".join(html.unescape(done.stdout.decode("utf-8")).split())


def _names_in(text: str, names: dict[str, str]) -> set[str]:
    """The codes whose names ``text`` lists: a name counts where it is not only part of a longer
    name ("Thủ tục hành chính" is also the start of an item's wording)."""
    found = set()
    for code, name in names.items():
        longer = [other for other in names.values() if name in other and other != name]
        if text.count(name) > sum(text.count(other) for other in longer):
            found.add(code)
    return found


def _annex_rows(text: str, words: dict[str, str]) -> dict[str, str]:
    """The annex's rows: each starts with its kind (Điểm mạnh / Điểm yếu), then the name."""
    pattern = "|".join(re.escape(f"{word} ") for word in words.values())
    kinds = {f"{word} ": side for side, word in words.items()}
    pieces = re.split(f"({pattern})", text)
    return {piece: kinds[pieces[i - 1]] for i, piece in enumerate(pieces) if pieces[i - 1] in kinds}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_province_pdf_lists_the_diagnosis_strengths_and_weaknesses(
    site: dict[str, Any], diagnosis: dict[tuple[str, str], str], tmp_path: Path
) -> None:
    """The PDF lists the largest strengths and weaknesses in its body and the rest in an annex
    (each row with its kind): every significant node is in its list, and no other node is in
    either (the index is the report's headline, not an entry of the lists)."""
    names = {
        code: name["vi"] for code, name in indicator_names("sipas-gen2").items() if code != "SIPAS"
    }
    heading = {
        key: label(key, "vi")
        for key in ("strengths", "weaknesses", "priorities", "sw_annex", "glossary")
    }
    words = {"above": label("strength", "vi"), "below": label("weakness", "vi")}
    for province in _provinces(diagnosis):
        path = reports.province_report(
            site["db"], province, tmp_path / f"{province}.pdf", fmt="pdf", run=RUN, lang="vi"
        )
        shown = _pdf_text(path)
        start = shown.index(heading["strengths"])
        middle = shown.index(heading["weaknesses"], start)
        end = shown.index(heading["priorities"], middle)
        listed = {
            "above": _names_in(shown[start:middle], names),
            "below": _names_in(shown[middle:end], names),
        }
        annex = shown.find(heading["sw_annex"], end)  # only when a list is longer than the body's
        if annex >= 0:
            closing = shown.find(heading["glossary"], annex)
            rows = _annex_rows(shown[annex : closing if closing >= 0 else None], words)
            for row, side in rows.items():
                listed[side] |= _names_in(row, names)
        expected = {
            side: {
                c for (p, c), v in diagnosis.items() if p == province and v == side and c in names
            }
            for side in ("above", "below")
        }
        assert listed == expected, province
