"""Who may read and write what: province officers their own units, appraisers their areas."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from sipas.api.par.campaigns import Actor, Campaign
from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.store import par as store


def _covers(assignment: dict[str, Any], campaign: Campaign, unit: str, node: str) -> bool:
    return (assignment["unit_code"] in (None, unit)) and (
        assignment["node_code"] is None or assignment["node_code"] in campaign.ancestors[node]
    )


def in_province(actor: Actor, unit: dict[str, Any]) -> bool:
    return actor.province_code is not None and actor.province_code in (
        unit["province_code"],
        unit["unit_code"],
    )


def check_may_write(
    actor: Actor,
    assignments: list[dict[str, Any]],
    campaign: Campaign,
    unit: str,
    node: str,
    stage: str,
    where: Phrase | None = None,
) -> None:
    """Refuse unless ``actor`` (with their ``assignments``) may write this leaf at this stage;
    ``where`` names the score's place (by default: the campaign, unit and leaf)."""
    where = where or campaign.place(unit, node)
    unit_row = campaign.unit(unit, where)
    if actor.role == "admin":
        return
    user, role = actor.name, actor.role
    if stage in ("self", "explanation"):
        if actor.role != "officer" or not in_province(actor, unit_row):
            raise SipasError(
                "auth.forbidden.write_stage", user=user, role=role, stage=stage, where=where
            )
        wanted = "self_assessor"
    elif stage in ("appraisal1", "appraisal2"):
        if actor.role != "appraiser":
            raise SipasError("auth.forbidden.appraise", user=user, role=role, where=where)
        wanted = "appraiser"
    else:  # survey leaves
        if actor.role != "analyst":
            raise SipasError("auth.forbidden.survey", user=user, role=role, where=where)
        return
    if not any(a["role"] == wanted and _covers(a, campaign, unit, node) for a in assignments):
        raise SipasError("auth.forbidden.not_assigned", user=user, where=where)


def may_read(connection: Connection, actor: Actor, campaign: Campaign, unit: str) -> bool:
    if actor.role in ("admin", "analyst"):
        return True
    if actor.role == "officer":
        return in_province(actor, campaign.unit(unit))
    assignments = store.list_assignments(connection, campaign.id, actor.name)
    return any(a["unit_code"] in (None, unit) for a in assignments)


def ensure_may_read(connection: Connection, actor: Actor, campaign: Campaign, unit: str) -> None:
    if not may_read(connection, actor, campaign, unit):
        raise SipasError("auth.forbidden.read", user=actor.name, role=actor.role, unit=unit)
