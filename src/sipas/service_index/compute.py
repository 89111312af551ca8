"""The engine's pass over the dossiers: sums per period and unit, on DuckDB or Spark.

Numerators and denominators are counts (or sums, for a mean), so they add up: the engine sums
per period and unit (or, with ``procedures``, per period, unit and procedure) and everything
above — agencies, ranks, change — is rolled up from that small table in pandas. The procedure
indicators need only each procedure's dossier counts: on DuckDB the one pass over the dossiers
sums per catalogue pair into a temporary table, from which both the sums per unit and the counts
per procedure are read; on Spark they come from a second, cheaper pass.

The engine groups by integers, the period's index and the unit's (or the catalogue row's)
number, rather than by the codes themselves: grouping on short integers is several times
cheaper than on strings, and the codes are put back on the small result. Conditions shared by
several indicators (most denominators) are summed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis  # type: ignore[import-untyped, unused-ignore]
import ibis.expr.types as ir  # type: ignore[import-untyped, unused-ignore]
import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.service_index.checks import with_catalogue
from sipas.service_index.engine import Dataset, Engine
from sipas.service_index.facts import (
    complaint_facts,
    dossier_facts,
    period_index,
    period_keys,
    with_periods,
)
from sipas.service_index.framework import Condition, ServiceFramework, all_of
from sipas.service_index.ids import IdRegister
from sipas.service_index.model import Period
from sipas.service_index.plans import FOLDER as PLANS
from sipas.service_index.plans import run_kept

KEYS = ["period", "agency_code", "unit_code", "procedure_code"]
USAGE = ("dossiers", "online_dossiers", "paid_online_dossiers")
_USAGE_CONDITIONS = (
    Condition("channel == 2", "channel", "==", 2),
    Condition("fee_paid_online > 0", "fee_paid_online", ">", 0),
)


@dataclass
class Tables:
    dossiers: ir.Table
    catalogue: ir.Table  # with ``_pair`` (its row number) and ``_unit`` (the unit's number)
    catalogue_frame: pd.DataFrame  # the same rows, in pandas
    duplicates: ir.Table  # ``_did``: ids on more than one row of the dataset
    complaints: ir.Table | None = None
    supplements: ir.Table | None = None
    engine: Engine | None = None  # where the tables are read
    plans: Path | None = None  # where compiled passes are kept (see plans.py)


def read_tables(
    engine: Engine,
    dataset: Dataset,
    periods: list[Period],
    dossier_files: list[Path] | None = None,
) -> Tables:
    """The dataset's tables, reading only the months ``periods`` cover (of the dossiers, only
    ``dossier_files`` when given: rows just added, judged with everything else as it is)."""
    dataset.check()
    files = dataset.files("dossiers", periods) if dossier_files is None else dossier_files
    if not files:
        raise SipasError(
            "service_index.no_data",
            folder=dataset.root,
            periods=[p.key for p in periods],
            months=dataset.months() or Phrase("rest.none"),
        )
    # A supplement request counts in the period it was made in (see facts._supplement_totals),
    # and its month folder is that of the request: the same months as the dossiers. A complaint
    # counts for its dossier when received by the period's end, in whatever month: every month
    # up to the last period's is read (complaint indicators keep their own periods' only).
    complaints = dataset.files_until("complaints", periods)
    supplements = dataset.files("supplements", periods)
    catalogue = pd.read_parquet(dataset.catalogue_path)
    # the integers the engine groups by: the catalogue row, and the unit's number
    catalogue["_pair"] = np.arange(len(catalogue), dtype="int32")
    catalogue["_unit"] = catalogue.unit_code.factorize()[0].astype("int32")
    # a unit belongs to one agency (its first row's), whether sums are per unit or per procedure
    catalogue["agency_code"] = catalogue.groupby("unit_code").agency_code.transform("first")
    repeated = IdRegister(dataset.root).refresh(dataset.files("dossiers")).duplicates
    return Tables(
        dossiers=engine.read_parquet(files),
        catalogue=ibis.memtable(catalogue),
        catalogue_frame=catalogue,
        duplicates=ibis.memtable(
            pd.DataFrame({"_did": pd.Series(repeated, dtype=object)}), schema={"_did": "string"}
        ),
        complaints=engine.read_parquet(complaints) if complaints else None,
        supplements=engine.read_parquet(supplements) if supplements else None,
        engine=engine,
        plans=dataset.root / PLANS,
    )


def _condition_columns(framework: ServiceFramework, scope: str) -> list[str]:
    names = {"channel", "fee_paid_online"} if scope == "dossier" else set()
    for ind in framework.in_scope(scope):
        for condition in (*ind.numerator, *ind.denominator):
            names.update(condition.names())
        if ind.value:
            names.add(ind.value)
    return sorted(names - set(KEYS))


def dossier_sums(
    tables: Tables, framework: ServiceFramework, periods: list[Period], level: str = "unit"
) -> tuple[ir.Table, dict[str, str]]:
    """Per period index and unit (``_pidx``, ``_unit``) or, at level ``procedure``, catalogue
    pair (``_pair``): every dossier indicator's numerator and denominator over valid rows, usage
    counts, and the rows excluded by the checks. Rows outside the catalogue have no unit or pair;
    they count only as excluded.

    Each condition becomes a column once, and a count is a COUNT filtered on its conditions
    (an 8-byte state per group, where a SUM keeps 16); equal counts are computed once: the
    second value maps each output column to the aggregate that holds it."""
    flagged = with_catalogue(tables.dossiers, tables.catalogue, tables.duplicates, tell_units=False)
    t = dossier_facts(flagged, periods, tables.complaints, tables.supplements)
    key = "_pair" if level == "procedure" else "_unit"
    valid, online, paid = Condition("_valid", "_valid"), *_USAGE_CONDITIONS
    wanted: dict[str, tuple[tuple[Condition, ...], str | None]] = {}
    for ind in framework.in_scope("dossier"):
        den = (valid, *ind.denominator)
        numerator = (den, ind.value) if ind.value is not None else ((*den, *ind.numerator), None)
        wanted[f"{ind.code}_num"] = numerator
        wanted[f"{ind.code}_den"] = (den, None)
    wanted["dossiers"] = ((valid,), None)
    wanted["online_dossiers"] = ((valid, online), None)
    wanted["paid_online_dossiers"] = ((valid, paid), None)
    wanted["excluded"] = ((Condition("not _valid", "_valid", "not"),), None)
    atoms: dict[str, str] = {}  # condition text -> its column
    for conditions, _ in wanted.values():
        for condition in conditions:
            atoms.setdefault(condition.text, f"_a{len(atoms)}")
    by_text = {c.text: c for conditions, _ in wanted.values() for c in conditions}
    values = sorted({value for _, value in wanted.values() if value})
    t = t.select(
        "_pidx",
        key,
        *values,
        **{atoms[text]: by_text[text].evaluate(t) for text in atoms},
    )
    # Joining the (tiny) period table only now is what makes the engine compute each column
    # once, below the join: without it DuckDB inlines every condition into each sum using it.
    t = t.inner_join(period_keys(periods), "_pidx").drop("period")
    metrics: dict[str, Any] = {}
    source: dict[str, str] = {}
    seen: dict[tuple[tuple[str, ...], str | None], str] = {}
    for name, (conditions, value) in wanted.items():
        parts = tuple(sorted({atoms[c.text] for c in conditions}))
        if (parts, value) not in seen:  # equal sums are summed once
            seen[parts, value] = name
            met = t[parts[0]]
            for column in parts[1:]:
                met = met & t[column]
            metrics[name] = (
                ibis.ifelse(met, t[value], 0).cast("int64").sum() if value else t.count(where=met)
            )
        source[name] = seen[parts, value]
    return t.group_by(["_pidx", key]).aggregate(**metrics), source


def usage_sums(tables: Tables, periods: list[Period]) -> ir.Table:
    """Per period index and catalogue pair: valid dossiers, online, paid online — what the
    procedure indicators need. Only the row checks, none of the facts: a cheap pass."""
    flagged = with_catalogue(tables.dossiers, tables.catalogue, tables.duplicates, tell_units=False)
    t = with_periods(flagged, flagged.received_on.fill_null(flagged.submitted_on), periods, False)
    t = t.filter(t._valid)
    # COUNT with a filter keeps an 8-byte state per group where SUM keeps 16: with hundreds of
    # thousands of groups, that halves the memory the engine scatters into
    return t.group_by(["_pidx", "_pair"]).aggregate(
        dossiers=t.count(),
        online_dossiers=t.count(where=t.channel == 2),
        paid_online_dossiers=t.count(where=t.fee_paid_online > 0),
    )


def complaint_sums(
    complaints: ir.Table, framework: ServiceFramework, periods: list[Period]
) -> ir.Table:
    t = complaint_facts(complaints, periods)
    metrics: dict[str, Any] = {}
    for ind in framework.in_scope("complaint"):
        den = all_of(ind.denominator, t)
        metrics[f"{ind.code}_num"] = t.count(where=den & all_of(ind.numerator, t))
        metrics[f"{ind.code}_den"] = t.count(where=den)
    return t.group_by(["period", "unit_code"]).aggregate(**metrics)


@dataclass
class Sums:
    """What the engine returns: small pandas tables."""

    dossiers: pd.DataFrame  # KEYS (procedure_code None at unit level) + sums + usage + excluded
    usage: pd.DataFrame  # period, _pair (the catalogue row) + dossiers, online_dossiers, …
    complaints: pd.DataFrame  # period, unit_code + <code>_num/_den
    catalogue: pd.DataFrame
    level: str  # of ``dossiers``: "unit" or "procedure"


def _with_codes(
    grouped: pd.DataFrame, catalogue: pd.DataFrame, periods: list[Period], key: str
) -> pd.DataFrame:
    """The engine's integer keys turned back into period and codes (None outside the catalogue)."""
    by_index = {period_index(p): p.key for p in periods}
    out = pd.DataFrame({"period": grouped["_pidx"].map(by_index).to_numpy()})
    ids = grouped[key].astype("Int64")
    known = ids.notna().to_numpy()
    if key == "_unit":
        rows = catalogue.drop_duplicates("_unit").set_index("_unit")
        rows = rows.reindex(range(int(catalogue._unit.max()) + 1))
        rows["procedure_code"] = None
    else:
        rows = catalogue
    at = ids.fillna(0).to_numpy(dtype="int64")
    for column in ("agency_code", "unit_code", "procedure_code"):
        out[column] = np.where(known, rows[column].to_numpy(dtype=object)[at], None)
    return out


