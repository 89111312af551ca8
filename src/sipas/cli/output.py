"""Rendering results for the terminal: one --format option shared by every listing command."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from sipas.text import escape_formula

__all__ = ["FORMATS", "emit", "escape_formula", "format_option", "to_csv", "to_json"]

F = TypeVar("F", bound=Callable[..., Any])
FORMATS = ("table", "json", "csv")


def format_option(function: F) -> F:
    decorator = click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output format.",
    )
    return decorator(function)


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: escape_formula(v) for k, v in row.items()})
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def emit(rows: Sequence[Mapping[str, Any]], fmt: str, title: str | None = None) -> None:
    if fmt == "json":
        click.echo(to_json(list(rows)))
    elif fmt == "csv":
        click.echo(to_csv(rows), nl=False)
    else:
        console = Console(soft_wrap=False)
        if not rows:
            console.print("(none)")
            return
        table = Table(title=title, show_lines=False, header_style="bold")
        for key in rows[0]:
            table.add_column(str(key), overflow="fold")
        for row in rows:
            table.add_row(*(_cell(v) for v in row.values()))
        console.print(table)
