"""Reading PAR campaigns: a unit's score sheet, the audit trail, and results recomputed from scores."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, cast

import pandas as pd
from sqlalchemy import Connection

from sipas.api.par.access import check_may_write, ensure_may_read, may_read, writable_stage
from sipas.api.par.campaigns import ENTITY, Actor, Campaign, open_campaign
from sipas.errors import SipasError
from sipas.frameworks.model import Method, ParNode
from sipas.par import ParResults, area_summaries, change, compute, round_half_up
from sipas.store import Database, audit
from sipas.store import par as store


class UnitListed(TypedDict):
    """A campaign's unit: code, name, kind, province, and when and by whom it was locked."""

    unit_code: str
    name: str
    kind: str
    province_code: str | None
    locked_at: datetime | None
    locked_by: str | None


class ScoreSheetRow(TypedDict):
    """One leaf of a unit's score sheet: its points at each stage and the appraisal's reason."""

    node: str
    name: str
    max: float | None
    self: float | None
    appraisal1: float | None
    explanation: float | None
    appraisal2: float | None
    final: float | None
    survey: float | None
    reason: str | None


class LeafNote(TypedDict):
    """A note or reason written on a leaf at one stage, and by whom."""

    stage: str
    note: str | None
    reason: str | None
    actor: str


class SavedScore(TypedDict):
    """The actor's own stored score of a leaf at the stage they may write (a form's values)."""

    points: float | None
    applicable: bool
    note: str | None
    reason: str | None


class LeafEvidence(TypedDict):
    """An evidence file attached to a leaf (without its content)."""

    id: int
    filename: str
    size: int
    sha256: str
    uploaded_by: str


class UnitEvidence(TypedDict):
    """An evidence file of a unit, with the leaf it belongs to."""

    id: int
    node_code: str
    filename: str
    size: int
    sha256: str
    uploaded_by: str


class WorkspaceLeaf(TypedDict):
    """A leaf on a unit's workspace page: its scores, notes, evidence and whether it is writable."""

    node: str
    name: str
    max: float | None
    survey: bool
    may_be_not_applicable: bool
    points: dict[str, float | None]  # by stage (SCORE_STAGES)
    notes: list[LeafNote]
    saved: SavedScore | None
    evidence: list[LeafEvidence]
    writable: bool


class WorkspaceArea(TypedDict):
    """An area (top-level node) on a unit's workspace page, with its leaves."""

    code: str
    name: str
    max: float | None
    role: str
    leaves: list[WorkspaceLeaf]
    writable: bool


class WorkspaceCampaign(TypedDict):
    """The campaign as a unit's workspace page names it."""

    code: str
    title: str
    year: int
    stage: str
    deadline: datetime | None


class WorkspaceUnit(TypedDict):
    """The unit as its workspace page names it, with its lock."""

    code: str
    name: str
    locked_at: datetime | None
    locked_by: str | None


class UnitWorkspace(TypedDict):
    """A unit's workspace page: campaign, unit, the stage this actor may write, areas, evidence."""

    campaign: WorkspaceCampaign
    unit: WorkspaceUnit
    writable_stage: str | None
    areas: list[WorkspaceArea]
    evidence: list[UnitEvidence]


class LeafChange(TypedDict):
    """One audited change of a leaf score: when, who, what, points before and after, why."""

    at: datetime
    actor: str
    action: str
    leaf: str
    before: float | None
    after: float | None
    reason: str | None
    note: str | None


class AreaRow(TypedDict):
    """An area's national summary: mean points and index of the units, and the best units."""

    area: str
    name: dict[str, str]  # vi and en
    max: float
    mean_points: float | None
    mean_index: float | None
    best: list[str]
    best_points: float | None
    best_index: float | None


class NodeScore(TypedDict):
    """A unit's points and index on one node (published rounding)."""

    unit: str
    node: str
    points: float | None
    max: float | None
    index: float | None


