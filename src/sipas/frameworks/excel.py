"""PAR frameworks in the ministry's Excel layout.

Sheet "Khung chỉ số" has one row per node: STT (the node's number), the name (Lĩnh vực / Tiêu chí /
Tiêu chí thành phần), Điểm tối đa (max points) and the scoring method; our export adds the English name
and a provisional flag, and a "Thông tin" sheet with the framework's identity, so that an export reads
back to the same framework. Sheets typed by hand are accepted too: areas may be numbered with Roman
numerals and criteria within each area from 1, and English names may be missing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import xlsxwriter

from sipas.errors import SipasError
from sipas.frameworks.loader import parse_framework
from sipas.frameworks.model import Method, NodeRole, ParFramework
from sipas.frameworks.report import ValidationReport
from sipas.text import compact_key

TREE_SHEET = "Khung chỉ số"
INFO_SHEET = "Thông tin"
COL_STT = "STT"
COL_NAME = "Lĩnh vực/Tiêu chí/Tiêu chí thành phần"
COL_MAX = "Điểm tối đa"
COL_METHOD = "Phương pháp đánh giá"
COL_NAME_EN = "Tên tiếng Anh"
COL_PROVISIONAL = "Tạm tính"
COL_EVIDENCE = "Tài liệu kiểm chứng"
COL_RUBRIC = "Cách chấm điểm"  # the leaf's rubric as JSON, e.g. {"kind": "binary"}
COL_ROLE = "Loại điểm"  # a top-level node of bonus (thưởng) or penalty (trừ) points
COL_NOT_APPLICABLE = "Có thể không áp dụng"
COLUMNS = (
    COL_STT,
    COL_NAME,
    COL_MAX,
    COL_METHOD,
    COL_NAME_EN,
    COL_PROVISIONAL,
    COL_EVIDENCE,
    COL_RUBRIC,
    COL_ROLE,
    COL_NOT_APPLICABLE,
)
ROLE_LABELS = {NodeRole.BONUS: "thưởng", NodeRole.PENALTY: "trừ"}
_ROLE_WORDS = {
    "thuong": NodeRole.BONUS,
    "bonus": NodeRole.BONUS,
    "tru": NodeRole.PENALTY,
    "penalty": NodeRole.PENALTY,
}
_NO_WORDS = {"khong", "no", "0", "false"}

METHOD_LABELS = {
    Method.SELF_ASSESSED: "Tự đánh giá",
    Method.SURVEY: "Điều tra xã hội học",
    Method.MIXED: "Kết hợp",
}
_METHOD_WORDS = {
    "tudanhgia": Method.SELF_ASSESSED,
    "tdg": Method.SELF_ASSESSED,
    "selfassessed": Method.SELF_ASSESSED,
    "dieutraxahoihoc": Method.SURVEY,
    "dieutraxhh": Method.SURVEY,
    "xhh": Method.SURVEY,
    "survey": Method.SURVEY,
    "kethop": Method.MIXED,
    "mixed": Method.MIXED,
}
_ROMAN = re.compile(r"^(?=[IVXLC]+$)C{0,3}(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_INFO_KEYS = (
    "id",
    "version",
    "title_vi",
    "title_en",
    "total_points",
    "provisional",
    "years",  # comma-separated
    "notes",
    "sources",  # one per line
    "levels",  # JSON
    "groups",  # JSON
    "not_applicable",  # exclude | full_points
)
_DEFAULT_LEVELS = [
    {"vi": "Lĩnh vực", "en": "area"},
    {"vi": "Tiêu chí", "en": "criterion"},
    {"vi": "Tiêu chí thành phần", "en": "sub-criterion"},
]
_DEFAULT_GROUPS = [
    {"code": "A", "min_index": 90.0},
    {"code": "B", "min_index": 80.0},
    {"code": "C", "min_index": 70.0},
]


def _roman_to_int(text: str) -> int:
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN_VALUES[ch]
        nxt = _ROMAN_VALUES[text[i + 1]] if i + 1 < len(text) else 0
        total += -value if value < nxt else value
    return total


# --- export --------------------------------------------------------------------------------------


def export_par_xlsx(framework: ParFramework) -> bytes:
    """The framework as an .xlsx workbook in the ministry's layout (values only, no formulas)."""
    buffer = BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    head = book.add_format({"bold": True, "bg_color": "#DDE6F0", "border": 1, "text_wrap": True})
    depth_formats = [
        book.add_format({"bold": True, "border": 1}),
        book.add_format({"border": 1}),
        book.add_format({"italic": True, "border": 1}),
    ]
    sheet = book.add_worksheet(TREE_SHEET)
    for col, title in enumerate(COLUMNS):
        sheet.write_string(0, col, title, head)
    sheet.set_column(0, 0, 10)
    sheet.set_column(1, 1, 70)
    sheet.set_column(2, 3, 16)
    sheet.set_column(4, 4, 60)
    for row, (trail, node) in enumerate(framework.walk(), start=1):
        fmt = depth_formats[min(len(trail), len(depth_formats) - 1)]
        sheet.write_string(row, 0, node.code, fmt)
        sheet.write_string(row, 1, node.name.vi, fmt)
        if node.max_points is None:
            sheet.write_blank(row, 2, None, fmt)
        else:
            sheet.write_number(row, 2, node.max_points, fmt)
        sheet.write_string(row, 3, METHOD_LABELS[node.method] if node.method else "", fmt)
        sheet.write_string(row, 4, node.name.en, fmt)
        sheet.write_string(row, 5, "x" if node.provisional else "", fmt)
        sheet.write_string(row, 6, "có" if node.evidence_required else "không", fmt)
        rubric = json.dumps(node.rubric.model_dump(), ensure_ascii=False) if node.rubric else ""
        sheet.write_string(row, 7, rubric, fmt)
        sheet.write_string(row, 8, ROLE_LABELS.get(node.role, ""), fmt)
        sheet.write_string(row, 9, "x" if node.may_be_not_applicable else "", fmt)
    sheet.freeze_panes(1, 0)
    info = book.add_worksheet(INFO_SHEET)
    values: dict[str, Any] = {
        "id": framework.id,
        "version": framework.version,
        "title_vi": framework.title.vi,
        "title_en": framework.title.en,
        "total_points": framework.total_points,
        "provisional": "x" if framework.provisional else "",
        "years": ", ".join(str(y) for y in framework.years),
        "notes": framework.notes or "",
        "sources": "\n".join(framework.sources),
        "levels": json.dumps([lv.model_dump() for lv in framework.levels], ensure_ascii=False),
        "groups": json.dumps(
            [g.model_dump(exclude_none=True) for g in framework.groups], ensure_ascii=False
        ),
        "not_applicable": framework.not_applicable.value,
    }
    for row, key in enumerate(_INFO_KEYS):
        info.write_string(row, 0, key)
        value = values[key]
        if isinstance(value, float):
            info.write_number(row, 1, value)
        else:
            info.write_string(row, 1, str(value))
    info.set_column(0, 0, 16)
    info.set_column(1, 1, 80)
    book.close()
    return buffer.getvalue()