def _usage_counts(
    counted: pd.DataFrame, source: dict[str, str] | None, periods: list[Period]
) -> pd.DataFrame:
    """Each catalogue row's dossier counts per period: by the row's number only (hundreds of
    thousands of rows; the codes are the catalogue's, looked up where they are needed), and the
    period as a category of the periods' keys."""
    keys = [p.key for p in periods]
    place = {period_index(p): at for at, p in enumerate(periods)}
    codes = counted["_pidx"].map(place).to_numpy(dtype="int64")
    usage = pd.DataFrame({"period": pd.Categorical.from_codes(codes, categories=keys)})
    usage["_pair"] = counted["_pair"].to_numpy(dtype="int64")
    for name in USAGE:
        column = source[name] if source else name
        usage[name] = counted[column].fillna(0).to_numpy(dtype="int64")
    return usage


def pair_statements(
    tables: Tables, framework: ServiceFramework, periods: list[Period]
) -> tuple[dict[str, ir.Table], dict[str, str], str]:
    """DuckDB's pass, as expressions: ``pass`` sums per catalogue row into a temporary table
    (the third value, its name), from which ``rolled`` reads the sums per unit and ``listed``
    each procedure's dossier counts: the dossiers read once instead of twice, and only small
    results cross into pandas. The second value maps output columns to aggregates."""
    expr, source = dossier_sums(tables, framework, periods, "procedure")
    name = ibis.util.gen_name("sipas_pair_sums")
    pairs = ibis.table(expr.schema(), name=name)
    units = tables.catalogue.select("_pair", "_unit")
    joined = pairs.left_join(units, "_pair").drop("_pair_right")
    held = sorted(set(source.values()))
    rolled = joined.group_by(["_pidx", "_unit"]).aggregate(
        **{c: joined[c].sum().cast("int64") for c in held}
    )
    listed = pairs.filter(pairs._pair.notnull())
    listed = listed.select("_pidx", "_pair", *(listed[source[u]].name(u) for u in USAGE))
    return {"pass": expr, "rolled": rolled, "listed": listed}, source, name


