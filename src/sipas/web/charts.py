"""Chart specifications (Plotly figure dictionaries) drawn in the browser by /static/charts.js.

The figures are data, not HTML: a page embeds them as JSON and the served Plotly bundle draws them,
so the pages need no inline script and no network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sipas.text import two_lines

_FONT = {"family": "system-ui, 'Segoe UI', 'Noto Sans', sans-serif", "size": 12}


def ranking_dots(
    rows: list[dict[str, Any]],
    national: float | None,
    title: str,
    published: dict[str, float] | None = None,
    legend: tuple[str, str] = ("estimate", "published"),
) -> dict[str, Any]:
    """Each unit a dot with its 95% interval as a whisker, best at the top; with ``published``
    (unit code → the official published value), a diamond beside each unit that has one."""
    ordered = list(reversed(rows))
    with_interval = all(r.get("ci_low") is not None for r in ordered)
    trace: dict[str, Any] = {
        "type": "scatter",
        "mode": "markers",
        "x": [r["estimate"] for r in ordered],
        "y": [r["name"] for r in ordered],
        "marker": {"color": "#1f5f99", "size": 7},
        "hovertemplate": "%{y}: %{x:.2f}<extra></extra>",
    }
    if with_interval:
        trace["error_x"] = {
            "type": "data",
            "symmetric": False,
            "array": [r["ci_high"] - r["estimate"] for r in ordered],
            "arrayminus": [r["estimate"] - r["ci_low"] for r in ordered],
            "color": "#7aa6cf",
            "thickness": 1.5,
            "width": 0,
        }
    traces = [trace]
    shown = {
        r["code"]: published[r["code"]] for r in ordered if published and r["code"] in published
    }
    if shown:
        trace["name"] = legend[0]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": legend[1],
                "x": [shown[r["code"]] for r in ordered if r["code"] in shown],
                "y": [r["name"] for r in ordered if r["code"] in shown],
                "marker": {"color": "#b9770e", "size": 9, "symbol": "diamond"},
                "hovertemplate": "%{y}: %{x:.2f}<extra>" + legend[1] + "</extra>",
            }
        )
    shapes = []
    if national is not None:
        shapes.append(
            {
                "type": "line",
                "x0": national,
                "x1": national,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#b03a2e", "dash": "dot"},
            }
        )
    return {
        "data": traces,
        "layout": {
            "title": {"text": title},
            "font": _FONT,
            "height": max(360, 18 * len(rows) + 80),
            "margin": {"l": 170, "r": 20, "t": 40, "b": 40},
            "shapes": shapes,
            "xaxis": {"title": {"text": "0–100"}},
            "showlegend": bool(shown),
            "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom"},
        },
        "config": {"displaylogo": False, "responsive": True},
    }


def tile_map(
    rows: list[dict[str, Any]],
    layout: Sequence[Mapping[str, Any]],
    title: str,
    hover: dict[str, str],
) -> dict[str, Any]:
    """Provinces as squares on the reports' tile grid (``layout``: code, row, col), coloured by
    the index; each tile shows the province's code and name, its hover text ``hover[code]``
    (the value and, where there is one, the interval). Only provinces of ``rows`` are drawn."""
    place = {t["code"]: (t["row"], t["col"]) for t in layout}
    height = max(t["row"] for t in layout) + 1
    width = max(t["col"] for t in layout) + 1
    z: list[list[float | None]] = [[None] * width for _ in range(height)]
    text = [[""] * width for _ in range(height)]
    tips = [[""] * width for _ in range(height)]
    for row in rows:
        if row["code"] not in place or row.get("estimate") is None:
            continue
        r, c = place[row["code"]]
        z[r][c] = row["estimate"]
        text[r][c] = f"<b>{row['code']}</b><br>{two_lines(row['name'], '<br>')}"
        tips[r][c] = hover.get(row["code"], row["name"])
    return {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "text": text,
                "texttemplate": "%{text}",
                "textfont": {"size": 9},
                "hovertext": tips,
                "hoverinfo": "text",
                "hoverongaps": False,
                "colorscale": "YlGnBu",
                "reversescale": True,  # as the reports draw it: the higher, the darker
                "xgap": 3,
                "ygap": 3,
                "colorbar": {"thickness": 12},
            }
        ],
        "layout": {
            "title": {"text": title},
            "font": _FONT,
            "height": max(420, 64 * height + 80),
            "xaxis": {"visible": False, "constrain": "domain"},
            "yaxis": {
                "visible": False,
                "autorange": "reversed",
                "scaleanchor": "x",
                "constrain": "domain",
            },
            "plot_bgcolor": "#ffffff",
            "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        },
        "config": {"displaylogo": False, "responsive": True},
    }


def profile(
    elements: list[dict[str, Any]],
    title: str,
    lang: str = "vi",
    legend: tuple[str, str, str] = ("province", "national", "best"),
) -> dict[str, Any]:
    """A province's elements as points with their 95% intervals, against the national mean and
    the best province (``legend``: the three series' names in the page's language)."""
    names = [
        e["name"][lang] if isinstance(e.get("name"), dict) else e["indicator"] for e in elements
    ]
    point: dict[str, Any] = {
        "type": "scatter",
        "mode": "markers",
        "name": legend[0],
        "x": names,
        "y": [e["estimate"] for e in elements],
        "marker": {"color": "#1f5f99", "size": 8},
    }
    if all(e.get("ci_low") is not None and e.get("ci_high") is not None for e in elements):
        point["error_y"] = {
            "type": "data",
            "symmetric": False,
            "array": [e["ci_high"] - e["estimate"] for e in elements],
            "arrayminus": [e["estimate"] - e["ci_low"] for e in elements],
            "color": "#7aa6cf",
            "thickness": 1.5,
            "width": 0,
        }
    return {
        "data": [
            point,
            {
                "type": "scatter",
                "mode": "markers",
                "name": legend[1],
                "x": names,
                "y": [e["national"] for e in elements],
                "marker": {"color": "#b03a2e", "symbol": "line-ew-open", "size": 24},
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": legend[2],
                "x": names,
                "y": [e["best"] for e in elements],
                "marker": {"color": "#2e7d32", "symbol": "triangle-up", "size": 9},
            },
        ],
        "layout": {
            "title": {"text": title},
            "font": _FONT,
            "height": 420,
            "margin": {"b": 140},
        },
        "config": {"displaylogo": False, "responsive": True},
    }


def trend(
    points: list[dict[str, Any]],
    title: str,
    published: list[dict[str, Any]] | None = None,
    legend: tuple[str, str] = ("estimate", "published"),
) -> dict[str, Any]:
    """Our estimates year by year with their intervals; with ``published`` (year, value), the
    official published values as a second line of diamonds."""
    extra = [p for p in published or [] if p.get("value") is not None]
    more = []
    if extra:
        more.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": legend[1],
                "x": [p["year"] for p in extra],
                "y": [p["value"] for p in extra],
                "marker": {"color": "#b9770e", "size": 9, "symbol": "diamond"},
                "line": {"color": "#b9770e", "dash": "dot"},
            }
        )
    return {
        "data": [
            {
                "name": legend[0],
                "type": "scatter",
                "mode": "lines+markers",
                "x": [p["year"] for p in points],
                "y": [p["estimate"] for p in points],
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [p["ci_high"] - p["estimate"] for p in points],
                    "arrayminus": [p["estimate"] - p["ci_low"] for p in points],
                },
            },
            *more,
        ],
        "layout": {
            "title": {"text": title},
            "font": _FONT,
            "height": 320,
            "showlegend": bool(more),
            "xaxis": {"dtick": 1},
            "yaxis": {"range": [0, 100]},
        },
        "config": {"displaylogo": False, "responsive": True},
    }


def series(points: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """A value per period (months of a year) as a line; gaps where a period has no value."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [p["x"] for p in points],
                "y": [p["y"] for p in points],
                "marker": {"color": "#1f5f99", "size": 7},
                "line": {"color": "#1f5f99"},
                "connectgaps": False,
                "hovertemplate": "%{x}: %{y:.2f}<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": title},
            "font": _FONT,
            "height": 320,
            "xaxis": {"type": "category"},
            "yaxis": {"range": [0, 100]},
            "margin": {"t": 40},
        },
        "config": {"displaylogo": False, "responsive": True},
    }


