"""The national PAR INDEX report's data: a final campaign's results as the engine computed them
(:func:`sipas.api.par.results`: ranks with their ties, groups, change on the previous round, each
area's best units and mean), arranged for reading, with the framework's names for areas. Nothing
here computes a rank, a group or a mean.
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from sipas.api.par import results
from sipas.api.par.campaigns import open_campaign
from sipas.reports.format import text
from sipas.store import Database


class RankedUnit(TypedDict):
    """A unit in the national ranking: rank, points, bonus, penalty, total, index, group, change
    on the previous round, and its area indices in the framework's order (``area_names``)."""

    rank: int | None
    unit: str
    name: str
    points: float | None
    bonus: float | None
    penalty: float | None
    total: float | None
    index: float | None
    group: str | None
    change: float | None
    rank_change: int | None
    complete: bool
    areas: list[float | None]


class UnitName(TypedDict):
    """A unit's code and name."""

    unit: str
    name: str


class AreaSummary(TypedDict):
    """An area nationally: its maximum, the units' mean points and index, and the best units."""

    name: str
    max: float
    mean_points: float | None
    mean_index: float | None
    best: list[UnitName]
    best_points: float | None
    best_index: float | None


class GroupCount(TypedDict):
    """A group of the framework, its label and the units in it."""

    code: str
    label: str
    count: int


class ParNationalDocument(TypedDict):
    """Everything the national PAR INDEX report shows: the ranking of every unit, the groups and
    each area, with the campaign's identity."""

    kind: str  # "par_national"
    lang: str
    year: int
    campaign: str
    description: str
    framework: str
    index_name: str
    prepared: date
    synthetic: bool
    derived: bool
    run: None
    previous: str | None
    mean_index: float | None
    groups: list[GroupCount]
    ungrouped: int
    area_names: list[str]
    units: list[RankedUnit]
    areas: list[AreaSummary]


def par_national_document(
    db: Database, campaign: str, *, lang: str = "vi", prepared: date | None = None
) -> ParNationalDocument:
    """The final campaign's national results: ranking of every unit, groups, and each area."""
    found = results(db, campaign)  # refuses a campaign that is not final
    with db.engine.connect() as connection:
        opened = open_campaign(connection, campaign)
    framework = opened.framework
    names = {u["unit"]: u["name"] for u in found["units"]}
    areas = framework.scored_nodes()
    units: list[RankedUnit] = [
        {
            "rank": u["rank"],
            "unit": u["unit"],
            "name": u["name"],
            "points": u["points"],
            "bonus": u["bonus"],
            "penalty": u["penalty"],
            "total": u["total"],
            "index": u["index"],
            "group": u["group"],
            "change": u["change"],
            "rank_change": u["rank_change"],
            "complete": u["complete"],
            "areas": [u[f"area_{a.code}"] for a in areas],
        }
        for u in found["units"]
    ]
    summaries: list[AreaSummary] = [
        {
            "name": text(a["name"], lang),
            "max": a["max"],
            "mean_points": a["mean_points"],
            "mean_index": a["mean_index"],
            "best": [{"unit": code, "name": names[code]} for code in a["best"]],
            "best_points": a["best_points"],
            "best_index": a["best_index"],
        }
        for a in found["areas"]
    ]
    national = found["national"]
    return {
        "kind": "par_national",
        "lang": lang,
        "year": found["year"],
        "campaign": found["campaign"],
        "description": opened.row["description"] or "",
        "framework": found["framework"],
        "index_name": text({"vi": framework.title.vi, "en": framework.title.en}, lang),
        "prepared": prepared or date.today(),
        "synthetic": found["synthetic"],
        "derived": False,
        "run": None,
        "previous": found["previous"],
        "mean_index": national["mean_index"],
        "groups": [
            {
                "code": g.code,
                "label": text({"vi": g.label.vi, "en": g.label.en}, lang) if g.label else g.code,
                "count": national["group_counts"].get(g.code, 0),
            }
            for g in framework.groups
        ],
        "ungrouped": national["group_counts"].get("none", 0),
        "area_names": [text({"vi": a.name.vi, "en": a.name.en}, lang) for a in areas],
        "units": units,
        "areas": summaries,
    }
