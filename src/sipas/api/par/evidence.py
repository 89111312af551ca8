"""Removing an evidence file: by the one who uploaded it (or an admin), before the unit is locked."""

from __future__ import annotations

from typing import TypedDict

from sipas.api.par.access import check_may_write
from sipas.api.par.campaigns import ENTITY, Actor, entity_id, open_campaign
from sipas.api.par.scores import check_open
from sipas.errors import SipasError
from sipas.store import Database, audit
from sipas.store import par as store


class EvidenceDeleted(TypedDict):
    """An evidence file deleted, and the leaf it was attached to."""

    id: int
    deleted: bool
    node: str


def delete_evidence(
    db: Database, actor: Actor, campaign_code: str, unit: str, evidence_id: int
) -> EvidenceDeleted:
    """Delete one of a unit's evidence files while its self-assessment is still open (not
    locked); only the account that uploaded it, or an admin, may. The audit log keeps the file's
    name, size and SHA-256."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        listed = {e["id"]: e for e in store.list_evidence(connection, campaign.id, unit)}
        found = listed.get(evidence_id)
        if found is None:
            raise SipasError("upload.evidence_unknown", unit=unit, id=evidence_id)
        node = str(found["node_code"])
        assignments = store.list_assignments(connection, campaign.id, actor.name)
        check_may_write(actor, assignments, campaign, unit, node, "self")
        if actor.role != "admin" and found["uploaded_by"] != actor.name:
            raise SipasError("upload.not_owner", file=found["filename"], owner=found["uploaded_by"])
        check_open(campaign, unit, "self")  # refused once the unit is locked
        store.delete_evidence(connection, campaign.id, evidence_id)
        audit.record(
            connection,
            actor=actor.name,
            action="par.evidence_delete",
            entity=ENTITY,
            entity_id=entity_id(campaign, unit, node, "self"),
            before={
                "evidence": found["filename"],
                "sha256": found["sha256"],
                "size": found["size"],
            },
        )
    return {"id": evidence_id, "deleted": True, "node": node}
