"""`sipas settings`: the effective settings and where each value came from."""

from __future__ import annotations

import click

from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, format_option
from sipas.settings import describe_settings


@click.command("settings")
@format_option
@pass_app
def settings_command(app: AppContext, fmt: str) -> None:
    """Show every setting: value, source (default, config file, environment, flag) and help."""
    emit(describe_settings(app.settings, app.config_path), fmt, title="settings")
