"""PAR score sheets in the ministry's Excel layout, out and back in.

One sheet per unit, named by the unit's code, with the columns of the ministry's tables: STT,
Lĩnh vực/Tiêu chí/Tiêu chí thành phần, Điểm tối đa, Tự đánh giá, Thẩm định, Điểm đạt được, Chỉ số,
and Ghi chú. A parent row shows the sums of its leaves. A tidy "Dữ liệu" sheet holds one row per unit
and leaf for analysis. Values only, never formulas; text that a spreadsheet would run as a formula is
escaped. Reading takes the leaf rows of every unit sheet from the column of the stage being imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import xlsxwriter

from sipas.errors import SipasError
from sipas.frameworks.model import ParFramework, ParNode
from sipas.messages import Phrase
from sipas.text import compact_key, escape_formula

COL_STT = "STT"
COL_NAME = "Lĩnh vực/Tiêu chí/Tiêu chí thành phần"
COL_MAX = "Điểm tối đa"
COL_SELF = "Tự đánh giá"
COL_APPRAISAL = "Thẩm định"
COL_FINAL = "Điểm đạt được"
COL_INDEX = "Chỉ số"
COL_NOTE = "Ghi chú"
COLUMNS = (COL_STT, COL_NAME, COL_MAX, COL_SELF, COL_APPRAISAL, COL_FINAL, COL_INDEX, COL_NOTE)
DATA_SHEET = "Dữ liệu"
STAGE_COLUMN = {
    "self": COL_SELF,
    "appraisal1": COL_APPRAISAL,
    "appraisal2": COL_APPRAISAL,
    "survey": COL_FINAL,
    "final": COL_FINAL,
}
MAX_UNIT_SHEETS = 400  # beyond this, only the tidy data sheet is written


@dataclass(frozen=True)
class UnitSheet:
    code: str
    name: str
    scores: dict[str, dict[str, float | None]]  # leaf code → stage → points
    notes: dict[str, str]  # leaf code → note or reason shown
    node_index: dict[str, float]  # node code → index on final scores (when final)


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def export_scores_xlsx(framework: ParFramework, title: str, units: list[UnitSheet]) -> bytes:
    buffer = BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    head = book.add_format({"bold": True, "bg_color": "#DDE6F0", "border": 1, "text_wrap": True})
    bold = book.add_format({"bold": True, "border": 1, "num_format": "0.00"})
    plain = book.add_format({"border": 1, "num_format": "0.00"})
    walk = framework.walk()
    leaves_under = {node.code: _leaf_codes(node) for _, node in walk}
    if len(units) <= MAX_UNIT_SHEETS:
        for unit in units:
            sheet = book.add_worksheet(unit.code[:31])
            sheet.write_string(0, 0, escape_formula(f"{unit.code} — {unit.name} — {title}"), bold)
            for col, name in enumerate(COLUMNS):
                sheet.write_string(1, col, name, head)
            sheet.set_column(0, 0, 9)
            sheet.set_column(1, 1, 60)
            sheet.set_column(2, 6, 13)
            sheet.set_column(7, 7, 40)
            for row, (trail, node) in enumerate(walk, start=2):
                fmt = bold if not trail else plain
                codes = leaves_under[node.code]
                sheet.write_string(row, 0, node.code, fmt)
                sheet.write_string(row, 1, escape_formula(node.name.vi), fmt)
                sheet.write_number(row, 2, float(node.max_points or 0.0), fmt)
                stages = [unit.scores.get(code, {}) for code in codes]
                self_points = _sum([s.get("self") for s in stages])
                appraised = _sum([s.get("appraisal2", s.get("appraisal1")) for s in stages])
                final = _sum([s.get("final") for s in stages])
                for col, value in ((3, self_points), (4, appraised), (5, final)):
                    if value is None:
                        sheet.write_blank(row, col, None, fmt)
                    else:
                        sheet.write_number(row, col, value, fmt)
                if node.code in unit.node_index:
                    sheet.write_number(row, 6, unit.node_index[node.code], fmt)
                else:
                    sheet.write_blank(row, 6, None, fmt)
                note = unit.notes.get(node.code, "") if node.is_leaf else ""
                sheet.write_string(row, 7, escape_formula(note), fmt)
            sheet.freeze_panes(2, 2)
    _data_sheet(book, head, framework, units)
    book.close()
    return buffer.getvalue()


def _leaf_codes(node: ParNode) -> list[str]:
    if node.is_leaf:
        return [node.code]
    return [code for child in node.children for code in _leaf_codes(child)]


def _data_sheet(book: Any, head: Any, framework: ParFramework, units: list[UnitSheet]) -> None:
    sheet = book.add_worksheet(DATA_SHEET)
    stages = ("self", "appraisal1", "explanation", "appraisal2", "survey", "final")
    header = ("unit_code", "unit_name", "node_code", "max_points", *stages, "note")
    for col, name in enumerate(header):
        sheet.write_string(0, col, name, head)
    row = 1
    for unit in units:
        for leaf in framework.leaves():
            scores = unit.scores.get(leaf.code, {})
            sheet.write_string(row, 0, unit.code)
            sheet.write_string(row, 1, escape_formula(unit.name))
            sheet.write_string(row, 2, leaf.code)
            sheet.write_number(row, 3, float(leaf.max_points or 0.0))
            for col, stage in enumerate(stages, start=4):
                value = scores.get(stage)
                if value is not None:
                    sheet.write_number(row, col, value)
            sheet.write_string(row, 4 + len(stages), escape_formula(unit.notes.get(leaf.code, "")))
            row += 1


# --- import --------------------------------------------------------------------------------------


def _header_row(rows: list[tuple[Any, ...]], where: Phrase) -> tuple[int, dict[str, int]]:
    wanted = {compact_key(c): c for c in COLUMNS}
    for number, row in enumerate(rows[:10]):
        found = {
            wanted[compact_key(str(v))]: i
            for i, v in enumerate(row)
            if v is not None and compact_key(str(v)) in wanted
        }
        if COL_STT in found:
            return number, found
    raise SipasError("par.sheet_header", where=where, column=COL_STT, columns=list(COLUMNS))


def read_scores_xlsx(
    data: bytes | Path, framework: ParFramework, stage: str, source: str
) -> list[dict[str, Any]]:
    """Leaf scores of every unit sheet, from the stage's column; each entry names its sheet row."""
    import openpyxl  # loaded when a sheet is read: web workers and other commands start faster

    try:
        book = openpyxl.load_workbook(
            BytesIO(data) if isinstance(data, bytes) else data, read_only=True, data_only=True
        )
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise SipasError("par.sheet_unreadable", file=source, reason=type(exc).__name__) from None
    column = STAGE_COLUMN[stage]
    leaves = {leaf.code for leaf in framework.leaves()}
    parents = {node.code for _, node in framework.walk()} - leaves
    entries: list[dict[str, Any]] = []
    for sheet in book.worksheets:
        if sheet.title == DATA_SHEET:
            continue
        where = Phrase("par.place.sheet", file=source, sheet=sheet.title)
        rows = list(sheet.iter_rows(values_only=True))
        header, columns = _header_row(rows, where)
        if column not in columns:
            raise SipasError(
                "par.sheet_layout", where=where, column=column, stage=stage, columns=list(COLUMNS)
            )
        for number in range(header + 1, len(rows)):
            row = rows[number]
            code_cell = row[columns[COL_STT]] if columns[COL_STT] < len(row) else None
            if code_cell in (None, ""):
                continue
            code = str(
                int(code_cell)
                if isinstance(code_cell, float) and code_cell.is_integer()
                else code_cell
            ).strip()
            if code in parents:
                continue
            if code not in leaves:
                raise SipasError(
                    "par.sheet_unknown_node",
                    where=Phrase(
                        "par.place.sheet_row", file=source, sheet=sheet.title, row=number + 1
                    ),
                    column=COL_STT,
                    node=code,
                    framework=framework.id,
                )
            value = row[columns[column]] if columns[column] < len(row) else None
            if value in (None, ""):
                continue
            note_index = columns.get(COL_NOTE)
            note = row[note_index] if note_index is not None and note_index < len(row) else None
            entry: dict[str, Any] = {
                "unit": sheet.title,
                "node": code,
                "points": value,
                "row": number + 1,  # of the sheet named by the unit
            }
            if note not in (None, ""):
                entry["reason" if stage.startswith("appraisal") else "note"] = str(note)
            entries.append(entry)
    return entries
