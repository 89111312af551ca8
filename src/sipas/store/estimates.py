"""Estimation runs: what was estimated, how, and every resulting number with its uncertainty."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, TypedDict, cast

import pandas as pd
from sqlalchemy import Connection, func, insert, select

from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.store.records import create_coded
from sipas.store.schema import estimates, estimation_runs

ESTIMATE_COLUMNS = [c.name for c in estimates.columns if c.name not in ("id", "run_id")]
_BATCH = 5_000


def _plain(value: Any) -> Any:
    """Numpy scalars to Python, NaN to NULL (a number that is not defined is not stored as one)."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def save_run(
    connection: Connection,
    *,
    code: str,
    table: pd.DataFrame,
    source: str,
    framework_id: str,
    framework_version: str,
    unit: str,
    method: str,
    options: dict[str, Any],
    survey_id: int | None = None,
    derived: bool = False,
    synthetic: bool = False,
    replace: bool = False,
) -> int:
    run_id = create_coded(
        connection,
        estimation_runs,
        [(estimates, estimates.c.run_id)],
        {
            "code": code,
            "survey_id": survey_id,
            "source": source,
            "framework_id": framework_id,
            "framework_version": framework_version,
            "unit": unit,
            "method": method,
            "options": options,
            "derived": derived,
            "synthetic": synthetic,
        },
        what="estimation run",
        exists=lambda code: SipasError("estimate.exists", code=code),
        replace=replace,
    )
    present = [c for c in ESTIMATE_COLUMNS if c in table.columns]
    columns = [table[c].tolist() for c in present]
    rows = [
        {"run_id": run_id, **{c: _plain(v) for c, v in zip(present, values, strict=True)}}
        for values in zip(*columns, strict=True)
    ]
    for start in range(0, len(rows), _BATCH):
        connection.execute(insert(estimates), rows[start : start + _BATCH])
    return run_id


def list_runs(connection: Connection) -> list[dict[str, Any]]:
    counts = (
        select(estimates.c.run_id, func.count().label("estimates"))
        .group_by(estimates.c.run_id)
        .subquery()
    )
    rows = connection.execute(
        select(estimation_runs, counts.c.estimates)
        .outerjoin(counts, counts.c.run_id == estimation_runs.c.id)
        .order_by(estimation_runs.c.code)
    )
    return [dict(row._mapping) for row in rows]


class StoredRun(TypedDict):
    """A saved estimation run as stored: its survey or file, framework, unit, method, options."""

    id: int
    code: str
    survey_id: int | None
    source: str  # a file path or "survey:<code>"
    framework_id: str
    framework_version: str
    unit: str  # the column whose cells are ranked
    method: str  # replicate method label
    options: dict[str, Any]  # design columns, seed, lonely-PSU rule, domains, geography
    derived: bool  # re-aggregated to another geography
    synthetic: bool
    created_at: datetime


def get_run(connection: Connection, code: str) -> StoredRun:
    row = connection.execute(select(estimation_runs).where(estimation_runs.c.code == code)).first()
    if row is None:
        known = connection.execute(
            select(estimation_runs.c.code).order_by(estimation_runs.c.code)
        ).scalars()
        names = list(known)
        raise SipasError(
            "estimate.unknown",
            code=code,
            known=Phrase("estimate.known", codes=names) if names else Phrase("estimate.none_known"),
        )
    return cast(StoredRun, dict(row._mapping))


def load_estimates(connection: Connection, code: str) -> pd.DataFrame:
    run = get_run(connection, code)
    rows = connection.execute(
        select(*(estimates.c[c] for c in ESTIMATE_COLUMNS))
        .where(estimates.c.run_id == run["id"])
        .order_by(estimates.c.id)
    ).all()
    return pd.DataFrame([dict(r._mapping) for r in rows], columns=ESTIMATE_COLUMNS)
