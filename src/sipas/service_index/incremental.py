"""Incremental updates: which stored periods new dossiers touch, and change on the period before.

A dossier belongs to the period of its received date (its submitted date if never received) and
is judged at that period's last day, so a new day of dossiers changes only the periods containing
that day; the change column of the period after each of them follows from the stored totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd

from sipas.service_index.model import Period, parse_period
from sipas.service_index.scoring import comparable


def affected_periods(days: Iterable[date], stored: Iterable[str]) -> list[Period]:
    """The stored periods (by key) that contain any of ``days``."""
    periods = [parse_period(key) for key in stored]
    wanted = set(days)
    return sorted(p for p in periods if any(p.contains(day) for day in wanted))


def with_change(scores: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """``scores`` with previous_total and change taken from the previous period's scores."""
    keys = ["level", "agency_code", "unit_code"]
    before = previous[[*keys, "total", "dossiers"]].rename(
        columns={"total": "previous_total", "dossiers": "previous_dossiers"}
    )
    dropped = ["previous_total", "change", "previous_dossiers", "comparable"]
    out = scores.drop(columns=[c for c in dropped if c in scores]).merge(
        before, on=keys, how="left"
    )
    out["previous_period"] = previous.period.iloc[0] if len(previous) else None
    # The same rule as a full computation (sipas.service_index.scoring): comparable coverage only.
    out["comparable"] = comparable(out.dossiers, out.previous_dossiers)
    out["change"] = (out.total - out.previous_total).where(out.comparable)
    return out[[c for c in scores.columns if c in out] + [c for c in out if c not in scores]]
