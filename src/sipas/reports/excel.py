"""Reports as Excel workbooks (xlsxwriter): the ministry's table layouts, then one tidy data sheet.

Every cell is a value, never a formula; text that a spreadsheet would run as a formula is escaped
with :func:`sipas.text.escape_formula`. Numbers keep the precision of the api's results and are
shown with two decimals (Excel shows the reader's own decimal separator).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from sipas.text import escape_formula, nfc


@dataclass
class Sheet:
    name: str
    caption: str
    headers: list[str]
    rows: list[list[Any]]
    widths: Sequence[int] = ()


class _Styles:
    def __init__(self, book: Workbook) -> None:
        self.title = book.add_format({"bold": True, "font_size": 13})
        self.banner = book.add_format({"bold": True, "font_color": "#8b1c13"})
        self.header = book.add_format(
            {"bold": True, "bg_color": "#eef1f6", "border": 1, "text_wrap": True, "valign": "top"}
        )
        self.number = book.add_format({"num_format": "0.00", "border": 1})
        self.whole = book.add_format({"num_format": "#,##0", "border": 1})
        self.text = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})


def _write(sheet: Worksheet, row: int, col: int, value: Any, styles: _Styles) -> None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        sheet.write_blank(row, col, None, styles.text)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, styles.text)
    elif isinstance(value, int):
        sheet.write_number(row, col, value, styles.whole)
    elif isinstance(value, float):
        sheet.write_number(row, col, value, styles.number)
    else:
        sheet.write_string(row, col, escape_formula(nfc(str(value))), styles.text)


def _sheet(book: Workbook, spec: Sheet, banners: list[str], styles: _Styles) -> None:
    name = re.sub(r"[\[\]:*?/\\]", " ", spec.name).strip()[:31]
    sheet = book.add_worksheet(name)
    sheet.write_string(0, 0, escape_formula(spec.caption), styles.title)
    for i, banner in enumerate(banners, start=1):
        sheet.write_string(i, 0, banner, styles.banner)
    top = len(banners) + 2
    for col, header in enumerate(spec.headers):
        sheet.write_string(top, col, escape_formula(header), styles.header)
    for r, values in enumerate(spec.rows, start=top + 1):
        for col, value in enumerate(values):
            _write(sheet, r, col, value, styles)
    for col in range(len(spec.headers)):
        width = spec.widths[col] if col < len(spec.widths) else 14
        sheet.set_column(col, col, width)
    sheet.freeze_panes(top + 1, 0)
    if spec.rows:
        sheet.autofilter(top, 0, top + len(spec.rows), len(spec.headers) - 1)


def write_workbook(path: Path, sheets: list[Sheet], banners: list[str]) -> Path:
    book = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": False},
    )
    styles = _Styles(book)
    for spec in sheets:
        _sheet(book, spec, banners, styles)
    book.close()
    return path
