"""Administrative geography of Viet Nam over time: provinces, validity dates, the 2025 crosswalk."""

from sipas.geo.names import closest_names, match_province, name_key
from sipas.geo.units import (
    LAST_DAY_OF_63,
    REFORM_DAY,
    Province,
    all_provinces,
    by_key,
    crosswalk,
    geography_on,
    members_of,
    partners_of,
    province,
    provinces_on,
    successor_of,
)

__all__ = [
    "LAST_DAY_OF_63",
    "REFORM_DAY",
    "Province",
    "all_provinces",
    "by_key",
    "closest_names",
    "crosswalk",
    "geography_on",
    "match_province",
    "members_of",
    "name_key",
    "partners_of",
    "province",
    "provinces_on",
    "successor_of",
]
