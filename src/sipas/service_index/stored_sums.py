"""A period's engine sums kept beside its results, so that new dossiers add to them.

Every figure the engine returns is a count or a total over dossiers (:class:`compute.Sums`), so
the sums of a period after a day of new dossiers are its stored sums plus the new rows' sums:
exactly, as long as nothing the earlier rows' facts depend on has changed: the catalogue, the
supplements of the period's months and the complaints up to its end, the ids known to repeat,
the framework, the period's own dossier files and this format. Those inputs are recorded with
the sums (each file as ``ids.file_signature`` knows it, digests of the repeated ids and of the
framework). Where any differs, or the sums are missing or unreadable, the caller recomputes the
period from its dossiers.

Files, in the period's results folder: ``sums/units.parquet`` (per unit, with the dossiers
outside the catalogue on a row without unit), ``sums/usage.parquet`` (per catalogue row),
``sums/complaints.parquet`` and ``sums/inputs.json``.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pandas as pd

from sipas.service_index.compute import KEYS, USAGE, Sums, engine_sums, read_tables
from sipas.service_index.engine import PARTITIONED, Dataset, Engine
from sipas.service_index.framework import ServiceFramework
from sipas.service_index.ids import IdRegister, file_signature
from sipas.service_index.model import Period
from sipas.service_index.plans import digest, rules_digest
from sipas.service_index.scoring import IndexResult, score

FOLDER = "sums"
_FORMAT = 1
_PARTS = ("units", "usage", "complaints")


def inputs_of(
    dataset: Dataset,
    period: Period,
    framework: ServiceFramework,
    duplicates: list[str],
    leave_out: frozenset[Path] = frozenset(),
) -> dict[str, Any]:
    """What a period's sums depend on, as it is now; ``leave_out``: files not to count (the
    ones just added, to compare with the inputs the stored sums were made from)."""
    read = [f for t in PARTITIONED if t != "complaints" for f in dataset.files(t, [period])]
    read += dataset.files_until("complaints", [period])  # as compute.read_tables reads them
    files = {
        str(f.relative_to(dataset.root)): file_signature(f) for f in read if f not in leave_out
    }
    return {
        "format": _FORMAT,
        "rules": rules_digest(),  # sums made by other rules are not added to
        "framework": digest(repr(framework)),
        "catalogue": file_signature(dataset.catalogue_path),
        "duplicates": digest("\n".join(sorted(duplicates))),
        "files": files,
    }


def write(folder: Path, sums: Sums, key: str, inputs: dict[str, Any]) -> None:
    """Keep the sums of period ``key`` in ``folder`` (a period's ``sums`` folder); the inputs
    last, so sums half written read as missing."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "inputs.json").unlink(missing_ok=True)
    parts = {
        "units": sums.dossiers[sums.dossiers.period == key],
        "usage": sums.usage[sums.usage.period == key].assign(period=key),
        "complaints": sums.complaints[sums.complaints.period == key],
    }
    for name, frame in parts.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    mine = folder / f"inputs.{os.getpid()}.{threading.get_ident()}.tmp"
    mine.write_text(json.dumps(inputs), encoding="utf-8")
    mine.replace(folder / "inputs.json")


def read(folder: Path, inputs: dict[str, Any], catalogue: pd.DataFrame) -> Sums | None:
    """The stored sums, when they were made from exactly ``inputs``; otherwise None."""
    try:
        stored = json.loads((folder / "inputs.json").read_text(encoding="utf-8"))
        if stored != inputs:
            return None
        units, usage, complaints = (pd.read_parquet(folder / f"{n}.parquet") for n in _PARTS)
    except (OSError, ValueError):
        return None
    return Sums(units, usage, complaints, catalogue, "unit")


def added(stored: Sums, new: Sums, period: Period) -> Sums:
    """The sums of the stored rows and the new ones together (one period)."""
    values = [c for c in stored.dossiers.columns if c not in KEYS]
    both = pd.concat([stored.dossiers, new.dossiers[stored.dossiers.columns]], ignore_index=True)
    # per unit, procedure_code is empty on every row: grouped without it, put back as it was
    # (grouping on a column of empties would turn it into numbers)
    keys = [k for k in KEYS if k != "procedure_code"]
    units = both.groupby(keys, as_index=False, dropna=False, sort=False)[values].sum()
    units.insert(KEYS.index("procedure_code"), "procedure_code", None)
    usage = pd.concat([stored.usage, new.usage.assign(period=period.key)], ignore_index=True)
    usage = usage.groupby(["period", "_pair"], as_index=False, sort=False)[list(USAGE)].sum()
    return Sums(units, usage, stored.complaints, stored.catalogue, "unit")


def _duplicates(dataset: Dataset) -> list[str]:
    return IdRegister(dataset.root).refresh(dataset.files("dossiers")).duplicates


def snapshot(
    dataset: Dataset, periods: list[Period], framework: ServiceFramework
) -> dict[str, dict[str, Any]]:
    """Each period's inputs as they are now: taken before the dossiers are read, so that a file
    arriving during the computation is not recorded as one the sums hold."""
    duplicates = _duplicates(dataset)
    return {p.key: inputs_of(dataset, p, framework, duplicates) for p in periods}


def keep(result: IndexResult, folders: dict[str, Path], inputs: dict[str, dict[str, Any]]) -> None:
    """Keep the sums of each period of ``result`` in its results folder (``folders`` by key),
    with the ``inputs`` taken before they were computed (:func:`snapshot`); sums per procedure
    (the full drill-down) are not kept: such periods are recomputed."""
    if result.sums is None or result.sums.level != "unit":
        return
    for key in result.periods:
        if key in inputs:
            write(folders[key] / FOLDER, result.sums, key, inputs[key])


def with_new_rows(
    folder: Path,
    dataset: Dataset,
    period: Period,
    new_files: list[Path],
    engine: Engine,
    framework: ServiceFramework,
) -> tuple[IndexResult, dict[str, Any]] | None:
    """The period's result from its stored sums (in its results ``folder``) and the sums of
    the rows of ``new_files``, just added to the dataset, with the period's inputs as they were
    read (to keep with the result); None when the stored sums do not apply (see the module
    docstring). Change is left to the caller, as for ``compute_index(..., previous=False)``."""
    duplicates = _duplicates(dataset)
    now = inputs_of(dataset, period, framework, duplicates)
    expected = inputs_of(dataset, period, framework, duplicates, leave_out=frozenset(new_files))
    tables = read_tables(engine, dataset, [period], dossier_files=new_files)
    stored = read(
        folder / FOLDER, expected, tables.catalogue_frame.drop(columns=["_pair", "_unit"])
    )
    if stored is None:
        return None
    new = engine_sums(tables, framework, [period])
    return score(added(stored, new, period), framework, [period], engine.name), now
