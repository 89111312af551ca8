"""Applying the PAR access table (:mod:`sipas.par.workflow`) to stored campaigns: the actor's
province and assignments are read here, the decision is the table's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from sipas.api.par.campaigns import Actor, Campaign
from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.par import workflow
from sipas.par.workflow import Action, Refusal
from sipas.store import par as store
from sipas.store.par import AssignmentRow


def _covers(assignment: AssignmentRow, campaign: Campaign, unit: str, node: str) -> bool:
    return (assignment["unit_code"] in (None, unit)) and (
        assignment["node_code"] is None or assignment["node_code"] in campaign.ancestors[node]
    )


def in_province(actor: Actor, unit: Mapping[str, Any]) -> bool:
    return actor.province_code is not None and actor.province_code in (
        unit["province_code"],
        unit["unit_code"],
    )


def check_may_write(
    actor: Actor,
    assignments: list[AssignmentRow],
    campaign: Campaign,
    unit: str,
    node: str,
    stage: str,
    where: Phrase | None = None,
) -> None:
    """Refuse unless ``actor`` (with their ``assignments``) may write this leaf at this stage,
    as the access table of :mod:`sipas.par.workflow` says; ``where`` names the score's place
    (by default: the campaign, unit and leaf)."""
    where = where or campaign.place(unit, node)
    unit_row = campaign.unit(unit, where)
    action = workflow.WRITE_ACTION[stage]
    held = {a["role"] for a in assignments if _covers(a, campaign, unit, node)}
    refusal = workflow.decide(
        action, actor.role, in_province=in_province(actor, unit_row), assignments=held
    )
    if refusal is None:
        return
    user, role = actor.name, actor.role
    if refusal is Refusal.NOT_ASSIGNED:
        raise SipasError("auth.forbidden.not_assigned", user=user, where=where)
    if action is Action.WRITE_SELF:
        raise SipasError(
            "auth.forbidden.write_stage", user=user, role=role, stage=stage, where=where
        )
    if action is Action.APPRAISE:
        raise SipasError("auth.forbidden.appraise", user=user, role=role, where=where)
    raise SipasError("auth.forbidden.survey", user=user, role=role, where=where)


def may_read(connection: Connection, actor: Actor, campaign: Campaign, unit: str) -> bool:
    province = actor.role == "officer" and in_province(actor, campaign.unit(unit))
    held: set[str] = set()
    if actor.role not in ("admin", "analyst", "officer"):
        assignments = store.list_assignments(connection, campaign.id, actor.name)
        held = {a["role"] for a in assignments if a["unit_code"] in (None, unit)}
    return workflow.decide(Action.READ, actor.role, in_province=province, assignments=held) is None


def ensure_may_read(connection: Connection, actor: Actor, campaign: Campaign, unit: str) -> None:
    if not may_read(connection, actor, campaign, unit):
        raise SipasError("auth.forbidden.read", user=actor.name, role=actor.role, unit=unit)


def writable_stage(actor: Actor, stage: str) -> str | None:
    """The stage a user's forms write at while the campaign is at ``stage`` (None: nothing):
    what a page offers, from the same table that refuses writes."""
    if stage in workflow.writable_stages(actor.role) and stage != "survey":
        return stage
    return None
