"""Reports: data in, files out. HTML (Jinja2), PDF (WeasyPrint) and Excel (xlsxwriter).

A report is a plain document (a dict built by :mod:`sipas.api.reports` from the api's results);
nothing here reads a database or computes a statistic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sipas.reports.html import render_html
from sipas.reports.pdf import render_pdf
from sipas.reports.workbooks import render_xlsx

FORMATS = ("pdf", "html", "xlsx")


def render(doc: dict[str, Any], fmt: str, path: Path) -> Path:
    """Write the report in ``fmt`` to ``path``."""
    if fmt == "pdf":
        return render_pdf(doc, path)
    if fmt == "xlsx" and doc["kind"] == "par_national":
        from sipas.reports.par_national import render_par_xlsx

        return render_par_xlsx(doc, path)
    if fmt == "xlsx":
        return render_xlsx(doc, path)
    path.write_text(render_html(doc), encoding="utf-8")
    return path


__all__ = ["FORMATS", "render", "render_html", "render_pdf", "render_xlsx"]
