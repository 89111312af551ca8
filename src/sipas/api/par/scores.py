"""Writing PAR scores: one checked path for every write, saved together with its audit rows.

Every write is checked, in order, for: the campaign's stage, the actor's right to write this unit
and this area, the unit's lock and the deadline, the leaf and its rubric, and (for appraisals) a
reason when the score changes. Writes of one call are saved in one transaction with their audit
rows (who, when, old value, new value, why); a refused write anywhere saves nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

from sqlalchemy import Connection

from sipas.api.par.access import check_may_write, ensure_may_read, in_province
from sipas.api.par.campaigns import ENTITY, Actor, Campaign, entity_id, open_campaign
from sipas.api.uploads import check_structure
from sipas.errors import SipasError
from sipas.frameworks.model import Method, NodeRole, ParNode, SipasRubric
from sipas.messages import Phrase
from sipas.par import check_points, points_from_value, workflow
from sipas.par.workflow import Action
from sipas.store import Database, audit
from sipas.store import estimates as estimate_store
from sipas.store import par as store
from sipas.store.par import AssignmentRow, EvidenceRow

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
# File types accepted as evidence, recognised by their first bytes (not by the name alone).
EVIDENCE_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


class ScoreWritten(TypedDict):
    """One leaf score checked and queued: its place, points, and whether it replaced or matched
    a stored score."""

    unit: str
    node: str
    stage: str
    points: float | None
    replaced: bool
    unchanged: bool


class ScoresWritten(TypedDict):
    """Many scores of one stage saved together."""

    campaign: str
    stage: str
    saved: int


class UnitLocked(TypedDict):
    """A unit's self-assessment locked, and when."""

    campaign: str
    unit: str
    locked_at: datetime


class EvidenceStored(TypedDict):
    """An evidence file attached (``new``) or found already attached (the same SHA-256)."""

    id: int
    sha256: str
    new: bool


class EvidenceFile(TypedDict):
    """An evidence file to send: its name, media type and content."""

    filename: str
    media_type: str
    content: bytes


class SipasFilled(TypedDict):
    """Survey leaves filled from a SIPAS run, and the unit/leaf pairs the run had no value for."""

    campaign: str
    run: str
    filled: int
    missing: list[str]


def check_open(campaign: Campaign, unit: str, stage: str) -> None:
    """Refuse a write the campaign's stage, the unit's lock or the deadline no longer allows."""
    if stage == "survey":
        if campaign.stage == "final":
            raise SipasError("par.campaign_final", campaign=campaign.code)
        return
    if campaign.stage != stage:
        raise SipasError(
            "par.wrong_stage", campaign=campaign.code, stage=campaign.stage, asked=stage
        )
    if stage == "self":
        row = campaign.unit(unit)
        if row["locked_at"] is not None:
            raise SipasError("par.locked", unit=unit, by=row["locked_by"], at=row["locked_at"])
        deadline = campaign.row["deadline"]
        if deadline is not None:
            deadline = deadline if deadline.tzinfo else deadline.replace(tzinfo=UTC)
            if datetime.now(UTC) > deadline:
                raise SipasError("par.deadline_passed", campaign=campaign.code, deadline=deadline)


def _points(
    leaf: ParNode, value: Any, points: Any, applicable: bool, where: Phrase
) -> float | None:
    if not applicable:
        if not leaf.may_be_not_applicable:
            raise SipasError("par.not_applicable_refused", where=where)
        return None
    if value is not None:
        computed = points_from_value(leaf, value, where)
        if points is not None and abs(check_points(leaf, points, where) - computed) > 1e-9:
            raise SipasError(
                "par.points_disagree", where=where, points=points, value=value, computed=computed
            )
        return computed
    if points is None:
        raise SipasError("par.no_score", where=where)
    return check_points(leaf, points, where)


