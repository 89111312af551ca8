"""Frames for procedure-user surveys, built from one-stop dossier records.

A provincial SIPAS (generation 1) interviews people who completed a procedure at the unit being
assessed. The frame is the list of those people: one row per (unit, person), however many dossiers
the person filed, counting only dossiers received within the survey window. Every dossier ends up
counted, excluded with a reason, or quarantined (no person id, no date), and the report says how
many of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from sipas.errors import SipasError
from sipas.rows import file_rows


@dataclass
class FrameReport:
    dossiers: int
    in_window: int
    before_window: int
    after_window: int
    quarantined: int  # no person id or no readable date
    quarantined_rows: list[int]  # first rows, numbered as in the file
    persons: int  # (unit, person) pairs in the frame

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def procedure_user_frame(
    dossiers: pd.DataFrame,
    *,
    unit: str,
    person: str,
    received: str,
    start: date,
    end: date,
) -> tuple[pd.DataFrame, FrameReport, pd.DataFrame]:
    """(frame, report, quarantined rows with a reason) from dossier records.

    Person ids are compared without case, spaces or punctuation, so "001 234 567" and "001234567"
    are one person. The frame has the unit, the person, the number of dossiers and the latest date.
    """
    missing = [c for c in (unit, person, received) if c not in dossiers.columns]
    if missing:
        raise SipasError(
            "sample.dossier_columns",
            columns=missing,
            available=[str(c) for c in dossiers.columns[:30]],
        )
    if end < start:
        raise SipasError("sample.bad_window", start=start, end=end)
    ids = (
        dossiers[person]
        .astype("string")
        .str.upper()
        .str.replace(r"[^0-9A-Z]", "", regex=True)
        .fillna("")
    )
    # ISO dates (2024-03-01) or the Vietnamese day-first form (01/03/2024).
    text = dossiers[received].astype("string").str.strip()
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    parsed = parsed.fillna(pd.to_datetime(text, errors="coerce", format="%d/%m/%Y"))
    dates = parsed.dt.date
    reasons = pd.Series("", index=dossiers.index, dtype=object)
    reasons[ids == ""] = f"no {person}"
    reasons[(reasons == "") & dates.isna()] = f"{received} is not a date"
    quarantined = dossiers[reasons != ""].assign(reason=reasons[reasons != ""])
    usable = reasons == ""
    before = usable & (dates < start)
    after = usable & (dates > end)
    inside = usable & ~before & ~after
    kept = pd.DataFrame(
        {unit: dossiers.loc[inside, unit].astype(str), "person": ids[inside], "date": dates[inside]}
    )
    frame = (
        kept.groupby([unit, "person"], sort=True)
        .agg(dossiers=("date", "size"), latest=("date", "max"))
        .reset_index()
    )
    report = FrameReport(
        dossiers=len(dossiers),
        in_window=int(inside.sum()),
        before_window=int(before.sum()),
        after_window=int(after.sum()),
        quarantined=int((~usable).sum()),
        quarantined_rows=file_rows(dossiers.index, ~usable),
        persons=len(frame),
    )
    return frame, report, quarantined