def engine_sums(
    tables: Tables,
    framework: ServiceFramework,
    periods: list[Period],
    procedures: bool = False,
) -> Sums:
    """The engine's sums, per unit, or per unit and procedure when ``procedures`` (the full
    drill-down: hundreds of thousands of groups instead of thousands, in one pass instead of
    two; more memory, and twice the columns per procedure)."""
    level = "procedure" if procedures else "unit"
    counted = complaints = None
    ran = None
    if not procedures and tables.engine is not None and tables.engine.name == "duckdb":
        ran = run_kept(tables, framework, periods)
    if ran is not None:
        plan, (grouped, counted, complaints) = ran
        source = plan.source
    else:
        expr, source = dossier_sums(tables, framework, periods, level)
        grouped = expr.to_pandas()
    catalogue = tables.catalogue_frame
    dossiers = _with_codes(grouped, catalogue, periods, "_pair" if procedures else "_unit")
    for name, holder in source.items():
        dossiers[name] = grouped[holder].fillna(0).to_numpy(dtype="int64")
    if procedures:
        listed = grouped["_pair"].notna().to_numpy()
        counted = grouped[listed]
    elif counted is None:
        counted = usage_sums(tables, periods).to_pandas()
    usage = _usage_counts(counted, source if procedures else None, periods)
    complaint_codes = [i.code for i in framework.in_scope("complaint")]
    if complaints is None and tables.complaints is not None:  # not in a plan: Spark, detail
        complaints = complaint_sums(tables.complaints, framework, periods).to_pandas()
    elif complaints is None:
        columns = ["period", "unit_code"] + [
            f"{c}_{part}" for c in complaint_codes for part in ("num", "den")
        ]
        complaints = pd.DataFrame(columns=columns)
    return Sums(dossiers, usage, complaints, catalogue.drop(columns=["_pair", "_unit"]), level)
