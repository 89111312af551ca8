"""From the engine's sums to the index: ratios, points, group points, total, rank, change.

Two levels: ``agency`` (province or ministry) and ``unit`` (department, commune, …); units are
ranked within their agency, agencies among themselves (ties share the best rank). The drill-down
by procedure keeps the procedure indicators' numerators and denominators and each procedure's
dossiers per unit and period; with the engine's sums per procedure, every indicator's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sipas.service_index.compute import KEYS, USAGE, Sums
from sipas.service_index.facts import procedure_facts, repeated_labels
from sipas.service_index.framework import Indicator, ServiceFramework, all_of
from sipas.service_index.model import Period

LEVELS = ("agency", "unit")
UNIT_KEYS = ["period", "agency_code", "unit_code"]


@dataclass
class IndexResult:
    framework: str
    engine: str
    periods: list[str]
    scores: pd.DataFrame  # one row per level, period and unit: group points, total, rank, change
    indicators: pd.DataFrame  # one row per level, period, unit and indicator
    procedures: pd.DataFrame  # per period, unit and procedure: <code>_num, <code>_den (wide);
    # the dossier indicators only when computed with ``procedures=True``
    excluded: dict[str, int] = field(default_factory=dict)  # rows left out, per period
    procedure_detail: bool = False  # ``procedures`` holds the dossier indicators too
    sums: Sums | None = field(default=None, repr=False)  # the engine's, that the scores come from


def _procedure_sums(sums: Sums, framework: ServiceFramework, periods: list[Period]) -> pd.DataFrame:
    """Per period, unit and procedure: the procedure indicators, and the dossier counts; sorted
    by period, agency, unit and procedure when the periods are in the order of their keys."""
    publish_days = int(framework.parameter("publish_days") or 0)
    indicators = framework.in_scope("procedure")
    read = {n for ind in indicators for c in (*ind.numerator, *ind.denominator) for n in c.names()}
    facts = procedure_facts(sums.catalogue, sums.usage, periods, publish_days, read)
    out = facts[[*KEYS, *USAGE]].copy()
    for ind in indicators:
        den = all_of(ind.denominator, facts)
        out[f"{ind.code}_den"] = den.astype("int64")
        out[f"{ind.code}_num"] = (den & all_of(ind.numerator, facts)).astype("int64")
    if not sums.catalogue.duplicated(["unit_code", "procedure_code"]).any():  # listed once each
        return out
    return out.groupby(KEYS, as_index=False).sum()


def _filled(frame: pd.DataFrame, keys: list[str], ordered: bool = False) -> pd.DataFrame:
    values = [c for c in frame.columns if c not in keys]
    frame[values] = frame[values].fillna(0).astype("int64")
    if ordered:  # already in the order of keys
        return frame.reset_index(drop=True)
    return frame.sort_values(keys, ignore_index=True)


def _unit_rollup(procedures: pd.DataFrame) -> pd.DataFrame:
    """The procedure table (sorted by KEYS) summed per period and unit: each unit's rows are one
    run, so the sums are one ``add.reduceat`` per column."""
    if len(procedures) == 0:
        return procedures.drop(columns="procedure_code").groupby(UNIT_KEYS, as_index=False).sum()
    # a run starts where the unit or the period changes: compared as codes of the keys, not as
    # hundreds of thousands of strings
    unit = pd.factorize(procedures.unit_code)[0]
    period = pd.factorize(procedures.period)[0]
    starts = np.flatnonzero(np.r_[True, (unit[1:] != unit[:-1]) | (period[1:] != period[:-1])])
    out = procedures[UNIT_KEYS].iloc[starts].reset_index(drop=True)
    for column in procedures.columns:
        if column not in KEYS:
            values = procedures[column].to_numpy(dtype="int64")
            out[column] = np.add.reduceat(values, starts)
    return out


def fine_tables(
    sums: Sums, framework: ServiceFramework, periods: list[Period]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per period and unit, and per period, unit and procedure: every indicator's sums, for
    catalogue units only. The procedure table holds the dossier indicators too when the engine
    summed per procedure; otherwise the procedure indicators and the dossier counts."""
    known = sums.dossiers.unit_code.isin(sums.catalogue.unit_code.unique())
    dossiers = sums.dossiers[known.to_numpy()].drop(columns="excluded")
    procedures = _procedure_sums(sums, framework, periods)
    keys = [p.key for p in periods]
    ordered = keys == sorted(keys)
    if sums.level == "procedure":
        dossiers = dossiers.drop(columns=list(USAGE))
        fine = _filled(dossiers.merge(procedures, on=KEYS, how="outer"), KEYS)
        units = fine.drop(columns="procedure_code").groupby(UNIT_KEYS, as_index=False).sum()
        return units, fine
    procedures = _filled(procedures, KEYS, ordered)
    rolled = procedures.drop(columns=list(USAGE))
    if ordered:
        rolled = _unit_rollup(rolled)
    else:
        rolled = rolled.drop(columns="procedure_code").groupby(UNIT_KEYS, as_index=False).sum()
    units = dossiers.drop(columns="procedure_code").merge(rolled, on=UNIT_KEYS, how="outer")
    return _filled(units, UNIT_KEYS), procedures


def _score_columns(frame: pd.DataFrame, ind: Indicator) -> tuple[np.ndarray, np.ndarray]:
    num = frame[f"{ind.code}_num"].to_numpy(dtype=float)
    den = frame[f"{ind.code}_den"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den > 0, num / den, np.nan)
    if not ind.scored:
        return ratio, np.full(len(frame), np.nan)
    empty = {"zero": 0.0, "full": ind.points, "none": np.nan}[ind.when_empty]
    points = np.minimum(ind.points, ind.points * ratio / (ind.threshold or 1.0))
    return ratio, np.where(np.isnan(ratio), empty, points)


