"""Official published results of a year (Kết quả công bố): SIPAS and PAR INDEX, with JSON twins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from sipas.api.queries import public
from sipas.api.queries import published as published_api
from sipas.messages import text
from sipas.web import charts
from sipas.web.render import db_of, lang_of, page

router = APIRouter()


def _state(request: Request) -> Any:
    return public.version(db_of(request))


def _page(request: Request, index: str, year: int) -> dict[str, Any]:
    lang = lang_of(request)
    data: dict[str, Any] = dict(published_api.show(db_of(request), index, year).to_dict())
    data["label"] = text("published.label", lang)
    # A sub-value's node is named, never shown by its code: SIPAS figures carry the node codes
    # of the survey framework (sipas-gen2); PAR figures number their areas as the decision does.
    names = public.indicator_names("sipas-gen2") if index == "sipas" else {}
    for aggregate in data["national"]:
        node = aggregate["node"]
        aggregate["node_name"] = names.get(node, {"vi": node, "en": node})[lang] if node else ""
    data["years"] = sorted(
        {
            line["year"]
            for line in published_api.list_published(db_of(request))
            if line["index"] == index
        },
        reverse=True,
    )
    provinces = [u for u in data["units"] if u["unit_kind"] == "province"]
    dots = [
        {
            "code": u["unit"],
            "name": u["name"],
            "estimate": u["value"],
            "ci_low": None,
            "ci_high": None,
        }
        for u in provinces
        if u["value"] is not None and not u["report"]
    ]
    national = next(
        (a["value"] for a in data["national"] if a["unit"] == "national" and not a["node"]), None
    )
    data["charts"] = {
        "ranking": charts.ranking_dots(dots, national, f"{data['label']} · {index.upper()} {year}")
        if dots
        else None
    }
    return data


@page(router, "/sipas/published/{year}", "published.html", cache=_state)
def sipas_published(request: Request, year: int) -> dict[str, Any]:
    """SIPAS results of a year as the ministry published them: value, rank, change, source."""
    return _page(request, "sipas", year)


@page(router, "/par/published/{year}", "published.html", cache=_state)
def par_published(request: Request, year: int) -> dict[str, Any]:
    """PAR INDEX results of a year as the ministry published them, provinces and ministries."""
    return _page(request, "par", year)
