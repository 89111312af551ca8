"""PAR campaigns: who acts, the campaign and its framework, opening, assigning, moving on.

Roles (``Actor.role``): ``admin`` runs campaigns; ``analyst`` reads everything and fills survey
leaves; ``officer`` self-assesses and explains for the units of their province they are assigned;
``appraiser`` appraises the areas they are assigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pandas as pd
from sqlalchemy import Connection

from sipas.errors import SipasError
from sipas.frameworks import ParFramework, require_par, resolve_framework, scoring_gaps
from sipas.frameworks.model import ParNode
from sipas.geo import provinces_on
from sipas.messages import Phrase
from sipas.par import workflow
from sipas.par.workflow import Action, StageProblem
from sipas.store import Database, audit
from sipas.store import par as store
from sipas.store.par import AssignmentRow, CampaignRow, NewUnit, UnitRow

ROLES = ("admin", "analyst", "officer", "appraiser", "clerk")
ASSIGNMENT_ROLES = ("self_assessor", "appraiser")
ENTITY = "par_score"


class CampaignCreated(TypedDict):
    """A campaign just opened: its code, framework, year and number of units."""

    campaign: str
    framework: str
    year: int
    units: int


class CampaignSummary(TypedDict):
    """A campaign at a glance: framework, year, stage, deadline, units locked, assignments."""

    campaign: str
    framework: str
    framework_version: str
    title: dict[str, str]  # the framework's title in each language
    year: int
    stage: str
    deadline: datetime | None
    previous: str | None
    synthetic: bool
    units: int
    locked_units: int
    leaves: int
    assignments: list[AssignmentRow]


# "from" is a Python keyword, so this one is declared in the functional form.
StageAdvanced = TypedDict(
    "StageAdvanced",
    {
        "campaign": str,
        "from": str,
        "to": str,
        "locked_now": NotRequired[int],  # leaving self-assessment locks every unit
        "final_scores": NotRequired[int],  # reaching final fixes every leaf's score
    },
)


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    province_code: str | None = None  # an officer's province

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise SipasError("auth.bad_role", role=self.role, roles=list(ROLES))


SYSTEM = Actor("sipas", "admin")


@dataclass
class Campaign:
    """A campaign as read from the store, with its framework and the lookups every check needs."""

    row: dict[str, Any]
    units: dict[str, UnitRow]

    @property
    def id(self) -> int:
        return int(self.row["id"])

    @property
    def code(self) -> str:
        return str(self.row["code"])

    @property
    def stage(self) -> str:
        return str(self.row["stage"])

    @cached_property
    def framework(self) -> ParFramework:
        return ParFramework.model_validate(self.row["framework"])

    @cached_property
    def leaves(self) -> dict[str, ParNode]:
        return {leaf.code: leaf for leaf in self.framework.leaves()}

    @cached_property
    def ancestors(self) -> dict[str, tuple[str, ...]]:
        """Each node's own code and its ancestors' codes (an assignment to any of them covers it)."""
        return {node.code: (*trail, node.code) for trail, node in self.framework.walk()}

    def unit(self, code: str, where: Phrase | str | None = None) -> UnitRow:
        """The unit ``code``; refused naming ``where`` (a score's place) when given."""
        found = self.units.get(code)
        if found is None:
            if where is not None:
                raise SipasError(
                    "par.unknown_unit_at",
                    where=where,
                    unit=code,
                    campaign=self.code,
                    count=len(self.units),
                )
            raise SipasError(
                "par.unknown_unit", unit=code, campaign=self.code, count=len(self.units)
            )
        return found

    def leaf(self, code: str, where: Phrase | str) -> ParNode:
        found = self.leaves.get(code)
        if found is None:
            if code in self.ancestors:
                raise SipasError(
                    "par.not_a_leaf", where=where, node=code, framework=self.framework.id
                )
            raise SipasError(
                "par.unknown_node", where=where, node=code, framework=self.framework.id
            )
        return found

    def place(self, unit: str, leaf: str, row: Any = None) -> Phrase:
        """Where a score is: the campaign (or the file row it came from), the unit and the leaf."""
        if row is not None:
            return Phrase("par.place.row", row=row, unit=unit, leaf=leaf)
        return Phrase("par.place.leaf", campaign=self.code, unit=unit, leaf=leaf)


def open_campaign(connection: Connection, code: str) -> Campaign:
    row = store.get_campaign(connection, code)
    if row["framework"] is None:
        row["framework"] = require_par(resolve_framework(row["framework_id"])).model_dump(
            mode="json"
        )
    units = {u["unit_code"]: u for u in store.list_units(connection, int(row["id"]))}
    return Campaign(row, units)


def entity_id(campaign: Campaign, unit: str, node: str, stage: str) -> str:
    """How a leaf score at one stage is named in the audit log."""
    return f"{campaign.code}/{unit}/{node}/{stage}"


# --- campaigns -----------------------------------------------------------------------------------


def _province_units(year: int) -> tuple[list[NewUnit], str]:
    provinces = provinces_on(date(year, 12, 31))  # the provinces in force at the end of the year
    units: list[NewUnit] = [
        {"unit_code": p.code, "name": p.name, "kind": "province", "province_code": p.code}
        for p in provinces
    ]
    return units, provinces[0].geography


def read_units_file(path: Path) -> list[NewUnit]:
    """Units of a province's own campaign: unit_code, name, kind, province_code (CSV or XLSX)."""
    if not path.exists():
        raise SipasError("par.units_file_missing", path=path)
    frame = (
        pd.read_excel(path, dtype=str)
        if path.suffix.lower() in {".xlsx", ".xlsm"}
        else pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    )
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("unit_code", "name") if c not in frame.columns]
    if missing:
        raise SipasError("par.units_file_column", file=path.name, column=missing[0])
    frame = frame.fillna("")
    duplicated = frame["unit_code"].duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().nonzero()[0][0]) + 2
        raise SipasError(
            "par.units_file_duplicate",
            file=path.name,
            row=row,
            unit=frame["unit_code"][duplicated].iloc[0],
        )
    return [
        {
            "unit_code": str(r["unit_code"]).strip(),
            "name": str(r["name"]).strip(),
            "kind": str(r.get("kind") or "department").strip(),
            "province_code": str(r.get("province_code") or "").strip().zfill(2) or None,
        }
        for r in frame.to_dict(orient="records")
    ]


