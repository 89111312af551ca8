"""Survey data in, for every caller: validate a file, import it into a survey, export an XLSForm,
compare two clerks' entries. Every input row ends up accepted or quarantined with its reasons."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypedDict, cast

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from sipas.errors import SipasError, plain
from sipas.frameworks import require_survey, resolve_framework
from sipas.frameworks.model import SurveyFramework
from sipas.geo.units import geography_on
from sipas.ingest import IngestReport, Options, Problem, Source, Validator, read_source
from sipas.ingest.columns import DESIGN, framework_columns, header_names
from sipas.ingest.double_entry import compare_entries
from sipas.ingest.problems import problem_text
from sipas.ingest.readers import Part, PartMisreadError, odata_source, prefetched, read_part
from sipas.ingest.validate import Checked, Rows
from sipas.ingest.xlsform import xlsform_sheets
from sipas.store import Database
from sipas.store import ingest as ingest_store
from sipas.store import surveys as survey_store
from sipas.text import escape_formula

Progress = Callable[[str, int, int], None]  # (stage, rows done, rows in all — 0 when unknown)


def _framework(framework: str | SurveyFramework) -> SurveyFramework:
    if isinstance(framework, SurveyFramework):
        return framework
    return require_survey(resolve_framework(framework))


def parse_period(text: str | None) -> tuple[date, date] | None:
    """A fieldwork period written START:END (ISO dates)."""
    if not text:
        return None
    try:
        start, end = (date.fromisoformat(part.strip()) for part in text.split(":"))
    except ValueError:
        raise SipasError("ingest.bad_period", period=text) from None
    if end < start:
        raise SipasError("ingest.period_reversed", period=text)
    return start, end


class QuarantinedRow(TypedDict):
    """A quarantined row of a survey: its file row, form number, reasons and batch."""

    row: int
    respondent_key: str | None
    reasons: str
    batch: int


class XlsformExported(TypedDict):
    """An XLSForm written: the framework, the file, its questions and choice lists."""

    framework: str
    file: str
    questions: int
    choice_lists: int


class DoubleEntry(TypedDict):
    """Two clerks' entries compared: counts, forms in one file only, and every disagreement.

    ``details`` rows carry each file's value under the file's name, so they stay plain dicts."""

    files: list[str]
    forms_compared: int
    fields_compared: int
    disagreements: int
    forms_with_disagreements: int
    only_in_a: list[Any]
    only_in_b: list[Any]
    details: list[dict[str, Any]]


@dataclass
class _Columns:
    profile: list[str]
    answers: list[str]


def _storage_columns(framework: SurveyFramework) -> _Columns:
    profile = [q.code for q in framework.profile if q.code not in survey_store.DESIGN_COLUMNS]
    return _Columns(profile, framework.question_columns() + framework.item_codes())


def read_file(path: Path, framework: SurveyFramework, sheet: str | None = None) -> Source:
    """A file's rows; of a workbook, the sheet that holds the framework's header (or ``sheet``)."""
    return read_source(path, sheet=sheet, known=header_names(framework))


def validate_file(
    path: Path,
    framework: str | SurveyFramework,
    period: tuple[date, date] | None = None,
    progress: Progress | None = None,
    sheet: str | None = None,
    allow_missing: list[str] | None = None,
) -> IngestReport:
    """Every problem of a file, without storing anything."""
    survey = _framework(framework)
    allowed = allowed_missing(survey, allow_missing)
    source = read_file(path, survey, sheet)
    try:
        return _validate(source, survey, period, allowed, progress)
    except PartMisreadError:  # the file's parts could not be read apart: read it from the start
        source = read_file(path, survey, sheet)
        source.parts = None
        return _validate(source, survey, period, allowed, progress)


def _validate(
    source: Source,
    survey: SurveyFramework,
    period: tuple[date, date] | None,
    allowed: frozenset[str],
    progress: Progress | None,
) -> IngestReport:
    report, validator = _start(source, survey, period, allowed)
    for item in _chunks(source, validator, report, progress, None):
        accepted = item.checked.accepted
        report.accepted += int(accepted.sum())
        report.quarantined += int((~accepted).sum())
    _finish(report, validator)
    return report


def allowed_missing(framework: SurveyFramework, columns: list[str] | None) -> frozenset[str]:
    """The answer columns a user allows a file to leave out: each must be the framework's."""
    known = set(framework_columns(framework))
    chosen = [c.strip() for c in columns or [] if c.strip()]
    for column in chosen:
        if column not in known:
            raise SipasError("ingest.allow_unknown_column", column=column, framework=framework.id)
    return frozenset(chosen)


