"""Reading published tables: the ministry's annex layout (CSV or XLSX) and a long CSV.

The annex layout, as the ministry publishes it: title lines, then a header row
``STT | Tỉnh/thành phố | <one column per area or element> | Chỉ số | Xếp hạng`` (a group and a
note column may follow), one row per unit, and optionally a row for the national mean. The long
CSV has one figure per row: ``index, year, unit, node, value, rank, group, change, rank_change,
source, note, report`` (the format ``sipas published export`` writes).

Nothing here refuses at the first problem: a reader returns every figure it could read and every
problem it found, each naming the sheet, the row and the column, and the caller keeps nothing when
there is any problem.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sipas.errors import SipasError
from sipas.published.model import (
    AGGREGATES,
    KNOWN_INDICES,
    TOTAL,
    Published,
    rank_contradictions,
    unit_kind,
)
from sipas.published.problems import Problem
from sipas.published.units import resolve_unit, unit_name
from sipas.text import compact_key, nfc

MISSING_MARKS = {"", "-", "–", "—", "x", "na", "n/a", "..."}
# Headers of the annex layout, folded and run together.
_UNIT_HEADERS = ("tinhthanhpho", "tinhthanh", "tinh", "thanhpho", "donvi", "bocoquanngangbo")
_TOTAL_HEADERS = ("chiso", "tongdiem", "tongchiso", "parindex", "sipas", "diemdatduoc")
_RANK_HEADERS = ("xephang", "thuhang", "hang")
_GROUP_HEADERS = ("nhom", "xeploai")
_NOTE_HEADERS = ("ghichu",)
_LONG_REQUIRED = ("index", "year", "unit", "value")
_LONG_OPTIONAL = ("node", "rank", "group", "change", "rank_change", "source", "note", "report")
# Published totals are rounded to 2 decimals, and so are the areas: a sum may be off by half a
# hundredth for each figure added.
_ROUNDING = 0.005


@dataclass
class ReadResult:
    """What a file holds: the figures, the index and year they are of, and every problem."""

    file: str
    layout: str  # annex | long
    figures: list[Published] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    indices: set[tuple[str, int]] = field(default_factory=set)


def _letter(position: int) -> str:
    name = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        name = chr(65 + rest) + name
    return name


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return nfc(str(cell)).strip()


def number(cell: Any) -> float | None:
    """A figure as the ministry writes it: 90,23 or 90.23 or 90,23%; a dash or blank is missing.
    Raises ValueError for anything else."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise ValueError(str(cell))
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell).strip().rstrip("%").strip().replace("\u00a0", "").replace(" ", "")
    if text.casefold() in MISSING_MARKS:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    elif "," in text and "." in text:  # 1.234,56 or 1,234.56
        text = (
            text.replace(".", "").replace(",", ".")
            if text.rfind(",") > text.rfind(".")
            else text.replace(",", "")
        )
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", text):
        raise ValueError(str(cell))
    return float(text)


