"""The facts indicators are written over, derived from the records in Ibis (and pandas for the
small catalogue).

Dossier facts (judged at the period's last day E):
- ``counted`` / ``judged``: any status but 3 (not received) and 7 (withdrawn).
- ``finished``: an end date on or before E; an unfinished dossier is judged at E.
- ``on_time``: counted, at most one supplement request, and (end − promised) ≤ supplement days,
  or, with no promised date, (end − start − supplement days) ≤ the procedure's legal days.
- ``complaint``: a complaint (PAKN) linked to the dossier was received by E.
- ``processing_days``: end − start − supplement days, for finished dossiers.
- ``full_online_eligible``: the dossier's procedure is offered by its unit as a full-process
  online service (the catalogue's ``online_level`` 2).
Complaint facts: ``judged`` (all), ``handled`` (by E), ``on_time`` (handled, or E, ≤ due date).
Procedure facts (per catalogue row and period): ``in_force`` (decided by E), ``published``,
``published_on_time`` (within the framework's ``publish_days``), ``amended_in_period``,
``amendment_published_on_time``, ``dossiers``, ``online_dossiers``, ``paid_online_dossiers``,
``received_online`` and ``paid_online_any`` (at least one such dossier in the period).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import ibis  # type: ignore[import-untyped, unused-ignore]
import ibis.expr.types as ir  # type: ignore[import-untyped, unused-ignore]
import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

from sipas.service_index.checks import one_of
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


def period_index(period: Period) -> int:
    """The integer a period is known by inside the engine (months since year 0, and so on)."""
    start = period.start
    if period.grain == "month":
        return start.year * 12 + start.month - 1
    if period.grain == "quarter":
        return start.year * 4 + (start.month - 1) // 3
    return start.year


def period_keys(periods: list[Period]) -> ir.Table:
    """A small table: each period's index (``_pidx``) and key."""
    return ibis.memtable(
        {"_pidx": [period_index(p) for p in periods], "period": [p.key for p in periods]},
        schema={"_pidx": "int64", "period": "string"},
    )


def calendar_table(periods: list[Period]) -> ir.Table:
    """Every day of ``periods``: the date (``_on``), its number (``_day``), its period's index
    (``_pidx``) and last day's number (``period_end``)."""
    days = [
        (p.start + timedelta(days=n), p) for p in periods for n in range((p.end - p.start).days + 1)
    ]
    return ibis.memtable(
        {
            "_on": [day for day, _ in days],
            "_day": [day_number(day) for day, _ in days],
            "_pidx": [period_index(p) for _, p in days],
            "period_end": [p.end_day for _, p in days],
        },
        schema={"_on": "date", "_day": "int64", "_pidx": "int64", "period_end": "int64"},
    )


def with_periods(
    table: ir.Table, day: ir.DateValue, periods: list[Period], keyed: bool = True
) -> ir.Table:
    """Rows whose ``day`` falls in one of ``periods`` (one grain), with ``period_end`` (a day
    number), ``_day`` (the day's number) and ``period`` (or, unless ``keyed``, ``_pidx``).

    One join with the periods' days (a few hundred rows a year) both keeps the rows inside the
    periods and gives each its period: cheaper for the engine than computing them per row."""
    if len({p.grain for p in periods}) != 1:
        raise ValueError("periods of one grain at a time")
    calendar = calendar_table(periods)
    table = table.inner_join(calendar, day == calendar._on).drop("_on")
    return table.inner_join(period_keys(periods), "_pidx").drop("_pidx") if keyed else table


def _supplement_totals(supplements: ir.Table, periods: list[Period]) -> ir.Table:
    """Per dossier and period index (``_sid``, ``_spidx``): supplement requests made in the
    period, and the days waited by its end (an open request counts up to the period's end).

    A dossier's requests come after it was received, so a request counts for the dossier's
    period exactly when it was made in that same period, and that period's end is the request's
    own: the requests need no look-up of their dossier's dates, only a join on both keys."""
    s = with_periods(supplements, supplements.requested_on, periods, keyed=False)
    came_back = s.received_on.epoch_days().cast("int64").fill_null(s.period_end)
    s = s.mutate(_wait=ibis.least(came_back, s.period_end) - s._day)
    return s.group_by(_sid=s.dossier_id, _spidx=s._pidx).aggregate(
        _sreq=s.count(), _sdays=s._wait.sum()
    )


