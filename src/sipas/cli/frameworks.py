"""`sipas frameworks …`: list, show, validate, export and import index frameworks."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from sipas.api import frameworks as api
from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, format_option, to_json


@click.group()
def frameworks() -> None:
    """Index frameworks (SIPAS surveys, PAR trees) as data."""


@frameworks.command("list")
@format_option
@pass_app
def list_command(app: AppContext, fmt: str) -> None:
    """List the built-in frameworks."""
    emit(api.list_frameworks(app.settings.lang), fmt, title="frameworks")


ITEMS_HELP = "Items file (CSV or YAML) replacing the one the framework's items_file names."


@frameworks.command("show")
@click.argument("name")
@click.option("--items", type=click.Path(path_type=Path, dir_okay=False), help=ITEMS_HELP)
@format_option
@pass_app
def show_command(app: AppContext, name: str, items: Path | None, fmt: str) -> None:
    """Show a framework (built-in id or YAML file): identity, rules and tree."""
    shown = api.show_framework(name, app.settings.lang, items)
    if fmt == "json":
        click.echo(to_json(shown))
        return
    click.echo(f"{shown['id']} ({shown['kind']}, version {shown['version']}): {shown['title']}")
    if shown["provisional"]:
        click.echo("PROVISIONAL: some values are not official; see the file's notes.")
    emit(shown["tree"], fmt)
    kind_own: Mapping[str, Any] = shown  # what a survey or a PAR framework adds
    for found in kind_own.get("items_files", []):
        click.echo(
            f"items of {found['node']} read from {found['file']}: {', '.join(found['items'])}"
        )
    for gap in kind_own.get("scoring_gaps", []):
        click.echo(f"not yet scorable: {gap}")


@frameworks.command("validate")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--items", type=click.Path(path_type=Path, dir_okay=False), help=ITEMS_HELP)
@format_option
def validate_command(file: Path, items: Path | None, fmt: str) -> None:
    """Check a framework file (YAML, or .xlsx in the ministry's layout); exit 1 if invalid."""
    result = api.validate_framework(file, items)
    if fmt == "json":
        click.echo(to_json(result))
    else:
        rows = [
            {
                "severity": p["severity"],
                "where": p["path"],
                "rule": p["rule"],
                "problem": p["message"],
            }
            for p in result["problems"]
        ]
        if rows:
            emit(rows, fmt)
        verdict = "valid" if result["valid"] else "INVALID"
        click.echo(
            f"{file}: {verdict} — {result['errors']} error(s), {result['warnings']} warning(s)"
        )
        for gap in result.get("scoring_gaps", []):
            click.echo(f"not yet scorable: {gap}")
    if not result["valid"]:
        sys.exit(1)


@frameworks.command("export")
@click.argument("name")
@click.option(
    "--format", "fmt", type=click.Choice(["yaml", "xlsx"]), default="yaml", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="File to write."
)
def export_command(name: str, fmt: str, output: Path | None) -> None:
    """Write a framework as YAML, or a PAR framework as .xlsx in the ministry's layout."""
    data = api.export_framework(name, fmt)  # type: ignore[arg-type]
    if output is None and fmt == "xlsx":
        output = Path(f"{Path(name).stem}.xlsx")
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    output.write_bytes(data)
    click.echo(f"wrote {output}", err=True)


@frameworks.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--id", "framework_id", help="Id to give the framework (default: from the file).")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="YAML file to write."
)
def import_command(file: Path, framework_id: str | None, output: Path | None) -> None:
    """Convert a PAR framework in the ministry's Excel layout to a YAML framework file."""
    text, report = api.import_framework_xlsx(file, framework_id)
    for problem in report["problems"]:
        click.echo(f"{problem['severity']}: {problem['path']}: {problem['message']}", err=True)
    if not report["valid"]:
        click.echo(f"{file}: INVALID — {report['errors']} error(s)", err=True)
        sys.exit(1)
    if output is None:
        click.echo(text.decode("utf-8"), nl=False)
    else:
        output.write_bytes(text)
        click.echo(f"wrote {output}", err=True)