# --- import --------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int  # 1-based sheet row, for messages
    stt: str
    name: str
    max_points: float | None
    method: Method | None
    name_en: str
    provisional: bool
    evidence_required: bool
    rubric: dict[str, Any] | None = None
    role: NodeRole | None = None
    may_be_not_applicable: bool = False
    children: list[_Row] = field(default_factory=list)
    code: str = ""


def import_par_xlsx(
    data: bytes | Path, framework_id: str | None = None
) -> tuple[ParFramework | None, ValidationReport]:
    """Read a workbook in the ministry's layout. Problems are reported by sheet row and column."""
    import openpyxl  # loaded when a workbook is read: other commands start without it

    source = str(data) if isinstance(data, Path) else "workbook"
    report = ValidationReport(source)
    try:
        stream = BytesIO(data.read_bytes() if isinstance(data, Path) else data)
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except FileNotFoundError:
        raise SipasError("framework.file_missing", path=source) from None
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        report.add(
            source, "xlsx.unreadable", f"not a readable .xlsx workbook ({type(exc).__name__})"
        )
        return None, report
    sheet = book[TREE_SHEET] if TREE_SHEET in book.sheetnames else book.worksheets[0]
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    info = _read_info(book)
    book.close()
    columns = _header(rows, source, sheet.title, report)
    if columns is None:
        return None, report
    parsed = _parse_rows(rows, columns, f"{source} › {sheet.title}", report)
    if not report.valid:
        return None, report
    tops = _build_tree(parsed, f"{source} › {sheet.title}", report)
    if not report.valid:
        return None, report
    any_en = any(row.name_en for row in parsed)
    if not any_en:
        report.add(
            source,
            "xlsx.no_english",
            "no English names in the sheet; the Vietnamese name is used for both languages",
            severity="warning",
        )
    fid = framework_id or info.get("id") or Path(source).stem.lower().replace(" ", "-")
    raw = {
        "id": fid,
        "kind": "par",
        "version": info.get("version") or "imported",
        "title": {
            "vi": info.get("title_vi") or fid,
            "en": info.get("title_en") or info.get("title_vi") or fid,
        },
        "total_points": float(info.get("total_points") or 100.0),
        "provisional": bool(info.get("provisional")),
        "years": [
            int(y) for y in str(info.get("years") or "").replace(",", " ").split() if y.isdigit()
        ],
        "levels": _json_info(info, "levels", _DEFAULT_LEVELS, report),
        "groups": _json_info(info, "groups", _DEFAULT_GROUPS, report),
        "sources": [s for s in str(info.get("sources") or "").splitlines() if s.strip()],
        "nodes": [_node_dict(r) for r in tops],
    }
    if info.get("not_applicable"):
        raw["not_applicable"] = str(info["not_applicable"]).strip()
    if info.get("notes"):
        raw["notes"] = info["notes"]
    framework, inner = parse_framework(raw, fid)
    report.problems.extend(inner.problems)
    if framework is not None and not isinstance(framework, ParFramework):
        return None, report
    return framework, report


