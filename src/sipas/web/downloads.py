"""Tables as downloads: CSV (UTF-8 with a BOM, for Excel), XLSX and JSON; formulas escaped."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response

from sipas.errors import SipasError
from sipas.text import escape_formula

DOWNLOAD_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _xlsx(rows: list[dict[str, Any]]) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("data")
    for col, key in enumerate(rows[0] if rows else []):
        sheet.write_string(0, col, key)
    for line, row in enumerate(rows, start=1):
        for col, value in enumerate(row.values()):
            if isinstance(value, bool) or value is None:
                sheet.write_string(line, col, "" if value is None else str(value))
            elif isinstance(value, int | float):
                sheet.write_number(line, col, value)
            else:
                sheet.write_string(line, col, escape_formula(str(value)))
    book.close()
    return out.getvalue()


def table_download(rows: list[dict[str, Any]], kind: str, name: str) -> Response:
    """``rows`` (one dict per row, the same keys in each) as a file to download."""
    if kind not in DOWNLOAD_TYPES:
        raise SipasError("public.download_type", kind=kind)
    if kind == "json":
        body = json.dumps(jsonable_encoder(rows), ensure_ascii=False, indent=1).encode()
    elif kind == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["empty"])
        writer.writeheader()
        for row in rows:
            writer.writerow({k: escape_formula(v) for k, v in row.items()})
        body = ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8
    else:
        body = _xlsx(rows)
    return Response(
        body,
        media_type=DOWNLOAD_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'},
    )
