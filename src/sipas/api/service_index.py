"""The service-quality index (QĐ 766) for callers: datasets, checks, computation, stored results.

Results are files, not database rows: ``<out>/<framework>/<period>/`` holds ``scores.parquet``
(group points, total, rank, change per agency and unit), ``indicators.parquet`` (numerator,
denominator, ratio and points per indicator), ``procedures.parquet`` (the drill-down by procedure:
the procedure indicators and dossier counts, and every indicator when ``procedures`` says so) and
``meta.json`` (engine, time, rows excluded, dossiers, ``procedures``). ``<out>`` defaults to
``<dataset>/results``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypedDict, cast

import pandas as pd
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.service_index import (
    Dataset,
    Engine,
    IndexResult,
    affected_periods,
    check_records,
    compute_index,
    connect,
    load_framework,
    parse_period,
    read_records,
    stored_sums,
    with_change,
    write_partitioned,
)
from sipas.service_index.framework import ServiceFramework
from sipas.service_index.ids import IdRegister, days_of, ids_present
from sipas.service_index.model import GRAINS, Period
from sipas.synthetic.dossiers import DossierDesign
from sipas.synthetic.dossiers import generate_dossiers as _generate

RESULT_FILES = ("scores", "indicators", "procedures")


class DossiersGenerated(TypedDict):
    """A synthetic dossier dataset written: its folder and what ``DATASET.json`` says of it."""

    folder: str
    synthetic: bool
    note: str
    design: dict[str, Any]
    dossiers: int
    supplement_cycles: int
    complaints: int
    repeated_ids: int
    units: int
    procedures_in_catalogue: int


class DossiersChecked(TypedDict):
    """A dossier file checked row by row; ``problems`` are the check's own columns per row."""

    file: str
    rows: int
    valid_rows: int
    rows_with_problems: int
    problems: list[dict[str, Any]]


class StoredMeta(TypedDict, total=False):
    """A stored period's ``meta.json`` (empty when missing; older results lack ``procedures``)."""

    framework: str
    engine: str
    computed_at: str
    excluded_rows: int
    procedures: bool
    dossiers: int


class SummaryRow(TypedDict):
    """An agency's or unit's total, rank, change and dossiers in a stored period."""

    period: str
    unit: str
    total: float
    rank: int
    change: float | None
    dossiers: int


class IndexComputed(TypedDict):
    """A service-index computation: periods scored, rows excluded, where and the agencies."""

    engine: str
    periods: list[str]
    seconds: float
    excluded_rows: dict[str, int]
    results: str
    agencies: list[SummaryRow]


class DossiersAppended(TypedDict):
    """Dossiers added to a dataset and the stored periods recomputed for them."""

    file: str
    rows: int
    files_written: list[str]
    recomputed: list[str]  # every stored period the new rows touched, brought up to date
    added: list[str]  # of those, the ones updated by adding the new rows' sums to stored sums
    untouched: list[str]


class UnitIndicator(TypedDict):
    """One stored indicator of a unit: numerator, denominator, ratio and points."""

    indicator: str
    name: str
    name_en: str
    group: str
    numerator: int
    denominator: int
    ratio: float | None
    points: float | None


class ProcedureIndicator(TypedDict):
    """One indicator of one procedure in a unit's stored drill-down."""

    procedure: str
    indicator: str
    numerator: int
    denominator: int
    ratio: float


class ProcedureRatio(TypedDict):
    """An indicator's numerator, denominator and ratio over one procedure's dossiers."""

    numerator: int
    denominator: int
    ratio: float


class ProcedureRow(TypedDict):
    """One procedure of the drill-down: its dossiers and the ratios of each stored indicator."""

    procedure: str
    dossiers: int
    indicators: dict[str, ProcedureRatio]


