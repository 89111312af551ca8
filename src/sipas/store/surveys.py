"""Surveys and their responses (one row per respondent; answers kept as a JSON document)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, insert, select

from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.store.records import create_coded
from sipas.store.schema import estimation_runs, responses, surveys

# Columns of a responses frame that are stored in their own database columns.
DESIGN_COLUMNS = (
    "respondent_key",
    "province_code",
    "province_key",
    "commune",
    "village",
    "stratum",
    "psu",
    "weight",
    "interview_date",
)
_BATCH = 5_000


def _column_values(series: pd.Series) -> list[Any]:
    """A column as plain Python values (``tolist`` unboxes numpy scalars), missing as None."""
    missing = series.isna().to_numpy()
    values: list[Any] = series.astype(object).tolist()
    if missing.any():
        values = [None if gap else v for v, gap in zip(values, missing, strict=True)]
    return values


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values, missing values as None (JSON null)."""
    if not columns:
        return [{} for _ in range(len(frame))]
    lists = [_column_values(frame[c]) for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*lists, strict=True)]


def create_survey(
    connection: Connection,
    *,
    code: str,
    framework_id: str,
    framework_version: str,
    year: int,
    geography: str,
    reference_date: date,
    synthetic: bool,
    description: str = "",
    replace: bool = False,
) -> int:
    return create_coded(
        connection,
        surveys,
        [(responses, responses.c.survey_id)],
        {
            "code": code,
            "framework_id": framework_id,
            "framework_version": framework_version,
            "year": year,
            "geography": geography,
            "reference_date": reference_date,
            "synthetic": synthetic,
            "description": description,
        },
        what="survey",
        exists=lambda code: SipasError("survey.exists", code=code),
        replace=replace,
    )


def add_responses(
    connection: Connection,
    survey_id: int,
    frame: pd.DataFrame,
    profile_columns: list[str],
    answer_columns: list[str],
) -> int:
    """Store a responses frame; returns the number of rows written."""
    missing = [c for c in (*DESIGN_COLUMNS, *profile_columns, *answer_columns) if c not in frame]
    if missing:
        raise SipasError("survey.columns_missing", columns=missing)
    design = _records(frame, list(DESIGN_COLUMNS))
    profiles = _records(frame, profile_columns)
    answers = _records(frame, answer_columns)
    rows = [
        {"survey_id": survey_id, **d, "profile": p, "answers": a}
        for d, p, a in zip(design, profiles, answers, strict=True)
    ]
    for start in range(0, len(rows), _BATCH):
        connection.execute(insert(responses), rows[start : start + _BATCH])
    return len(rows)


def list_surveys(connection: Connection) -> list[dict[str, Any]]:
    counts = (
        select(
            responses.c.survey_id,
            func.count().label("respondents"),
            func.count(func.distinct(responses.c.province_code)).label("provinces"),
        )
        .group_by(responses.c.survey_id)
        .subquery()
    )
    rows = connection.execute(
        select(surveys, counts.c.respondents, counts.c.provinces)
        .outerjoin(counts, counts.c.survey_id == surveys.c.id)
        .order_by(surveys.c.year, surveys.c.code)
    )
    return [dict(row._mapping) for row in rows]


def get_survey(connection: Connection, code: str) -> dict[str, Any]:
    row = connection.execute(select(surveys).where(surveys.c.code == code)).first()
    if row is None:
        known = connection.execute(select(surveys.c.code).order_by(surveys.c.code)).scalars().all()
        raise SipasError(
            "survey.unknown",
            code=code,
            known=Phrase("survey.known", codes=list(known))
            if known
            else Phrase("survey.none_known"),
        )
    return dict(row._mapping)


def load_responses(connection: Connection, code: str) -> pd.DataFrame:
    """All responses of a survey as one flat frame: design columns, profile, answers."""
    survey = get_survey(connection, code)
    rows = connection.execute(
        select(responses).where(responses.c.survey_id == survey["id"]).order_by(responses.c.id)
    ).all()
    flat = [{**{c: getattr(r, c) for c in DESIGN_COLUMNS}, **r.profile, **r.answers} for r in rows]
    return pd.DataFrame(flat)


def published_runs(connection: Connection) -> dict[str, list[str]]:
    """Survey code → the codes of its saved estimation runs (what the public pages publish)."""
    rows = connection.execute(
        select(surveys.c.code, estimation_runs.c.code)
        .join(
            estimation_runs,
            (estimation_runs.c.survey_id == surveys.c.id)
            | (estimation_runs.c.source == "survey:" + surveys.c.code),
        )
        .order_by(estimation_runs.c.code)
    )
    found: dict[str, list[str]] = {}
    for survey, run in rows:
        found.setdefault(str(survey), []).append(str(run))
    return found
