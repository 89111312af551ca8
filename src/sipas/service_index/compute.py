"""One pass over the dossiers: sums per period, unit and procedure, on DuckDB or Spark.

Numerators and denominators are counts (or sums, for a mean), so they add up: the engine
aggregates once at the finest level (period × unit × procedure) and everything above it —
units, agencies, ranks, change — is rolled up from that small table in pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis  # type: ignore[import-untyped, unused-ignore]
import ibis.expr.types as ir  # type: ignore[import-untyped, unused-ignore]
import pandas as pd

from sipas.errors import SipasError
from sipas.service_index.checks import with_catalogue
from sipas.service_index.engine import Dataset, Engine
from sipas.service_index.facts import complaint_facts, dossier_facts, period_keys
from sipas.service_index.framework import ServiceFramework, all_of
from sipas.service_index.model import Period

KEYS = ["period", "agency_code", "unit_code", "procedure_code"]
USAGE = ("dossiers", "online_dossiers", "paid_online_dossiers")


@dataclass
class Tables:
    dossiers: ir.Table
    catalogue: ir.Table
    complaints: ir.Table | None = None
    supplements: ir.Table | None = None


def read_tables(engine: Engine, dataset: Dataset, periods: list[Period]) -> Tables:
    """The dataset's tables, reading only the months ``periods`` cover."""
    dataset.check()
    files = dataset.files("dossiers", periods)
    if not files:
        keys = ", ".join(p.key for p in periods)
        raise SipasError(
            "service_index.no_data",
            f"{dataset.root} has no dossiers received in {keys}",
            f"months with data: {', '.join(dataset.months()) or 'none'}",
        )
    # Supplements requested in earlier months still count: read all of them (a small table).
    complaints = dataset.files("complaints", periods)
    supplements = dataset.files("supplements")
    return Tables(
        dossiers=engine.read_parquet(files),
        catalogue=engine.read_parquet([dataset.catalogue_path]),
        complaints=engine.read_parquet(complaints) if complaints else None,
        supplements=engine.read_parquet(supplements) if supplements else None,
    )


def _condition_columns(framework: ServiceFramework, scope: str) -> list[str]:
    names = {"channel", "fee_paid_online"} if scope == "dossier" else set()
    for ind in framework.in_scope(scope):
        for condition in (*ind.numerator, *ind.denominator):
            names.update(condition.names())
        if ind.value:
            names.add(ind.value)
    return sorted(names - set(KEYS))


def dossier_sums(tables: Tables, framework: ServiceFramework, periods: list[Period]) -> ir.Table:
    """Per period × agency × unit × procedure: every dossier indicator's numerator and
    denominator over valid rows, usage counts, and the rows excluded by the checks."""
    flagged = with_catalogue(tables.dossiers, tables.catalogue)
    t = dossier_facts(flagged, periods, tables.complaints, tables.supplements, raw=tables.dossiers)
    columns = _condition_columns(framework, "dossier")
    t = t.select("_pidx", "unit_code", "procedure_code", *columns, "_valid")
    # Joining the period keys only now also keeps the engine from re-deriving every fact in
    # each aggregate that uses it: the facts are computed once, below the join.
    t = t.inner_join(period_keys(periods), "_pidx")
    valid = t._valid
    metrics: dict[str, Any] = {}
    for ind in framework.in_scope("dossier"):
        den = valid & all_of(ind.denominator, t)
        if ind.value is not None:
            metrics[f"{ind.code}_num"] = ibis.ifelse(den, t[ind.value], 0).cast("int64").sum()
        else:
            hit = den & all_of(ind.numerator, t)
            metrics[f"{ind.code}_num"] = ibis.ifelse(hit, 1, 0).cast("int64").sum()
        metrics[f"{ind.code}_den"] = ibis.ifelse(den, 1, 0).cast("int64").sum()
    metrics["dossiers"] = ibis.ifelse(valid, 1, 0).cast("int64").sum()
    metrics["online_dossiers"] = ibis.ifelse(valid & (t.channel == 2), 1, 0).cast("int64").sum()
    metrics["paid_online_dossiers"] = (
        ibis.ifelse(valid & (t.fee_paid_online > 0), 1, 0).cast("int64").sum()
    )
    metrics["excluded"] = ibis.ifelse(valid, 0, 1).cast("int64").sum()
    return t.group_by(["period", "unit_code", "procedure_code"]).aggregate(**metrics)


def complaint_sums(
    complaints: ir.Table, framework: ServiceFramework, periods: list[Period]
) -> ir.Table:
    t = complaint_facts(complaints, periods)
    metrics: dict[str, Any] = {}
    for ind in framework.in_scope("complaint"):
        den = all_of(ind.denominator, t)
        metrics[f"{ind.code}_num"] = (
            ibis.ifelse(den & all_of(ind.numerator, t), 1, 0).cast("int64").sum()
        )
        metrics[f"{ind.code}_den"] = ibis.ifelse(den, 1, 0).cast("int64").sum()
    return t.group_by(["period", "unit_code"]).aggregate(**metrics)


@dataclass
class Sums:
    """What the engine returns: small pandas tables."""

    dossiers: pd.DataFrame  # KEYS + <code>_num/_den + usage + excluded
    complaints: pd.DataFrame  # period, unit_code + <code>_num/_den
    catalogue: pd.DataFrame


def engine_sums(tables: Tables, framework: ServiceFramework, periods: list[Period]) -> Sums:
    dossiers = dossier_sums(tables, framework, periods).to_pandas()
    catalogue = tables.catalogue.to_pandas()
    agency = catalogue.drop_duplicates("unit_code").set_index("unit_code").agency_code
    dossiers.insert(1, "agency_code", dossiers.unit_code.map(agency))
    complaint_codes = [i.code for i in framework.in_scope("complaint")]
    if tables.complaints is not None:
        complaints = complaint_sums(tables.complaints, framework, periods).to_pandas()
    else:
        columns = ["period", "unit_code"] + [
            f"{c}_{part}" for c in complaint_codes for part in ("num", "den")
        ]
        complaints = pd.DataFrame(columns=columns)
    return Sums(dossiers, complaints, catalogue)
