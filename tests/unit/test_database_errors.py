"""Bad databases get a message naming the file or URL and what to do, and are never modified."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from supportstation.storage import DatabaseError, connect
from tests.servers.postgres import free_port


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_corrupt_file_is_named_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.sqlite3"
    path.write_bytes(b"this is not SQLite at all" * 200)
    before = digest(path)
    with pytest.raises(DatabaseError) as raised:
        connect(f"sqlite:///{path}", backups=tmp_path / "b", create_missing=False)
    assert str(path) in str(raised.value) and "damaged" in str(raised.value)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrupt.sqlite3"]


def test_a_locked_file_says_another_program_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        from supportstation.storage.database import open_database

        with pytest.raises(DatabaseError, match="locked by another program"):
            open_database(f"sqlite:///{path}", create_missing=False, busy_timeout_s=0.2)
    finally:
        holder.rollback()
        holder.close()


def test_an_explicit_path_that_does_not_exist_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo.sqlite3"
    with pytest.raises(DatabaseError, match=r"does not exist.*db upgrade"):
        connect(f"sqlite:///{path}", backups=tmp_path, create_missing=False)
    assert not path.exists()


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match=f"folder {tmp_path / 'nowhere'}"):
        connect(f"sqlite:///{tmp_path / 'nowhere' / 'db.sqlite3'}", backups=tmp_path, create_missing=True)


def test_a_folder_given_as_database_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="is a folder"):
        connect(f"sqlite:///{tmp_path}", backups=tmp_path, create_missing=False)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://user@host/db", "Unknown database URL 'mysql://user@host/db'"),
        ("not a url", "is not a database URL"),
        ("oracle+cx_oracle://scott:tiger@host/db", "Unknown database URL 'oracle\\+cx_oracle://scott:\\*\\*\\*@host"),
    ],
)
def test_unsupported_urls_are_explained(url: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match=message) as raised:
        connect(url, backups=tmp_path, create_missing=False)
    assert "tiger" not in str(raised.value)


def test_an_unreachable_postgresql_server_is_named_without_its_password(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(DatabaseError) as raised:
        connect(f"postgresql+psycopg://team:s3cret@127.0.0.1:{port}/queue", backups=tmp_path, create_missing=False)
    message = str(raised.value)
    assert f"Cannot reach the PostgreSQL server at 127.0.0.1:{port}" in message
    assert "s3cret" not in message and "s3cret" not in repr(raised.value.__cause__ or "")


def test_a_missing_postgresql_database_is_named(postgres, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DatabaseError, match="has no database 'absent'"):
        connect(postgres.url("absent"), backups=tmp_path, create_missing=False)


@pytest.fixture
def read_only_folder(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A folder and its read-only view (a read-only bind mount: root ignores file permissions)."""
    writable, read_only = tmp_path / "writable", tmp_path / "read-only"
    writable.mkdir()
    read_only.mkdir()
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "--bind", str(writable), str(read_only)], capture_output=True)
        if mounted.returncode != 0:
            pytest.skip(f"cannot bind-mount here: {mounted.stderr.decode().strip()}")
        subprocess.run(["mount", "-o", "remount,bind,ro", str(read_only)], check=True)
        try:
            yield writable, read_only
        finally:
            subprocess.run(["umount", str(read_only)], check=True)
    else:
        yield writable, writable
        writable.chmod(0o755)


def test_a_read_only_file_is_explained_and_untouched(read_only_folder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    writable, read_only = read_only_folder
    connect(f"sqlite:///{writable / 'shared.sqlite3'}", backups=tmp_path / "b", create_missing=True).close()
    if writable == read_only:
        writable.chmod(0o555)
    before = digest(writable / "shared.sqlite3")
    with pytest.raises(DatabaseError) as raised:
        connect(f"sqlite:///{read_only / 'shared.sqlite3'}", backups=tmp_path / "b", create_missing=False)
    assert "is read-only" in str(raised.value) and str(read_only / "shared.sqlite3") in str(raised.value)
    assert digest(writable / "shared.sqlite3") == before