def generate_dossiers(
    out: Path,
    *,
    dossiers: int = 100_000,
    start: date = date(2025, 1, 1),
    end: date = date(2025, 12, 31),
    seed: int = 20241,
    communes: int = 20,
    invalid_rows: int = 0,
    chunk_rows: int = 2_000_000,
) -> DossiersGenerated:
    if end < start:
        raise SipasError("dossier.bad_dates", start=start, end=end)
    design = DossierDesign(
        dossiers=dossiers,
        start=start,
        end=end,
        seed=seed,
        communes=communes,
        invalid_rows=invalid_rows,
        chunk_rows=chunk_rows,
    )
    summary = _generate(design, out)
    return cast(DossiersGenerated, {"folder": str(out), **summary})


def _engine(engine: str, master: str | None, threads: int | None = None) -> Engine:
    return connect(engine, master=master, threads=threads)


def validate_dossiers(
    path: Path, data: Path, *, report: Path | None = None, engine: str = "duckdb"
) -> DossiersChecked:
    """Every problem of every row of ``path`` against the catalogue of dataset ``data``."""
    dataset = Dataset(data)
    if not dataset.catalogue_path.is_file():
        dataset.check()
    records = read_records(path)
    catalogue = pq.read_table(dataset.catalogue_path)
    found = check_records(records, catalogue, _engine(engine, None))
    found = _with_ids_already_stored(found, records, dataset)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        found.to_csv(report, index=False)
    bad_rows = int(found.row.nunique()) if len(found) else 0
    return {
        "file": str(path),
        "rows": records.num_rows,
        "valid_rows": records.num_rows - bad_rows,
        "rows_with_problems": bad_rows,
        "problems": found.to_dict("records"),
    }


def _with_ids_already_stored(found: pd.DataFrame, records: Any, dataset: Dataset) -> pd.DataFrame:
    """Rows whose dossier id the dataset already holds: appended, both would be left out."""
    frame = records.select(["row", "dossier_id"]).to_pandas()
    stored = ids_present(dataset.files("dossiers"), frame.dossier_id.dropna().unique().tolist())
    clash = frame[frame.dossier_id.isin(stored)]
    if clash.empty:
        return found
    extra = clash.assign(
        field="dossier_id",
        code="dossier.id_in_dataset",
        message="the dataset already holds a dossier with this id",
        hint="append each dossier once; correct the id if it is another dossier",
    )
    joined = pd.concat([found, extra[found.columns]], ignore_index=True)
    return joined.sort_values(["row", "code"], ignore_index=True)


def results_root(data: Path, out: Path | None, framework: str) -> Path:
    return (out or data / "results") / Path(framework).stem


