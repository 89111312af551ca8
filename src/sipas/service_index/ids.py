"""The dataset's id register: which dossier ids occur on more than one row, kept up to date as
files enter the dataset.

Finding repeated ids means looking at every id of the dataset at once, the single most expensive
check of a computation when done by grouping (a hash table of tens of millions of strings). The
register does it once per file instead, like a unique index: it keeps the sorted 64-bit hashes of
every id in the files it has seen, and the ids found on more than one row. When files are added
(``sipas dossiers append``, or copied into the month folders), only their ids are hashed and
looked up; a hash seen twice is confirmed on the ids themselves, so a hash collision never makes a
dossier a duplicate. A file changed or removed since (by size or modification time), or another
DuckDB version (whose ``hash`` may differ), rebuilds the register from all files. A dataset the
user may not write to is still checked, in memory, every time.

Duplicates are of the whole dataset: an id on rows of two different months is a duplicate in both.
Files live in ``<dataset>/_register/``: ``state.json``, ``hashes.npy``, ``duplicates.parquet``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

FOLDER = "_register"
_FORMAT = 1


@dataclass(frozen=True)
class Registered:
    """What the register knows after a refresh."""

    duplicates: list[str]  # ids on more than one row, sorted
    files: int  # dossier files covered
    checked_now: int  # files whose ids were hashed by this refresh


def _signature(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _hashes(con: duckdb.DuckDBPyConnection, files: list[Path]) -> np.ndarray:
    if not files:
        return np.empty(0, dtype=np.uint64)
    sql = "SELECT hash(dossier_id) AS h FROM read_parquet(?) WHERE dossier_id IS NOT NULL"
    column = con.execute(sql, [[str(f) for f in files]]).fetchnumpy()["h"]
    return np.sort(np.asarray(column, dtype=np.uint64))


def _distinct(sorted_hashes: np.ndarray) -> np.ndarray:
    """Each value of a sorted array once (numpy's own set functions re-sort or hash: slower)."""
    if not len(sorted_hashes):
        return sorted_hashes
    keep = np.empty(len(sorted_hashes), dtype=bool)
    keep[0] = True
    np.not_equal(sorted_hashes[1:], sorted_hashes[:-1], out=keep[1:])
    return sorted_hashes[keep]


def _suspects(old: np.ndarray, added: np.ndarray) -> np.ndarray:
    """Hashes repeated within ``added``, or present in ``old`` (both sorted)."""
    repeated = added[1:][added[1:] == added[:-1]]
    if len(old):
        at = np.minimum(np.searchsorted(old, added), len(old) - 1)
        repeated = np.concatenate([repeated, added[old[at] == added]])
    return _distinct(np.sort(repeated))


def _confirm(con: duckdb.DuckDBPyConnection, files: list[Path], suspects: np.ndarray) -> list[str]:
    """The ids, among those whose hash is in ``suspects``, that really occur more than once."""
    if not len(suspects):
        return []
    con.register("_suspects", pa.table({"h": pa.array(suspects, pa.uint64())}))
    try:
        rows = con.execute(
            "SELECT dossier_id FROM read_parquet(?) WHERE dossier_id IS NOT NULL AND "
            "hash(dossier_id) IN (SELECT h FROM _suspects) GROUP BY dossier_id HAVING count(*) > 1",
            [[str(f) for f in files]],
        ).fetchall()
    finally:
        con.unregister("_suspects")
    return sorted(r[0] for r in rows)


def _distinct_where_id(files: list[Path], ids: list[str], column: str) -> list[Any]:
    """The distinct values of ``column`` over the rows of ``files`` holding one of ``ids``."""
    if not ids or not files:
        return []
    con = duckdb.connect()
    try:
        con.register("_ids", pa.table({"dossier_id": pa.array(ids, pa.string())}))
        rows = con.execute(
            f"SELECT DISTINCT {column} FROM read_parquet(?) "
            "WHERE dossier_id IN (SELECT dossier_id FROM _ids)",
            [[str(f) for f in files]],
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def ids_present(files: list[Path], ids: list[str]) -> set[str]:
    """Which of ``ids`` some row of ``files`` already holds."""
    return set(_distinct_where_id(files, ids, "dossier_id"))


def days_of(files: list[Path], ids: list[str]) -> list[date]:
    """The days (received, else submitted) of every row of ``files`` holding one of ``ids``."""
    days = _distinct_where_id(files, ids, "coalesce(received_on, submitted_on)")
    return [day for day in days if day is not None]


class IdRegister:
    """The register of a dataset folder (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / FOLDER

    def _state(self) -> dict[str, object] | None:
        path = self.folder / "state.json"
        parts = ("hashes.npy", "duplicates.parquet")
        if not path.is_file() or not all((self.folder / p).is_file() for p in parts):
            return None
        try:
            state: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (
            not isinstance(state, dict)
            or state.get("format") != _FORMAT
            or state.get("duckdb") != duckdb.__version__
        ):
            return None
        return state

    def refresh(self, files: list[Path]) -> Registered:
        """Bring the register up to date with ``files`` (every dossier file of the dataset)."""
        current = {str(f.relative_to(self.root)): _signature(f) for f in files}
        state = self._state()
        known: dict[str, list[int]] = dict(state["files"]) if state else {}  # type: ignore[call-overload]
        if any(current.get(name) != signature for name, signature in known.items()):
            state, known = None, {}  # a file changed or went away: start again
        new = [self.root / name for name in sorted(current) if name not in known]
        if state is not None and not new:
            return Registered(self._duplicates(), len(current), 0)
        con = duckdb.connect()
        try:
            old = np.load(self.folder / "hashes.npy") if state else np.empty(0, np.uint64)
            added = _hashes(con, new)
            suspects = _suspects(old, added)
            merged = np.concatenate([old, added])
            merged.sort(kind="stable")  # two sorted runs: a linear merge
            found = set(self._duplicates() if state else [])
            found.update(_confirm(con, [self.root / n for n in sorted(current)], suspects))
        finally:
            con.close()
        self._save(merged, sorted(found), current)
        return Registered(sorted(found), len(current), len(new))

    def _duplicates(self) -> list[str]:
        path = self.folder / "duplicates.parquet"
        return pq.read_table(path).column("dossier_id").to_pylist() if path.is_file() else []

    def _save(self, hashes: np.ndarray, duplicates: list[str], files: dict[str, list[int]]) -> None:
        """Keep the register, if the dataset may be written to; otherwise it is rebuilt in
        memory next time (a read-only or shared dataset is still checked, only slower)."""
        # Each part is written beside under a name of this process and renamed, so neither a
        # reader nor another computation at the same moment sees half a register.
        mine = f".{os.getpid()}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            np.save(self.folder / f"hashes{mine}.npy", hashes)
            (self.folder / f"hashes{mine}.npy").replace(self.folder / "hashes.npy")
            table = pa.table({"dossier_id": pa.array(duplicates, pa.string())})
            pq.write_table(table, self.folder / f"duplicates{mine}.parquet")
            (self.folder / f"duplicates{mine}.parquet").replace(self.folder / "duplicates.parquet")
            state = {"format": _FORMAT, "duckdb": duckdb.__version__, "files": files}
            (self.folder / f"state{mine}.json").write_text(json.dumps(state), encoding="utf-8")
            # state last: until it is written, the register reads as out of date and is rebuilt
            (self.folder / f"state{mine}.json").replace(self.folder / "state.json")
        except OSError:
            return
