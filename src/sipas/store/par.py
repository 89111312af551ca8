"""PAR campaigns: units, assignments, scores per stage, evidence files. Rules live in sipas.api.par."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypedDict, cast

import pandas as pd
from sqlalchemy import Connection, and_, case, delete, func, insert, literal, select, update

from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.par import workflow
from sipas.store.records import create_coded
from sipas.store.schema import (
    audit_log,
    par_assignments,
    par_campaigns,
    par_evidence,
    par_scores,
    par_units,
)

# The order a campaign moves through; "survey" holds survey-fed leaves, written at any stage.
STAGES = workflow.STAGES  # the stages and their order are the workflow's (sipas.par.workflow)
SCORE_STAGES = workflow.SCORE_STAGES
_CHILDREN = (par_scores, par_evidence, par_assignments, par_units)


class CampaignRow(TypedDict):
    """A campaign as listed: its framework, year, geography, stage and number of units."""

    code: str
    framework_id: str
    year: int
    geography: str
    stage: str
    deadline: datetime | None
    synthetic: bool
    units: int


class AssignmentRow(TypedDict):
    """Who self-assesses a unit or appraises an area (None: every unit or every area)."""

    user_name: str
    role: str
    unit_code: str | None
    node_code: str | None


class NewUnit(TypedDict):
    """A unit to score in a campaign: its code, name, kind and the province it belongs to."""

    unit_code: str
    name: str
    kind: str  # province | department | commune | ministry
    province_code: str | None


class UnitRow(NewUnit):
    """A campaign's unit as stored, with who locked its self-assessment and when."""

    id: int
    campaign_id: int
    locked_at: datetime | None
    locked_by: str | None


class EvidenceRow(TypedDict):
    """An evidence file of a leaf, without its content."""

    id: int
    unit_code: str
    node_code: str
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


def create_campaign(
    connection: Connection,
    *,
    code: str,
    framework_id: str,
    framework_version: str,
    framework: dict[str, Any] | None,
    year: int,
    geography: str,
    synthetic: bool,
    description: str = "",
    deadline: datetime | None = None,
    previous_code: str | None = None,
    replace: bool = False,
) -> int:
    return create_coded(
        connection,
        par_campaigns,
        [(table, table.c.campaign_id) for table in _CHILDREN],
        {
            "code": code,
            "framework_id": framework_id,
            "framework_version": framework_version,
            "framework": framework,
            "year": year,
            "geography": geography,
            "synthetic": synthetic,
            "description": description,
            "deadline": deadline,
            "previous_code": previous_code,
            "stage": "self",
        },
        what="PAR campaign",
        exists=lambda code: SipasError("par.campaign_exists", campaign=code),
        replace=replace,
    )


def get_campaign(connection: Connection, code: str) -> dict[str, Any]:
    row = connection.execute(select(par_campaigns).where(par_campaigns.c.code == code)).first()
    if row is None:
        known = connection.execute(select(par_campaigns.c.code).order_by(par_campaigns.c.code))
        names = list(known.scalars())
        raise SipasError(
            "par.campaign_unknown",
            campaign=code,
            known=Phrase("par.campaigns_known", codes=names)
            if names
            else Phrase("par.campaigns_none"),
        )
    return dict(row._mapping)


def set_stage(connection: Connection, campaign_id: int, stage: str) -> None:
    connection.execute(
        update(par_campaigns).where(par_campaigns.c.id == campaign_id).values(stage=stage)
    )


def list_campaigns(connection: Connection) -> list[CampaignRow]:
    units = (
        select(par_units.c.campaign_id, func.count().label("units"))
        .group_by(par_units.c.campaign_id)
        .subquery()
    )
    rows = connection.execute(
        select(
            par_campaigns.c.code,
            par_campaigns.c.framework_id,
            par_campaigns.c.year,
            par_campaigns.c.geography,
            par_campaigns.c.stage,
            par_campaigns.c.deadline,
            par_campaigns.c.synthetic,
            func.coalesce(units.c.units, 0).label("units"),
        )
        .outerjoin(units, units.c.campaign_id == par_campaigns.c.id)
        .order_by(par_campaigns.c.year, par_campaigns.c.code)
    )
    return [cast(CampaignRow, dict(row._mapping)) for row in rows]


# --- units and assignments -----------------------------------------------------------------------


def add_units(connection: Connection, campaign_id: int, units: list[NewUnit]) -> int:
    if units:
        connection.execute(insert(par_units), [{"campaign_id": campaign_id, **u} for u in units])
    return len(units)


def list_units(connection: Connection, campaign_id: int) -> list[UnitRow]:
    rows = connection.execute(
        select(par_units).where(par_units.c.campaign_id == campaign_id).order_by(par_units.c.id)
    )
    return [cast(UnitRow, dict(row._mapping)) for row in rows]


