"""Chart specifications (Plotly figure dictionaries) drawn in the browser by /static/charts.js.

The figures are data, not HTML: a page embeds them as JSON and the served Plotly bundle draws them,
so the pages need no inline script and no network.
"""

from __future__ import annotations

from typing import Any

_FONT = {"family": "system-ui, 'Segoe UI', 'Noto Sans', sans-serif", "size": 12}


def ranking_dots(rows: list[dict[str, Any]], national: float | None, title: str) -> dict[str, Any]:
    """Each unit a dot with its 95% interval as a whisker, best at the top."""
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
        "data": [trace],
        "layout": {
            "title": {"text": title},
            "font": _FONT,
            "height": max(360, 18 * len(rows) + 80),
            "margin": {"l": 170, "r": 20, "t": 40, "b": 40},
            "shapes": shapes,
            "xaxis": {"title": {"text": "0–100"}},
            "showlegend": False,
        },
        "config": {"displaylogo": False, "responsive": True},
    }


def tile_map(rows: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """Provinces as tiles grouped by region (a column per region), coloured by the index."""
    regions: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: r["name"]):
        regions.setdefault(row.get("region") or "", []).append(row)
    xs, ys, values, labels = [], [], [], []
    for column, (_, members) in enumerate(sorted(regions.items())):
        for line, row in enumerate(members):
            xs.append(column)
            ys.append(-line)
            values.append(row["estimate"])
            labels.append(f"{row['name']}: {row['estimate']:.2f}")
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": xs,
                "y": ys,
                "text": labels,
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {
                    "symbol": "square",
                    "size": 26,
                    "color": values,
                    "colorscale": "Blues",
                    "showscale": True,
                },
            }
        ],
        "layout": {
            "title": {"text": title},
            "font": _FONT,
            "height": 520,
            "xaxis": {
                "tickvals": list(range(len(regions))),
                "ticktext": sorted(regions),
                "showgrid": False,
            },
            "yaxis": {"visible": False},
            "margin": {"l": 20, "r": 20, "t": 40, "b": 120},
        },
        "config": {"displaylogo": False, "responsive": True},
    }


def profile(elements: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """A province's elements against the national mean and the best province."""
    names = [e["indicator"] for e in elements]
    return {
        "data": [
            {
                "type": "bar",
                "name": "tỉnh / province",
                "x": names,
                "y": [e["estimate"] for e in elements],
                "marker": {"color": "#1f5f99"},
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "cả nước / national",
                "x": names,
                "y": [e["national"] for e in elements],
                "marker": {"color": "#b03a2e", "symbol": "line-ew-open", "size": 24},
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "cao nhất / best",
                "x": names,
                "y": [e["best"] for e in elements],
                "marker": {"color": "#2e7d32", "symbol": "triangle-up", "size": 9},
            },
        ],
        "layout": {
            "title": {"text": title},
            "font": _FONT,
            "height": 420,
            "yaxis": {"range": [0, 100]},
            "margin": {"b": 140},
        },
        "config": {"displaylogo": False, "responsive": True},
    }


def trend(points: list[dict[str, Any]], title: str) -> dict[str, Any]:
    return {
        "data": [
            {
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
            }
        ],
        "layout": {
            "title": {"text": title},
            "font": _FONT,
            "height": 320,
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
