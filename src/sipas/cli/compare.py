"""`sipas compare`: a province against its peers on every node (a mirror of sipas.api.queries.compare)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, format_option, to_json


@click.command("compare")
@click.argument("province")
@click.option("--run", "run_code", help="A saved estimation run (`sipas results list`).")
@click.option(
    "--with",
    "peers",
    default="top5",
    show_default=True,
    help="top5, region, similar (nearest population), merged (on a source of the 63 "
    "provinces: the provinces merged with it in 2025) or codes/names separated by commas.",
)
@click.option(
    "--on",
    "source",
    type=click.Choice(["estimates", "published"]),
    default="estimates",
    show_default=True,
    help="Compare on a saved run's estimates (with significance) or on the ministry's "
    "published values of --year (no standard errors: no significance).",
)
@click.option("--year", type=int, help="The published year (with --on published).")
@click.option(
    "--index",
    type=click.Choice(["sipas", "par"]),
    default="sipas",
    show_default=True,
    help="The published index (with --on published).",
)
@click.option(
    "--chart",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also draw the differences with their 95% intervals to this PNG file.",
)
@format_option
@pass_app
def compare(
    app: AppContext,
    province: str,
    run_code: str | None,
    peers: str,
    source: str,
    year: int | None,
    index: str,
    chart: Path | None,
    fmt: str,
) -> None:
    """PROVINCE (code or name) against a set of peers on every node and item, with significance."""
    from sipas.api.queries.compare import compare as run_compare
    from sipas.api.queries.compare import difference_chart, peer_kind
    from sipas.errors import SipasError
    from sipas.messages import fill, text

    lang = app.settings.lang
    if source == "published":
        if year is None:
            raise SipasError("compare.year_needed")
        _published(app, province, peers, year, index, fmt)
        return
    if run_code is None:
        raise SipasError("compare.run_needed")
    found = run_compare(app.db, run_code, province, peers, lang)
    if chart is not None:
        chart.write_bytes(difference_chart(found, lang))
    if fmt in ("json", "csv"):
        if fmt == "json":
            click.echo(to_json(asdict(found)))
        else:
            emit([asdict(r) for r in found.rows], fmt)
        return

    def number(value: float, digits: int = 1, sign: bool = False) -> str:
        return fill(f"{{x:{'+' if sign else ''}.{digits}f}}", {"x": value}, lang)

    def col(key: str) -> str:
        return text(f"compare.col.{key}", lang)

    kind = peer_kind(peers)
    title = text(
        "compare.title",
        lang,
        name=found.name,
        peers=text(f"compare.peers.{kind}", lang),
        run=found.run,
    )
    shown = [
        {
            col("node"): r.name,
            col("estimate"): number(r.estimate),
            col("peers"): number(r.peers_mean),
            col("difference"): number(r.difference, sign=True),
            col("ci"): f"{number(r.low, sign=True)} … {number(r.high, sign=True)}",
            col("verdict"): text(f"compare.verdict.{r.verdict.replace(' ', '_')}", lang),
        }
        for r in found.rows
    ]
    emit(shown, "table", title=title)
    click.echo(text("compare.members", lang, names=found.peer_names))
    if found.merger:
        click.echo(text("compare.merger", lang, merger=found.merger))


def _published(app: AppContext, province: str, peers: str, year: int, index: str, fmt: str) -> None:
    """The province against its peers on the published values of a year (no significance)."""
    from sipas.api.queries.compare import compare_published, peer_kind
    from sipas.messages import fill, text

    lang = app.settings.lang
    found = compare_published(app.db, province, peers, year, index)
    if fmt in ("json", "csv"):
        if fmt == "json":
            click.echo(to_json(asdict(found)))
        else:
            emit([asdict(r) for r in found.rows], fmt)
        return

    def number(value: float | None, sign: bool = False) -> str:
        if value is None:
            return "–"
        return fill(f"{{x:{'+' if sign else ''}.2f}}", {"x": value}, lang)

    def col(key: str) -> str:
        return text(f"compare.col.{key}", lang)

    title = text(
        "compare.title",
        lang,
        name=found.name,
        peers=text(f"compare.peers.{peer_kind(peers)}", lang),
        run=text("compare.published_run", lang, index=found.index.upper(), year=year),
    )
    shown = [
        {
            col("node"): r.node,
            col("estimate"): number(r.value),
            col("peers"): number(r.peers_mean),
            col("difference"): number(r.difference, sign=True),
            col("with_value"): r.peers_with_value,
        }
        for r in found.rows
    ]
    emit(shown, "table", title=title)
    members = [f"{p.name} ({number(p.value)})" for p in found.peer_values]
    click.echo(text("compare.members", lang, names=members))
    if found.merger:
        click.echo(text("compare.merger", lang, merger=found.merger))
    click.echo(text("compare.published_note", lang))
