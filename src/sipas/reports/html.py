"""Reports as HTML: one Jinja2 template set, which WeasyPrint also turns into PDF."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from sipas.messages import text as say
from sipas.reports import figures
from sipas.reports.format import (
    count,
    interval,
    label,
    long_date,
    number,
    percent,
    rank_interval,
)

TEMPLATES = {
    "national": "national.html.j2",
    "province": "province.html.j2",
    "appraisal": "appraisal.html.j2",
    "par_national": "par_national.html.j2",
}


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sipas.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def title(doc: dict[str, Any]) -> str:
    """The report's title: the index, the year and the unit's full name."""
    lang = doc["lang"]
    if doc["kind"] in ("national", "province"):
        return str(doc["heading"])
    if doc["kind"] == "par_national":
        from sipas.reports.par_national import par_title

        return par_title(doc)
    return label("appraisal_title", lang, name=doc["name"], year=doc["year"])


def subtitle(doc: dict[str, Any]) -> str | None:
    lang = doc["lang"]
    if doc["kind"] == "national":
        return label("national_title", lang, year=doc["year"])
    if doc["kind"] == "province":
        return label("province_subtitle", lang, name=doc["province"]["full_name"], year=doc["year"])
    return None


def chart_set(doc: dict[str, Any]) -> dict[str, figures.Figure | None]:
    if doc["kind"] == "national":
        return figures.national_figures(doc)
    if doc["kind"] == "province":
        return figures.province_figures(doc)
    if doc["kind"] == "par_national":
        from sipas.reports.par_national import par_figures

        return par_figures(doc)
    return {}


def render_html(
    doc: dict[str, Any],
    font_faces: str = "",
    charts: dict[str, figures.Figure | None] | None = None,
) -> str:
    """The report as one self-contained HTML page (charts inline as PNG data)."""
    lang = doc["lang"]

    def num(value: Any, digits: int = 2, sign: bool = False) -> str:
        return number(value, lang, digits, sign)

    context = {
        **doc,
        "title": title(doc),
        "subtitle": subtitle(doc),
        "prepared": long_date(doc["prepared"], lang),
        "footer": title(doc).replace('"', "'"),
        "font_faces": font_faces,
        "figures": charts if charts is not None else chart_set(doc),
        "L": lambda key, **values: label(key, lang, **values),
        "say": lambda key, **values: say(key, lang, **values),
        "num": num,
        "pct": lambda value: percent(value, lang),
        "cnt": lambda value: count(value, lang),
        "ci": lambda low, high: interval(low, high, lang),
        "ri": rank_interval,
    }
    return _environment().get_template(TEMPLATES[doc["kind"]]).render(context)
