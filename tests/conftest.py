"""Shared fixtures. Every test gets its own data folder; nothing is written to the home folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from servers import fresh_postgres_database
from sipas.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]


# Tests that need more than the fast suite offers, marked here so that a developer can leave them
# out (`-m "not slow and not browser and not postgres and not spark"`) and CI still runs them all.
BROWSER_MODULES = {"test_browser", "test_browser_survey"}
# Modules whose tests build a whole demo, a national survey, dossier datasets or reports (seconds
# to a minute each), and single tests of that weight elsewhere.
SLOW_MODULES = {
    "test_demo",
    "test_reports",
    "test_service_index_append",
    "test_service_index_cli",
    "test_web",
}
SLOW_FIXTURES = {"demo_database"}
SLOW_TESTS = {"test_stage_probabilities_multiply_and_match_simulated_frequencies"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__ if item.module is not None else ""
        fixtures = getattr(item, "fixturenames", ())
        params = getattr(getattr(item, "callspec", None), "params", {})
        values = {str(v) for v in params.values()}
        if module in BROWSER_MODULES:
            item.add_marker(pytest.mark.browser)
        if "postgres_url" in fixtures or "postgres" in values:
            item.add_marker(pytest.mark.postgres)
        if "spark" in values:
            item.add_marker(pytest.mark.spark)
        if (
            module in SLOW_MODULES
            or SLOW_FIXTURES & set(fixtures)
            or getattr(item, "originalname", item.name) in SLOW_TESTS
        ):
            item.add_marker(pytest.mark.slow)


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


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the real server, dropped afterwards."""
    url, drop = fresh_postgres_database()
    try:
        yield url
    finally:
        drop()


__all__ = ["ROOT", "cli"]