def lock_unit(connection: Connection, campaign_id: int, unit_code: str, actor: str) -> datetime:
    at = datetime.now(UTC)
    connection.execute(
        update(par_units)
        .where(par_units.c.campaign_id == campaign_id, par_units.c.unit_code == unit_code)
        .values(locked_at=at, locked_by=actor)
    )
    return at


def lock_all(connection: Connection, campaign_id: int, actor: str) -> int:
    result = connection.execute(
        update(par_units)
        .where(par_units.c.campaign_id == campaign_id, par_units.c.locked_at.is_(None))
        .values(locked_at=datetime.now(UTC), locked_by=actor)
    )
    return int(result.rowcount or 0)


def add_assignment(connection: Connection, campaign_id: int, **values: Any) -> None:
    connection.execute(insert(par_assignments).values(campaign_id=campaign_id, **values))


def list_assignments(
    connection: Connection, campaign_id: int, user_name: str | None = None
) -> list[AssignmentRow]:
    query = select(
        par_assignments.c.user_name,
        par_assignments.c.role,
        par_assignments.c.unit_code,
        par_assignments.c.node_code,
    ).where(par_assignments.c.campaign_id == campaign_id)
    if user_name is not None:
        query = query.where(par_assignments.c.user_name == user_name)
    rows = connection.execute(query.order_by(par_assignments.c.id))
    return [cast(AssignmentRow, dict(row._mapping)) for row in rows]


# --- scores --------------------------------------------------------------------------------------

_SCORE_FIELDS = ("points", "value", "applicable", "note", "reason", "actor", "updated_at")


def get_score(
    connection: Connection, campaign_id: int, unit_code: str, node_code: str, stage: str
) -> dict[str, Any] | None:
    row = connection.execute(
        select(*(par_scores.c[f] for f in _SCORE_FIELDS)).where(
            par_scores.c.campaign_id == campaign_id,
            par_scores.c.unit_code == unit_code,
            par_scores.c.node_code == node_code,
            par_scores.c.stage == stage,
        )
    ).first()
    return dict(row._mapping) if row is not None else None


def put_score(
    connection: Connection,
    campaign_id: int,
    unit_code: str,
    node_code: str,
    stage: str,
    values: dict[str, Any],
) -> dict[str, Any] | None:
    """Insert or replace one score; returns what it replaced (None if new)."""
    before = get_score(connection, campaign_id, unit_code, node_code, stage)
    stamped = {**values, "updated_at": datetime.now(UTC)}
    key = and_(
        par_scores.c.campaign_id == campaign_id,
        par_scores.c.unit_code == unit_code,
        par_scores.c.node_code == node_code,
        par_scores.c.stage == stage,
    )
    if before is None:
        connection.execute(
            insert(par_scores).values(
                campaign_id=campaign_id,
                unit_code=unit_code,
                node_code=node_code,
                stage=stage,
                **stamped,
            )
        )
    else:
        connection.execute(update(par_scores).where(key).values(**stamped))
    return before


def add_scores(connection: Connection, campaign_id: int, rows: list[dict[str, Any]]) -> int:
    """Many new scores at once: rows of unit_code, node_code, stage, points and optional fields."""
    bad = [r for r in rows if r["stage"] not in SCORE_STAGES]
    if bad:
        raise SipasError("par.bad_stage", stage=bad[0]["stage"], stages=list(SCORE_STAGES))
    if rows:
        at = datetime.now(UTC)
        connection.execute(
            insert(par_scores),
            [{"applicable": True, "updated_at": at, "campaign_id": campaign_id, **r} for r in rows],
        )
    return len(rows)


def delete_stage(connection: Connection, campaign_id: int, stage: str) -> None:
    connection.execute(
        par_scores.delete().where(
            par_scores.c.campaign_id == campaign_id, par_scores.c.stage == stage
        )
    )


def load_scores(
    connection: Connection,
    campaign_id: int,
    stages: tuple[str, ...] = SCORE_STAGES,
    unit_code: str | None = None,
) -> list[dict[str, Any]]:
    query = select(
        par_scores.c.unit_code,
        par_scores.c.node_code,
        par_scores.c.stage,
        *(par_scores.c[f] for f in _SCORE_FIELDS),
    ).where(par_scores.c.campaign_id == campaign_id, par_scores.c.stage.in_(stages))
    if unit_code is not None:
        query = query.where(par_scores.c.unit_code == unit_code)
    rows = connection.execute(query.order_by(par_scores.c.unit_code, par_scores.c.node_code))
    return [dict(row._mapping) for row in rows]


def load_points(connection: Connection, campaign_id: int, stages: tuple[str, ...]) -> pd.DataFrame:
    """unit_code, node_code, stage, points, applicable of the given stages, as one table.

    Read as plain tuples: results for thousands of units need only these five columns."""
    columns = ("unit_code", "node_code", "stage", "points", "applicable")
    query = select(*(par_scores.c[c] for c in columns)).where(
        par_scores.c.campaign_id == int(campaign_id),
        par_scores.c.stage.in_([str(s) for s in stages if s in SCORE_STAGES]),
    )
    # Straight through the driver's cursor: hundreds of thousands of rows without building a
    # result object per row. The only values bound are an integer and known stage names.
    sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    frame["applicable"] = frame["applicable"].astype(bool)
    return frame