class ResultsBase(TypedDict):
    """What every view of a campaign's results carries: the campaign, its units and the rules.

    ``units`` rows carry one ``area_<code>`` column per scored area of the framework, so they
    stay plain dicts; ``national`` is the engine's summary (units, mean index, group counts)."""

    campaign: str
    framework: str
    year: int
    stage: str
    synthetic: bool
    previous: str | None
    national: dict[str, Any]
    units: list[dict[str, Any]]
    nodes: list[NodeScore]
    rules: dict[str, str]


class CampaignResults(ResultsBase):
    """A campaign's results at one stage, recomputed from stored scores, and the rules used."""

    areas: list[AreaRow]


def campaign_units(db: Database, campaign_code: str) -> list[UnitListed]:
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
    return [
        {
            "unit_code": u["unit_code"],
            "name": u["name"],
            "kind": u["kind"],
            "province_code": u["province_code"],
            "locked_at": u["locked_at"],
            "locked_by": u["locked_by"],
        }
        for u in campaign.units.values()
    ]


def can_read(db: Database, actor: Actor, campaign_code: str, unit: str) -> bool:
    with db.begin() as connection:
        return may_read(connection, actor, open_campaign(connection, campaign_code), unit)


def unit_scores(db: Database, actor: Actor, campaign_code: str, unit: str) -> list[ScoreSheetRow]:
    """Every leaf of one unit with its score at each stage (the score sheet)."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        ensure_may_read(connection, actor, campaign, unit)
        rows = store.load_scores(connection, campaign.id, unit_code=unit)
    by_leaf: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_leaf.setdefault(row["node_code"], {})[row["stage"]] = row
    sheet: list[ScoreSheetRow] = []
    for code, leaf in campaign.leaves.items():
        stages = by_leaf.get(code, {})
        entry: dict[str, Any] = {"node": code, "name": leaf.name.vi, "max": leaf.max_points}
        for stage in store.SCORE_STAGES:
            found = stages.get(stage)
            entry[stage] = found["points"] if found else None
        entry["reason"] = next(
            (stages[s]["reason"] for s in ("appraisal2", "appraisal1") if s in stages), None
        )
        sheet.append(cast(ScoreSheetRow, entry))  # one key per stage of SCORE_STAGES
    return sheet


def _area_leaves(node: ParNode) -> list[ParNode]:
    if not node.children:
        return [node]
    return [leaf for child in node.children for leaf in _area_leaves(child)]


def unit_workspace(
    db: Database, actor: Actor, campaign_code: str, unit: str, lang: str = "vi"
) -> UnitWorkspace:
    """A unit's page in the workspace: the campaign and unit by name, and every area (top-level
    node) with its leaves, their scores, notes and reasons at each stage, their evidence, and
    whether this actor may write each leaf now (the same check that refuses a write)."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        ensure_may_read(connection, actor, campaign, unit)
        rows = store.load_scores(connection, campaign.id, unit_code=unit)
        evidence = store.list_evidence(connection, campaign.id, unit)
        assignments = store.list_assignments(connection, campaign.id, actor.name)
    unit_row = campaign.unit(unit)
    stage = writable_stage(actor, campaign.stage)
    locked = unit_row["locked_at"] is not None
    by_leaf: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_leaf.setdefault(row["node_code"], {})[row["stage"]] = row
    files: dict[str, list[LeafEvidence]] = {}
    for e in evidence:
        files.setdefault(e["node_code"], []).append(
            {
                "id": e["id"],
                "filename": e["filename"],
                "size": e["size"],
                "sha256": e["sha256"],
                "uploaded_by": e["uploaded_by"],
            }
        )

    def may_write(leaf: ParNode) -> bool:
        if stage is None or (stage == "self" and (locked or leaf.method is Method.SURVEY)):
            return False
        try:
            check_may_write(actor, assignments, campaign, unit, leaf.code, stage)
        except SipasError:
            return False
        return True

    areas: list[WorkspaceArea] = []
    for top in campaign.framework.nodes:
        leaves: list[WorkspaceLeaf] = []
        for leaf in _area_leaves(top):
            stored = by_leaf.get(leaf.code, {})
            mine = stored.get(stage or "")
            leaves.append(
                {
                    "node": leaf.code,
                    "name": leaf.name.get(lang),
                    "max": leaf.max_points,
                    "survey": leaf.method is Method.SURVEY,
                    "may_be_not_applicable": leaf.may_be_not_applicable,
                    "points": {
                        s: stored[s]["points"] if s in stored else None for s in store.SCORE_STAGES
                    },
                    "notes": [
                        {
                            "stage": s,
                            "note": stored[s]["note"],
                            "reason": stored[s]["reason"],
                            "actor": stored[s]["actor"],
                        }
                        for s in store.SCORE_STAGES
                        if s in stored and (stored[s]["note"] or stored[s]["reason"])
                    ],
                    "saved": None
                    if mine is None
                    else {
                        "points": mine["points"],
                        "applicable": mine["applicable"],
                        "note": mine["note"],
                        "reason": mine["reason"],
                    },
                    "evidence": files.get(leaf.code, []),
                    "writable": may_write(leaf),
                }
            )
        areas.append(
            {
                "code": top.code,
                "name": top.name.get(lang),
                "max": top.max_points,
                "role": str(top.role),
                "leaves": leaves,
                "writable": any(leaf["writable"] for leaf in leaves),
            }
        )
    return {
        "campaign": {
            "code": campaign.code,
            "title": campaign.framework.title.get(lang),
            "year": campaign.row["year"],
            "stage": campaign.stage,
            "deadline": campaign.row["deadline"],
        },
        "unit": {
            "code": unit,
            "name": unit_row["name"],
            "locked_at": unit_row["locked_at"],
            "locked_by": unit_row["locked_by"],
        },
        "writable_stage": stage,
        "areas": areas,
        "evidence": [
            {
                "id": e["id"],
                "node_code": e["node_code"],
                "filename": e["filename"],
                "size": e["size"],
                "sha256": e["sha256"],
                "uploaded_by": e["uploaded_by"],
            }
            for e in evidence
        ],
    }


