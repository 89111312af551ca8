"""Appending dossiers to a dataset with stored results: every stored period's results (and the
engine sums kept beside them) equal a computation from nothing of the same dataset, whether the
append added the new rows' sums to the stored ones (``stored_sums.with_new_rows``) or fell back
to recomputing the period from its dossiers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sipas.api import service_index as api
from sipas.service_index import (
    compute_index,
    connect,
    load_framework,
    parse_period,
    read_records,
    stored_sums,
    write_partitioned,
)
from sipas.service_index.compute import Sums
from sipas.service_index.engine import Dataset
from sipas.service_index.ids import IdRegister

ENGINE = "duckdb"
MONTHLY: dict[str, Any] = {"period": "2025-Q3", "each": "month"}
# The day held back from the generated dataset and appended by the tests.
DAY = date(2025, 8, 14)
SORT = {
    "scores": ["level", "period", "agency_code", "unit_code"],
    "indicators": ["level", "period", "agency_code", "unit_code", "indicator"],
    "procedures": ["period", "agency_code", "unit_code", "procedure_code"],
    "units": ["period", "agency_code", "unit_code", "procedure_code"],
    "usage": ["period", "_pair"],
    "complaints": ["period", "unit_code"],
}


@pytest.fixture(scope="module")
def quarter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated quarter (July to September 2025)."""
    root = tmp_path_factory.mktemp("append") / "q3"
    api.generate_dossiers(
        root, dossiers=2_500, start=date(2025, 7, 1), end=date(2025, 9, 30), seed=7, communes=2
    )
    shutil.rmtree(root / "_register", ignore_errors=True)
    return root


@pytest.fixture(scope="module")
def august(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated month (August 2025) for the property test."""
    root = tmp_path_factory.mktemp("append") / "aug"
    api.generate_dossiers(
        root, dossiers=600, start=date(2025, 8, 1), end=date(2025, 8, 31), seed=11, communes=1
    )
    shutil.rmtree(root / "_register", ignore_errors=True)
    return root


# --- helpers -----------------------------------------------------------------------------------


def _copy(source: Path, target: Path) -> Path:
    """A copy without results or id register (modification times kept, as ``copy2`` does)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("results", "_register"))
    return target


def _day_of(table: pa.Table) -> pa.ChunkedArray:
    return pc.coalesce(table["received_on"], table["submitted_on"])


def _hold_back(data: Path, days: list[date], out: Path) -> list[Path]:
    """Take the dossiers of ``days`` out of the dataset's files; one Parquet file per day
    holding them (to append later), in the order of ``days``."""
    held: dict[date, list[pa.Table]] = {d: [] for d in days}
    for path in sorted((data / "dossiers").glob("*/*.parquet")):
        table = pq.read_table(path)
        on = _day_of(table)
        hit = pc.is_in(on, value_set=pa.array(days, type=pa.date32()))
        if not pc.any(hit).as_py():
            continue
        for day in days:
            held[day].append(table.filter(pc.equal(on, pa.scalar(day, type=pa.date32()))))
        pq.write_table(table.filter(pc.invert(hit)), path)
    files = []
    out.mkdir(parents=True, exist_ok=True)
    for day, parts in held.items():
        rows = pa.concat_tables(parts)
        assert rows.num_rows > 0, day
        files.append(out / f"{day.isoformat()}.parquet")
        pq.write_table(rows, files[-1])
    return files


def _write_rows(rows: pd.DataFrame, like: Path, path: Path) -> Path:
    """``rows`` in the schema of the dossier file ``like``."""
    schema = pq.read_schema(like)
    pq.write_table(pa.Table.from_pandas(rows, schema=schema, preserve_index=False), path)
    return path


def _compute(data: Path, calls: list[dict[str, Any]]) -> None:
    for call in calls:
        api.compute_service_index(data, engine=ENGINE, **call)


def _append(path: Path, data: Path) -> tuple[api.DossiersAppended, list[str]]:
    said: list[str] = []
    done = api.append_dossiers(path, data, engine=ENGINE, progress=said.append)
    return done, said


def _added(said: list[str]) -> list[str]:
    """The periods the append added the new rows' sums to."""
    prefix = f"{ENGINE}: added the new dossiers to "
    return [line[len(prefix) :] for line in said if line.startswith(prefix)]


def _root(data: Path) -> Path:
    return data / "results" / "service-766"


def _frame(path: Path, name: str) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    keys = [k for k in SORT[name] if k in frame.columns]
    if name == "units":  # no procedure at unit level: None, or NaN once summed (see below)
        frame["procedure_code"] = frame.procedure_code.astype(object).where(
            frame.procedure_code.notna(), None
        )
    return frame.sort_values(keys, ignore_index=True, na_position="first")