def _json_info(info: dict[str, Any], key: str, default: Any, report: ValidationReport) -> Any:
    if key not in info:
        return default
    try:
        return json.loads(str(info[key]))
    except json.JSONDecodeError:
        report.add(
            f"{report.source} › {INFO_SHEET} › {key}",
            "xlsx.info",
            f"{key!r} is not readable JSON; the default is used",
            severity="warning",
        )
        return default


def _read_info(book: Any) -> dict[str, Any]:
    if INFO_SHEET not in book.sheetnames:
        return {}
    info: dict[str, Any] = {}
    for key, value, *_ in book[INFO_SHEET].iter_rows(values_only=True):
        if key in _INFO_KEYS and value not in (None, ""):
            info[key] = value
    return info


def _header(
    rows: list[tuple[Any, ...]], source: str, sheet: str, report: ValidationReport
) -> dict[str, int] | None:
    wanted = {compact_key(c): c for c in COLUMNS}
    for index, row in enumerate(rows[:10]):
        found = {
            wanted[compact_key(str(v))]: i
            for i, v in enumerate(row)
            if v and compact_key(str(v)) in wanted
        }
        if COL_STT in found and COL_NAME in found and COL_MAX in found:
            found["_header_row"] = index
            return found
    report.add(
        f"{source} › {sheet}",
        "xlsx.header",
        f"no header row with the columns {COL_STT!r}, {COL_NAME!r} and {COL_MAX!r} "
        "in the first 10 rows",
    )
    return None


def _cell(row: tuple[Any, ...], columns: dict[str, int], name: str) -> Any:
    index = columns.get(name)
    return row[index] if index is not None and index < len(row) else None


