"""Bringing a database to the schema this version expects, cheaply when it is already there.

Start-up reads one row (`alembic_version`) and compares it with `HEAD_REVISION`; Alembic itself is imported only
when there is something to migrate. Before migrating an existing SQLite file a copy is put aside, and a database
written by a newer version is refused, never downgraded.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect, text

from supportstation import __version__
from supportstation.i18n import _
from supportstation.storage.database import Database, explain
from supportstation.storage.errors import DatabaseError

# Every revision this version knows, oldest first; tests keep it equal to the scripts in migrations/versions.
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010")
HEAD_REVISION = KNOWN_REVISIONS[-1]
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

log = logging.getLogger(__name__)


@dataclass
class SchemaReport:
    before: str | None
    after: str
    backup: Path | None = None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def current_revision(database: Database) -> str | None:
    """The revision stamped in the database; None for a database with no SupportStation schema."""
    try:
        with database.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    except sa_exc.DBAPIError as error:
        raise explain(error, database.url) from error


def _has_foreign_tables(database: Database) -> list[str]:
    with database.engine.connect() as connection:
        return [name for name in inspect(connection).get_table_names() if name != "alembic_version"]


def prepare(database: Database, backups: Path) -> SchemaReport:
    """Checks the schema and upgrades it when this version is newer. Raises DatabaseError, leaving data intact."""
    revision = current_revision(database)
    if revision == HEAD_REVISION:
        return SchemaReport(revision, revision)
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise DatabaseError(
            _(
                "The database {name} was written by a newer version of SupportStation (schema revision {revision}; "
                "SupportStation {version} knows up to {head}). It was left untouched: install the newer "
                "SupportStation to use it."
            ).format(name=database.display_name, revision=revision, version=__version__, head=HEAD_REVISION)
        )
    if revision is None:
        foreign = _has_foreign_tables(database)
        if foreign:
            raise DatabaseError(
                _(
                    "The database {name} is not a SupportStation database (it holds other tables: {tables}). "
                    "It was left untouched."
                ).format(name=database.display_name, tables=", ".join(sorted(foreign)[:5]))
            )
    backup = _backup_sqlite(database, backups, revision) if revision is not None else None
    _upgrade(database)
    log.info("Database %s upgraded from %s to %s", database.display_name, revision, HEAD_REVISION)
    return SchemaReport(revision, HEAD_REVISION, backup)


def _backup_sqlite(database: Database, backups: Path, revision: str) -> Path | None:
    source = database.sqlite_path
    if source is None:
        return None  # PostgreSQL migrates in one transaction; its backups are the server's business.
    backups.mkdir(parents=True, exist_ok=True)
    target = backups / f"{source.stem}-rev{revision}-{datetime.now():%Y%m%d-%H%M%S}.sqlite3"
    # SQLite's online backup copies a consistent snapshot, WAL content included, unlike a plain file copy.
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()
    log.info("Database copied to %s before upgrading", target)
    return target


def _upgrade(database: Database) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        # One transaction for every step: on SQLite and PostgreSQL alike a failure leaves the schema as it was.
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except sa_exc.DBAPIError as error:
        raise explain(error, database.url) from error
