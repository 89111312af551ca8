"""Reading dossier files: a Parquet file's typed columns are taken as they are, and must read
exactly as the same columns read value by value do (``records._column``, the reading of any
other file)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from sipas.service_index import read_records
from sipas.service_index.model import DOSSIER_COLUMNS
from sipas.service_index.records import ROW, _column

ROWS = {
    "dossier_id": ["D1", " D2 ", "", None],
    "unit_code": ["U1", "U1", "U2  ", "U3"],
    "procedure_code": ["P1", "P2", "P1", None],
    "channel": [1, 2, None, 3],
    "submitted_on": [date(2025, 6, 1), None, date(2025, 6, 3), date(2024, 12, 31)],
    "status": [9, 4, 2, None],
    "fee_amount": [0, 50_000, None, 3_000_000_000],
    "synced": [True, False, None, True],
    "documents": [3, 0, None, 12],
}


def _value_by_value(path: Path) -> pa.Table:
    """The file's columns read one value at a time, as before the typed path existed."""
    raw = pq.read_table(path)
    return pa.table(
        {
            name: _column(raw[name].to_pandas(), kind)
            if name in raw.column_names
            else pa.nulls(raw.num_rows, _column(raw.column(0).to_pandas()[:0], kind).type)
            for name, kind in DOSSIER_COLUMNS.items()
        }
    )


def _without_row(table: pa.Table) -> pa.Table:
    return table.drop_columns([ROW])


def test_typed_parquet_reads_as_the_same_values_written_as_text(tmp_path: Path) -> None:
    typed = pa.table(
        {
            **{
                k: pa.array(v, pa.string()) for k, v in ROWS.items() if k.endswith(("_id", "_code"))
            },
            "channel": pa.array(ROWS["channel"], pa.int64()),  # wider than the model's int8
            "submitted_on": pa.array(ROWS["submitted_on"], pa.date32()),
            "status": pa.array(ROWS["status"], pa.int32()),
            "fee_amount": pa.array(ROWS["fee_amount"], pa.int64()),
            "synced": pa.array(ROWS["synced"], pa.bool_()),
            "documents": pa.array(ROWS["documents"], pa.int16()),
        }
    )
    pq.write_table(typed, tmp_path / "typed.parquet")
    from_parquet = read_records(tmp_path / "typed.parquet")
    assert _without_row(from_parquet).equals(_value_by_value(tmp_path / "typed.parquet"))
    # text is trimmed and an empty text is empty, as for any file
    assert from_parquet["dossier_id"].to_pylist() == ["D1", "D2", None, None]
    assert from_parquet["unit_code"].to_pylist() == ["U1", "U1", "U2", "U3"]
    assert from_parquet["channel"].type == pa.int8()
    assert from_parquet[ROW].to_pylist() == [1, 2, 3, 4]


def test_parquet_columns_of_another_kind_are_read_value_by_value(tmp_path: Path) -> None:
    """Dates and numbers stored as text, booleans as 0/1 integers: read as CSV text would be."""
    as_text = pa.table(
        {
            "dossier_id": ["D1", "D2", "D3"],
            "unit_code": ["U1", "U1", "U2"],
            "procedure_code": ["P1", "P2", "P1"],
            "submitted_on": ["2025-06-01", "not a date", ""],
            "status": ["9", "x", ""],
            "synced": pa.array([1, 0, None], pa.int64()),
        }
    )
    pq.write_table(as_text, tmp_path / "text.parquet")
    out = read_records(tmp_path / "text.parquet")
    assert out["submitted_on"].to_pylist() == [date(2025, 6, 1), None, None]
    assert out["status"].to_pylist() == [9, None, None]
    assert out["synced"].to_pylist() == [True, False, None]
    assert out["channel"].null_count == 3  # absent column: empty, in the model's type


@settings(max_examples=30, deadline=None)
@given(
    ids=st.lists(
        st.one_of(st.none(), st.text(alphabet=" ab1", max_size=4)), min_size=1, max_size=12
    ),
    seed=st.integers(0, 10_000),
)
def test_any_typed_file_reads_as_value_by_value(ids: list[str | None], seed: int) -> None:
    import random
    import tempfile

    rng = random.Random(seed)
    n = len(ids)
    typed = pa.table(
        {
            "dossier_id": pa.array(ids, pa.string()),
            "unit_code": pa.array(["U"] * n, pa.string()),
            "procedure_code": pa.array(["P"] * n, pa.string()),
            "submitted_on": pa.array([date(2025, 1, 1)] * n, pa.date32()),
            "status": pa.array([rng.choice([None, 1, 5, 10]) for _ in range(n)], pa.int16()),
            "ended_on": pa.array(
                [rng.choice([None, date(2025, 1, rng.randint(1, 28))]) for _ in range(n)],
                pa.date32(),
            ),
            "dislike": pa.array([rng.choice([None, True, False]) for _ in range(n)], pa.bool_()),
        }
    )
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        pq.write_table(typed, root / "t.parquet")
        assert _without_row(read_records(root / "t.parquet")).equals(
            _value_by_value(root / "t.parquet")
        )
