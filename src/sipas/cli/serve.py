"""`sipas serve` and `sipas users …`: the web application and its accounts."""

from __future__ import annotations

import click

from sipas.api import users as users_api
from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, format_option


def serve_app(app: AppContext, host: str | None = None, port: int | None = None) -> None:
    """Serve the web app on the settings' database until Ctrl-C."""
    import uvicorn

    from sipas.web import create_app

    host = host or app.settings.host
    port = port or app.settings.port
    web = create_app(app.settings, app.db)
    click.echo(
        f"serving sipas on http://{host}:{port}/  (database {app.db.display_url}; Ctrl-C stops)"
    )
    uvicorn.run(web, host=host, port=port, log_level="warning")


@click.command("serve")
@click.option("--host", help="Address to listen on (default: the host setting, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: the port setting, 8000).")
@pass_app
def serve(app: AppContext, host: str | None, port: int | None) -> None:
    """Serve the web application: public results, survey forms, the PAR workspace."""
    serve_app(app, host, port)


@click.group()
def users() -> None:
    """Accounts of the web application."""


@users.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(users_api.ROLES), required=True)
@click.option("--province", help="An officer's province code.")
@click.option("--display-name", default="", help="The name shown on pages.")
@click.password_option(help="The password (asked for when not given).")
@pass_app
def users_create(
    app: AppContext, name: str, role: str, province: str | None, display_name: str, password: str
) -> None:
    """Create the account NAME with a role (and an officer's province)."""
    user = users_api.create_user(
        app.db,
        name=name,
        role=role,
        password=password,
        province=province,
        display_name=display_name,
    )
    where = f", province {user['province']}" if user["province"] else ""
    click.echo(f"user {user['name']}: {user['role']}{where}")


@users.command("list")
@format_option
@pass_app
def users_list(app: AppContext, fmt: str) -> None:
    """Every account with its role and province."""
    emit(users_api.list_users(app.db), fmt, title="users")
