"""The dataset's id register: repeated dossier ids across the whole dataset, kept up to date file
by file, and rebuilt when a file changes."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipas.service_index import ids
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


def _runs(root: Path) -> list[str]:
    """The run files the register's state names, in order."""
    state = json.loads((root / "_register" / "state.json").read_text(encoding="utf-8"))
    return [f"hashes-{run['run']}.npy" for run in state["runs"]]


def _run_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "_register").glob("hashes*.npy"))


def test_each_append_adds_a_run_and_repeats_are_found_across_runs(tmp_path: Path) -> None:
    _write(tmp_path, "2025-01", "a", ["d1", "d2"])
    register = IdRegister(tmp_path)
    assert register.refresh(_files(tmp_path)).duplicates == []
    first = tmp_path / "_register" / "hashes-1.npy"
    written = (first.stat().st_mtime_ns, first.read_bytes())

    _write(tmp_path, "2025-02", "b", ["d3", "d4"])
    assert register.refresh(_files(tmp_path)).duplicates == []
    # d1 from run 1 again, and d6 twice within the new file
    _write(tmp_path, "2025-03", "c", ["d1", "d6", "d5", "d6"])
    third = register.refresh(_files(tmp_path))
    assert third.duplicates == ["d1", "d6"] and third.checked_now == 1
    assert _runs(tmp_path) == ["hashes-1.npy", "hashes-2.npy", "hashes-3.npy"]
    assert _run_files(tmp_path) == _runs(tmp_path)
    assert (first.stat().st_mtime_ns, first.read_bytes()) == written  # never written again

    _write(tmp_path, "2025-03", "d", ["d4"])  # from run 2, found by a fresh reader too
    assert IdRegister(tmp_path).refresh(_files(tmp_path)).duplicates == ["d1", "d4", "d6"]
    assert len(_runs(tmp_path)) == 4


def test_a_file_without_ids_adds_no_run(tmp_path: Path) -> None:
    _write(tmp_path, "2025-01", "a", ["d1"])
    register = IdRegister(tmp_path)
    register.refresh(_files(tmp_path))
    _write(tmp_path, "2025-02", "b", [None, None])
    _write(tmp_path, "2025-02", "c", [])
    assert register.refresh(_files(tmp_path)).checked_now == 2
    assert _runs(tmp_path) == ["hashes-1.npy"]


def test_runs_past_the_limit_are_merged_into_one(tmp_path: Path) -> None:
    register = IdRegister(tmp_path, max_runs=3)
    batches = [["d1", "d2"], ["d3"], ["d2", "d4"], ["d5", "d5"], ["d3", "d6"], ["d7"]]
    counts = []
    for i, batch in enumerate(batches):
        _write(tmp_path, f"2025-{i + 1:02d}", "x", list(batch))
        registered = register.refresh(_files(tmp_path))
        counts.append(len(_runs(tmp_path)))
        assert _run_files(tmp_path) == sorted(_runs(tmp_path))  # merged runs are removed
    assert counts == [1, 2, 3, 1, 2, 3]  # the fourth run would pass the limit: one run
    assert registered.duplicates == ["d2", "d3", "d5"]
    # the same as a register built at once from every file
    shutil.rmtree(tmp_path / "_register")
    assert IdRegister(tmp_path).refresh(_files(tmp_path)).duplicates == registered.duplicates
    assert len(_runs(tmp_path)) == 1


def test_a_missing_or_damaged_run_or_state_rebuilds_the_register(tmp_path: Path) -> None:
    for i, batch in enumerate([["d1", "d2"], ["d3"], ["d2"]]):
        _write(tmp_path, f"2025-0{i + 1}", "a", list(batch))
        IdRegister(tmp_path).refresh(_files(tmp_path))
    folder = tmp_path / "_register"
    assert _runs(tmp_path) == ["hashes-1.npy", "hashes-2.npy", "hashes-3.npy"]

    (folder / "hashes-2.npy").unlink()
    rebuilt = IdRegister(tmp_path).refresh(_files(tmp_path))
    assert rebuilt.duplicates == ["d2"] and rebuilt.checked_now == 3
    assert len(_runs(tmp_path)) == 1 and _run_files(tmp_path) == _runs(tmp_path)

    (folder / "state.json").write_text("{not json", encoding="utf-8")
    rebuilt = IdRegister(tmp_path).refresh(_files(tmp_path))
    assert rebuilt.duplicates == ["d2"] and rebuilt.checked_now == 3

    # a damaged run is found when it is next searched, that is when a file is added
    (folder / _runs(tmp_path)[0]).write_bytes(b"not a numpy file")
    _write(tmp_path, "2025-04", "a", ["d3"])
    rebuilt = IdRegister(tmp_path).refresh(_files(tmp_path))
    assert rebuilt.duplicates == ["d2", "d3"] and rebuilt.checked_now == 4

    # a run of another length than the state says (written by someone else) as well
    np.save(folder / _runs(tmp_path)[0], np.array([1, 2, 3], dtype=np.uint64))
    _write(tmp_path, "2025-05", "a", ["d1"])
    rebuilt = IdRegister(tmp_path).refresh(_files(tmp_path))
    assert rebuilt.duplicates == ["d1", "d2", "d3"] and rebuilt.checked_now == 5


