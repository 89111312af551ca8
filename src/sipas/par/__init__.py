"""PAR INDEX scoring, pure: leaf rubrics, the campaign engine, publication rounding, Excel sheets."""

from sipas.par.engine import ParResults, area_summaries, change, compute, group_of
from sipas.par.publish import round_half_up
from sipas.par.rubrics import check_points, points_from_value

__all__ = [
    "ParResults",
    "area_summaries",
    "change",
    "check_points",
    "compute",
    "group_of",
    "points_from_value",
    "round_half_up",
]