def _audited(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    keep = ("points", "value", "applicable", "note")
    return {k: values.get(k) for k in keep if values.get(k) is not None or k == "points"}


class _Writer:
    """Checks the writes of one transaction and saves them together.

    A unit's stored scores are read once, on its first write, and the actor's assignments once,
    so an import of every commune's scores costs a few queries per unit, not per leaf.
    """

    def __init__(self, connection: Connection, actor: Actor, campaign: Campaign) -> None:
        self.connection, self.actor, self.campaign = connection, actor, campaign
        self._assignments: list[AssignmentRow] | None = None
        self._scores: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self._written: set[tuple[str, str, str]] = set()
        self._inserts: list[dict[str, Any]] = []
        self._updates: list[tuple[str, str, str, dict[str, Any]]] = []
        self._audits: list[dict[str, Any]] = []

    def _stored(self, unit: str) -> dict[tuple[str, str], dict[str, Any]]:
        if unit not in self._scores:
            rows = store.load_scores(self.connection, self.campaign.id, unit_code=unit)
            self._scores[unit] = {(r["node_code"], r["stage"]): r for r in rows}
        return self._scores[unit]

    def _assigned(self) -> list[AssignmentRow]:
        if self._assignments is None:
            self._assignments = store.list_assignments(
                self.connection, self.campaign.id, self.actor.name
            )
        return self._assignments

    def _check_reason(
        self,
        unit: str,
        node: str,
        stage: str,
        score: float | None,
        reason: str | None,
        where: Phrase,
    ) -> None:
        """An appraisal that changes the score it appraises (round 1: self; round 2: round 1)."""
        stored = self._stored(unit)
        earlier = ("appraisal1", "self") if stage == "appraisal2" else ("self",)
        name, previous = next(
            ((s, stored[(node, s)]) for s in earlier if (node, s) in stored), ("self", None)
        )
        before = None if previous is None else previous["points"]
        changed = before is None or score is None or abs(float(before) - score) > 1e-9
        if changed and not (reason or "").strip():
            new = score if score is not None else Phrase("par.not_applicable")
            if previous is None:
                raise SipasError("par.reason_required_new", where=where, score=new)
            raise SipasError(
                "par.reason_required",
                where=where,
                before=before if before is not None else Phrase("par.not_applicable"),
                source=name,
                score=new,
            )

    def write(
        self,
        *,
        unit: str,
        node: str,
        stage: str,
        value: Any = None,
        points: Any = None,
        applicable: bool = True,
        note: str | None = None,
        reason: str | None = None,
        row: Any = None,
        skip_unchanged: bool = False,
    ) -> ScoreWritten:
        """Check one score and queue it; ``row`` names the file row it came from. With
        ``skip_unchanged``, a score equal to the stored one is checked but not written again."""
        campaign = self.campaign
        where = campaign.place(unit, node, row)
        check_may_write(self.actor, self._assigned(), campaign, unit, node, stage, where)
        check_open(campaign, unit, stage)
        leaf = campaign.leaf(node, where)
        from_survey = leaf.method is Method.SURVEY
        if stage == "survey" and not from_survey:
            raise SipasError("par.not_survey_leaf", where=where)
        if stage == "self" and from_survey:
            raise SipasError("par.survey_leaf", where=where)
        if (unit, node, stage) in self._written:
            raise SipasError("par.duplicate_entry", where=where)
        if stage == "explanation":
            if not (note or "").strip():
                raise SipasError("par.no_note", where=where)
            score = None
            if points is not None or value is not None:
                score = _points(leaf, value, points, True, where)
        else:
            score = _points(leaf, value, points, applicable, where)
        if stage in ("appraisal1", "appraisal2"):
            self._check_reason(unit, node, stage, score, reason, where)
        values = {
            "points": score,
            "value": value,
            "applicable": applicable,
            "note": note,
            "reason": reason,
            "actor": self.actor.name,
        }
        stored = self._stored(unit)
        before = stored.get((node, stage))
        result: ScoreWritten = {
            "unit": unit,
            "node": node,
            "stage": stage,
            "points": score,
            "replaced": before is not None,
            "unchanged": False,
        }
        if skip_unchanged and before is not None and _same(before, values):
            self._written.add((unit, node, stage))
            return {**result, "replaced": False, "unchanged": True}
        if before is None:
            self._inserts.append({"unit_code": unit, "node_code": node, "stage": stage, **values})
        else:
            self._updates.append((unit, node, stage, values))
        stored[(node, stage)] = values
        self._written.add((unit, node, stage))
        self._audits.append(
            {
                "actor": self.actor.name,
                "action": f"par.{stage}",
                "entity": ENTITY,
                "entity_id": entity_id(campaign, unit, node, stage),
                "before": _audited(before),
                "after": _audited(values),
                "reason": reason,
            }
        )
        return result

    def save(self) -> int:
        store.add_scores(self.connection, self.campaign.id, self._inserts)
        for unit, node, stage, values in self._updates:
            store.put_score(self.connection, self.campaign.id, unit, node, stage, values)
        audit.record_many(self.connection, self._audits)
        return len(self._audits)


def write_score(db: Database, actor: Actor, campaign_code: str, **entry: Any) -> ScoreWritten:
    """Save one leaf score at one stage (self, appraisal1, explanation, appraisal2, survey)."""
    with db.begin() as connection:
        writer = _Writer(connection, actor, open_campaign(connection, campaign_code))
        saved = writer.write(**entry)
        writer.save()
    return saved


def write_scores(
    db: Database, actor: Actor, campaign_code: str, stage: str, entries: list[dict[str, Any]]
) -> ScoresWritten:
    """Many scores, all or nothing: the first refused entry (named by its row) saves none."""
    with db.begin() as connection:
        writer = _Writer(connection, actor, open_campaign(connection, campaign_code))
        for number, entry in enumerate(entries):
            fields = {k: v for k, v in entry.items() if k != "row"}
            writer.write(stage=stage, row=entry.get("row", number + 2), **fields)
        writer.save()
    return {"campaign": campaign_code, "stage": stage, "saved": len(entries)}


def _same(stored: dict[str, Any], values: dict[str, Any]) -> bool:
    """A score as a form sends it again: the same points, applicability, note and reason."""
    old, new = stored.get("points"), values.get("points")
    if (old is None) != (new is None) or (
        old is not None and new is not None and abs(float(old) - float(new)) > 1e-9
    ):
        return False
    return bool(stored.get("applicable", True)) == bool(values["applicable"]) and all(
        (stored.get(k) or None) == (values.get(k) or None) for k in ("note", "reason")
    )


@dataclass
class LeavesWritten:
    """What one form with several leaves of a unit did: saved, left as they were, or refused
    (then nothing at all was saved), each refusal by its leaf."""

    saved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: dict[str, SipasError] = field(default_factory=dict)


def write_leaves(
    db: Database,
    actor: Actor,
    campaign_code: str,
    *,
    unit: str,
    stage: str,
    entries: list[dict[str, Any]],
) -> LeavesWritten:
    """Scores of several leaves of one unit at one stage (an area's form), all or nothing.

    Every entry goes through the same checks as :func:`write_score`, so that each refusal can be
    shown beside its leaf; one refusal saves none of them. An entry equal to the stored score is
    not written again (no audit row records a change that did not happen)."""
    outcome = LeavesWritten()
    with db.begin() as connection:
        writer = _Writer(connection, actor, open_campaign(connection, campaign_code))
        for entry in entries:
            node = str(entry["node"])
            try:
                done = writer.write(unit=unit, stage=stage, skip_unchanged=True, **entry)
            except SipasError as refusal:
                outcome.refused[node] = refusal
                continue
            (outcome.unchanged if done["unchanged"] else outcome.saved).append(node)
        if outcome.refused:  # the checks only read: nothing to undo
            outcome.saved = []
            return outcome
        writer.save()
    return outcome


def lock(db: Database, actor: Actor, campaign_code: str, unit: str) -> UnitLocked:
    """Lock a unit's self-assessment ("chốt"); refused while a leaf lacks a score or evidence."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        unit_row = campaign.unit(unit)
        refused = workflow.decide(Action.LOCK, actor.role, in_province=in_province(actor, unit_row))
        if refused is not None:
            raise SipasError("auth.forbidden.lock", user=actor.name, role=actor.role, unit=unit)
        check_open(campaign, unit, "self")
        scores = {
            r["node_code"]: r for r in store.load_scores(connection, campaign.id, ("self",), unit)
        }
        evidence = {e["node_code"] for e in store.list_evidence(connection, campaign.id, unit)}
        problems: list[Phrase] = []
        for code, leaf in campaign.leaves.items():
            if leaf.method is Method.SURVEY or campaign.ancestors[code][0] not in _scored_tops(
                campaign
            ):
                continue
            entry = scores.get(code)
            if entry is None:
                problems.append(Phrase("par.incomplete.no_score", leaf=code))
            elif (
                leaf.evidence_required
                and entry["applicable"]
                and code not in evidence
                and not (entry["note"] or "").strip()
            ):
                problems.append(Phrase("par.incomplete.no_evidence", leaf=code))
        if problems:
            raise SipasError(
                "par.lock_incomplete", unit=unit, count=len(problems), leaves=problems[:5]
            )
        at = store.lock_unit(connection, campaign.id, unit, actor.name)
        audit.record(
            connection,
            actor=actor.name,
            action="par.lock",
            entity="par_unit",
            entity_id=f"{campaign.code}/{unit}",
            after={"locked_at": at.isoformat()},
        )
    return {"campaign": campaign_code, "unit": unit, "locked_at": at}


def _scored_tops(campaign: Campaign) -> set[str]:
    return {n.code for n in campaign.framework.nodes if n.role is NodeRole.SCORE}


def upload_evidence(
    db: Database,
    actor: Actor,
    campaign_code: str,
    *,
    unit: str,
    node: str,
    filename: str,
    content: bytes,
) -> EvidenceStored:
    """Attach a file to a leaf's self-assessment; stored with its SHA-256 (the same file once)."""
    suffix = Path(filename).suffix.lower()
    accepted = EVIDENCE_TYPES.get(suffix)
    if accepted is None:
        raise SipasError(
            "par.evidence_type",
            file=filename,
            suffix=suffix or Phrase("par.no_extension"),
            accepted=sorted(EVIDENCE_TYPES),
        )
    if not content:
        raise SipasError("par.evidence_empty", file=filename)
    if len(content) > MAX_EVIDENCE_BYTES:
        raise SipasError(
            "par.evidence_size",
            file=filename,
            size=len(content) / 1024 / 1024,
            limit=MAX_EVIDENCE_BYTES // 1024 // 1024,
        )
    media_type, magics = accepted
    if not content.startswith(magics):
        raise SipasError("par.evidence_content", file=filename, suffix=suffix)
    check_structure(filename, suffix, content)  # a PDF parses, a DOCX is no zip bomb, ...
    digest = hashlib.sha256(content).hexdigest()
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        campaign.leaf(node, campaign.place(unit, node))
        assignments = store.list_assignments(connection, campaign.id, actor.name)
        check_may_write(actor, assignments, campaign, unit, node, "self")
        check_open(campaign, unit, "self")
        existing = store.find_evidence(connection, campaign.id, unit, node, digest)
        if existing is not None:
            return {"id": existing, "sha256": digest, "new": False}
        evidence_id = store.add_evidence(
            connection,
            campaign.id,
            unit_code=unit,
            node_code=node,
            filename=Path(filename).name,
            media_type=media_type,
            size=len(content),
            sha256=digest,
            content=content,
            uploaded_by=actor.name,
        )
        audit.record(
            connection,
            actor=actor.name,
            action="par.evidence",
            entity=ENTITY,
            entity_id=entity_id(campaign, unit, node, "self"),
            after={"evidence": Path(filename).name, "sha256": digest, "size": len(content)},
        )
    return {"id": evidence_id, "sha256": digest, "new": True}


def evidence_file(
    db: Database, actor: Actor, campaign_code: str, unit: str, evidence_id: int
) -> EvidenceFile:
    """One evidence file of a unit (name, media type, content), for whoever may read the unit."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        ensure_may_read(connection, actor, campaign, unit)
        listed = {e["id"]: e for e in store.list_evidence(connection, campaign.id, unit)}
        content = store.evidence_content(connection, campaign.id, evidence_id)
    if evidence_id not in listed or content is None:
        raise SipasError("par.evidence_unknown", unit=unit, evidence=evidence_id)
    found = listed[evidence_id]
    return {"filename": found["filename"], "media_type": found["media_type"], "content": content}


def list_evidence(
    db: Database, actor: Actor, campaign_code: str, unit: str, node: str | None = None
) -> list[EvidenceRow]:
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        ensure_may_read(connection, actor, campaign, unit)
        return store.list_evidence(connection, campaign.id, unit, node)


def fill_from_sipas(db: Database, actor: Actor, campaign_code: str, run: str) -> SipasFilled:
    """Fill every leaf with a ``sipas`` rubric from a saved SIPAS estimation run.

    Each province unit takes its own estimate of the rubric's indicator (0–100); the campaign and
    the run must be on the same geography, since province codes were reused in 2025.
    """
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        linked = [leaf for leaf in campaign.leaves.values() if isinstance(leaf.rubric, SipasRubric)]
        if not linked:
            raise SipasError("par.no_sipas_leaf", framework=campaign.framework.id)
        found = estimate_store.get_run(connection, run)
        run_geography = (found["options"] or {}).get("geography")
        if campaign.row["geography"] != run_geography:
            raise SipasError(
                "par.geography_mismatch.run",
                campaign=campaign.code,
                geography=campaign.row["geography"],
                run=run,
                run_geography=run_geography,
            )
        table = estimate_store.load_estimates(connection, run)
        table = table[table["partition"] == found["unit"]]
        estimates = {
            (str(r["cell"]), str(r["indicator"])): r for r in table.to_dict(orient="records")
        }
        writer = _Writer(connection, actor, campaign)
        missing = []
        for leaf in linked:
            assert isinstance(leaf.rubric, SipasRubric)
            for unit in campaign.units:
                estimate = estimates.get((unit, leaf.rubric.indicator))
                if estimate is None or estimate["estimate"] is None:
                    missing.append(f"{unit}/{leaf.code}")
                    continue
                writer.write(
                    unit=unit,
                    node=leaf.code,
                    stage="survey",
                    value=float(estimate["estimate"]),
                    note=(
                        f"SIPAS run {run}: {leaf.rubric.indicator} = {estimate['estimate']:.2f} "
                        f"(95% CI {estimate['ci_low']:.2f}–{estimate['ci_high']:.2f})"
                    ),
                )
        written = writer.save()
    return {"campaign": campaign_code, "run": run, "filled": written, "missing": missing}
