"""Public pages of the service-quality index (QĐ 766): the ranking of agencies for a period and
one agency's or unit's indicators, sub-units, months and procedures; the ranking as a download.

The results are files the index computation stores (``sipas service-index compute``) in the
dataset named by the ``service_index_data`` setting; the pages read them through the api and
never compute.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sipas.messages import text
from sipas.web import charts
from sipas.web.downloads import columns, table_download
from sipas.web.i18n import translate
from sipas.web.lazy import lazy_module
from sipas.web.render import lang_of, page

if TYPE_CHECKING:
    from sipas.api.queries import service_index_public as api
else:  # Ibis and DuckDB load when a service-index page is first asked for
    api = lazy_module("sipas.api.queries.service_index_public")

router = APIRouter()
SHOWN_PROCEDURES = 30  # procedures listed on the page; the JSON twin and ?procedures=all list all


def dataset_of(request: Request) -> Path:
    folder: Path = request.app.state.settings.resolved_service_index_data()
    return folder


def results_state(request: Request) -> Any:
    return api.results_state(dataset_of(request))


@page(router, "/service-index", "service_index.html", cache=results_state)
def ranking(request: Request, period: str | None = None) -> dict[str, Any]:
    """Every agency for a period (a year 2025, a quarter 2025-Q3 or a month 2025-07): total
    points of 100, rank, change on the previous period, group points, dossiers."""
    lang = lang_of(request)
    data: dict[str, Any] = dict(api.ranking(dataset_of(request), period or None))
    if data["rows"]:
        dots = [
            {
                "name": r["name" if lang == "vi" else "name_en"],
                "estimate": r["total"],
                "ci_low": None,
                "ci_high": None,
            }
            for r in data["rows"]
        ]
        title = f"{translate('service_index', lang)} · {data['period']}"
        data["charts"] = {"ranking": charts.ranking_dots(dots, None, title)}
    return data


@page(router, "/service-index/{period}/unit/{code}", "service_index_unit.html", cache=results_state)
def unit(request: Request, period: str, code: str, procedures: str | None = None) -> dict[str, Any]:
    """One agency or unit: every indicator's numerator, denominator, ratio and points; its
    sub-units ranked; its total across the months; the drill-down by procedure."""
    lang = lang_of(request)
    data: dict[str, Any] = dict(api.unit_detail(dataset_of(request), period, code))
    data["all_procedures"] = procedures == "all"
    data["shown_procedures"] = len(data["procedures"]) if procedures == "all" else SHOWN_PROCEDURES
    given = {code for p in data["procedures"] for code in p["indicators"]}
    data["procedure_columns"] = [i for i in data["indicators"] if i["indicator"] in given]
    points = [{"x": p["period"], "y": p["total"]} for p in data["trend"]]
    name = data["unit"]["name" if lang == "vi" else "name_en"]
    title = f"{name} · {translate('points_of_100', lang)}"
    data["charts"] = {"trend": charts.series(points, title)}
    return data


@router.get(
    "/service-index/{period}/download.{kind}",
    summary="Service-index ranking of one period as CSV, XLSX or JSON",
)
def download(request: Request, period: str, kind: str) -> Response:
    lang = lang_of(request)
    rows = api.ranking_table(dataset_of(request), period)
    groups = api.ranking(dataset_of(request), period)["groups"]
    name = "name" if lang == "vi" else "name_en"
    keys = ["period", "rank", "code", name, "total", "change"]
    shown = columns(
        keys,
        lang,
        **{name: text("download.name", lang), "change": translate("change_period", lang)},
    )
    shown += [(g["code"], g["name"] if lang == "vi" else g["name_en"]) for g in groups]
    shown += columns(["dossiers"], lang)
    return table_download(rows, kind, f"service-index-{period}", lang, shown)
