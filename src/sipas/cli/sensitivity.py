"""`sipas sensitivity RUN`: how much of each rank is an artefact of method (a mirror of
sipas.api.queries.sensitivity)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, format_option, to_json


@click.command("sensitivity")
@click.argument("run")
@click.option("--draws", default=1000, show_default=True, help="Monte Carlo draws of the method.")
@click.option("--seed", type=int, help="Seed of the draws (default: the settings' seed).")
@click.option("--no-drop", is_flag=True, help="Never drop a component.")
@click.option(
    "--chart",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also draw each province's rank ranges (method beside sampling) to this PNG file.",
)
@format_option
@pass_app
def sensitivity(
    app: AppContext,
    run: str,
    draws: int,
    seed: int | None,
    no_drop: bool,
    chart: Path | None,
    fmt: str,
) -> None:
    """Ranks of a saved run when the threshold, weights, aggregation and components vary, next
    to their sampling rank intervals."""
    from sipas.api.queries.sensitivity import Choices, rank_chart, run_sensitivity
    from sipas.messages import fill, text

    def number(value: float, lang: str, digits: int) -> str:
        return fill(f"{{x:.{digits}f}}", {"x": value}, lang)

    lang = app.settings.lang
    choices = Choices(
        draws=draws, seed=app.settings.seed if seed is None else seed, drop=not no_drop
    )
    found = run_sensitivity(app.db, run, choices)
    if chart is not None:
        chart.write_bytes(rank_chart(found, lang))
    if fmt == "json":
        click.echo(to_json(asdict(found)))
        return
    rows = [{"cell": u.cell, "name": found.names[u.cell], **asdict(u)} for u in found.result.units]
    if fmt == "csv":
        emit(rows, fmt)
        return

    def col(key: str) -> str:
        return text(f"sensitivity.col.{key}", lang)

    def share(value: float | None) -> str:
        return "–" if value is None else f"{number(100 * value, lang, 0)}%"

    shown = [
        {
            col("unit"): found.names[u.cell],
            col("rank"): u.nominal_rank,
            col("method"): f"{u.rank_low:g}–{u.rank_high:g}",
            col("sampling"): "–"
            if u.sampling_low is None
            else f"{u.sampling_low:g}–{u.sampling_high:g}",
            col("share"): share(u.method_share),
        }
        for u in sorted(found.result.units, key=lambda u: u.nominal_rank)
    ]
    emit(shown, "table", title=text("sensitivity.title", lang, run=run))
    click.echo(text("sensitivity.factors", lang) + ":")
    for factor, value in found.result.first_order.items():
        click.echo(f"  {text(f'sensitivity.factor.{factor}', lang)}: {share(value)}")
