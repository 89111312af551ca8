"""The facts indicators are written over, derived from the records in Ibis (and pandas for the
small catalogue).

Dossier facts (judged at the period's last day E):
- ``counted`` / ``judged``: any status but 3 (not received) and 7 (withdrawn).
- ``finished``: an end date on or before E; an unfinished dossier is judged at E.
- ``on_time``: counted, at most one supplement request, and (end − promised) ≤ supplement days,
  or, with no promised date, (end − start − supplement days) ≤ the procedure's legal days.
- ``complaint``: a complaint (PAKN) is linked to the dossier.
- ``processing_days``: end − start − supplement days, for finished dossiers.
Complaint facts: ``judged`` (all), ``handled`` (by E), ``on_time`` (handled, or E, ≤ due date).
Procedure facts (per catalogue row and period): ``in_force`` (decided by E), ``published``,
``published_on_time`` (within the framework's ``publish_days``), ``amended_in_period``,
``amendment_published_on_time``, ``dossiers``, ``online_dossiers``, ``paid_online_dossiers``,
``received_online`` and ``paid_online_any`` (at least one such dossier in the period).
"""

from __future__ import annotations

from typing import Any

import ibis  # type: ignore[import-untyped, unused-ignore]
import ibis.expr.types as ir  # type: ignore[import-untyped, unused-ignore]
import pandas as pd

from sipas.service_index.model import DOSSIER_COLUMNS, NOT_JUDGED_STATUSES, Period, day_number

_ZERO_FILLED = (
    "fee_amount",
    "fee_paid_online",
    "documents",
    "documents_digitised",
    "documents_reused",
    "documents_from_store",
    "supplement_requests",
    "supplement_days",
)


def with_periods(table: ir.Table, day: ir.IntegerValue, periods: list[Period]) -> ir.Table:
    """Rows whose ``day`` falls in one of ``periods``, with ``period`` and ``period_end``."""
    lo, hi = min(p.start_day for p in periods), max(p.end_day for p in periods)
    table = table.mutate(_day=day).filter(lambda t: t._day.between(lo, hi))
    key = ibis.cases(*((table._day.between(p.start_day, p.end_day), p.key) for p in periods))
    end = ibis.cases(*((table._day.between(p.start_day, p.end_day), p.end_day) for p in periods))
    return table.mutate(period=key, period_end=end.cast("int64")).filter(
        lambda t: t.period.notnull()
    )


def _supplement_totals(supplements: ir.Table, dossiers: ir.Table) -> ir.Table:
    ends = dossiers.select(_sid=dossiers.dossier_id, _send=dossiers.period_end).distinct()
    s = supplements.inner_join(ends, supplements.dossier_id == ends._sid)
    requested = s.requested_on.epoch_days()
    came_back = s.received_on.epoch_days().fill_null(s._send)
    s = s.filter(requested <= s._send).mutate(_wait=ibis.least(came_back, s._send) - requested)
    return s.group_by("_sid").aggregate(_sreq=s.count(), _sdays=s._wait.sum())


