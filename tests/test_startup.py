"""Fast start: importing the command line loads no heavy library; every command is still listed.

`sipas --help` and `sipas --version` must not pay for reports, charts, dataframes or engines
(issue: `sipas --version` took 5.7 s). Each check runs in a fresh interpreter, as a user's does.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from sipas.cli.main import COMMANDS, cli

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("weasyprint", "plotly", "ibis", "duckdb", "pyspark", "pandas")
# What the command line itself must not load either: settings (pydantic), the database layer.
NOT_FOR_HELP = (*HEAVY, "sqlalchemy", "alembic", "matplotlib", "openpyxl", "numpy", "pydantic")


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _loaded_after(code: str, *args: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = _python(probe, *args)
    assert done.returncode == 0, done.stderr
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_importing_the_command_line_loads_no_heavy_module() -> None:
    loaded = _loaded_after("import sipas.cli.main")
    assert "sipas" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_load_no_heavy_module(option: str) -> None:
    code = (
        "import sys\nfrom sipas.cli.main import cli\n"
        "try:\n"
        f"    cli.main(args=[{option!r}], prog_name='sipas', standalone_mode=False)\n"
        "except SystemExit:\n    pass"
    )
    loaded = _loaded_after(code)
    assert not loaded & set(NOT_FOR_HELP), sorted(loaded & set(NOT_FOR_HELP))


def test_help_lists_every_command_with_its_one_line_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sipas", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "100"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split("Commands:", 1)[1].splitlines()
    names = [line.split()[0] for line in listed if line.strip()]
    assert names == sorted(COMMANDS)
    for expected in ("serve", "estimate", "service-index", "par", "users", "xlsform"):
        assert expected in names
    assert "Serve the web application" in done.stdout
    assert (
        "sipas, version" in _python("from sipas.cli.main import main; main(['--version'])").stdout
    )


def test_the_table_matches_the_commands_it_names() -> None:
    """Each row names a real command whose name and one-line help are the row's."""
    for name, (module_name, attribute, help_text) in COMMANDS.items():
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command), name
        assert command.name == name
        assert command.get_short_help_str(limit=10_000) == help_text, name
    # Every command a command module offers at the top is in the table.
    from sipas.cli.ingest import COMMANDS as INGEST_COMMANDS
    from sipas.cli.service_index import COMMANDS as SERVICE_INDEX_COMMANDS

    for command in (*INGEST_COMMANDS, *SERVICE_INDEX_COMMANDS):
        assert command.name in COMMANDS


def test_no_command_is_registered_eagerly() -> None:
    """A new command goes into COMMANDS (module, attribute, help), not `cli.add_command(...)`,
    which would import its module, and all it imports, for every command."""
    done = _python("from sipas.cli.main import cli; print(sorted(cli.commands))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"move these into COMMANDS: {done.stdout.strip()}"


def test_a_command_is_loaded_when_it_is_used() -> None:
    context = click.Context(cli)
    command = cli.get_command(context, "geo")
    assert isinstance(command, click.Group)
    assert cli.get_command(context, "no-such-command") is None
    # A subcommand runs through the lazy group as before, settings and all.
    code = "from sipas.cli.main import main; main(['geo', 'list', '--format', 'json'])"
    done = _python(code)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) >= 34


def test_a_web_worker_starts_without_reports_charts_or_the_service_index(tmp_path: Path) -> None:
    """What `sipas serve --workers N` runs in each worker: the app from the environment, and one
    request. Reports, charts, the service index and spreadsheets load on a page's first use."""
    code = (
        "import os\n"
        f"os.environ['SIPAS_DATA_DIR'] = {str(tmp_path)!r}\n"
        "from fastapi.testclient import TestClient\n"
        "from sipas.web.app import app_from_environment\n"
        "with TestClient(app_from_environment()) as client:\n"
        "    assert client.get('/health').status_code == 200\n"
        "    assert client.get('/vendor/plotly.min.js').status_code == 200"
    )
    loaded = _loaded_after(code)
    late = {"weasyprint", "plotly", "ibis", "duckdb", "pyspark", "matplotlib", "openpyxl"}
    assert not loaded & late, sorted(loaded & late)