def _start(
    source: Source,
    framework: SurveyFramework,
    period: tuple[date, date] | None,
    allowed: frozenset[str] = frozenset(),
) -> tuple[IngestReport, Validator]:
    report = IngestReport(file=source.name, format=source.format, framework=framework.id)
    report.problems.extend(source.problems)
    validator = Validator(
        framework,
        source.name,
        source.columns,
        Options(period, allow_missing=allowed),
        source.bad_shape,
        source.cut,
        source.row_problems,
    )
    report.problems.extend(validator.problems)
    return report, validator


@dataclass
class _Chunk:
    """A checked chunk, and what storing it needs."""

    checked: Checked
    raw: Callable[[int], dict[str, str | None]]  # row i's cells as the file has them
    # Every row as stored (ingest_store.response_columns), made by a worker; else from the frame.
    columns: list[Any] | None = None
    frame: pd.DataFrame | None = None  # the chunk as read (when checked in this process)


@dataclass(frozen=True)
class _Storing:
    """What a process that checks parts needs to make the rows an import writes."""

    profile: list[str]
    answers: list[str]
    sqlite: bool


def _chunks(
    source: Source,
    validator: Validator,
    report: IngestReport,
    progress: Progress | None,
    storing: _Storing | None,
) -> Iterator[_Chunk]:
    """The checked chunks in file order, each counted in the report with its problems.

    A well-formed CSV file is checked by worker processes, a part each, while this process
    finds duplicates (which need every earlier row) and stores; other sources chunk by chunk
    here."""
    total = source.total_rows or 0
    for item in _parallel_chunks(source, validator, storing) or _local_chunks(source, validator):
        checked = item.checked
        report.problems.extend(validator.new_problems)
        validator.new_problems.clear()
        report.rows += len(checked.frame)
        for reasons in checked.errors.values():
            report.problems.extend(reasons)
        report.problems.extend(checked.flags)
        report.flagged += len({p.row for p in checked.flags})
        if progress:
            progress("rows", report.rows, max(total, report.rows))
        yield item


def _local_chunks(source: Source, validator: Validator) -> Iterator[_Chunk]:
    for chunk in prefetched(source.chunks):
        checked = validator.check(chunk)
        yield _Chunk(checked, functools.partial(_row_data, chunk), None, chunk)


WORKERS = 2  # processes checking parts, with this one storing (0: every chunk checked here)
AHEAD = 4  # parts handed out before their results are taken (bounds the memory held)
_WORKER: dict[str, Any] = {}  # a worker process's validator and storage columns


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _parallel_chunks(
    source: Source, validator: Validator, storing: _Storing | None
) -> Iterator[_Chunk] | None:
    """None unless the source has parts to check apart and more than one core is free."""
    if source.parts is None or len(source.parts) < 2 or WORKERS < 1 or _usable_cores() < 2:
        return None
    return _parts_checked(source.parts, validator, storing)