def history(
    db: Database, actor: Actor, campaign_code: str, unit: str, node: str | None = None
) -> list[LeafChange]:
    """The audit trail of a unit's leaf (or of all its leaves), oldest first."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        ensure_may_read(connection, actor, campaign, unit)
        prefix = f"{campaign.code}/{unit}/" + (f"{node}/" if node else "")
        rows = audit.history(connection, ENTITY, prefix, prefix=True)
    return [
        {
            "at": r["at"],
            "actor": r["actor"],
            "action": r["action"],
            "leaf": r["entity_id"].split("/")[2],
            "before": (r["before"] or {}).get("points") if r["before"] else None,
            "after": (r["after"] or {}).get("points") if r["after"] else None,
            "reason": r["reason"],
            "note": (r["after"] or {}).get("note") if r["after"] else None,
        }
        for r in rows
    ]


def _results(connection: Connection, campaign: Campaign, stage: str) -> ParResults:
    return stage_results(connection, campaign, stage)[0]


def stage_results(
    connection: Connection, campaign: Campaign, stage: str
) -> tuple[ParResults, pd.DataFrame]:
    """Every unit's results at ``stage`` and the leaf scores they come from."""
    stages = (stage,) if stage == "final" else (stage, "survey")
    frame = store.load_points(connection, campaign.id, stages)
    if stage != "final":  # a survey leaf's value stands in until the campaign is final
        frame = frame.sort_values("stage").drop_duplicates(["unit_code", "node_code"], keep="first")
    return compute(campaign.framework, list(campaign.units), frame), frame


