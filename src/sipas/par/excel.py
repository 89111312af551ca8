"""PAR score sheets in the ministry's Excel layout, out and back in.

One sheet per unit, named by the unit's code, with the columns of the ministry's tables: STT,
Lĩnh vực/Tiêu chí/Tiêu chí thành phần, Điểm tối đa, Tự đánh giá, Thẩm định, Điều tra xã hội học (the
points of the criteria fed by surveys), Điểm đạt được, Chỉ số, and Ghi chú. A parent row shows the
sums of its leaves; the last row, Tổng điểm, shows the unit's total in each column as the engine
computes it (:func:`sipas.par.engine.compute`: areas, bonus and penalty within their caps, the
not-applicable rule), and its index on final scores. A tidy "Dữ liệu" sheet holds one row per unit
and leaf for analysis, with each node's name beside its code. Values only, never formulas; text that a spreadsheet would run as a formula is
escaped. Reading takes the leaf rows of every unit sheet from the column of the stage being imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from sipas.errors import SipasError
from sipas.frameworks.model import ParFramework, ParNode
from sipas.messages import Phrase
from sipas.par.engine import compute
from sipas.par.publish import round_half_up
from sipas.text import compact_key, escape_formula

COL_STT = "STT"
COL_NAME = "Lĩnh vực/Tiêu chí/Tiêu chí thành phần"
COL_MAX = "Điểm tối đa"
COL_SELF = "Tự đánh giá"
COL_APPRAISAL = "Thẩm định"
COL_SURVEY = "Điều tra xã hội học"
COL_FINAL = "Điểm đạt được"
COL_INDEX = "Chỉ số"
COL_NOTE = "Ghi chú"
COLUMNS = (
    COL_STT,
    COL_NAME,
    COL_MAX,
    COL_SELF,
    COL_APPRAISAL,
    COL_SURVEY,
    COL_FINAL,
    COL_INDEX,
    COL_NOTE,
)
TOTAL_ROW = "Tổng điểm"
DATA_SHEET = "Dữ liệu"
STAGE_COLUMN = {
    "self": COL_SELF,
    "appraisal1": COL_APPRAISAL,
    "appraisal2": COL_APPRAISAL,
    "survey": COL_SURVEY,
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
    # (leaf, stage) of the scores that declare the leaf not applicable to the unit
    not_applicable: frozenset[tuple[str, str]] = frozenset()


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


# What each points column shows of a leaf's stages (the appraisal column: the latest appraisal).
_COLUMN_STAGES: tuple[tuple[int, tuple[str, ...]], ...] = (
    (3, ("self",)),
    (4, ("appraisal2", "appraisal1")),
    (5, ("survey",)),
    (6, ("final",)),
)


def _chosen(scores: dict[str, float | None], stages: tuple[str, ...]) -> str | None:
    """The first of ``stages`` the leaf has a stored score at."""
    return next((s for s in stages if s in scores), None)


def _stage_value(scores: dict[str, float | None], stages: tuple[str, ...]) -> float | None:
    stage = _chosen(scores, stages)
    return None if stage is None else scores[stage]


def _column_totals(framework: ParFramework, units: list[UnitSheet]) -> dict[int, pd.DataFrame]:
    """Each points column's unit totals by the engine's rule, indexed by unit code."""
    found = {}
    codes = [unit.code for unit in units]
    for col, stages in _COLUMN_STAGES:
        rows = [
            {
                "unit_code": unit.code,
                "node_code": leaf,
                "points": scores[stage],
                "applicable": (leaf, stage) not in unit.not_applicable,
            }
            for unit in units
            for leaf, scores in unit.scores.items()
            if (stage := _chosen(scores, stages)) is not None
        ]
        frame = pd.DataFrame(rows, columns=["unit_code", "node_code", "points", "applicable"])
        present = set(frame["unit_code"])
        table = compute(framework, codes, frame).units.set_index("unit_code")
        found[col] = table.assign(present=[code in present for code in table.index])
    return found


def export_scores_xlsx(framework: ParFramework, title: str, units: list[UnitSheet]) -> bytes:
    buffer = BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    head = book.add_format({"bold": True, "bg_color": "#DDE6F0", "border": 1, "text_wrap": True})
    bold = book.add_format({"bold": True, "border": 1, "num_format": "0.00"})
    plain = book.add_format({"border": 1, "num_format": "0.00"})
    walk = framework.walk()
    leaves_under = {node.code: _leaf_codes(node) for _, node in walk}
    if len(units) <= MAX_UNIT_SHEETS:
        totals = _column_totals(framework, units)
        for unit in units:
            sheet = book.add_worksheet(unit.code[:31])
            sheet.write_string(0, 0, escape_formula(f"{unit.code} — {unit.name} — {title}"), bold)
            for col, name in enumerate(COLUMNS):
                sheet.write_string(1, col, name, head)
            sheet.set_column(0, 0, 9)
            sheet.set_column(1, 1, 60)
            sheet.set_column(2, 7, 13)
            sheet.set_column(8, 8, 40)
            for row, (trail, node) in enumerate(walk, start=2):
                fmt = bold if not trail else plain
                stages = [unit.scores.get(code, {}) for code in leaves_under[node.code]]
                sheet.write_string(row, 0, node.code, fmt)
                sheet.write_string(row, 1, escape_formula(node.name.vi), fmt)
                sheet.write_number(row, 2, float(node.max_points or 0.0), fmt)
                for col, wanted in _COLUMN_STAGES:
                    _number(sheet, row, col, _sum([_stage_value(s, wanted) for s in stages]), fmt)
                _number(sheet, row, 7, unit.node_index.get(node.code), fmt)
                note = unit.notes.get(node.code, "") if node.is_leaf else ""
                sheet.write_string(row, 8, escape_formula(note), fmt)
            _total_row(sheet, 2 + len(walk), unit, totals, bold)
            sheet.freeze_panes(2, 2)
    _data_sheet(book, head, framework, units)
    book.close()
    return buffer.getvalue()


def _number(sheet: Any, row: int, col: int, value: float | None, fmt: Any) -> None:
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    else:
        sheet.write_number(row, col, value, fmt)


def _total_row(
    sheet: Any, row: int, unit: UnitSheet, totals: dict[int, pd.DataFrame], fmt: Any
) -> None:
    """Tổng điểm: the unit's total in each points column (blank where no leaf has a value)."""
    final = totals[6].loc[unit.code]
    sheet.write_blank(row, 0, None, fmt)
    sheet.write_string(row, 1, TOTAL_ROW, fmt)
    sheet.write_number(row, 2, float(final["max"]), fmt)
    for col, _ in _COLUMN_STAGES:
        found = totals[col].loc[unit.code]
        _number(sheet, row, col, float(found["total"]) if found["present"] else None, fmt)
    final_index = float(final["index"]) if unit.node_index and final["present"] else None
    _number(sheet, row, 7, round_half_up(final_index), fmt)
    sheet.write_blank(row, 8, None, fmt)


