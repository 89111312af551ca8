"""Survey data in: `sipas validate`, `sipas import`, `sipas xlsform`, `sipas double-entry`,
`sipas quarantine`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sipas.api import ingest as api
from sipas.api.ingest import Progress as ProgressCallback
from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, format_option, to_json

EXIT_INVALID = 1
SHOWN_PROBLEMS = 50

_file = click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
_framework = click.option(
    "--framework", required=True, help="Survey framework: built-in id (sipas-gen2) or YAML file."
)
_period = click.option(
    "--period", help="Fieldwork period START:END (ISO dates); interviews outside it are refused."
)
_report = click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write every problem to this file (.csv, .xlsx or .json).",
)
_limit = click.option(
    "--limit",
    type=click.IntRange(0),
    default=SHOWN_PROBLEMS,
    show_default=True,
    help="Problems shown in the table (0 = all).",
)
_quiet = click.option("--quiet", is_flag=True, help="No progress bar.")
_allow = click.option(
    "--allow-missing-columns",
    "allow_missing",
    help="Answer columns (framework codes, comma-separated) the file may leave out; kept with "
    "the import batch.",
)
_sheet = click.option(
    "--sheet", help="The sheet of a workbook to read (default: the one with the header)."
)
_format = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


@contextmanager
def _progress(disabled: bool) -> Iterator[ProgressCallback]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=disabled,
        transient=True,
    ) as bar:
        task = bar.add_task("rows", total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield update


def _show(report: api.IngestReport, fmt: str, limit: int, report_path: Path | None) -> None:
    if report_path is not None:
        api.write_report(report, report_path)
    if fmt == "json":
        click.echo(to_json(report.to_dict()))
        return
    summary = report.summary()
    counts = summary.pop("problems")
    summary["valid"] = "yes" if summary["valid"] else "no"
    emit([{"": key, "value": value} for key, value in summary.items()], "table", title="file")
    if counts:
        emit([{"problem": k, "count": v} for k, v in counts.items()], "table", title="problems")
    app = click.get_current_context().find_object(AppContext)
    rows = report.table_rows(limit or None, app.settings.lang if app is not None else "en")
    if rows:
        more = len(report.problems) - len(rows)
        title = "details" + (
            f" (first {len(rows)}; {more} more: --limit 0 or --report)" if more > 0 else ""
        )
        emit(rows, "table", title=title)


def _names(text: str | None) -> list[str] | None:
    return [n for n in text.split(",") if n.strip()] if text else None


@click.command("validate")
@_file
@_framework
@_period
@_format
@_limit
@_report
@_quiet
@_sheet
@_allow
def validate_command(
    file: Path,
    framework: str,
    period: str | None,
    fmt: str,
    limit: int,
    report_path: Path | None,
    quiet: bool,
    sheet: str | None,
    allow_missing: str | None,
) -> None:
    """Check FILE against a survey framework and report every problem (nothing is stored).

    Exit code 0 when every row would be accepted, 1 otherwise.
    """
    with _progress(quiet or fmt == "json") as progress:
        report = api.validate_file(
            file,
            framework,
            api.parse_period(period),
            progress,
            sheet=sheet,
            allow_missing=_names(allow_missing),
        )
    _show(report, fmt, limit, report_path)
    if not report.valid:
        sys.exit(EXIT_INVALID)


@click.command("import")
@_file
@_framework
@click.option(
    "--survey", "survey", required=True, help="Survey code to import into (created if new)."
)
@_period
@_format
@_limit
@_report
@_quiet
@_sheet
@_allow
@pass_app
def import_command(
    app: AppContext,
    file: Path,
    framework: str,
    survey: str,
    period: str | None,
    fmt: str,
    limit: int,
    report_path: Path | None,
    quiet: bool,
    sheet: str | None,
    allow_missing: str | None,
) -> None:
    """Import FILE into a survey: accepted rows are stored, the others quarantined with reasons.

    FILE is a .csv, .xlsx, ODK Central export .zip or SPSS .sav file, or odk:FORM_ID to pull the
    form's submissions from the ODK Central server configured for pyodk. Importing a corrected
    file again adds the rows now accepted and never duplicates stored ones.
    """
    db = app.db
    window = api.parse_period(period)
    with _progress(quiet or fmt == "json") as progress:
        if str(file).startswith("odk:"):
            form = str(file).removeprefix("odk:")
            report = api.import_odk(db, form, framework, survey, window, progress=progress)
        else:
            report = api.import_file(
                db,
                file,
                framework,
                survey,
                window,
                progress=progress,
                sheet=sheet,
                allow_missing=_names(allow_missing),
            )
    _show(report, fmt, limit, report_path)
    if fmt != "json" and report.quarantined:
        click.echo(f"quarantined rows and their reasons: sipas quarantine {survey}")


@click.command("xlsform")
@click.argument("name")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
    help="The XLSForm workbook to write (.xlsx).",
)  # fmt: skip
@_format
def xlsform_command(name: str, output: Path, fmt: str) -> None:
    """Export survey framework NAME as an XLSForm for ODK Collect and KoboToolbox."""
    result = api.export_xlsform(name, output)
    if fmt == "json":
        click.echo(to_json(result))
    else:
        emit([result], "table", title="XLSForm")


@click.command("double-entry")
@click.argument("first", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("second", type=click.Path(path_type=Path, dir_okay=False))
@_framework
@format_option
@_report
def double_entry_command(
    first: Path, second: Path, framework: str, fmt: str, report_path: Path | None
) -> None:
    """Compare two clerks' entries of the same forms, field by field (matched by form number)."""
    result = api.double_entry(first, second, framework)
    if report_path is not None:
        api.write_rows(result["details"], report_path)
    if fmt == "json":
        click.echo(to_json(result))
        return
    if fmt == "csv":
        emit(result["details"], "csv")
        return
    summary = {k: v for k, v in result.items() if k not in ("details", "only_in_a", "only_in_b")}
    summary["only_in_first"] = len(result["only_in_a"])
    summary["only_in_second"] = len(result["only_in_b"])
    emit([summary], "table", title="double entry")
    emit(result["details"], "table", title="disagreements")


@click.command("quarantine")
@click.argument("survey")
@click.option(
    "--status", type=click.Choice(["open", "resolved"]), default="open", show_default=True
)
@format_option
@pass_app
def quarantine_command(app: AppContext, survey: str, status: str, fmt: str) -> None:
    """List the quarantined rows of a survey with their reasons."""
    emit(api.quarantine_view(app.db, survey, status), fmt, title=f"quarantined rows ({status})")


# Top-level commands this module contributes; main.py registers each.
COMMANDS: list[click.Command] = [
    validate_command,
    import_command,
    xlsform_command,
    double_entry_command,
    quarantine_command,
]