def finalise(
    connection: Connection,
    campaign_id: int,
    campaign_code: str,
    sources: tuple[str, ...],
    actor: str,
) -> int:
    """Write each leaf's final score from the first of ``sources`` it has, with one audit row
    each — in two set-based statements, so a campaign of every commune takes a second, not minutes.
    """
    now = datetime.now(UTC)
    priority = case(
        *((par_scores.c.stage == stage, order) for order, stage in enumerate(sources)),
        else_=len(sources),
    )
    ranked = (
        select(
            par_scores.c.unit_code,
            par_scores.c.node_code,
            par_scores.c.stage,
            par_scores.c.points,
            par_scores.c.value,
            par_scores.c.applicable,
            func.row_number()
            .over(partition_by=(par_scores.c.unit_code, par_scores.c.node_code), order_by=priority)
            .label("choice"),
        )
        .where(par_scores.c.campaign_id == campaign_id, par_scores.c.stage.in_(sources))
        .subquery()
    )
    delete_stage(connection, campaign_id, "final")
    connection.execute(
        insert(par_scores).from_select(
            [
                "campaign_id",
                "unit_code",
                "node_code",
                "stage",
                "points",
                "value",
                "applicable",
                "note",
                "actor",
                "updated_at",
            ],
            select(
                literal(campaign_id),
                ranked.c.unit_code,
                ranked.c.node_code,
                literal("final"),
                ranked.c.points,
                ranked.c.value,
                ranked.c.applicable,
                literal("from ") + ranked.c.stage,
                literal(actor),
                literal(now, par_scores.c.updated_at.type),
            ).where(ranked.c.choice == 1),
        )
    )
    final = par_scores.alias("final")
    build_json = (
        func.json_build_object if connection.dialect.name == "postgresql" else func.json_object
    )
    connection.execute(
        insert(audit_log).from_select(
            ["at", "actor", "action", "entity", "entity_id", "after"],
            select(
                literal(now, audit_log.c.at.type),
                literal(actor),
                literal("par.final"),
                literal("par_score"),
                literal(f"{campaign_code}/")
                + final.c.unit_code
                + "/"
                + final.c.node_code
                + "/final",
                build_json("points", final.c.points, "from", final.c.note),
            ).where(final.c.campaign_id == campaign_id, final.c.stage == "final"),
        )
    )
    count = connection.execute(
        select(func.count()).where(
            par_scores.c.campaign_id == campaign_id, par_scores.c.stage == "final"
        )
    ).scalar()
    return int(count or 0)


# --- evidence ------------------------------------------------------------------------------------


def add_evidence(connection: Connection, campaign_id: int, **values: Any) -> int:
    result = connection.execute(
        insert(par_evidence).values(
            campaign_id=campaign_id, uploaded_at=datetime.now(UTC), **values
        )
    )
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for the evidence file")
    return int(key[0])


def find_evidence(
    connection: Connection, campaign_id: int, unit_code: str, node_code: str, sha256: str
) -> int | None:
    found = connection.execute(
        select(par_evidence.c.id).where(
            par_evidence.c.campaign_id == campaign_id,
            par_evidence.c.unit_code == unit_code,
            par_evidence.c.node_code == node_code,
            par_evidence.c.sha256 == sha256,
        )
    ).scalar()
    return int(found) if found is not None else None


def list_evidence(
    connection: Connection,
    campaign_id: int,
    unit_code: str | None = None,
    node_code: str | None = None,
) -> list[EvidenceRow]:
    query = select(
        par_evidence.c.id,
        par_evidence.c.unit_code,
        par_evidence.c.node_code,
        par_evidence.c.filename,
        par_evidence.c.media_type,
        par_evidence.c.size,
        par_evidence.c.sha256,
        par_evidence.c.uploaded_by,
        par_evidence.c.uploaded_at,
    ).where(par_evidence.c.campaign_id == campaign_id)
    if unit_code is not None:
        query = query.where(par_evidence.c.unit_code == unit_code)
    if node_code is not None:
        query = query.where(par_evidence.c.node_code == node_code)
    rows = connection.execute(query.order_by(par_evidence.c.id))
    return [cast(EvidenceRow, dict(row._mapping)) for row in rows]


def evidence_content(connection: Connection, campaign_id: int, evidence_id: int) -> bytes | None:
    content = connection.execute(
        select(par_evidence.c.content).where(
            par_evidence.c.campaign_id == campaign_id, par_evidence.c.id == evidence_id
        )
    ).scalar()
    return bytes(content) if content is not None else None


def delete_evidence(connection: Connection, campaign_id: int, evidence_id: int) -> None:
    connection.execute(
        delete(par_evidence).where(
            par_evidence.c.campaign_id == campaign_id, par_evidence.c.id == evidence_id
        )
    )
