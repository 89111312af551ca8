"""Official published results (the ministry's tables, and reports of them) as data.

Pure: readers of the ministry's annex layout and of a long CSV, the units a result may name
(provinces on the year's date, the ministries the PAR INDEX ranks), the rules over a table
(ranks implied by values, groups, a mean never taken over missing units, change and rank change)
and the built-in public figures with their sources.
"""

from sipas.published.builtin import BUILTIN, builtin
from sipas.published.model import (
    AGGREGATES,
    MINISTRIES,
    NATIONAL,
    TOTAL,
    Published,
    Summary,
    as_record,
    changes_on,
    implied_ranks,
    par_group,
    rank_change_phrase,
    rank_contradictions,
    summarise,
    unit_kind,
    year_day,
)
from sipas.published.problems import Problem
from sipas.published.readers import ReadResult, read_file, with_source
from sipas.published.units import Ministry, ministries, ministries_on, resolve_unit, unit_name

__all__ = [
    "AGGREGATES",
    "BUILTIN",
    "MINISTRIES",
    "NATIONAL",
    "TOTAL",
    "Ministry",
    "Problem",
    "Published",
    "ReadResult",
    "Summary",
    "as_record",
    "builtin",
    "changes_on",
    "implied_ranks",
    "ministries",
    "ministries_on",
    "par_group",
    "rank_change_phrase",
    "rank_contradictions",
    "read_file",
    "resolve_unit",
    "summarise",
    "unit_kind",
    "unit_name",
    "with_source",
    "year_day",
]