def create_campaign(
    db: Database,
    actor: Actor,
    *,
    code: str,
    framework: str,
    year: int,
    units: list[NewUnit] | None = None,
    deadline: datetime | None = None,
    previous: str | None = None,
    description: str = "",
    synthetic: bool = False,
    replace: bool = False,
) -> CampaignCreated:
    """Open a campaign. Units default to the provinces in force at the end of ``year``."""
    if workflow.decide(Action.CREATE_CAMPAIGN, actor.role) is not None:
        raise SipasError("auth.forbidden.create_campaign", user=actor.name, role=actor.role)
    chosen = require_par(resolve_framework(framework))
    if scoring_gaps(chosen):
        raise SipasError(
            "par.not_scorable",
            framework=chosen.id,
            nodes=[n.code for _, n in chosen.walk() if n.max_points is None],
        )
    provinces, province_geography = _province_units(year)
    if units is None:
        units = provinces
    # A campaign of exactly the year's provinces is on that geography ("63" or "34"); any other
    # set of units (a province's departments and communes) is its own.
    same = {u["unit_code"] for u in units} == {p["unit_code"] for p in provinces}
    geography = province_geography if same else "units"
    with db.begin() as connection:
        if previous is not None:
            earlier = store.get_campaign(connection, previous)
            if earlier["geography"] != geography:
                raise SipasError(
                    "par.geography_mismatch.previous",
                    previous=previous,
                    previous_geography=earlier["geography"],
                    geography=geography,
                )
        campaign_id = store.create_campaign(
            connection,
            code=code,
            framework_id=chosen.id,
            framework_version=chosen.version,
            framework=chosen.model_dump(mode="json"),
            year=year,
            geography=geography,
            synthetic=synthetic,
            description=description,
            deadline=deadline,
            previous_code=previous,
            replace=replace,
        )
        store.add_units(connection, campaign_id, units)
        audit.record(
            connection,
            actor=actor.name,
            action="par.campaign.create",
            entity="par_campaign",
            entity_id=code,
            after={
                "framework": chosen.id,
                "year": year,
                "units": len(units),
                "deadline": deadline.isoformat() if deadline else None,
                "synthetic": synthetic,
            },
        )
    return {"campaign": code, "framework": chosen.id, "year": year, "units": len(units)}


