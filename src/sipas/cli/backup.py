"""`sipas backup FILE` and `sipas restore FILE`: the whole database to a file and back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from sipas.api import backups as backups_api
from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, format_option, to_json

if TYPE_CHECKING:
    from sipas.store.backup import BackupSummary, RestoreSummary


def _show(result: BackupSummary | RestoreSummary, fmt: str, title: str) -> None:
    if fmt == "json":
        click.echo(to_json(result))
        return
    rows = [{"table": name, "rows": count} for name, count in result["tables"].items()]
    emit(rows, fmt, title=title)


@click.command("backup")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@format_option
@pass_app
def backup(app: AppContext, file: Path, fmt: str) -> None:
    """Copy the whole database into the new FILE while the app keeps running.

    SQLite: the online backup (a SQLite file). PostgreSQL: `pg_dump -Fc` (the server's own dump
    format; pg_dump must be installed). Prints the rows of each table in the backup.
    """
    url = app.settings.resolved_database_url()
    result = backups_api.backup_database(url, file)
    _show(result, fmt, f"{result['file']} ({result['kind']}, {result['bytes']:,} bytes)")


@click.command("restore")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@format_option
@pass_app
def restore(app: AppContext, file: Path, fmt: str) -> None:
    """Restore the backup FILE into the configured database, which must be empty.

    Afterwards the rows of every table are counted and compared with the backup; the counts are
    printed. PostgreSQL: create the empty database first (`createdb`); pg_restore must be installed.
    """
    url = app.settings.resolved_database_url()  # not app.db: opening would create the tables
    result = backups_api.restore_database(url, file)
    _show(result, fmt, f"{result['database']} ← {result['file']} (rows checked)")
