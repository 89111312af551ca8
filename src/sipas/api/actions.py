"""Remediation plans ("kế hoạch khắc phục"): recording an action against a weakness and
changing its status, evidence, deadline or owner. Every change is checked (the indicator exists in
its index's framework, the province in the year, the deadline is a date, the user may write for the
province) before anything is stored, and written to the audit log with the row before and after, in
the same transaction. What people read of the plans is :mod:`sipas.api.queries.actions`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sipas.api.par.campaigns import Actor, open_campaign
from sipas.api.queries.actions import (
    ENTITY,
    Action,
    Names,
    action_of,
    check_index,
    check_reader,
    check_status,
    check_year,
    parse_id,
    province_of,
)
from sipas.errors import SipasError
from sipas.geo import Province
from sipas.store import Database, audit
from sipas.store import actions as store
from sipas.store import par as par_store

FRAMEWORKS = {"sipas": "sipas-gen2", "service": "service-766"}
MAX_TEXT = 4000
MAX_OWNER = 200
MAX_URL = 500


def _check_writer(actor: Actor, province_code: str) -> None:
    check_reader(actor, province_code)
    if actor.role == "analyst":
        raise SipasError("actions.read_only", user=actor.name, role=actor.role)


def parse_deadline(value: date | str) -> date:
    """A date, ``2025-06-30`` or ``30/06/2025``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    try:
        if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", raw):
            day, month, year = (int(part) for part in raw.split("/"))
            return date(year, month, day)
        return date.fromisoformat(raw)
    except ValueError:
        raise SipasError("actions.bad_deadline", value=raw) from None


def _required(name: str, value: str | None, limit: int = MAX_TEXT) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise SipasError("actions.empty_field", field=name)
    if len(cleaned) > limit:
        raise SipasError("actions.too_long", field=name, max=limit)
    return cleaned


def _optional(name: str, value: str | None, limit: int = MAX_TEXT) -> str | None:
    cleaned = (value or "").strip()
    if len(cleaned) > limit:
        raise SipasError("actions.too_long", field=name, max=limit)
    return cleaned or None


def _link(value: str | None) -> str | None:
    cleaned = _optional("evidence_url", value, MAX_URL)
    if cleaned is not None and not re.match(r"^https?://[^\s]+$", cleaned, re.IGNORECASE):
        raise SipasError("actions.bad_link", url=cleaned)
    return cleaned


def _par_campaign(db: Database, province: Province, year: int, source: str | None) -> str:
    """The PAR campaign of ``year`` holding the province: ``source`` checked, or the only one."""
    with db.read() as connection:
        campaigns = [c for c in par_store.list_campaigns(connection) if int(c["year"]) == year]
        holding = []
        for row in campaigns:
            units = open_campaign(connection, str(row["code"])).units
            if province.code in units:
                holding.append(row)
        if source is not None:
            if not any(str(c["code"]) == source for c in holding):
                found = par_store.get_campaign(connection, source)  # unknown: its own error
                raise SipasError(
                    "actions.source_mismatch",
                    source=source,
                    year=year,
                    province=province.label(),
                    source_year=found["year"],
                )
            return source
    if not holding:
        raise SipasError("actions.no_campaign", province=province.label(), year=year)
    final = [c for c in holding if c["stage"] == "final"]
    chosen = final or holding
    if len(chosen) > 1:
        raise SipasError(
            "actions.several_campaigns",
            province=province.label(),
            year=year,
            campaigns=[str(c["code"]) for c in chosen],
        )
    return str(chosen[0]["code"])


# --- next year's results ------------------------------------------------------------------------


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as the audit log keeps it (dates as text)."""
    keep = (
        "province_code", "province_key", "year", "index_kind", "framework_id", "source",
        "indicator", "target", "task", "owner", "deadline", "status", "evidence", "evidence_url",
    )  # fmt: skip
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items() if k in keep}


def add_action(
    db: Database,
    actor: Actor,
    *,
    province: str,
    year: int | str,
    index: str,
    indicator: str,
    task: str,
    owner: str,
    deadline: date | str,
    target: str | None = None,
    status: str = "planned",
    evidence: str | None = None,
    evidence_url: str | None = None,
    source: str | None = None,
    framework: str | None = None,
) -> Action:
    """Record an action against a weakness; refused (nothing stored) on any bad value."""
    chosen_year = check_year(year)
    kind = check_index(index)
    found = province_of(province, chosen_year)
    _check_writer(actor, found.code)
    code = _required("indicator", indicator, 80)
    values: dict[str, Any] = {
        "province_code": found.code,
        "province_key": found.key,
        "year": chosen_year,
        "index_kind": kind,
        "indicator": code,
        "task": _required("task", task),
        "owner": _required("owner", owner, MAX_OWNER),
        "deadline": parse_deadline(deadline),
        "target": _optional("target", target),
        "status": check_status(status),
        "evidence": _optional("evidence", evidence),
        "evidence_url": _link(evidence_url),
    }
    if kind == "par":
        campaign = _par_campaign(db, found, chosen_year, (source or "").strip() or None)
        with db.read() as connection:
            values["framework_id"] = open_campaign(connection, campaign).framework.id
        values["source"] = campaign
    else:
        values["framework_id"] = (framework or "").strip() or FRAMEWORKS[kind]
        values["source"] = None
    names = Names(db).of(kind, values["framework_id"], values["source"])
    if code not in names:
        raise SipasError(
            "actions.unknown_indicator", indicator=code, framework=values["framework_id"]
        )
    with db.begin() as connection:
        row = store.add_action(connection, values, actor.name)
        audit.record(
            connection,
            actor=actor.name,
            action="action.add",
            entity=ENTITY,
            entity_id=str(row["id"]),
            after=_plain(row),
        )
    return action_of(row, Names(db), None)


def update_action(
    db: Database,
    actor: Actor,
    action_id: int | str,
    *,
    status: str | None = None,
    evidence: str | None = None,
    evidence_url: str | None = None,
    deadline: date | str | None = None,
    owner: str | None = None,
    reason: str | None = None,
) -> Action:
    """Change an action's status, evidence, deadline or owner; audited with the reason given."""
    number = parse_id(action_id)
    changes: dict[str, Any] = {}
    if status not in (None, ""):
        changes["status"] = check_status(str(status))
    if evidence not in (None, ""):
        changes["evidence"] = _optional("evidence", evidence)
    if evidence_url not in (None, ""):
        changes["evidence_url"] = _link(evidence_url)
    if deadline not in (None, ""):
        changes["deadline"] = parse_deadline(deadline)
    if owner not in (None, ""):
        changes["owner"] = _required("owner", owner, MAX_OWNER)
    with db.begin() as connection:
        before = store.get_action(connection, number)
        _check_writer(actor, str(before["province_code"]))
        changes = {k: v for k, v in changes.items() if before[k] != v}
        if not changes:
            raise SipasError("actions.nothing_to_change", id=number)
        after = store.update_action(connection, number, changes, actor.name)
        audit.record(
            connection,
            actor=actor.name,
            action="action.update",
            entity=ENTITY,
            entity_id=str(number),
            before={k: v for k, v in _plain(before).items() if k in changes},
            after={k: v for k, v in _plain(after).items() if k in changes},
            reason=_optional("reason", reason),
        )
    return action_of(after, Names(db), None)


# --- what people read: the outcome in words, the export -----------------------------------------
