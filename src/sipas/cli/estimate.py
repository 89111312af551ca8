"""`sipas estimate`, `sipas results …` and `sipas change`: estimates with their uncertainty."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sipas.api import estimation as api
from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, format_option, to_json
from sipas.errors import SipasError

UNAVAILABLE = "n/a"  # no standard error, so no interval


def _number(value: Any, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _interval(low: Any, high: Any, digits: int = 2) -> str:
    if low is None or high is None:
        return ""
    return f"{low:.{digits}f}–{high:.{digits}f}" if digits else f"{int(low)}–{int(high)}"


def _estimate_row(row: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"cell": row["cell"]}
    if row.get("name"):
        shown["name"] = row["name"]
    shown["indicator"] = row["indicator"]
    shown["estimate"] = _number(row["estimate"])
    # An estimate without a standard error (e.g. a cell wholly in single-PSU strata) says so.
    missing = UNAVAILABLE if row["estimate"] is not None and row["se"] is None else ""
    shown["95% CI"] = _interval(row["ci_low"], row["ci_high"]) or missing
    shown["se"] = _number(row["se"]) or missing
    shown["n"] = row["n"]
    shown["deff"] = _number(row["deff"], 1)
    if row.get("rank") is not None:
        interval = _interval(row["rank_low"], row["rank_high"], 0) or UNAVAILABLE
        shown["rank"] = f"{int(row['rank'])} ({interval})"
    shown["unstable"] = bool(row["unstable"])
    return shown


def _estimate_tables(rows: list[dict[str, Any]]) -> None:
    """One table per partition (units, national, each domain), so each fits a terminal."""
    partitions: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        partitions.setdefault(row["partition"], []).append(_estimate_row(row))
    for partition, shown in partitions.items():
        if not any("rank" in r for r in shown):
            for r in shown:
                r.pop("rank", None)
        keys = list(dict.fromkeys(k for r in shown for k in r))
        emit([{k: r.get(k, "") for k in keys} for r in shown], "table", title=partition)


def _interval_chart(low: Any, point: Any, high: Any, scale: tuple[float, float]) -> str:
    """The confidence interval as a line on a common scale: ──●── (wider = less certain)."""
    if low is None or point is None or high is None:
        return ""
    lowest, highest = scale
    width = _CHART_WIDTH - 1
    span = highest - lowest or 1.0

    def at(value: float) -> int:
        return round((value - lowest) / span * width)

    chars = [" "] * _CHART_WIDTH
    for i in range(at(low), at(high) + 1):
        chars[i] = "─"
    chars[at(point)] = "●"
    return "".join(chars).rstrip()


_CHART_WIDTH = 16


def _rank_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lows = [r["ci_low"] for r in rows if r["ci_low"] is not None]
    highs = [r["ci_high"] for r in rows if r["ci_high"] is not None]
    scale = (min(lows), max(highs)) if lows and highs else (0.0, 100.0)
    return [
        {
            "rank (95%)": (
                f"{int(r['rank'])} ({_interval(r['rank_low'], r['rank_high'], 0) or UNAVAILABLE})"
                if r["rank"] is not None
                else ""
            ),
            "cell": r["cell"],
            **({"name": r["name"]} if r.get("name") else {}),
            "estimate": _number(r["estimate"]),
            "95% CI": _interval(r["ci_low"], r["ci_high"])
            or (UNAVAILABLE if r["estimate"] is not None else ""),
            f"{scale[0]:.0f}–{scale[1]:.0f}": _interval_chart(
                r["ci_low"], r["estimate"], r["ci_high"], scale
            ),
        }
        for r in rows
    ]


def _diagnosis_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "cell": r["cell"],
            "indicator": r["indicator"],
            "estimate": _number(r["estimate"]),
            "vs national": f"{r['diff_national']:+.2f} {r['vs_national']}",
            "best": f"{r['best_cell']} {_number(r['best'])}",
            "vs best": f"{r['diff_best']:+.2f} {r['vs_best']}",
        }
        for r in rows
    ]


def _rounded(rows: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    return [
        {c: (round(r[c], 2) if isinstance(r[c], float) else r[c]) for c in columns if c in r}
        for r in rows
    ]


def _progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=True,
    )


@click.command()
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--survey", "survey_code", help="Estimate a survey stored in the database instead.")
@click.option(
    "--framework",
    default="sipas-gen2",
    show_default=True,
    help="Survey framework: built-in id or YAML file.",
)
@click.option("--weight", default=None, help="Weight column (stored surveys: weight).")
@click.option("--psu", default=None, help="PSU (cluster) column; omit if respondents are the PSUs.")
@click.option("--strata", default=None, help="Stratum column; omit for an unstratified design.")
@click.option("--fpc", default=None, help="Population PSUs per stratum (or sampling fraction).")
@click.option(
    "--unit",
    default="province",
    show_default=True,
    help="Column of the units to estimate and rank (province, department, commune).",
)
@click.option(
    "--by",
    multiple=True,
    help="Domain column(s) to estimate for, e.g. --by sex --by region; a,b crosses.",
)
@click.option(
    "--method",
    type=click.Choice(api.METHODS),
    default="bootstrap",
    show_default=True,
    help="Replicates for composites and ranks.",
)
@click.option(
    "--replicates",
    type=click.IntRange(2, 100_000),
    default=500,
    show_default=True,
    help="Bootstrap replicates.",
)
@click.option("--seed", type=int, default=None, help="Bootstrap seed (default: the seed setting).")
@click.option(
    "--lonely-psu",
    type=click.Choice(api.LONELY_RULES),
    default="fail",
    show_default=True,
    help="Strata with a single PSU (as R's survey.lonely.psu).",
)
@click.option(
    "--item-se",
    type=click.Choice(api.ITEM_SE),
    default="taylor",
    show_default=True,
    help="Item standard errors: Taylor linearisation, or from the replicates of --method.",
)
@click.option(
    "--show",
    type=click.Choice(api.SHOW),
    default="estimates",
    show_default=True,
    help="Estimates, the ranking with rank intervals, or strengths and weaknesses.",
)
@click.option(
    "--level",
    type=click.Choice(api.LEVELS),
    default="all",
    show_default=True,
    help="Which estimates to show.",
)
@click.option("--indicator", default=None, help="Rank on this indicator (default: the index).")
@click.option("--cell", default=None, help="Diagnosis for this unit only.")
@click.option(
    "--on-34",
    "on_34",
    is_flag=True,
    help="Stored 63-province survey: re-aggregate to the 34 provinces (derived).",
)
@click.option(
    "--save",
    "save_code",
    default=None,
    help="Save the results under this code (automatic when a database is configured).",
)
@click.option("--no-save", is_flag=True, help="Do not save, even with a configured database.")
@click.option("--replace", is_flag=True, help="With --save: replace a run with the same code.")
@format_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
@pass_app
def estimate(
    app: AppContext,
    file: Path | None,
    survey_code: str | None,
    framework: str,
    weight: str | None,
    psu: str | None,
    strata: str | None,
    fpc: str | None,
    unit: str,
    by: tuple[str, ...],
    method: str,
    replicates: int,
    seed: int | None,
    lonely_psu: str,
    item_se: str,
    show: str,
    level: str,
    indicator: str | None,
    cell: str | None,
    on_34: bool,
    save_code: str | None,
    no_save: bool,
    replace: bool,
    fmt: str,
    quiet: bool,
) -> None:
    """Estimate every item, component, sub-index and index with SE, 95% CI, design effect and
    rank intervals, for each unit, the nation and any domain.

    \b
    Example:
      sipas estimate responses.csv --framework sipas-gen2 \\
        --strata stratum --psu village --weight weight --by sex
    """
    if (file is None) == (survey_code is None):
        raise SipasError("estimate.no_input")
    stored = survey_code is not None
    if weight is None and not stored:
        raise SipasError("estimate.no_weight")
    request = api.EstimateRequest(
        framework=framework,
        weight=weight or "weight",
        psu=psu or ("psu" if stored else None),
        strata=strata or ("stratum" if stored else None),
        fpc=fpc,
        unit=unit,
        by=by,
        method=method,
        replicates=replicates,
        seed=app.settings.seed if seed is None else seed,
        lonely_psu=lonely_psu,
        item_se=item_se,
    )
    with _progress_bar(not quiet and fmt == "table") as bar:
        task = bar.add_task("estimating", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        if survey_code is not None:
            outcome, survey_id = api.estimate_stored_survey(
                app.db, survey_code, request, progress, geography_34=on_34
            )
        else:
            assert file is not None
            outcome, survey_id = api.estimate_file(file, request, progress), None
    save_code = api.keep_outcome(
        app.db,
        outcome,
        code=save_code,
        database_configured=bool(app.settings.database_url),
        no_save=no_save,
        survey_id=survey_id,
        replace=replace,
    )
    if show == "ranks":
        view = api.ranks_view(outcome, indicator)
    elif show == "diagnosis":
        view = api.diagnosis_view(outcome, cell)
    else:
        view = api.estimates_view(outcome, level)
    # Warnings reach the reader in every format: on stderr (so a redirected output still shows
    # them), in the JSON `warnings` list, as leading `# warning: ` comment lines in CSV, and in
    # the table's footer.
    if fmt != "table" or not sys.stdout.isatty():
        for warning in view["warnings"]:
            click.secho(f"warning: {warning}", fg="yellow", err=True)
    if fmt == "json":
        click.echo(to_json(view))
        return
    if fmt == "csv":
        for warning in view["warnings"]:
            click.echo(f"# warning: {_one_line(warning)}")
        emit(view["rows"], "csv")
        return
    if show == "ranks":
        emit(_rank_rows(view["rows"]), "table", title=f"ranking on {view['rows'][0]['indicator']}")
    elif show == "diagnosis":
        emit(_diagnosis_rows(view["rows"]), "table", title="strengths and weaknesses")
    else:
        _estimate_tables(view["rows"])
    _footer(view, save_code, app)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _footer(view: Mapping[str, Any], save_code: str | None, app: AppContext) -> None:
    if view["synthetic"]:
        click.secho("SYNTHETIC data — not official results", bold=True)
    if view["derived"]:
        click.echo("derived: re-aggregated from microdata to the 34 provinces")
    method = view["method"]
    click.echo(
        f"national {view['national_rule']}: {view['national_index']}; items: {method['items']},"
        f" composites: {method['composites']}; unstable = {view['unstable_rule']}"
    )
    for warning in view["warnings"]:
        click.secho(f"warning: {warning}", fg="yellow")
    if save_code:
        click.echo(f"saved as {save_code!r} in {app.db.display_url}")


@click.group()
def results() -> None:
    """Saved estimation runs."""


@results.command("list")
@format_option
@pass_app
def results_list(app: AppContext, fmt: str) -> None:
    """List saved estimation runs."""
    runs: list[Mapping[str, Any]] = list(api.list_runs(app.db))
    if fmt == "table":  # the source and framework are in json/csv; keep the table narrow
        runs = [{k: v for k, v in r.items() if k not in ("source", "framework")} for r in runs]
    emit(runs, fmt, title="estimation runs")


@results.command("show")
@click.argument("code")
@click.option("--level", type=click.Choice(api.LEVELS), default="all", show_default=True)
@format_option
@pass_app
def results_show(app: AppContext, code: str, level: str, fmt: str) -> None:
    """Show a saved run's estimates."""
    run = api.load_run(app.db, code, level)
    if fmt == "json":
        click.echo(to_json(run))
        return
    if fmt == "table":
        _estimate_tables(run["rows"])
    else:
        emit(run["rows"], fmt)


@click.command()
@click.argument("before")
@click.argument("after")
@click.option("--level", type=click.Choice(api.LEVELS), default="index", show_default=True)
@format_option
@pass_app
def change(app: AppContext, before: str, after: str, level: str, fmt: str) -> None:
    """Year-over-year change between two saved runs (same geography), with SE and a z-test."""
    view = api.change_view(app.db, before, after, level)
    if fmt == "json":
        click.echo(to_json(view))
        return
    columns = [
        "partition",
        "cell",
        "indicator",
        "before",
        "after",
        "change",
        "se_change",
        "p_value",
        "significant",
    ]
    if view["rows"] and "rank_change" in view["rows"][0]:
        columns.append("rank_change")  # places moved on the point ranks: + up, − down
    emit(_rounded(view["rows"], columns) if fmt == "table" else view["rows"], fmt)
    for note in view["notes"]:
        click.echo(f"note: {note}")
    if view["derived"] and fmt == "table":
        click.echo("derived: the earlier year was re-aggregated from microdata to the 34 provinces")
