"""`sipas par …`: PAR INDEX campaigns, scores, results and history (a mirror of sipas.api.par)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from sipas.api import par as api
from sipas.api.par import sheets as par_sheets
from sipas.cli.context import AppContext, acting_actor, pass_app, remember_actor
from sipas.cli.output import emit, format_option, to_json
from sipas.errors import SipasError

STAGE_CHOICE = click.Choice(["self", "appraisal1", "explanation", "appraisal2", "survey", "final"])


@click.group()
@click.option("--as", "as_user", help="Act as this user (default: the login name).")
@click.option(
    "--role",
    type=click.Choice(api.ROLES),
    help="The user's role (default: admin, the local operator).",
)
@click.option("--province", help="The province code of an officer.")
@click.pass_context
def par(ctx: click.Context, as_user: str | None, role: str | None, province: str | None) -> None:
    """PAR INDEX: campaigns, self-assessment, appraisal, results."""
    remember_actor(ctx, as_user, role, province)


@par.group()
def campaign() -> None:
    """Open, inspect and move PAR campaigns through their stages."""


def _deadline(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SipasError("par.bad_deadline", value=value) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@campaign.command("create")
@click.argument("code")
@click.option("--framework", required=True, help="A built-in PAR framework id or a YAML file.")
@click.option("--year", type=int, required=True, help="The year assessed.")
@click.option(
    "--units",
    "units_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="CSV/XLSX of units (unit_code, name, kind, province_code); default: the provinces.",
)
@click.option("--deadline", help="Self-assessment deadline (YYYY-MM-DD[THH:MM], UTC).")
@click.option("--previous", help="The campaign whose results changes are measured on.")
@click.option("--description", default="", help="A line describing the campaign.")
@click.option("--replace", is_flag=True, help="Replace a campaign with the same code.")
@click.pass_context
@pass_app
def campaign_create(
    app: AppContext,
    ctx: click.Context,
    code: str,
    framework: str,
    year: int,
    units_file: Path | None,
    deadline: str | None,
    previous: str | None,
    description: str,
    replace: bool,
) -> None:
    """Open campaign CODE for a year and framework."""
    units = api.read_units_file(units_file) if units_file else None
    summary = api.create_campaign(
        app.db,
        acting_actor(ctx),
        code=code,
        framework=framework,
        year=year,
        units=units,
        deadline=_deadline(deadline),
        previous=previous,
        description=description,
        replace=replace,
    )
    click.echo(
        f"campaign {summary['campaign']}: {summary['framework']}, {summary['year']}, "
        f"{summary['units']} units, stage self"
    )


@campaign.command("list")
@format_option
@pass_app
def campaign_list(app: AppContext, fmt: str) -> None:
    """Every campaign with its stage and number of units."""
    emit(api.list_campaigns(app.db), fmt, title="PAR campaigns")


@campaign.command("show")
@click.argument("code")
@format_option
@pass_app
def campaign_show(app: AppContext, code: str, fmt: str) -> None:
    """One campaign: framework, stage, deadline, units, assignments."""
    shown = api.show_campaign(app.db, code)
    if fmt == "json":
        click.echo(to_json(shown))
        return
    fields = [{"field": k, "value": v} for k, v in shown.items() if k != "assignments"]
    emit(fields, fmt, title=f"campaign {code}")
    emit(shown["assignments"], fmt, title="assignments")


@campaign.command("advance")
@click.argument("code")
@click.argument("stage", type=click.Choice(["appraisal1", "explanation", "appraisal2", "final"]))
@click.pass_context
@pass_app
def campaign_advance(app: AppContext, ctx: click.Context, code: str, stage: str) -> None:
    """Move campaign CODE to its next STAGE (final fixes every leaf's final score)."""
    summary = api.advance(app.db, acting_actor(ctx), code, stage)
    extra = ""
    if "locked_now" in summary:
        extra += f"; {summary['locked_now']} units locked"
    if "final_scores" in summary:
        extra += f"; {summary['final_scores']} final scores"
    click.echo(f"campaign {code}: {summary['from']} → {summary['to']}{extra}")


@par.command("assign")
@click.argument("code")
@click.option("--user", required=True)
@click.option("--role", "assignment", type=click.Choice(api.ASSIGNMENT_ROLES), required=True)
@click.option("--unit", help="The unit (default: every unit).")
@click.option("--node", help="The area or criterion (default: every area).")
@click.pass_context
@pass_app
def assign(
    app: AppContext,
    ctx: click.Context,
    code: str,
    user: str,
    assignment: str,
    unit: str | None,
    node: str | None,
) -> None:
    """Give USER a unit to self-assess or an area to appraise in campaign CODE."""
    api.assign(app.db, acting_actor(ctx), code, user=user, role=assignment, unit=unit, node=node)
    click.echo(f"{user}: {assignment} of unit {unit or 'all'}, area {node or 'all'}")


@par.group()
def scores() -> None:
    """Scores in and out: the ministry's Excel layout, or CSV."""


@scores.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--campaign", "code", required=True)
@click.option("--stage", type=STAGE_CHOICE, required=True)
@click.pass_context
@pass_app
def scores_import(app: AppContext, ctx: click.Context, file: Path, code: str, stage: str) -> None:
    """Import one stage's scores from FILE (.xlsx in the export's layout, or .csv); all or nothing."""
    summary = par_sheets.import_scores(app.db, acting_actor(ctx), code, file, stage)
    click.echo(f"{summary['saved']} {stage} scores saved to {code} from {summary['file']}")


@scores.command("export")
@click.option("--campaign", "code", required=True)
@click.option("--unit", help="One unit (default: every unit you may read).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.pass_context
@pass_app
def scores_export(
    app: AppContext, ctx: click.Context, code: str, unit: str | None, output: Path
) -> None:
    """Write the score sheets as .xlsx in the ministry's layout."""
    output.write_bytes(par_sheets.export_scores(app.db, acting_actor(ctx), code, unit))
    click.echo(f"wrote {output}")


@scores.command("show")
@click.option("--campaign", "code", required=True)
@click.option("--unit", required=True)
@format_option
@click.pass_context
@pass_app
def scores_show(app: AppContext, ctx: click.Context, code: str, unit: str, fmt: str) -> None:
    """One unit's score sheet: every leaf at every stage."""
    emit(api.unit_scores(app.db, acting_actor(ctx), code, unit), fmt, title=f"{code} · {unit}")


@par.command("lock")
@click.argument("code")
@click.argument("unit")
@click.pass_context
@pass_app
def lock(app: AppContext, ctx: click.Context, code: str, unit: str) -> None:
    """Lock UNIT's self-assessment in campaign CODE."""
    summary = api.lock(app.db, acting_actor(ctx), code, unit)
    click.echo(f"unit {unit} locked at {summary['locked_at']:%Y-%m-%d %H:%M} UTC")


@par.command("evidence")
@click.argument("code")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--unit", required=True)
@click.option("--node", required=True)
@click.pass_context
@pass_app
def evidence(
    app: AppContext, ctx: click.Context, code: str, file: Path, unit: str, node: str
) -> None:
    """Attach FILE as evidence to a leaf's self-assessment."""
    saved = api.upload_evidence(
        app.db,
        acting_actor(ctx),
        code,
        unit=unit,
        node=node,
        filename=file.name,
        content=file.read_bytes(),
    )
    state = "stored" if saved["new"] else "already stored"
    click.echo(f"{file.name}: {state} (sha256 {saved['sha256'][:12]}…)")


_TABLE_COLUMNS = ("rank", "unit", "name", "index", "group", "change", "rank_change", "complete")


@par.command("fill-sipas")
@click.argument("code")
@click.option("--run", required=True, help="A saved SIPAS estimation run (`sipas results list`).")
@click.pass_context
@pass_app
def fill_sipas(app: AppContext, ctx: click.Context, code: str, run: str) -> None:
    """Fill the leaves fed by SIPAS from a saved estimation run."""
    summary = api.fill_from_sipas(app.db, acting_actor(ctx), code, run)
    click.echo(f"{summary['filled']} leaves filled from {run}")
    if summary["missing"]:
        click.echo(
            f"  no estimate for {len(summary['missing'])}: {', '.join(summary['missing'][:10])}"
        )


def _result_rows(shown: Mapping[str, Any], fmt: str) -> list[dict[str, Any]]:
    """Every column for csv and json; for the terminal, the columns that fit (areas in csv)."""
    if fmt != "table":
        return list(shown["units"])
    return [{k: unit[k] for k in _TABLE_COLUMNS} for unit in shown["units"]]


@par.command("compute")
@click.argument("code")
@click.option(
    "--stage", default="final", type=click.Choice(["self", "appraisal1", "appraisal2", "final"])
)
@pass_app
def compute(app: AppContext, code: str, stage: str) -> None:
    """Recompute campaign CODE's results from its stored scores and summarise them."""
    shown = api.results(app.db, code, stage)
    national = shown["national"]
    groups = ", ".join(f"{k}: {v}" for k, v in national["group_counts"].items())
    label = " [SYNTHETIC]" if shown["synthetic"] else ""
    click.echo(
        f"{code}{label}: {national['units']} units, national mean {national['mean_index']} "
        f"({national['rule']}); groups {groups}"
    )
    incomplete = [u["unit"] for u in shown["units"] if not u["complete"]]
    if incomplete:
        click.echo(f"  {len(incomplete)} units have leaves without a {stage} score (counted 0)")


@par.command("results")
@click.argument("code")
@click.option(
    "--stage", default="final", type=click.Choice(["self", "appraisal1", "appraisal2", "final"])
)
@click.option("--unit", help="One unit.")
@format_option
@pass_app
def results(app: AppContext, code: str, stage: str, unit: str | None, fmt: str) -> None:
    """Index, area indices, group, rank and change of every unit (published rounding)."""
    shown = api.results(app.db, code, stage, unit)
    if fmt == "json":
        click.echo(to_json(shown))
        return
    title = f"{code} · {shown['framework']} · {stage}" + (
        " · SYNTHETIC" if shown["synthetic"] else ""
    )
    emit(_result_rows(shown, fmt), fmt, title=title)


@par.command("history")
@click.argument("code")
@click.option("--unit", required=True)
@click.option("--node", help="One leaf (default: every leaf of the unit).")
@format_option
@click.pass_context
@pass_app
def history(
    app: AppContext, ctx: click.Context, code: str, unit: str, node: str | None, fmt: str
) -> None:
    """Who changed which score, when, from what, to what and why."""
    emit(api.history(app.db, acting_actor(ctx), code, unit, node), fmt, title=f"{code} · {unit}")


@par.command("whatif")
@click.argument("code")
@click.option("--unit", required=True, help="The unit (province, department or commune code).")
@click.option("--target", help="group:A, rank:N or total:X (points).")
@click.option(
    "--set", "changes", multiple=True, metavar="LEAF=POINTS", help="Suppose a leaf scored this."
)
@click.option(
    "--stage",
    type=click.Choice(["self", "appraisal1", "appraisal2", "final"]),
    help="Scores to start from (default: final once the campaign is final, else self).",
)
@format_option
@pass_app
def whatif(
    app: AppContext,
    code: str,
    unit: str,
    target: str | None,
    changes: tuple[str, ...],
    stage: str | None,
    fmt: str,
) -> None:
    """What UNIT needs to reach a target, and its results if some leaves scored otherwise.

    Nothing is stored: the campaign's scores are read, changed in memory and recomputed.
    """
    from dataclasses import asdict

    from sipas.api.par.whatif import parse_changes, parse_target
    from sipas.api.par.whatif import whatif as run_whatif
    from sipas.messages import text

    lang = app.settings.lang
    answer = run_whatif(
        app.db,
        code,
        unit,
        parse_target(target) if target else None,
        parse_changes(list(changes)),
        stage,
        lang,
    )
    if fmt == "json":
        click.echo(to_json(asdict(answer)))
        return
    if fmt == "csv":
        emit([asdict(leaf) for leaf in (answer.need.path if answer.need else [])], fmt)
        return
    none = text("whatif.none", lang)

    def _standing(key: str, shown: Any, **extra: Any) -> str:
        values = {**asdict(shown), "group": shown.group or none, "rank": shown.rank or none}
        return text(key, lang, **values, **extra)

    click.echo(f"{answer.unit} · {answer.name} · {answer.campaign} ({answer.stage})")
    click.echo(_standing("whatif.now", answer.now))
    if answer.after is not None:
        said = ", ".join(f"{leaf}={points:g}" for leaf, points in answer.changes.items())
        click.echo(_standing("whatif.after", answer.after, changes=said))
    need = answer.need
    if need is None:
        return
    wanted = f"{need.target.kind}:{need.target.value}"
    if need.points <= 0:
        click.echo(text("whatif.reached", lang, target=wanted))
        return
    if not need.reachable:
        open_points = need.path[-1].cumulative if need.path else 0.0
        click.echo(text("whatif.unreachable", lang, target=wanted, open=open_points))
    else:
        click.echo(text("whatif.needed", lang, points=need.points, index=need.index, target=wanted))
    rows = [
        {
            text(f"whatif.col.{key}", lang): value
            for key, value in asdict(leaf).items()
            if key not in ("method", "rubric")  # codes, not words: kept for json and csv
        }
        for leaf in need.path
    ]
    emit(rows, "table", title=text("whatif.path", lang))
