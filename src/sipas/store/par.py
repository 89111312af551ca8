"""PAR campaigns and their scores per unit, node and stage."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from sipas.errors import SipasError
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
    existing = connection.execute(
        select(par_campaigns.c.id).where(par_campaigns.c.code == code)
    ).scalar()
    if existing is not None:
        if not replace:
            raise SipasError(
                "par.campaign_exists",
                f"a PAR campaign with code {code!r} already exists",
                "choose another code, or replace it explicitly",
            )
        connection.execute(delete(par_scores).where(par_scores.c.campaign_id == existing))
        connection.execute(delete(par_campaigns).where(par_campaigns.c.id == existing))
    result = connection.execute(
        insert(par_campaigns).values(
            code=code,
            framework_id=framework_id,
            framework_version=framework_version,
            year=year,
            geography=geography,
            synthetic=synthetic,
            description=description,
            created_at=datetime.now(UTC),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


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
