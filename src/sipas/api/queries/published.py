"""Official published results as read by every caller: list, show, export, history, and the
figures the public pages and reports put beside our estimates (the import is a command:
:mod:`sipas.api.published`).

The built-in public figures (package data) and the imported tables (the database) are read
together; each figure says where it comes from (``origin``: builtin or the file's name) and,
where reports disagree, which report it is. Nothing is averaged over missing units: the mean of a
table is taken over the units with a value and labelled incomplete when some have none; the
published mean is shown as published, beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict, cast

from sipas.errors import SipasError
from sipas.geo import members_of, province, provinces_on
from sipas.published import (
    AGGREGATES,
    MINISTRIES,
    NATIONAL,
    TOTAL,
    Published,
    as_record,
    builtin,
    changes_on,
    rank_change_phrase,
    resolve_unit,
    summarise,
    unit_kind,
    unit_name,
    year_day,
)
from sipas.store import Database
from sipas.store import published as store


class PublishedLine(TypedDict):
    """One index, year and origin of published figures: units, and the published national mean."""

    index: str
    year: int
    origin: str
    units: int
    with_value: int
    national: float | None
    national_change: float | None


class PublishedRecord(TypedDict):
    """One published figure in the long layout the import reads back, with its origin."""

    index: str
    year: int
    unit: str
    node: str
    value: float | None
    rank: int | None
    group: str | None
    change: float | None
    rank_change: int | None
    source: str
    note: str
    report: str
    origin: str


class PublishedTableDict(TypedDict):
    """A published table as plain data (each unit, mean and computed mean as its fields)."""

    index: str
    year: int
    units: list[dict[str, Any]]
    national: list[dict[str, Any]]
    computed: list[dict[str, Any]]
    origins: list[str]


class Beside(TypedDict):
    """The published figures of a year a page puts beside our estimates, by unit code."""

    index: str
    year: int
    units: dict[str, dict[str, Any]]
    national: dict[str, Any] | None
    computed: list[dict[str, Any]]
    ministries: list[dict[str, Any]]
    mean_of_ministries: dict[str, Any] | None


class HistoryPoint(TypedDict):
    """A unit's published index in one year and report."""

    year: int
    value: float | None
    rank: int | None
    source: str
    report: str
    origin: str


class BesideRow(TypedDict):
    """The part of a unit's published figure a ranking row shows beside our estimate."""

    value: float | None
    rank: int | None
    rank_change: int | None
    rank_change_text: dict[str, str] | None
    change: float | None
    group: str | None
    source: str
    report: str
    origin: str


@dataclass(frozen=True)
class Figure:
    """One unit's published index for a year, with its sub-values and its change."""

    index: str
    year: int
    unit: str
    unit_kind: str  # province | ministry
    name: str
    value: float | None
    rank: int | None
    group: str | None
    change: float | None
    change_from: str | None  # published | computed (from the previous year's figures)
    rank_change: int | None
    rank_change_from: str | None
    rank_change_text: dict[str, str] | None  # {"vi": "tăng 1 bậc", "en": "up 1 places"}
    previous_value: float | None
    previous_rank: int | None
    source: str
    note: str
    report: str
    origin: str
    sub_values: dict[str, float | None] = field(default_factory=dict)
    predecessors: list[dict[str, Any]] = field(default_factory=list)  # across the 2025 merger


@dataclass(frozen=True)
class Aggregate:
    """A published mean (of the provinces or of the ministries), shown as published."""

    unit: str  # national | ministries
    node: str
    value: float | None
    change: float | None
    change_from: str | None
    source: str
    note: str
    report: str
    origin: str
    label: str = "published"


@dataclass(frozen=True)
class ComputedMean:
    """The mean of the units of a table that have a value: never over missing units."""

    kind: str  # province | ministry
    value: float | None
    units: int
    with_value: int
    expected: int | None
    complete: bool
    label: str  # "computed" | "computed from an incomplete table"
    groups: dict[str, int]
    above_80: int
    tied_ranks: list[int]


@dataclass(frozen=True)
class PublishedTable:
    index: str
    year: int
    units: list[Figure]
    national: list[Aggregate]
    computed: list[ComputedMean]
    origins: list[str]

    def to_dict(self) -> PublishedTableDict:
        return cast(PublishedTableDict, asdict(self))


def _normal(index: str) -> str:
    return index.strip().lower()