def test_a_register_of_the_previous_format_is_rebuilt(tmp_path: Path) -> None:
    _write(tmp_path, "2025-01", "a", ["d1", "d1"])
    folder = tmp_path / "_register"
    folder.mkdir()
    np.save(folder / "hashes.npy", np.array([7, 7], dtype=np.uint64))
    pq.write_table(
        pa.table({"dossier_id": pa.array([], pa.string())}), folder / "duplicates.parquet"
    )
    files = {
        str(f.relative_to(tmp_path)): [f.stat().st_size, f.stat().st_mtime_ns]
        for f in _files(tmp_path)
    }
    old = {"format": 1, "duckdb": duckdb.__version__, "files": files}
    (folder / "state.json").write_text(json.dumps(old), encoding="utf-8")
    registered = IdRegister(tmp_path).refresh(_files(tmp_path))
    assert registered.duplicates == ["d1"] and registered.checked_now == 1
    assert _run_files(tmp_path) == ["hashes-1.npy"]  # hashes.npy is gone


def test_a_refresh_without_new_files_reads_no_hashes_and_the_duplicates_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "2025-01", "a", ["d1", "d1"])
    _write(tmp_path, "2025-02", "b", ["d2"])
    IdRegister(tmp_path).refresh(_files(tmp_path))

    def no_load(*args: object, **kwargs: object) -> None:
        raise AssertionError("a hash file was read")

    reads: list[object] = []
    read_table = pq.read_table

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args[0])
        return read_table(*args, **kwargs)

    monkeypatch.setattr(ids.pq, "read_table", counted)
    with monkeypatch.context() as patched:
        patched.setattr(ids.np, "load", no_load)
        assert IdRegister(tmp_path).refresh(_files(tmp_path)).duplicates == ["d1"]
    assert len(reads) == 1

    _write(tmp_path, "2025-03", "c", ["d2"])
    assert IdRegister(tmp_path).refresh(_files(tmp_path)).duplicates == ["d1", "d2"]
    assert len(reads) == 2  # once more for the refresh that added a file


def test_a_hash_collision_is_not_a_duplicate(tmp_path: Path) -> None:
    """A hash already in a run whose id is not in the dataset (what a collision looks like)
    makes the new id a suspect, confirmed or not on the ids themselves."""
    _write(tmp_path, "2025-01", "a", ["d1"])
    IdRegister(tmp_path).refresh(_files(tmp_path))
    folder = tmp_path / "_register"
    collision = duckdb.connect().execute("SELECT hash('d9')").fetchall()[0][0]
    run = np.sort(np.append(np.load(folder / "hashes-1.npy"), np.uint64(collision)))
    np.save(folder / "hashes-1.npy", run)
    state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    state["runs"][0]["hashes"] = len(run)
    (folder / "state.json").write_text(json.dumps(state), encoding="utf-8")

    _write(tmp_path, "2025-02", "b", ["d9"])
    registered = IdRegister(tmp_path).refresh(_files(tmp_path))
    assert registered.duplicates == [] and registered.checked_now == 1


_IDS = st.lists(
    st.lists(st.sampled_from([f"d{i}" for i in range(12)] + [None]), max_size=6),
    min_size=1,
    max_size=8,
)


@pytest.mark.parametrize("max_runs", [2, 16])
@settings(max_examples=25, deadline=None)
@given(batches=_IDS, months=st.lists(st.integers(1, 3), min_size=8, max_size=8))
def test_the_register_finds_exactly_the_ids_occurring_more_than_once(
    max_runs: int, batches: list[list[str | None]], months: list[int]
) -> None:
    """Appended batch by batch, merged or not, the register agrees with counting every id."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        register = IdRegister(root, max_runs=max_runs)
        seen: Counter[str] = Counter()
        for i, batch in enumerate(batches):
            _write(root, f"2025-{months[i]:02d}", f"append-{i}", batch)
            seen.update(d for d in batch if d is not None)
            registered = register.refresh(_files(root))
            assert registered.duplicates == sorted(d for d, n in seen.items() if n > 1)
            assert registered.checked_now == 1
            assert len(_runs(root)) <= max_runs
            assert _run_files(root) == sorted(_runs(root))


def test_a_file_rewritten_with_its_time_set_back_is_seen_as_changed(tmp_path: Path) -> None:
    """Same size, modification time set back (cp -p, rsync -t, an unpacked archive): the
    status-change time still shows the rewrite, and the register is rebuilt."""
    path = _write(tmp_path, "2025-01", "a", ["d1", "d2"])
    _write(tmp_path, "2025-02", "b", ["d3"])
    assert IdRegister(tmp_path).refresh(_files(tmp_path)).duplicates == []
    before = path.stat()
    _write(tmp_path, "2025-01", "a", ["d1", "d3"])  # same size: d3 now repeats February's
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    again = IdRegister(tmp_path).refresh(_files(tmp_path))
    assert again.duplicates == ["d3"] and again.checked_now == 2
