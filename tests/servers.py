"""What tests need of real servers: a fresh database (SQLite or PostgreSQL), a free loopback
port, and the app served on it."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sipas.store import Database, open_database

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


@contextmanager
def fresh_database(kind: str, folder: Path, prefix: str) -> Iterator[Database]:
    """An upgraded, empty database: a SQLite file in ``folder``, or a fresh database on the
    PostgreSQL server (``kind`` "postgres"); closed and dropped afterwards."""
    if kind == "sqlite":
        url, drop = f"sqlite:///{folder / f'{prefix}.db'}", None
    else:
        url, drop = fresh_postgres_database(prefix)
    db = open_database(url)
    db.upgrade()
    try:
        yield db
    finally:
        db.close()
        if drop is not None:
            drop()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app served by uvicorn in a thread on a free loopback port; yields its address."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
