"""Chart specifications (Plotly figure dictionaries) drawn in the browser by /static/charts.js.

The figures are data, not HTML: a page embeds them as JSON and the served Plotly bundle draws them,
so the pages need no inline script and no network.
"""

from __future__ import annotations

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
    layout: list[dict[str, Any]],
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
