"""The engine's pass kept as compiled SQL (service_index/plans.py): a kept plan gives the same
sums as the expressions it was compiled from, for any periods; a plan that no longer fits (other
columns, damaged file) is compiled again; a dataset that cannot be written still computes."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sipas.service_index import compute, connect, parse_period, plans
from sipas.service_index.compute import engine_sums, read_tables
from sipas.service_index.engine import Dataset
from sipas.service_index.framework import builtin_framework
from sipas.synthetic.dossiers import DossierDesign, generate_dossiers

MONTHS = [parse_period(f"2025-{m:02d}") for m in (4, 5, 6)]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plans") / "data"
    design = DossierDesign(
        dossiers=6_000, start=date(2025, 4, 1), end=date(2025, 6, 30), invalid_rows=40
    )
    generate_dossiers(design, folder)
    return folder


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("_cache"))
    return target


def _sums(data: Path, periods: list[Any]) -> compute.Sums:
    engine = connect("duckdb")
    try:
        return engine_sums(
            read_tables(engine, Dataset(data), periods), builtin_framework(), periods
        )
    finally:
        engine.close()


def _same(a: compute.Sums, b: compute.Sums) -> None:
    for name in ("dossiers", "usage", "complaints"):
        x, y = getattr(a, name), getattr(b, name)
        if name == "usage":  # a catalogue row with only rows left out may be listed with zeros
            x, y = (u[u[list(compute.USAGE)].sum(axis=1) > 0] for u in (x, y))
        keys = [c for c in ("period", "unit_code", "_pair") if c in x.columns]
        x = x.sort_values(keys, ignore_index=True, na_position="first")
        y = y.sort_values(keys, ignore_index=True, na_position="first")[x.columns]
        pd.testing.assert_frame_equal(
            x.astype({"period": str}), y.astype({"period": str}), check_dtype=False
        )


def _compile_forbidden(*_: Any, **__: Any) -> Any:
    raise AssertionError("the kept plan should have been used")


def test_a_kept_plan_gives_the_expressions_sums_for_any_periods(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _copy(generated, tmp_path)
    first = _sums(data, MONTHS)  # compiles and keeps the plan
    kept = list((data / plans.FOLDER).glob("*.json"))
    assert len(kept) == 1
    # the same sums without any plan: the Ibis expressions run as such (Spark's way)
    with monkeypatch.context() as m:
        m.setattr(compute, "run_kept", lambda *_: None)
        _same(first, _sums(data, MONTHS))
    # a later run, and one over other periods, use the kept plan and compile nothing
    with monkeypatch.context() as m:
        m.setattr(plans, "compile_plan", _compile_forbidden)
        _same(first, _sums(data, MONTHS))
        june = _sums(data, MONTHS[2:])
    june_alone = first.dossiers[first.dossiers.period == "2025-06"]
    assert int(june.dossiers.dossiers.sum()) == int(june_alone.dossiers.sum()) > 0
    assert list((data / plans.FOLDER).glob("*.json")) == kept


def test_a_damaged_plan_is_compiled_again(generated: Path, tmp_path: Path) -> None:
    data = _copy(generated, tmp_path)
    first = _sums(data, MONTHS)
    (path,) = (data / plans.FOLDER).glob("*.json")
    path.write_text("{not json", encoding="utf-8")
    _same(first, _sums(data, MONTHS))
    assert json.loads(path.read_text(encoding="utf-8"))["statements"]["pass"]
    path.write_text(json.dumps({"statements": {}}), encoding="utf-8")  # not a plan's shape
    _same(first, _sums(data, MONTHS))


def test_other_columns_make_another_plan(generated: Path, tmp_path: Path) -> None:
    """A month written with a wider integer column: the SQL may differ, so another key."""
    data = _copy(generated, tmp_path)
    before = _sums(data, MONTHS)
    for path in Dataset(data).files("dossiers"):
        table = pq.read_table(path)
        at = table.schema.get_field_index("channel")
        pq.write_table(table.set_column(at, "channel", table["channel"].cast("int64")), path)
    after = _sums(data, MONTHS)
    assert len(list((data / plans.FOLDER).glob("*.json"))) == 2
    _same(before, after)


def test_a_dataset_whose_cache_cannot_be_written_still_computes(
    generated: Path, tmp_path: Path
) -> None:
    """A file where the cache folder would be stands in for a read-only folder (root writes)."""
    data = _copy(generated, tmp_path)
    (data / "_cache").write_text("not a folder", encoding="utf-8")
    first = _sums(data, MONTHS)
    _same(first, _sums(data, MONTHS))
    assert (data / "_cache").read_text(encoding="utf-8") == "not a folder"


def test_a_kept_plan_that_fails_to_run_is_compiled_again(generated: Path, tmp_path: Path) -> None:
    data = _copy(generated, tmp_path)
    first = _sums(data, MONTHS)
    (path,) = (data / plans.FOLDER).glob("*.json")
    kept = json.loads(path.read_text(encoding="utf-8"))
    kept["statements"]["pass"] = "SELECT * FROM no_such_table"  # parses; DuckDB refuses it
    path.write_text(json.dumps(kept), encoding="utf-8")
    _same(first, _sums(data, MONTHS))
    assert "no_such_table" not in path.read_text(encoding="utf-8")
