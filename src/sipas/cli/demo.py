"""`sipas demo`: build the synthetic national data set into the database, with progress."""

from __future__ import annotations

import sys

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from sipas.api import reports as report_api
from sipas.api.demo import DEFAULT_YEARS, DOSSIER_YEAR, DemoOptions, run_demo
from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, to_json
from sipas.cli.serve import serve_app
from sipas.errors import SipasError


def _years(text: str) -> tuple[int, ...]:
    try:
        years = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise SipasError("demo.years_syntax", text=text) from None
    bad = [y for y in years if not 2009 <= y <= 2100]
    if bad or not years:
        raise SipasError("demo.years_range", text=text)
    return years


@click.command()
@click.option("--seed", type=int, default=None, help="Random seed (default: the `seed` setting).")
@click.option(
    "--years",
    default=",".join(str(y) for y in DEFAULT_YEARS),
    show_default=True,
    help="Survey years, comma-separated.",
)
@click.option(
    "--respondents",
    type=click.IntRange(20, 20_000),
    default=580,
    show_default=True,
    help="Respondents per province.",
)
@click.option("--provinces", help="Only these province codes, comma-separated (default: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--serve/--no-serve",
    default=None,
    help="Serve the web app on the demo data afterwards (default: when run in a terminal).",
)
@pass_app
def demo(
    app: AppContext,
    seed: int | None,
    years: str,
    respondents: int,
    provinces: str | None,
    fmt: str,
    quiet: bool,
    serve: bool | None,
) -> None:
    """Build a SYNTHETIC national data set: SIPAS surveys for 2023, 2024 (63 provinces) and
    2025 (34 provinces), and one PAR round, saved to the database (SQLite by default)."""
    options = DemoOptions(
        seed=app.settings.seed if seed is None else seed,
        years=_years(years),
        respondents_per_province=respondents,
        provinces=tuple(p.strip().zfill(2) for p in provinces.split(",")) if provinces else None,
        # where the web app will look for them, whatever the database
        dossier_folder=app.settings.resolved_service_index_data(),
    )
    db = app.db
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=quiet or fmt == "json",
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        summary = run_demo(db, options, progress)
        progress("reports", 0, 1)
        written = report_api.demo_reports(db, app.settings.data_dir / "reports")
        progress("reports", 1, 1)
    if fmt == "json":
        click.echo(to_json({**summary.to_dict(), "reports": [str(p) for p in written]}))
        return
    click.secho(summary.label, bold=True)
    emit(summary.surveys, "table", title="SIPAS surveys (synthetic)")
    emit(
        summary.estimates, "table", title="SIPAS estimates: national mean of provinces (synthetic)"
    )
    if summary.change:
        emit(
            [
                {
                    "from → to": f"{c['from']} → {c['to']}",
                    "scope": c["scope"],
                    "change": "" if c["change"] is None else f"{c['change']:+.2f}",
                    "se": "" if c["se"] is None else f"{c['se']:.2f}",
                    "significant": c["significant"],
                }
                for c in summary.change
            ],
            "table",
            title="Change on the 34 provinces (earlier years re-aggregated from microdata: derived)",
        )
    emit(summary.par, "table", title="PAR rounds (synthetic)")
    if summary.service_index:
        index = summary.service_index
        click.echo(
            f"service index (QĐ 766): {index['dossiers']:,} synthetic dossiers, "
            f"{index['periods']} periods scored, first in {DOSSIER_YEAR}: {index['first']}; "
            f"results in {index['results']}"
        )
    if summary.accounts:
        emit(
            summary.accounts,
            "table",
            title="accounts of the web app (passwords shown once; run the demo again for new ones)",
        )
    click.echo(f"database: {summary.database}  (seed {summary.seed})")
    click.echo("reports: " + ", ".join(str(p) for p in written))
    click.echo("next: sipas results list · sipas results show demo-sipas-2025 --level index")
    if serve is None:
        serve = sys.stdin.isatty() and sys.stdout.isatty()
    if serve:
        serve_app(app)
    else:
        click.echo("serve the web app on these data: sipas serve")
