"""Computing the index and checking records: the entry points of the package."""

from __future__ import annotations

from pathlib import Path

import ibis  # type: ignore[import-untyped, unused-ignore]
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

from sipas.service_index.checks import problems, with_catalogue
from sipas.service_index.compute import engine_sums, read_tables
from sipas.service_index.engine import Dataset, Engine
from sipas.service_index.framework import ServiceFramework, builtin_framework
from sipas.service_index.model import Period
from sipas.service_index.records import ROW
from sipas.service_index.scoring import IndexResult, score


def compute_index(
    dataset: Dataset | Path,
    periods: list[Period],
    engine: Engine,
    framework: ServiceFramework | None = None,
    procedures: bool = False,
    previous: bool = True,
) -> IndexResult:
    """Scores for ``periods`` (one grain), with change on the period before the first.

    With ``procedures`` the drill-down by procedure holds every dossier indicator too (the
    engine then sums per procedure: hundreds of thousands of groups instead of thousands, and
    more memory); without it, the procedure indicators and each procedure's dossier counts.
    Without ``previous`` the period before is not read, and change is left empty: for a caller
    that takes it from the stored scores of that period (``incremental.with_change``)."""
    dataset = dataset if isinstance(dataset, Dataset) else Dataset(Path(dataset))
    framework = framework or builtin_framework()
    wanted = sorted(set(periods))
    before = wanted[0].previous()
    # the period before serves change only when the dataset holds dossiers of it
    needed = (
        sorted({*wanted, before}) if previous and dataset.files("dossiers", [before]) else wanted
    )
    tables = read_tables(engine, dataset, needed)
    sums = engine_sums(tables, framework, needed, procedures)
    return score(sums, framework, needed, engine.name, report=wanted)


def check_records(
    records: pa.Table | pd.DataFrame, catalogue: pa.Table | pd.DataFrame, engine: Engine
) -> pd.DataFrame:
    """Every problem of every row (row, dossier_id, field, code, message, hint), in row order."""
    dossiers, listed = ibis.memtable(records), ibis.memtable(catalogue)
    flagged = with_catalogue(dossiers, listed)
    row = ROW if ROW in dossiers.columns else None
    found = engine.con.to_pandas(problems(flagged, row))
    order = ["row", "code"] if row else ["dossier_id", "code"]
    return found.sort_values(order, ignore_index=True)
