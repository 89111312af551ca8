"""What every command shares: the effective settings and, on demand, the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from sipas.settings import Settings
from sipas.store import Database, open_database


@dataclass
class AppContext:
    settings: Settings
    config_path: Path | None = None
    _db: Database | None = field(default=None, repr=False)

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = open_database(self.settings.resolved_database_url())
        return self._db


pass_app = click.make_pass_decorator(AppContext)
