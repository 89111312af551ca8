"""Service-quality index (QĐ 766) benchmark: DuckDB beside a bare DuckDB scan, plain pandas and Spark.

Command (from the repository root; generates the synthetic data on first use, ~1 GiB per 100M rows
under benchmarks/data/, which git ignores):

    python benchmarks/service_index.py                 # 10M on DuckDB, scan, pandas, Spark; 100M on DuckDB
    python benchmarks/service_index.py --skip-big      # without the 100M run
    python benchmarks/service_index.py --rows 1000000 --skip-big --skip-spark   # a quick look

Every measurement runs in its own process (so peak memory is its own): the index for all units and
all 12 months of 2025 (``compute_index``: row checks, facts, sums, scores, ranks) on DuckDB; DuckDB
merely scanning the same Parquet (every column counted); the per-unit sums alone as one DuckDB
query written by hand (``service_index_floor.sql``: the least DuckDB needs for them, checked
equal to sipas's); the same dossier indicators in plain
pandas (read, check, derive, group) whose sums must equal DuckDB's; Spark local mode (all cores)
running the same Ibis expressions; and 100M rows on DuckDB from Parquet on disk with a memory
limit. Writes benchmarks/results/service_index.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import ibis  # type: ignore[import-untyped, unused-ignore]
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sipas.service_index import Dataset, compute_index, connect, parse_period
from sipas.service_index.compute import USAGE, engine_sums, read_tables
from sipas.service_index.framework import ServiceFramework, all_of, builtin_framework
from sipas.service_index.ids import FOLDER as REGISTER_FOLDER
from sipas.service_index.ids import IdRegister
from sipas.service_index.model import Period
from sipas.service_index.plans import FOLDER as PLANS
from sipas.synthetic.dossiers import DossierDesign, generate_dossiers

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"
RESULTS = ROOT / "results"
YEAR = "2025"


def dataset_for(rows: int) -> Path:
    folder = DATA / f"dossiers-{rows}"
    label = folder / "DATASET.json"
    if not label.is_file() or json.loads(label.read_text())["dossiers"] != rows:
        generate_dossiers(DossierDesign(dossiers=rows, chunk_rows=2_000_000), folder)
    # the id register up to date, as for a dataset written by sipas (a no-op when it is)
    IdRegister(folder).refresh(Dataset(folder).files("dossiers"))
    return folder


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- plain pandas: the same dossier indicators, vectorised, no engine ------------------------


def _days(series: pd.Series) -> np.ndarray:
    values = series.to_numpy(dtype="datetime64[D]").astype("int64")
    return np.where(series.isna().to_numpy(), np.iinfo("int64").min, values).astype("float64")


def pandas_sums(
    dataset: Dataset, framework: ServiceFramework, periods: list[Period]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the engine returns by default: sums per period and unit (codes empty for rows
    outside the catalogue), and the dossier counts per period, unit and procedure."""
    d = pq.read_table(dataset.files("dossiers", periods)).to_pandas()
    cat = pd.read_parquet(dataset.catalogue_path)
    pairs = cat[["unit_code", "procedure_code", "agency_code", "legal_days", "online_level"]]
    pairs = pairs.rename(columns={"agency_code": "_agency", "online_level": "_online_level"})
    d = d.merge(pairs, on=["unit_code", "procedure_code"], how="left", indicator="_listed")
    listed = (d.pop("_listed") == "both").to_numpy()
    start = _days(d.received_on.fillna(d.submitted_on))
    received, submitted = _days(d.received_on), _days(d.submitted_on)
    ended, promised = _days(d.ended_on), _days(d.promised_on)
    has_end, status = ~d.ended_on.isna().to_numpy(), d.status.to_numpy()
    known_unit = d.unit_code.isin(set(cat.unit_code)).to_numpy()
    nan_min = np.iinfo("int64").min
    problems = (
        d[["dossier_id", "procedure_code", "unit_code", "submitted_on", "status"]]
        .isna()
        .any(axis=1)
        .to_numpy()
        | ~((status >= 1) & (status <= 10))
        | ~((d.channel >= 1) & (d.channel <= 3)).to_numpy()
        | ~known_unit
        | d.legal_days.isna().to_numpy()
        | ((received > nan_min) & (received < submitted))
        | (has_end & (ended < start))
        | ((promised > nan_min) & (promised < start))
        | (np.isin(status, [8, 9, 10]) & ~has_end)
        | (np.isin(status, [1, 2, 4, 5, 6]) & has_end)
        | all_ids_repeated(dataset, d.dossier_id)
    )
    d["_valid"] = ~problems
    starts = np.array([p.start_day for p in periods])
    ends = np.array([p.end_day for p in periods])
    index = np.searchsorted(starts, start, side="right") - 1
    inside = (index >= 0) & (start <= ends[np.clip(index, 0, None)])
    d = d[inside]
    index, start = index[inside], start[inside]
    ended, promised, has_end, status = (
        ended[inside],
        promised[inside],
        has_end[inside],
        status[inside],
    )
    period_end = ends[index]
    d["period"] = np.array([p.key for p in periods])[index]
    sup = pq.read_table(dataset.files("supplements")).to_pandas()
    sup = sup.merge(
        pd.DataFrame({"dossier_id": d.dossier_id.to_numpy(), "_end": period_end}), on="dossier_id"
    )
    requested = _days(sup.requested_on)
    back = np.where(sup.received_on.isna(), sup._end, _days(sup.received_on))
    sup = sup[requested <= sup._end].assign(
        _wait=np.minimum(back, sup._end)[requested <= sup._end] - requested[requested <= sup._end]
    )
    totals = sup.groupby("dossier_id").agg(_sreq=("_wait", "size"), _sdays=("_wait", "sum"))
    d = d.merge(totals, left_on="dossier_id", right_index=True, how="left")
    requests = d._sreq.fillna(0).to_numpy()
    waited = d._sdays.fillna(0).to_numpy()
    comp = pq.read_table(dataset.files("complaints", periods)).to_pandas()
    comp = comp[comp.dossier_id.notna()]
    first = (
        pd.Series(_days(comp.received_on), index=comp.dossier_id.to_numpy()).groupby(level=0).min()
    )
    d["complaint"] = d.dossier_id.map(first).to_numpy() <= period_end
    for column in (
        "certified_copy",
        "certified_copy_electronic",
        "electronic_result",
        "vneid",
        "population_db",
        "synced",
        "dislike",
    ):
        d[column] = d[column].fillna(False).astype(bool)
    for column in (
        "fee_amount",
        "fee_paid_online",
        "documents",
        "documents_digitised",
        "documents_reused",
        "documents_from_store",
    ):
        d[column] = d[column].fillna(0)
    finished = has_end & (ended <= period_end)
    end = np.where(finished, ended, period_end)
    within = np.where(
        promised > nan_min,
        end - promised <= waited,
        end - start - waited <= d.legal_days.to_numpy(),
    )
    counted = ~np.isin(status, [3, 7])
    d["counted"] = d["judged"] = counted
    d["finished"] = finished
    d["on_time"] = counted & within & (requests <= 1)
    d["processing_days"] = np.where(finished, end - start - waited, 0)
    d["full_online_eligible"] = (d._online_level == 2).fillna(False).to_numpy(dtype=bool)
    d["agency_code"] = d._agency
    valid = d._valid.to_numpy()
    out = d[["period", "agency_code", "unit_code", "procedure_code"]].copy()
    for column in ("agency_code", "unit_code", "procedure_code"):
        out[column] = np.where(listed[inside], out[column].to_numpy(dtype=object), None)
    for ind in framework.in_scope("dossier"):
        den = valid & all_of(ind.denominator, d).to_numpy()
        if ind.value is not None:
            out[f"{ind.code}_num"] = np.where(den, d[ind.value].to_numpy(), 0).astype("int64")
        else:
            out[f"{ind.code}_num"] = (den & all_of(ind.numerator, d).to_numpy()).astype("int64")
        out[f"{ind.code}_den"] = den.astype("int64")
    out["dossiers"] = valid.astype("int64")
    out["online_dossiers"] = (valid & (d.channel == 2).to_numpy()).astype("int64")
    out["paid_online_dossiers"] = (valid & (d.fee_paid_online > 0).to_numpy()).astype("int64")
    out["excluded"] = (~valid).astype("int64")
    keys = ["period", "agency_code", "unit_code", "procedure_code"]
    usage = out[out.procedure_code.notna()][[*keys, *USAGE]]
    usage = usage.groupby(keys, as_index=False).sum()
    units = out.drop(columns="procedure_code")
    units = units.groupby(keys[:3], as_index=False, dropna=False).sum()
    return units, usage