def _stored(db: Database, index: str | None, year: int | None) -> list[Published]:
    with db.engine.connect() as connection:
        rows = store.load_published(connection, index, year)
    return [
        Published(
            index=r["index_id"],
            year=r["year"],
            unit=r["unit"],
            node=r["node"],
            value=r["value"],
            rank=r["rank"],
            group=r["group_name"],
            change=r["change"],
            rank_change=r["rank_change"],
            source=r["source"],
            note=r["note"],
            report=r["report"],
            origin=r["origin"],
        )
        for r in rows
    ]


def figures(db: Database, index: str | None = None, year: int | None = None) -> list[Published]:
    """Every published figure, built-in and imported, optionally of one index and year."""
    wanted = _normal(index) if index else None
    shipped = [
        f
        for f in builtin()
        if (wanted is None or f.index == wanted) and (year is None or f.year == year)
    ]
    return shipped + _stored(db, wanted, year)


def list_published(db: Database) -> list[PublishedLine]:
    """One line per index, year and origin: how many units, the published national mean."""
    lines: dict[tuple[str, int, str], PublishedLine] = {}
    for f in figures(db):
        key = (f.index, f.year, f.origin)
        line = lines.setdefault(
            key,
            {
                "index": f.index,
                "year": f.year,
                "origin": f.origin,
                "units": 0,
                "with_value": 0,
                "national": None,
                "national_change": None,
            },
        )
        if f.node != TOTAL:
            continue
        if f.unit == NATIONAL and line["national"] is None:
            line["national"], line["national_change"] = f.value, f.change
        elif f.unit not in AGGREGATES:
            line["units"] += 1
            line["with_value"] += f.value is not None
    return sorted(lines.values(), key=lambda r: (r["index"], -r["year"], r["origin"]))


def _expected(kind: str, year: int) -> int | None:
    return len(provinces_on(year_day(year))) if kind == "province" else None


def _predecessors(unit: str, year: int, earlier: dict[str, Published]) -> list[dict[str, Any]]:
    """The 63-era provinces a 34-era province was formed from, with their published figures of
    the previous year, labelled: published values are not re-aggregated."""
    if not unit.isdigit():
        return []
    try:
        members = members_of(province(unit, year_day(year)))
    except (SipasError, KeyError, ValueError):
        return []
    found = []
    for member in members:
        before = earlier.get(member.code)
        found.append(
            {
                "unit": member.code,
                "name": member.name,
                "year": year - 1,
                "value": None if before is None else before.value,
                "rank": None if before is None else before.rank,
                "label": "predecessor province (not re-aggregated)",
            }
        )
    return found


def _same_territory(unit: str, year: int) -> bool:
    """The unit code names the same unit in ``year`` and the year before."""
    if not unit.isdigit():
        return True
    try:
        now = province(unit, year_day(year))
        before = province(unit, year_day(year - 1))
    except SipasError:
        return False
    return now.key == before.key


