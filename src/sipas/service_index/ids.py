"""The dataset's id register: which dossier ids occur on more than one row, kept up to date as
files enter the dataset.

Finding repeated ids means looking at every id of the dataset at once, the single most expensive
check of a computation when done by grouping (a hash table of tens of millions of strings). The
register does it once per file instead, like a unique index: it keeps the 64-bit hashes of every id
in the files it has seen, and the ids found on more than one row. When files are added (``sipas
dossiers append``, or copied into the month folders), only their ids are hashed and looked up; a
hash seen twice is confirmed on the ids themselves, so a hash collision never makes a dossier a
duplicate. A file changed or removed since (by size, modification or status-change time: a file
rewritten with its modification time set back still shows a new status-change time), another DuckDB version
(whose ``hash`` may differ), or a register file missing or unreadable, rebuilds the register from
all files. A dataset the user may not write to is still checked, in memory, every time.

The hashes are kept append-only, as sorted runs: each refresh that adds files writes one more run
holding the hashes of those files alone, and looks the new hashes up in each earlier run by binary
search on the file mapped in memory (only the pages searched are read), so adding a day of dossiers
writes in proportion to the day, not to the dataset. Past ``MAX_RUNS`` runs they are merged into
one.

Duplicates are of the whole dataset: an id on rows of two different months is a duplicate in both.
Files live in ``<dataset>/_register/``: ``state.json`` (the files seen, by size and modification
time, and the runs holding their hashes), ``hashes-<n>.npy`` (one sorted run each) and
``duplicates.parquet``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

FOLDER = "_register"
_FORMAT = 3  # 1: every hash in one hashes.npy, rewritten whole; 2: files by size and mtime only
# Runs kept before they are merged into one. Each added hash is looked up by one binary search in
# every run, so many runs would slow every append; merging reads and writes every hash of the
# dataset, so doing it at each append would cost what the runs are there to save. Sixteen keeps
# lookups cheap and makes the merge one append in sixteen (or fewer: a file without ids adds none).
MAX_RUNS = 16
_RUN_NAME = re.compile(r"hashes(?:-([0-9]+))?\.npy")  # a run, or the single file of format 1


@dataclass(frozen=True)
class Registered:
    """What the register knows after a refresh."""

    duplicates: list[str]  # ids on more than one row, sorted
    files: int  # dossier files covered
    checked_now: int  # files whose ids were hashed by this refresh


def file_signature(path: Path) -> list[int]:
    """How a dataset's file is known to be unchanged: size, modification time and status-change
    time. A file rewritten in place whose modification time was set back (``cp -p``, ``rsync
    -t``, an archive unpacked) still shows a new status-change time, which no one can set; a
    copied dataset reads as changed, and is checked again once."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


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


def _suspects(runs: list[np.ndarray], added: np.ndarray) -> np.ndarray:
    """Hashes repeated within ``added``, or present in one of ``runs`` (all sorted uint64)."""
    repeated = [added[1:][added[1:] == added[:-1]]]
    for run in runs:
        if len(run):
            # both uint64: a mixed type would make numpy convert (read) the whole run first
            at = np.minimum(np.searchsorted(run, added), len(run) - 1)
            repeated.append(added[np.asarray(run[at]) == added])
    return _distinct(np.sort(np.concatenate(repeated)))


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


@dataclass(frozen=True)
class _Run:
    """One sorted run of hashes: ``hashes-<number>.npy``, of ``size`` hashes."""

    number: int
    size: int


@dataclass(frozen=True)
class _State:
    files: dict[str, list[int]]  # relative path: [size, modification, status-change time in ns]
    runs: list[_Run]  # together, the hashes of every id of ``files``


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _read_state(text: str) -> _State | None:
    """The state of ``state.json``, if it is of this format and DuckDB version and well formed."""
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    if (
        not isinstance(raw, dict)
        or raw.get("format") != _FORMAT
        or raw.get("duckdb") != duckdb.__version__
    ):
        return None
    files, runs = raw.get("files"), raw.get("runs")
    if not isinstance(files, dict) or not isinstance(runs, list):
        return None
    if not all(
        isinstance(sig, list) and len(sig) == 3 and all(_whole(v) for v in sig)
        for sig in files.values()
    ):
        return None
    kept: list[_Run] = []
    for run in runs:
        if not isinstance(run, dict) or not _whole(run.get("run")) or not _whole(run.get("hashes")):
            return None
        if run["run"] < 1 or run["hashes"] < 1:
            return None
        kept.append(_Run(run["run"], run["hashes"]))
    if len({r.number for r in kept}) != len(kept):
        return None
    return _State(files, kept)