def all_ids_repeated(dataset: Dataset, ids: pd.Series) -> np.ndarray:
    """Ids on more than one row of the whole dataset (every month), as the engine counts them."""
    every = pq.read_table(dataset.files("dossiers"), columns=["dossier_id"]).column(0).to_pandas()
    repeated = set(every[every.duplicated()].dropna())
    return ids.isin(repeated).to_numpy()


# ---- the floor: the per-unit sums as one DuckDB query written by hand ------------------------


def _floor_sections(dataset: Dataset, periods: list[Period]) -> dict[str, str]:
    """benchmarks/service_index_floor.sql cut at its "-- @name" lines, placeholders filled for
    the same months as ``compute_index`` reads (the ones asked for and the month before, for
    change)."""
    before = periods[0].previous()
    needed = [before, *periods] if dataset.files("dossiers", [before]) else periods

    def files(table: str) -> str:
        # complaints of every month up to the last: a complaint counts when received by the
        # period's end (as sipas reads them, compute.read_tables)
        found = (
            dataset.files_until(table, needed)
            if table == "complaints"
            else dataset.files(table, needed)
        )
        return "[" + ", ".join(f"'{f}'" for f in found) + "]"

    register = dataset.root / REGISTER_FOLDER / "duplicates.parquet"
    sql = (ROOT / "service_index_floor.sql").read_text()
    for name, value in {
        "dossiers": files("dossiers"),
        "supplements": files("supplements"),
        "complaints": files("complaints"),
        "duplicates": f"'{register}'",
        "catalogue": f"'{dataset.catalogue_path}'",
        "first_day": needed[0].start.isoformat(),
        "last_day": needed[-1].end.isoformat(),
    }.items():
        sql = sql.replace("{" + name + "}", value)
    sections: dict[str, str] = {}
    for part in sql.split("\n-- @")[1:]:
        name, _, body = part.partition("\n")
        sections[name.strip()] = body.strip().rstrip(";")
    return sections