def _meta(folder: Path) -> dict[str, Any]:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    meta.pop("computed_at")
    return dict(meta)


def _assert_as_fresh(
    data: Path, scratch: Path, calls: list[dict[str, Any]], periods: list[str] | None = None
) -> None:
    """The stored results of ``data`` (of ``periods``, default all) equal those of the same
    ``calls`` to compute_service_index on a copy of the dataset without results: scores,
    indicators, procedures, meta and the stored sums with the inputs they were made from."""
    fresh = _copy(data, scratch / f"fresh-{len(list(scratch.glob('fresh-*')))}")
    _compute(fresh, calls)
    got, want = _root(data), _root(fresh)
    keys = periods or api.stored_periods(want)
    assert set(keys) <= set(api.stored_periods(got))
    for key in keys:
        for name in api.RESULT_FILES:
            pd.testing.assert_frame_equal(
                _frame(got / key / f"{name}.parquet", name),
                _frame(want / key / f"{name}.parquet", name),
                obj=f"{key}/{name}",
            )
        assert _meta(got / key) == _meta(want / key), key
        kept, expected = got / key / stored_sums.FOLDER, want / key / stored_sums.FOLDER
        assert kept.is_dir() == expected.is_dir(), key
        if not expected.is_dir():
            continue
        for name in ("units", "usage", "complaints"):
            pd.testing.assert_frame_equal(
                _frame(kept / f"{name}.parquet", name),
                _frame(expected / f"{name}.parquet", name),
                obj=f"{key}/sums/{name}",
            )
        # the inputs too: the same as a fresh compute's (but for the copy's file times), and
        # the dataset as it is now, so that the next append finds them holding
        inputs = json.loads((kept / "inputs.json").read_text())
        fresh_inputs = json.loads((expected / "inputs.json").read_text())
        times = ("files", "catalogue")
        assert {k: v for k, v in inputs.items() if k not in times} == {
            k: v for k, v in fresh_inputs.items() if k not in times
        }, key
        assert inputs["catalogue"][0] == fresh_inputs["catalogue"][0], key
        assert {n: s[0] for n, s in inputs["files"].items()} == {
            n: s[0] for n, s in fresh_inputs["files"].items()
        }, key
        dataset = Dataset(data)
        now = stored_sums.inputs_of(
            dataset,
            parse_period(key),
            load_framework("service-766"),
            IdRegister(data).refresh(dataset.files("dossiers")).duplicates,
        )
        assert inputs == now, key


@pytest.fixture
def held_back(quarter: Path, tmp_path: Path) -> tuple[Path, list[Path]]:
    """A copy of the quarter without the dossiers of DAY (in the one file returned)."""
    data = _copy(quarter, tmp_path / "data")
    return data, _hold_back(data, [DAY], tmp_path / "days")


# --- 6. random splits (first: the longest test starts first on its worker) ------------------


