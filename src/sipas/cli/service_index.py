"""The service-quality index (QĐ 766): `sipas dossiers …` and `sipas service-index …`."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from sipas.api import service_index as api
from sipas.cli.output import emit, format_option, to_json

EXIT_INVALID = 1
SHOWN_PROBLEMS = 50

_data = click.option(
    "--data",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Dataset folder (dossiers/, complaints/, supplements/, catalogue.parquet).",
)
_out = click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Results folder (default: DATA/results).",
)
_framework = click.option(
    "--framework", default="service-766", show_default=True, help="Built-in id or YAML file."
)
_engine = click.option(
    "--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True
)
_master = click.option(
    "--master",
    default=None,
    help="Spark master URL, e.g. spark://host:7077, yarn, k8s://https://host:6443 "
    "(default: the spark_master setting, else local[*]).",
)


def _spark_master(master: str | None) -> str | None:
    """``--master``, else the ``spark_master`` setting."""
    if master:
        return master
    from sipas.cli.context import AppContext

    app = click.get_current_context().find_object(AppContext)
    return app.settings.spark_master if app is not None else None


def _progress(message: str) -> None:
    """sipas's own progress, on stderr (none with ``--format json``: the output is the result)."""
    click.echo(f"… {message}", err=True)


def _day(_: Any, __: Any, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


COMMANDS: list[click.Command] = []


@click.group()
def dossiers() -> None:
    """Hồ sơ TTHC / administrative-procedure dossiers: synthetic data, checks, new days."""


@dossiers.command("generate")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("--dossiers", "count", type=click.IntRange(1), default=100_000, show_default=True)
@click.option("--start", callback=_day, default="2025-01-01", show_default=True)
@click.option("--end", callback=_day, default="2025-12-31", show_default=True)
@click.option("--seed", type=int, default=20241, show_default=True)
@click.option(
    "--communes", type=click.IntRange(1), default=20, show_default=True, help="Per province."
)
@click.option(
    "--invalid-rows", type=click.IntRange(0), default=0, help="Rows made wrong on purpose."
)
@format_option
def generate_command(
    out: Path,
    count: int,
    start: date,
    end: date,
    seed: int,
    communes: int,
    invalid_rows: int,
    fmt: str,
) -> None:
    """Write a SYNTHETIC national dossier dataset (partitioned Parquet) into OUT."""
    summary = api.generate_dossiers(
        out,
        dossiers=count,
        start=start,
        end=end,
        seed=seed,
        communes=communes,
        invalid_rows=invalid_rows,
    )
    if fmt == "json":
        click.echo(to_json(summary))
        return
    shown = {k: v for k, v in summary.items() if k not in {"design", "note"}}
    emit([shown], fmt, title="synthetic dossiers (SYNTHETIC)")


@dossiers.command("validate")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@_data
@click.option(
    "--report", type=click.Path(path_type=Path, dir_okay=False), help="Write every problem (CSV)."
)
@click.option("--limit", type=click.IntRange(0), default=SHOWN_PROBLEMS, show_default=True)
@format_option
def validate_command(file: Path, data: Path, report: Path | None, limit: int, fmt: str) -> None:
    """Check FILE (.parquet, .csv, .jsonl) row by row against the dataset's catalogue.

    Exit code 0 when every row is valid, 1 otherwise.
    """
    result = api.validate_dossiers(file, data, report=report)
    if fmt == "json":
        click.echo(to_json(result))
    else:
        problems = result["problems"]
        emit([{k: v for k, v in result.items() if k != "problems"}], fmt, title="file")
        shown = problems[: limit or None]
        if shown:
            emit(
                [{k: v for k, v in p.items() if k != "hint"} for p in shown], fmt, title="problems"
            )
    if result["rows_with_problems"]:
        sys.exit(EXIT_INVALID)


@dossiers.command("append")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@_data
@_out
@_framework
@_engine
@_master
@format_option
def append_command(
    file: Path,
    data: Path,
    out: Path | None,
    framework: str,
    engine: str,
    master: str | None,
    fmt: str,
) -> None:
    """Add FILE's dossiers (e.g. one day) and recompute only the stored periods they touch."""
    result = api.append_dossiers(
        file,
        data,
        engine=engine,
        master=_spark_master(master),
        framework=framework,
        out=out,
        progress=None if fmt == "json" else _progress,
    )
    if fmt == "json":
        click.echo(to_json(result))
        return
    emit(
        [
            {
                "rows": result["rows"],
                "recomputed": ", ".join(result["recomputed"]) or "-",
                "added to stored sums": ", ".join(result["added"]) or "-",
                "untouched": len(result["untouched"]),
            }
        ],
        fmt,
    )


@click.group("service-index")
def service_index() -> None:
    """Chỉ số phục vụ (QĐ 766) / service-quality index from dossier records."""


@service_index.command("compute")
@_data
@click.option("--period", required=True, help="2025-07, 2025-Q3 or 2025.")
@click.option(
    "--each", type=click.Choice(["month", "quarter", "year"]), help="Score each sub-period."
)
@_engine
@_master
@click.option("--threads", type=click.IntRange(1), default=None, help="DuckDB threads.")
@click.option(
    "--procedures/--no-procedures",
    default=False,
    show_default=True,
    help="Drill down by procedure on every indicator (more memory, larger results); "
    "by default the procedure indicators and dossier counts per procedure.",
)
@_framework
@_out
@format_option
def compute_command(
    data: Path,
    period: str,
    each: str | None,
    engine: str,
    master: str | None,
    threads: int | None,
    procedures: bool,
    framework: str,
    out: Path | None,
    fmt: str,
) -> None:
    """Score every agency and unit for PERIOD and store the results."""
    result = api.compute_service_index(
        data,
        period,
        each=each,
        engine=engine,
        master=_spark_master(master),
        framework=framework,
        out=out,
        threads=threads,
        procedures=procedures,
        progress=None if fmt == "json" else _progress,
    )
    if fmt == "json":
        click.echo(to_json(result))
        return
    emit(result["agencies"], fmt, title=f"service index ({engine}, {result['seconds']} s)")
    excluded = sum(result["excluded_rows"].values())
    if fmt == "table":
        click.echo(f"rows excluded by the checks: {excluded}; results in {result['results']}")


@service_index.command("results")
@_data
@click.option("--period", required=True, help="2025-07, 2025-Q3 or 2025.")
@click.option("--level", type=click.Choice(["agency", "unit"]), default="agency", show_default=True)
@click.option("--agency", default=None, help="Only the units of this agency (with --level unit).")
@click.option("--unit", default=None, help="One agency's or unit's indicators.")
@click.option("--by-procedure", is_flag=True, help="With --unit: drill down by procedure.")
@_framework
@_out
@format_option
def results_command(
    data: Path,
    period: str,
    level: str,
    agency: str | None,
    unit: str | None,
    by_procedure: bool,
    framework: str,
    out: Path | None,
    fmt: str,
) -> None:
    """Stored results: a ranking, one unit's indicators, or its drill-down by procedure."""
    rows = api.service_index_results(
        data,
        period,
        level=level,
        agency=agency,
        unit=unit,
        by_procedure=by_procedure,
        framework=framework,
        out=out,
    )
    emit(rows, fmt)
    if by_procedure and fmt == "table" and not api.procedure_detail(data, period, framework, out):
        click.echo(
            "this period was computed without the dossier indicators by procedure: "
            "run `sipas service-index compute … --procedures` for them"
        )


COMMANDS.extend([dossiers, service_index])
