"""The `sipas` command: a thin mirror of :mod:`sipas.api`, with one clean line per error."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from sipas import __version__
from sipas.cli.compare import compare
from sipas.cli.context import AppContext
from sipas.cli.demo import demo
from sipas.cli.estimate import change, estimate, results
from sipas.cli.frameworks import frameworks
from sipas.cli.geo import geo
from sipas.cli.ingest import COMMANDS as INGEST_COMMANDS
from sipas.cli.invitations import invitations
from sipas.cli.par import par
from sipas.cli.priorities import priorities
from sipas.cli.published import published
from sipas.cli.report import report
from sipas.cli.sampling import sample, weights
from sipas.cli.sensitivity import sensitivity
from sipas.cli.serve import serve, users
from sipas.cli.service_index import COMMANDS as SERVICE_INDEX_COMMANDS
from sipas.cli.settings import settings_command
from sipas.errors import SipasError
from sipas.settings import load_settings

EXIT_ERROR = 1
EXIT_INTERNAL = 70


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    settings = load_settings(
        config, database_url=database_url, data_dir=data_dir, lang=lang, debug=debug
    )
    ctx.obj = AppContext(settings=settings, config_path=config)
    _language["chosen"] = settings.lang


cli.add_command(change)
cli.add_command(compare)
cli.add_command(demo)
cli.add_command(estimate)
cli.add_command(frameworks)
cli.add_command(geo)
cli.add_command(invitations)
cli.add_command(par)
cli.add_command(priorities)
cli.add_command(published)
cli.add_command(sensitivity)
cli.add_command(report)
cli.add_command(results)
cli.add_command(sample)
cli.add_command(serve)
cli.add_command(settings_command)
cli.add_command(users)
cli.add_command(weights)
for _command in (*INGEST_COMMANDS, *SERVICE_INDEX_COMMANDS):
    cli.add_command(_command)


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