def show(db: Database, index: str, year: int, unit: str | None = None) -> PublishedTable:
    """A published table: every unit's figure (or one unit's), the published means as published,
    and the means computed from the table's values, labelled."""
    index = _normal(index)
    items = figures(db, index, year)
    if not items:
        if not any(f.index == index for f in figures(db, index)):
            raise SipasError("published.unknown_index", index=index)
        raise SipasError("published.no_results", index=index, year=year)
    wanted = resolve_unit(unit, year) if unit else None
    earlier = {
        f.unit: f
        for f in reversed(figures(db, index, year - 1))
        if f.node == TOTAL and not f.report
    }
    subs: dict[tuple[str, str, str], dict[str, float | None]] = {}
    for f in items:
        if f.node != TOTAL:
            subs.setdefault((f.unit, f.report, f.origin), {})[f.node] = f.value
    units: list[Figure] = []
    national: list[Aggregate] = []
    for f in items:
        if f.unit in AGGREGATES:
            if wanted is None or f.node == TOTAL:
                change, change_from, _, _ = changes_on(f, earlier.get(f.unit))
                national.append(
                    Aggregate(
                        f.unit,
                        f.node,
                        f.value,
                        change,
                        change_from,
                        f.source,
                        f.note,
                        f.report,
                        f.origin,
                    )
                )
            continue
        if f.node != TOTAL or (wanted is not None and f.unit != wanted):
            continue
        # Across the 2025 merger a code may name another territory: no change is computed then.
        previous = earlier.get(f.unit) if _same_territory(f.unit, year) else None
        change, change_from, moved, moved_from = changes_on(f, previous)
        phrase = rank_change_phrase(moved)
        units.append(
            Figure(
                index=f.index,
                year=f.year,
                unit=f.unit,
                unit_kind=unit_kind(f.unit),
                name=unit_name(f.unit, year),
                value=f.value,
                rank=f.rank,
                group=f.group,
                change=change,
                change_from=change_from,
                rank_change=moved,
                rank_change_from=moved_from,
                rank_change_text=None
                if phrase is None
                else {"vi": phrase.render("vi"), "en": phrase.render("en")},
                previous_value=None if previous is None else previous.value,
                previous_rank=None if previous is None else previous.rank,
                source=f.source,
                note=f.note,
                report=f.report,
                origin=f.origin,
                sub_values=subs.get((f.unit, f.report, f.origin), {}),
                predecessors=_predecessors(f.unit, year, earlier) if year >= 2025 else [],
            )
        )
    if wanted is not None and not units:
        raise SipasError("published.no_results", index=index, year=year)
    units.sort(
        key=lambda u: (
            u.unit_kind != "province",
            u.rank is None,
            u.rank or 0,
            -(u.value or 0),
            u.unit,
        )
    )
    computed = []
    for kind in ("province", "ministry"):
        # One figure per unit for the mean: the first report of each (built-in, then imported
        # files; a unit imported from a file replaces its built-in figure here).
        chosen: dict[str, Published] = {}
        for f in items:
            mine = f.node == TOTAL and unit_kind(f.unit) == kind and not f.report
            if mine and (f.unit not in chosen or chosen[f.unit].origin == "builtin"):
                chosen[f.unit] = f
        if not chosen:
            continue
        summary = summarise(chosen.values(), _expected(kind, year), index)
        computed.append(
            ComputedMean(
                kind=kind,
                value=summary.mean,
                units=summary.units,
                with_value=summary.with_value,
                expected=summary.expected,
                complete=summary.complete,
                label=summary.label,
                groups=summary.groups,
                above_80=summary.above_80,
                tied_ranks=summary.tied_ranks,
            )
        )
    return PublishedTable(
        index=index,
        year=year,
        units=units,
        national=national,
        computed=computed,
        origins=sorted({f.origin for f in items}),
    )


def export(
    db: Database, index: str | None = None, year: int | None = None
) -> list[PublishedRecord]:
    """Every figure in the long layout that ``import_file`` reads back (plus its origin)."""
    return [
        cast(PublishedRecord, {**as_record(f), "origin": f.origin})
        for f in figures(db, index, year)
    ]


def beside(db: Database, index: str, year: int) -> Beside | None:
    """What a public page shows beside our estimates: the published figures of the year by unit
    code, and the published national mean; None when nothing is published for that year."""
    try:
        table = show(db, index, year)
    except SipasError:
        return None
    by_unit: dict[str, dict[str, Any]] = {}
    for u in table.units:
        by_unit.setdefault(u.unit, asdict(u))
    nationals = [a for a in table.national if a.unit == NATIONAL and a.node == TOTAL]
    return {
        "index": index,
        "year": year,
        "units": by_unit,
        "national": asdict(nationals[0]) if nationals else None,
        "computed": [asdict(c) for c in table.computed],
        "ministries": [asdict(u) for u in table.units if u.unit_kind == "ministry"],
        "mean_of_ministries": next(
            (asdict(a) for a in table.national if a.unit == MINISTRIES and a.node == TOTAL), None
        ),
    }


def history(db: Database, index: str, unit: str) -> list[HistoryPoint]:
    """A unit's published index year by year (every report), oldest first."""
    index = _normal(index)
    found: list[HistoryPoint] = [
        {
            "year": f.year,
            "value": f.value,
            "rank": f.rank,
            "source": f.source,
            "report": f.report,
            "origin": f.origin,
        }
        for f in figures(db, index)
        if f.unit == unit and f.node == TOTAL
    ]
    return sorted(found, key=lambda r: (r["year"], r["origin"] != "builtin", r["report"]))


def beside_row(found: Mapping[str, Any] | None) -> BesideRow | None:
    """The part of a unit's published figure a ranking row shows beside our estimate."""
    if found is None:
        return None
    return {
        "value": found["value"],
        "rank": found["rank"],
        "rank_change": found["rank_change"],
        "rank_change_text": found["rank_change_text"],
        "change": found["change"],
        "group": found["group"],
        "source": found["source"],
        "report": found["report"],
        "origin": found["origin"],
    }
