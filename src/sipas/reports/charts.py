"""Static charts for reports (matplotlib, PNG): ranking with interval whiskers, element profile
against the national mean, trend lines, tile map of provinces.

Each function takes plain numbers and labels and returns PNG bytes. Text is drawn in DejaVu Sans,
matplotlib's own font, which covers Vietnamese.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from sipas.text import two_lines

DPI = 120
INK = "#1f2a44"
ACCENT = "#c0392b"
MUTED = "#8a94a6"
Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Point:
    """One estimate with its interval; ``highlight`` draws it in the accent colour."""

    label: str
    value: float
    low: float
    high: float
    highlight: bool = False


def _png(figure: Figure) -> bytes:
    # Fixed margins, not a layout engine or a tight bounding box: each of those draws the
    # figure again, and a year's province reports draw hundreds of charts.
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _new(width: float, height: float, left: float = 0.3) -> tuple[Figure, Axes]:
    """A figure whose plot starts ``left`` of the width in (room for the labels)."""
    figure = Figure(figsize=(width, height))
    bottom = min(0.45, 0.4 / height)
    top = 1 - min(0.3, 0.25 / height)
    figure.subplots_adjust(left=left, right=0.97, bottom=bottom, top=top)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    return figure, axes


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if isinstance(v, int | float) and math.isfinite(v)]


def ranking(
    points: Sequence[Point],
    national: float,
    fmt: Formatter,
    mean_label: str,
    left: float = 0.2,
) -> bytes:
    """Dots with 95% whiskers, best at the top, and the national mean as a vertical line
    (``left``: the share of the width kept for the labels)."""
    ordered = sorted(points, key=lambda p: p.value)
    figure, axes = _new(7.0, max(2.5, 0.14 * len(ordered) + 0.7), left=left)
    ys = range(len(ordered))
    for y, p in zip(ys, ordered, strict=True):
        colour = ACCENT if p.highlight else INK
        axes.plot([p.low, p.high], [y, y], color=colour, linewidth=1.2, alpha=0.8)
        axes.plot([p.value], [y], "o", color=colour, markersize=3.5 if not p.highlight else 5)
    axes.axvline(national, color=MUTED, linestyle="--", linewidth=1)
    axes.text(national, len(ordered) - 0.3, f" {mean_label} {fmt(national)}", fontsize=7)
    axes.set_yticks(list(ys), [p.label for p in ordered], fontsize=7)
    axes.set_ylim(-0.7, len(ordered) - 0.1)
    axes.xaxis.set_major_formatter(lambda x, _: fmt(x))
    axes.grid(axis="x", color="#e3e6eb", linewidth=0.6)
    return _png(figure)


def profile(
    labels: Sequence[str],
    values: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    national: Sequence[float],
    fmt: Formatter,
    names: tuple[str, str],
) -> bytes:
    """The unit's value of each element with its interval, beside the national mean (a bar)."""
    figure, axes = _new(7.5, 0.3 * len(labels) + 0.9, left=0.5)
    ys = list(range(len(labels)))[::-1]
    axes.barh(ys, national, color="#dfe4ec", height=0.6, label=names[1])
    for y, lo, hi in zip(ys, lows, highs, strict=True):
        axes.plot([lo, hi], [y, y], color=INK, linewidth=1.2)
    axes.plot(values, ys, "o", color=ACCENT, markersize=5, label=names[0])
    axes.set_yticks(ys, list(labels), fontsize=8)
    shown = _finite([*values, *lows, *national])
    axes.set_xlim(max(0.0, min(shown) - 8) if shown else 0, 100)
    axes.xaxis.set_major_formatter(lambda x, _: fmt(x))
    axes.legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False)
    return _png(figure)


def trend(
    years: Sequence[int],
    series: Sequence[tuple[str, Sequence[float], Sequence[float], Sequence[float]]],
    fmt: Formatter,
) -> bytes:
    """Lines over the years, each (name, values, lows, highs); the first is the unit, drawn bold."""
    figure, axes = _new(6.0, 2.6, left=0.1)
    for i, (name, values, lows, highs) in enumerate(series):
        colour = ACCENT if i == 0 else MUTED
        axes.plot(years, values, marker="o", color=colour, linewidth=2 if i == 0 else 1, label=name)
        if i == 0:
            axes.fill_between(years, lows, highs, color=colour, alpha=0.12, linewidth=0)
        for x, v in zip(years, values, strict=True):
            if isinstance(v, float) and math.isfinite(v):
                axes.annotate(
                    fmt(v),
                    (x, v),
                    textcoords="offset points",
                    xytext=(0, 6),
                    ha="center",
                    fontsize=7,
                    color=colour,
                )
    axes.set_xticks(list(years), [str(y) for y in years])
    axes.yaxis.set_major_formatter(lambda x, _: fmt(x))
    axes.legend(fontsize=7, frameon=False)
    return _png(figure)