def dossier_facts(
    flagged: ir.Table,
    periods: list[Period],
    complaints: ir.Table | None = None,
    supplements: ir.Table | None = None,
) -> ir.Table:
    """Checked dossiers (see :func:`checks.with_catalogue`) with the facts of the module docstring."""
    t = with_periods(
        flagged, flagged.received_on.fill_null(flagged.submitted_on).epoch_days(), periods
    )
    fills: dict[str, Any] = {
        c: t[c].fill_null(False) for c, kind in DOSSIER_COLUMNS.items() if kind == "boolean"
    }
    fills.update({c: t[c].fill_null(0) for c in _ZERO_FILLED})
    t = t.mutate(**fills)
    if supplements is not None:
        totals = _supplement_totals(supplements, t)
        t = t.left_join(totals, t.dossier_id == totals._sid)
        t = t.mutate(
            supplement_requests=t._sreq.fill_null(0), supplement_days=t._sdays.fill_null(0)
        ).drop("_sid", "_sreq", "_sdays")
    if complaints is not None:
        linked = (
            complaints.filter(complaints.dossier_id.notnull())
            .select(_cid=complaints.dossier_id)
            .distinct()
        )
        t = t.left_join(linked, t.dossier_id == linked._cid)
        t = t.mutate(complaint=t._cid.notnull()).drop("_cid")
    else:
        t = t.mutate(complaint=ibis.literal(False))
    ended = t.ended_on.epoch_days()
    finished = (ended.notnull() & (ended <= t.period_end)).fill_null(False)
    end = ibis.ifelse(finished, ended, t.period_end)
    waited = t.supplement_days.cast("int64")
    promised = t.promised_on.epoch_days()
    within = ibis.ifelse(
        promised.notnull(),
        end - promised <= waited,
        end - t._day - waited <= t.legal_days,
    ).fill_null(False)
    counted = ~t.status.isin(list(NOT_JUDGED_STATUSES))
    return t.mutate(
        counted=counted.fill_null(False),
        judged=counted.fill_null(False),
        finished=finished,
        on_time=(counted & within & (t.supplement_requests <= 1)).fill_null(False),
        processing_days=ibis.ifelse(finished, end - t._day - waited, 0),
    )


def complaint_facts(complaints: ir.Table, periods: list[Period]) -> ir.Table:
    t = with_periods(complaints, complaints.received_on.epoch_days(), periods)
    handled_day = t.handled_on.epoch_days()
    handled = (handled_day.notnull() & (handled_day <= t.period_end)).fill_null(False)
    judged_at = ibis.ifelse(handled, handled_day, t.period_end)
    return t.mutate(
        judged=ibis.literal(True),
        handled=handled,
        on_time=(judged_at <= t.due_on.epoch_days()).fill_null(False),
        satisfied=t.satisfied.fill_null(False),
    )


def _days(series: pd.Series) -> pd.Series:
    return (pd.to_datetime(series) - pd.Timestamp("1970-01-01")).dt.days


def procedure_facts(
    catalogue: pd.DataFrame, usage: pd.DataFrame, periods: list[Period], publish_days: int
) -> pd.DataFrame:
    """Catalogue rows × periods with the procedure facts; ``usage`` has per (period, unit,
    procedure) counts ``dossiers``, ``online_dossiers``, ``paid_online_dossiers``."""
    frame = pd.DataFrame(
        {
            "period": [p.key for p in periods],
            "period_start": [p.start_day for p in periods],
            "period_end": [p.end_day for p in periods],
        }
    )
    t = catalogue.merge(frame, how="cross")
    decided, published = _days(t.decided_on), _days(t.published_on)
    amended, amendment = _days(t.amended_on), _days(t.amendment_published_on)
    t["in_force"] = (decided <= t.period_end).fillna(False).astype(bool)
    t["published"] = (published <= t.period_end).fillna(False).astype(bool)
    t["published_on_time"] = t.published & (published - decided <= publish_days).fillna(False)
    t["amended_in_period"] = amended.between(t.period_start, t.period_end).fillna(False)
    t["amendment_published_on_time"] = (
        t.amended_in_period
        & (amendment <= t.period_end).fillna(False)
        & (amendment - amended <= publish_days).fillna(False)
    )
    counts = ["dossiers", "online_dossiers", "paid_online_dossiers"]
    t = t.merge(
        usage[["period", "unit_code", "procedure_code", *counts]],
        on=["period", "unit_code", "procedure_code"],
        how="left",
    )
    t[counts] = t[counts].fillna(0).astype("int64")
    t["received_online"] = t.online_dossiers > 0
    t["paid_online_any"] = t.paid_online_dossiers > 0
    for column in ("has_fee", "payment_integrated", "population_db_connected", "content_complete"):
        t[column] = t[column].fillna(False).astype(bool)
    t["online_level"] = t["online_level"].fillna(0).astype("int64")
    return t


def day_of(value: Any) -> int:
    return day_number(pd.Timestamp(value).date())
