"""What tests need of real servers: a fresh PostgreSQL database, and a free loopback port."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def fresh_postgres_database(prefix: str = "sipas_test") -> tuple[str, Callable[[], None]]:
    """A new, empty database on the real server (SIPAS_TEST_POSTGRES_URL), and how to drop it.

    Without a server the test is skipped, unless SIPAS_REQUIRE_POSTGRES is set (as in CI): then
    it fails."""
    base = os.environ.get("SIPAS_TEST_POSTGRES_URL") or DEFAULT_POSTGRES
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server or the driver is missing
        if os.environ.get("SIPAS_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but unreachable at {base}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {base} (set SIPAS_TEST_POSTGRES_URL)")

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False), drop


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