class IdRegister:
    """The register of a dataset folder (see the module docstring)."""

    def __init__(self, root: Path, *, max_runs: int = MAX_RUNS) -> None:
        if max_runs < 1:
            raise ValueError("max_runs must be at least 1")
        self.root = root
        self.folder = root / FOLDER
        self.max_runs = max_runs

    def _run(self, number: int) -> Path:
        return self.folder / f"hashes-{number}.npy"

    def _state(self) -> _State | None:
        """The register kept, if all its files are there and it is of this code and DuckDB."""
        path = self.folder / "state.json"
        if not path.is_file() or not (self.folder / "duplicates.parquet").is_file():
            return None
        try:
            state = _read_state(path.read_text(encoding="utf-8"))
        except OSError:
            return None
        if state is None or not all(self._run(r.number).is_file() for r in state.runs):
            return None
        return state

    def _open(self, state: _State) -> list[np.ndarray] | None:
        """The runs of ``state``, mapped in memory (a lookup reads only the pages it searches);
        None if one cannot be read or is not the run the state names."""
        runs = []
        try:
            for run in state.runs:
                hashes = np.load(self._run(run.number), mmap_mode="r", allow_pickle=False)
                if hashes.dtype != np.uint64 or hashes.shape != (run.size,):
                    return None
                runs.append(hashes)
        except (OSError, ValueError, EOFError):
            return None
        return runs

    def refresh(self, files: list[Path]) -> Registered:
        """Bring the register up to date with ``files`` (every dossier file of the dataset)."""
        current = {str(f.relative_to(self.root)): file_signature(f) for f in files}
        everything = [self.root / name for name in sorted(current)]
        state = self._state()
        if state is not None and any(current.get(n) != s for n, s in state.files.items()):
            state = None  # a file changed or went away: start again
        known = state.files if state is not None else {}
        new = [self.root / name for name in sorted(current) if name not in known]
        if state is not None and not new:
            return Registered(self._duplicates(), len(current), 0)  # no hash file read
        runs = self._open(state) if state is not None else []
        if runs is None:  # a run is missing or damaged: start again
            state, runs, new = None, [], everything
        con = duckdb.connect()
        try:
            added = _hashes(con, new)
            suspects = _suspects(runs, added)
            before = set(self._duplicates()) if state is not None else None
            found = set(before or ())
            found.update(_confirm(con, everything, suspects))
        finally:
            con.close()
        duplicates = sorted(found)
        kept = state.runs if state is not None else []
        if state is None or len(kept) + bool(len(added)) > self.max_runs:
            # Rebuilt, or too many runs: one run of every hash. Each run is sorted, so the
            # stable sort (a merge sort that finds the runs) merges them in linear passes.
            merged = np.concatenate([*runs, added])
            merged.sort(kind="stable")
            self._save([], merged, duplicates, current, tidy=True)
        else:
            # An unchanged list of duplicates need not be written again.
            self._save(kept, added, None if found == before else duplicates, current)
        return Registered(duplicates, len(current), len(new))

    def _duplicates(self) -> list[str]:
        path = self.folder / "duplicates.parquet"
        return pq.read_table(path).column("dossier_id").to_pylist() if path.is_file() else []

    def _numbers(self) -> list[int]:
        """The numbers of the runs in the folder, named by a state or not."""
        found = (_RUN_NAME.fullmatch(p.name) for p in self.folder.iterdir())
        return [int(m.group(1)) for m in found if m and m.group(1)]

    def _reserve(self, number: int) -> int:
        """A run number no other file has, from ``number`` up, taken by creating its file empty:
        two refreshes at the same moment never write the same run. Numbers only grow (from past
        every run of the folder), so a refresh begun earlier that looks for a run since merged
        away finds it missing (and starts again), never other hashes under its name."""
        while True:
            try:
                with self._run(number).open("x"):
                    return number
            except FileExistsError:
                number += 1

    def _save(
        self,
        kept: list[_Run],
        fresh: np.ndarray,
        duplicates: list[str] | None,
        files: dict[str, list[int]],
        *,
        tidy: bool = False,
    ) -> None:
        """Keep the register: the runs ``kept``, one more holding ``fresh`` (if any hashes), the
        ``duplicates`` (None: unchanged) and the state naming them, if the dataset may be written
        to; otherwise it is rebuilt in memory next time (a read-only or shared dataset is still
        checked, only slower). ``tidy`` removes the runs the new state no longer names."""
        # Each part is written beside under a name of this process and renamed, so neither a
        # reader nor another computation at the same moment sees half a register. A run is
        # written before the state that names it, and removed only after a state no longer does.
        mine = f".{os.getpid()}.tmp"
        runs = list(kept)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if len(fresh):
                number = self._reserve(max([0, *self._numbers(), *(r.number for r in kept)]) + 1)
                np.save(self.folder / f"hashes-{number}{mine}.npy", fresh)
                (self.folder / f"hashes-{number}{mine}.npy").replace(self._run(number))
                runs.append(_Run(number, len(fresh)))
            if duplicates is not None:
                table = pa.table({"dossier_id": pa.array(duplicates, pa.string())})
                pq.write_table(table, self.folder / f"duplicates{mine}.parquet")
                (self.folder / f"duplicates{mine}.parquet").replace(
                    self.folder / "duplicates.parquet"
                )
            state = {
                "format": _FORMAT,
                "duckdb": duckdb.__version__,
                "files": files,
                "runs": [{"run": r.number, "hashes": r.size} for r in runs],
            }
            (self.folder / f"state{mine}.json").write_text(json.dumps(state), encoding="utf-8")
            # state last: until it is written, the register reads as out of date and is rebuilt
            (self.folder / f"state{mine}.json").replace(self.folder / "state.json")
        except OSError:
            return
        if tidy:
            # Runs merged into the new one, left by an interrupted refresh, or the single file of
            # the previous format. (A refresh at this same moment whose state names a run removed
            # here is not wrong, only rebuilt next time: a named run missing starts again.)
            named = {self._run(r.number).name for r in runs}
            try:
                present = list(self.folder.iterdir())
            except OSError:
                return
            for path in present:
                if _RUN_NAME.fullmatch(path.name) and path.name not in named:
                    with contextlib.suppress(OSError):
                        path.unlink(missing_ok=True)