def _write(root: Path, result: IndexResult, inputs: dict[str, dict[str, Any]]) -> None:
    """The results of each period in its folder, with the sums they came from and the inputs
    those were read from (``stored_sums.snapshot``, taken before reading), for appends."""
    for key in result.periods:
        folder = root / key
        folder.mkdir(parents=True, exist_ok=True)
        for name in RESULT_FILES:
            frame: pd.DataFrame = getattr(result, name)
            frame[frame.period == key].to_parquet(folder / f"{name}.parquet", index=False)
        meta = {
            "framework": result.framework,
            "engine": result.engine,
            "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "excluded_rows": result.excluded.get(key, 0),
            "procedures": result.procedure_detail,
            "dossiers": int(
                result.scores[
                    (result.scores.period == key) & (result.scores.level == "agency")
                ].dossiers.sum()
            ),
        }
        (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    stored_sums.keep(result, {key: root / key for key in result.periods}, inputs)


def _detailed(root: Path, key: str) -> bool:
    """Whether the stored period was computed with the full drill-down by procedure (results
    written before the choice existed hold every indicator per procedure)."""
    return bool(read_meta(root / key).get("procedures", True))


def procedure_detail(
    data: Path, period: str, framework: str = "service-766", out: Path | None = None
) -> bool:
    """Whether a stored period's drill-down by procedure holds every indicator."""
    return _detailed(results_root(data, out, framework), parse_period(period).key)


def read_meta(folder: Path) -> StoredMeta:
    """A stored period's ``meta.json``; empty when missing or unreadable."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return cast(StoredMeta, meta) if isinstance(meta, dict) else {}


def stored_periods(root: Path) -> list[str]:
    """The periods with stored results; folders named otherwise (a copy, a backup) are not."""
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        if not (folder / "scores.parquet").is_file():
            continue
        try:
            if parse_period(folder.name).key == folder.name:
                found.append(folder.name)
        except SipasError:
            continue
    return sorted(found)


def _refresh_change(root: Path, written: list[str]) -> None:
    """Change on the period before, from stored totals, for written periods and their successors."""
    stored = set(stored_periods(root))
    targets = set(written) | {parse_period(k).next().key for k in written}
    for key in sorted(targets & stored):
        before = parse_period(key).previous().key
        if before not in stored:
            continue
        path = root / key / "scores.parquet"
        updated = with_change(
            pd.read_parquet(path), pd.read_parquet(root / before / "scores.parquet")
        )
        updated.to_parquet(path, index=False)


def compute_service_index(
    data: Path,
    period: str,
    *,
    each: str | None = None,
    engine: str = "duckdb",
    master: str | None = None,
    framework: str = "service-766",
    out: Path | None = None,
    threads: int | None = None,
    procedures: bool = False,
    progress: Callable[[str], None] | None = None,
) -> IndexComputed:
    """Score ``period`` (or each month/quarter of it), store the results, return the agencies.
    ``procedures``: the drill-down by procedure with every dossier indicator (more memory, larger results).
    ``progress`` is told each step as it starts."""
    say = progress or (lambda _: None)
    whole = parse_period(period)
    if each is not None and each not in GRAINS:
        raise SipasError("service_index.bad_grain", grain=each, grains=list(GRAINS))
    periods = whole.split(each or whole.grain)
    fw = load_framework(framework)
    started = time.perf_counter()
    say(f"{engine}: starting" + (f" on {master}" if engine == "spark" and master else ""))
    dataset = Dataset(data)
    root = results_root(data, out, framework)
    dataset.check()
    with dataset.locked():  # no append between the reading and the results
        inputs = stored_sums.snapshot(dataset, periods, fw)
        runner = _engine(engine, master, threads)
        try:
            say(f"{engine}: scoring {', '.join(p.key for p in periods)}")
            result = compute_index(dataset, periods, runner, fw, procedures)
        finally:
            runner.close()
        say(f"writing the results to {root}")
        _write(root, result, inputs)
        _refresh_change(root, result.periods)
    return {
        "engine": engine,
        "periods": result.periods,
        "seconds": round(time.perf_counter() - started, 2),
        "excluded_rows": result.excluded,
        "results": str(root),
        "agencies": summary_rows(root, result.periods, "agency"),
    }


def summary_rows(
    root: Path, periods: list[str], level: str, agency: str | None = None
) -> list[SummaryRow]:
    rows: list[SummaryRow] = []
    for key in periods:
        scores = pd.read_parquet(root / key / "scores.parquet")
        scores = scores[scores.level == level]
        if agency:
            scores = scores[scores.agency_code == agency]
        for record in scores.sort_values(["rank", "unit_code"]).to_dict("records"):
            rows.append(
                {
                    "period": key,
                    "unit": record["unit_code"],
                    "total": round(float(record["total"]), 2),
                    "rank": int(record["rank"]),
                    "change": None
                    if pd.isna(record["change"])
                    else round(float(record["change"]), 2),
                    "dossiers": int(record["dossiers"]),
                }
            )
    return rows


def append_dossiers(
    path: Path,
    data: Path,
    *,
    engine: str = "duckdb",
    master: str | None = None,
    framework: str = "service-766",
    out: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> DossiersAppended:
    """Add the dossiers of ``path`` to the dataset and recompute only the stored periods they touch."""
    say = progress or (lambda _: None)
    dataset = Dataset(data)
    dataset.check()
    records = read_records(path)
    with dataset.locked():  # one append or computation at a time
        return _append_locked(records, path, dataset, engine, master, framework, out, say)


def _append_locked(
    records: Any,
    path: Path,
    dataset: Dataset,
    engine: str,
    master: str | None,
    framework: str,
    out: Path | None,
    say: Callable[[str], None],
) -> DossiersAppended:
    data = dataset.root
    register = IdRegister(data)
    repeated_before = set(register.refresh(dataset.files("dossiers")).duplicates)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    written = write_partitioned(records, data, "dossiers", f"append-{stamp}")
    days = pc.unique(pc.coalesce(records["received_on"], records["submitted_on"])).to_pylist()
    # An id the new rows repeat leaves out the earlier rows too: their periods change as well.
    files = dataset.files("dossiers")
    newly = sorted(set(register.refresh(files).duplicates) - repeated_before)
    days += days_of(files, newly)
    root = results_root(data, out, framework)
    stored = stored_periods(root)
    touched = affected_periods([d for d in days if d is not None], stored)
    fw = load_framework(framework)
    runner = _engine(engine, master)
    added_to: list[str] = []
    try:
        for grain in GRAINS:
            periods = []
            for period in (p for p in touched if p.grain == grain):
                # A period whose stored sums still hold adds the new rows' sums to them; the
                # others are recomputed from their dossiers.
                added = _added_to_stored(root, stored, dataset, period, written, runner, fw)
                if added is None:
                    periods.append(period)
                else:
                    say(f"{engine}: added the new dossiers to {period.key}")
                    _write(root, *added)
                    added_to.append(period.key)
            if periods:
                say(f"{engine}: recomputing {', '.join(p.key for p in periods)}")
                detail = any(_detailed(root, p.key) for p in periods)
                # Change comes from the stored scores of the period before (_refresh_change
                # below, the same rule), so its dossiers need not be read again when it is stored.
                before = min(periods).previous().key
                inputs = stored_sums.snapshot(dataset, periods, fw)
                result = compute_index(
                    dataset, periods, runner, fw, detail, previous=before not in stored
                )
                _write(root, result, inputs)
    finally:
        runner.close()
    _refresh_change(root, [p.key for p in touched])
    return {
        "file": str(path),
        "rows": records.num_rows,
        "files_written": [str(p) for p in written],
        "recomputed": [p.key for p in touched],
        "added": added_to,
        "untouched": sorted(set(stored) - {p.key for p in touched}),
    }


def _added_to_stored(
    root: Path,
    stored: list[str],
    dataset: Dataset,
    period: Period,
    written: list[Path],
    runner: Engine,
    fw: ServiceFramework,
) -> tuple[IndexResult, dict[str, dict[str, Any]]] | None:
    """The period's result from its stored sums and the rows just ``written`` (with the inputs
    it was read from, by period); None when it
    must be recomputed: its drill-down holds every indicator, the period before (for change)
    is neither stored nor empty, or the stored sums no longer hold (stored_sums)."""
    if _detailed(root, period.key):
        return None
    before = period.previous()
    if before.key not in stored and dataset.files("dossiers", [before]):
        return None
    new_files = sorted(set(dataset.files("dossiers", [period])) & set(written))
    if not new_files:
        return None
    added = stored_sums.with_new_rows(root / period.key, dataset, period, new_files, runner, fw)
    if added is None:
        return None
    result, inputs = added
    return result, {period.key: inputs}


def stored_folder(root: Path, period: str) -> Path:
    """The folder of a stored period's results; a period without them is refused, naming the
    periods there are and the command that computes it (no server path: pages show this)."""
    key = parse_period(period).key
    folder = root / key
    if not (folder / "scores.parquet").is_file():
        raise SipasError(
            "service_index.no_results",
            period=key,
            have=stored_periods(root) or Phrase("rest.none"),
        )
    return folder


def _names(framework: str) -> dict[str, tuple[str, str]]:
    return {i.code: (i.name_vi, i.name_en) for i in load_framework(framework).indicators}


def _number(value: Any) -> float | None:
    return None if pd.isna(value) else round(float(value), 4)


def service_index_results(
    data: Path,
    period: str,
    *,
    level: str = "agency",
    agency: str | None = None,
    unit: str | None = None,
    by_procedure: bool = False,
    framework: str = "service-766",
    out: Path | None = None,
) -> list[SummaryRow] | list[UnitIndicator] | list[ProcedureIndicator]:
    """Stored results: ranking of a level; one unit's indicators; or its drill-down by procedure."""
    root = results_root(data, out, framework)
    folder = stored_folder(root, period)
    key = folder.name
    if unit is None:
        return summary_rows(root, [key], level, agency)
    names = _names(framework)
    if by_procedure:
        return _drill_down(folder, unit, names)
    frame = pd.read_parquet(folder / "indicators.parquet")
    frame = frame[frame.unit_code == unit]
    if frame.empty:
        raise SipasError("service_index.unknown_unit", unit=unit, period=key)
    frame = frame[frame.level == ("agency" if (frame.level == "agency").any() else "unit")]
    indicators: list[UnitIndicator] = [
        {
            "indicator": r["indicator"],
            "name": names[r["indicator"]][0],
            "name_en": names[r["indicator"]][1],
            "group": r["group"],
            "numerator": int(r["numerator"]),
            "denominator": int(r["denominator"]),
            "ratio": _number(r["ratio"]),
            "points": _number(r["points"]),
        }
        for r in frame.to_dict("records")
    ]
    return indicators


