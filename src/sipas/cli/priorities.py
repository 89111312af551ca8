"""`sipas priorities`: what a province should improve first (a mirror of sipas.api.queries.priorities)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, format_option, to_json


@click.command("priorities")
@click.option("--survey", "survey_code", required=True, help="A survey stored in the database.")
@click.option("--province", required=True, help="Province code or name.")
@click.option("--replicates", default=200, show_default=True, help="Bootstrap replicates.")
@click.option(
    "--chart",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also draw the importance–performance chart to this PNG file.",
)
@format_option
@pass_app
def priorities(
    app: AppContext,
    survey_code: str,
    province: str,
    replicates: int,
    chart: Path | None,
    fmt: str,
) -> None:
    """Each component's satisfaction against how many ask for it to improve: what to fix first."""
    from sipas.api.queries.priorities import priorities as run
    from sipas.api.queries.priorities import priority_chart
    from sipas.messages import fill, text

    def number(value: float | None, lang: str, digits: int) -> str:
        return "–" if value is None else fill(f"{{x:.{digits}f}}", {"x": value}, lang)

    lang = app.settings.lang
    report = run(app.db, survey_code, province, lang, replicates, app.settings.seed)
    if chart is not None:
        chart.write_bytes(priority_chart(report, lang))
    if fmt == "json":
        click.echo(to_json(asdict(report)))
        return
    rows = [
        {
            "node": p.node,
            "name": report.names[p.node],
            "performance": p.performance,
            "performance_low": p.performance_low,
            "performance_high": p.performance_high,
            "importance": p.importance,
            "importance_se": p.importance_se,
            "quadrant": p.quadrant,
            "score": p.score,
        }
        for p in report.components
    ]
    if fmt == "csv":
        emit(rows, fmt)
        return

    def col(key: str) -> str:
        return text(f"priorities.col.{key}", lang)

    if report.synthetic:
        click.echo(text("priorities.synthetic", lang))
    shown = [
        {
            col("node"): report.names[p.node],
            col("performance"): number(p.performance, lang, 1),
            col("ci"): f"{number(p.performance_low, lang, 1)}–"
            f"{number(p.performance_high, lang, 1)}",
            col("importance"): number(p.importance, lang, 1),
            col("quadrant"): text(f"priorities.quadrant.{p.quadrant}", lang),
        }
        for p in report.components
    ]
    title = text("priorities.title", lang, name=report.name, survey=report.survey)
    emit(shown, "table", title=title)
    if report.items:
        items = [
            {
                col("item"): f"{i.item} {i.text}",
                col("performance"): number(i.performance, lang, 1),
                col("ci"): f"{number(i.low, lang, 1)}–{number(i.high, lang, 1)}",
            }
            for i in report.items
        ]
        emit(items, "table", title=text("priorities.items", lang))
    if report.provisional_links:
        click.echo(text("priorities.links_note", lang))
