"""PAR INDEX campaigns: self-assessment → lock → appraisal → explanation → appraisal → final → results.

Every write goes through one function here that checks, in order: the campaign's stage, the actor's
right to write this unit and this area, the unit's lock and the deadline, the leaf and its rubric,
and (for appraisals) the reason for a changed score. Only then is the score saved, in the same
transaction as its audit row (who, when, old value, new value, why). A refused write changes nothing.

Roles (``Actor.role``): ``admin`` runs campaigns; ``analyst`` reads everything and fills survey
leaves; ``officer`` self-assesses and explains for the units of their province they are assigned;
``appraiser`` appraises the areas they are assigned.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from sipas.errors import SipasError
from sipas.frameworks import ParFramework, require_par, resolve_framework, scoring_gaps
from sipas.frameworks.model import Method, NodeRole, ParNode, SipasRubric
from sipas.geo import provinces_on
from sipas.par import ParResults, change, check_points, compute, points_from_value, round_half_up
from sipas.rows import counted
from sipas.store import Database, audit
from sipas.store import estimates as estimate_store
from sipas.store import par as store

ROLES = ("admin", "analyst", "officer", "appraiser")
ASSIGNMENT_ROLES = ("self_assessor", "appraiser")
WRITE_STAGES = ("self", "appraisal1", "explanation", "appraisal2")
ENTITY = "par_score"
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


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    province_code: str | None = None  # an officer's province

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise SipasError(
                "auth.bad_role", f"unknown role {self.role!r}", f"roles: {', '.join(ROLES)}"
            )


SYSTEM = Actor("sipas", "admin")


def _refused(message: str, hint: str | None = None) -> SipasError:
    return SipasError("auth.forbidden", message, hint)


@dataclass
class Campaign:
    """A campaign as read from the store, with its framework and the lookups every check needs."""

    row: dict[str, Any]
    units: dict[str, dict[str, Any]]

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

    def unit(self, code: str) -> dict[str, Any]:
        found = self.units.get(code)
        if found is None:
            raise SipasError(
                "par.unknown_unit",
                f"unit {code!r} is not in campaign {self.code}",
                f"the campaign has {counted(len(self.units), 'unit')}; "
                "see `sipas par campaign show`",
            )
        return found

    def leaf(self, code: str) -> ParNode:
        found = self.leaves.get(code)
        if found is None:
            kind = "not a leaf" if code in self.ancestors else "not a node"
            raise SipasError(
                "par.unknown_node",
                f"{code!r} is {kind} of framework {self.framework.id}",
                "scores are given for leaves, by their codes (`sipas frameworks show`)",
            )
        return found


def open_campaign(connection: Connection, code: str) -> Campaign:
    row = store.get_campaign(connection, code)
    if row["framework"] is None:
        row["framework"] = require_par(resolve_framework(row["framework_id"])).model_dump(
            mode="json"
        )
    units = {u["unit_code"]: u for u in store.list_units(connection, int(row["id"]))}
    return Campaign(row, units)


# --- campaigns -----------------------------------------------------------------------------------


def _province_units(year: int) -> tuple[list[dict[str, Any]], str]:
    provinces = provinces_on(date(year, 12, 31))  # the provinces in force at the end of the year
    units = [
        {"unit_code": p.code, "name": p.name, "kind": "province", "province_code": p.code}
        for p in provinces
    ]
    return units, provinces[0].geography


def read_units_file(path: Path) -> list[dict[str, Any]]:
    """Units of a province's own campaign: unit_code, name, kind, province_code (CSV or XLSX)."""
    if not path.exists():
        raise SipasError("par.units_file", f"units file {path} not found", None)
    frame = (
        pd.read_excel(path, dtype=str)
        if path.suffix.lower() in {".xlsx", ".xlsm"}
        else pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    )
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("unit_code", "name") if c not in frame.columns]
    if missing:
        raise SipasError(
            "par.units_file",
            f"{path.name}: column {missing[0]!r} is missing",
            "columns: unit_code, name, kind (department | commune | province), province_code",
        )
    frame = frame.fillna("")
    duplicated = frame["unit_code"].duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().nonzero()[0][0]) + 2
        raise SipasError(
            "par.units_file",
            f"{path.name}, row {row}: unit_code {frame['unit_code'][duplicated].iloc[0]!r} "
            "appears twice",
            "give each unit one row",
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
    units: list[dict[str, Any]] | None = None,
    deadline: datetime | None = None,
    previous: str | None = None,
    description: str = "",
    synthetic: bool = False,
    replace: bool = False,
) -> dict[str, Any]:
    """Open a campaign. Units default to the provinces in force at the end of ``year``."""
    if actor.role != "admin":
        raise _refused(f"{actor.name} ({actor.role}) cannot create campaigns", "ask an admin")
    chosen = require_par(resolve_framework(framework))
    gaps = scoring_gaps(chosen)
    if gaps:
        raise SipasError(
            "par.not_scorable",
            f"framework {chosen.id} cannot be scored yet: {gaps[0]}",
            "fill in the missing maxima in your own copy of the framework",
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
            store.get_campaign(connection, previous)  # must exist
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


def list_campaigns(db: Database) -> list[dict[str, Any]]:
    with db.begin() as connection:
        return store.list_campaigns(connection)


def show_campaign(db: Database, code: str) -> dict[str, Any]:
    with db.begin() as connection:
        campaign = open_campaign(connection, code)
        assignments = store.list_assignments(connection, campaign.id)
        locked = sum(1 for u in campaign.units.values() if u["locked_at"] is not None)
    row = campaign.row
    return {
        "campaign": campaign.code,
        "framework": row["framework_id"],
        "framework_version": row["framework_version"],
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
) -> dict[str, Any]:
    """Give ``user`` a unit to self-assess, or an area to appraise (None = every unit or area)."""
    if actor.role != "admin":
        raise _refused(f"{actor.name} ({actor.role}) cannot assign work", "ask an admin")
    if role not in ASSIGNMENT_ROLES:
        raise SipasError(
            "par.bad_assignment",
            f"unknown assignment role {role!r}",
            f"roles: {', '.join(ASSIGNMENT_ROLES)}",
        )
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        if unit is not None:
            campaign.unit(unit)
        if node is not None and node not in campaign.ancestors:
            raise SipasError(
                "par.unknown_node",
                f"{node!r} is not a node of framework {campaign.framework.id}",
                "assign an area's code (or a criterion's)",
            )
        values = {"user_name": user, "role": role, "unit_code": unit, "node_code": node}
        if values in store.list_assignments(connection, campaign.id, user):
            raise SipasError("par.assignment_exists", f"{user} already has this assignment", None)
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


def advance(db: Database, actor: Actor, campaign_code: str, to: str) -> dict[str, Any]:
    """Move the campaign to its next stage; reaching ``final`` fixes every leaf's final score."""
    if actor.role != "admin":
        raise _refused(f"{actor.name} ({actor.role}) cannot move a campaign on", "ask an admin")
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        order = store.STAGES
        if to not in order:
            raise SipasError(
                "par.bad_stage", f"unknown stage {to!r}", f"stages: {', '.join(order)}"
            )
        expected = order[order.index(campaign.stage) + 1] if campaign.stage != "final" else None
        if to != expected:
            raise SipasError(
                "par.stage_order",
                f"campaign {campaign.code} is at stage {campaign.stage!r}; it cannot move to {to!r}",
                f"the next stage is {expected!r}" if expected else "the campaign is final",
            )
        summary: dict[str, Any] = {"campaign": campaign.code, "from": campaign.stage, "to": to}
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
    rows = store.load_scores(connection, campaign.id, _FINAL_SOURCES)
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["unit_code"], row["node_code"])
        current = best.get(key)
        if current is None or _FINAL_SOURCES.index(row["stage"]) < _FINAL_SOURCES.index(
            current["stage"]
        ):
            best[key] = row
    store.delete_stage(connection, campaign.id, "final")
    finals = [
        {
            "unit_code": unit,
            "node_code": node,
            "stage": "final",
            "points": row["points"],
            "value": row["value"],
            "applicable": row["applicable"],
            "note": f"from {row['stage']}",
            "actor": actor.name,
        }
        for (unit, node), row in sorted(best.items())
    ]
    store.add_scores(connection, campaign.id, finals)
    audit.record_many(
        connection,
        [
            {
                "actor": actor.name,
                "action": "par.final",
                "entity": ENTITY,
                "entity_id": _entity_id(campaign, f["unit_code"], f["node_code"], "final"),
                "after": {"points": f["points"], "from": f["note"]},
            }
            for f in finals
        ],
    )
    return len(finals)


