"""The dataset's id register: repeated dossier ids across the whole dataset, kept up to date file
by file, and rebuilt when a file changes."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sipas.service_index.ids import IdRegister


def _write(root: Path, month: str, name: str, ids: list[str | None]) -> Path:
    folder = root / "dossiers" / month
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    pq.write_table(pa.table({"dossier_id": pa.array(ids, pa.string())}), path)
    return path


def _files(root: Path) -> list[Path]:
    return sorted((root / "dossiers").glob("*/*.parquet"))


def test_repeats_across_months_are_found_and_new_files_alone_are_hashed(tmp_path: Path) -> None:
    _write(tmp_path, "2025-01", "a", ["d1", "d2", "d3", None, None])
    _write(tmp_path, "2025-02", "b", ["d4", "d2", "d5", "d5"])
    register = IdRegister(tmp_path)
    first = register.refresh(_files(tmp_path))
    # d2 in two months, d5 twice in one file; missing ids are another check's business
    assert first.duplicates == ["d2", "d5"]
    assert (first.files, first.checked_now) == (2, 2)

    again = register.refresh(_files(tmp_path))
    assert again.duplicates == ["d2", "d5"] and again.checked_now == 0

    _write(tmp_path, "2025-03", "c", ["d6", "d1"])  # d1 was in January
    appended = register.refresh(_files(tmp_path))
    assert appended.duplicates == ["d1", "d2", "d5"]
    assert appended.checked_now == 1  # only the new file was read for hashing

    _write(tmp_path, "2025-03", "d", ["d7", "d8"])
    assert IdRegister(tmp_path).refresh(_files(tmp_path)).duplicates == ["d1", "d2", "d5"]


def test_a_changed_or_removed_file_rebuilds_the_register(tmp_path: Path) -> None:
    _write(tmp_path, "2025-01", "a", ["d1", "d2"])
    second = _write(tmp_path, "2025-02", "b", ["d2", "d3"])
    register = IdRegister(tmp_path)
    assert register.refresh(_files(tmp_path)).duplicates == ["d2"]

    second.unlink()  # the repeat goes with the file
    rebuilt = register.refresh(_files(tmp_path))
    assert rebuilt.duplicates == [] and rebuilt.checked_now == 1

    corrected = _write(tmp_path, "2025-01", "a", ["d1", "d1", "d9"])
    os.utime(corrected, ns=(1, 1))  # a different signature even within the same clock tick
    assert register.refresh(_files(tmp_path)).duplicates == ["d1"]


def test_an_empty_dataset_has_no_duplicates(tmp_path: Path) -> None:
    registered = IdRegister(tmp_path).refresh([])
    assert registered.duplicates == [] and registered.files == 0