def whatif_strip(
    others: list[tuple[str, str, float]],
    now: float,
    after: float | None,
    target: float | None,
    labels: dict[str, str],
) -> dict[str, Any]:
    """Every unit's index on one line, the unit now and after the supposed scores as larger dots,
    and the index the target needs as a vertical line: how far, and past whom."""
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": [index for _, _, index in others],
            "y": [labels["others"]] * len(others),
            "text": [name for _, name, _ in others],
            "marker": {"color": "#9aa5b1", "size": 8, "opacity": 0.7},
            "hovertemplate": "%{text}: %{x:.2f}<extra></extra>",
            "name": labels["others"],
        },
        {
            "type": "scatter",
            "mode": "markers",
            "x": [now],
            "y": [labels["others"]],
            "marker": {"color": "#1f5f99", "size": 14},
            "hovertemplate": f"{labels['now']}: %{{x:.2f}}<extra></extra>",
            "name": labels["now"],
        },
    ]
    if after is not None:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [after],
                "y": [labels["others"]],
                "marker": {"color": "#b03a2e", "size": 14, "symbol": "diamond"},
                "hovertemplate": f"{labels['after']}: %{{x:.2f}}<extra></extra>",
                "name": labels["after"],
            }
        )
    shapes = []
    if target is not None:
        shapes.append(
            {
                "type": "line",
                "x0": target,
                "x1": target,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#b03a2e", "dash": "dot"},
            }
        )
    return {
        "data": traces,
        "layout": {
            "font": _FONT,
            "height": 220,
            "margin": {"l": 120, "r": 20, "t": 20, "b": 40},
            "shapes": shapes,
            "xaxis": {"title": {"text": labels["axis"]}},
            "showlegend": True,
            "legend": {"orientation": "h", "y": -0.4},
        },
    }