def floor_sums(
    dataset: Dataset, periods: list[Period], procedures: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The hand-written floor: per-unit sums in one query; with ``procedures``, the same output
    as sipas (per-unit sums and each procedure's dossier counts, from the sums per catalogue
    row). Returns the per-unit sums and the per-procedure counts (period, c_pair, counts)."""
    part = _floor_sections(dataset, periods)
    con = duckdb.connect()
    con.execute("SET disabled_optimizers = 'build_side_probe_side'")  # as sipas: see engine.py
    con.execute(part["setup"])
    if not procedures:
        return con.execute(part["facts"] + "\n" + part["per-unit"]).df(), None
    con.execute("CREATE TEMP TABLE floor_pairs AS " + part["facts"] + "\n" + part["per-procedure"])
    return con.execute(part["roll-up"]).df(), con.execute(part["procedure-counts"]).df()


def _same_procedure_counts(sipas: pd.DataFrame, floor: pd.DataFrame) -> bool:
    """sipas's per-procedure dossier counts (period, catalogue row ``_pair``) equal the floor's."""
    keys, columns = ["period", "_pair"], list(USAGE)
    floor = floor.rename(columns={"c_pair": "_pair"})
    floor = floor[floor.period.isin(set(sipas.period))]
    mine = sipas[keys + columns].sort_values(keys, ignore_index=True)
    floor = floor[keys + columns].sort_values(keys, ignore_index=True)
    return bool(
        len(mine) == len(floor)
        and np.array_equal(mine[keys[1]].to_numpy("int64"), floor[keys[1]].to_numpy("int64"))
        and mine.period.astype(str).equals(floor.period.astype(str))
        and np.array_equal(mine[columns].to_numpy("int64"), floor[columns].to_numpy("int64"))
    )


def _same_unit_sums(sipas: pd.DataFrame, floor: pd.DataFrame) -> bool:
    keys = ["period", "unit_code"]
    floor = floor[floor.period.isin(set(sipas.period))]
    columns = [c for c in floor.columns if c not in keys]
    mine = sipas[keys + columns].sort_values(keys, ignore_index=True, na_position="first")
    floor = floor[keys + columns].sort_values(keys, ignore_index=True, na_position="first")
    return bool(
        mine[keys].astype(str).equals(floor[keys].astype(str))
        and np.array_equal(
            mine[columns].to_numpy(dtype="int64"), floor[columns].to_numpy(dtype="int64")
        )
    )


# ---- one measurement per process -------------------------------------------------------------


def _months() -> list[Period]:
    return parse_period(YEAR).split("month")


def measure(kind: str, rows: int, sums_file: str | None) -> dict[str, Any]:
    dataset = Dataset(dataset_for(rows))
    periods = _months()
    framework = builtin_framework()
    # Libraries are loaded before the clock starts, for every run alike: the floor's process
    # has DuckDB imported at its top; sipas loads its Ibis backend on first use.
    ibis.duckdb  # noqa: B018
    started = time.perf_counter()
    out: dict[str, Any] = {}
    if kind == "scan":
        engine = connect("duckdb")
        t = engine.read_parquet(dataset.files("dossiers"))
        counts = t.aggregate(**{c: t[c].count() for c in t.columns}).to_pandas()
        out["rows_scanned"] = int(counts.iloc[0, 0])
    elif kind == "register":  # the id register built from nothing (done once, at write time)
        shutil.rmtree(dataset.root / REGISTER_FOLDER, ignore_errors=True)
        started = time.perf_counter()
        out["duplicates"] = len(
            IdRegister(dataset.root).refresh(dataset.files("dossiers")).duplicates
        )
    elif kind in {"duckdb", "duckdb_cold", "procedures", "big"}:
        if kind == "duckdb_cold":  # the first run on a dataset: its pass not yet compiled
            shutil.rmtree(dataset.root / PLANS, ignore_errors=True)
            started = time.perf_counter()
        limit = "6GB" if kind == "big" else None
        engine = connect("duckdb", memory_limit=limit)
        if kind == "big":
            engine.con.raw_sql(f"SET temp_directory = '{DATA / 'duckdb-tmp'}'")
            out["memory_limit"] = limit
        result = compute_index(dataset, periods, engine, framework, kind == "procedures")
        out["seconds"] = round(time.perf_counter() - started, 2)
        out["units_scored"] = len(result.scores)
        out["excluded"] = int(sum(result.excluded.values()))
        out["dossiers_scored"] = int(result.scores[result.scores.level == "agency"].dossiers.sum())
        if sums_file:  # the engine's sums, for the pandas run to compare with
            sums = engine_sums(read_tables(engine, dataset, periods), framework, periods)
            sums.dossiers.drop(columns="procedure_code").to_parquet(sums_file)
            usage = sums.usage.assign(period=sums.usage.period.astype(str))
            for code in ("agency_code", "unit_code", "procedure_code"):  # the catalogue row's
                usage[code] = sums.catalogue[code].to_numpy()[usage["_pair"].to_numpy()]
            usage.to_parquet(sums_file + ".usage.parquet")
    elif kind in {"floor", "floor_full"}:  # hand-written DuckDB: per-unit sums (, counts)
        sums, counts = floor_sums(dataset, periods, procedures=kind == "floor_full")
        out["seconds"] = round(time.perf_counter() - started, 2)
        out["groups"] = len(sums)
        if sums_file and Path(sums_file).is_file():
            out["same_sums_as_sipas"] = _same_unit_sums(pd.read_parquet(sums_file), sums)
        if counts is not None and sums_file and Path(sums_file + ".usage.parquet").is_file():
            out["same_procedure_counts_as_sipas"] = _same_procedure_counts(
                pd.read_parquet(sums_file + ".usage.parquet"), counts
            )
    elif kind == "incremental":
        out.update(incremental(dataset))
        return out
    elif kind == "pandas":
        units, usage = pandas_sums(dataset, framework, periods)
        out["seconds"] = round(time.perf_counter() - started, 2)
        out["groups"] = len(units) + len(usage)
        if sums_file and Path(sums_file).is_file():
            out["same_sums_as_duckdb"] = _same(pd.read_parquet(sums_file), units) and _same(
                pd.read_parquet(sums_file + ".usage.parquet").drop(columns="_pair"), usage
            )
    elif kind == "spark":
        engine = connect("spark", master=f"local[{os.cpu_count()}]")
        engine._spark.conf.set("spark.sql.shuffle.partitions", str(2 * (os.cpu_count() or 2)))
        result = compute_index(dataset, periods, engine, framework)
        out["units_scored"] = len(result.scores)
        out["seconds"] = round(time.perf_counter() - started, 2)
        proc = getattr(engine._spark.sparkContext._gateway, "proc", None)
        if proc is not None:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            hwm = [line for line in status.splitlines() if line.startswith("VmHWM")]
            out["jvm_peak_mb"] = round(int(hwm[0].split()[1]) / 1024) if hwm else None
        engine._spark.stop()
    out.setdefault("seconds", round(time.perf_counter() - started, 2))
    out["python_peak_mb"] = round(peak_mb())
    return out


APPEND_DAY = "2025-06-15"


def incremental(dataset: Dataset) -> dict[str, Any]:
    """A full recompute of the 12 stored months against appending one day of dossiers, which
    recomputes only the month it touches; the appended month is then checked equal to a
    recompute from nothing. Works on a copy of the dataset (benchmarks/data/incremental-ROWS)."""
    from sipas.api.service_index import append_dossiers, compute_service_index

    copy = DATA / f"incremental-{dataset.root.name}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(dataset.root, copy, ignore=shutil.ignore_patterns("results"))
    # A copied file is a changed file to the id register (its status-change time is new): the
    # register is brought up to date before the clock, as for a dataset written by sipas.
    IdRegister(copy).refresh(Dataset(copy).files("dossiers"))
    started = time.perf_counter()
    compute_service_index(copy, YEAR, each="month")
    full_seconds = time.perf_counter() - started
    # one day of dossiers: those received on APPEND_DAY, under new ids
    day = pd.Timestamp(APPEND_DAY).date()
    month = Dataset(copy).files("dossiers", [parse_period(APPEND_DAY[:7])])
    rows = pq.read_table(month).to_pandas()
    rows = rows[rows.received_on == day].copy()
    rows["dossier_id"] = "APPENDED-" + rows.dossier_id.astype(str)
    day_file = DATA / f"day-{APPEND_DAY}-{dataset.root.name}.parquet"
    rows.to_parquet(day_file, index=False)
    started = time.perf_counter()
    appended = append_dossiers(day_file, copy)
    append_seconds = time.perf_counter() - started
    stored = pd.read_parquet(copy / "results" / "service-766" / APPEND_DAY[:7] / "scores.parquet")
    engine = connect("duckdb")
    fresh = compute_index(Dataset(copy), [parse_period(APPEND_DAY[:7])], engine).scores
    try:
        pd.testing.assert_frame_equal(stored, fresh, check_dtype=False)
        equal = True
    except AssertionError:
        equal = False
    shutil.rmtree(copy, ignore_errors=True)
    day_file.unlink()
    return {
        "full_recompute_seconds": round(full_seconds, 2),
        "append_day_seconds": round(append_seconds, 2),
        "appended_rows": len(rows),
        "recomputed": appended["recomputed"],
        "ratio": round(append_seconds / full_seconds, 3),
        "equal_to_full_recompute": equal,
        "seconds": round(append_seconds, 2),
    }


def _same(duck: pd.DataFrame, mine: pd.DataFrame) -> bool:
    keys = [c for c in ("period", "agency_code", "unit_code", "procedure_code") if c in duck]
    duck = duck.sort_values(keys, ignore_index=True, na_position="first")
    mine = mine.sort_values(keys, ignore_index=True, na_position="first")[duck.columns]
    return bool(
        duck[keys].astype(str).equals(mine[keys].astype(str))
        and np.array_equal(duck.drop(columns=keys).to_numpy(), mine.drop(columns=keys).to_numpy())
    )


def run_child(kind: str, rows: int, sums_file: str | None = None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--measure", kind, "--rows", str(rows)]
    if sums_file:
        command += ["--sums-file", sums_file]
    print(f"… {kind} on {rows:,} rows", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _markdown(report: dict[str, Any]) -> str:
    r = report["runs"]
    lines = [
        "# Service-quality index (QĐ 766) benchmark",
        "",
        f"Machine: {report['machine']['cpus']} CPUs, load average at start {report['machine']['load_at_start']}; "
        f"synthetic dossiers, all units × 12 months of {YEAR}.",
        "",
        "| run | rows | seconds | peak memory (MB) | ratio |",
        "|---|---:|---:|---:|---|",
    ]

    def row(name: str, key: str, ratio: str = "") -> None:
        run = r.get(key)
        if not run:
            return
        if "error" in run:
            lines.append(f"| {name} | {run.get('rows', '')} | failed: {run['error']} | | |")
            return
        memory = run.get("python_peak_mb")
        if run.get("jvm_peak_mb"):
            memory = f"{memory} + JVM {run['jvm_peak_mb']}"
        lines.append(f"| {name} | {run['rows']:,} | {run['seconds']} | {memory} | {ratio} |")

    ratios = report["ratios"]
    row("DuckDB: scan only", "scan")
    row("id register built from nothing (once; then per added file)", "register")
    row(
        "DuckDB: the per-unit sums alone, one query written by hand (`service_index_floor.sql`)",
        "floor",
        f"{ratios.get('floor_over_scan', '')}× the scan",
    )
    row(
        "DuckDB: the same output as sipas (per-unit sums and each procedure's dossier counts),"
        " written by hand (`service_index_floor.sql`)",
        "floor_full",
        f"{ratios.get('floor_full_over_scan', '')}× the scan",
    )
    row(
        "sipas on DuckDB (index)",
        "duckdb",
        f"{ratios.get('duckdb_over_scan', '')}× the scan (target ≤ 3); "
        f"{ratios.get('duckdb_over_floor_full', '')}× the hand-written same output "
        f"(target ≤ 1.3); {ratios.get('duckdb_over_floor', '')}× the per-unit sums alone",
    )
    row(
        "sipas on DuckDB, full drill-down by procedure (`--procedures`)",
        "procedures",
        f"{ratios.get('procedures_over_scan', '')}× the scan",
    )
    row(
        "plain pandas (same indicators)",
        "pandas",
        f"DuckDB {ratios.get('pandas_over_duckdb', '')}× faster (target ≥ 10)",
    )
    row("sipas on Spark local", "spark", f"{ratios.get('spark_over_duckdb', '')}× DuckDB")
    row("sipas on DuckDB, from disk (memory limit 6 GB)", "big")
    if "floor" in r and "same_sums_as_sipas" in r["floor"]:
        lines += ["", f"Hand-written sums equal sipas's: {r['floor']['same_sums_as_sipas']}."]
    if "floor_full" in r and "same_procedure_counts_as_sipas" in r["floor_full"]:
        lines += [
            "",
            "Hand-written per-procedure counts equal sipas's: "
            f"{r['floor_full']['same_procedure_counts_as_sipas']}.",
        ]
    if "pandas" in r and "same_sums_as_duckdb" in r["pandas"]:
        lines += ["", f"pandas sums equal DuckDB's: {r['pandas']['same_sums_as_duckdb']}."]
    return "\n".join(lines) + "\n"


def write_results(runs: dict[str, Any], args: argparse.Namespace) -> None:
    for name, run in runs.items():
        run["rows"] = args.big_rows if name == "big" else args.rows

    def ratio(a: str, b: str) -> float | None:
        if "seconds" in runs.get(a, {}) and "seconds" in runs.get(b, {}):
            return round(runs[a]["seconds"] / runs[b]["seconds"], 2)
        return None

    report = {
        "command": "python benchmarks/service_index.py " + " ".join(sys.argv[1:]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_at_start": round(os.getloadavg()[0], 2),
        },
        "runs": runs,
        "ratios": {
            "duckdb_over_scan": ratio("duckdb", "scan"),
            "floor_over_scan": ratio("floor", "scan"),
            "duckdb_over_floor": ratio("duckdb", "floor"),
            "floor_full_over_scan": ratio("floor_full", "scan"),
            "duckdb_over_floor_full": ratio("duckdb", "floor_full"),
            "procedures_over_scan": ratio("procedures", "scan"),
            "pandas_over_duckdb": ratio("pandas", "duckdb"),
            "spark_over_duckdb": ratio("spark", "duckdb"),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "service_index.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "service_index.md").write_text(_markdown(report))
    print(_markdown(report))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--big-rows", type=int, default=100_000_000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--sums-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.rows, args.sums_file)))
        return
    dataset_for(args.rows)
    sums_file = str(DATA / f"duckdb-sums-{args.rows}.parquet")
    runs: dict[str, Any] = {"register": run_child("register", args.rows)}
    runs["scan"] = run_child("scan", args.rows)
    runs["duckdb"] = run_child("duckdb", args.rows, sums_file)
    runs["floor"] = run_child("floor", args.rows, sums_file)
    runs["floor_full"] = run_child("floor_full", args.rows, sums_file)
    runs["procedures"] = run_child("procedures", args.rows)
    write_results(runs, args)  # partial results as soon as there are some
    if not args.skip_pandas:
        runs["pandas"] = run_child("pandas", args.rows, sums_file)
        write_results(runs, args)
    if not args.skip_spark:
        runs["spark"] = run_child("spark", args.rows)
        write_results(runs, args)
    if not args.skip_big:
        big = dataset_for(args.big_rows)
        IdRegister(big).refresh(Dataset(big).files("dossiers"))  # as written by sipas
        runs["big"] = run_child("big", args.big_rows)
    write_results(runs, args)


if __name__ == "__main__":
    main()
