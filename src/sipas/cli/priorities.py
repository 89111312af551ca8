"""`sipas priorities`: what a province should improve first (a mirror of sipas.api.priorities)."""

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
    from sipas.api.priorities import priorities as run
    from sipas.messages import text
    from sipas.reports.format import number

    lang = app.settings.lang
    report = run(app.db, survey_code, province, lang, replicates, app.settings.seed)
    if chart is not None:
        chart.write_bytes(_chart(report, lang))
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
            col("node"): r["name"],
            col("performance"): number(r["performance"], lang, 1),
            col("ci"): f"{number(r['performance_low'], lang, 1)}–"
            f"{number(r['performance_high'], lang, 1)}",
            col("importance"): number(r["importance"], lang, 1),
            col("quadrant"): text(f"priorities.quadrant.{r['quadrant']}", lang),
        }
        for r in rows
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


def _chart(report: object, lang: str) -> bytes:
    from sipas.api.priorities import PriorityReport
    from sipas.messages import text
    from sipas.reports.charts import QuadrantPoint, quadrant
    from sipas.reports.format import number

    assert isinstance(report, PriorityReport)
    points = [
        QuadrantPoint(
            label=report.names[p.node],
            performance=p.performance,
            performance_low=p.performance_low,
            performance_high=p.performance_high,
            importance=p.importance,
            importance_se=p.importance_se or 0.0,
            highlight=p.quadrant == "improve_first",
        )
        for p in report.components
        if p.importance is not None
    ]
    return quadrant(
        points,
        report.medians,
        lambda x: number(x, lang, 0),
        (text("priorities.axis.importance", lang), text("priorities.axis.performance", lang)),
        text("priorities.quadrant.improve_first", lang),
    )
