"""Backups of a whole database, and restoring one into an empty database.

SQLite: the online backup API of SQLite copies every page in one step inside one read
transaction, so the copy is a consistent state of the file while the app goes on writing (WAL
lets writers continue during the copy). PostgreSQL: the server's own tools, ``pg_dump -Fc`` (one
snapshot: a consistent state while the app writes) and ``pg_restore``.

A restore goes only into an empty database (no tables), and afterwards the rows of every table in
the database are counted and compared with the rows the backup holds; any difference is an error.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, TypedDict

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from sipas.errors import SipasError

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"
_COPY = re.compile(r'^COPY (?:"?[^". ]+"?\.)?"?([^" (]+)"? \(.*\) FROM stdin;$')


class BackupSummary(TypedDict):
    """What a backup wrote: the file, its kind, the database it copied and rows per table."""

    file: str
    kind: str
    database: str
    bytes: int
    tables: dict[str, int]


class RestoreSummary(TypedDict):
    """What a restore read back: the file, its kind, the database and rows per table checked."""

    file: str
    kind: str
    database: str
    tables: dict[str, int]


def _url(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise SipasError("backup.bad_url", url=url) from None


def _display(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def kind_of_file(path: Path) -> str:
    """``sqlite`` or ``postgresql`` by the file's first bytes (a backup of either kind)."""
    if not path.is_file():
        raise SipasError("backup.missing", file=str(path))
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_CUSTOM_HEADER):
        return "postgresql"
    raise SipasError("backup.not_a_backup", file=str(path))


def _sqlite_path(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise SipasError("backup.memory_database", url=_display(url))
    return Path(url.database).expanduser()


def _libpq(url: URL) -> str:
    """The URL as libpq's tools read it (no SQLAlchemy driver name, no password: that goes in
    the environment, not on a command line other users of the machine can read)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _tool_env(url: URL | None) -> dict[str, str]:
    env = dict(os.environ)
    if url is not None and url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SipasError("backup.tool_missing", tool=name)
    return found


def _run(args: list[str], tool: str, url: URL) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=_tool_env(url))
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise SipasError("backup.tool_failed", tool=tool, said=said[-1] if said else "")


def _fresh(path: Path) -> None:
    if path.exists():
        raise SipasError("backup.exists", file=str(path))
    if not path.parent.is_dir():
        raise SipasError("backup.no_folder", folder=str(path.parent))


# --- counting rows ---------------------------------------------------------------------------


def _sqlite_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {
        name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
        for name in names
    }


@contextmanager
def _pg(url: URL) -> Iterator[Any]:
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            yield connection
    except OperationalError as exc:
        raise SipasError("backup.unreachable", url=_display(url), said=str(exc.orig)) from None
    finally:
        engine.dispose()


def _pg_counts(url: URL) -> dict[str, int]:
    with _pg(url) as connection:
        names = [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
                    "ORDER BY table_name"
                )
            )
        ]
        return {
            name: int(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in names
        }


def dump_counts(path: Path) -> dict[str, int]:
    """Rows per table in a ``pg_dump -Fc`` file, read from its data (one COPY line a row)."""
    process = subprocess.Popen(
        [_tool("pg_restore"), "--data-only", "-f", "-", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    counts: dict[str, int] = {}
    table: str | None = None
    for raw in process.stdout:
        if table is None:
            if raw.startswith(b"COPY "):
                found = _COPY.match(raw.decode("utf-8", "replace").rstrip("\n"))
                if found:
                    table = found.group(1)
                    counts[table] = 0
        elif raw == b"\\.\n":
            table = None
        else:
            counts[table] += 1
    _, error = process.communicate()
    if process.returncode != 0:
        said = error.decode("utf-8", "replace").strip().splitlines()
        raise SipasError("backup.tool_failed", tool="pg_restore", said=said[-1] if said else "")
    return dict(sorted(counts.items()))


def counts_in_backup(path: Path) -> dict[str, int]:
    """Rows per table that a backup file holds."""
    if kind_of_file(path) == "sqlite":
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            return _sqlite_counts(connection)
    return dump_counts(path)


# --- backup ----------------------------------------------------------------------------------


def backup(url: str, path: Path) -> BackupSummary:
    """Write a consistent copy of the database at ``url`` to the new file ``path``."""
    parsed = _url(url)
    path = Path(path)
    _fresh(path)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    kind = parsed.get_backend_name()
    try:
        if kind == "sqlite":
            source_path = _sqlite_path(parsed)
            if not source_path.is_file():
                raise SipasError("backup.unreachable", url=_display(parsed), said="no such file")
            with (
                closing(sqlite3.connect(source_path, timeout=30)) as source,
                closing(sqlite3.connect(partial)) as target,
            ):
                source.backup(target)  # every page in one step: one consistent state
                target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                counts = _sqlite_counts(target)
        elif kind == "postgresql":
            _run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    "--file",
                    str(partial),
                    "--dbname",
                    _libpq(parsed),
                ],
                "pg_dump",
                parsed,
            )
            counts = dump_counts(partial)
        else:
            raise SipasError("backup.unsupported", dialect=kind)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return {
        "file": str(path),
        "kind": kind,
        "database": _display(parsed),
        "bytes": path.stat().st_size,
        "tables": counts,
    }


# --- restore ---------------------------------------------------------------------------------


def _check_counts(expected: dict[str, int], found: dict[str, int]) -> None:
    wrong = [
        f"{name}: {expected.get(name)} → {found.get(name)}"
        for name in sorted(set(expected) | set(found))
        if expected.get(name) != found.get(name)
    ]
    if wrong:
        raise SipasError("backup.counts_differ", tables=wrong)


def restore(url: str, path: Path) -> RestoreSummary:
    """Restore the backup ``path`` into the empty database at ``url``; the rows of every table
    are then counted and checked against the backup."""
    parsed = _url(url)
    path = Path(path)
    kind = kind_of_file(path)
    target_kind = parsed.get_backend_name()
    if kind != target_kind:
        raise SipasError(
            "backup.kind_mismatch", file=str(path), kind=kind, target=target_kind or ""
        )
    expected = counts_in_backup(path)
    if kind == "sqlite":
        target_path = _sqlite_path(parsed)
        if target_path.exists() and target_path.stat().st_size > 0:
            with closing(sqlite3.connect(target_path)) as connection:
                if _sqlite_counts(connection):
                    raise SipasError("backup.not_empty", url=_display(parsed))
        target_path.parent.mkdir(parents=True, exist_ok=True)
        with (
            closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as source,
            closing(sqlite3.connect(target_path)) as target,
        ):
            checked = source.execute("PRAGMA quick_check").fetchone()[0]
            if checked != "ok":
                raise SipasError("backup.damaged", file=str(path), said=str(checked))
            source.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
            found = _sqlite_counts(target)
    else:
        if _pg_counts(parsed):
            raise SipasError("backup.not_empty", url=_display(parsed))
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                _libpq(parsed),
                str(path),
            ],
            "pg_restore",
            parsed,
        )
        found = _pg_counts(parsed)
    _check_counts(expected, found)
    return {
        "file": str(path),
        "kind": kind,
        "database": _display(parsed),
        "tables": found,
    }