def _level(
    frame: pd.DataFrame, level: str, framework: ServiceFramework
) -> tuple[pd.DataFrame, pd.DataFrame]:
    keys = frame[UNIT_KEYS].reset_index(drop=True)
    if level == "agency":
        keys["unit_code"] = keys["agency_code"]
    scores = keys.copy()
    scores.insert(0, "level", level)
    group_points = {g.code: np.zeros(len(frame)) for g in framework.groups}
    indicators = framework.indicators
    columns: dict[str, list[np.ndarray]] = {
        "numerator": [],
        "denominator": [],
        "ratio": [],
        "points": [],
    }
    for ind in indicators:
        ratio, points = _score_columns(frame, ind)
        if ind.scored:
            group_points[ind.group] = group_points[ind.group] + points
        columns["numerator"].append(frame[f"{ind.code}_num"].to_numpy())
        columns["denominator"].append(frame[f"{ind.code}_den"].to_numpy())
        columns["ratio"].append(ratio)
        columns["points"].append(points)
    # one row per unit and indicator, indicator by indicator: the keys repeated as a block per
    # indicator, the indicator's code and group as runs
    long = pd.concat([scores[["level", *UNIT_KEYS]]] * len(indicators), ignore_index=True)
    long["indicator"] = repeated_labels([i.code for i in indicators], len(frame))
    long["group"] = repeated_labels([i.group for i in indicators], len(frame))
    for name, parts in columns.items():
        long[name] = np.concatenate(parts) if parts else np.empty(0)
    for code, values in group_points.items():
        scores[code] = values
    scores["total"] = scores[[g.code for g in framework.groups]].sum(axis=1)
    scores["dossiers"] = frame["dossiers"].to_numpy()
    return scores, long


def _rank_and_change(scores: pd.DataFrame, periods: list[Period]) -> pd.DataFrame:
    scores = scores.copy()
    by = ["level", "period", "agency_code"]
    agency = scores.level == "agency"
    ranks = pd.Series(0, index=scores.index, dtype="int64")
    ranks[agency] = scores[agency].groupby(["period"]).total.rank(method="min", ascending=False)
    ranks[~agency] = scores[~agency].groupby(by).total.rank(method="min", ascending=False)
    scores["rank"] = ranks.astype("int64")
    previous = {p.key: p.previous().key for p in periods}
    scores["previous_period"] = scores.period.map(previous)
    before = scores[["level", "agency_code", "unit_code", "period", "total", "dossiers"]].rename(
        columns={
            "period": "previous_period",
            "total": "previous_total",
            "dossiers": "previous_dossiers",
        }
    )
    scores = scores.merge(
        before, on=["level", "agency_code", "unit_code", "previous_period"], how="left"
    )
    scores["comparable"] = comparable(scores.dossiers, scores.previous_dossiers)
    scores["change"] = (scores.total - scores.previous_total).where(scores.comparable)
    return scores


# A change is shown only against a previous period of comparable coverage: one holding at least
# this share of the current period's dossiers (for the same unit, a period of the same length).
# A previous period that the data barely reach (a few dossiers of its last days) is not compared.
COMPARABLE_SHARE = 0.5


def comparable(dossiers: pd.Series, previous: pd.Series) -> pd.Series:
    """Whether each unit's previous period covers enough dossiers to compare totals with."""
    known = previous.notna() & dossiers.notna()
    return (known & (previous.fillna(0) >= COMPARABLE_SHARE * dossiers.fillna(0))).astype(bool)


def score(
    sums: Sums,
    framework: ServiceFramework,
    periods: list[Period],
    engine: str,
    report: list[Period] | None = None,
) -> IndexResult:
    """Scores for ``periods``; only ``report`` (default: all) are returned, the rest serve change."""
    unit_sums, fine = fine_tables(sums, framework, periods)
    complaints = sums.complaints
    if len(complaints):
        unit_sums = unit_sums.merge(complaints, on=["period", "unit_code"], how="left")
    for ind in framework.in_scope("complaint"):
        for part in ("num", "den"):
            name = f"{ind.code}_{part}"
            if name not in unit_sums:
                unit_sums[name] = 0
            unit_sums[name] = unit_sums[name].fillna(0).astype("int64")
    agency_sums = (
        unit_sums.drop(columns="unit_code").groupby(["period", "agency_code"], as_index=False).sum()
    )
    agency_sums["unit_code"] = agency_sums["agency_code"]
    parts = [_level(agency_sums, "agency", framework), _level(unit_sums, "unit", framework)]
    scores = _rank_and_change(pd.concat([p[0] for p in parts], ignore_index=True), periods)
    indicators = pd.concat([p[1] for p in parts], ignore_index=True)
    wanted = [p.key for p in (report or periods)]
    excluded = sums.dossiers.groupby("period").excluded.sum()
    return IndexResult(
        framework=framework.code,
        engine=engine,
        periods=wanted,
        scores=scores[scores.period.isin(wanted)].reset_index(drop=True),
        indicators=indicators[indicators.period.isin(wanted)].reset_index(drop=True),
        procedures=fine[fine.period.isin(wanted)].reset_index(drop=True),
        excluded={k: int(excluded.get(k, 0)) for k in wanted},
        procedure_detail=sums.level == "procedure",
        sums=sums,
    )