def dossier_facts(
    flagged: ir.Table,
    periods: list[Period],
    complaints: ir.Table | None = None,
    supplements: ir.Table | None = None,
) -> ir.Table:
    """Checked dossiers (see :func:`checks.with_catalogue`) with the facts of the module docstring."""
    start = flagged.received_on.fill_null(flagged.submitted_on)
    t = with_periods(flagged, start, periods, keyed=False)
    fills: dict[str, Any] = {
        c: t[c].fill_null(False) for c, kind in DOSSIER_COLUMNS.items() if kind == "boolean"
    }
    fills.update({c: t[c].fill_null(0).cast("int64") for c in _ZERO_FILLED})
    fills["legal_days"] = t.legal_days.cast("int64")
    t = t.mutate(**fills)
    if supplements is not None:
        totals = _supplement_totals(supplements, periods)
        t = t.left_join(totals, [t.dossier_id == totals._sid, t._pidx == totals._spidx])
        t = t.mutate(
            supplement_requests=t._sreq.fill_null(0), supplement_days=t._sdays.fill_null(0)
        ).drop("_sid", "_spidx", "_sreq", "_sdays")
    if complaints is not None:
        linked = complaints.filter(complaints.dossier_id.notnull())
        linked = linked.group_by(_cid=linked.dossier_id).aggregate(
            _cfirst=linked.received_on.epoch_days().cast("int64").min()
        )
        t = t.left_join(linked, t.dossier_id == linked._cid)
        t = t.mutate(complaint=(t._cfirst <= t.period_end).fill_null(False)).drop("_cid", "_cfirst")
    else:
        t = t.mutate(complaint=ibis.literal(False))
    ended = t.ended_on.epoch_days().cast("int64")
    finished = (ended.notnull() & (ended <= t.period_end)).fill_null(False)
    end = ibis.ifelse(finished, ended, t.period_end)
    waited = t.supplement_days
    promised = t.promised_on.epoch_days().cast("int64")
    within = ibis.ifelse(
        promised.notnull(),
        end - promised <= waited,
        end - t._day - waited <= t.legal_days,
    ).fill_null(False)
    counted = ~one_of(t.status, NOT_JUDGED_STATUSES)
    return t.mutate(
        counted=counted.fill_null(False),
        judged=counted.fill_null(False),
        finished=finished,
        on_time=(counted & within & (t.supplement_requests <= 1)).fill_null(False),
        processing_days=ibis.ifelse(finished, end - t._day - waited, 0),
        full_online_eligible=(t._online_level == 2).fill_null(False),
    )


def complaint_facts(complaints: ir.Table, periods: list[Period]) -> ir.Table:
    t = with_periods(complaints, complaints.received_on, periods)
    handled_day = t.handled_on.epoch_days()
    handled = (handled_day.notnull() & (handled_day <= t.period_end)).fill_null(False)
    judged_at = ibis.ifelse(handled, handled_day, t.period_end)
    return t.mutate(
        judged=ibis.literal(True),
        handled=handled,
        on_time=(judged_at <= t.due_on.epoch_days()).fill_null(False),
        satisfied=t.satisfied.fill_null(False),
    )


def repeated_labels(labels: list[str], times: int) -> pd.Series:
    """Each label ``times`` times in a row, as pandas strings: built in Arrow from the labels'
    positions (hundreds of thousands of rows; from Python strings it takes thirty times longer)."""
    positions = pa.array(np.repeat(np.arange(len(labels), dtype="int32"), times))
    decoded = pa.DictionaryArray.from_arrays(positions, pa.array(labels, pa.string()))
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    return pd.Series(decoded.dictionary_decode().to_pandas(types_mapper={pa.string(): text}.get))


