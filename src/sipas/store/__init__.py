"""Persistence: the only code that talks to the database (SQLAlchemy; SQLite or PostgreSQL)."""

from sipas.store.db import Database, head_revision, open_database

__all__ = ["Database", "head_revision", "open_database"]
