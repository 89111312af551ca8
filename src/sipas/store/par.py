"""PAR campaigns and their scores per unit, node and stage."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select

from sipas.errors import SipasError
from sipas.store.records import create_coded
from sipas.store.schema import par_campaigns, par_scores

STAGES = ("self", "appraisal1", "appraisal2", "final")


def create_campaign(
    connection: Connection,
    *,
    code: str,
    framework_id: str,
    framework_version: str,
    year: int,
    geography: str,
    synthetic: bool,
    description: str = "",
    replace: bool = False,
) -> int:
    return create_coded(
        connection,
        par_campaigns,
        [(par_scores, par_scores.c.campaign_id)],
        {
            "code": code,
            "framework_id": framework_id,
            "framework_version": framework_version,
            "year": year,
            "geography": geography,
            "synthetic": synthetic,
            "description": description,
        },
        what="PAR campaign",
        error_code="par.campaign_exists",
        replace=replace,
    )


def add_scores(connection: Connection, campaign_id: int, rows: list[dict[str, Any]]) -> int:
    """Rows of unit_code, node_code, stage, points."""
    bad = [r for r in rows if r["stage"] not in STAGES]
    if bad:
        raise SipasError(
            "par.bad_stage",
            f"unknown score stage {bad[0]['stage']!r}",
            f"stages: {', '.join(STAGES)}",
        )
    if rows:
        connection.execute(insert(par_scores), [{"campaign_id": campaign_id, **r} for r in rows])
    return len(rows)


def list_campaigns(connection: Connection) -> list[dict[str, Any]]:
    units = (
        select(
            par_scores.c.campaign_id,
            func.count(func.distinct(par_scores.c.unit_code)).label("units"),
        )
        .group_by(par_scores.c.campaign_id)
        .subquery()
    )
    rows = connection.execute(
        select(par_campaigns, units.c.units)
        .outerjoin(units, units.c.campaign_id == par_campaigns.c.id)
        .order_by(par_campaigns.c.year, par_campaigns.c.code)
    )
    return [dict(row._mapping) for row in rows]


def load_scores(connection: Connection, code: str, stage: str = "final") -> list[dict[str, Any]]:
    campaign = connection.execute(
        select(par_campaigns.c.id).where(par_campaigns.c.code == code)
    ).scalar()
    if campaign is None:
        raise SipasError("par.campaign_unknown", f"no PAR campaign with code {code!r}", None)
    rows = connection.execute(
        select(par_scores.c.unit_code, par_scores.c.node_code, par_scores.c.points)
        .where(par_scores.c.campaign_id == campaign, par_scores.c.stage == stage)
        .order_by(par_scores.c.unit_code, par_scores.c.node_code)
    )
    return [dict(row._mapping) for row in rows]
