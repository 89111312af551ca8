"""Shared fixtures. Every test gets its own data folder; nothing is written to the home folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sipas.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("SIPAS_") and name not in {
            "SIPAS_TEST_POSTGRES_URL",
            "SIPAS_REQUIRE_POSTGRES",
        }:
            monkeypatch.delenv(name)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("SIPAS_DATA_DIR", str(data_dir))
    monkeypatch.chdir(tmp_path)
    return data_dir


@pytest.fixture
def run_cli() -> Iterator[object]:
    """Invoke the CLI in-process the way a user would (through main's error handling)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        from sipas.cli.main import main

        return runner.invoke(_MainWrapper(main), list(args), input=input, catch_exceptions=False)

    yield invoke


class _MainWrapper:
    """Lets CliRunner call `main(argv)` (which handles errors and exit codes) like a command."""

    def __init__(self, main: object) -> None:
        self._main = main
        self.name = "sipas"

    def main(self, args: list[str], prog_name: str | None = None, **_: object) -> None:
        self._main(args)  # type: ignore[operator]


def _postgres_url() -> str | None:
    return os.environ.get("SIPAS_TEST_POSTGRES_URL")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the real server, dropped afterwards."""
    import sqlalchemy as sa

    base = _postgres_url() or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    try:
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text("select 1"))
    except Exception as exc:  # the server or the driver is missing
        if os.environ.get("SIPAS_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but unreachable at {base}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {base} (set SIPAS_TEST_POSTGRES_URL)")
    name = f"sipas_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


__all__ = ["ROOT", "cli"]