def results(
    db: Database,
    campaign_code: str,
    stage: str = "final",
    unit: str | None = None,
    with_nodes: bool = False,
) -> CampaignResults:
    """Totals, area indices, index, group and rank of every unit, recomputed from stored scores."""
    if stage not in (*store.STAGES, "survey") or stage in ("explanation", "survey"):
        raise SipasError("par.results_stage", stage=stage)
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        if stage == "final" and campaign.stage != "final":
            raise SipasError("par.not_final", campaign=campaign.code, stage=campaign.stage)
        current = _results(connection, campaign, stage)
        previous_code = campaign.row["previous_code"]
        previous = None
        if previous_code:
            earlier = open_campaign(connection, previous_code)
            if earlier.stage == "final":
                previous = _results(connection, earlier, "final")
    table = (
        change(current, previous)
        if previous is not None
        else current.units.assign(index_change=float("nan"), rank_change=float("nan"))
    )
    merged = current.units.merge(
        table[["unit_code", "index_change", "rank_change"]], on="unit_code"
    )
    tops = current.nodes[current.nodes["depth"] == 0]
    areas = [node.code for node in campaign.framework.scored_nodes()]
    area_index = {
        (r["unit_code"], r["node_code"]): r["index"]
        for r in tops[["unit_code", "node_code", "index"]].to_dict(orient="records")
    }
    rows = []
    for record in merged.to_dict(orient="records"):
        code = record["unit_code"]
        if unit is not None and code != unit:
            continue
        entry: dict[str, Any] = {
            "unit": code,
            "name": campaign.units[code]["name"],
            "index": round_half_up(record["index"]),
            "rank": None if pd.isna(record["rank"]) else int(record["rank"]),
            "group": None if pd.isna(record["group"]) else record["group"],
            "points": round_half_up(record["points"]),
            "bonus": round_half_up(record["bonus"]),
            "penalty": round_half_up(record["penalty"]),
            "total": round_half_up(record["total"]),
        }
        for area in areas:
            entry[f"area_{area}"] = round_half_up(area_index[(code, area)])
        entry["change"] = round_half_up(record["index_change"])
        entry["rank_change"] = (
            None if pd.isna(record["rank_change"]) else int(record["rank_change"])
        )
        entry["complete"] = bool(record["complete"])
        rows.append(entry)
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["unit"]))
    national = dict(current.national)
    national["mean_index"] = round_half_up(national["mean_index"])
    nodes: list[NodeScore] = []
    if with_nodes:
        chosen = (
            current.nodes if unit is None else current.nodes[current.nodes["unit_code"] == unit]
        )
        nodes = [
            {
                "unit": r["unit_code"],
                "node": r["node_code"],
                "points": round_half_up(r["points"]),
                "max": r["max"],
                "index": round_half_up(r["index"]),
            }
            for r in chosen.to_dict(orient="records")
        ]
    names = {node.code: node.name for node in campaign.framework.scored_nodes()}
    area_rows: list[AreaRow] = [
        {
            "area": found["area"],
            "name": {"vi": names[found["area"]].vi, "en": names[found["area"]].en},
            "max": found["max"],
            "mean_points": round_half_up(found["mean_points"]),
            "mean_index": round_half_up(found["mean_index"]),
            "best": found["best"],
            "best_points": round_half_up(found["best_points"]),
            "best_index": round_half_up(found["best_index"]),
        }
        for found in area_summaries(campaign.framework, current)
    ]
    return {
        "campaign": campaign.code,
        "framework": campaign.framework.id,
        "year": campaign.row["year"],
        "stage": stage,
        "synthetic": bool(campaign.row["synthetic"]),
        "previous": previous_code if previous is not None else None,
        "national": national,
        "units": rows,
        "areas": area_rows,
        "nodes": nodes,
        "rules": {
            "index": "(points + bonus − penalty) / applicable maximum × 100",
            "rounding": "half-up to 2 decimals on publication only",
            "ranks": "descending on the unrounded index; equal indices share a rank",
            "groups": "by the published (rounded) index against the framework's thresholds",
            "areas": "best: the highest unrounded area index; mean: of the units, unweighted",
            "not_applicable": campaign.framework.not_applicable.value,
        },
    }
