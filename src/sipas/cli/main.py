"""The `sipas` command: a thin mirror of :mod:`sipas.api`, with one clean line per error."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from pathlib import Path

import click

from sipas import __version__
from sipas.errors import SipasError

EXIT_ERROR = 1
EXIT_INTERNAL = 70

# Every command: name -> (module, attribute, one-line help). A command's module is imported only
# when that command runs, so `sipas --help` and `sipas --version` load no data-science library.
# tests/test_startup.py checks this table against the commands themselves.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "actions": (
        "sipas.cli.actions",
        "actions",
        "Remediation plans: actions against a weakness, with next year's result beside each.",
    ),
    "change": (
        "sipas.cli.estimate",
        "change",
        "Year-over-year change between two saved runs (same geography), with SE and a z-test.",
    ),
    "backup": (
        "sipas.cli.backup",
        "backup",
        "Copy the whole database into the new FILE while the app keeps running.",
    ),
    "compare": (
        "sipas.cli.compare",
        "compare",
        "PROVINCE (code or name) against a set of peers on every node and item, with significance.",
    ),
    "demo": (
        "sipas.cli.demo",
        "demo",
        "Build a SYNTHETIC national data set: SIPAS surveys for 2023, 2024 (63 provinces) and "
        "2025 (34 provinces), and one PAR round, saved to the database (SQLite by default).",
    ),
    "dossiers": (
        "sipas.cli.service_index",
        "dossiers",
        "Hồ sơ TTHC / administrative-procedure dossiers: synthetic data, checks, new days.",
    ),
    "double-entry": (
        "sipas.cli.ingest",
        "double_entry_command",
        "Compare two clerks' entries of the same forms, field by field (matched by form number).",
    ),
    "estimate": (
        "sipas.cli.estimate",
        "estimate",
        "Estimate every item, component, sub-index and index with SE, 95% CI, design effect and "
        "rank intervals, for each unit, the nation and any domain.",
    ),
    "frameworks": (
        "sipas.cli.frameworks",
        "frameworks",
        "Index frameworks (SIPAS surveys, PAR trees) as data.",
    ),
    "geo": (
        "sipas.cli.geo",
        "geo",
        "Administrative geography: 63 provinces until 2025-06-30, 34 from 2025-07-01.",
    ),
    "import": (
        "sipas.cli.ingest",
        "import_command",
        "Import FILE into a survey: accepted rows are stored, the others quarantined with reasons.",
    ),
    "invitations": (
        "sipas.cli.invitations",
        "invitations",
        "One-time invitations to answer a survey on the web.",
    ),
    "par": ("sipas.cli.par", "par", "PAR INDEX: campaigns, self-assessment, appraisal, results."),
    "priorities": (
        "sipas.cli.priorities",
        "priorities",
        "Each component's satisfaction against how many ask for it to improve: what to fix first.",
    ),
    "published": (
        "sipas.cli.published",
        "published",
        "Official published results (Kết quả công bố): import, list, show, export.",
    ),
    "quarantine": (
        "sipas.cli.ingest",
        "quarantine_command",
        "List the quarantined rows of a survey with their reasons.",
    ),
    "report": (
        "sipas.cli.report",
        "report",
        "Reports for the Government and for each province: PDF, HTML or Excel.",
    ),
    "restore": (
        "sipas.cli.backup",
        "restore",
        "Restore the backup FILE into the configured database, which must be empty.",
    ),
    "results": ("sipas.cli.estimate", "results", "Saved estimation runs."),
    "sample": (
        "sipas.cli.sampling",
        "sample",
        "Sample sizes, allocation across provinces, and drawing the sample.",
    ),
    "sensitivity": (
        "sipas.cli.sensitivity",
        "sensitivity",
        "Ranks of a saved run when the threshold, weights, aggregation and components vary, next "
        "to their sampling rank intervals.",
    ),
    "serve": (
        "sipas.cli.serve",
        "serve",
        "Serve the web application: public results, survey forms, the PAR workspace.",
    ),
    "service-index": (
        "sipas.cli.service_index",
        "service_index",
        "Chỉ số phục vụ (QĐ 766) / service-quality index from dossier records.",
    ),
    "settings": (
        "sipas.cli.settings",
        "settings_command",
        "Show every setting: value, source (default, config file, environment, flag) and help.",
    ),
    "users": ("sipas.cli.serve", "users", "Accounts of the web application."),
    "validate": (
        "sipas.cli.ingest",
        "validate_command",
        "Check FILE against a survey framework and report every problem (nothing is stored).",
    ),
    "weights": (
        "sipas.cli.sampling",
        "weights",
        "Weights after fieldwork: calibration to population margins, trimming.",
    ),
    "xlsform": (
        "sipas.cli.ingest",
        "xlsform_command",
        "Export survey framework NAME as an XLSForm for ODK Collect and KoboToolbox.",
    ),
}


class LazyGroup(click.Group):
    """A group whose commands are imported from :data:`COMMANDS` when one of them is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        module_name, attribute, _ = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List every command from the table, without importing any of them."""
        names = self.list_commands(ctx)
        if not names:  # pragma: no cover
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None and loaded.hidden:  # pragma: no cover
                continue
            stand_in = loaded or click.Command(name, help=COMMANDS[name][2])
            rows.append((name, stand_in.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="sipas")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML settings file (default: $SIPAS_CONFIG, else ./sipas.toml if present).",
)
@click.option("--database-url", help="Database URL (default: SQLite file in the data folder).")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), help="Data folder.")
@click.option("--lang", type=click.Choice(["vi", "en"]), help="Language of names and labels.")
@click.option("--debug", is_flag=True, default=None, help="Show tracebacks of unexpected errors.")
@click.pass_context
def cli(
    ctx: click.Context,
    config: Path | None,
    database_url: str | None,
    data_dir: Path | None,
    lang: str | None,
    debug: bool | None,
) -> None:
    """sipas — satisfaction (SIPAS) and administrative-reform (PAR INDEX) measurement.

    Start with `sipas demo` to build a synthetic national data set.
    """
    from sipas.cli.context import AppContext
    from sipas.settings import load_settings

    settings = load_settings(
        config, database_url=database_url, data_dir=data_dir, lang=lang, debug=debug
    )
    ctx.obj = AppContext(settings=settings, config_path=config)
    _language["chosen"] = settings.lang


# The language errors are printed in: the settings' once they are loaded; before that (a
# settings file that cannot be read), what the command line or the environment asks for.
_language: dict[str, str] = {}


def _language_of(argv: list[str]) -> str:
    if "chosen" in _language:
        return _language["chosen"]
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return os.environ.get("SIPAS_LANG", "vi")


def print_error(error: SipasError, lang: str) -> None:
    """One line, then the hint: what went wrong, where, and what to do."""
    from sipas.messages import text

    message, hint = error.text(lang)
    click.secho(f"{text('cli.error', lang)}: {message} [{error.code}]", fg="red", err=True)
    if hint:
        click.echo(f"  {text('cli.hint', lang)}: {hint}", err=True)


def _debug_wanted(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("SIPAS_DEBUG", "").lower() in {"1", "true", "yes"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    _language.clear()
    try:
        cli.main(args=args, prog_name="sipas", standalone_mode=False)
    except SipasError as exc:
        print_error(exc, _language_of(args))
        sys.exit(EXIT_ERROR)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)
    except Exception as exc:
        if _debug_wanted(args):
            traceback.print_exc()
        else:
            click.secho(f"internal error: {type(exc).__name__}: {exc}", fg="red", err=True)
            click.echo(
                "  hint: run again with --debug to see the traceback, and report it", err=True
            )
        sys.exit(EXIT_INTERNAL)
