"""`sipas published …`: the ministry's published results in and out (a mirror of
sipas.api.published)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import click

from sipas.api import published as api
from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import FORMATS, emit, format_option, to_csv, to_json


@click.group()
def published() -> None:
    """Official published results (Kết quả công bố): import, list, show, export."""


@published.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--index", "index", help="sipas, par, service-766 or a framework id (else the title)."
)
@click.option("--year", type=int, help="The year the results are of (else the title).")
@click.option("--source", help="Where the table comes from (URL, or document and page).")
@format_option
@pass_app
def import_command(
    app: AppContext, file: Path, index: str | None, year: int | None, source: str | None, fmt: str
) -> None:
    """Import a published table (the ministry's annex layout or a long CSV), all or nothing."""
    result = api.import_file(
        app.db, file, index, year, source, imported_by=getpass.getuser() or "cli"
    )
    if fmt == "json":
        click.echo(to_json(result.to_dict()))
        return
    emit(result.tables, fmt, title=f"{result.file}: {result.stored} figures stored")


@published.command("list")
@format_option
@pass_app
def list_command(app: AppContext, fmt: str) -> None:
    """Every published table: built in and imported."""
    emit(api.list_published(app.db), fmt, title="published results")


def _unit_rows(table: api.PublishedTable, lang: str) -> list[dict[str, Any]]:
    rows = []
    for u in table.units:
        rows.append(
            {
                "unit": u.unit,
                "name": u.name,
                "value": u.value,
                "rank": u.rank,
                "group": u.group,
                "change": u.change,
                "rank_change": u.rank_change,
                "rank_change_text": (u.rank_change_text or {}).get(lang),
                "source": u.source,
                "report": u.report,
                "origin": u.origin,
            }
        )
    return rows


def _short(source: str) -> str:
    """A URL's host (the full address is in --format json and csv)."""
    return source.split("/")[2] if source.startswith("http") and source.count("/") >= 2 else source


def _narrow(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The table a terminal shows: no empty columns, sources by host."""
    keep = [k for k in rows[0] if k != "rank_change" and any(r[k] for r in rows)] if rows else []
    if rows and not any(r["origin"] != "builtin" for r in rows):
        keep = [k for k in keep if k != "origin"]
    return [{k: _short(r[k]) if k == "source" else r[k] for k in keep} for r in rows]


@published.command("show")
@click.argument("index")
@click.option("--year", type=int, required=True, help="The year.")
@click.option("--unit", help="A province code or name, or a ministry code (default: all).")
@format_option
@pass_app
def show_command(app: AppContext, index: str, year: int, unit: str | None, fmt: str) -> None:
    """A published table, or one unit of it, with change and rank change on the previous year."""
    table = api.show(app.db, index, year, unit)
    if fmt == "json":
        click.echo(to_json(table.to_dict()))
        return
    lang = app.settings.lang
    rows = _unit_rows(table, lang)
    if fmt == "csv":
        click.echo(to_csv(rows), nl=False)
        return
    emit(_narrow(rows, lang), fmt, title=f"{index} {year}")
    nationals = [
        {
            "unit": a.unit,
            "node": a.node,
            "value": a.value,
            "change": a.change,
            "label": a.label,
            "source": _short(a.source),
        }
        for a in table.national
    ]
    if nationals:
        emit(nationals, fmt, title="published means")
    computed = [
        {
            "kind": c.kind,
            "mean": c.value,
            "units": f"{c.with_value}/{c.expected or c.units}",
            "label": c.label,
            "groups": ", ".join(f"{k}: {v}" for k, v in c.groups.items()),
            "above_80": c.above_80,
        }
        for c in table.computed
    ]
    if computed and unit is None:
        emit(computed, fmt, title="computed from the table")


@published.command("export")
@click.option("--index", "index", help="Only this index.")
@click.option("--year", type=int, help="Only this year.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to a file.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f for f in FORMATS if f != "table"]),
    default="csv",
    show_default=True,
    help="Output format.",
)
@pass_app
def export_command(
    app: AppContext, index: str | None, year: int | None, output: Path | None, fmt: str
) -> None:
    """Every figure in the long layout that `sipas published import` reads back."""
    rows = api.export(app.db, index, year)
    text = to_json(rows) if fmt == "json" else to_csv(rows)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(rows)} figures written to {output}")
