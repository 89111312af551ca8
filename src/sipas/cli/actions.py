"""`sipas actions`: remediation plans (a mirror of sipas.api.actions)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from sipas.cli.context import AppContext, acting_actor, pass_app, remember_actor
from sipas.cli.output import emit, format_option, to_json

ROLES = ("admin", "analyst", "officer", "appraiser", "clerk")


@click.group()
@click.option("--as", "as_user", help="Act as this user (default: the login name).")
@click.option(
    "--role", type=click.Choice(ROLES), help="The user's role (default: admin, the local operator)."
)
@click.option("--province", "own_province", help="The province code of an officer.")
@click.pass_context
def actions(
    ctx: click.Context, as_user: str | None, role: str | None, own_province: str | None
) -> None:
    """Remediation plans: actions against a weakness, with next year's result beside each."""
    remember_actor(ctx, as_user, role, own_province)


def _filters(function: Any) -> Any:
    for option in reversed(
        [
            click.option("--province", help="A province (code or name)."),
            click.option("--year", type=int, help="The year of the results with the weakness."),
            click.option("--index", type=click.Choice(["sipas", "par", "service"])),
            click.option(
                "--status", type=click.Choice(["planned", "in_progress", "done", "dropped"])
            ),
        ]
    ):
        function = option(function)
    return function


@actions.command("add")
@click.option("--province", required=True, help="A province (code or name) as in that year.")
@click.option("--year", required=True, help="The year of the results that show the weakness.")
@click.option(
    "--index", required=True, type=click.Choice(["sipas", "par", "service"]), help="Which index."
)
@click.option("--indicator", required=True, help="Item, node or indicator code (Q9_02, 3, T1, …).")
@click.option("--task", required=True, help="The solution or task (giải pháp/nhiệm vụ).")
@click.option("--owner", required=True, help="The department or commune in charge.")
@click.option("--deadline", required=True, help="A date: 2025-06-30 or 30/06/2025.")
@click.option("--target", help="The aim (chỉ tiêu), in words.")
@click.option("--evidence", help="Evidence of completion, in words.")
@click.option("--link", "evidence_url", help="A link to the evidence (http or https).")
@click.option(
    "--source", help="PAR: the campaign the node is read from (when the year has several)."
)
@format_option
@click.pass_context
@pass_app
def add(app: AppContext, ctx: click.Context, /, fmt: str, **values: Any) -> None:
    """Record an action against a weakness."""
    from sipas.api import actions as api
    from sipas.messages import text

    found = api.add_action(app.db, acting_actor(ctx), **values)
    if fmt == "json":
        click.echo(to_json(asdict(found)))
        return
    click.echo(text("actions.added", app.settings.lang, id=found.id))


def _rows(found: Any, lang: str) -> list[dict[str, Any]]:
    from sipas.api.queries import actions as api
    from sipas.messages import fill, text

    def col(key: str) -> str:
        return text(f"actions.col.{key}", lang)

    rows = []
    for a in found.actions:
        result = a.result
        rows.append(
            {
                col("id"): a.id,
                col("province"): f"{a.province_code} {a.province_name}",
                col("year"): a.year,
                col("index"): text(f"actions.index.{a.index}", lang),
                col("indicator"): f"{a.indicator} "
                + (a.indicator_name if lang == "vi" else a.indicator_name_en),
                col("task"): a.task,
                col("owner"): a.owner,
                col("deadline"): fill("{d:date}", {"d": a.deadline}, lang),
                col("status"): text(f"actions.status.{a.status}", lang),
                col("before"): api.value_text(result.before if result else None, lang),
                col("after"): api.value_text(result.after if result else None, lang),
                col("change"): api.value_text(result.change if result else None, lang, sign=True),
                col("test"): api.result_words(result, lang),
            }
        )
    return rows


@actions.command("list")
@_filters
@format_option
@click.pass_context
@pass_app
def list_command(
    app: AppContext,
    ctx: click.Context,
    province: str | None,
    year: int | None,
    index: str | None,
    status: str | None,
    fmt: str,
) -> None:
    """The actions, each with next year's value, change and test."""
    from sipas.api.queries import actions as api
    from sipas.messages import text

    lang = app.settings.lang
    found = api.list_actions(
        app.db,
        acting_actor(ctx),
        province=province,
        year=year,
        index=index,
        status=status,
        service_data=app.settings.resolved_service_index_data(),
    )
    if fmt == "json":
        click.echo(to_json(asdict(found)))
        return
    if fmt == "table" and found.synthetic:
        click.secho(text("actions.synthetic", lang), fg="red")
    emit(_rows(found, lang), fmt, title=text("actions.title", lang))


@actions.command("update")
@click.argument("action_id")
@click.option("--status", type=click.Choice(["planned", "in_progress", "done", "dropped"]))
@click.option("--evidence", help="Evidence of completion, in words.")
@click.option("--link", "evidence_url", help="A link to the evidence (http or https).")
@click.option("--deadline", help="A new deadline: 2025-06-30 or 30/06/2025.")
@click.option("--owner", help="A new department or commune in charge.")
@click.option("--reason", help="Why it changed (kept in the audit log).")
@format_option
@click.pass_context
@pass_app
def update(app: AppContext, ctx: click.Context, /, action_id: str, fmt: str, **values: Any) -> None:
    """Change an action's status, evidence, deadline or owner (audited)."""
    from sipas.api import actions as api
    from sipas.messages import text

    found = api.update_action(app.db, acting_actor(ctx), action_id, **values)
    if fmt == "json":
        click.echo(to_json(asdict(found)))
        return
    click.echo(text("actions.updated", app.settings.lang, id=found.id))


@actions.command("export")
@click.argument("output", type=click.Path(path_type=Path, dir_okay=False))
@_filters
@click.pass_context
@pass_app
def export(
    app: AppContext,
    ctx: click.Context,
    output: Path,
    province: str | None,
    year: int | None,
    index: str | None,
    status: str | None,
) -> None:
    """Write the actions to an Excel workbook in the layout a province files."""
    from sipas.api.queries import actions as api

    output.write_bytes(
        api.export_actions(
            app.db,
            acting_actor(ctx),
            province=province,
            year=year,
            index=index,
            status=status,
            service_data=app.settings.resolved_service_index_data(),
            lang=app.settings.lang,
        )
    )
    click.echo(str(output))
