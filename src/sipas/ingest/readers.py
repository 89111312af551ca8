"""Reading survey files into tables of text, chunk by chunk, without losing a row.

Every reader gives the same thing: a :class:`Source` whose chunks are data frames of text (blank
cells missing), indexed by the row's position among the file's data rows, so messages can name
the row the spreadsheet shows (:mod:`sipas.rows`). Empty lines are dropped but keep their place.

- CSV: encodings as in :mod:`sipas.ingest.encoding`; the delimiter (",", ";" as Kobo and a
  European Excel write, tab, "|") from the header line. Read in chunks by pandas; a file pandas
  refuses (a row with too many cells, a quote left open by a truncated file) is read on from
  where pandas stopped by Python's csv module, which keeps the odd rows so they are quarantined.
- XLSX (paper entry, Kobo "XLS" export): the sheet holding the framework's header, or the one
  named (:mod:`sipas.ingest.workbook`); zip-based files are checked for bombs before reading.
- ODK Central export (.zip): the main table, the CSV whose name is the form id.
- SPSS (.sav): codes as stored; value labels stay in the file's metadata.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import sys
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.ingest.encoding import convert_legacy_values, decode_bytes, legacy_encoding, nfc
from sipas.ingest.problems import Problem
from sipas.ingest.shape import ShapeCounter, count_shapes
from sipas.ingest.workbook import FORMULA, check_zip, read_sheet
from sipas.text import safe_name

CHUNK_ROWS = 50_000
MAX_BYTES = 4 * 1024**3  # a larger file (or zip member) is refused, not read into memory
SHAPE = "ingest.bad_row_shape"  # a row with more or fewer cells than the header (CSV only)
_DELIMITERS = (",", ";", "\t", "|")


@dataclass
class Source:
    name: str
    format: str
    columns: list[str]
    chunks: Iterator[pd.DataFrame]
    problems: list[Problem] = field(default_factory=list)
    # Positions of rows whose cell count differs from the header's (filled while reading).
    bad_shape: dict[int, int] = field(default_factory=dict)
    # Of those, the last row cut short and the row where a quote is left open (its code).
    cut: dict[int, str] = field(default_factory=dict)
    # Problems of one cell found while reading (position → [(column, code, values)]).
    row_problems: dict[int, list[tuple[str, str, dict[str, object]]]] = field(default_factory=dict)
    total_rows: int | None = None  # an estimate for progress bars (lines after the header)
    sha256: str | None = None
    # A well-formed UTF-8 CSV file (every record as wide as the header, no lone "\r"): its
    # chunks as byte ranges any process can parse alone (:func:`read_part`); else None.
    parts: list[Part] | None = None


@dataclass(frozen=True)
class Part:
    """Whole records of a CSV file: bytes [start, end) holding ``rows`` records (blank lines
    included), the first at data position ``first``."""

    path: str
    start: int
    end: int
    first: int
    rows: int
    delimiter: str
    columns: tuple[str, ...]
    normalise: bool


class PartMisreadError(Exception):
    """pandas' parser found another number of records in a part than the count on the bytes."""


def read_part(part: Part) -> pd.DataFrame:
    """A part's rows, as the chunk :func:`read_source` gives for them (same options, index and
    columns; blank rows dropped)."""
    with Path(part.path).open("rb") as handle:
        handle.seek(part.start)
        data = handle.read(part.end - part.start)
    width = len(part.columns)
    chunk = pd.read_csv(
        io.BytesIO(data),
        sep=part.delimiter,
        dtype=object,
        encoding="utf-8",
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
        header=None,
        names=[f"c{i}" for i in range(width)],
        quotechar='"',
    )
    if len(chunk) != part.rows:
        raise PartMisreadError(
            f"{part.path} [{part.start}, {part.end}): {len(chunk)} ≠ {part.rows}"
        )
    chunk.index = pd.RangeIndex(part.first, part.first + len(chunk))
    chunk.columns = list(part.columns)
    return _normalised(_without_blank_rows(chunk, {}), part.normalise)