def _parts_checked(
    parts: list[Part], validator: Validator, storing: _Storing | None
) -> Iterator[_Chunk]:
    import multiprocessing
    import threading
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    # Workers are forked from this process while it runs one thread only (a command, a script):
    # they start at once, use nothing of its open database connection and leave by os._exit.
    # Beside other threads (a web server), from a fork server: a fresh process that imported
    # this module once.
    context: Any
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        context = multiprocessing.get_context("fork")
    elif "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
    else:  # Windows: fresh processes
        context = multiprocessing.get_context("spawn")
    setup = (validator.framework, validator.file, validator.source_columns, validator.options,
             storing)  # fmt: skip
    pool = ProcessPoolExecutor(
        max_workers=min(WORKERS, len(parts)), mp_context=context,
        initializer=_worker_start, initargs=setup,
    )  # fmt: skip
    try:
        waiting = iter(parts)
        pending: deque[Future[_PartResult]] = deque()
        for part in waiting:
            pending.append(pool.submit(_check_part, part))
            if len(pending) >= AHEAD:
                break
        while pending:
            result = pending.popleft().result()
            following = next(waiting, None)
            if following is not None:
                pending.append(pool.submit(_check_part, following))
            rows = result.rows
            index = pd.Index(np.asarray(rows.rows, dtype=np.int64) - 2)
            rows.checked.frame = pd.DataFrame(
                {"respondent_key": pd.Series(rows.keys, index=index, dtype=object),
                 "interview_date": pd.Series(result.days, index=index)}
            )  # fmt: skip
            checked = validator.seen(rows)
            yield _Chunk(checked, _RawRows(result.part, result.bad), result.columns)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class _PartResult:
    part: Part
    rows: Rows  # checked apart; its frame left out (the keys and days are enough)
    days: np.ndarray  # each row's interview date (datetime64, NaT where missing)
    columns: list[Any] | None  # the rows to insert, column by column (documents in Arrow)
    bad: dict[int, dict[str, str | None]]  # cells of the rows found bad


def _worker_start(
    framework: SurveyFramework,
    file: str,
    columns: list[str],
    options: Options,
    storing: _Storing | None,
) -> None:
    _WORKER["validator"] = Validator(framework, file, columns, options)
    _WORKER["storing"] = storing


def _check_part(part: Part) -> _PartResult:
    """In a worker process: read and check a part; the rows to insert, made here too."""
    validator: Validator = _WORKER["validator"]
    storing: _Storing | None = _WORKER["storing"]
    chunk = read_part(part)
    rows = validator.check_rows(chunk)
    checked = rows.checked
    columns: list[Any] | None = None
    bad: dict[int, dict[str, str | None]] = {}
    if storing is not None:
        columns = ingest_store.response_columns(
            checked.frame, storing.profile, storing.answers, storing.sqlite
        )
        bad = _rows_data(chunk, sorted(checked.errors))
    days = np.array(checked.frame["interview_date"].tolist(), dtype="datetime64[D]")
    # What goes back is cheap to send: no frame of Python objects (the keys are a list).
    rows.checked = Checked(pd.DataFrame(), checked.errors, checked.flags, checked.fingerprints)
    return _PartResult(part, rows, days, columns, bad)


class _RawRows:
    """A part's rows as the file has them: those the worker found bad, the others read again
    when needed (a row found a duplicate of an earlier part's, or in conflict with the store)."""

    def __init__(self, part: Part, bad: dict[int, dict[str, str | None]]) -> None:
        self.part = part
        self.bad = bad
        self.chunk: pd.DataFrame | None = None

    def __call__(self, i: int) -> dict[str, str | None]:
        if i in self.bad:
            return self.bad[i]
        if self.chunk is None:
            self.chunk = read_part(self.part)
        return _row_data(self.chunk, i)


def _finish(report: IngestReport, validator: Validator) -> None:
    # Problems in file order: file-level first, then by row.
    report.problems.sort(key=lambda p: (p.row is not None, p.row or 0))


def import_file(
    db: Database,
    path: Path,
    framework: str | SurveyFramework,
    survey_code: str,
    period: tuple[date, date] | None = None,
    actor: str = "sipas import",
    progress: Progress | None = None,
    sheet: str | None = None,
    allow_missing: list[str] | None = None,
) -> IngestReport:
    """Validate and store a file: accepted rows into the survey, the others into quarantine.

    The survey is created (year and geography from the first interview date) when it does not
    exist. Importing the same or a corrected file again adds only what is new.
    """
    survey = _framework(framework)
    allowed = allowed_missing(survey, allow_missing)
    source = read_file(path, survey, sheet)
    try:
        return _import(db, source, survey, survey_code, period, actor, progress, allowed=allowed)
    except PartMisreadError:  # nothing was kept (the transaction is rolled back): from the start
        source = read_file(path, survey, sheet)
        source.parts = None
        return _import(db, source, survey, survey_code, period, actor, progress, allowed=allowed)


def import_odk(
    db: Database,
    form_id: str,
    framework: str | SurveyFramework,
    survey_code: str,
    period: tuple[date, date] | None = None,
    project_id: int | None = None,
    config: Path | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Pull a form's submissions from the configured ODK Central server and import them."""
    source = odk_source(form_id, project_id, config)
    return import_source(db, source, framework, survey_code, period, "sipas import", progress)


def import_source(
    db: Database,
    source: Source,
    framework: str | SurveyFramework,
    survey_code: str,
    period: tuple[date, date] | None = None,
    actor: str = "sipas import",
    progress: Progress | None = None,
) -> IngestReport:
    """Import rows already read (e.g. pulled from ODK Central with :func:`odk_source`)."""
    return _import(db, source, _framework(framework), survey_code, period, actor, progress)


def import_frame(
    db: Database,
    frame: pd.DataFrame,
    framework: str | SurveyFramework,
    survey_code: str,
    source: str = "demo",
    period: tuple[date, date] | None = None,
    actor: str = "sipas demo",
    connection: Connection | None = None,
) -> IngestReport:
    """Import a responses frame (e.g. generated data) through the same validation as a file.

    With ``connection`` the rows are written in the caller's transaction (the survey may have
    been created in it); otherwise in a transaction of their own.
    """
    survey = _framework(framework)
    text = pd.DataFrame(
        {str(c): _as_text(frame[c]) for c in frame.columns}, index=pd.RangeIndex(len(frame))
    )
    origin = Source(source, "data frame", [str(c) for c in frame.columns], iter([text]))
    origin.total_rows = len(frame)
    return _import(db, origin, survey, survey_code, period, actor, None, connection)


def _as_text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(series.dtype):
        values = [None if v != v else repr(v) for v in series.tolist()]
        return pd.Series(values, index=series.index, dtype="str")
    if series.dtype == object:
        values = [None if v is None or v != v else str(v) for v in series.tolist()]
        return pd.Series(values, index=series.index, dtype="str")
    return series.astype("str")


def _import(
    db: Database,
    source: Source,
    framework: SurveyFramework,
    survey_code: str,
    period: tuple[date, date] | None,
    actor: str,
    progress: Progress | None,
    connection: Connection | None = None,
    allowed: frozenset[str] = frozenset(),
) -> IngestReport:
    if connection is not None:
        return _import_into(
            connection, source, framework, survey_code, period, actor, progress, allowed
        )
    with db.begin() as own:
        return _import_into(own, source, framework, survey_code, period, actor, progress, allowed)


def _import_into(
    connection: Connection,
    source: Source,
    framework: SurveyFramework,
    survey_code: str,
    period: tuple[date, date] | None,
    actor: str,
    progress: Progress | None,
    allowed: frozenset[str] = frozenset(),
) -> IngestReport:
    columns = _storage_columns(framework)
    report, validator = _start(source, framework, period, allowed)
    report.inserted = report.unchanged = 0
    survey_id: int | None = _survey_id(connection, survey_code, framework)
    batch_id: int | None = None
    stored: set[str] = set()
    key_columns = [c for c, t in validator.columns.renames.items() if t == "respondent_key"]
    keyless: dict[str, list[int]] = {}
    if survey_id is not None:
        keyless = ingest_store.open_keyless(connection, survey_id, key_columns)
        if keyless:  # rows without a form number wait to be matched on every cell: read here
            source.parts = None
    storing = _Storing(columns.profile, columns.answers, connection.dialect.name != "postgresql")
    writer = _Writer()
    with ingest_store.loading(connection):
        try:
            for item in _chunks(source, validator, report, progress, storing):
                checked = item.checked
                writer.wait()  # the previous chunk's responses are written: the connection is free
                if survey_id is None:
                    survey_id = _create_survey(connection, survey_code, framework, checked)
                if batch_id is None:
                    batch_id = ingest_store.start_batch(
                        connection, survey_id=survey_id, source=source.name, sha256=source.sha256,
                        fmt=source.format, framework_id=framework.id, actor=actor,
                    )  # fmt: skip
                    stored = ingest_store.stored_keys(connection, survey_id)
                if keyless and item.frame is not None:
                    _resolve_keyless(
                        connection, batch_id, checked, item.frame, keyless, key_columns
                    )
                _store_chunk(connection, survey_id, batch_id, item, stored, columns, report,
                             writer.submit)  # fmt: skip
        finally:
            writer.close()
    _finish(report, validator)
    if batch_id is not None and survey_id is not None:
        ingest_store.resolve_deleted_duplicates(
            connection, survey_id, batch_id, set(validator.seen_keys)
        )
        ingest_store.finish_batch(
            connection,
            batch_id,
            {
                "rows": report.rows, "accepted": report.accepted,
                "quarantined": report.quarantined, "inserted": report.inserted,
                "unchanged": report.unchanged, "flagged": report.flagged,
                # What the user allowed is kept with the batch: the blanks are theirs to explain.
                "summary": report.counts()
                | ({"allowed_missing_columns": sorted(allowed)} if allowed else {}),
            },
        )  # fmt: skip
    return report


class _Writer:
    """One thread that writes a chunk's responses while the next chunk is checked (SQLite and
    the PostgreSQL driver release the interpreter lock while they work, so both cores do). The
    connection is used by one thread at a time: :meth:`wait` comes before any other use."""

    def __init__(self) -> None:
        from concurrent.futures import Future, ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sipas-write")
        self._pending: Future[object] | None = None

    def submit(self, work: Callable[[], object]) -> None:
        self.wait()
        self._pending = self._pool.submit(work)

    def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()  # a database error is raised here, in the importing thread

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)


def _survey_id(connection: Any, code: str, framework: SurveyFramework) -> int | None:
    try:
        survey = survey_store.get_survey(connection, code)
    except SipasError:
        return None
    if survey["framework_id"] != framework.id:
        raise SipasError(
            "ingest.wrong_framework",
            survey=code,
            framework=survey["framework_id"],
            given=framework.id,
        )
    return int(survey["id"])


def _create_survey(connection: Any, code: str, framework: SurveyFramework, checked: Any) -> int:
    """A new survey dated by the first accepted interview (today when no row is accepted)."""
    frame = checked.frame[checked.accepted]
    column = frame["interview_date"]
    if pd.api.types.is_datetime64_any_dtype(column.dtype):  # as checked by a worker
        column = column.dt.date.astype(object).where(column.notna(), None)
    days = [d for d in column.tolist() if isinstance(d, date)]
    first = min(days) if days else date.today()
    try:
        geography = geography_on(first)
    except SipasError:
        geography = ""
    return survey_store.create_survey(
        connection,
        code=code,
        framework_id=framework.id,
        framework_version=framework.version,
        year=first.year,
        geography=geography,
        reference_date=first,
        synthetic=False,
        description="imported",
    )


def _store_chunk(
    connection: Any,
    survey_id: int,
    batch_id: int,
    item: _Chunk,
    stored: set[str],
    columns: _Columns,
    report: IngestReport,
    later: Callable[[Callable[[], object]], None] | None = None,
) -> None:
    """Store a checked chunk; the responses themselves are written last, through ``later``."""
    checked = item.checked
    frame = checked.frame
    accepted = checked.accepted
    made = item.columns
    if made is None:
        sqlite = connection.dialect.name != "postgresql"
        made = ingest_store.response_columns(frame, columns.profile, columns.answers, sqlite)
    keys = frame["respondent_key"].astype(object).tolist()
    again = [i for i in range(len(frame)) if accepted[i] and keys[i] in stored]
    unchanged: set[int] = set()
    if again:
        unchanged = _compare_again(connection, survey_id, frame, again, made, checked, report)
        for i in again:
            accepted[i] = i in unchanged
    new = accepted.copy()
    new[list(unchanged)] = False
    written = int(new.sum())
    stored.update(frame["respondent_key"][new].tolist())
    report.inserted = (report.inserted or 0) + written
    report.unchanged = (report.unchanged or 0) + len(unchanged)
    report.accepted += int(accepted.sum())
    report.quarantined += int((~accepted).sum())
    ingest_store.resolve(
        connection, survey_id, batch_id, frame["respondent_key"][accepted].tolist()
    )
    ingest_store.quarantine(connection, survey_id, batch_id, _bad_rows(item.raw, checked, keys))
    flags = [
        (keys[_position(frame, p.row)], p.code, p.message, plain(dict(p.values)))
        for p in checked.flags
    ]
    ingest_store.add_flags(connection, survey_id, batch_id, flags)
    chosen = None if written == len(frame) else np.flatnonzero(new)
    rows = ingest_store.response_rows(made, chosen)
    ingest_store.insert_rows(connection, survey_id, rows, later)


def _position(frame: pd.DataFrame, row: int | None) -> int:
    return int(frame.index.get_loc((row or 2) - 2))


def _compare_again(
    connection: Any,
    survey_id: int,
    frame: pd.DataFrame,
    again: list[int],
    made: list[Any],
    checked: Any,
    report: IngestReport,
) -> set[int]:
    """Rows whose key is stored already: unchanged when the answers agree, else quarantined."""
    part = frame.iloc[again]
    keys = part["respondent_key"].tolist()
    have = ingest_store.stored_documents(connection, survey_id, keys)
    profiles = made[-2].take(again).to_pylist()
    answers = made[-1].take(again).to_pylist()
    same: set[int] = set()
    for i, key, profile, answer in zip(again, keys, profiles, answers, strict=True):
        if have.get(key) == (json.loads(profile), json.loads(answer)):
            same.add(i)
            continue
        row = int(frame.index[i]) + 2
        problem = Problem(report.file, row, "respondent_key", "ingest.conflict", {"key": str(key)})
        checked.errors.setdefault(i, []).append(problem)
        report.problems.append(problem)
    return same


def _row_data(chunk: pd.DataFrame, i: int) -> dict[str, str | None]:
    """Row ``i`` of a chunk as stored with a quarantined row: column → cell text."""
    columns = [str(c) for c in chunk.columns]
    values = chunk.iloc[i].tolist()
    return {
        c: (None if v is None or v != v else str(v)) for c, v in zip(columns, values, strict=False)
    }


def _rows_data(chunk: pd.DataFrame, chosen: list[int]) -> dict[int, dict[str, str | None]]:
    """:func:`_row_data` of several rows at once."""
    if not chosen:
        return {}
    columns = [str(c) for c in chunk.columns]
    table = chunk.iloc[chosen].astype(object).to_numpy().tolist()
    return {
        i: {c: (None if v is None or v != v else str(v))
            for c, v in zip(columns, values, strict=False)}
        for i, values in zip(chosen, table, strict=True)
    }  # fmt: skip


def _resolve_keyless(
    connection: Any,
    batch_id: int,
    checked: Any,
    chunk: pd.DataFrame,
    keyless: dict[str, list[int]],
    key_columns: list[str],
) -> None:
    """Rows now accepted whose other cells are those of a quarantined row without a form
    number: the form number was added, the entry is resolved."""
    done: list[int] = []
    for i in np.flatnonzero(checked.accepted).tolist():
        digest = ingest_store.row_digest(_row_data(chunk, i), key_columns)
        if digest in keyless:
            done += keyless.pop(digest)
    ingest_store.resolve_entries(connection, batch_id, done)


def _bad_rows(
    raw: Callable[[int], dict[str, str | None]], checked: Any, keys: list[Any]
) -> list[dict[str, Any]]:
    rows = []
    seen: dict[str, int] = {}
    for i, reasons in sorted(checked.errors.items()):
        data = raw(i)
        digest = ingest_store.row_digest(data)
        seen[digest] = seen.get(digest, 0) + 1
        if seen[digest] > 1:  # the same bad row twice in one file: two entries
            digest = hashlib.sha256(f"{digest}#{seen[digest]}".encode()).hexdigest()
        rows.append(
            {
                "respondent_key": None if keys[i] is None else str(keys[i])[:200],
                "file_row": reasons[0].row,
                "row_hash": digest,
                "data": data,
                "reasons": [p.reason() for p in reasons],
            }
        )
    return rows


def quarantine_view(db: Database, survey_code: str, status: str = "open") -> list[QuarantinedRow]:
    with db.begin() as connection:
        survey = survey_store.get_survey(connection, survey_code)
        rows = ingest_store.quarantined(connection, int(survey["id"]), status)
    return [
        {
            "row": r["file_row"],
            "respondent_key": r["respondent_key"],
            "reasons": "; ".join(f"{x['field'] or ''} {x['code']}".strip() for x in r["reasons"]),
            "batch": r["batch_id"],
        }
        for r in rows
    ]


def export_xlsform(framework: str | SurveyFramework, output: Path) -> XlsformExported:
    """Write the framework as an XLSForm workbook (survey, choices, settings sheets)."""
    survey = _framework(framework)
    sheets = xlsform_sheets(survey)
    try:
        with pd.ExcelWriter(output, engine="xlsxwriter") as writer:
            for name, rows in sheets.items():
                frame = pd.DataFrame(rows).map(escape_formula)  # cells are data, never formulas
                frame.to_excel(writer, sheet_name=name, index=False)
    except OSError as error:
        raise SipasError("ingest.unwritable", path=str(output), reason=error.strerror) from None
    return {
        "framework": survey.id,
        "file": str(output),
        "questions": sum(
            1 for r in sheets["survey"] if not str(r["type"]).startswith(("begin", "end"))
        ),
        "choice_lists": len({r["list_name"] for r in sheets["choices"]}),
    }


def double_entry(path_a: Path, path_b: Path, framework: str | SurveyFramework) -> DoubleEntry:
    """Two clerks' entries of the same forms compared field by field."""
    survey = _framework(framework)
    frames = []
    for path in (path_a, path_b):
        source = read_file(path, survey)
        validator = Validator(survey, source.name, source.columns)
        parts = [validator.check(chunk).frame for chunk in source.chunks]
        frames.append(pd.concat(parts) if parts else pd.DataFrame(columns=list(DESIGN)))
    compared = compare_entries(frames[0], frames[1], survey, path_a.name, path_b.name)
    return cast(DoubleEntry, compared)


def write_report(report: IngestReport, path: Path) -> None:
    """Every problem of a report to .json, .csv or .xlsx (cells that look like formulas escaped)."""
    if path.suffix.lower() == ".json":
        _write_text(path, report.to_json())
        return
    write_rows(
        [{k: v for k, v in p.to_dict().items() if k != "values"} for p in report.problems], path
    )


def write_rows(rows: list[dict[str, Any]], path: Path) -> None:
    """Rows to .csv (UTF-8 with BOM, as Excel opens it) or .xlsx; formulas never run."""
    frame = pd.DataFrame(rows).map(escape_formula) if rows else pd.DataFrame()
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            frame.to_excel(path, index=False, engine="xlsxwriter")
        elif suffix == ".csv":
            frame.to_csv(path, index=False, encoding="utf-8-sig")
        elif suffix == ".json":
            _write_text(path, json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        else:
            raise SipasError("ingest.report_type", suffix=suffix or "—")
    except OSError as error:
        raise SipasError("ingest.unwritable", path=str(path), reason=error.strerror) from None


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise SipasError("ingest.unwritable", path=str(path), reason=error.strerror) from None


__all__ = [
    "IngestReport",
    "Progress",
    "double_entry",
    "export_xlsform",
    "import_file",
    "import_frame",
    "import_odk",
    "import_source",
    "odk_source",
    "parse_period",
    "problem_text",
    "quarantine_view",
    "validate_file",
    "write_report",
    "write_rows",
]


def odk_source(form_id: str, project_id: int | None = None, config: Path | None = None) -> Source:
    """A form's submissions pulled from an ODK Central server configured for pyodk.

    pyodk reads the server URL and credentials from its own configuration file
    (``~/.pyodk_config.toml`` or ``config``); without one nothing is contacted.
    """
    path = config or Path.home() / ".pyodk_config.toml"
    if not path.exists():
        raise SipasError("ingest.odk_not_configured", path=str(path))
    try:
        from pyodk.client import Client  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ModuleNotFoundError:
        raise SipasError("ingest.odk_unavailable") from None

    try:
        with Client(config_path=str(path), project_id=project_id) as client:
            table = client.submissions.get_table(form_id=form_id)
    except Exception as error:  # pyodk raises its own error types for network and auth problems
        raise SipasError("ingest.odk_unreachable", form=form_id, reason=str(error)) from None
    return odata_source(list(table.get("value", [])), f"odk:{form_id}")