def list_campaigns(db: Database) -> list[CampaignRow]:
    with db.begin() as connection:
        return store.list_campaigns(connection)


def show_campaign(db: Database, code: str) -> CampaignSummary:
    with db.begin() as connection:
        campaign = open_campaign(connection, code)
        assignments = store.list_assignments(connection, campaign.id)
        locked = sum(1 for u in campaign.units.values() if u["locked_at"] is not None)
    row = campaign.row
    return {
        "campaign": campaign.code,
        "framework": row["framework_id"],
        "framework_version": row["framework_version"],
        "title": campaign.framework.title.model_dump(),
        "year": row["year"],
        "stage": campaign.stage,
        "deadline": row["deadline"],
        "previous": row["previous_code"],
        "synthetic": row["synthetic"],
        "units": len(campaign.units),
        "locked_units": locked,
        "leaves": len(campaign.leaves),
        "assignments": assignments,
    }


def assign(
    db: Database,
    actor: Actor,
    campaign_code: str,
    *,
    user: str,
    role: str,
    unit: str | None = None,
    node: str | None = None,
) -> AssignmentRow:
    """Give ``user`` a unit to self-assess, or an area to appraise (None = every unit or area)."""
    if workflow.decide(Action.ASSIGN, actor.role) is not None:
        raise SipasError("auth.forbidden.assign", user=actor.name, role=actor.role)
    if role not in ASSIGNMENT_ROLES:
        raise SipasError("par.bad_assignment", role=role, roles=list(ASSIGNMENT_ROLES))
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        if unit is not None:
            campaign.unit(unit)
        if node is not None and node not in campaign.ancestors:
            raise SipasError("par.unknown_area", node=node, framework=campaign.framework.id)
        values = AssignmentRow(user_name=user, role=role, unit_code=unit, node_code=node)
        if values in store.list_assignments(connection, campaign.id, user):
            raise SipasError("par.assignment_exists", user=user)
        store.add_assignment(connection, campaign.id, **values)
        audit.record(
            connection,
            actor=actor.name,
            action="par.assign",
            entity="par_campaign",
            entity_id=campaign.code,
            after=values,
        )
    return values


def advance(db: Database, actor: Actor, campaign_code: str, to: str) -> StageAdvanced:
    """Move the campaign to its next stage; reaching ``final`` fixes every leaf's final score."""
    if workflow.decide(Action.ADVANCE, actor.role) is not None:
        raise SipasError("auth.forbidden.advance", user=actor.name, role=actor.role)
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        _, problem = workflow.check_advance(campaign.stage, to)
        if problem is StageProblem.UNKNOWN:
            raise SipasError("par.bad_stage", stage=to, stages=list(workflow.STAGES))
        if problem is StageProblem.FINAL:
            raise SipasError("par.advance_final", campaign=campaign.code, to=to)
        if problem is StageProblem.ORDER:
            raise SipasError(
                "par.stage_order",
                campaign=campaign.code,
                stage=campaign.stage,
                to=to,
                next=workflow.next_stage(campaign.stage),
            )
        summary = StageAdvanced({"campaign": campaign.code, "from": campaign.stage, "to": to})
        if campaign.stage == "self":
            summary["locked_now"] = store.lock_all(connection, campaign.id, actor.name)
        if to == "final":
            summary["final_scores"] = _finalise(connection, campaign, actor)
        store.set_stage(connection, campaign.id, to)
        audit.record(
            connection,
            actor=actor.name,
            action="par.campaign.advance",
            entity="par_campaign",
            entity_id=campaign.code,
            before={"stage": campaign.stage},
            after={"stage": to},
        )
    return summary


# Where a leaf's final score comes from, first present wins: the last appraisal, the survey, or the
# self-assessment that no appraiser changed (an appraisal that does not act recognises the score).
_FINAL_SOURCES = ("appraisal2", "appraisal1", "survey", "self")


def _finalise(connection: Connection, campaign: Campaign, actor: Actor) -> int:
    return store.finalise(connection, campaign.id, campaign.code, _FINAL_SOURCES, actor.name)