# --- permissions ---------------------------------------------------------------------------------


def _covers(assignment: dict[str, Any], campaign: Campaign, unit: str, node: str) -> bool:
    return (assignment["unit_code"] in (None, unit)) and (
        assignment["node_code"] is None or assignment["node_code"] in campaign.ancestors[node]
    )


def _in_province(actor: Actor, unit: dict[str, Any]) -> bool:
    return actor.province_code is not None and actor.province_code in (
        unit["province_code"],
        unit["unit_code"],
    )


def _check_may_write(
    connection: Connection, actor: Actor, campaign: Campaign, unit: str, node: str, stage: str
) -> None:
    unit_row = campaign.unit(unit)
    if actor.role == "admin":
        return
    where = f"unit {unit}, leaf {node}"
    if stage in ("self", "explanation"):
        if actor.role != "officer" or not _in_province(actor, unit_row):
            raise _refused(
                f"{actor.name} ({actor.role}) cannot write the {stage} of {where}: "
                "only an officer of the unit's province can",
            )
        wanted = "self_assessor"
    elif stage in ("appraisal1", "appraisal2"):
        if actor.role != "appraiser":
            raise _refused(f"{actor.name} ({actor.role}) cannot appraise {where}")
        wanted = "appraiser"
    else:  # survey leaves
        if actor.role != "analyst":
            raise _refused(f"{actor.name} ({actor.role}) cannot fill survey leaves")
        return
    assignments = store.list_assignments(connection, campaign.id, actor.name)
    if not any(a["role"] == wanted and _covers(a, campaign, unit, node) for a in assignments):
        raise _refused(
            f"{actor.name} is not assigned to {where} in campaign {campaign.code}",
            "ask the campaign's admin for an assignment",
        )


