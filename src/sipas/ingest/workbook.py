"""Excel workbooks and zip files, read with care.

- Every zip-based file (XLSX, an ODK Central export) is refused before anything is inflated when
  its directory announces more than :data:`MAX_UNZIPPED` bytes, or a member that inflates more
  than :data:`MAX_RATIO` times (a "zip bomb": a few MB of shared strings that become a GB).
- The sheet read is the one holding the framework's header (the row with the most column names
  the framework knows, among the first rows of each sheet), or the sheet the user names; the
  others are named in the report with their rows.
- A header written in merged cells is read as a header (a merged cell's value is its range's,
  rows inside a merged header are not data); rows keep the number the spreadsheet shows.
- A formula cell saved without its value (a workbook written by a program that does not
  calculate) is a problem for that cell, never a blank answer.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sipas.errors import SipasError
from sipas.text import safe_name

MAX_UNZIPPED = 1024**3  # bytes a zip-based file may inflate to, in all
MAX_RATIO = 100  # how many times a member larger than RATIO_FLOOR may inflate
RATIO_FLOOR = 10 * 1024**2
HEADER_ROWS = 30  # rows of each sheet searched for the header
FORMULA = "ingest.formula_without_value"


def check_zip(path: Path, archive: zipfile.ZipFile | None = None) -> None:
    """Refuse a zip whose directory announces too much inflation (nothing is inflated)."""
    try:
        own = archive or zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise SipasError(
            "ingest.unreadable_zip", file=safe_name(path.name), reason=str(error)
        ) from None
    try:
        total = 0
        for info in own.infolist():
            total += info.file_size
            packed = max(info.compress_size, 1)
            if info.file_size > RATIO_FLOOR and info.file_size / packed > MAX_RATIO:
                raise SipasError(
                    "ingest.zip_ratio", file=safe_name(path.name), member=safe_name(info.filename),
                    size=info.file_size, packed=info.compress_size, limit=MAX_RATIO,
                )  # fmt: skip
        if total > MAX_UNZIPPED:
            raise SipasError(
                "ingest.zip_too_large", file=safe_name(path.name), size=total, limit=MAX_UNZIPPED
            )
    finally:
        if archive is None:
            own.close()


@dataclass
class Sheet:
    """The rows of the chosen sheet, as text-or-value cells, and what was found reading it."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (spreadsheet row, cells)
    others: list[tuple[str, int]] = field(default_factory=list)  # (sheet, rows with cells)
    formulas: list[tuple[int, int, str]] = field(default_factory=list)  # (row, column, formula)


def _score(cells: tuple[Any, ...], known: Callable[[str], bool] | None) -> int:
    if known is None:
        return 0
    return sum(1 for c in cells if c is not None and known(str(c).strip()))


_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
_CELL = re.compile(rb'<c\s+r="([A-Z]+)([0-9]+)"[^>]*?(?<!/)>(.*?)</c>', re.S)
_V = re.compile(rb"<v>[^<]+</v>")
_F = re.compile(rb"<f[^>]*?(?:/>|>(.*?)</f>)", re.S)


def _sheet_xml(worksheet: Any) -> bytes:
    with worksheet.parent._archive.open(worksheet._worksheet_path) as stream:
        return bytes(stream.read())


def _formulas_without_value(xml: bytes) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    if b"<f" not in xml:
        return found
    for match in _CELL.finditer(xml):
        body = match.group(3)
        if b"<f" in body and not _V.search(body):
            formula = _F.search(body)
            text = (formula.group(1) or b"").decode("utf-8", "replace") if formula else ""
            text = html.unescape(text)
            from openpyxl.utils.cell import (
                column_index_from_string,
            )  # loaded when a workbook is read

            column = column_index_from_string(match.group(1).decode())
            found.append((int(match.group(2)), column, "=" + text))
    return found


def read_sheet(path: Path, sheet: str | None, known: Callable[[str], bool] | None) -> Sheet:
    """The sheet with the framework's header (or ``sheet``), its header row and data rows."""
    import openpyxl

    check_zip(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a broken workbook
        raise SipasError(
            "ingest.unreadable_excel", file=safe_name(path.name), reason=type(error).__name__
        ) from None
    try:
        names = list(book.sheetnames)
        if sheet is not None and sheet not in names:
            raise SipasError(
                "ingest.no_sheet", file=safe_name(path.name), sheet=safe_name(sheet),
                sheets=", ".join(safe_name(n) for n in names),
            )  # fmt: skip
        best: tuple[int, int, str] | None = None  # (score, -row, name)
        heads: dict[str, list[tuple[Any, ...]]] = {}
        for name in names if sheet is None else [sheet]:
            head = list(book[name].iter_rows(max_row=HEADER_ROWS, values_only=True))
            heads[name] = head
            for i, cells in enumerate(head):
                if not any(c is not None and str(c).strip() for c in cells):
                    continue
                candidate = (_score(cells, known), -i, name)
                if best is None or candidate[0] > best[0]:
                    best = candidate
        if best is None:
            raise SipasError("ingest.no_header", file=safe_name(path.name))
        score, minus_row, chosen = best
        if score == 0:  # nothing the framework knows: the first sheet with cells, its first row
            chosen = next(n for n in heads if any(any(c is not None for c in r) for r in heads[n]))
            minus_row = -next(
                i for i, r in enumerate(heads[chosen]) if any(c is not None for c in r)
            )
        worksheet = book[chosen]
        xml = _sheet_xml(worksheet)
        header_row = -minus_row + 1  # 1-based
        from openpyxl.utils.cell import range_boundaries

        merges = [range_boundaries(m.decode()) for m in _MERGE.findall(xml)]
        rows = [
            (i + 1, list(cells)) for i, cells in enumerate(worksheet.iter_rows(values_only=True))
        ]
        by_row = dict(rows)
        header_cells = list(by_row.get(header_row, []))
        width = max((len(c) for _, c in rows), default=0)
        header_cells += [None] * (width - len(header_cells))
        last_header = header_row
        covered: set[tuple[int, int]] = set()
        for min_col, min_row, max_col, max_row in merges:
            for r in range(min_row, max_row + 1):
                for c in range(min_col, max_col + 1):
                    if (r, c) != (min_row, min_col):
                        covered.add((r, c))
            if min_row <= header_row <= max_row or (min_row < header_row and max_row >= header_row):
                last_header = max(last_header, max_row)
            if min_row <= header_row:
                top = by_row.get(min_row, [])
                value = top[min_col - 1] if min_col - 1 < len(top) else None
                for c in range(min_col, max_col + 1):
                    if min_row <= header_row <= max_row and header_cells[c - 1] is None:
                        header_cells[c - 1] = value
        header = ["" if v is None else str(v).strip().replace("\n", " ") for v in header_cells]
        data = [(r, cells + [None] * (width - len(cells))) for r, cells in rows if r > last_header]
        for r, cells in data:
            for column in range(1, width + 1):
                if (r, column) in covered:
                    cells[column - 1] = None
        others = []
        for name in names:
            if name == chosen:
                continue
            used = sum(
                1 for cells in book[name].iter_rows(values_only=True)
                if any(c is not None and str(c).strip() for c in cells)
            )  # fmt: skip
            others.append((name, used))
        formulas = [f for f in _formulas_without_value(xml) if f[0] > last_header]
        return Sheet(chosen, header, data, others, formulas)
    finally:
        book.close()