def read_source(
    path: Path,
    chunk_rows: int | None = None,
    sheet: str | None = None,
    known: Callable[[str], bool] | None = None,
) -> Source:
    """The rows of a CSV, XLSX, ODK Central zip or SPSS file, as text.

    ``sheet`` names the sheet of a workbook to read; otherwise the sheet whose header has the
    most names ``known`` accepts (the framework's columns) is read."""
    if not path.exists() or not path.is_file():
        raise SipasError("ingest.no_file", path=safe_name(str(path)))
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SipasError("ingest.too_large", file=safe_name(path.name), size=size)
    suffix = path.suffix.lower()
    chunk_rows = chunk_rows or CHUNK_ROWS
    if suffix in (".csv", ".txt", ".tsv"):
        return _csv_file_source(path, chunk_rows)
    if suffix in (".xlsx", ".xlsm"):
        return _excel_source(path, sheet, known)
    if suffix == ".zip":
        return _zip_source(path, chunk_rows)
    if suffix == ".sav":
        return _spss_source(path)
    raise SipasError("ingest.file_type", file=safe_name(path.name), suffix=suffix or "—")


def legacy_problem(name: str, encoding: str) -> Problem:
    """The warning that text was converted from a legacy font encoding."""
    code = "ingest.legacy_vni" if encoding == "VNI" else "ingest.legacy_tcvn3"
    return Problem(name, None, None, code, {}, "warning")


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_source(data: bytes, name: str, chunk_rows: int = CHUNK_ROWS) -> Source:
    decoded = decode_bytes(data, name)
    del data
    text = decoded.text
    header_line = text.split("\n", 1)[0]
    delimiter = _delimiter(header_line)
    try:
        header = next(csv.reader([header_line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        header = []
    if not [h for h in header if h.strip()]:
        raise _no_header(name)
    fmt = f"csv ({decoded.encoding}, delimiter {delimiter!r})"
    source = Source(name=name, format=fmt, columns=[h.strip() for h in header], chunks=iter(()))
    if decoded.legacy:
        source.problems.append(legacy_problem(name, decoded.legacy))
    if decoded.cp1258_lines:
        lines = ", ".join(str(n) for n in decoded.cp1258_lines[:10])
        source.problems.append(
            Problem(
                name, None, None, "ingest.mixed_encoding",
                {"lines": lines + (" …" if len(decoded.cp1258_lines) > 10 else ""),
                 "count": len(decoded.cp1258_lines)},
                "warning",
            )
        )  # fmt: skip
    source.total_rows = max(0, text.count("\n") - (1 if text.endswith("\n") else 0))
    encoded = text.encode("utf-8")
    del text, decoded
    shape = count_shapes(encoded, delimiter, len(header))
    source.bad_shape.update(shape.bad)
    source.cut.update(shape.cut)
    source.chunks = _csv_chunks(
        lambda: io.BytesIO(encoded), delimiter, len(header), chunk_rows, source
    )
    return source


def _csv_chunks(
    opener: Callable[[], BinaryIO],
    delimiter: str,
    width: int,
    chunk_rows: int,
    source: Source,
    normalise: bool = False,
) -> Iterator[pd.DataFrame]:
    """Chunks of a UTF-8 CSV stream: pandas' parser, then Python's csv module where it gives up."""
    done = 0
    try:
        with opener() as stream:
            reader = pd.read_csv(
                stream,
                sep=delimiter,
                dtype=object,
                encoding="utf-8-sig",
                keep_default_na=False,
                na_values=[""],
                skip_blank_lines=False,
                chunksize=chunk_rows,
                header=0,
                names=[f"c{i}" for i in range(width)],
                quotechar='"',
            )
            for chunk in reader:
                chunk.columns = source.columns
                done += len(chunk)
                yield _normalised(_without_blank_rows(chunk, source.bad_shape), normalise)
        return
    except (pd.errors.ParserError, ValueError, csv.Error, UnicodeDecodeError):
        pass  # read on from where pandas stopped, keeping the odd rows
    for chunk in _python_csv_chunks(opener, delimiter, width, done, chunk_rows, source):
        yield _normalised(chunk, normalise)


def _without_blank_rows(chunk: pd.DataFrame, bad_shape: dict[int, int]) -> pd.DataFrame:
    """Rows with at least one cell (blank lines keep their place in the index); a row of
    delimiters only but the wrong number of them stays, to be reported."""
    candidates = chunk.iloc[:, 0].isna().to_numpy()
    if not candidates.any():
        return chunk
    blank = np.zeros(len(chunk), dtype=bool)
    blank[candidates] = chunk[candidates].isna().all(axis=1).to_numpy()
    if bad_shape and blank.any():
        blank &= ~chunk.index.isin(list(bad_shape))
    return chunk[~blank]


def _normalised(chunk: pd.DataFrame, normalise: bool) -> pd.DataFrame:
    if not normalise:
        return chunk
    for column in chunk.columns:
        if chunk[column].dtype == "str" or chunk[column].dtype == object:
            chunk[column] = chunk[column].str.normalize("NFC")
    return chunk


def _python_csv_chunks(
    opener: Callable[[], BinaryIO],
    delimiter: str,
    width: int,
    skip: int,
    chunk_rows: int,
    source: Source,
) -> Iterator[pd.DataFrame]:
    old_limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        with io.TextIOWrapper(opener(), encoding="utf-8-sig", newline="", errors="replace") as text:
            reader = csv.reader(text, delimiter=delimiter)
            next(reader, None)  # the header
            rows: list[list[str | None]] = []
            positions: list[int] = []
            for position, cells in enumerate(reader):
                if position < skip:
                    continue
                if len(cells) != width and any(c.strip() for c in cells):
                    source.bad_shape[position] = len(cells)
                row: list[str | None] = [c if c != "" else None for c in cells[:width]]
                row += [None] * (width - len(row))
                if any(v is not None for v in row) or position in source.bad_shape:
                    rows.append(row)
                    positions.append(position)
                if len(rows) >= chunk_rows:
                    yield _frame(rows, positions, source.columns)
                    rows, positions = [], []
            if rows:
                yield _frame(rows, positions, source.columns)
    except csv.Error as error:
        raise SipasError("ingest.unreadable", file=source.name, reason=str(error)) from None
    finally:
        csv.field_size_limit(old_limit)


@dataclass
class _Scan:
    sha256: str
    utf8: bool
    nfc: bool
    lines: int
    sample: str


SAMPLE_BYTES = 2_000_000
_BLOCK = 16 * 1024 * 1024


def _scan(path: Path, shape: ShapeCounter | None = None) -> _Scan:
    """One streaming pass: digest, whether the bytes are UTF-8 (and NFC), lines, a text sample,
    and (given a counter) the cells of every record."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    normal = True
    lines = 0
    head = b""
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
            lines += block.count(b"\n")
            if shape is not None:
                shape.feed(block)
            if len(head) < SAMPLE_BYTES:
                head += block[: SAMPLE_BYTES - len(head)]
            if utf8:
                try:
                    text = decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
                    continue
                if normal and not text.isascii():
                    normal = unicodedata.is_normalized("NFC", text)
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    if shape is not None:
        shape.finish()
    sample = head.decode("utf-8", errors="ignore") if utf8 else ""
    return _Scan(digest.hexdigest(), utf8, normal, lines, sample)


def _csv_file_source(path: Path, chunk_rows: int) -> Source:
    """A CSV file: UTF-8 (with or without BOM) streams from disk; other encodings go in memory."""
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    start = head[:4]
    first = head.decode("utf-8", errors="ignore").lstrip("\ufeff").split("\n", 1)[0]
    first_delimiter = _delimiter(first.rstrip("\r"))
    try:
        first_width = len(next(csv.reader([first.rstrip("\r")], delimiter=first_delimiter)))
    except (csv.Error, StopIteration):
        first_width = 0
    shape = ShapeCounter(first_delimiter, first_width, every=chunk_rows)
    scan = _scan(path, shape)
    simple = scan.utf8 and not start.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not simple or b"\x00" in start or legacy_encoding(scan.sample) is not None:
        source = csv_source(path.read_bytes(), safe_name(path.name), chunk_rows)
        source.sha256 = scan.sha256
        return source
    header_line = scan.sample.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    delimiter = _delimiter(header_line)
    try:
        header = next(csv.reader([header_line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        header = []
    if not [h for h in header if h.strip()]:
        raise _no_header(safe_name(path.name))
    encoding = "UTF-8 with BOM" if start.startswith(b"\xef\xbb\xbf") else "UTF-8"
    columns = [unicodedata.normalize("NFC", h.strip()) for h in header]
    source = Source(
        safe_name(path.name), f"csv ({encoding}, delimiter {delimiter!r})", columns, iter(())
    )
    source.sha256 = scan.sha256
    source.total_rows = max(0, scan.lines - 1)
    if delimiter == first_delimiter and len(header) == first_width:
        source.bad_shape.update(shape.bad)
        source.cut.update(shape.cut)
        if not shape.bad and not shape.lone_cr and shape.starts:
            source.parts = _parts(path, shape, delimiter, columns, not scan.nfc)
    source.chunks = _csv_chunks(
        lambda: path.open("rb"), delimiter, len(header), chunk_rows, source, not scan.nfc
    )
    return source


def _parts(
    path: Path, shape: ShapeCounter, delimiter: str, columns: list[str], normalise: bool
) -> list[Part]:
    size = path.stat().st_size
    starts = shape.starts
    every = shape.every
    parts = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else size
        rows = min(every, shape.records - k * every)
        if rows <= 0 or end <= start:
            break
        parts.append(Part(str(path), start, end, k * every, rows, delimiter, tuple(columns),
                          normalise))  # fmt: skip
    return parts


def _no_header(name: str) -> SipasError:
    return SipasError("ingest.no_header", file=name)


def _frame(rows: list[list[str | None]], positions: list[int], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns, index=pd.Index(positions), dtype=object)
    return frame


def _text_frame(frame: pd.DataFrame, name: str, problems: list[Problem]) -> pd.DataFrame:
    """Cells as NFC text (integral numbers without ".0"), TCVN3 converted, blanks missing."""
    out = {}
    legacy = None
    for column in frame.columns:
        series = frame[column]
        values = [None if _blank(v) else _as_text(v) for v in series.astype(object).tolist()]
        texts = [v for v in values if v is not None and not v.isascii()]
        if texts:
            converted, found = convert_legacy_values(texts, name)
            if found:
                legacy = found
                it = iter(converted)
                values = [next(it) if v is not None and not v.isascii() else v for v in values]
        out[str(column).strip()] = pd.Series(values, index=frame.index, dtype=object)
    if legacy:
        problems.append(legacy_problem(name, legacy))
    result = pd.DataFrame(out, index=frame.index)
    return result[result.notna().any(axis=1)]


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def _as_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return str(value.isoformat())
    return nfc(str(value))


def _excel_source(path: Path, sheet: str | None, known: Callable[[str], bool] | None) -> Source:
    found = read_sheet(path, sheet, known)
    width = len(found.header)
    frame = pd.DataFrame(
        [cells for _, cells in found.rows],
        columns=[f"c{i}" for i in range(width)],
        index=pd.Index([r - 2 for r, _ in found.rows]),  # rows keep the spreadsheet's number
        dtype=object,
    )
    problems: list[Problem] = []
    text = _text_frame(frame, safe_name(path.name), problems)
    text.columns = found.header
    name = safe_name(path.name)
    source = Source(name, f"xlsx (sheet {safe_name(found.name)!r})", found.header, iter([text]),
                    problems, total_rows=len(frame))  # fmt: skip
    if found.others:
        sheets = ", ".join(f"{safe_name(n)!r} ({rows:,})" for n, rows in found.others)
        source.problems.append(
            Problem(name, None, None, "ingest.other_sheets",
                    {"sheet": safe_name(found.name), "sheets": sheets}, "warning")
        )  # fmt: skip
    for row, column, formula in found.formulas:
        header = found.header[column - 1] if column - 1 < width else str(column)
        source.row_problems.setdefault(row - 2, []).append(
            (header, FORMULA, {"field": header, "formula": formula[:60]})
        )
    return source


def _zip_source(path: Path, chunk_rows: int) -> Source:
    try:
        with zipfile.ZipFile(path) as archive:
            check_zip(path, archive)
            members = [
                info
                for info in archive.infolist()
                if info.filename.lower().endswith(".csv") and not info.is_dir()
            ]
            if not members:
                raise SipasError("ingest.zip_no_csv", file=safe_name(path.name))
            # The main table is the form id; repeat groups are "<form id>-<repeat>.csv".
            main = min(members, key=lambda info: (len(Path(info.filename).name), info.filename))
            if main.file_size > MAX_BYTES:
                raise SipasError(
                    "ingest.zip_member_too_large",
                    file=safe_name(path.name),
                    member=safe_name(main.filename),
                )
            data = archive.read(main)
            repeats = []
            for info in members:  # repeat groups: tables of their own, keyed by PARENT_KEY
                if info is not main:
                    lines = archive.read(info).count(b"\n")
                    repeats.append(f"{Path(info.filename).name} ({max(0, lines - 1):,})")
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as error:
        raise SipasError(
            "ingest.unreadable_zip", file=safe_name(path.name), reason=str(error)
        ) from None
    source = csv_source(data, safe_name(f"{path.name}:{main.filename}"), chunk_rows)
    source.format = "ODK Central zip, " + source.format
    if repeats:
        source.problems.append(
            Problem(source.name, None, None, "ingest.repeat_tables",
                    {"tables": safe_name(", ".join(repeats)), "count": len(repeats)}, "warning")
        )  # fmt: skip
    return source


def _spss_source(path: Path) -> Source:
    try:
        import pyreadstat
    except ModuleNotFoundError:
        raise SipasError("ingest.spss_unavailable", file=safe_name(path.name)) from None

    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as error:  # pyreadstat raises its own error types for broken files
        raise SipasError(
            "ingest.unreadable_spss",
            file=safe_name(path.name),
            reason=f"{type(error).__name__}: {error}",
        ) from None
    problems: list[Problem] = []
    frame.index = pd.RangeIndex(len(frame))
    text = _text_frame(frame, safe_name(path.name), problems)
    labelled = sorted(meta.variable_value_labels)
    fmt = f"spss ({len(labelled)} variables with value labels)"
    columns = [str(c) for c in frame.columns]
    return Source(safe_name(path.name), fmt, columns, iter([text]), problems, total_rows=len(frame))


def _flatten(record: dict[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in record.items():
        name = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        elif isinstance(value, list):
            continue  # repeat groups are other tables
        else:
            flat[name] = value
    return flat


def odata_source(records: list[dict[str, object]], name: str) -> Source:
    """Submissions as ODK Central's OData feed gives them (pyodk ``submissions.get_table``).

    Groups are nested objects (flattened to ``group/field`` as Kobo names them), ``__id`` is the
    instance id and ``__system`` holds the submission metadata (kept as ``_submission_time``).
    """
    rows = []
    for record in records:
        flat = _flatten({k: v for k, v in record.items() if k != "__system"})
        system = record.get("__system")
        if isinstance(system, dict):
            flat["_submission_time"] = system.get("submissionDate")
        if "__id" in flat:
            flat["_uuid"] = flat.pop("__id")
        rows.append(flat)
    frame = pd.DataFrame(rows)
    problems: list[Problem] = []
    text = _text_frame(frame, name, problems) if len(frame) else frame
    columns = [str(c) for c in frame.columns]
    return Source(name, "ODK Central OData", columns, iter([text]), problems, total_rows=len(frame))


def prefetched(chunks: Iterator[pd.DataFrame], depth: int = 2) -> Iterator[pd.DataFrame]:
    """The chunks, parsed ahead in a thread while the caller checks and stores the previous
    ones (the parser and SQLite release the interpreter lock, so both cores work). A reader's
    error is raised where the chunk it spoiled would have come."""
    import queue
    import threading

    done = object()
    ahead: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                ahead.put(chunk)
        except BaseException as error:  # handed to the consumer, raised there
            ahead.put(error)
            return
        ahead.put(done)

    worker = threading.Thread(target=produce, name="sipas-read", daemon=True)
    worker.start()
    try:
        while True:
            item = ahead.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # let a producer blocked on a full queue finish
            try:
                ahead.get_nowait()
            except queue.Empty:
                worker.join(0.05)
