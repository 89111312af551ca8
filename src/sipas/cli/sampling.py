"""`sipas sample …` and `sipas weights …`: before fieldwork and after it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sipas.api import sampling as api
from sipas.api.estimation import read_responses
from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, format_option, to_json
from sipas.errors import SipasError


@click.group()
def sample() -> None:
    """Sample sizes, allocation across provinces, and drawing the sample."""


@sample.command("size")
@click.option("--margin", type=float, required=True, help="Target ± margin, percentage points.")
@click.option("--confidence", type=float, default=0.95, show_default=True)
@click.option("--deff", type=float, default=2.0, show_default=True, help="Assumed design effect.")
@click.option(
    "--p",
    "share",
    type=float,
    default=50.0,
    show_default=True,
    help="Expected share, percent (50 is the most cautious).",
)
@click.option("--population", type=float, default=None, help="Population size (finite correction).")
@click.option(
    "--rule",
    type=click.Choice(["standard", "yamane"]),
    default="standard",
    show_default=True,
    help="yamane: the pilot-era n = N / (1 + N·e²).",
)
@click.option("--total", type=int, default=None, help="Allocate this many respondents …")
@click.option(
    "--populations",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="… over the units of this file (CSV/XLSX).",
)
@click.option("--unit-column", default="province", show_default=True)
@click.option("--population-column", default="population", show_default=True)
@click.option(
    "--allocation",
    type=click.Choice(["equal", "proportional", "sqrt", "power"]),
    default="proportional",
    show_default=True,
)
@click.option(
    "--minimum", type=int, default=0, show_default=True, help="At least this many per unit."
)
@click.option("--fixed", default="", help="Set sizes for some units, e.g. 01=2700,79=2700.")
@format_option
def size_command(
    margin: float,
    confidence: float,
    deff: float,
    share: float,
    population: float | None,
    rule: str,
    total: int | None,
    populations: Path | None,
    unit_column: str,
    population_column: str,
    allocation: str,
    minimum: int,
    fixed: str,
    fmt: str,
) -> None:
    """Respondents needed for a target precision; with --total and --populations, per unit."""
    fixed_sizes = _fixed(fixed)
    result: Any = api.sample_size(
        api.SizeRequest(margin, confidence, deff, share / 100, population, rule)
    )
    if total is not None and populations is not None:
        table = api.allocation_table(
            total, read_responses(populations), unit_column, population_column, allocation,
            minimum, deff, confidence, fixed_sizes or None,
        )  # fmt: skip
        result = {**result, "allocation": table}
    if fmt == "json":
        click.echo(to_json(result))
        return
    emit([{k: v for k, v in result.items() if k != "allocation"}], fmt)
    if "allocation" in result:
        emit(result["allocation"], fmt, title=f"{allocation} allocation of {total}")


def _fixed(text: str) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        unit, _, number = part.partition("=")
        if not number.strip().isdigit():
            raise SipasError("sample.bad_fixed", part=part)
        sizes[unit.strip()] = int(number)
    return sizes


@sample.command("draw")
@click.argument("design", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--frame",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Frame file (CSV/XLSX): one row per unit of the lowest listed stage.",
)
@click.option("--seed", type=int, default=None, help="Seed (default: the seed setting).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Write sample.csv, reserves.csv and contact_lists.xlsx here.",
)
@format_option
@pass_app
def draw_command(
    app: AppContext, design: Path, frame: Path, seed: int | None, out: Path | None, fmt: str
) -> None:
    """Draw a multi-stage sample; the same seed always gives the same sample."""
    result = api.draw_sample(design, frame, app.settings.seed if seed is None else seed, out)
    if fmt == "json":
        click.echo(to_json(result))
        return
    emit(result["by_stratum"], fmt, title=f"sample {result['design']} (seed {result['seed']})")
    if fmt == "table":
        click.echo(f"{result['units']} units drawn, {result['reserves']} in reserve")
        for path in result["files"]:
            click.echo(f"wrote {path}")


@sample.command("frame")
@click.argument("dossiers", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--unit", required=True, help="Column of the unit (department, commune) assessed.")
@click.option("--person", required=True, help="Column identifying the person (ID card, phone).")
@click.option("--date", "received", required=True, help="Column of the date the dossier came in.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@format_option
def frame_command(
    dossiers: Path,
    unit: str,
    person: str,
    received: str,
    start: Any,
    end: Any,
    out: Path | None,
    fmt: str,
) -> None:
    """A procedure-user frame from dossier records: one row per person and unit in the window."""
    result = api.build_frame(
        dossiers, unit=unit, person=person, received=received, start=start.date(),
        end=end.date(), out=out,
    )  # fmt: skip
    if fmt == "json":
        click.echo(to_json(result))
        return
    emit([result["report"]], fmt, title="dossiers")
    emit(result["by_unit"], fmt, title="persons per unit")
    for path in result["files"]:
        click.echo(f"wrote {path}")


@click.group()
def weights() -> None:
    """Weights after fieldwork: calibration to population margins, trimming."""


@weights.command("compute")
@click.argument("responses", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--weight", required=True, help="Column of design (or non-response adjusted) weights."
)
@click.option(
    "--margins",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Population totals: columns variable, level, total (and --group).",
)
@click.option("--group", default=None, help="Calibrate within each value of this column.")
@click.option(
    "--method", type=click.Choice(["raking", "linear"]), default="raking", show_default=True
)
@click.option("--trim-upper", type=float, default=None, help="Cap weights at this × the median.")
@click.option(
    "--responded",
    default=None,
    help="Column saying who answered (1/0, yes/no): adjust for non-response first.",
)
@click.option(
    "--nonresponse-cells",
    default="",
    help="Columns of the non-response cells, comma-separated (e.g. province,urban_rural).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the responses with a calibrated_weight column.",
)
@format_option
def weights_compute(
    responses: Path,
    weight: str,
    margins: Path,
    group: str | None,
    method: str,
    trim_upper: float | None,
    responded: str | None,
    nonresponse_cells: str,
    out: Path | None,
    fmt: str,
) -> None:
    """Adjust for non-response, calibrate to margins (raking or linear), trim; report the weights."""
    cells = tuple(c.strip() for c in nonresponse_cells.split(",") if c.strip())
    request = api.WeightsRequest(weight, margins, group, method, trim_upper, responded, cells)
    result = api.compute_weights(responses, request, out)
    if fmt == "json":
        click.echo(to_json(result))
        return
    keys = ["respondents", "total", "min", "max", "cv", "kish_deff", "effective_n"]
    rows = [
        {"weights": name, **{k: _short(result[name][k]) for k in keys}}
        for name in ("design", "calibrated")
    ]
    emit(rows, fmt)
    if fmt == "table":
        calibrated = result["calibrated"]
        click.echo(
            f"{calibrated['method']}: {calibrated['iterations']} iterations, largest margin"
            f" error {calibrated['max_margin_error']:.2g}"
        )
        for note in calibrated["notes"]:
            click.secho(f"note: {note}", fg="yellow")
        click.echo("calibrated weights:")
        largest = max(b["count"] for b in result["histogram"]) or 1
        for b in result["histogram"]:
            bar = "█" * round(30 * b["count"] / largest)
            click.echo(f"  {b['from']:>10.4g} – {b['to']:<10.4g} {bar} {b['count']}")
        if result["file"]:
            click.echo(f"wrote {result['file']}")


def _short(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value
