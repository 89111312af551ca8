"""`sipas serve` and `sipas users …`: the web application and its accounts."""

from __future__ import annotations

import getpass
import os
from typing import Any

import click

from sipas.api import users as users_api
from sipas.cli.context import AppContext, pass_app
from sipas.cli.output import emit, format_option

# How long a worker may take to answer the supervisor's health check before it is replaced. A
# worker answers from a thread while it imports the app, so this covers starting the interpreter
# on a busy machine (uvicorn's own 5 s replaced workers over and over on a loaded 2-core host).
WORKER_TIMEOUT = 30


def serve_app(
    app: AppContext,
    host: str | None = None,
    port: int | None = None,
    workers: int = 1,
    worker_timeout: int = WORKER_TIMEOUT,
) -> None:
    """Serve the web app on the settings' database until Ctrl-C. With several workers, a worker
    that dies or stops answering is replaced."""
    import uvicorn

    from sipas.web import create_app

    host = host or app.settings.host
    port = port or app.settings.port
    click.echo(
        f"serving sipas on http://{host}:{port}/  (database {app.db.display_url}; Ctrl-C stops)"
    )
    if workers == 1:
        uvicorn.run(create_app(app.settings, app.db), host=host, port=port, log_level="warning")
        return
    # Worker processes build the app themselves from the environment: pass the effective settings.
    os.environ["SIPAS_DATABASE_URL"] = app.settings.resolved_database_url()
    os.environ["SIPAS_DATA_DIR"] = str(app.settings.data_dir)
    os.environ["SIPAS_SECURE_COOKIES"] = str(app.settings.secure_cookies).lower()
    if app.settings.secret_key is None:  # one key for every worker, or sessions break
        from sipas.web.app import secret_key_of

        os.environ["SIPAS_SECRET_KEY"] = secret_key_of(app.settings)
    uvicorn.run(
        "sipas.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_worker_healthcheck=worker_timeout,
        log_level="warning",
    )


@click.command("serve")
@click.option("--host", help="Address to listen on (default: the host setting, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: the port setting, 8000).")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (one per core suits a server).",
)
@click.option(
    "--worker-timeout",
    type=click.IntRange(1, 600),
    default=WORKER_TIMEOUT,
    show_default=True,
    help="Seconds a worker may take to answer a health check before it is replaced.",
)
@pass_app
def serve(
    app: AppContext, host: str | None, port: int | None, workers: int, worker_timeout: int
) -> None:
    """Serve the web application: public results, survey forms, the PAR workspace."""
    serve_app(app, host, port, workers, worker_timeout)


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


def _by() -> str:
    """Who made a change from the command line, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"[:120]
    except (KeyError, OSError):
        return "cli"


def _say(app: AppContext, key: str, **values: Any) -> None:
    from sipas.messages import text

    click.echo(text(key, app.settings.lang, **values))


@users.command("deactivate")
@click.argument("name")
@pass_app
def users_deactivate(app: AppContext, name: str) -> None:
    """Deactivate NAME: logging in is refused and every session of the account ends."""
    users_api.set_active(app.db, name, False, by=_by())
    _say(app, "accounts.deactivated", name=name)


@users.command("activate")
@click.argument("name")
@pass_app
def users_activate(app: AppContext, name: str) -> None:
    """Let the deactivated account NAME log in again."""
    users_api.set_active(app.db, name, True, by=_by())
    _say(app, "accounts.activated", name=name)


@users.command("reset-password")
@click.argument("name")
@click.password_option(help="The new password (asked for when not given).")
@pass_app
def users_reset_password(app: AppContext, name: str, password: str) -> None:
    """Give NAME a new password; every session of the account ends."""
    users_api.reset_password(app.db, name, password, by=_by())
    _say(app, "accounts.password_reset", name=name)


@users.command("unlock")
@click.argument("name")
@pass_app
def users_unlock(app: AppContext, name: str) -> None:
    """Forget the failed logins of NAME, so that its next login is checked at once."""
    done = users_api.unlock(app.db, name, by=_by())
    _say(app, "accounts.unlocked" if done["unlocked"] else "accounts.not_waiting", name=name)


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(users_api.ROLES))
@click.option("--province", help="An officer's province code.")
@pass_app
def users_set_role(app: AppContext, name: str, role: str, province: str | None) -> None:
    """Give NAME the role ROLE (an officer needs --province)."""
    done = users_api.set_role(app.db, name, role, province, by=_by())
    if done["province"]:
        _say(app, "accounts.role_set_province", name=name, role=role, province=done["province"])
    else:
        _say(app, "accounts.role_set", name=name, role=role)
