"""What every command shares: the effective settings and, on demand, the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # imported when first used: commands that need no database load none of it
    from sipas.settings import Settings
    from sipas.store import Database


@dataclass
class AppContext:
    settings: Settings
    config_path: Path | None = None
    _db: Database | None = field(default=None, repr=False)

    @property
    def db(self) -> Database:
        if self._db is None:
            from sipas.store import open_database

            self._db = open_database(self.settings.resolved_database_url())
        return self._db


pass_app = click.make_pass_decorator(AppContext)
