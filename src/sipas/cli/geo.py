"""`sipas geo …`: provinces on a date, the 2025 crosswalk, name matching."""

from __future__ import annotations

from datetime import date, datetime

import click

from sipas.api import geo as api
from sipas.cli.output import emit, format_option


class DateType(click.ParamType):  # type: ignore[type-arg]
    name = "DATE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        if isinstance(value, date):
            return value
        try:
            return datetime.strptime(str(value), "%Y-%m-%d").date()
        except ValueError:
            pass
        try:
            return datetime.strptime(str(value), "%d/%m/%Y").date()
        except ValueError:
            self.fail(f"{value!r} is not a date; write 2025-07-01 or 01/07/2025", param, ctx)


@click.group()
def geo() -> None:
    """Administrative geography: 63 provinces until 2025-06-30, 34 from 2025-07-01."""


@geo.command("list")
@click.option(
    "--on", "on", type=DateType(), default=lambda: date.today(), help="Date (default: today)."
)
@format_option
def list_command(on: date, fmt: str) -> None:
    """List the provinces valid on a date."""
    emit(api.list_provinces(on), fmt, title=f"provinces on {on.isoformat()}")


@geo.command("crosswalk")
@click.option(
    "--direction",
    type=click.Choice(["old-to-new", "new-to-old"]),
    default="old-to-new",
    show_default=True,
)
@format_option
def crosswalk_command(direction: str, fmt: str) -> None:
    """The 2025 crosswalk between the 63 and the 34 provinces."""
    emit(api.crosswalk(direction), fmt, title=f"crosswalk {direction}")


@geo.command("match")
@click.argument("name")
@click.option(
    "--on", "on", type=DateType(), default=lambda: date.today(), help="Date (default: today)."
)
@format_option
def match_command(name: str, on: date, fmt: str) -> None:
    """Find the province a typed name means on a date."""
    emit([api.match_name(name, on)], fmt)
