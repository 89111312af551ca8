"""`sipas report …`: national, province, PAR national and PAR appraisal reports as PDF, HTML or
Excel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sipas.api import reports as api
from sipas.cli.context import AppContext, pass_app

F = TypeVar("F", bound=Callable[..., Any])


def _common(function: F) -> F:
    for decorator in reversed(
        (
            click.option(
                "--lang",
                type=click.Choice(["vi", "en"]),
                default=None,
                help="Language of the report (default: the lang setting).",
            ),
            click.option(
                "--format",
                "fmt",
                type=click.Choice(api.FORMATS),
                default="pdf",
                show_default=True,
                help="File format.",
            ),
            click.option(
                "-o",
                "--output",
                type=click.Path(path_type=Path, dir_okay=False),
                help="File to write (default: a name from the report, in this folder).",
            ),
        )
    ):
        function = decorator(function)
    return function


def _year_options(function: F) -> F:
    for decorator in reversed(
        (
            click.option("--year", type=int, help="Survey year (its saved estimation run)."),
            click.option("--run", help="A saved estimation run, instead of --year."),
            click.option(
                "--par",
                "par_campaign",
                help="PAR campaign to include (default: the year's final campaign, if one).",
            ),
        )
    ):
        function = decorator(function)
    return function


@click.group()
def report() -> None:
    """Reports for the Government and for each province: PDF, HTML or Excel."""


@report.command("national")
@_year_options
@_common
@click.option(
    "--sensitivity/--no-sensitivity",
    default=True,
    show_default=True,
    help="Include the method sensitivity of the ranks (seeded draws; the slowest part).",
)
@pass_app
def national(
    app: AppContext,
    year: int | None,
    run: str | None,
    par_campaign: str | None,
    lang: str | None,
    fmt: str,
    output: Path | None,
    sensitivity: bool,
) -> None:
    """The national report: ranking with confidence and rank intervals, groups, regions,
    elements, change on the previous year, how firm the ranks are against method choices, a
    glossary and the methodology annex."""
    path = api.national_report(
        app.db,
        output,
        fmt=fmt,
        year=year,
        run=run,
        lang=lang or app.settings.lang,
        par_campaign=par_campaign,
        sensitivity=sensitivity,
    )
    click.echo(str(path))


@report.command("province")
@click.argument("code")
@_year_options
@_common
@pass_app
def province(
    app: AppContext,
    code: str,
    year: int | None,
    run: str | None,
    par_campaign: str | None,
    lang: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """A province's report (CODE as in `sipas geo list`): its SIPAS and PAR results, every
    element against the national mean, strengths and weaknesses, trend and what to improve first."""
    path = api.province_report(
        app.db,
        code,
        output,
        fmt=fmt,
        year=year,
        run=run,
        lang=lang or app.settings.lang,
        par_campaign=par_campaign,
    )
    click.echo(str(path))


@report.command("provinces")
@_year_options
@click.option("--lang", type=click.Choice(["vi", "en"]), default=None, help="Language.")
@click.option("--format", "fmt", type=click.Choice(api.FORMATS), default="pdf", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    help="Folder to write into.",
)
@pass_app
def provinces(
    app: AppContext,
    year: int | None,
    run: str | None,
    par_campaign: str | None,
    lang: str | None,
    fmt: str,
    output: Path,
) -> None:
    """Every province's report of a year, one file each, into a folder."""
    paths = api.all_province_reports(
        app.db,
        output,
        fmt=fmt,
        year=year,
        run=run,
        lang=lang or app.settings.lang,
        par_campaign=par_campaign,
    )
    click.echo(f"{len(paths)} reports in {output}")


@report.command("appraisal")
@click.argument("campaign")
@click.option("--unit", required=True, help="The unit (province code or unit code).")
@_common
@pass_app
def appraisal(
    app: AppContext,
    campaign: str,
    unit: str,
    lang: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """The PAR appraisal report of one unit: per area and criterion, the self-score, each
    appraisal, the final points and the reasons for every change."""
    path = api.appraisal_report(
        app.db, campaign, unit, output, fmt=fmt, lang=lang or app.settings.lang
    )
    click.echo(str(path))


@report.command("par")
@click.argument("campaign")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File to write: .pdf, .html or .xlsx (default: a PDF named from the campaign).",
)
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default=None,
    help="Language of the report (default: the lang setting).",
)
@pass_app
def par(app: AppContext, campaign: str, output: Path | None, lang: str | None) -> None:
    """The national PAR INDEX report of a final CAMPAIGN: ranking of every unit, groups, change
    on the previous round, and each area's best unit and national mean."""
    path = api.par_report(app.db, campaign, output, lang=lang or app.settings.lang)
    click.echo(str(path))
