"""`sipas backup` and `sipas restore` on real SQLite files and a real PostgreSQL server.

A writer keeps adding accounts while the backup is taken, each account and its audit row in one
transaction: a consistent backup holds exactly as many of the writer's accounts as of its audit
rows. The restore goes into an empty database and its counts are checked and printed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from servers import fresh_postgres_database
from sipas.api import backups
from sipas.errors import SipasError
from sipas.store import Database, open_database


def _write_pair(db: Database, i: int) -> None:
    now = datetime.now(UTC)
    with db.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (name, display_name, role, password_hash, active, "
                "session_epoch, created_at) VALUES (:n, '', 'clerk', 'x', :a, 0, :t)"
            ),
            {"n": f"writer{i}", "a": True, "t": now},
        )
        connection.execute(
            sa.text(
                "INSERT INTO audit_log (at, actor, action, entity, entity_id) "
                "VALUES (:t, 'writer', 'user.create', 'user', :n)"
            ),
            {"n": f"writer{i}", "t": now},
        )


@contextmanager
def writing(db: Database) -> Iterator[list[int]]:
    """A thread writing pairs (account + audit row) until the block ends; yields the count."""
    done = threading.Event()
    written = [0]

    def run() -> None:
        while not done.is_set():
            _write_pair(db, written[0])
            written[0] += 1

    thread = threading.Thread(target=run)
    thread.start()
    try:
        while written[0] < 20:  # the writer is under way before the backup starts
            done.wait(0.01)
        yield written
    finally:
        done.set()
        thread.join()


def _pairs(url: str) -> tuple[int, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            users = connection.execute(
                sa.text("SELECT count(*) FROM users WHERE name LIKE 'writer%'")
            ).scalar_one()
            audits = connection.execute(
                sa.text("SELECT count(*) FROM audit_log WHERE actor = 'writer'")
            ).scalar_one()
    finally:
        engine.dispose()
    return int(users), int(audits)


def _backup_restore(source_url: str, target_url: str, file: Path) -> None:
    db = open_database(source_url)
    try:
        for i in range(5):
            _write_pair(db, 10_000 + i)
        with writing(db) as written:
            made = backups.backup_database(source_url, file)
        assert written[0] > 20
    finally:
        db.close()
    users, audits = made["tables"]["users"], made["tables"]["audit_log"]
    assert users == audits  # each pair whole, or not at all
    assert users >= 25
    assert made["tables"]["alembic_version"] == 1

    restored = backups.restore_database(target_url, file)
    assert restored["tables"] == made["tables"]
    assert _pairs(target_url) == (users, audits)
    # The restored database opens (and is at the newest schema) like any other.
    reopened = open_database(target_url)
    reopened.close()

    # A second restore into the same (now full) database is refused, and changes nothing.
    with pytest.raises(SipasError) as refused:
        backups.restore_database(target_url, file)
    assert refused.value.code == "backup.not_empty"
    assert _pairs(target_url) == (users, audits)


def test_sqlite_backup_while_writing_and_restore(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'live.db'}"
    target = f"sqlite:///{tmp_path / 'restored' / 'new.db'}"
    _backup_restore(source, target, tmp_path / "sipas.backup")
    with (tmp_path / "sipas.backup").open("rb") as handle:
        assert handle.read(16) == b"SQLite format 3\x00"


def test_postgres_backup_while_writing_and_restore(tmp_path: Path) -> None:
    source, drop_source = fresh_postgres_database("sipas_backup_src")
    try:
        target, drop_target = fresh_postgres_database("sipas_backup_dst")
        try:
            _backup_restore(source, target, tmp_path / "sipas.dump")
            with (tmp_path / "sipas.dump").open("rb") as handle:
                assert handle.read(5) == b"PGDMP"
        finally:
            drop_target()
    finally:
        drop_source()


def test_cli_backup_and_restore_print_the_counts(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    live = f"sqlite:///{tmp_path / 'live.db'}"
    assert run_cli("--database-url", live, "users", "list").exit_code == 0
    made = run_cli("--database-url", live, "backup", str(tmp_path / "b.db"), "--format", "json")
    assert made.exit_code == 0, made.output
    tables = json.loads(made.output)["tables"]
    assert tables["alembic_version"] == 1

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    restored = run_cli("--database-url", fresh, "restore", str(tmp_path / "b.db"))
    assert restored.exit_code == 0, restored.output
    assert "alembic_version" in restored.output and "users" in restored.output

    again = run_cli("--lang", "en", "--database-url", live, "backup", str(tmp_path / "b.db"))
    assert again.exit_code == 1
    assert "never overwrites" in again.output and "[backup.exists]" in again.output
    full = run_cli("--database-url", fresh, "restore", str(tmp_path / "b.db"))
    assert full.exit_code == 1
    assert "chỉ khôi phục vào cơ sở dữ liệu trống" in full.output
    (tmp_path / "page.html").write_text("<html>%PDF</html>")
    wrong = run_cli("--database-url", fresh, "restore", str(tmp_path / "page.html"))
    assert "[backup.not_a_backup]" in wrong.output


def test_a_sqlite_backup_is_not_restored_into_postgres(tmp_path: Path) -> None:
    live = f"sqlite:///{tmp_path / 'live.db'}"
    open_database(live).close()
    backups.backup_database(live, tmp_path / "b.db")
    with pytest.raises(SipasError) as refused:
        backups.restore_database("postgresql+psycopg://postgres@127.0.0.1:1/x", tmp_path / "b.db")
    assert refused.value.code == "backup.kind_mismatch"
