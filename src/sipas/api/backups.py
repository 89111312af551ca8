"""Backups and restores of the whole database, for the `backup` and `restore` commands."""

from __future__ import annotations

from pathlib import Path

from sipas.store import backup as store
from sipas.store.backup import BackupSummary, RestoreSummary


def backup_database(url: str, path: Path) -> BackupSummary:
    """A consistent copy of the database at ``url`` in the new file ``path`` (SQLite's online
    backup or ``pg_dump -Fc``), taken while the app goes on writing; rows per table."""
    return store.backup(url, Path(path))


def restore_database(url: str, path: Path) -> RestoreSummary:
    """The backup ``path`` restored into the empty database at ``url``, its rows per table
    checked against the backup's."""
    return store.restore(url, Path(path))
