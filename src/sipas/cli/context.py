"""What every command shares: the effective settings and, on demand, the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


ACTOR = "actor"  # where a command group keeps who acts: --as, --role, --province


def remember_actor(
    ctx: click.Context, name: str | None, role: str | None, province: str | None
) -> None:
    """Keep the acting user a command group was given, for its subcommands."""
    ctx.find_root().meta[ACTOR] = {"name": name, "role": role, "province": province}


def acting_actor(ctx: click.Context) -> Any:
    """The user a command acts as: the group's --as/--role/--province, by default the login
    name as admin (the local operator)."""
    import getpass

    from sipas.api.par import Actor

    options = ctx.find_root().meta.get(ACTOR, {})
    return Actor(
        options.get("name") or getpass.getuser() or "cli",
        options.get("role") or "admin",
        options.get("province"),
    )