# The tile map is drawn at the size it is printed (``figure.map img`` in the templates' style is
# MAP_WIDTH inches wide), so that a font size here is the size on paper.
MAP_WIDTH = 7.0  # inches: the width of an A4 page between the report's margins
MAP_HEIGHT = 9.0  # inches at most: a page with its heading and caption
MAP_DPI = 200
MAP_FONT = 8.0  # points: the smallest text on the map
_KEY = 0.55  # inches at the bottom: the colour scale and the highlighted province's key
_GAP = 0.03  # of a tile, on each side


def tile_map(
    layout: Sequence[tuple[str, int, int]],
    values: dict[str, float],
    names: dict[str, str],
    fmt: Formatter,
    highlight: str | None = None,
    highlight_label: str | None = None,
) -> bytes:
    """Every province as a tile on its (row, col), coloured by its value (PNG, printed size)."""
    figure = tile_figure(layout, values, names, fmt, highlight, highlight_label)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=MAP_DPI)
    return buffer.getvalue()


def tile_figure(
    layout: Sequence[tuple[str, int, int]],
    values: dict[str, float],
    names: dict[str, str],
    fmt: Formatter,
    highlight: str | None = None,
    highlight_label: str | None = None,
) -> Figure:
    """The tile map as a figure of MAP_WIDTH inches: each tile its name and value in MAP_FONT
    points at least, ``highlight`` outlined in the accent colour with a key saying
    ``highlight_label``, and the colour scale below."""
    rows = max(r for _, r, _ in layout) + 1
    cols = max(c for _, _, c in layout) + 1
    tile_w = MAP_WIDTH / cols
    tile_h = min(tile_w, (MAP_HEIGHT - _KEY) / rows)
    height = tile_h * rows + _KEY
    figure = Figure(figsize=(MAP_WIDTH, height))
    axes = figure.add_axes((0.0, _KEY / height, 1.0, 1.0 - _KEY / height))
    axes.set_axis_off()
    axes.set_xlim(0, cols)
    axes.set_ylim(0, rows)
    shown = _finite(list(values.values()))
    low, high = (min(shown), max(shown)) if shown else (0.0, 100.0)
    cmap = colormaps["YlGnBu"]
    room = (1 - 2 * _GAP) * tile_w * 72 - 4  # points across a tile, less a small margin
    renderer = FigureCanvasAgg(figure).get_renderer()  # type: ignore[no-untyped-call]
    for code, row, col in layout:
        value = values.get(code, math.nan)
        known = math.isfinite(value)
        shade = (value - low) / (high - low) if known and high > low else 0.5
        face = cmap(0.15 + 0.75 * shade) if known else "#eeeeee"
        own = code == highlight
        y = rows - 1 - row
        axes.add_patch(
            Rectangle(
                (col + _GAP, y + _GAP),
                1 - 2 * _GAP,
                1 - 2 * _GAP,
                facecolor=face,
                edgecolor=ACCENT if own else "white",
                linewidth=3.0 if own else 1.0,
                zorder=3 if own else 2,
                gid=f"tile-{code}",
            )
        )
        ink = "white" if known and shade > 0.55 else INK
        name = names.get(code, code)
        label = axes.text(col + 0.5, y + 0.5, name, fontsize=MAP_FONT, color=ink, zorder=4)
        if label.get_window_extent(renderer).width * 72 / figure.dpi > room:
            label.set_text(two_lines(name))
        label.set_text(label.get_text() + "\n" + (fmt(value) if known else "–"))
        label.set_horizontalalignment("center")
        label.set_verticalalignment("center")
        label.set_linespacing(1.05)
        label.set_fontweight("bold" if own else "normal")
    bar = figure.add_axes((0.06, 0.28 * _KEY / height, 0.4, 0.22 * _KEY / height))
    gradient = [[0.15 + 0.75 * i / 99 for i in range(100)]]
    bar.imshow(gradient, aspect="auto", cmap=cmap, vmin=0, vmax=1, extent=(low, high, 0, 1))
    bar.set_yticks([])
    bar.tick_params(labelsize=MAP_FONT, length=2, pad=1)
    bar.xaxis.set_major_locator(MaxNLocator(5))
    bar.xaxis.set_major_formatter(lambda x, _: fmt(x))
    if highlight is not None and highlight_label:
        key = Rectangle((0, 0), 1, 1, facecolor="white", edgecolor=ACCENT, linewidth=3.0)
        figure.legend(
            [key],
            [highlight_label],
            loc="center left",
            bbox_to_anchor=(0.52, 0.55 * _KEY / height),
            fontsize=MAP_FONT,
            frameon=False,
            handlelength=1.6,
        )
    return figure


