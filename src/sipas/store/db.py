"""Opening a database and bringing its schema up to date.

SQLite by default (a file; zero set-up), PostgreSQL by URL. Every open runs the versioned
migrations to the newest revision, so a database made by an older sipas is upgraded in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from sipas.errors import SipasError

# Alembic is imported when a database is opened: commands that open none start without it.
if TYPE_CHECKING:
    from alembic.config import Config

SUPPORTED_DIALECTS = ("sqlite", "postgresql")


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("sipas.store").joinpath("migrations"))
    )
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None  # the package always ships at least one migration
    return head


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Several web workers write to one file: a writer waits for the lock instead of failing.
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """A connection pool to one database whose schema is at the newest migration."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise SipasError("db.bad_url", url=url) from None
        self.dialect = parsed.get_backend_name()
        if self.dialect not in SUPPORTED_DIALECTS:
            raise SipasError("db.unsupported", dialect=self.dialect)
        if self.dialect == "sqlite" and parsed.database not in (None, "", ":memory:"):
            folder = Path(parsed.database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SipasError("db.unwritable", folder=folder, reason=exc.strerror) from None
        # An import hands its connection to a writer thread, one thread at a time: SQLite's own
        # same-thread check would refuse that, so it is off (SQLAlchemy's pool serialises use).
        arguments = {"check_same_thread": False} if self.dialect == "sqlite" else {}
        try:
            self.engine: Engine = create_engine(url, future=True, connect_args=arguments)
        except ModuleNotFoundError as exc:
            raise SipasError("db.driver_missing", driver=exc.name, dialect=self.dialect) from None
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.upgrade()

    def upgrade(self) -> None:
        from alembic import command

        try:
            with self.engine.begin() as connection:
                config = _alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except OperationalError as exc:
            raise SipasError("db.unreachable", url=self.display_url, error=str(exc.orig)) from None

    @property
    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for one read that needs no transaction: each statement commits on its
        own, so a single SELECT costs one round trip to a server instead of three."""
        with self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    def close(self) -> None:
        self.engine.dispose()


def open_database(url: str) -> Database:
    return Database(url)
