"""Published results as data: what the ministry (or a report of it) said, kept as it was said.

A published result is one unit's figure for one index and year: its value (``None`` when the
source did not give it — missing, never 0), the rank as published (kept even where the value is
unknown, ties as published), its group, optional sub-values by node (PAR areas, SIPAS
sub-indices and elements), the change and rank change where the source gave them, the source
and a note. Two reports that disagree are both kept, each with its own ``report`` label.

The rules over a table live here once: the competition ranking a set of values implies, the
groups by fixed thresholds, the mean of the units that have a value (labelled incomplete when
some have none), and the change and rank change on the previous year.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sipas.messages import Phrase

NATIONAL = "national"  # the published mean of the provinces
MINISTRIES = "ministries"  # the published mean of the ministries and ministerial agencies
AGGREGATES = (NATIONAL, MINISTRIES)
TOTAL = ""  # the node of the index itself; sub-values carry a node code
KNOWN_INDICES = ("sipas", "par", "service-766")
# PAR INDEX groups by fixed thresholds (PAR methodology): A ≥ 90, B 80–<90, C 70–<80, D below.
PAR_GROUPS = ((90.0, "A"), (80.0, "B"), (70.0, "C"), (-math.inf, "D"))


@dataclass(frozen=True)
class Published:
    """One published figure: a unit's index (``node == ""``) or one of its sub-values."""

    index: str
    year: int
    unit: str  # province code, ministry code, or one of AGGREGATES
    value: float | None
    rank: int | None = None
    group: str | None = None
    node: str = TOTAL
    change: float | None = None  # as published (points on the previous year)
    rank_change: int | None = None  # as published: + up, − down
    source: str = ""
    note: str = ""
    report: str = ""  # a label telling apart reports that disagree ("" when only one)
    origin: str = "builtin"  # builtin | the imported file's name

    @property
    def key(self) -> tuple[str, int, str, str, str, str]:
        return (self.index, self.year, self.unit, self.node, self.report, self.origin)


def unit_kind(unit: str) -> str:
    """province | ministry | aggregate, from the unit code alone (province codes are digits)."""
    if unit in AGGREGATES:
        return "aggregate"
    return "province" if unit.isdigit() else "ministry"


def year_day(year: int) -> date:
    """The day on which a year's units are looked up: its last day (2025 results are on the 34)."""
    return date(year, 12, 31)


def implied_ranks(values: Sequence[float | None]) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) of the values, highest first; ``None`` stays unranked."""
    known = [v for v in values if v is not None]
    return [None if v is None else 1 + sum(1 for w in known if w > v) for v in values]


def rank_contradictions(
    values: Sequence[float | None], ranks: Sequence[int | None]
) -> list[tuple[int, int]]:
    """Pairs (i, j) where unit i has a higher value than unit j but not a better rank.

    Equal (rounded) values may carry different ranks: the ministry ranks on unrounded totals."""
    found = []
    pairs = [(i, v, r) for i, (v, r) in enumerate(zip(values, ranks, strict=True))]
    known = [(i, v, r) for i, v, r in pairs if v is not None and r is not None]
    for i, vi, ri in known:
        for j, vj, rj in known:
            if vi > vj and ri >= rj:
                found.append((i, j))
    return found


def par_group(value: float | None) -> str | None:
    if value is None:
        return None
    for threshold, name in PAR_GROUPS:
        if value >= threshold:
            return name
    return None


def rank_change_phrase(change: int | None) -> Phrase | None:
    """ "tăng 1 bậc" / "up 1 place", "giảm 3 bậc", "giữ nguyên thứ hạng"."""
    if change is None:
        return None
    if change == 1:
        return Phrase("published.rank_up_one")
    if change == -1:
        return Phrase("published.rank_down_one")
    if change > 0:
        return Phrase("published.rank_up", n=change)
    if change < 0:
        return Phrase("published.rank_down", n=-change)
    return Phrase("published.rank_same")


@dataclass(frozen=True)
class Summary:
    """What a table of unit totals says when computed: never averaged over missing units."""

    units: int  # units in the table
    with_value: int
    expected: int | None  # units that exist that year (63, 34, or the ministries)
    mean: float | None  # of the units with a value
    complete: bool  # every expected unit has a value
    groups: dict[str, int] = field(default_factory=dict)
    above_80: int = 0
    tied_ranks: list[int] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "computed" if self.complete else "computed from an incomplete table"


def summarise(totals: Iterable[Published], expected: int | None, index: str) -> Summary:
    rows = list(totals)
    values = [r.value for r in rows if r.value is not None]
    mean = round(sum(values) / len(values), 2) if values else None
    groups: dict[str, int] = {}
    for r in rows:
        group = r.group or (par_group(r.value) if index == "par" else None)
        if group:
            groups[group] = groups.get(group, 0) + 1
    ranks = [r.rank for r in rows if r.rank is not None]
    ties = sorted({k for k in ranks if ranks.count(k) > 1})
    return Summary(
        units=len(rows),
        with_value=len(values),
        expected=expected,
        mean=mean,
        complete=expected is not None and len(values) == expected,
        groups=dict(sorted(groups.items())),
        above_80=sum(1 for v in values if v >= 80.0),
        tied_ranks=ties,
    )


def changes_on(
    current: Published, previous: Published | None
) -> tuple[float | None, str | None, int | None, str | None]:
    """(change, where from, rank change, where from): as published where the source gave it,
    else computed from the previous year's published figures when both are known."""
    change, change_from = current.change, "published" if current.change is not None else None
    moved, moved_from = (
        current.rank_change,
        "published" if current.rank_change is not None else None,
    )
    if previous is not None:
        if change is None and current.value is not None and previous.value is not None:
            change, change_from = round(current.value - previous.value, 2), "computed"
        if moved is None and current.rank is not None and previous.rank is not None:
            moved, moved_from = previous.rank - current.rank, "computed"
    return change, change_from, moved, moved_from


def as_record(item: Published) -> dict[str, Any]:
    return {
        "index": item.index,
        "year": item.year,
        "unit": item.unit,
        "node": item.node,
        "value": item.value,
        "rank": item.rank,
        "group": item.group,
        "change": item.change,
        "rank_change": item.rank_change,
        "source": item.source,
        "note": item.note,
        "report": item.report,
    }
