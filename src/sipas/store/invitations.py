"""One-time survey invitations: stored by the SHA-256 of their token, used at most once.

Single use is a compare-and-set in the database (``submitted_at`` goes from NULL to a time in one
UPDATE), and the response itself is held to one per respondent key by the unique constraint of
the responses table: two submits racing each other store one response.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, cast

from sqlalchemy import Connection, and_, case, func, insert, select, update

from sipas.store.schema import survey_invitations, surveys

_BATCH = 2_000


def add_invitations(connection: Connection, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _BATCH):
        connection.execute(insert(survey_invitations), rows[start : start + _BATCH])


def find(connection: Connection, token_hash: str) -> dict[str, Any] | None:
    """The invitation with this token hash, with its survey's code and framework, or None."""
    row = connection.execute(
        select(
            survey_invitations,
            surveys.c.code.label("survey_code"),
            surveys.c.synthetic,
            surveys.c.framework_id.label("survey_framework_id"),
        )
        .join(surveys, surveys.c.id == survey_invitations.c.survey_id)
        .where(survey_invitations.c.token_hash == token_hash)
    ).first()
    return dict(row._mapping) if row is not None else None


def save_draft(
    connection: Connection, invitation_id: int, draft: dict[str, Any], now: datetime
) -> bool:
    """Keep the answers typed so far; False when the invitation has been used meanwhile."""
    result = connection.execute(
        update(survey_invitations)
        .where(
            survey_invitations.c.id == invitation_id, survey_invitations.c.submitted_at.is_(None)
        )
        .values(draft=draft, draft_saved_at=now)
    )
    return result.rowcount == 1


def mark_submitted(connection: Connection, invitation_ids: list[int], now: datetime) -> set[int]:
    """Use the invitations: the ids this call turned from open to submitted (one statement, so a
    batch of submissions costs one round trip; a racing caller gets the others)."""
    if not invitation_ids:
        return set()
    result = connection.execute(
        update(survey_invitations)
        .where(
            survey_invitations.c.id.in_(invitation_ids),
            survey_invitations.c.submitted_at.is_(None),
        )
        .values(submitted_at=now, draft=None)
        .returning(survey_invitations.c.id)
    )
    return {int(row[0]) for row in result}


class InvitationCounts(TypedDict):
    """Invitations of a survey: issued, and submitted."""

    issued: int
    submitted: int


class ProvinceInvitations(TypedDict):
    """A province's invitations: issued, submitted, still open, with a draft, expired unused."""

    province_code: str
    issued: int
    submitted: int
    open: int
    drafts: int
    expired: int


def counts(connection: Connection, survey_id: int) -> InvitationCounts:
    """Invitations of a survey: issued, submitted."""
    row = connection.execute(
        select(func.count(), func.count(survey_invitations.c.submitted_at)).where(
            survey_invitations.c.survey_id == survey_id
        )
    ).one()
    return {"issued": int(row[0]), "submitted": int(row[1])}


def status_by_province(
    connection: Connection, survey_id: int, now: datetime
) -> list[ProvinceInvitations]:
    """Per province: invitations issued, submitted, still open, expired unused."""
    inv = survey_invitations
    submitted = inv.c.submitted_at.is_not(None)
    rows = connection.execute(
        select(
            inv.c.province_code,
            func.count().label("issued"),
            func.count(inv.c.submitted_at).label("submitted"),
            func.sum(case((and_(~submitted, inv.c.expires_at > now), 1), else_=0)).label("open"),
            func.sum(case((and_(~submitted, inv.c.draft.is_not(None)), 1), else_=0)).label(
                "drafts"
            ),
        )
        .where(inv.c.survey_id == survey_id)
        .group_by(inv.c.province_code)
        .order_by(inv.c.province_code)
    )
    out = []
    for row in rows:
        record = {k: (int(v) if k != "province_code" else v) for k, v in row._mapping.items()}
        record["expired"] = record["issued"] - record["submitted"] - record["open"]
        out.append(cast(ProvinceInvitations, record))
    return out


def existing_keys(connection: Connection, survey_id: int, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _BATCH):
        part = keys[start : start + _BATCH]
        found.update(
            connection.execute(
                select(survey_invitations.c.respondent_key).where(
                    survey_invitations.c.survey_id == survey_id,
                    survey_invitations.c.respondent_key.in_(part),
                )
            ).scalars()
        )
    return found