@dataclass(frozen=True)
class QuadrantPoint:
    """One part of the index: performance with its interval against importance with its own."""

    label: str
    performance: float
    performance_low: float
    performance_high: float
    importance: float
    importance_se: float
    highlight: bool = False  # "improve first"


def quadrant(
    points: Sequence[QuadrantPoint],
    lines: tuple[float, float],
    fmt: Formatter,
    axis_names: tuple[str, str],
    first_label: str,
) -> bytes:
    """Importance (x) against performance (y) with both intervals and ``lines`` (the medians)
    as the quadrant lines; the "improve first" corner (important, below the median) in the accent."""
    figure, axes = _new(6.5, 4.6, left=0.12)
    if not points:
        return _png(figure)
    x_mid, y_mid = lines  # the medians the core placed the points by
    for p in points:
        colour = ACCENT if p.highlight else INK
        axes.plot([p.importance, p.importance], [p.performance_low, p.performance_high],
                  color=colour, linewidth=1, alpha=0.7)  # fmt: skip
        half = 1.959963984540054 * p.importance_se
        axes.plot([p.importance - half, p.importance + half], [p.performance, p.performance],
                  color=colour, linewidth=1, alpha=0.7)  # fmt: skip
        axes.plot([p.importance], [p.performance], "o", color=colour, markersize=5)
        axes.annotate(p.label, (p.importance, p.performance), textcoords="offset points",
                      xytext=(5, 4), fontsize=7, color=colour)  # fmt: skip
    axes.axvline(x_mid, color=MUTED, linestyle="--", linewidth=0.8)
    axes.axhline(y_mid, color=MUTED, linestyle="--", linewidth=0.8)
    axes.text(0.99, 0.01, first_label, transform=axes.transAxes, ha="right", va="bottom",
              fontsize=8, color=ACCENT)  # fmt: skip
    axes.set_xlabel(axis_names[0], fontsize=8)
    axes.set_ylabel(axis_names[1], fontsize=8)
    axes.xaxis.set_major_formatter(lambda x, _: fmt(x))
    axes.yaxis.set_major_formatter(lambda x, _: fmt(x))
    axes.grid(color="#e3e6eb", linewidth=0.6)
    return _png(figure)


@dataclass(frozen=True)
class RankRange:
    """A unit's rank under the nominal method, its range over method choices and over samples."""

    label: str
    rank: float
    method_low: float
    method_high: float
    sampling_low: float | None
    sampling_high: float | None


def rank_ranges(ranges: Sequence[RankRange], names: tuple[str, str]) -> bytes:
    """Each unit's nominal rank (a dot), the 5–95% range of its rank over method choices (thick,
    accent) and its sampling rank interval (thin, ink) just below: which part of a rank's
    uncertainty comes from method and which from sampling."""
    ordered = sorted(ranges, key=lambda r: -r.rank)
    figure, axes = _new(7.0, max(2.5, 0.16 * len(ordered) + 0.9), left=0.22)
    for y, r in enumerate(ordered):
        axes.plot([r.method_low, r.method_high], [y + 0.12, y + 0.12], color=ACCENT,
                  linewidth=3, alpha=0.6, label=names[0] if y == 0 else None)  # fmt: skip
        if r.sampling_low is not None and r.sampling_high is not None:
            axes.plot([r.sampling_low, r.sampling_high], [y - 0.12, y - 0.12], color=INK,
                      linewidth=1.2, label=names[1] if y == 0 else None)  # fmt: skip
        axes.plot([r.rank], [y], "o", color=INK, markersize=3.5)
    axes.set_yticks(range(len(ordered)), [r.label for r in ordered], fontsize=7)
    axes.set_ylim(-0.7, len(ordered) - 0.3)
    axes.invert_xaxis()  # rank 1 on the right
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="x", color="#e3e6eb", linewidth=0.6)
    axes.legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False)
    return _png(figure)
