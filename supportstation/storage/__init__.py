"""Persistence: typed SQLAlchemy 2.0 models, opening the database, and its migrations.

SQLite (WAL mode) by default, PostgreSQL through a URL for a team. `connect()` is what the application calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from supportstation.storage.errors import DatabaseError

if TYPE_CHECKING:
    from supportstation.storage.database import Database

__all__ = ["DatabaseError", "connect", "sqlite_url"]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def connect(url: str, *, backups: Path, create_missing: bool) -> Database:
    """Opens the database and brings its schema up to date (backing SQLite files up first)."""
    from supportstation.storage.database import open_database
    from supportstation.storage.schema import prepare

    database = open_database(url, create_missing=create_missing)
    try:
        prepare(database, backups)
    except BaseException:
        database.close()
        raise
    return database