def procedure_drill_down(
    fine: pd.DataFrame, by: str, code: str, indicators: list[str]
) -> list[ProcedureRow]:
    """The stored drill-down (``procedures.parquet``) of one unit (``by`` ``unit_code``) or of
    every unit of an agency (``agency_code``), summed per procedure: its dossiers and each
    stored indicator's numerator, denominator and ratio; the busiest procedure first."""
    fine = fine[fine[by] == code]
    values = [c for c in fine.columns if c.endswith(("_num", "_den")) or c == "dossiers"]
    sums = fine.groupby("procedure_code")[values].sum()
    rows: list[ProcedureRow] = []
    for procedure, record in sums.iterrows():
        found: dict[str, ProcedureRatio] = {}
        for indicator in indicators:
            num, den = record.get(f"{indicator}_num"), record.get(f"{indicator}_den")
            if num is None or den is None or not den:
                continue
            found[indicator] = {
                "numerator": int(num),
                "denominator": int(den),
                "ratio": float(num) / float(den),
            }
        if found or record.get("dossiers"):
            rows.append(
                {
                    "procedure": str(procedure),
                    "dossiers": int(record.get("dossiers", 0)),
                    "indicators": found,
                }
            )
    rows.sort(key=lambda r: (-r["dossiers"], r["procedure"]))
    return rows


def _drill_down(
    folder: Path, unit: str, names: dict[str, tuple[str, str]]
) -> list[ProcedureIndicator]:
    fine = pd.read_parquet(folder / "procedures.parquet")
    by = "agency_code" if (fine.agency_code == unit).any() else "unit_code"
    if not (fine[by] == unit).any():
        raise SipasError("service_index.unknown_unit", unit=unit, period=folder.name)
    return [
        {
            "procedure": row["procedure"],
            "indicator": indicator,
            "numerator": values["numerator"],
            "denominator": values["denominator"],
            "ratio": round(values["ratio"], 4),
        }
        for row in sorted(procedure_drill_down(fine, by, unit, list(names)), key=_by_procedure)
        for indicator, values in row["indicators"].items()
    ]


def _by_procedure(row: ProcedureRow) -> str:
    return str(row["procedure"])