def may_read(connection: Connection, actor: Actor, campaign: Campaign, unit: str) -> bool:
    if actor.role in ("admin", "analyst"):
        return True
    if actor.role == "officer":
        return _in_province(actor, campaign.unit(unit))
    assignments = store.list_assignments(connection, campaign.id, actor.name)
    return any(a["unit_code"] in (None, unit) for a in assignments)


def ensure_may_read(connection: Connection, actor: Actor, campaign: Campaign, unit: str) -> None:
    if not may_read(connection, actor, campaign, unit):
        raise _refused(f"{actor.name} ({actor.role}) cannot read unit {unit}'s scores")


# --- writing scores ------------------------------------------------------------------------------


def _entity_id(campaign: Campaign, unit: str, node: str, stage: str) -> str:
    return f"{campaign.code}/{unit}/{node}/{stage}"


def _check_open(campaign: Campaign, unit: str, stage: str) -> None:
    if stage == "survey":
        if campaign.stage == "final":
            raise SipasError("par.campaign_final", f"campaign {campaign.code} is final", None)
        return
    if campaign.stage != stage:
        raise SipasError(
            "par.wrong_stage",
            f"campaign {campaign.code} is at stage {campaign.stage!r}, not {stage!r}",
            "nothing was saved; write at the campaign's current stage",
        )
    if stage == "self":
        row = campaign.unit(unit)
        if row["locked_at"] is not None:
            raise SipasError(
                "par.locked",
                f"unit {unit}'s self-assessment was locked by {row['locked_by']} "
                f"at {row['locked_at']:%Y-%m-%d %H:%M}",
                "nothing was saved; after the lock only appraisers change scores",
            )
        deadline = campaign.row["deadline"]
        if deadline is not None:
            deadline = deadline if deadline.tzinfo else deadline.replace(tzinfo=UTC)
            if datetime.now(UTC) > deadline:
                raise SipasError(
                    "par.deadline_passed",
                    f"the self-assessment deadline of {campaign.code} "
                    f"({deadline:%Y-%m-%d %H:%M} UTC) has passed",
                    "nothing was saved; ask the campaign's admin",
                )


