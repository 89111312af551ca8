"""Who may read and write what: province officers their own units, appraisers their areas."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from sipas.api.par.campaigns import Actor, Campaign, refused
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
) -> None:
    """Refuse unless ``actor`` (with their ``assignments``) may write this leaf at this stage."""
    unit_row = campaign.unit(unit)
    if actor.role == "admin":
        return
    where = f"unit {unit}, leaf {node}"
    if stage in ("self", "explanation"):
        if actor.role != "officer" or not in_province(actor, unit_row):
            raise refused(
                f"{actor.name} ({actor.role}) cannot write the {stage} of {where}: "
                "only an officer of the unit's province can",
            )
        wanted = "self_assessor"
    elif stage in ("appraisal1", "appraisal2"):
        if actor.role != "appraiser":
            raise refused(f"{actor.name} ({actor.role}) cannot appraise {where}")
        wanted = "appraiser"
    else:  # survey leaves
        if actor.role != "analyst":
            raise refused(f"{actor.name} ({actor.role}) cannot fill survey leaves")
        return
    if not any(a["role"] == wanted and _covers(a, campaign, unit, node) for a in assignments):
        raise refused(
            f"{actor.name} is not assigned to {where} in campaign {campaign.code}",
            "ask the campaign's admin for an assignment",
        )


def may_read(connection: Connection, actor: Actor, campaign: Campaign, unit: str) -> bool:
    if actor.role in ("admin", "analyst"):
        return True
    if actor.role == "officer":
        return in_province(actor, campaign.unit(unit))
    assignments = store.list_assignments(connection, campaign.id, actor.name)
    return any(a["unit_code"] in (None, unit) for a in assignments)


def ensure_may_read(connection: Connection, actor: Actor, campaign: Campaign, unit: str) -> None:
    if not may_read(connection, actor, campaign, unit):
        raise refused(f"{actor.name} ({actor.role}) cannot read unit {unit}'s scores")
