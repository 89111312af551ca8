"""Tables as downloads: CSV (UTF-8 with a BOM, for Excel), XLSX and JSON; formulas escaped.

CSV and XLSX are for people: the columns a caller names, headed in the reader's language, yes/no
as words ("Có"/"Không"), a text in both languages as the reader's, and numbers without float noise
(CSV: at most 4 decimals; XLSX: the full value under a number format that shows 2). JSON is for
programs: the api's field names, numbers to 4 decimals as `sipas … --format json` gives them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response

from sipas.errors import SipasError
from sipas.messages import text
from sipas.text import escape_formula

DOWNLOAD_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DIGITS = 4  # decimals kept in CSV and JSON: the precision of the saved results

Columns = Sequence[tuple[str, str]]  # (field, header in the reader's language)


def columns(keys: Sequence[str], lang: str, **headers: str) -> list[tuple[str, str]]:
    """``keys`` headed by the catalogue's ``download.<key>`` in ``lang``, or by ``headers``
    (a header from the data, such as an area's name)."""
    return [(key, headers.get(key) or text(f"download.{key}", lang)) for key in keys]


def _rounded(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value):
        return round(value, DIGITS)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _shown(value: Any, lang: str) -> Any:
    """A value as a reader sees it: words for yes/no, the reader's half of a text in both
    languages, blanks for what is missing; numbers stay numbers."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, bool):
        return text("yes" if value else "no", lang)
    if isinstance(value, Mapping) and set(value) == {"vi", "en"}:
        return value[lang if lang in value else "vi"]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)  # a rank saved as 1.0 is the whole number 1
    return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(round(value, DIGITS))
    return str(escape_formula(str(value)))


def _xlsx(rows: list[list[Any]], headers: list[str], sheet_name: str) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    decimal = book.add_format({"num_format": "0.00"})
    whole = book.add_format({"num_format": "0"})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(sheet_name[:31])
    for col, header in enumerate(headers):
        sheet.write_string(0, col, escape_formula(header), bold)
    for line, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, int):
                sheet.write_number(line, col, value, whole)
            elif isinstance(value, float):
                sheet.write_number(line, col, value, decimal)  # full precision, shown rounded
            else:
                sheet.write_string(line, col, escape_formula(str(value)))
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def table_download(
    rows: list[dict[str, Any]],
    kind: str,
    name: str,
    lang: str = "vi",
    shown: Columns | None = None,
) -> Response:
    """``rows`` (one dict per row) as a file to download; CSV and XLSX hold the ``shown``
    columns (field, header), JSON every field."""
    if kind not in DOWNLOAD_TYPES:
        raise SipasError("public.download_type", kind=kind)
    if kind == "json":
        body = json.dumps(_rounded(jsonable_encoder(rows)), ensure_ascii=False, indent=1).encode()
    else:
        picked = list(shown) if shown is not None else [(k, k) for k in (rows[0] if rows else [])]
        headers = [header for _, header in picked]
        table = [[_shown(row.get(key), lang) for key, _ in picked] for row in rows]
        if kind == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow([escape_formula(h) for h in headers] or ["–"])
            writer.writerows([_csv_cell(v) for v in line] for line in table)
            body = ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8
        else:
            body = _xlsx(table, headers, text("download.sheet", lang))
    return Response(
        body,
        media_type=DOWNLOAD_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'},
    )
