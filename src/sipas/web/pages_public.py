"""Public pages: SIPAS and PAR INDEX rankings, a province's profile, a comparison, downloads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from sipas.api.queries import public
from sipas.api.queries import published as published_api
from sipas.errors import SipasError
from sipas.messages import text
from sipas.web import charts, pages_analysis
from sipas.web.downloads import DOWNLOAD_TYPES, columns, table_download
from sipas.web.i18n import translate
from sipas.web.lazy import lazy_module
from sipas.web.limits import Rendered, heavy_file
from sipas.web.pages_service_index import dataset_of
from sipas.web.render import db_of, lang_of, number, page

if TYPE_CHECKING:
    from sipas.api import reports
    from sipas.api.queries import service_index_public as service_index
    from sipas.api.queries import tiles
else:  # charts, PDF and the service index load when a page first needs them
    reports = lazy_module("sipas.api.reports")
    tiles = lazy_module("sipas.api.queries.tiles")
    service_index = lazy_module("sipas.api.queries.service_index_public")


def _state(request: Request) -> Any:
    return public.version(db_of(request))


router = APIRouter()

# The columns of the ranking downloads (CSV, XLSX), in order; JSON gives every field.
SIPAS_COLUMNS = (
    "code",
    "name",
    "region",
    "estimate",
    "ci_low",
    "ci_high",
    "rank",
    "rank_low",
    "rank_high",
    "n",
    "unstable",
    "change",
    "change_significant",
    "rank_change_text",
)
PAR_COLUMNS = (
    "unit",
    "name",
    "region",
    "index",
    "rank",
    "group",
    "points",
    "bonus",
    "penalty",
    "change",
    "rank_change",
    "complete",
)


def _published_beside(
    request: Request, index: str, year: int, rows: list[dict[str, Any]], key: str
) -> dict[str, Any] | None:
    """The official published results of the year beside our rows (each row gets "published":
    its unit's figure or None); what the page says of the published means. None when nothing
    is published for that year."""
    found = published_api.beside(db_of(request), index, year)
    for row in rows:
        row["published"] = (
            None if found is None else published_api.beside_row(found["units"].get(row[key]))
        )
    if found is None:
        return None
    return {
        "index": index,
        "year": year,
        "label": text("published.label", lang_of(request)),
        "national": found["national"],
        "computed": found["computed"],
        "units": sum(1 for r in rows if r["published"] is not None),
        "page": f"/{index}/published/{year}",
    }


def _legend(request: Request) -> tuple[str, str]:
    lang = lang_of(request)
    return (text("published.estimate", lang), text("published.label", lang))


def _home_state(request: Request) -> Any:
    return (_state(request), service_index.results_state(dataset_of(request)))


@page(router, "/", "home.html", cache=_home_state)
def home(request: Request) -> dict[str, Any]:
    """What is published: SIPAS years, final PAR campaigns, service-index years."""
    db = db_of(request)
    runs = public.cached(db, "sipas_runs")
    campaigns = public.cached(db, "par_campaigns")
    dossiers = service_index.published(dataset_of(request))
    years = [p["period"] for p in dossiers["periods"] if p["grain"] == "year"]
    listed = published_api.list_published(db)
    return {
        "sipas": runs,
        "par": campaigns,
        "published": {
            index: sorted({p["year"] for p in listed if p["index"] == index}, reverse=True)
            for index in ("sipas", "par")
        },
        "service_index": years,
        "synthetic": any(r["synthetic"] for r in runs)
        or any(c["synthetic"] for c in campaigns)
        or bool(years and dossiers["synthetic"]),
    }


@router.get("/sipas", include_in_schema=False)
def sipas_latest(request: Request) -> Response:
    runs = public.cached(db_of(request), "sipas_runs")
    if not runs:
        raise SipasError("public.no_results", what="SIPAS")
    return RedirectResponse(f"/sipas/{runs[0]['code']}", status_code=303)


@page(router, "/sipas/{run}", "sipas_ranking.html", cache=_state)
def sipas_ranking(request: Request, run: str, region: str | None = None) -> dict[str, Any]:
    """SIPAS of every province for one year: estimate, 95% CI, rank interval, change."""
    lang = lang_of(request)
    data = dict(public.cached(db_of(request), "sipas_ranking", run, region or None))
    national = data["national"]["estimate"] if data["national"] else None
    data["runs"] = public.cached(db_of(request), "sipas_runs")
    data["region"] = region or ""
    data["rows"] = [dict(r) for r in data["rows"]]
    data["published"] = _published_beside(request, "sipas", data["year"], data["rows"], "code")
    values = {r["code"]: r["published"]["value"] for r in data["rows"] if r["published"]}
    data["charts"] = {
        "ranking": charts.ranking_dots(
            data["rows"],
            national,
            f"SIPAS {data['year']}",
            published={k: v for k, v in values.items() if v is not None},
            legend=_legend(request),
        ),
        "map": _tile_map(data["rows"], data["geography"], translate("sipas", lang), lang),
    }
    return data


def _tile_map(
    rows: list[dict[str, Any]], geography: str, title: str, lang: str
) -> dict[str, Any] | None:
    """The provinces on the reports' tile grid of their geography; None when the units are not
    provinces of that grid (a campaign of departments or communes)."""
    layout = tiles.tile_layout(geography)
    known = {t["code"] for t in layout}
    if not rows or any(r["code"] not in known for r in rows):
        return None
    hover = {}
    for r in rows:
        text = f"{r['name']}: {number(r['estimate'], 2, lang)}"
        if r.get("ci_low") is not None and r.get("ci_high") is not None:
            interval = f"{number(r['ci_low'], 2, lang)}–{number(r['ci_high'], 2, lang)}"
            text += f" ({translate('ci', lang)}: {interval})"
        hover[r["code"]] = text
    return charts.tile_map(rows, layout, title, hover)


@page(router, "/sipas/{run}/province/{code}", "province.html", cache=_state)
def province(request: Request, run: str, code: str) -> dict[str, Any]:
    """One province: elements against the national mean and the best, strengths, trend."""
    lang = lang_of(request)
    data = dict(public.cached(db_of(request), "province_profile", run, code))
    found = published_api.beside(db_of(request), "sipas", data["year"])
    data["published"] = published_api.beside_row(
        None if found is None else found["units"].get(data["province"])
    )
    found_par = published_api.beside(db_of(request), "par", data["year"])
    data["published_par"] = published_api.beside_row(
        None if found_par is None else found_par["units"].get(data["province"])
    )
    data["published_label"] = text("published.label", lang_of(request))
    data["published_trend"] = published_api.history(db_of(request), "sipas", data["province"])
    data["charts"] = {
        "profile": charts.profile(
            data["elements"],
            data["name"],
            lang,
            (data["name"], translate("national_mean", lang), translate("best", lang)),
        ),
        "trend": charts.trend(
            data["trend"],
            f"SIPAS · {data['name']}",
            published=[p for p in data["published_trend"] if not p["report"]],
            legend=_legend(request),
        ),
    }
    return data


@page(router, "/sipas/{run}/compare", "compare.html", cache=_state)
def compare(
    request: Request,
    run: str,
    a: str = "",
    b: str = "",
    provinces: str = "",
    peers: str = Query("", alias="with"),
) -> dict[str, Any]:
    """Provinces side by side on every node, each against the national mean with the
    significance of the difference (``a`` and ``b``, or ``provinces``: codes or names separated
    by commas); with ``with`` (top5, region, similar, merged or a list), the first against those
    peers, as `sipas compare`."""
    asked = [a, b, *provinces.split(",")]
    return pages_analysis.compare_run(request, run, asked, peers)


@router.get(
    "/sipas/{run}/download.{kind}", summary="SIPAS ranking of one year as CSV, XLSX or JSON"
)
def sipas_download(request: Request, run: str, kind: str) -> Response:
    data = public.cached(db_of(request), "sipas_ranking", run, None)
    shown = columns(SIPAS_COLUMNS, lang_of(request))
    return table_download(data["rows"], kind, f"sipas-{data['year']}", lang_of(request), shown)


@router.get("/par", include_in_schema=False)
def par_latest(request: Request) -> Response:
    campaigns = public.cached(db_of(request), "par_campaigns")
    if not campaigns:
        raise SipasError("public.no_results", what="PAR INDEX")
    return RedirectResponse(f"/par/{campaigns[0]['code']}", status_code=303)


@page(router, "/par/{campaign}", "par_ranking.html", cache=_state)
def par_ranking(request: Request, campaign: str, region: str | None = None) -> dict[str, Any]:
    """PAR INDEX of every unit in a final campaign: index, areas, group, rank, change."""
    data = dict(public.cached(db_of(request), "par_ranking", campaign, region or None))
    data["campaigns"] = public.cached(db_of(request), "par_campaigns")
    data["region"] = region or ""
    data["units"] = [dict(u) for u in data["units"]]
    data["published"] = _published_beside(request, "par", data["year"], data["units"], "unit")
    values = {u["unit"]: u["published"]["value"] for u in data["units"] if u["published"]}
    dots = [
        {
            "code": u["unit"],
            "name": u["name"],
            "estimate": u["index"],
            "ci_low": None,
            "ci_high": None,
        }
        for u in data["units"]
    ]
    geography = tiles.geography_of_year(data["year"])
    data["charts"] = {
        "ranking": charts.ranking_dots(
            dots,
            data["national"]["mean_index"],
            f"PAR INDEX {data['year']}",
            published={k: v for k, v in values.items() if v is not None},
            legend=_legend(request),
        ),
        "map": _tile_map(dots, geography, translate("par", lang_of(request)), lang_of(request)),
    }
    return data


@router.get("/par/{campaign}/download.{kind}", summary="PAR INDEX results as CSV, XLSX or JSON")
def par_download(request: Request, campaign: str, kind: str) -> Response:
    lang = lang_of(request)
    data = public.cached(db_of(request), "par_ranking", campaign, None)
    areas = {f"area_{a['code']}": a["name"][lang] for a in data["areas"]}
    keys = [*PAR_COLUMNS[:7], *areas, *PAR_COLUMNS[7:]]
    shown = columns(keys, lang, **areas)
    return table_download(data["units"], kind, f"par-{data['year']}", lang, shown)


_REPORT_TYPES = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xlsx": DOWNLOAD_TYPES["xlsx"],
}


def _report_file(request: Request, kind: str, make: Any) -> Response:
    """A report written to a temporary folder and sent as a download."""
    import tempfile
    from pathlib import Path

    if kind not in _REPORT_TYPES:
        raise SipasError("public.report_type", kind=kind)

    def render() -> Rendered:
        with tempfile.TemporaryDirectory() as folder:
            path = make(Path(folder) / f"report.{kind}", lang_of(request))
            return Rendered(path.read_bytes(), path.name)

    # Rendered once per state of the data, a few at a time, within the client's rate.
    return heavy_file(request, _state(request), _REPORT_TYPES[kind], render)


@router.get("/sipas/{run}/report.{kind}", summary="The national report of a SIPAS year")
def national_report(request: Request, run: str, kind: str) -> Response:
    db = db_of(request)
    return _report_file(
        request,
        kind,
        lambda out, lang: reports.national_report(db, out, fmt=kind, run=run, lang=lang),
    )


@router.get("/sipas/{run}/province/{code}/report.{kind}", summary="A province's report")
def province_report(request: Request, run: str, code: str, kind: str) -> Response:
    db = db_of(request)
    return _report_file(
        request,
        kind,
        lambda out, lang: reports.province_report(db, code, out, fmt=kind, run=run, lang=lang),
    )
