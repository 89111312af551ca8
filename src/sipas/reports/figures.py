"""The charts of each report, with the alternative text a screen reader reads for each."""

from __future__ import annotations

import base64
import csv
import math
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from sipas.reports import charts
from sipas.reports.format import label, number


@dataclass(frozen=True)
class Figure:
    key: str
    png: bytes
    alt: str
    caption: str

    @property
    def src(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@cache
def tile_layout(geography: str) -> tuple[tuple[str, int, int], ...]:
    """(code, row, col) of every province on the tile grid of the 63 or the 34 provinces."""
    name = "tiles_34.csv" if geography == "34" else "tiles_63.csv"
    with resources.files("sipas.reports").joinpath("data", name).open(encoding="utf-8") as f:
        return tuple((r["code"], int(r["row"]), int(r["col"])) for r in csv.DictReader(f))


def _fmt(lang: str) -> charts.Formatter:
    return lambda x: number(x, lang, 1)


def _value(x: Any) -> float:
    return float(x) if isinstance(x, int | float) and x is not None else math.nan


def ranking_figure(doc: dict[str, Any], highlight: str | None = None) -> Figure:
    lang = doc["lang"]
    points = [
        charts.Point(
            p["name"],
            _value(p["estimate"]),
            _value(p["ci_low"]),
            _value(p["ci_high"]),
            p["code"] == highlight,
        )
        for p in doc["provinces"]
    ]
    png = charts.ranking(
        points, _value(doc["national"]["estimate"]), _fmt(lang), label("national_mean", lang)
    )
    top, bottom = doc["provinces"][0], doc["provinces"][-1]
    alt = (
        f"{label('chart_ranking', lang)}: {len(points)} "
        f"{label('provinces_count', lang).lower()}; {top['name']} {number(top['estimate'], lang)}"
        f" … {bottom['name']} {number(bottom['estimate'], lang)}; {label('national_mean', lang)}"
        f" {number(doc['national']['estimate'], lang)}."
    )
    return Figure("ranking", png, alt, label("chart_ranking", lang) + f" — SIPAS {doc['year']}")


@lru_cache(maxsize=8)
def _tile_png(
    geography: str, cells: tuple[tuple[str, str, float], ...], lang: str, highlight: str | None
) -> bytes:
    values = {code: value for code, _, value in cells}
    names = {code: name for code, name, _ in cells}
    return charts.tile_map(tile_layout(geography), values, names, _fmt(lang), highlight)


def map_figure(doc: dict[str, Any], highlight: str | None = None) -> Figure:
    """The tile map; drawn once per year and language when no province is highlighted."""
    lang = doc["lang"]
    cells = tuple((p["code"], p["name"], _value(p["estimate"])) for p in doc["provinces"])
    png = _tile_png(doc["geography"], cells, lang, highlight)
    alt = (
        f"{label('chart_map', lang)} {doc['year']}: "
        + "; ".join(f"{p['name']} {number(p['estimate'], lang)}" for p in doc["provinces"])
        + "."
    )
    return Figure("map", png, alt, label("chart_map", lang) + f" {doc['year']}")


def profile_figure(doc: dict[str, Any]) -> Figure:
    lang = doc["lang"]
    elements = doc["elements"]
    png = charts.profile(
        [e["name"] for e in elements],
        [_value(e["estimate"]) for e in elements],
        [_value(e["ci_low"]) for e in elements],
        [_value(e["ci_high"]) for e in elements],
        [_value(e["national"]) for e in elements],
        _fmt(lang),
        (doc["province"]["name"], label("national_mean", lang)),
    )
    alt = f"{label('chart_profile', lang)}: " + "; ".join(
        f"{e['name']} {number(e['estimate'], lang)} ({label('national_mean', lang).lower()}"
        f" {number(e['national'], lang)})"
        for e in elements
    )
    return Figure("profile", png, alt + ".", label("chart_profile", lang))


def trend_figure(
    doc: dict[str, Any], series: list[tuple[str, list[float], list[float], list[float]]]
) -> Figure | None:
    lang = doc["lang"]
    trend = doc["trend"]
    if len(trend) < 2:
        return None
    years = [t["year"] for t in trend]
    png = charts.trend(years, series, _fmt(lang))
    alt = f"{label('chart_trend', lang)}: " + "; ".join(
        f"{name}: "
        + ", ".join(f"{y} {number(v, lang)}" for y, v in zip(years, values, strict=True))
        for name, values, _, _ in series
    )
    return Figure("trend", png, alt + ".", label("chart_trend", lang))


def national_figures(doc: dict[str, Any]) -> dict[str, Figure | None]:
    trend = doc["trend"]
    series = [
        (
            label("national_mean", doc["lang"]),
            [_value(t["estimate"]) for t in trend],
            [_value(t["ci_low"]) for t in trend],
            [_value(t["ci_high"]) for t in trend],
        )
    ]
    return {
        "ranking": ranking_figure(doc),
        "map": map_figure(doc),
        "trend": trend_figure(doc, series),
    }


def province_figures(doc: dict[str, Any]) -> dict[str, Figure | None]:
    trend = doc["trend"]
    series = [
        (
            doc["province"]["name"],
            [_value(t["estimate"]) for t in trend],
            [_value(t["ci_low"]) for t in trend],
            [_value(t["ci_high"]) for t in trend],
        ),
        (
            label("national_mean", doc["lang"]),
            [_value(t["national"]) for t in trend],
            [math.nan] * len(trend),
            [math.nan] * len(trend),
        ),
    ]
    return {
        "profile": profile_figure(doc),
        "map": map_figure(doc),  # the same map in every province's report: drawn once
        "trend": trend_figure(doc, series),
    }