def _days(series: pd.Series) -> pd.Series:
    return (pd.to_datetime(series) - pd.Timestamp("1970-01-01")).dt.days


PROCEDURE_ORDER = ["agency_code", "unit_code", "procedure_code"]


_CATALOGUE_FACTS = ("has_fee", "payment_integrated", "population_db_connected", "content_complete")
_CATALOGUE_DATES = ("decided_on", "published_on", "amended_on", "amendment_published_on")


def procedure_facts(
    catalogue: pd.DataFrame,
    usage: pd.DataFrame,
    periods: list[Period],
    publish_days: int,
    columns: set[str] | None = None,
) -> pd.DataFrame:
    """Periods × catalogue rows (period by period, each with every catalogue row in the order of
    agency, unit and procedure code) with the procedure facts; ``usage`` has per period and
    catalogue row (``_pair``, the row's position) the counts ``dossiers``, ``online_dossiers``,
    ``paid_online_dossiers``. With the periods in the order of their keys, the rows come sorted
    by period, agency, unit and procedure: the catalogue is sorted once, not the result.
    ``columns``: the catalogue columns the caller reads (the facts and codes always come); the
    others are not repeated per period."""
    if columns is not None:
        wanted = {*columns, *PROCEDURE_ORDER, *_CATALOGUE_FACTS, *_CATALOGUE_DATES, "online_level"}
        catalogue = catalogue[[c for c in catalogue.columns if c in wanted]]
    rows, k = len(catalogue), len(periods)
    ranked = catalogue.reset_index(drop=True).sort_values(PROCEDURE_ORDER, kind="stable").index
    sorted_rows = ranked.to_numpy()
    dated = catalogue.assign(  # day numbers once per catalogue row, not once per period
        _decided=_days(catalogue.decided_on),
        _published=_days(catalogue.published_on),
        _amended=_days(catalogue.amended_on),
        _amendment=_days(catalogue.amendment_published_on),
    )
    if columns is not None:  # the dates are needed only as the day numbers above
        dated = dated.drop(columns=[c for c in _CATALOGUE_DATES if c not in columns])
    t = dated.iloc[np.tile(sorted_rows, k)].reset_index(drop=True)
    t["period"] = repeated_labels([p.key for p in periods], rows)
    t["period_start"] = np.repeat([p.start_day for p in periods], rows)
    t["period_end"] = np.repeat([p.end_day for p in periods], rows)
    # each count lands on its row by position: the period's place × rows + the row's rank
    rank = np.empty(rows, dtype="int64")
    rank[sorted_rows] = np.arange(rows)
    place = pd.Categorical(usage.period, categories=[p.key for p in periods]).codes
    at = place.astype("int64") * rows + rank[usage["_pair"].to_numpy(dtype="int64")]
    for column in ("dossiers", "online_dossiers", "paid_online_dossiers"):
        counts = np.zeros(rows * k, dtype="int64")
        np.add.at(counts, at, usage[column].to_numpy(dtype="int64"))
        t[column] = counts
    decided, published = t.pop("_decided"), t.pop("_published")
    amended, amendment = t.pop("_amended"), t.pop("_amendment")
    t["in_force"] = (decided <= t.period_end).fillna(False).astype(bool)
    t["published"] = (published <= t.period_end).fillna(False).astype(bool)
    t["published_on_time"] = t.published & (published - decided <= publish_days).fillna(False)
    t["amended_in_period"] = amended.between(t.period_start, t.period_end).fillna(False)
    t["amendment_published_on_time"] = (
        t.amended_in_period
        & (amendment <= t.period_end).fillna(False)
        & (amendment - amended <= publish_days).fillna(False)
    )
    t["received_online"] = t.online_dossiers > 0
    t["paid_online_any"] = t.paid_online_dossiers > 0
    for column in _CATALOGUE_FACTS:
        t[column] = t[column].fillna(False).astype(bool)
    t["online_level"] = t["online_level"].fillna(0).astype("int64")
    return t


def day_of(value: Any) -> int:
    return day_number(pd.Timestamp(value).date())