@settings(
    max_examples=10,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a failure takes minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    batches=st.integers(1, 3),
    initial_share=st.floats(0.05, 0.95),
    outside=st.booleans(),
)
def test_random_splits_into_appended_batches_score_as_all_rows_at_once(
    august: Path, seed: int, batches: int, initial_share: float, outside: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        data = _copy(august, scratch / "data")
        (month,) = sorted((data / "dossiers").glob("*/*.parquet"))
        rows = pq.read_table(month)
        rng = np.random.default_rng(seed)
        # 0: initial rows; 1..batches: appended batches
        place = np.where(
            rng.random(rows.num_rows) < initial_share,
            0,
            rng.integers(1, batches + 1, rows.num_rows),
        )
        place[0] = 0  # the month keeps some dossiers
        pq.write_table(rows.filter(pa.array(place == 0)), month)
        calls = [{"period": "2025-08"}]
        _compute(data, calls)
        for batch in range(1, batches + 1):
            chosen = rows.filter(pa.array(place == batch))
            if chosen.num_rows == 0:
                continue
            path = scratch / f"batch-{batch}.parquet"
            pq.write_table(chosen, path)
            if outside:  # and a row of a unit outside the catalogue
                stray = chosen.slice(0, 1).to_pandas()
                stray["dossier_id"], stray["unit_code"] = f"STRAY{batch}", "99.NOWHERE"
                extra = pd.concat([chosen.to_pandas(), stray], ignore_index=True)
                _write_rows(extra, path, path)
            _, said = _append(path, data)
            assert _added(said) == ["2025-08"]
        # the fresh copy holds the same rows (in more files): all of them computed at once
        _assert_as_fresh(data, scratch, calls)


# --- 1. the additive path ----------------------------------------------------------------------


def test_a_day_of_new_dossiers_is_added_to_its_month_as_a_recompute_would_score_it(
    held_back: tuple[Path, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, (day,) = held_back
    _compute(data, [MONTHLY])
    returned: list[Any] = []
    real = stored_sums.with_new_rows

    def spy(*args: Any, **kwargs: Any) -> Any:
        returned.append(real(*args, **kwargs))
        return returned[-1]

    monkeypatch.setattr(stored_sums, "with_new_rows", spy)
    done, said = _append(day, data)
    assert done["recomputed"] == ["2025-08"]
    assert done["added"] == ["2025-08"]
    assert _added(said) == ["2025-08"]
    assert not any("recomputing" in line for line in said)
    assert len(returned) == 1 and returned[0] is not None
    assert returned[0][0].periods == ["2025-08"]  # (the result, the inputs it was read from)
    _assert_as_fresh(data, tmp_path, [MONTHLY])


def test_the_additive_result_equals_the_scores_before_the_day_was_held_back(
    quarter: Path, held_back: tuple[Path, list[Path]]
) -> None:
    """The day's rows were in the generated dataset: once appended, August scores as before."""
    data, (day,) = held_back
    _compute(data, [MONTHLY])
    _, said = _append(day, data)
    assert _added(said) == ["2025-08"]
    whole = compute_index(quarter, [parse_period("2025-08")], connect(ENGINE))
    stored = _frame(_root(data) / "2025-08" / "scores.parquet", "scores")
    expected = whole.scores.sort_values(SORT["scores"], ignore_index=True)
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)


# --- 2. several appends, several periods -------------------------------------------------------


def test_two_successive_appends_to_one_month(quarter: Path, tmp_path: Path) -> None:
    data = _copy(quarter, tmp_path / "data")
    first, second = _hold_back(data, [DAY, date(2025, 8, 27)], tmp_path / "days")
    _compute(data, [MONTHLY])
    for day in (first, second):
        _, said = _append(day, data)
        assert _added(said) == ["2025-08"]
        _assert_as_fresh(data, tmp_path, [MONTHLY])


def test_one_append_touching_two_months(quarter: Path, tmp_path: Path) -> None:
    data = _copy(quarter, tmp_path / "data")
    days = _hold_back(data, [date(2025, 7, 22), DAY], tmp_path / "days")
    both = pa.concat_tables([pq.read_table(p) for p in days])
    pq.write_table(both, tmp_path / "two-months.parquet")
    _compute(data, [MONTHLY])
    done, said = _append(tmp_path / "two-months.parquet", data)
    assert done["recomputed"] == ["2025-07", "2025-08"]
    assert sorted(_added(said)) == ["2025-07", "2025-08"]
    _assert_as_fresh(data, tmp_path, [MONTHLY])


def test_an_append_to_a_month_whose_quarter_and_year_are_stored(
    held_back: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    data, (day,) = held_back
    calls = [MONTHLY, {"period": "2025-Q3"}, {"period": "2025"}]
    _compute(data, calls)
    assert api.stored_periods(_root(data)) == ["2025", "2025-07", "2025-08", "2025-09", "2025-Q3"]
    done, said = _append(day, data)
    assert sorted(done["recomputed"]) == ["2025", "2025-08", "2025-Q3"]
    assert _added(said) == ["2025-08", "2025-Q3", "2025"]  # month, quarter, year
    _assert_as_fresh(data, tmp_path, calls)


def test_a_month_whose_month_before_is_empty_takes_the_additive_path(
    quarter: Path, tmp_path: Path
) -> None:
    """July alone stored: June, not stored, has no dossiers, so change needs nothing more."""
    data = _copy(quarter, tmp_path / "data")
    (day,) = _hold_back(data, [date(2025, 7, 22)], tmp_path / "days")
    _compute(data, [{"period": "2025-07"}])
    _, said = _append(day, data)
    assert _added(said) == ["2025-07"]
    _assert_as_fresh(data, tmp_path, [{"period": "2025-07"}])


def test_a_stored_period_without_dossiers_takes_the_new_rows(quarter: Path, tmp_path: Path) -> None:
    """The second quarter is stored empty (the data start in July): a day of June is added to
    its empty sums."""
    data = _copy(quarter, tmp_path / "data")
    (day,) = _hold_back(data, [date(2025, 7, 22)], tmp_path / "days")
    rows = pq.read_table(day).to_pandas()
    rows["submitted_on"] = rows["received_on"] = date(2025, 6, 30)
    _write_rows(rows, day, day)
    calls: list[dict[str, Any]] = [{"period": "2025", "each": "quarter"}]
    _compute(data, calls)
    assert api.read_meta(_root(data) / "2025-Q2")["dossiers"] == 0
    _, said = _append(day, data)
    assert _added(said) == ["2025-Q2"]
    _assert_as_fresh(data, tmp_path, calls)


def test_results_computed_in_one_process_are_added_to_by_another(
    held_back: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    """What the stored inputs record (digests of the framework, the rules, the repeated ids)
    is the same in a new process (another hash seed): the CLI's appends take the additive
    path."""
    data, (day,) = held_back
    _compute(data, [MONTHLY])
    script = (
        "import sys; from pathlib import Path; from sipas.api import service_index as api; "
        "api.append_dossiers(Path(sys.argv[1]), Path(sys.argv[2]), progress=print)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(day), str(data)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert _added(done.stdout.splitlines()) == ["2025-08"], done.stdout
    _assert_as_fresh(data, tmp_path, [MONTHLY])


def test_a_third_row_of_an_id_already_repeated_is_added_and_left_out(
    held_back: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    """An id on a July and an August row before the results: a day repeating it once more
    leaves the repeated ids as they were, so the day is added, its row left out as a recompute
    leaves it out."""
    data, (day,) = held_back
    july = data / "dossiers" / "2025-07" / "part-00000.parquet"
    repeated = pq.read_table(july, columns=["dossier_id"]).column(0)[0].as_py()
    august = data / "dossiers" / "2025-08" / "part-00000.parquet"
    rows = pq.read_table(august).to_pandas()
    rows.loc[0, "dossier_id"] = repeated
    _write_rows(rows, august, august)
    _compute(data, [MONTHLY])
    excluded = api.read_meta(_root(data) / "2025-08")["excluded_rows"]
    rows = pq.read_table(day).to_pandas()
    rows.loc[0, "dossier_id"] = repeated
    _write_rows(rows, day, day)
    done, said = _append(day, data)
    assert done["recomputed"] == ["2025-08"]
    assert done["added"] == ["2025-08"]
    assert _added(said) == ["2025-08"]
    assert api.read_meta(_root(data) / "2025-08")["excluded_rows"] == excluded + 1
    _assert_as_fresh(data, tmp_path, [MONTHLY])


def test_results_stored_elsewhere_are_added_to(
    held_back: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    data, (day,) = held_back
    out = tmp_path / "elsewhere"
    api.compute_service_index(data, engine=ENGINE, out=out, **MONTHLY)
    said: list[str] = []
    api.append_dossiers(day, data, engine=ENGINE, out=out, progress=said.append)
    assert _added(said) == ["2025-08"]
    stored = _frame(out / "service-766" / "2025-08" / "scores.parquet", "scores")
    _compute(data, [MONTHLY])  # in the dataset's own results folder, from all its rows
    pd.testing.assert_frame_equal(
        stored, _frame(_root(data) / "2025-08" / "scores.parquet", "scores")
    )


# --- 3. what makes an append recompute instead --------------------------------------------------


def _repeat_an_existing_id(data: Path, day: Path) -> list[str] | None:
    july = sorted((data / "dossiers" / "2025-07").glob("*.parquet"))[0]
    rows = pq.read_table(day).to_pandas()
    rows.loc[0, "dossier_id"] = pq.read_table(july, columns=["dossier_id"]).column(0)[0].as_py()
    _write_rows(rows, day, day)
    # July changes too (both rows of the id are left out): recomputed, compared. September's
    # results do not change, but its stored inputs hold the former digest of the repeated ids
    # (see test_a_new_duplicate_makes_the_next_append_to_another_month_recompute).
    return ["2025-07", "2025-08"]


def _change_the_catalogue(data: Path, day: Path) -> list[str] | None:
    catalogue = pq.read_table(data / "catalogue.parquet").to_pandas()
    # a catalogue row the day's dossiers use
    used = pq.read_table(day).to_pandas().iloc[0]
    at = catalogue.index[
        (catalogue.unit_code == used.unit_code) & (catalogue.procedure_code == used.procedure_code)
    ][0]
    catalogue.loc[at, "legal_days"] = catalogue.loc[at, "legal_days"] + 30
    schema = pq.read_schema(data / "catalogue.parquet")
    pq.write_table(
        pa.Table.from_pandas(catalogue, schema=schema, preserve_index=False),
        data / "catalogue.parquet",
    )
    return ["2025-08"]  # July and September keep their results from the old catalogue


def _change_a_supplement(data: Path, day: Path) -> list[str] | None:
    path = sorted((data / "supplements" / "2025-08").glob("*.parquet"))[0]
    table = pq.read_table(path)
    pq.write_table(table.slice(1), path)  # one supplement request fewer
    return None


def _add_a_supplement_file(data: Path, day: Path) -> list[str] | None:
    path = sorted((data / "supplements" / "2025-08").glob("*.parquet"))[0]
    table = pq.read_table(path).to_pandas()
    rows = table.iloc[:2].copy()
    rows["dossier_id"] = pq.read_table(day).to_pandas().dossier_id.iloc[:2].to_numpy()
    rows["requested_on"] = DAY
    rows["received_on"] = date(2025, 8, 25)
    pq.write_table(
        pa.Table.from_pandas(rows, schema=pq.read_schema(path), preserve_index=False),
        path.parent / "late.parquet",
    )
    return None


def _add_a_complaint_file(data: Path, day: Path) -> list[str] | None:
    path = sorted((data / "complaints" / "2025-08").glob("*.parquet"))[0]
    rows = pq.read_table(path).to_pandas().iloc[:1].copy()
    first = pq.read_table(data / "dossiers" / "2025-08" / "part-00000.parquet").to_pandas()
    rows["complaint_id"] = "KD-NEW"
    rows["dossier_id"] = first.dossier_id.iloc[0]
    rows["unit_code"] = first.unit_code.iloc[0]
    rows["agency_code"] = first.agency_code.iloc[0]
    pq.write_table(
        pa.Table.from_pandas(rows, schema=pq.read_schema(path), preserve_index=False),
        path.parent / "late.parquet",
    )
    # September's sums were read with August's complaints too (a complaint counts when received
    # by the period's end): they now name the former file, so September's next append
    # recomputes; July and August are as a fresh compute leaves them
    return ["2025-07", "2025-08"]


def _change_a_complaint(data: Path, day: Path) -> list[str] | None:
    path = sorted((data / "complaints" / "2025-08").glob("*.parquet"))[0]
    rows = pq.read_table(path).to_pandas()
    rows["satisfied"] = ~rows["satisfied"]
    pq.write_table(
        pa.Table.from_pandas(rows, schema=pq.read_schema(path), preserve_index=False), path
    )
    # September's sums were read with August's complaints too (a complaint counts when received
    # by the period's end): they now name the former file, so September's next append
    # recomputes; July and August are as a fresh compute leaves them
    return ["2025-07", "2025-08"]


def _rewrite_a_dossier_file(data: Path, day: Path) -> list[str] | None:
    path = data / "dossiers" / "2025-08" / "part-00000.parquet"
    rows = pq.read_table(path).to_pandas()
    rows.loc[rows.index[:40], "channel"] = 2  # forty more dossiers submitted online
    _write_rows(rows, path, path)
    return None


def _delete_inputs(data: Path, day: Path) -> list[str] | None:
    (_root(data) / "2025-08" / "sums" / "inputs.json").unlink()
    return None


def _corrupt_inputs(data: Path, day: Path) -> list[str] | None:
    (_root(data) / "2025-08" / "sums" / "inputs.json").write_text("{not json", encoding="utf-8")
    return None


def _delete_unit_sums(data: Path, day: Path) -> list[str] | None:
    (_root(data) / "2025-08" / "sums" / "units.parquet").unlink()
    return None


def _corrupt_usage_sums(data: Path, day: Path) -> list[str] | None:
    (_root(data) / "2025-08" / "sums" / "usage.parquet").write_bytes(b"PAR1 not parquet")
    return None


def _repeat_an_id_within_the_day(data: Path, day: Path) -> list[str] | None:
    rows = pq.read_table(day).to_pandas()
    rows.loc[1, "dossier_id"] = rows.loc[0, "dossier_id"]  # two new rows, one id
    _write_rows(rows, day, day)
    # only August is touched; July and September keep results (and the former digest of the
    # repeated ids), as for _repeat_an_existing_id
    return ["2025-08"]


def _copy_in_a_dossier_file(data: Path, day: Path) -> list[str] | None:
    rows = pq.read_table(day).to_pandas().iloc[:5].copy()
    rows["dossier_id"] = [f"COPIED{i}" for i in range(len(rows))]
    _write_rows(rows, day, data / "dossiers" / "2025-08" / "copied-in.parquet")
    return None


SPOILERS: dict[str, Callable[[Path, Path], list[str] | None]] = {
    "new duplicate id": _repeat_an_existing_id,
    "id repeated within the day": _repeat_an_id_within_the_day,
    "catalogue changed": _change_the_catalogue,
    "supplement file changed": _change_a_supplement,
    "supplement file added": _add_a_supplement_file,
    "complaint file changed": _change_a_complaint,
    "complaint file added": _add_a_complaint_file,
    "dossier file rewritten": _rewrite_a_dossier_file,
    "dossier file copied in": _copy_in_a_dossier_file,
    "inputs.json deleted": _delete_inputs,
    "inputs.json corrupt": _corrupt_inputs,
    "units.parquet deleted": _delete_unit_sums,
    "usage.parquet corrupt": _corrupt_usage_sums,
}


@pytest.mark.parametrize("spoil", list(SPOILERS))
def test_an_append_recomputes_when_the_stored_sums_no_longer_hold(
    spoil: str, held_back: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    data, (day,) = held_back
    _compute(data, [MONTHLY])
    compared = SPOILERS[spoil](data, day)
    done, said = _append(day, data)
    assert "2025-08" in done["recomputed"]
    assert done["added"] == [] and _added(said) == []
    assert any(line.startswith(f"{ENGINE}: recomputing") for line in said)
    _assert_as_fresh(data, tmp_path, [MONTHLY], compared)


@pytest.mark.parametrize(
    "calls",
    [
        pytest.param([{**MONTHLY, "procedures": True}], id="full drill-down: no sums kept"),
        pytest.param([{"period": "2025-08"}], id="the month before has dossiers but no results"),
    ],
)
def test_periods_the_stored_sums_cannot_serve_are_recomputed(
    held_back: tuple[Path, list[Path]], tmp_path: Path, calls: list[dict[str, Any]]
) -> None:
    data, (day,) = held_back
    _compute(data, calls)
    if calls[0].get("procedures"):
        assert not (_root(data) / "2025-08" / stored_sums.FOLDER).exists()
    _, said = _append(day, data)
    assert _added(said) == []
    assert f"{ENGINE}: recomputing 2025-08" in said
    _assert_as_fresh(data, tmp_path, calls)


def test_a_file_rewritten_with_the_same_size_and_time_is_seen_as_changed(
    held_back: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    data, (day,) = held_back
    path = data / "supplements" / "2025-08" / "part-00000.parquet"
    schema = pq.read_schema(path)
    rows = pq.read_table(path).to_pandas()

    def put(frame: pd.DataFrame) -> None:
        pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), path)

    put(rows)  # written as below, so that a change of one id can keep the size
    _compute(data, [MONTHLY])
    before = path.stat()
    for at in range(len(rows)):  # move one request to another dossier, keeping the size
        changed = rows.copy()
        changed.loc[at, "dossier_id"] = rows.dossier_id.iloc[(at + 1) % len(rows)]
        put(changed)
        if path.stat().st_size == before.st_size:
            break
    else:
        pytest.skip("no change of one id keeps the file's size")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    _, said = _append(day, data)
    _assert_as_fresh(data, tmp_path, [MONTHLY], ["2025-08"])
    assert _added(said) == []


# --- 4. rows outside the catalogue --------------------------------------------------------------


def _with_bad_rows(day: Path, tag: str) -> Path:
    """The day's rows plus a row of an unknown unit, one of an unknown procedure and one of a
    wrong status (new ids)."""
    rows = pq.read_table(day).to_pandas()
    bad = rows.iloc[:3].copy()
    bad["dossier_id"] = [f"{tag}-unit", f"{tag}-procedure", f"{tag}-status"]
    bad.iloc[0, bad.columns.get_loc("unit_code")] = "99.NOWHERE"
    bad.iloc[0, bad.columns.get_loc("agency_code")] = "99"
    bad.iloc[1, bad.columns.get_loc("procedure_code")] = "9.999999"
    bad.iloc[2, bad.columns.get_loc("status")] = 42
    out = day.with_name(f"{day.stem}-{tag}.parquet")
    return _write_rows(pd.concat([rows, bad], ignore_index=True), day, out)


def test_rows_outside_the_catalogue_are_excluded_as_a_recompute_excludes_them(
    quarter: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _copy(quarter, tmp_path / "data")
    first, second = _hold_back(data, [DAY, date(2025, 8, 27)], tmp_path / "days")
    _compute(data, [MONTHLY])
    results: list[Any] = []
    real = stored_sums.with_new_rows

    def spy(*args: Any, **kwargs: Any) -> Any:
        results.append(real(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(stored_sums, "with_new_rows", spy)
    # the first append puts a row without unit into the stored sums, the second adds to it
    for number, day in enumerate((first, second), 1):
        _, said = _append(_with_bad_rows(day, f"B{number}"), data)
        assert _added(said) == ["2025-08"]
        fresh = compute_index(data, [parse_period("2025-08")], connect(ENGINE))
        assert fresh.excluded["2025-08"] == 3 * number
        assert results[-1][0].excluded == fresh.excluded
        meta = json.loads((_root(data) / "2025-08" / "meta.json").read_text())
        assert meta["excluded_rows"] == 3 * number
        units = pd.read_parquet(_root(data) / "2025-08" / "sums" / "units.parquet")
        outside = units[units.unit_code.isna()]
        assert len(outside) == 1 and int(outside.excluded.iloc[0]) == 2 * number
        _assert_as_fresh(data, tmp_path, [MONTHLY])


def test_an_appended_file_of_excluded_rows_only(
    held_back: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    """No valid row: the new sums have a row without unit, or rows of no usage."""
    data, (day,) = held_back
    _compute(data, [MONTHLY])
    rows = pq.read_table(day).to_pandas().iloc[:3].copy()
    for number, (column, value) in enumerate((("unit_code", "99.NOWHERE"), ("status", 42)), 1):
        rows["dossier_id"] = [f"X{number}-{i}" for i in range(len(rows))]
        rows[column] = value
        _, said = _append(_write_rows(rows, day, tmp_path / f"excluded-{number}.parquet"), data)
        assert _added(said) == ["2025-08"]
        assert api.read_meta(_root(data) / "2025-08")["excluded_rows"] == 3 * number
        _assert_as_fresh(data, tmp_path, [MONTHLY])


# --- 5. stored_sums.added ------------------------------------------------------------------------


def _units(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    columns = ["period", "agency_code", "unit_code", "procedure_code", "T4_num", "T4_den"]
    columns += ["dossiers", "online_dossiers", "paid_online_dossiers", "excluded"]
    return pd.DataFrame(rows, columns=columns).astype(
        dict.fromkeys(columns[4:], "int64") | {"procedure_code": object}
    )


def _usage(rows: list[tuple[Any, ...]], categorical: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["period", "_pair", "dossiers", "online_dossiers", "paid_online_dossiers"]
    )
    if categorical:  # as the engine returns it
        frame["period"] = pd.Categorical(frame.period, categories=["2025-08"])
    return frame


def test_added_sums_stored_and_new_rows_per_unit_and_catalogue_row() -> None:
    catalogue = pd.DataFrame({"unit_code": ["01.A", "01.B"], "procedure_code": ["1.1", "1.2"]})
    complaints = pd.DataFrame(
        {"period": ["2025-08"], "unit_code": ["01.A"], "S1_num": [1], "S1_den": [2]}
    )
    stored = Sums(
        _units(
            [
                ("2025-08", "01", "01.A", None, 3, 4, 4, 2, 1, 0),
                ("2025-08", None, None, None, 0, 0, 0, 0, 0, 5),  # rows outside the catalogue
            ]
        ),
        _usage([("2025-08", 0, 4, 2, 1)]),
        complaints,
        catalogue,
        "unit",
    )
    new_units = _units(
        [
            ("2025-08", "01", "01.A", None, 1, 1, 2, 1, 0, 1),
            ("2025-08", "01", "01.B", None, 0, 1, 1, 1, 1, 0),  # a unit not in the stored sums
            ("2025-08", None, None, None, 0, 0, 0, 0, 0, 2),
        ]
    )
    new = Sums(
        new_units[list(reversed(new_units.columns))],  # column order does not matter
        _usage([("2025-08", 0, 2, 1, 0), ("2025-08", 1, 1, 1, 1)], categorical=True),
        complaints.iloc[:0],
        catalogue,
        "unit",
    )
    both = stored_sums.added(stored, new, parse_period("2025-08"))
    expected_units = _units(
        [
            ("2025-08", "01", "01.A", None, 4, 5, 6, 3, 1, 1),
            ("2025-08", None, None, None, 0, 0, 0, 0, 0, 7),
            ("2025-08", "01", "01.B", None, 0, 1, 1, 1, 1, 0),
        ]
    )
    got_units = both.dossiers.sort_values("unit_code", ignore_index=True, na_position="last")
    # None at unit level; summed by pandas it becomes NaN (see the schema test below)
    got_units["procedure_code"] = None
    want_units = expected_units.sort_values("unit_code", ignore_index=True, na_position="last")
    pd.testing.assert_frame_equal(got_units, want_units, check_dtype=False)
    assert list(both.dossiers.columns) == list(stored.dossiers.columns)
    got_usage = both.usage.astype({"period": object}).sort_values("_pair", ignore_index=True)
    want_usage = _usage([("2025-08", 0, 6, 3, 1), ("2025-08", 1, 1, 1, 1)])
    pd.testing.assert_frame_equal(got_usage, want_usage, check_dtype=False)
    # complaints are those stored (a changed complaint file makes the caller recompute)
    pd.testing.assert_frame_equal(both.complaints, complaints)
    assert both.level == "unit" and both.catalogue is stored.catalogue


def test_added_sums_keep_the_schema_of_a_fresh_compute(
    held_back: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    data, (day,) = held_back
    _compute(data, [MONTHLY])
    _, said = _append(day, data)
    assert _added(said) == ["2025-08"]
    fresh = _copy(data, tmp_path / "fresh")
    _compute(fresh, [MONTHLY])
    for name in ("units", "usage", "complaints"):
        got = pq.read_schema(_root(data) / "2025-08" / "sums" / f"{name}.parquet")
        want = pq.read_schema(_root(fresh) / "2025-08" / "sums" / f"{name}.parquet")
        assert got.remove_metadata() == want.remove_metadata(), name


def test_a_new_duplicate_makes_the_next_append_to_another_month_recompute(
    quarter: Path, tmp_path: Path
) -> None:
    """A repeated id changes the digest of repeated ids that every period's sums record: a later
    append to a month the duplicate did not touch recomputes it, and all still equal a fresh
    compute."""
    data = _copy(quarter, tmp_path / "data")
    august, september = _hold_back(data, [DAY, date(2025, 9, 9)], tmp_path / "days")
    _compute(data, [MONTHLY])
    _repeat_an_existing_id(data, august)
    _append(august, data)
    _, said = _append(september, data)
    assert _added(said) == []
    assert f"{ENGINE}: recomputing 2025-09" in said
    _assert_as_fresh(data, tmp_path, [MONTHLY])


def test_a_file_arriving_during_a_computation_is_not_taken_as_summed(
    quarter: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inputs kept with the sums are those before the dossiers were read: a file written
    while the computation runs (by a process that does not take the dataset's lock) is not
    recorded as summed, so the next append recomputes the month instead of adding to sums
    that lack it."""
    data = _copy(quarter, tmp_path / "data")
    late, later = _hold_back(data, [DAY, date(2025, 8, 27)], tmp_path / "days")
    real = api.compute_index

    def racing(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        write_partitioned(read_records(late), data, "dossiers", "written-meanwhile")
        return result

    monkeypatch.setattr(api, "compute_index", racing)
    _compute(data, [MONTHLY])
    monkeypatch.setattr(api, "compute_index", real)
    _, said = _append(later, data)
    assert _added(said) == []
    assert f"{ENGINE}: recomputing 2025-08" in said
    _assert_as_fresh(data, tmp_path, [MONTHLY])


def test_a_complaint_of_an_earlier_month_counts_whatever_the_periods_computed(
    held_back: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    """A complaint counts for its dossier when received by the period's end, in any month:
    August alone, the quarter by month, and an append to August agree, and the complaint
    received in July takes an August dossier out of S3's numerator."""
    data, (day,) = held_back
    august = parse_period("2025-08")

    def s3(result: Any) -> int:
        rows = result.indicators[
            (result.indicators.indicator == "S3") & (result.indicators.level == "agency")
        ]
        return int(rows.numerator.sum())

    before = s3(compute_index(data, [august], connect(ENGINE), previous=False))
    dossiers = pq.read_table(data / "dossiers" / "2025-08" / "part-00000.parquet").to_pandas()
    path = sorted((data / "complaints" / "2025-07").glob("*.parquet"))[0]
    early = path.parent / "early.parquet"
    for dossier in dossiers[dossiers.status.isin([9, 10])].dossier_id.iloc[:20]:
        rows = pq.read_table(path).to_pandas().iloc[:1].copy()
        rows["complaint_id"], rows["dossier_id"] = "KD-EARLY", dossier
        rows["received_on"] = date(2025, 7, 30)
        table = pa.Table.from_pandas(rows, schema=pq.read_schema(path), preserve_index=False)
        pq.write_table(table, early)
        alone = compute_index(data, [august], connect(ENGINE), previous=False)
        if s3(alone) == before - 1:
            break
    else:
        pytest.fail("no processed August dossier was on time without a grievance")
    together = compute_index(data, parse_period("2025-Q3").split("month"), connect(ENGINE))
    in_august = together.indicators[together.indicators.period == "2025-08"]
    pd.testing.assert_frame_equal(alone.indicators, in_august.reset_index(drop=True))
    _compute(data, [MONTHLY])
    _append(day, data)
    _assert_as_fresh(data, tmp_path, [MONTHLY])
