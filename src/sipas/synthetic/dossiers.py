"""A synthetic national set of administrative-procedure dossiers (SYNTHETIC: no real records).

Seeded and vectorised: dossiers are drawn in chunks and written as Parquet into one folder per
month (``dossiers/2025-07/part-00000.parquet``), so a hundred million rows never sit in memory at
once. Rates vary by province (online share, lateness, digitisation, online payment) and by channel
(online dossiers are more often digitised, paid online and given an electronic result), so rankings
have something to find. Each dataset carries ``DATASET.json`` saying it is synthetic.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from sipas.geo import provinces_on
from sipas.service_index.ids import IdRegister
from sipas.service_index.model import day_number
from sipas.service_index.records import arrow_schema, write_partitioned

SECTORS = 12  # sectors handled by departments, one department each
DEPARTMENT_PROCEDURES = 25  # per sector
COMMUNE_PROCEDURES = 40
BAD_KINDS = ("duplicate_id", "unknown_procedure", "unknown_unit", "end_before_start", "bad_status")


@dataclass(frozen=True)
class DossierDesign:
    dossiers: int = 100_000
    start: date = date(2025, 1, 1)
    end: date = date(2025, 12, 31)  # the data's snapshot day: later ends are still unfinished
    seed: int = 20241
    departments: int = SECTORS
    communes: int = 20
    chunk_rows: int = 2_000_000
    complaint_share: float = 0.004
    invalid_rows: int = 0  # rows made wrong on purpose, cycling through BAD_KINDS


@dataclass(frozen=True)
class _World:
    provinces: list[str]
    weights: np.ndarray  # share of dossiers per province
    rates: dict[str, np.ndarray]  # per province
    units: list[str]
    unit_province: np.ndarray
    unit_sector: np.ndarray  # -1 for communes
    dept_base: np.ndarray  # first unit index of each province's departments
    commune_base: np.ndarray
    procedures: list[str]
    legal_days: np.ndarray
    has_fee: np.ndarray
    online_level: np.ndarray


def _world(design: DossierDesign) -> _World:
    rng = np.random.default_rng(design.seed)
    provinces = provinces_on(design.end)
    population = np.array([p.population or 1_000_000 for p in provinces], dtype=float)
    n = len(provinces)
    rates = {
        "online": rng.uniform(0.25, 0.75, n),
        "late": rng.uniform(0.01, 0.12, n),
        "digitised": rng.uniform(0.3, 0.85, n),
        "pay_online": rng.uniform(0.3, 0.85, n),
        "integrated": rng.uniform(0.6, 1.0, n),
        "publish_late": rng.uniform(0.0, 0.3, n),
    }
    units: list[str] = []
    unit_province: list[int] = []
    unit_sector: list[int] = []
    dept_base: list[int] = []
    commune_base: list[int] = []
    for i, p in enumerate(provinces):
        dept_base.append(len(units))
        for k in range(design.departments):
            units.append(f"{p.code}.SO{k + 1:02d}")
            unit_province.append(i)
            unit_sector.append(k % SECTORS)
        commune_base.append(len(units))
        for k in range(design.communes):
            units.append(f"{p.code}.XA{k + 1:03d}")
            unit_province.append(i)
            unit_sector.append(-1)
    n_proc = SECTORS * DEPARTMENT_PROCEDURES + COMMUNE_PROCEDURES
    procedures = [f"1.{k + 1:06d}" for k in range(SECTORS * DEPARTMENT_PROCEDURES)]
    procedures += [f"2.{k + 1:06d}" for k in range(COMMUNE_PROCEDURES)]
    return _World(
        provinces=[p.code for p in provinces],
        weights=population / population.sum(),
        rates=rates,
        units=units,
        unit_province=np.array(unit_province),
        unit_sector=np.array(unit_sector),
        dept_base=np.array(dept_base),
        commune_base=np.array(commune_base),
        procedures=procedures,
        legal_days=rng.choice([1, 3, 5, 7, 10, 15, 20, 30], n_proc),
        has_fee=rng.random(n_proc) < 0.4,
        online_level=rng.choice([0, 1, 2], n_proc, p=[0.1, 0.3, 0.6]),
    )


def _unit_procedures(world: _World, unit: int) -> np.ndarray:
    sector = world.unit_sector[unit]
    if sector < 0:
        first = SECTORS * DEPARTMENT_PROCEDURES
        return np.arange(first, first + COMMUNE_PROCEDURES)
    return np.arange(sector * DEPARTMENT_PROCEDURES, (sector + 1) * DEPARTMENT_PROCEDURES)


def catalogue_table(world: _World, design: DossierDesign) -> pa.Table:
    rng = np.random.default_rng(design.seed + 1)
    rows: dict[str, list[object]] = {name: [] for name in arrow_schema("catalogue").names}
    base = design.start - timedelta(days=400)
    for unit, code in enumerate(world.units):
        province = world.unit_province[unit]
        for proc in _unit_procedures(world, unit):
            decided = base + timedelta(days=int(rng.integers(0, 700)))
            late = rng.random() < world.rates["publish_late"][province]
            published = decided + timedelta(
                days=int(rng.integers(6, 30) if late else rng.integers(0, 5))
            )
            amended = (
                decided + timedelta(days=int(rng.integers(30, 400))) if rng.random() < 0.2 else None
            )
            amend_pub = amended + timedelta(days=int(rng.integers(0, 9))) if amended else None
            sector = world.unit_sector[unit]
            rows["agency_code"].append(world.provinces[province])
            rows["unit_code"].append(code)
            rows["procedure_code"].append(world.procedures[proc])
            rows["sector_code"].append("XA" if sector < 0 else f"S{sector + 1:02d}")
            rows["legal_days"].append(int(world.legal_days[proc]))
            rows["online_level"].append(int(world.online_level[proc]))
            rows["has_fee"].append(bool(world.has_fee[proc]))
            rows["payment_integrated"].append(
                bool(world.has_fee[proc]) and rng.random() < world.rates["integrated"][province]
            )
            rows["population_db_connected"].append(bool(rng.random() < 0.7))
            rows["decided_on"].append(decided)
            rows["published_on"].append(published)
            rows["content_complete"].append(bool(rng.random() < 0.9))
            rows["amended_on"].append(amended)
            rows["amendment_published_on"].append(amend_pub)
    return pa.table(rows, schema=arrow_schema("catalogue"))


def _strings(values: list[str], index: np.ndarray) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(index, pa.int32()), pa.array(values)).cast(
        pa.string()
    )


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype("int32"), pa.int32(), mask=mask).cast(pa.date32())


def _chunk(
    world: _World, design: DossierDesign, first: int, n: int, rng: np.random.Generator
) -> pa.Table:
    r = world.rates
    prov = rng.choice(len(world.provinces), n, p=world.weights)
    commune = rng.random(n) < 0.6
    unit = np.where(
        commune,
        world.commune_base[prov] + rng.integers(0, design.communes, n),
        world.dept_base[prov] + rng.integers(0, design.departments, n),
    )
    sector = world.unit_sector[unit]
    skew = rng.random(n) ** 2
    proc = np.where(
        sector < 0,
        SECTORS * DEPARTMENT_PROCEDURES + (skew * COMMUNE_PROCEDURES).astype(int),
        np.maximum(sector, 0) * DEPARTMENT_PROCEDURES + (skew * DEPARTMENT_PROCEDURES).astype(int),
    )
    u = rng.random(n)
    channel = np.where(u < r["online"][prov], 2, np.where(u > 0.97, 3, 1)).astype("int8")
    online = channel == 2
    first_day, last_day = day_number(design.start), day_number(design.end)
    received = rng.integers(first_day, last_day + 1, n)
    submitted = received - np.where(online, rng.integers(0, 3, n), 0)
    legal = world.legal_days[proc]
    requests = rng.choice([0, 1, 2], n, p=[0.88, 0.1, 0.02]).astype("int16")
    waited = (requests * rng.integers(1, 8, n)).astype("int32")
    late = rng.random(n) < r["late"][prov] * np.where(online, 0.7, 1.0)
    duration = (
        np.where(late, legal + rng.integers(1, 10, n), (rng.random(n) * (legal + 1)).astype(int))
        + waited
    )
    ended = received + duration
    unfinished = ended > last_day
    status = rng.choice([10, 9, 8], n, p=[0.85, 0.13, 0.02]).astype("int8")
    status = np.where(unfinished, np.where(requests > 0, 5, 4), status).astype("int8")
    u = rng.random(n)
    status = np.where(u < 0.004, 3, np.where(u < 0.009, 7, status)).astype("int8")
    no_end = unfinished | (status == 3) | (status == 7)
    not_received = status == 3
    has_promise = rng.random(n) < 0.92
    fee = np.where(world.has_fee[proc], rng.choice([50_000, 100_000, 200_000, 500_000], n), 0)
    pays = (fee > 0) & (rng.random(n) < np.where(online, r["pay_online"][prov], 0.05))
    paid = np.where(pays, rng.choice([1, 2], n), 0).astype("int8")
    documents = rng.integers(1, 7, n).astype("int16")
    digitised_all = rng.random(n) < np.where(online, 0.9, r["digitised"][prov])
    digitised = np.where(digitised_all, documents, rng.integers(0, documents)).astype("int16")
    citizen = rng.random(n) < np.where(sector < 0, 0.97, 0.8)
    certified = rng.random(n) < 0.1
    dislike = rng.random(n) < np.where(late, 0.1, 0.01)
    ids = pc.binary_join_element_wise(
        "D", pc.utf8_lpad(pc.cast(pa.array(np.arange(first, first + n)), pa.string()), 11, "0"), ""
    )
    returned = ended + rng.integers(0, 3, n)
    return pa.table(
        {
            "dossier_id": ids,
            "procedure_code": _strings(world.procedures, proc),
            "sector_code": _strings(["XA", *(f"S{k + 1:02d}" for k in range(SECTORS))], sector + 1),
            "agency_code": _strings(world.provinces, prov),
            "unit_code": _strings(world.units, unit),
            "channel": pa.array(channel),
            "applicant_type": _strings(["business", "citizen"], citizen.astype(int)),
            "submitted_on": _dates(submitted),
            "received_on": _dates(received, not_received),
            "promised_on": _dates(received + legal, ~has_promise | not_received),
            "ended_on": _dates(ended, no_end),
            "returned_on": _dates(returned, no_end | (status != 10)),
            "status": pa.array(status),
            "fee_amount": pa.array(fee.astype("int64")),
            "fee_paid_online": pa.array(paid),
            "documents": pa.array(documents),
            "documents_digitised": pa.array(digitised),
            "documents_reused": pa.array((online & (rng.random(n) < 0.4)).astype("int16")),
            "documents_from_store": pa.array((online & (rng.random(n) < 0.3)).astype("int16")),
            "certified_copy": pa.array(certified),
            "certified_copy_electronic": pa.array(certified & (rng.random(n) < 0.5)),
            "electronic_result": pa.array(~no_end & (rng.random(n) < np.where(online, 0.9, 0.5))),
            "vneid": pa.array(online & (rng.random(n) < 0.8)),
            "population_db": pa.array(citizen & (rng.random(n) < np.where(online, 0.8, 0.5))),
            "synced": pa.array(rng.random(n) < 0.97),
            "dislike": pa.array(dislike),
            "supplement_requests": pa.array(requests),
            "supplement_days": pa.array(waited),
        },
        schema=arrow_schema("dossiers"),
    )


def _supplements(chunk: pa.Table) -> pa.Table:
    requests = chunk["supplement_requests"].to_numpy()
    picked = np.flatnonzero(requests > 0)
    received = pc.cast(chunk["received_on"].take(picked), pa.int32()).to_numpy(zero_copy_only=False)
    waited = chunk["supplement_days"].to_numpy()[picked]
    ids = chunk["dossier_id"].take(picked)
    counts = requests[picked]
    ok = ~np.isnan(received.astype(float))
    rows_id, req, back = [], [], []
    for cycle in (0, 1):
        take = ok & (counts > cycle)
        each = waited[take] // counts[take]
        start = received[take].astype(int) + 1 + cycle * (each + 2)
        rows_id.append(ids.filter(pa.array(take)))
        req.append(start)
        back.append(start + each)
    return pa.table(
        {
            "dossier_id": pa.concat_arrays(
                [a.combine_chunks() if hasattr(a, "combine_chunks") else a for a in rows_id]
            ),
            "requested_on": _dates(np.concatenate(req)),
            "received_on": _dates(np.concatenate(back)),
        },
        schema=arrow_schema("supplements"),
    )


def _complaints(chunk: pa.Table, share: float, rng: np.random.Generator) -> pa.Table:
    n = chunk.num_rows
    picked = np.flatnonzero(rng.random(n) < share)
    start = pc.cast(pc.coalesce(chunk["received_on"], chunk["submitted_on"]), pa.int32())
    received = start.to_numpy(zero_copy_only=False)[picked].astype(int) + rng.integers(
        1, 20, len(picked)
    )
    handled = received + rng.integers(0, 22, len(picked))
    unhandled = rng.random(len(picked)) < 0.05
    return pa.table(
        {
            "complaint_id": pc.binary_join_element_wise("K", chunk["dossier_id"].take(picked), ""),
            "agency_code": chunk["agency_code"].take(picked),
            "unit_code": chunk["unit_code"].take(picked),
            "dossier_id": chunk["dossier_id"].take(picked),
            "received_on": _dates(received),
            "due_on": _dates(received + 15),
            "handled_on": _dates(handled, unhandled),
            "satisfied": pa.array(~unhandled & (rng.random(len(picked)) < 0.8), mask=unhandled),
        },
        schema=arrow_schema("complaints"),
    )


def _spoil(chunk: pa.Table, count: int) -> pa.Table:
    """Make ``count`` rows wrong, one kind after another (see BAD_KINDS)."""
    columns = {name: chunk[name].to_pylist()[:count] for name in chunk.column_names}
    for i in range(count):
        kind = BAD_KINDS[i % len(BAD_KINDS)]
        if kind == "duplicate_id" and i > 0:
            columns["dossier_id"][i] = columns["dossier_id"][i - 1]
        elif kind == "unknown_procedure":
            columns["procedure_code"][i] = "9.999999"
        elif kind == "unknown_unit":
            columns["unit_code"][i] = "99.XX999"
        elif kind == "end_before_start":
            start = columns["received_on"][i] or columns["submitted_on"][i]
            columns["ended_on"][i], columns["status"][i] = start - timedelta(days=3), 10
        elif kind == "bad_status":
            columns["status"][i] = 42
    head = pa.table(columns, schema=chunk.schema)
    return pa.concat_tables([head, chunk.slice(count)])


def generate_dossiers(design: DossierDesign, out: Path) -> dict[str, object]:
    """Write a synthetic dataset into ``out``; returns what was written."""
    out.mkdir(parents=True, exist_ok=True)
    world = _world(design)
    pq.write_table(catalogue_table(world, design), out / "catalogue.parquet")
    written, first, part = 0, 0, 0
    complaints = supplements = 0
    while written < design.dossiers:
        n = min(design.chunk_rows, design.dossiers - written)
        rng = np.random.default_rng([design.seed, part])
        chunk = _chunk(world, design, first, n, rng)
        if part == 0 and design.invalid_rows:
            chunk = _spoil(chunk, min(design.invalid_rows, n))
        name = f"part-{part:05d}"
        write_partitioned(chunk, out, "dossiers", name)
        extra = _supplements(chunk)
        write_partitioned(extra, out, "supplements", name)
        found = _complaints(chunk, design.complaint_share, rng)
        write_partitioned(found, out, "complaints", name)
        supplements += extra.num_rows
        complaints += found.num_rows
        written, first, part = written + n, first + n, part + 1
    # the id register, as every writer of a dataset keeps it (computations then only check it)
    registered = IdRegister(out).refresh(sorted((out / "dossiers").glob("*/*.parquet")))
    summary: dict[str, object] = {
        "synthetic": True,
        "note": "SYNTHETIC dossiers generated by sipas; not real records",
        "design": {k: str(v) if isinstance(v, date) else v for k, v in asdict(design).items()},
        "dossiers": written,
        "supplement_cycles": supplements,
        "complaints": complaints,
        "repeated_ids": len(registered.duplicates),
        "units": len(world.units),
        "procedures_in_catalogue": sum(
            len(_unit_procedures(world, u)) for u in range(len(world.units))
        ),
    }
    (out / "DATASET.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary
