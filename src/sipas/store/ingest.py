"""Import batches, quarantined rows and quality flags; responses written fast and idempotently.

Responses are written with their JSON documents already serialised (one string template per row,
answer codes shared between rows), in one ``executemany`` per chunk, which is what lets a million
rows go in within the benchmark's budget. A re-import finds the respondent keys already stored:
rows with the same answers are counted as unchanged, never written twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import Connection, and_, delete, func, insert, select, update

from sipas.store.schema import import_batches, quarantined_rows, response_flags, responses
from sipas.store.surveys import DESIGN_COLUMNS

DESIGN = ("survey_id", *DESIGN_COLUMNS)  # the columns of a response row besides its answers


LOAD_CACHE_KIB = 256 * 1024  # SQLite's page cache while an import writes (default: 2 MiB)


@contextmanager
def loading(connection: Connection) -> Iterator[None]:
    """While an import writes many rows: on SQLite a larger page cache for this connection, so
    the table's and its indexes' pages stay in memory until the commit instead of being spilled
    to the journal while the transaction runs. The previous size comes back after."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{LOAD_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before or -2000)}")


def start_batch(
    connection: Connection,
    *,
    survey_id: int,
    source: str,
    sha256: str | None,
    fmt: str,
    framework_id: str,
    actor: str,
) -> int:
    result = connection.execute(
        insert(import_batches).values(
            survey_id=survey_id,
            source=source,
            sha256=sha256,
            format=fmt[:200],
            framework_id=framework_id,
            rows=0,
            accepted=0,
            quarantined=0,
            inserted=0,
            unchanged=0,
            flagged=0,
            summary={},
            actor=actor,
            created_at=datetime.now(UTC),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_batch(connection: Connection, batch_id: int, counts: dict[str, Any]) -> None:
    connection.execute(
        update(import_batches).where(import_batches.c.id == batch_id).values(**counts)
    )


def stored_keys(connection: Connection, survey_id: int) -> set[str]:
    rows = connection.execute(
        select(responses.c.respondent_key).where(responses.c.survey_id == survey_id)
    )
    return set(rows.scalars())


def stored_documents(
    connection: Connection, survey_id: int, keys: list[str]
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Profile and answers of stored respondents, by key (for comparing a re-imported row)."""
    found: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        rows = connection.execute(
            select(responses.c.respondent_key, responses.c.profile, responses.c.answers).where(
                and_(responses.c.survey_id == survey_id, responses.c.respondent_key.in_(part))
            )
        )
        for key, profile, answers in rows:
            found[key] = (_loaded(profile), _loaded(answers))
    return found


def _loaded(document: Any) -> dict[str, Any]:
    return json.loads(document) if isinstance(document, str) else dict(document)


def json_tokens(series: pd.Series, prefix: str = "") -> list[str]:
    """Each value of a column as a JSON literal (after ``prefix``); repeated values share one
    string object, so a million answers cost a handful of strings."""
    positions, uniques = pd.factorize(series, use_na_sentinel=True)
    literals = [prefix + _literal(v) for v in uniques.tolist()] + [prefix + "null"]
    tokens: list[str] = np.asarray(literals, dtype=object)[positions].tolist()
    return tokens


def _literal(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value)) if np.isfinite(value) else "null"
    return json.dumps(str(value), ensure_ascii=False)


def documents(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """One JSON object per row of ``columns``, joined from shared ``"key": value`` pieces."""
    texts: list[str] = document_array(frame, columns).to_pylist()
    return texts


def document_array(frame: pd.DataFrame, columns: list[str]) -> pa.StringArray:
    """:func:`documents` as an Arrow array, joined by Arrow (no string per piece and row)."""
    if not columns:
        return pa.array(["{}"] * len(frame), type=pa.string())
    pieces = []
    last = len(columns) - 1
    for k, column in enumerate(columns):
        positions, uniques = pd.factorize(frame[column], use_na_sentinel=True)
        name = json.dumps(column) + ": "
        literals = [name + _literal(v) for v in uniques.tolist()] + [name + "null"]
        if k == 0:
            literals = ["{" + t for t in literals]
        if k == last:
            literals = [t + "}" for t in literals]
        missing = len(literals) - 1
        at = np.where(positions < 0, missing, positions)  # missing cells: the "null" piece
        pieces.append(pa.array(literals, type=pa.string()).take(pa.array(at)))
    if len(pieces) == 1:
        return pieces[0]
    joined: pa.StringArray = pc.binary_join_element_wise(*pieces, ", ")
    return joined


def response_columns(
    frame: pd.DataFrame, profile_columns: list[str], answer_columns: list[str], sqlite: bool
) -> list[list[Any]]:
    """Every row of a checked frame as the responses table stores it, column by column: the
    design columns (without the survey), then the profile and answers documents (Arrow arrays:
    :func:`response_rows` makes the rows)."""
    design: list[list[Any]] = []
    for column in DESIGN[1:]:
        series = frame[column]
        if column == "weight":
            design.append(series.astype(float).tolist())
        elif column == "interview_date":  # SQLite keeps dates as ISO text (as SQLAlchemy does)
            days = pd.unique(series.dropna())
            shown = {d: (d.isoformat() if sqlite else d) for d in days.tolist()}
            design.append([shown.get(v) for v in series.tolist()])
        else:
            design.append(series.astype(object).tolist())
    profiles = document_array(frame, profile_columns)
    answers = document_array(frame, answer_columns)
    return [*design, profiles, answers]


def response_rows(columns: list[Any], chosen: np.ndarray | None = None) -> list[tuple[Any, ...]]:
    """Rows to insert from :func:`response_columns` (only the ``chosen`` positions, if given)."""
    design = columns[:-2]
    documents = [d.to_pylist() if isinstance(d, pa.Array) else d for d in columns[-2:]]
    if chosen is not None:
        at = chosen.tolist()
        return [tuple(c[i] for c in (*design, *documents)) for i in at]
    return list(zip(*design, *documents, strict=True))


def insert_responses(
    connection: Connection,
    survey_id: int,
    frame: pd.DataFrame,
    profile_columns: list[str],
    answer_columns: list[str],
    later: Callable[[Callable[[], object]], None] | None = None,
) -> int:
    """Write validated rows (design columns, profile, answers); returns the number written.

    With ``later`` the prepared statement is handed to it to run (on another thread) instead."""
    if frame.empty:
        return 0
    sqlite = connection.dialect.name != "postgresql"
    rows = response_rows(response_columns(frame, profile_columns, answer_columns, sqlite))
    return insert_rows(connection, survey_id, rows, later)


def insert_rows(
    connection: Connection,
    survey_id: int,
    rows: list[tuple[Any, ...]],
    later: Callable[[Callable[[], object]], None] | None = None,
) -> int:
    """Write rows made by :func:`response_columns` into a survey, in one ``executemany``."""
    if not rows:
        return 0
    names = ", ".join((*DESIGN, "profile", "answers"))
    if connection.dialect.name != "postgresql":
        marks = ", ".join(["?"] * (len(DESIGN) + 1))
    else:
        marks = ", ".join(["%s"] * (len(DESIGN) - 1) + ["%s::json", "%s::json"])
    # The survey is the same for every row: a number of ours, written into the statement.
    statement = f"INSERT INTO responses ({names}) VALUES ({int(survey_id)}, {marks})"
    if later is not None:  # written by the caller's writer thread while it checks the next rows
        later(lambda: connection.exec_driver_sql(statement, rows))
    else:
        connection.exec_driver_sql(statement, rows)
    return len(rows)


def quarantine(
    connection: Connection, survey_id: int, batch_id: int, rows: list[dict[str, Any]]
) -> None:
    """Keep bad rows with their reasons; the same bad row imported again stays one entry."""
    if not rows:
        return
    hashes = [r["row_hash"] for r in rows]
    for start in range(0, len(hashes), 500):
        connection.execute(
            delete(quarantined_rows).where(
                and_(
                    quarantined_rows.c.survey_id == survey_id,
                    quarantined_rows.c.row_hash.in_(hashes[start : start + 500]),
                )
            )
        )
    values = [{**r, "survey_id": survey_id, "batch_id": batch_id, "status": "open"} for r in rows]
    connection.execute(insert(quarantined_rows), values)


def resolve(connection: Connection, survey_id: int, batch_id: int, keys: Iterable[str]) -> int:
    """Mark open quarantined rows of respondents now accepted as resolved by this batch."""
    keys = list(keys)
    done = 0
    open_keys = set(
        connection.execute(
            select(quarantined_rows.c.respondent_key).where(
                and_(
                    quarantined_rows.c.survey_id == survey_id,
                    quarantined_rows.c.status == "open",
                )
            )
        ).scalars()
    )
    wanted = [k for k in keys if k in open_keys]
    for start in range(0, len(wanted), 500):
        result = connection.execute(
            update(quarantined_rows)
            .where(
                and_(
                    quarantined_rows.c.survey_id == survey_id,
                    quarantined_rows.c.status == "open",
                    quarantined_rows.c.respondent_key.in_(wanted[start : start + 500]),
                )
            )
            .values(status="resolved", resolved_batch_id=batch_id)
        )
        done += result.rowcount or 0
    return done


def add_flags(
    connection: Connection,
    survey_id: int,
    batch_id: int,
    flags: list[tuple[str, str, str, dict[str, Any]]],
) -> None:
    """Quality flags (respondent key, code, English message, values); a flag already stored is
    kept once."""
    if not flags:
        return
    keys = sorted({k for k, _, _, _ in flags})
    have: set[tuple[str, str]] = set()
    for start in range(0, len(keys), 500):
        rows = connection.execute(
            select(response_flags.c.respondent_key, response_flags.c.code).where(
                and_(
                    response_flags.c.survey_id == survey_id,
                    response_flags.c.respondent_key.in_(keys[start : start + 500]),
                )
            )
        )
        have.update((k, c) for k, c in rows)
    new = {(k, c): (m, v) for k, c, m, v in flags if (k, c) not in have}
    if new:
        connection.execute(
            insert(response_flags),
            [
                {"survey_id": survey_id, "batch_id": batch_id, "respondent_key": k, "code": c,
                 "message": m, "message_values": v}
                for (k, c), (m, v) in new.items()
            ],
        )  # fmt: skip


def quarantined(
    connection: Connection, survey_id: int, status: str = "open"
) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(quarantined_rows)
        .where(and_(quarantined_rows.c.survey_id == survey_id, quarantined_rows.c.status == status))
        .order_by(quarantined_rows.c.id)
    )
    return [dict(r._mapping) for r in rows]


def counts(connection: Connection, survey_id: int) -> dict[str, int]:
    def count(table: Any, *where: Any) -> int:
        return int(
            connection.execute(select(func.count()).select_from(table).where(*where)).scalar() or 0
        )

    return {
        "responses": count(responses, responses.c.survey_id == survey_id),
        "quarantined_open": count(
            quarantined_rows,
            quarantined_rows.c.survey_id == survey_id,
            quarantined_rows.c.status == "open",
        ),
        "quarantined_resolved": count(
            quarantined_rows,
            quarantined_rows.c.survey_id == survey_id,
            quarantined_rows.c.status == "resolved",
        ),
        "flags": count(response_flags, response_flags.c.survey_id == survey_id),
        "batches": count(import_batches, import_batches.c.survey_id == survey_id),
    }


def list_batches(connection: Connection, survey_id: int) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(import_batches)
        .where(import_batches.c.survey_id == survey_id)
        .order_by(import_batches.c.id)
    )
    return [dict(r._mapping) for r in rows]


def row_digest(data: dict[str, Any], without: Iterable[str] = ()) -> str:
    """The digest of a row's cells as the file has them, leaving out the columns ``without``."""
    left = set(without)
    kept = {k: v for k, v in data.items() if k not in left}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def open_keyless(
    connection: Connection, survey_id: int, key_columns: Iterable[str]
) -> dict[str, list[int]]:
    """Open entries of rows without a form number, by the digest of their other cells: the
    corrected row (the same cells, a form number added) closes them."""
    columns = list(key_columns)
    rows = connection.execute(
        select(quarantined_rows.c.id, quarantined_rows.c.data).where(
            and_(
                quarantined_rows.c.survey_id == survey_id,
                quarantined_rows.c.status == "open",
                quarantined_rows.c.respondent_key.is_(None),
            )
        )
    )
    found: dict[str, list[int]] = {}
    for entry_id, data in rows:
        found.setdefault(row_digest(_loaded(data), columns), []).append(int(entry_id))
    return found


def resolve_entries(connection: Connection, batch_id: int, ids: Iterable[int]) -> int:
    """Mark these open entries resolved by this batch."""
    chosen = sorted(set(ids))
    done = 0
    for start in range(0, len(chosen), 500):
        result = connection.execute(
            update(quarantined_rows)
            .where(
                and_(
                    quarantined_rows.c.id.in_(chosen[start : start + 500]),
                    quarantined_rows.c.status == "open",
                )
            )
            .values(status="resolved", resolved_batch_id=batch_id)
        )
        done += result.rowcount or 0
    return done


DUPLICATE_CODES = frozenset({"ingest.duplicate_id", "ingest.duplicate_respondent"})


def resolve_deleted_duplicates(
    connection: Connection, survey_id: int, batch_id: int, keys: set[str]
) -> int:
    """Close open entries that were only a second copy of a stored form (the same number, or
    the same answers under another number) when the file imported now no longer has them: the
    double entry was deleted, which resolves it."""
    rows = connection.execute(
        select(
            quarantined_rows.c.id, quarantined_rows.c.respondent_key, quarantined_rows.c.reasons
        ).where(
            and_(
                quarantined_rows.c.survey_id == survey_id,
                quarantined_rows.c.status == "open",
                quarantined_rows.c.batch_id != batch_id,
            )
        )
    )
    chosen = []
    for entry_id, key, reasons in rows:
        codes = {r.get("code") for r in (_loaded_list(reasons))}
        if codes and codes <= DUPLICATE_CODES and key is not None and key not in keys:
            chosen.append(int(entry_id))
    return resolve_entries(connection, batch_id, chosen)


def _loaded_list(document: Any) -> list[dict[str, Any]]:
    return list(json.loads(document) if isinstance(document, str) else document)