_PALETTE = ("#1f5f99", "#b9770e", "#2e7d32", "#6a3d9a", "#c2185b", "#00838f", "#5d4037", "#455a64")
_CONFIG = {"displaylogo": False, "responsive": True}


def _whiskers(
    values: Sequence[float | None],
    low: Sequence[float | None],
    high: Sequence[float | None],
    colour: str,
) -> dict[str, Any]:
    """Plotly error bars from a value and its interval (none drawn where either is missing)."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [h - v if h is not None and v is not None else 0 for v, h in zip(values, high, strict=True)],
        "arrayminus": [v - lo if lo is not None and v is not None else 0 for v, lo in zip(values, low, strict=True)],
        "color": colour,
        "thickness": 1.5,
        "width": 3,
    }  # fmt: skip


def provinces_on_nodes(
    nodes: list[dict[str, Any]],
    provinces: list[dict[str, Any]],
    national: list[float | None],
    labels: dict[str, str],
) -> dict[str, Any]:
    """Several provinces on each node of the index: one dot per province with its 95% interval,
    against the national mean drawn as a vertical tick on every node. ``nodes``: name (one per
    row); ``provinces``: name and, per node, estimate, low, high."""
    names = [n["name"] for n in nodes]
    rows = list(range(len(names)))
    traces: list[dict[str, Any]] = []
    step = 0.6 / max(1, len(provinces))
    for i, p in enumerate(provinces):
        colour = _PALETTE[i % len(_PALETTE)]
        values = [v["estimate"] for v in p["values"]]
        shift = (i - (len(provinces) - 1) / 2) * step  # each province a little apart on its row
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": p["name"],
                "x": values,
                "y": [r + shift for r in rows],
                "text": names,
                "marker": {"color": colour, "size": 9},
                "error_x": _whiskers(
                    values,
                    [v["low"] for v in p["values"]],
                    [v["high"] for v in p["values"]],
                    colour,
                ),
                "hovertemplate": f"{p['name']}: %{{x:.2f}}<extra>%{{text}}</extra>",
            }
        )
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": labels["national"],
            "x": national,
            "y": rows,
            "text": names,
            "marker": {
                "color": "#b03a2e",
                "symbol": "line-ns-open",
                "size": 26,
                "line": {"width": 2},
            },
            "hovertemplate": f"{labels['national']}: %{{x:.2f}}<extra>%{{text}}</extra>",
        }
    )
    return {
        "data": traces,
        "layout": {
            "title": {"text": labels["title"]},
            "font": _FONT,
            "height": max(320, 34 * len(nodes) + 140),
            "margin": {"l": 260, "r": 20, "t": 40, "b": 90},
            "xaxis": {"title": {"text": labels["axis"]}},
            "yaxis": {
                "autorange": "reversed",
                "automargin": True,
                "tickvals": rows,
                "ticktext": names,
                "zeroline": False,
            },
            "legend": {"orientation": "h", "y": -0.2, "yanchor": "top"},
        },
        "config": _CONFIG,
    }


def importance_performance(
    points: list[dict[str, Any]], medians: tuple[float | None, float | None], labels: dict[str, str]
) -> dict[str, Any]:
    """Components by satisfaction (x, with its 95% interval) and the share asking for them to
    improve (y, ±1.96 SE); the quadrant lines at the province's medians; "improve first" in the
    accent colour."""

    def trace(chosen: list[dict[str, Any]], name: str, colour: str) -> dict[str, Any]:
        x = [p["performance"] for p in chosen]
        y = [p["importance"] for p in chosen]
        return {
            "type": "scatter",
            "mode": "markers+text",
            "name": name,
            "x": x,
            "y": y,
            "text": [p["name"] for p in chosen],
            "textposition": "top center",
            "textfont": {"size": 10},
            "marker": {"color": colour, "size": 10},
            "error_x": _whiskers(x, [p["performance_low"] for p in chosen], [p["performance_high"] for p in chosen], colour),
            "error_y": {
                "type": "data",
                "array": [1.959963984540054 * (p["importance_se"] or 0.0) for p in chosen],
                "color": colour,
                "thickness": 1,
                "width": 3,
            },
            "hovertemplate": "%{text}<br>%{x:.1f} · %{y:.1f}<extra></extra>",
        }  # fmt: skip

    first = [p for p in points if p["quadrant"] == "improve_first"]
    others = [p for p in points if p["quadrant"] != "improve_first"]
    importance, performance = medians
    shapes = []
    if performance is not None:
        shapes.append({"type": "line", "x0": performance, "x1": performance, "yref": "paper", "y0": 0, "y1": 1, "line": {"color": "#7a8794", "dash": "dot"}})  # fmt: skip
    if importance is not None:
        shapes.append({"type": "line", "y0": importance, "y1": importance, "xref": "paper", "x0": 0, "x1": 1, "line": {"color": "#7a8794", "dash": "dot"}})  # fmt: skip
    return {
        "data": [
            trace(others, labels["others"], "#7a8794"),
            trace(first, labels["first"], "#b03a2e"),
        ],
        "layout": {
            "title": {"text": labels["title"]},
            "font": _FONT,
            "height": 480,
            "margin": {"l": 70, "r": 20, "t": 40, "b": 60},
            "shapes": shapes,
            "xaxis": {"title": {"text": labels["performance"]}},
            "yaxis": {"title": {"text": labels["importance"]}},
            "legend": {"orientation": "h", "y": -0.18},
        },
        "config": _CONFIG,
    }


def rank_ranges(units: list[dict[str, Any]], labels: dict[str, str]) -> dict[str, Any]:
    """Each province's rank: the range over method choices beside its 95% sampling rank
    interval, the nominal rank as the dot (rank 1 at the left)."""
    ordered = sorted(units, key=lambda u: u["rank"])
    names = [u["name"] for u in ordered]
    ranks = [float(u["rank"]) for u in ordered]
    rows = list(range(len(names)))

    def trace(
        low: str, high: str, name: str, colour: str, symbol: str, shift: float
    ) -> dict[str, Any]:
        return {
            "type": "scatter",
            "mode": "markers",
            "name": name,
            "x": ranks,
            "y": [r + shift for r in rows],
            "text": names,
            "marker": {"color": colour, "size": 8, "symbol": symbol},
            "error_x": _whiskers(
                ranks, [u[low] for u in ordered], [u[high] for u in ordered], colour
            ),
            "hovertemplate": f"{name}: %{{customdata}}<extra>%{{text}}</extra>",
            "customdata": ["–" if u[low] is None else f"{u[low]:g}–{u[high]:g}" for u in ordered],
        }

    return {
        "data": [
            trace("method_low", "method_high", labels["method"], "#b9770e", "diamond", -0.15),
            trace("sampling_low", "sampling_high", labels["sampling"], "#1f5f99", "circle", 0.15),
        ],
        "layout": {
            "title": {"text": labels["title"]},
            "font": _FONT,
            "height": max(320, 26 * len(units) + 160),
            "margin": {"l": 170, "r": 20, "t": 40, "b": 90},
            "xaxis": {"title": {"text": labels["axis"]}, "dtick": 1 if len(units) <= 20 else 5},
            "yaxis": {"autorange": "reversed", "tickvals": rows, "ticktext": names, "zeroline": False},
            "legend": {"orientation": "h", "y": -0.3, "yanchor": "top"},
        },
        "config": _CONFIG,
    }  # fmt: skip


def indices_over_years(series: list[dict[str, Any]], title: str, axis: str) -> dict[str, Any]:
    """Several series of percentages by year (each name, points of year, value, low, high):
    lines, with the 95% intervals where a point is an estimate."""
    traces = []
    for i, s in enumerate(series):
        colour = _PALETTE[i % len(_PALETTE)]
        points = [p for p in s["points"] if p["value"] is not None]
        values = [p["value"] for p in points]
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines+markers",
            "name": s["label"],
            "x": [p["year"] for p in points],
            "y": values,
            "marker": {"color": colour, "size": 8, "symbol": s.get("symbol", "circle")},
            "line": {"color": colour, "dash": s.get("dash", "solid")},
            "hovertemplate": f"{s['label']}: %{{y:.2f}}<extra>%{{x}}</extra>",
        }
        if any(p.get("low") is not None for p in points):
            low = [p.get("low") for p in points]
            high = [p.get("high") for p in points]
            trace["error_y"] = _whiskers(values, low, high, colour)
        traces.append(trace)
    return {
        "data": traces,
        "layout": {
            "title": {"text": title},
            "font": _FONT,
            "height": 420,
            "margin": {"t": 40, "b": 40},
            "xaxis": {"dtick": 1, "title": {"text": ""}},
            "yaxis": {"title": {"text": axis}, "range": [0, 100]},
            "legend": {"orientation": "h", "y": -0.15},
        },
        "config": _CONFIG,
    }
