"""Opening a database from a URL: SQLite in WAL mode by default, PostgreSQL for a team.

Failures become a `DatabaseError` whose message names the file or URL (never its password) and says what to do.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from supportstation.i18n import _
from supportstation.storage import sqlite_url
from supportstation.storage.errors import DatabaseError
from supportstation.storage.group_commit import GroupCommit

SUPPORTED_SCHEMES = "sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/NAME"
POSTGRES_CONNECT_TIMEOUT_S = 5
T = TypeVar("T")


@dataclass
class Database:
    url: URL
    engine: Engine
    sessions: sessionmaker[Session]
    # SQLite writers of this process queue here: SQLite's own busy handler sleeps in steps of up to 100 ms, so
    # fifty runs recording at once spent most of their time asleep while the lock was free (bench/fanout.py).
    _sqlite_writers: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _group_commit: GroupCommit | None = field(default=None, repr=False)
    _group_commit_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite or not self.url.database or self.url.database == ":memory:":
            return None
        return Path(self.url.database)

    @property
    def display_name(self) -> str:
        return describe(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """Like `session`, for work that reads then writes while other threads write too (runs being recorded).

        SQLite's default BEGIN takes the write lock only at the first write; a transaction whose snapshot is older
        than another thread's commit then fails with "database is locked" at once, whatever the busy timeout.
        BEGIN IMMEDIATE takes the lock first, so such writers queue instead. Readers are not affected (WAL).
        """
        if not self.is_sqlite:
            with self.sessions() as session, session.begin():
                yield session
            return
        bind = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        with self._sqlite_writers, self.sessions(bind=bind) as session, session.begin():
            yield session

    def write_grouped(self, work: Callable[[Session], T]) -> T:
        """Runs `work(session)` in a `writing` transaction that other threads' grouped writes may share, and returns
        its value once committed: many writers at once commit in a few transactions (see `group_commit`). `work` must
        be database work only, safe to run again after a rollback, and must not write grouped itself."""
        if self._group_commit is None:
            with self._group_commit_lock:
                if self._group_commit is None:
                    self._group_commit = GroupCommit(self)
        return self._group_commit.write(work)

    def close(self) -> None:
        self.engine.dispose()


def describe(url: URL) -> str:
    """How the database is named to the user: a file path, or the URL without its password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def parse_url(raw: str) -> URL:
    try:
        url = make_url(raw)
    except sa_exc.ArgumentError as error:
        raise DatabaseError(
            _("'{url}' is not a database URL. Use {schemes}.").format(url=raw, schemes=SUPPORTED_SCHEMES)
        ) from error
    backend = url.get_backend_name()
    if backend == "postgresql" and url.get_driver_name() != "psycopg":
        url = url.set(drivername="postgresql+psycopg")
    elif backend != "sqlite" and backend != "postgresql":
        raise DatabaseError(
            _("Unknown database URL '{url}': SupportStation works with SQLite and PostgreSQL. Use {schemes}.").format(
                url=describe(url), schemes=SUPPORTED_SCHEMES
            )
        )
    return url


def open_database(raw_url: str, *, create_missing: bool, busy_timeout_s: float = 5.0) -> Database:
    """Opens and checks a connection; nothing is written yet except SQLite's WAL setting."""
    url = parse_url(raw_url)
    if url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, create_missing=create_missing, busy_timeout_s=busy_timeout_s)
    else:
        engine = _postgres_engine(url)
    database = Database(url, engine, sessionmaker(engine, expire_on_commit=False))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            if url.get_backend_name() == "sqlite":
                # Reading the schema makes SQLite read the file header: a corrupt file fails here, not later.
                connection.execute(text("SELECT count(*) FROM sqlite_master"))
    except sa_exc.DBAPIError as error:
        engine.dispose()
        raise explain(error, url) from error
    return database


def _sqlite_engine(url: URL, *, create_missing: bool, busy_timeout_s: float) -> Engine:
    path_text = url.database or ""
    if path_text and path_text != ":memory:":
        path = Path(path_text).expanduser().resolve()
        url = url.set(database=str(path))
        if not path.parent.is_dir():
            raise DatabaseError(
                _("The folder {folder} of the database file {path} does not exist.").format(
                    folder=path.parent, path=path
                )
            )
        if not path.exists() and not create_missing:
            raise DatabaseError(
                _(
                    "The database file {path} does not exist. Check the path, or create it with "
                    "`supportstation --database {url} db upgrade`."
                ).format(path=path, url=sqlite_url(path))
            )
        if path.exists() and not os.access(path, os.R_OK):
            raise DatabaseError(_("The database file {path} cannot be read: check its permissions.").format(path=path))
        if (path.exists() and not os.access(path, os.W_OK)) or not os.access(path.parent, os.W_OK):
            raise DatabaseError(
                _(
                    "The database file {path} is read-only (SQLite also needs to write beside it in {folder}). "
                    "Give your user write access, or copy the file to a writable folder and open the copy."
                ).format(path=path, folder=path.parent)
            )
        if path.is_dir():
            raise DatabaseError(_("{path} is a folder, not a database file.").format(path=path))

    engine = create_engine(url, connect_args={"timeout": busy_timeout_s})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # The driver's own transaction handling is off so that SQLAlchemy's BEGIN also covers DDL: a failed
        # migration then rolls back whole instead of leaving a half-altered schema.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit survives a power cut, not just a process crash (laptops run out of battery).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


def _postgres_engine(url: URL) -> Engine:
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S, "application_name": "SupportStation"},
    )


def explain(error: sa_exc.DBAPIError, url: URL) -> DatabaseError:
    """Turns a driver error into a message that names the database and says what to do."""
    name = describe(url)
    detail = str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
    lowered = detail.lower()
    if url.get_backend_name() == "sqlite":
        if "not a database" in lowered or "malformed" in lowered:
            return DatabaseError(
                _(
                    "The database file {name} is damaged or is not a SupportStation database ({detail}). "
                    "It was not modified. Restore a backup (the backups folder beside it holds copies made before "
                    "each upgrade), or move it aside to start a new one."
                ).format(name=name, detail=detail)
            )
        if "locked" in lowered or "busy" in lowered:
            return DatabaseError(
                _(
                    "The database file {name} is locked by another program (another SupportStation window?). "
                    "Close it and try again."
                ).format(name=name)
            )
        if "readonly" in lowered or "read-only" in lowered:
            return DatabaseError(
                _("The database file {name} is read-only: give your user write access to it.").format(name=name)
            )
        return DatabaseError(_("Cannot open the database file {name}: {detail}").format(name=name, detail=detail))
    host = f"{url.host or 'localhost'}:{url.port or 5432}"
    if "password authentication failed" in lowered or "authentication" in lowered:
        return DatabaseError(
            _("PostgreSQL at {host} refused the login for user '{user}': {detail}").format(
                host=host, user=url.username, detail=detail
            )
        )
    if "does not exist" in lowered:
        return DatabaseError(
            _("PostgreSQL at {host} has no database '{database}': {detail}").format(
                host=host, database=url.database, detail=detail
            )
        )
    return DatabaseError(
        _(
            "Cannot reach the PostgreSQL server at {host} ({detail}). Check the address and that the server is "
            "running, or work offline with the local database (no --database option)."
        ).format(host=host, detail=detail)
    )
