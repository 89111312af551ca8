"""PAR INDEX scoring, pure: leaf rubrics, the campaign engine, publication rounding, Excel sheets."""

from sipas.par.engine import ParResults, change, compute, group_of
from sipas.par.publish import round_half_up
from sipas.par.rubrics import check_points, points_from_value

__all__ = [
    "ParResults",
    "change",
    "check_points",
    "compute",
    "group_of",
    "points_from_value",
    "round_half_up",
]