def _points(leaf: ParNode, value: Any, points: Any, applicable: bool, where: str) -> float | None:
    if not applicable:
        if not leaf.may_be_not_applicable:
            raise SipasError(
                "par.not_applicable_refused",
                f"{where}: the framework does not let this leaf be declared not applicable",
                "score the leaf",
            )
        return None
    if value is not None:
        computed = points_from_value(leaf, value, where)
        if points is not None and abs(check_points(leaf, points, where) - computed) > 1e-9:
            raise SipasError(
                "par.points_disagree",
                f"{where}: {points} points given, but the value {value!r} earns {computed:g}",
                "give the value or the points, or make them agree",
            )
        return computed
    if points is None:
        raise SipasError("par.no_score", f"{where}: give points or a value", None)
    return check_points(leaf, points, where)


def _previous_points(
    connection: Connection, campaign: Campaign, unit: str, node: str, stage: str
) -> tuple[str, dict[str, Any] | None]:
    """The score an appraisal changes: the first round's for round 2, else the self-assessment."""
    for earlier in ("appraisal1", "self") if stage == "appraisal2" else ("self",):
        found = store.get_score(connection, campaign.id, unit, node, earlier)
        if found is not None:
            return earlier, found
    return "self", None


def _write(
    connection: Connection,
    actor: Actor,
    campaign: Campaign,
    *,
    unit: str,
    node: str,
    stage: str,
    value: Any = None,
    points: Any = None,
    applicable: bool = True,
    note: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    where = f"{campaign.code} › unit {unit} › leaf {node}"
    _check_may_write(connection, actor, campaign, unit, node, stage)
    _check_open(campaign, unit, stage)
    leaf = campaign.leaf(node)
    from_survey = leaf.method is Method.SURVEY
    if stage == "survey" and not from_survey:
        raise SipasError("par.not_survey_leaf", f"{where}: is not a survey leaf", None)
    if stage == "self" and from_survey:
        raise SipasError(
            "par.survey_leaf",
            f"{where}: survey leaves are filled from survey results, never self-assessed",
            "leave it to the analyst (`sipas par scores import --stage survey`)",
        )
    if stage == "explanation":
        if not (note or "").strip():
            raise SipasError("par.no_note", f"{where}: an explanation needs its text", None)
        score = (
            None if points is None and value is None else _points(leaf, value, points, True, where)
        )
    else:
        score = _points(leaf, value, points, applicable, where)
    if stage in ("appraisal1", "appraisal2"):
        earlier, previous = _previous_points(connection, campaign, unit, node, stage)
        before_points = None if previous is None else previous["points"]
        changed = before_points is None or score is None or abs(float(before_points) - score) > 1e-9
        if changed and not (reason or "").strip():
            shown = "no score" if previous is None else f"{previous['points']} ({earlier})"
            raise SipasError(
                "par.reason_required",
                f"{where}: the appraisal changes {shown} to {score}; a reason is required",
                "nothing was saved; give the reason for the change",
            )
    values = {
        "points": score,
        "value": value,
        "applicable": applicable,
        "note": note,
        "reason": reason,
        "actor": actor.name,
    }
    before = store.put_score(connection, campaign.id, unit, node, stage, values)
    audit.record(
        connection,
        actor=actor.name,
        action=f"par.{stage}",
        entity=ENTITY,
        entity_id=_entity_id(campaign, unit, node, stage),
        before=_audited(before),
        after=_audited(values),
        reason=reason,
    )
    return {
        "unit": unit,
        "node": node,
        "stage": stage,
        "points": score,
        "replaced": before is not None,
    }


def _audited(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    keep = ("points", "value", "applicable", "note")
    return {k: values.get(k) for k in keep if values.get(k) is not None or k == "points"}


def write_score(db: Database, actor: Actor, campaign_code: str, **entry: Any) -> dict[str, Any]:
    """Save one leaf score at one stage (self, appraisal1, explanation, appraisal2, survey)."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        return _write(connection, actor, campaign, **entry)


def write_scores(
    db: Database, actor: Actor, campaign_code: str, stage: str, entries: list[dict[str, Any]]
) -> dict[str, Any]:
    """Many scores, all or nothing: the first refused entry (named by its row) saves none."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        for number, entry in enumerate(entries):
            fields = {k: v for k, v in entry.items() if k != "row"}
            try:
                _write(connection, actor, campaign, stage=stage, **fields)
            except SipasError as error:
                row = entry.get("row", number + 2)
                raise SipasError(
                    error.code,
                    f"row {row}: {error.message}",
                    f"nothing from this file was saved. {error.hint or ''}".strip(),
                ) from None
    return {"campaign": campaign_code, "stage": stage, "saved": len(entries)}


def lock(db: Database, actor: Actor, campaign_code: str, unit: str) -> dict[str, Any]:
    """Lock a unit's self-assessment ("chốt"); refused while a leaf lacks a score or evidence."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        unit_row = campaign.unit(unit)
        if actor.role != "admin" and not (
            actor.role == "officer" and _in_province(actor, unit_row)
        ):
            raise _refused(f"{actor.name} ({actor.role}) cannot lock unit {unit}")
        _check_open(campaign, unit, "self")
        scores = {
            r["node_code"]: r for r in store.load_scores(connection, campaign.id, ("self",), unit)
        }
        evidence = {e["node_code"] for e in store.list_evidence(connection, campaign.id, unit)}
        problems = []
        for code, leaf in campaign.leaves.items():
            if leaf.method is Method.SURVEY or campaign.ancestors[code][0] not in _scored_tops(
                campaign
            ):
                continue
            entry = scores.get(code)
            if entry is None:
                problems.append(f"{code}: no self-assessment")
            elif (
                leaf.evidence_required
                and entry["applicable"]
                and code not in evidence
                and not (entry["note"] or "").strip()
            ):
                problems.append(f"{code}: no evidence file and no written explanation")
        if problems:
            raise SipasError(
                "par.lock_incomplete",
                f"unit {unit} cannot be locked: {len(problems)} leaves are incomplete "
                f"({'; '.join(problems[:5])}{' …' if len(problems) > 5 else ''})",
                "score every self-assessed leaf and attach evidence, or explain in a note",
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
) -> dict[str, Any]:
    """Attach a file to a leaf's self-assessment; stored with its SHA-256 (the same file once)."""
    suffix = Path(filename).suffix.lower()
    accepted = EVIDENCE_TYPES.get(suffix)
    if accepted is None:
        raise SipasError(
            "par.evidence_type",
            f"{filename}: {suffix or 'no extension'} files are not accepted as evidence",
            "accepted: " + ", ".join(sorted(EVIDENCE_TYPES)),
        )
    if not content:
        raise SipasError("par.evidence_empty", f"{filename} is empty", None)
    if len(content) > MAX_EVIDENCE_BYTES:
        raise SipasError(
            "par.evidence_size",
            f"{filename} is {len(content) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_EVIDENCE_BYTES // 1024 // 1024} MB",
            "split or compress the file",
        )
    media_type, magics = accepted
    if not content.startswith(magics):
        raise SipasError(
            "par.evidence_content",
            f"{filename} does not contain what a {suffix} file contains",
            "upload the document itself, saved in its own format",
        )
    digest = hashlib.sha256(content).hexdigest()
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        campaign.leaf(node)
        _check_may_write(connection, actor, campaign, unit, node, "self")
        _check_open(campaign, unit, "self")
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
            entity_id=_entity_id(campaign, unit, node, "self"),
            after={"evidence": Path(filename).name, "sha256": digest, "size": len(content)},
        )
    return {"id": evidence_id, "sha256": digest, "new": True}


def list_evidence(
    db: Database, actor: Actor, campaign_code: str, unit: str, node: str | None = None
) -> list[dict[str, Any]]:
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        ensure_may_read(connection, actor, campaign, unit)
        return store.list_evidence(connection, campaign.id, unit, node)


# --- reading -------------------------------------------------------------------------------------


def unit_scores(db: Database, actor: Actor, campaign_code: str, unit: str) -> list[dict[str, Any]]:
    """Every leaf of one unit with its score at each stage (the score sheet)."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        ensure_may_read(connection, actor, campaign, unit)
        rows = store.load_scores(connection, campaign.id, unit_code=unit)
    by_leaf: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_leaf.setdefault(row["node_code"], {})[row["stage"]] = row
    sheet = []
    for code, leaf in campaign.leaves.items():
        stages = by_leaf.get(code, {})
        entry: dict[str, Any] = {"node": code, "name": leaf.name.vi, "max": leaf.max_points}
        for stage in store.SCORE_STAGES:
            found = stages.get(stage)
            entry[stage] = found["points"] if found else None
        entry["reason"] = next(
            (stages[s]["reason"] for s in ("appraisal2", "appraisal1") if s in stages), None
        )
        sheet.append(entry)
    return sheet


def history(
    db: Database, actor: Actor, campaign_code: str, unit: str, node: str | None = None
) -> list[dict[str, Any]]:
    """The audit trail of a unit's leaf (or of all its leaves), oldest first."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        ensure_may_read(connection, actor, campaign, unit)
        prefix = f"{campaign.code}/{unit}/" + (f"{node}/" if node else "")
        rows = audit.history(connection, ENTITY, prefix, prefix=True)
    return [
        {
            "at": r["at"],
            "actor": r["actor"],
            "action": r["action"],
            "leaf": r["entity_id"].split("/")[2],
            "before": (r["before"] or {}).get("points") if r["before"] else None,
            "after": (r["after"] or {}).get("points") if r["after"] else None,
            "reason": r["reason"],
            "note": (r["after"] or {}).get("note") if r["after"] else None,
        }
        for r in rows
    ]


def fill_from_sipas(db: Database, actor: Actor, campaign_code: str, run: str) -> dict[str, Any]:
    """Fill every leaf with a ``sipas`` rubric from a saved SIPAS estimation run.

    Each province unit takes its own estimate of the rubric's indicator (0–100); the campaign and
    the run must be on the same geography, since province codes were reused in 2025.
    """
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        linked = [leaf for leaf in campaign.leaves.values() if isinstance(leaf.rubric, SipasRubric)]
        if not linked:
            raise SipasError(
                "par.no_sipas_leaf",
                f"framework {campaign.framework.id} has no leaf fed by SIPAS",
                "declare one with rubric: {kind: sipas, indicator: SIPAS} and method: survey",
            )
        found = estimate_store.get_run(connection, run)
        run_geography = (found["options"] or {}).get("geography")
        if campaign.row["geography"] != run_geography:
            raise SipasError(
                "par.geography_mismatch",
                f"campaign {campaign.code} is on geography {campaign.row['geography']!r} but "
                f"run {run} is on {run_geography!r}",
                "use a run on the campaign's provinces (e.g. one re-estimated with --on-34)",
            )
        table = estimate_store.load_estimates(connection, run)
        table = table[table["partition"] == found["unit"]]
        estimates = {
            (str(r["cell"]), str(r["indicator"])): r for r in table.to_dict(orient="records")
        }
        written, missing = 0, []
        for leaf in linked:
            assert isinstance(leaf.rubric, SipasRubric)
            for unit in campaign.units:
                estimate = estimates.get((unit, leaf.rubric.indicator))
                if estimate is None or estimate["estimate"] is None:
                    missing.append(f"{unit}/{leaf.code}")
                    continue
                _write(
                    connection,
                    actor,
                    campaign,
                    unit=unit,
                    node=leaf.code,
                    stage="survey",
                    value=float(estimate["estimate"]),
                    note=(
                        f"SIPAS run {run}: {leaf.rubric.indicator} = {estimate['estimate']:.2f} "
                        f"(95% CI {estimate['ci_low']:.2f}–{estimate['ci_high']:.2f})"
                    ),
                )
                written += 1
    return {"campaign": campaign_code, "run": run, "filled": written, "missing": missing}


# --- results -------------------------------------------------------------------------------------


def _results(connection: Connection, campaign: Campaign, stage: str) -> ParResults:
    stages = (stage,) if stage == "final" else (stage, "survey")
    rows = store.load_scores(connection, campaign.id, stages)
    frame = pd.DataFrame(rows, columns=["unit_code", "node_code", "stage", "points", "applicable"])
    if stage != "final":  # a survey leaf's value stands in until the campaign is final
        frame = frame.sort_values("stage").drop_duplicates(["unit_code", "node_code"], keep="first")
    return compute(campaign.framework, list(campaign.units), frame)


def results(
    db: Database,
    campaign_code: str,
    stage: str = "final",
    unit: str | None = None,
    with_nodes: bool = False,
) -> dict[str, Any]:
    """Totals, area indices, index, group and rank of every unit, recomputed from stored scores."""
    if stage not in (*store.STAGES, "survey") or stage in ("explanation", "survey"):
        raise SipasError(
            "par.bad_stage",
            f"results cannot be computed at stage {stage!r}",
            "stages: self, appraisal1, appraisal2, final",
        )
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        if stage == "final" and campaign.stage != "final":
            raise SipasError(
                "par.not_final",
                f"campaign {campaign.code} is at stage {campaign.stage!r}; it has no final scores",
                "see provisional results with --stage self (or appraisal1), or advance to final",
            )
        current = _results(connection, campaign, stage)
        previous_code = campaign.row["previous_code"]
        previous = None
        if previous_code:
            earlier = open_campaign(connection, previous_code)
            if earlier.stage == "final":
                previous = _results(connection, earlier, "final")
    table = (
        change(current, previous)
        if previous is not None
        else current.units.assign(index_change=float("nan"), rank_change=float("nan"))
    )
    merged = current.units.merge(
        table[["unit_code", "index_change", "rank_change"]], on="unit_code"
    )
    areas = current.nodes[current.nodes["depth"] == 0].pivot(
        index="unit_code", columns="node_code", values="index"
    )
    rows = []
    for record in merged.to_dict(orient="records"):
        code = record["unit_code"]
        if unit is not None and code != unit:
            continue
        entry: dict[str, Any] = {
            "unit": code,
            "name": campaign.units[code]["name"],
            "index": round_half_up(record["index"]),
            "rank": None if pd.isna(record["rank"]) else int(record["rank"]),
            "group": None if pd.isna(record["group"]) else record["group"],
            "points": round_half_up(record["points"]),
            "bonus": round_half_up(record["bonus"]),
            "penalty": round_half_up(record["penalty"]),
        }
        for area in areas.columns:
            entry[f"area_{area}"] = round_half_up(float(areas.loc[code, area]))
        entry["change"] = round_half_up(record["index_change"])
        entry["rank_change"] = (
            None if pd.isna(record["rank_change"]) else int(record["rank_change"])
        )
        entry["complete"] = bool(record["complete"])
        rows.append(entry)
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["unit"]))
    national = dict(current.national)
    national["mean_index"] = round_half_up(national["mean_index"])
    nodes = []
    if with_nodes:
        chosen = (
            current.nodes if unit is None else current.nodes[current.nodes["unit_code"] == unit]
        )
        nodes = [
            {
                "unit": r["unit_code"],
                "node": r["node_code"],
                "points": round_half_up(r["points"]),
                "max": r["max"],
                "index": round_half_up(r["index"]),
            }
            for r in chosen.to_dict(orient="records")
        ]
    return {
        "campaign": campaign.code,
        "framework": campaign.framework.id,
        "year": campaign.row["year"],
        "stage": stage,
        "synthetic": bool(campaign.row["synthetic"]),
        "previous": previous_code if previous is not None else None,
        "national": national,
        "units": rows,
        "nodes": nodes,
        "rules": {
            "index": "(points + bonus − penalty) / applicable maximum × 100",
            "rounding": "half-up to 2 decimals on publication only",
            "ranks": "descending on the unrounded index; equal indices share a rank",
            "groups": "by the published (rounded) index against the framework's thresholds",
            "not_applicable": campaign.framework.not_applicable.value,
        },
    }