def _leaf_codes(node: ParNode) -> list[str]:
    if node.is_leaf:
        return [node.code]
    return [code for child in node.children for code in _leaf_codes(child)]


def _data_sheet(book: Any, head: Any, framework: ParFramework, units: list[UnitSheet]) -> None:
    sheet = book.add_worksheet(DATA_SHEET)
    stages = ("self", "appraisal1", "explanation", "appraisal2", "survey", "final")
    header = ("unit_code", "unit_name", "node_code", "node_name", "max_points", *stages, "note")
    for col, name in enumerate(header):
        sheet.write_string(0, col, name, head)
    row = 1
    for unit in units:
        for leaf in framework.leaves():
            scores = unit.scores.get(leaf.code, {})
            sheet.write_string(row, 0, unit.code)
            sheet.write_string(row, 1, escape_formula(unit.name))
            sheet.write_string(row, 2, leaf.code)
            sheet.write_string(row, 3, escape_formula(leaf.name.vi))
            sheet.write_number(row, 4, float(leaf.max_points or 0.0))
            for col, stage in enumerate(stages, start=5):
                value = scores.get(stage)
                if value is not None:
                    sheet.write_number(row, col, value)
            sheet.write_string(row, 5 + len(stages), escape_formula(unit.notes.get(leaf.code, "")))
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
