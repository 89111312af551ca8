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
    geography: str,
    cells: tuple[tuple[str, str, float], ...],
    lang: str,
    highlight: str | None,
    highlight_label: str | None,
) -> bytes:
    values = {code: value for code, _, value in cells}
    names = {code: name for code, name, _ in cells}
    return charts.tile_map(
        tile_layout(geography), values, names, _fmt(lang), highlight, highlight_label
    )


def map_cells(doc: dict[str, Any]) -> tuple[tuple[str, str, float], ...]:
    """(code, name, value) of every province the map shows."""
    return tuple((p["code"], p["name"], _value(p["estimate"])) for p in doc["provinces"])


def map_highlight(doc: dict[str, Any]) -> tuple[str | None, str | None]:
    """The province a report is about and its key on the map (none in the national report)."""
    own = doc.get("province") if doc["kind"] == "province" else None
    if own is None:
        return None, None
    return own["code"], label("map_own", doc["lang"], name=own["name"])


def map_figure(doc: dict[str, Any]) -> Figure:
    """The tile map, drawn at its printed size; a province's report outlines the province."""
    lang = doc["lang"]
    highlight, key = map_highlight(doc)
    png = _tile_png(doc["geography"], map_cells(doc), lang, highlight, key)
    alt = (
        f"{label('chart_map', lang)} {doc['year']}: "
        + "; ".join(f"{p['name']} {number(p['estimate'], lang)}" for p in doc["provinces"])
        + "."
    )
    caption = f"{label('chart_map', lang)} {doc['year']}. {label('map_reading', lang)}"
    if highlight is not None:
        caption += " " + label("map_own_caption", lang, name=doc["province"]["name"])
    return Figure("map", png, alt, caption)


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
        "sensitivity": sensitivity_figure(doc),
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
        "map": map_figure(doc),  # the province outlined
        "quadrant": quadrant_figure(doc),
        "trend": trend_figure(doc, series),
    }


def sensitivity_figure(doc: dict[str, Any]) -> Figure | None:
    """Per province: the rank range over method choices beside the sampling rank interval."""
    found = doc.get("sensitivity")
    if not found:
        return None
    lang = doc["lang"]
    ranges = [
        charts.RankRange(
            label=u["name"],
            rank=u["rank"],
            method_low=u["method_low"],
            method_high=u["method_high"],
            sampling_low=u["sampling_low"],
            sampling_high=u["sampling_high"],
        )
        for u in found["units"]
    ]
    png = charts.rank_ranges(ranges, (found["legend"][0], found["legend"][1]))
    alt = f"{label('chart_sensitivity', lang)}: " + "; ".join(
        f"{u['name']} {u['rank']} ({number(u['method_low'], lang, 0)}–"
        f"{number(u['method_high'], lang, 0)}; {rank_text(u['sampling_low'], u['sampling_high'])})"
        for u in found["units"]
    )
    return Figure("sensitivity", png, alt + ".", label("chart_sensitivity", lang))


def rank_text(low: Any, high: Any) -> str:
    if not (isinstance(low, int | float) and isinstance(high, int | float)):
        return "–"
    return f"{round(low)}–{round(high)}"


def quadrant_figure(doc: dict[str, Any]) -> Figure | None:
    """The province's elements by importance (across) and performance (up), with the medians."""
    found = doc.get("priority")
    if not found:
        return None
    lang = doc["lang"]
    placed = [c for c in found["components"] if c["importance"] is not None]
    if not placed:
        return None
    points = [
        charts.QuadrantPoint(
            label=c["name"],
            performance=c["performance"],
            performance_low=c["low"],
            performance_high=c["high"],
            importance=c["importance"],
            importance_se=c["importance_se"] or 0.0,
            highlight=c["quadrant"] == "improve_first",
        )
        for c in placed
    ]
    medians = found["medians"]
    png = charts.quadrant(
        points,
        (medians[0], medians[1]),
        lambda x: number(x, lang, 0),
        (found["axis"][0], found["axis"][1]),
        found["first_label"],
    )
    alt = f"{label('priorities_quadrant', lang)}: " + "; ".join(
        f"{c['name']} {number(c['importance'], lang, 0)} / {number(c['performance'], lang, 0)}"
        f" ({c['quadrant_name']})"
        for c in placed
    )
    return Figure("quadrant", png, alt + ".", label("priorities_quadrant", lang))
