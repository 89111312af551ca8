"""Reading dossier records from Parquet, CSV or JSON lines into the model's types, and writing
them into a dataset's month folders.

Each row read from a file keeps its position as the file shows it (``row``: the spreadsheet row
for CSV, the line for JSON lines, 1-based for Parquet) so problems can name it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from sipas.errors import SipasError
from sipas.service_index.model import TABLES

ROW = "row"
_ARROW = {
    "string": pa.string(),
    "int8": pa.int8(),
    "int16": pa.int16(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
}
_TRUE = {"1", "true", "yes", "có", "x"}
_FALSE = {"0", "false", "no", "không", ""}


def arrow_schema(table: str) -> pa.Schema:
    return pa.schema([(name, _ARROW[kind]) for name, kind in TABLES[table].items()])


def _read(path: Path) -> tuple[pd.DataFrame, int]:
    """The raw frame of a CSV or JSON lines file, and the row number of its first data row."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"), 2
        if suffix in {".jsonl", ".ndjson", ".json"}:
            return pd.read_json(path, lines=True, dtype=False), 1
    except (OSError, ValueError, pa.ArrowInvalid) as exc:
        raise SipasError("dossier.unreadable", path=path, error=str(exc)) from None
    raise SipasError("dossier.bad_format", path=path, suffix=suffix)


def _column(values: pd.Series, kind: str) -> pa.Array:
    if kind == "string":
        text = values.astype("string").str.strip()
        return pa.array(text.where(text != "", None), type=pa.string())
    if kind == "date":
        days = pd.to_datetime(values.replace("", None), errors="coerce")
        return pa.array(days.dt.date.where(days.notna(), None), type=pa.date32())
    if kind == "boolean":
        text = values.astype("string").str.strip().str.lower()
        out = text.map(lambda v: True if v in _TRUE else (False if v in _FALSE else None))
        return pa.array(out.where(values.notna(), None), type=pa.bool_())
    numbers = pd.to_numeric(values.replace("", None), errors="coerce")
    return pa.array(numbers.astype("Int64"), type=_ARROW[kind], from_pandas=True)


def _typed(values: pa.ChunkedArray, kind: str) -> pa.Array | pa.ChunkedArray | None:
    """A Parquet column already of the model's kind, as the model wants it (text trimmed, an
    empty text empty); None when it needs reading value by value (``_column``)."""
    kind_type = _ARROW[kind]
    if kind == "string":
        if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
            return None
        text = pa.compute.utf8_trim_whitespace(values).cast(pa.string())
        return pa.compute.if_else(pa.compute.equal(text, ""), None, text)
    if kind == "boolean" and pa.types.is_integer(values.type):  # 1 and 0; anything else empty
        zero_or_one = pa.compute.is_in(values, value_set=pa.array([0, 1], values.type))
        return pa.compute.if_else(zero_or_one, pa.compute.equal(values, 1), None)
    same_family = (
        (kind == "date" and pa.types.is_date32(values.type))
        or (kind == "boolean" and pa.types.is_boolean(values.type))
        or (kind.startswith("int") and pa.types.is_integer(values.type))
    )
    if not same_family:
        return None
    try:
        return values.cast(kind_type)  # safe: a value out of the kind's range is refused
    except pa.ArrowInvalid:
        return None


def _read_parquet(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (OSError, ValueError, pa.ArrowInvalid) as exc:
        raise SipasError("dossier.unreadable", path=path, error=str(exc)) from None


def read_records(path: Path, table: str = "dossiers") -> pa.Table:
    """The file's rows in the model's types (unreadable values become empty), plus ``row``."""
    if not path.is_file():
        raise SipasError("dossier.no_file", path=path)
    columns = TABLES[table]
    if path.suffix.lower() == ".parquet":
        raw_table = _read_parquet(path)
        _refuse_missing(path, table, [c for c in columns if c not in raw_table.column_names])
        arrays = {}
        for name, kind in columns.items():
            if name not in raw_table.column_names:
                arrays[name] = pa.nulls(raw_table.num_rows, _ARROW[kind])
                continue
            typed = _typed(raw_table[name], kind)
            arrays[name] = (
                typed if typed is not None else _column(raw_table[name].to_pandas(), kind)
            )
        arrays[ROW] = pa.array(range(1, 1 + raw_table.num_rows), type=pa.int64())
        return pa.table(arrays)
    raw, first = _read(path)
    _refuse_missing(path, table, [c for c in columns if c not in raw.columns])
    arrays = {
        name: (_column(raw[name], kind) if name in raw else pa.nulls(len(raw), _ARROW[kind]))
        for name, kind in columns.items()
    }
    arrays[ROW] = pa.array(range(first, first + len(raw)), type=pa.int64())
    return pa.table(arrays)


def _refuse_missing(path: Path, table: str, missing: list[str]) -> None:
    required = {"dossiers": ("dossier_id", "unit_code", "procedure_code", "submitted_on")}.get(
        table, ()
    )
    absent = [c for c in required if c in missing]
    if absent:
        raise SipasError(
            "dossier.missing_columns", path=path, missing=absent, columns=list(TABLES[table])
        )


def partition_key(table: pa.Table, name: str) -> pa.Array:
    """The month folder (YYYY-MM) of each row."""
    if name == "dossiers":
        day = pa.compute.coalesce(table["received_on"], table["submitted_on"])
    elif name == "supplements":
        day = table["requested_on"]
    else:
        day = table["received_on"]
    return pa.compute.strftime(day.cast(pa.timestamp("s")), format="%Y-%m")


def write_partitioned(table: pa.Table, root: Path, name: str, part: str) -> list[Path]:
    """Write rows into ``root/name/YYYY-MM/part.parquet``; rows without a date are left out."""
    table = table.select(list(TABLES[name])).cast(arrow_schema(name))
    keys = partition_key(table, name)
    written = []
    for month in sorted(k for k in pa.compute.unique(keys).to_pylist() if k is not None):
        chunk = table.filter(pa.compute.equal(keys, month))
        folder = root / name / month
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{part}.parquet"
        pq.write_table(chunk, path, compression="zstd")
        written.append(path)
    return written