def _parse_rows(
    rows: list[tuple[Any, ...]], columns: dict[str, int], where: str, report: ValidationReport
) -> list[_Row]:
    parsed: list[_Row] = []
    for index in range(columns["_header_row"] + 1, len(rows)):
        row, number = rows[index], index + 1
        stt, name = _cell(row, columns, COL_STT), _cell(row, columns, COL_NAME)
        if all(v in (None, "") for v in row):
            continue
        if stt in (None, "") or name in (None, ""):
            missing = COL_STT if stt in (None, "") else COL_NAME
            report.add(f"{where} › row {number}", "xlsx.missing_cell", f"{missing!r} is empty")
            continue
        points = _points(_cell(row, columns, COL_MAX), f"{where} › row {number}", report)
        method = _method(_cell(row, columns, COL_METHOD), f"{where} › row {number}", report)
        parsed.append(
            _Row(
                number=number,
                stt=_stt_text(stt),
                name=str(name).strip(),
                max_points=points,
                method=method,
                name_en=str(_cell(row, columns, COL_NAME_EN) or "").strip(),
                provisional=bool(str(_cell(row, columns, COL_PROVISIONAL) or "").strip()),
                evidence_required=compact_key(str(_cell(row, columns, COL_EVIDENCE) or ""))
                not in _NO_WORDS,
                rubric=_rubric(_cell(row, columns, COL_RUBRIC), f"{where} › row {number}", report),
                role=_ROLE_WORDS.get(compact_key(str(_cell(row, columns, COL_ROLE) or ""))),
                may_be_not_applicable=bool(
                    str(_cell(row, columns, COL_NOT_APPLICABLE) or "").strip()
                ),
            )
        )
    return parsed


def _rubric(value: Any, where: str, report: ValidationReport) -> dict[str, Any] | None:
    if value in (None, ""):
        return None
    try:
        rubric = json.loads(str(value))
    except json.JSONDecodeError:
        rubric = None
    if not isinstance(rubric, dict):
        report.add(
            where,
            "xlsx.rubric",
            f"{COL_RUBRIC!r} is {str(value)[:60]!r}, not a rubric; "
            'write it as an export does, e.g. {"kind": "binary"}',
        )
        return None
    return rubric


def _stt_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().rstrip(".")


def _points(value: Any, where: str, report: ValidationReport) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        report.add(where, "xlsx.points", f"{COL_MAX!r} is {value!r}, not a number")
        return None


def _method(value: Any, where: str, report: ValidationReport) -> Method | None:
    if value in (None, ""):
        return None
    method = _METHOD_WORDS.get(compact_key(str(value)))
    if method is None:
        report.add(
            where,
            "xlsx.method",
            f"{COL_METHOD!r} is {value!r}; use one of: " + ", ".join(METHOD_LABELS.values()),
        )
    return method


def _build_tree(rows: list[_Row], where: str, report: ValidationReport) -> list[_Row]:
    """Nest rows by their numbers: dotted codes ("3.2.1"), or Roman areas with local numbers."""
    roman = any(_ROMAN.match(r.stt) for r in rows)
    tops: list[_Row] = []
    by_code: dict[str, _Row] = {}
    area: _Row | None = None
    for row in rows:
        if roman and _ROMAN.match(row.stt):
            row.code = str(_roman_to_int(row.stt))
            area = row
        elif roman:
            if area is None:
                report.add(
                    f"{where} › row {row.number}",
                    "xlsx.order",
                    f"row numbered {row.stt!r} comes before any area (I, II, …)",
                )
                continue
            row.code = f"{area.code}.{row.stt}"
        else:
            row.code = row.stt
        parent_code = row.code.rpartition(".")[0]
        if not parent_code:
            tops.append(row)
        elif parent_code in by_code:
            by_code[parent_code].children.append(row)
        else:
            report.add(
                f"{where} › row {row.number}",
                "xlsx.orphan",
                f"node {row.code!r} has no parent row {parent_code!r} above it",
            )
            continue
        by_code[row.code] = row
    return tops


def _node_dict(row: _Row) -> dict[str, Any]:
    node: dict[str, Any] = {
        "code": row.code,
        "name": {"vi": row.name, "en": row.name_en or row.name},
        "max_points": row.max_points,
    }
    if row.provisional:
        node["provisional"] = True
    if not row.evidence_required:
        node["evidence_required"] = False
    if row.method is not None:
        node["method"] = row.method.value
    if row.rubric is not None:
        node["rubric"] = row.rubric
    if row.role is not None:
        node["role"] = row.role.value
    if row.may_be_not_applicable:
        node["may_be_not_applicable"] = True
    if row.children:
        node["children"] = [_node_dict(c) for c in row.children]
    return node