def _sheets(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """Every sheet of the file as rows of cells (a CSV file is one sheet named after the file)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            try:
                return [
                    (sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
                    for sheet in book.worksheets
                ]
            finally:
                book.close()
        if suffix in (".csv", ".txt"):
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise SipasError("published.not_utf8", file=path.name) from None
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else None
            reader = csv.reader(io.StringIO(text), dialect or csv.excel)
            return [(path.name, [list(row) for row in reader])]
    except FileNotFoundError:
        raise SipasError("published.no_file", file=str(path)) from None
    except (OSError, ValueError, KeyError) as exc:
        if isinstance(exc, SipasError):
            raise
        raise SipasError("published.unreadable", file=path.name, reason=str(exc)) from None
    raise SipasError("published.unknown_format", file=path.name, suffix=suffix or "(none)")


def _header_row(rows: list[list[Any]]) -> int | None:
    for i, row in enumerate(rows[:30]):
        keys = [compact_key(_text(c)) for c in row]
        if "stt" in keys and any(k.startswith(_UNIT_HEADERS) for k in keys):
            return i
    return None


def _guess(rows: list[list[Any]]) -> tuple[str | None, int | None]:
    """The index and year a title above the header names ("CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2024")."""
    words = " ".join(compact_key(_text(c)) for row in rows for c in row)
    index = None
    if "caicachhanhchinh" in words or "parindex" in words:
        index = "par"
    elif "sipas" in words or "hailong" in words:
        index = "sipas"
    years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", " ".join(_text(c) for row in rows for c in row))
    return index, (int(years[0]) if years else None)


def read_file(path: Path, index: str | None = None, year: int | None = None) -> ReadResult:
    """The figures and the problems of a published table; the layout is recognised."""
    sheets = _sheets(path)
    for name, rows in sheets:
        header = _header_row(rows)
        if header is not None:
            return _read_annex(path.name, name, rows, header, index, year)
    for name, rows in sheets:
        if rows and {"unit", "value"} <= {compact_key(_text(c)) for c in rows[0]}:
            return _read_long(path.name, name, rows, index, year)
    raise SipasError("published.unknown_layout", file=path.name)


def _index_and_year(
    result: ReadResult, sheet: str, rows: list[list[Any]], index: str | None, year: int | None
) -> tuple[str, int] | None:
    guessed_index, guessed_year = _guess(rows)
    index = index or guessed_index
    year = year or guessed_year
    if index is None or year is None:
        result.problems.append(Problem("published.index_year_unknown", sheet=sheet))
        return None
    return index, year


def _read_annex(
    file: str,
    sheet: str,
    rows: list[list[Any]],
    header: int,
    index: str | None,
    year: int | None,
) -> ReadResult:
    result = ReadResult(file, "annex")
    chosen = _index_and_year(result, sheet, rows[:header], index, year)
    if chosen is None:
        return result
    index, year = chosen
    result.indices.add((index, year))
    width = max(len(row) for row in rows)
    heads = [_text(c) for c in rows[header]] + [""] * (width - len(rows[header]))
    keys = [compact_key(h) for h in heads]
    unit_col = next(i for i, k in enumerate(keys) if k.startswith(_UNIT_HEADERS))
    first = header + 1
    # A second header row under merged cells ("Các lĩnh vực" over one column per area): its
    # names complete the first row's, and data start below it.
    if first < len(rows):
        below = [_text(c) for c in rows[first]] + [""] * (width - len(rows[first]))
        if not below[unit_col] and any(below[unit_col + 1 :]):
            heads = [b or h for h, b in zip(heads, below, strict=True)]
            keys = [compact_key(h) for h in heads]
            first += 1
    rank_col = next((i for i, k in enumerate(keys) if k.startswith(_RANK_HEADERS)), None)
    # The index is the last "Chỉ số …" column before the rank: SIPAS sub-indices are named
    # "Chỉ số hài lòng về …" too, and come first.
    candidates = [
        i
        for i, k in enumerate(keys)
        if i > unit_col and k.startswith(_TOTAL_HEADERS) and (rank_col is None or i < rank_col)
    ]
    total_col = candidates[-1] if candidates else None
    group_col = next((i for i, k in enumerate(keys) if k.startswith(_GROUP_HEADERS)), None)
    note_col = next((i for i, k in enumerate(keys) if k.startswith(_NOTE_HEADERS)), None)
    if total_col is None:
        result.problems.append(Problem("published.no_total_column", sheet=sheet, row=header + 1))
        return result
    nodes = [i for i in range(unit_col + 1, total_col) if heads[i]]

    def where(r: int, c: int) -> dict[str, Any]:
        return {"sheet": sheet, "row": r + 1, "column": f"{_letter(c)} ({heads[c]})"}

    seen: dict[str, int] = {}
    totals: list[tuple[int, Published]] = []
    for r in range(first, len(rows)):
        row = list(rows[r]) + [None] * (len(heads) - len(rows[r]))
        name = _text(row[unit_col])
        if not name:
            continue
        try:
            unit = resolve_unit(name, year)
        except SipasError:
            result.problems.append(
                Problem("published.unknown_unit", unit=name, year=year, **where(r, unit_col))
            )
            continue
        if unit in seen:
            result.problems.append(
                Problem(
                    "published.duplicate_unit",
                    unit=name,
                    first_row=seen[unit] + 1,
                    **where(r, unit_col),
                )
            )
            continue
        seen[unit] = r
        figures: dict[int, float | None] = {}
        bad = False
        for c in [*nodes, total_col]:
            try:
                figures[c] = number(row[c])
            except ValueError:
                result.problems.append(
                    Problem("published.not_a_number", text=_text(row[c]), **where(r, c))
                )
                bad = True
                continue
            value = figures[c]
            if value is not None and not 0.0 <= value <= 100.0:
                result.problems.append(
                    Problem("published.out_of_range", value=value, **where(r, c))
                )
                bad = True
        rank = None
        if rank_col is not None and _text(row[rank_col]):
            try:
                ranked = number(row[rank_col])
            except ValueError:
                ranked = -1.0
            if ranked is None or ranked < 1 or not float(ranked).is_integer():
                result.problems.append(
                    Problem("published.bad_rank", text=_text(row[rank_col]), **where(r, rank_col))
                )
                bad = True
            else:
                rank = int(ranked)
        if bad:
            continue
        total = figures[total_col]
        parts = [figures[c] for c in nodes]
        if index == "par" and nodes and total is not None and all(p is not None for p in parts):
            added = round(sum(p for p in parts if p is not None), 4)
            if abs(added - total) > _ROUNDING * (len(parts) + 1) + 1e-9:
                result.problems.append(
                    Problem(
                        "published.areas_do_not_add_up",
                        total=total,
                        added=added,
                        **where(r, total_col),
                    )
                )
                continue
        note = _text(row[note_col]) if note_col is not None else ""
        item = Published(
            index=index,
            year=year,
            unit=unit,
            value=total,
            rank=rank,
            group=(_text(row[group_col]) or None) if group_col is not None else None,
            note=note,
            origin=file,
        )
        result.figures.append(item)
        if unit not in AGGREGATES:
            totals.append((r, item))
        for c in nodes:
            if unit in AGGREGATES and figures[c] is None:
                continue  # a mean row with only the index filled in
            result.figures.append(
                replace(item, value=figures[c], node=heads[c], rank=None, group=None)
            )
    if rank_col is not None:
        for kind in ("province", "ministry"):  # provinces and ministries are ranked apart
            members = [(r, p) for r, p in totals if unit_kind(p.unit) == kind]
            _check_ranks(result, members, lambda r: where(r, rank_col))
    return result


def _check_ranks(result: ReadResult, totals: list[tuple[int, Published]], where: Any) -> None:
    values = [p.value for _, p in totals]
    ranks = [p.rank for _, p in totals]
    blamed: set[int] = set()
    for i, j in rank_contradictions(values, ranks):
        # Name the row whose rank is out of order with the row above it in value.
        _row_i, better = totals[i]
        row_j, worse = totals[j]
        if row_j in blamed:
            continue
        blamed.add(row_j)
        result.problems.append(
            Problem(
                "published.rank_contradicts_values",
                unit=unit_name(worse.unit, worse.year),
                rank=worse.rank,
                value=worse.value,
                other=unit_name(better.unit, better.year),
                other_rank=better.rank,
                other_value=better.value,
                **where(row_j),
            )
        )


def _read_long(
    file: str, sheet: str, rows: list[list[Any]], index: str | None, year: int | None
) -> ReadResult:
    result = ReadResult(file, "long")
    heads = [compact_key(_text(c)).replace("_", "") for c in rows[0]]
    names = {h: i for i, h in enumerate(heads)}
    wanted = {n: names.get(n.replace("_", "")) for n in (*_LONG_REQUIRED, *_LONG_OPTIONAL)}
    for n in ("index", "year"):
        if wanted[n] is None and (index if n == "index" else year) is None:
            result.problems.append(Problem("published.missing_column", sheet=sheet, column=n))
    if result.problems:
        return result

    def where(r: int, name: str) -> dict[str, Any]:
        c = wanted[name]
        return {"sheet": sheet, "row": r + 1, "column": f"{_letter(c or 0)} ({name})"}

    seen: dict[tuple[Any, ...], int] = {}
    groups: dict[tuple[str, int, str, str], list[tuple[int, Published]]] = {}
    for r in range(1, len(rows)):
        row = list(rows[r]) + [None] * (len(heads) - len(rows[r]))

        def cell(name: str, row: list[Any] = row) -> str:
            c = wanted[name]
            return _text(row[c]) if c is not None else ""

        if not any(_text(c) for c in row):
            continue
        this_index = (index or cell("index")).strip().lower()
        try:
            this_year = year or int(float(cell("year")))
        except ValueError:
            result.problems.append(
                Problem("published.not_a_number", text=cell("year"), **where(r, "year"))
            )
            continue
        try:
            unit = resolve_unit(cell("unit"), this_year)
        except SipasError:
            result.problems.append(
                Problem(
                    "published.unknown_unit", unit=cell("unit"), year=this_year, **where(r, "unit")
                )
            )
            continue
        figures: dict[str, float | None] = {}
        bad = False
        for name in ("value", "change", "rank", "rank_change"):
            if wanted[name] is None:
                figures[name] = None
                continue
            try:
                figures[name] = number(cell(name))
            except ValueError:
                result.problems.append(
                    Problem("published.not_a_number", text=cell(name), **where(r, name))
                )
                bad = True
        value = figures["value"]
        if value is not None and not 0.0 <= value <= 100.0:
            result.problems.append(
                Problem("published.out_of_range", value=value, **where(r, "value"))
            )
            bad = True
        rank = figures["rank"]
        if rank is not None and (rank < 1 or not rank.is_integer()):
            result.problems.append(
                Problem("published.bad_rank", text=cell("rank"), **where(r, "rank"))
            )
            bad = True
        if bad:
            continue
        item = Published(
            index=this_index,
            year=this_year,
            unit=unit,
            node=cell("node"),
            value=value,
            rank=None if rank is None else int(rank),
            group=cell("group") or None,
            change=figures["change"],
            rank_change=None if figures["rank_change"] is None else int(figures["rank_change"]),
            source=cell("source"),
            note=cell("note"),
            report=cell("report"),
            origin=file,
        )
        key = (item.index, item.year, item.unit, item.node, item.report)
        if key in seen:
            result.problems.append(
                Problem(
                    "published.duplicate_unit",
                    unit=cell("unit"),
                    first_row=seen[key] + 1,
                    **where(r, "unit"),
                )
            )
            continue
        seen[key] = r
        result.figures.append(item)
        result.indices.add((item.index, item.year))
        if item.node == TOTAL and unit not in AGGREGATES:
            groups.setdefault((item.index, item.year, item.report, unit_kind(unit)), []).append(
                (r, item)
            )
    for members in groups.values():
        _check_ranks(result, members, lambda r: where(r, "rank"))
    _check_sums(result, rows, where)
    return result


def _check_sums(result: ReadResult, rows: list[list[Any]], where: Any) -> None:
    """PAR areas (top-level nodes) add up to the total, within the rounding of each figure."""
    totals: dict[tuple[Any, ...], Published] = {}
    parts: dict[tuple[Any, ...], list[float | None]] = {}
    for item in result.figures:
        key = (item.index, item.year, item.unit, item.report)
        if item.index != "par":
            continue
        if item.node == TOTAL:
            totals[key] = item
        elif "." not in item.node:
            parts.setdefault(key, []).append(item.value)
    for key, values in parts.items():
        total = totals.get(key)
        if total is None or total.value is None or any(v is None for v in values):
            continue
        added = round(sum(v for v in values if v is not None), 4)
        if abs(added - total.value) > _ROUNDING * (len(values) + 1) + 1e-9:
            result.problems.append(
                Problem(
                    "published.areas_do_not_add_up",
                    total=total.value,
                    added=added,
                    sheet=result.file,
                    row="",
                    column=f"value ({total.unit})",
                )
            )


def with_source(figures: list[Published], source: str) -> list[Published]:
    """The figures with ``source`` where the file gave none."""
    return [f if f.source else replace(f, source=source) for f in figures]


__all__ = ["KNOWN_INDICES", "ReadResult", "number", "read_file", "with_source"]
