"""What a Vietnamese reader must never meet: internal codes, float noise, TRUE/FALSE and English
words. Text in, findings out, for the pages, reports and downloads (`tests/test_no_codes.py`)."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from sipas.frameworks import load_builtin, require_survey
from sipas.survey import index_tree

# Node ids of the built-in frameworks the demo uses (`policy.accountability`, `service`): every
# one is an internal code a reader must not see. "SIPAS" is the index's public name.
_TREE = index_tree(require_survey(load_builtin("sipas-gen2")))
NODE_IDS = {code for code in (*(n.code for n in _TREE.nodes), *_TREE.item_codes) if code != "SIPAS"}
FRAMEWORK_IDS = {"sipas-gen2", "par-province-2017", "service-766"}
ROLES = ("admin", "analyst", "officer", "appraiser", "clerk", "self_assessor")

CODE_PATTERNS = {
    "dotted id": re.compile(r"\b[a-z][a-z_]*(?:\.[a-z_][a-z0-9_]*)+\b"),
    "item code": re.compile(r"\bQ\d+(?:_\d+)+[a-z]?\b"),
    "sub-unit code": re.compile(r"\b\d{2}\.[A-Z]{2,}\d*\b"),
    "role code": re.compile(r"\((?:" + "|".join(ROLES) + r")\)"),
    "framework id": re.compile(r"\b(?:" + "|".join(map(re.escape, FRAMEWORK_IDS)) + r")\b"),
    "snake_case": re.compile(r"\b[a-z]+_[a-z_]+\b"),
}
WEB_HOSTS = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.(?:vn|com|org|net|int|gov)\b", re.IGNORECASE)
FLOAT_NOISE = re.compile(r"\d[.,]\d{5,}")
BOOLEANS = re.compile(r"\b(?:TRUE|FALSE|True|False|true|false|None|null|NaN|nan)\b")

# English words that betray untranslated text in Vietnamese output. None is a Vietnamese word
# written without diacritics (so "can", "in", "to", "an" are not here).
_ENGLISH_WORDS = """
    weakness weaknesses strength strengths rank ranks ranking mean province provinces change
    changes significant not yes no notes note source estimate estimates national best region
    above below different difference score scores total year years unit units period value
    values download report trend compare item items element elements unstable group code
    name agency agencies procedure procedures dossiers late the and of for with from
    interval confidence published publication synthetic data sample respondents level
    index subindex component components method methodology run runs show page none
"""
ENGLISH = set(_ENGLISH_WORDS.split())
# Names and acronyms a Vietnamese text keeps as they are.
ALLOWED = re.compile(
    r"SIPAS|PAR INDEX|PAPI|sipas|English|QĐ|CSV|XLSX|JSON|PDF|API|HTML|Plotly|R survey", re.I
)


def findings(text: str, *, allowed_codes: Iterable[str] = ()) -> list[str]:
    """What ``text`` (Vietnamese output) must not hold, each with the words around it."""
    found = []
    keep = set(allowed_codes)
    bare = WEB_HOSTS.sub(" ", text)
    for name, pattern in CODE_PATTERNS.items():
        for match in pattern.finditer(bare):
            if match.group(0) not in keep:
                found.append(f"{name}: {_around(bare, match)}")
    for code in NODE_IDS:  # bare node ids ("policy", "service") and item codes
        for match in re.finditer(rf"(?<![\w.]){re.escape(code)}(?![\w.])", bare):
            found.append(f"node id: {_around(bare, match)}")
    for match in FLOAT_NOISE.finditer(text):
        if match.group(0) in keep or _whole(text, match) in keep:
            continue
        found.append(f"float noise: {_around(text, match)}")
    for match in BOOLEANS.finditer(text):
        found.append(f"boolean: {_around(text, match)}")
    cleaned = ALLOWED.sub(" ", bare)
    for match in re.finditer(r"[A-Za-z]+", cleaned):
        if match.group(0).lower() in ENGLISH:
            found.append(f"English: {_around(cleaned, match)}")
    return sorted(set(found))


def _whole(text: str, match: re.Match[str]) -> str:
    """The number a match is part of (a procedure code such as 1.000123)."""
    start, end = match.start(), match.end()
    while start > 0 and (text[start - 1].isdigit() or text[start - 1] == "."):
        start -= 1
    while end < len(text) and text[end].isdigit():
        end += 1
    return text[start:end]


def _around(text: str, match: re.Match[str], width: int = 40) -> str:
    start, end = max(0, match.start() - width), match.end() + width
    return f"{match.group(0)!r} in …{' '.join(text[start:end].split())}…"


# --- what a page shows ---------------------------------------------------------------------------

_CHART_TEXT = {"name", "text", "hovertext", "ticktext", "title", "x", "y", "customdata"}


def _chart_strings(spec: Any, key: str = "") -> Iterator[str]:
    """The strings a chart shows: names, titles, labels and hover texts (not its settings)."""
    if isinstance(spec, dict):
        for k, v in spec.items():
            yield from _chart_strings(v, k)
    elif isinstance(spec, list):
        for v in spec:
            yield from _chart_strings(v, key)
    elif isinstance(spec, str) and key in _CHART_TEXT:
        yield re.sub(r"<[^>]+>", " ", spec)


def page_text(body: str) -> str:
    """The words a visitor reads: text, titles, labels, and the texts of the embedded charts."""
    shown: list[str] = []
    for chart in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', body, re.S):
        shown.extend(_chart_strings(json.loads(html.unescape(chart))))
    for attribute in re.findall(r'\b(?:title|aria-label|alt|placeholder)="([^"]*)"', body):
        shown.append(attribute)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<!--.*?-->", " ", body, flags=re.S)
    shown.append(re.sub(r"<[^>]+>", " ", body))
    return " ".join(html.unescape(" ".join(shown)).split())


# --- what a workbook shows -----------------------------------------------------------------------


def workbook_findings(content: bytes, **options: Any) -> list[str]:
    """Every cell of every sheet: text as :func:`findings`; numbers with more than 4 decimals
    only under a number format that rounds them; no TRUE/FALSE cells."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content))
    found = []
    for sheet in book.worksheets:
        found += [f"[{sheet.title}] {f}" for f in findings(sheet.title, **options)]
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                where = f"[{sheet.title}!{cell.coordinate}]"
                if isinstance(value, bool):
                    found.append(f"{where} boolean cell {value}")
                elif isinstance(value, float) and _decimals(value) > 4:
                    if not re.fullmatch(r"[#,0]*\.0{1,4}|0\.0{0,4}%?", cell.number_format or ""):
                        found.append(f"{where} {value!r} shown as {cell.number_format!r}")
                elif isinstance(value, str):
                    found += [f"{where} {f}" for f in findings(value, **options)]
    return found


def _decimals(value: float) -> int:
    text = repr(value)
    return len(text.partition(".")[2]) if "e" not in text else 99
