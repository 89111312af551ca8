"""The tile grid of the provinces (one square per province, placed roughly where it lies), the
same grid the reports draw, for callers that may not import the reports layer (the web app)."""

from __future__ import annotations

from typing import TypedDict

from sipas.geo import REFORM_DAY
from sipas.reports.figures import tile_layout as _reports_layout


class Tile(TypedDict):
    """A province's square on the tile grid: its code, row and column."""

    code: str
    row: int
    col: int


def tile_layout(geography: str) -> list[Tile]:
    """``code``, ``row`` and ``col`` of every province on the grid of the 63 or the 34."""
    return [{"code": c, "row": r, "col": k} for c, r, k in _reports_layout(geography)]


def geography_of_year(year: int) -> str:
    """The provinces a year's yearly results stand on: the 63 before the 2025 reform, then the 34
    (as the public PAR INDEX views name their provinces)."""
    return "63" if year < REFORM_DAY.year else "34"
