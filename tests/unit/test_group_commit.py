"""Grouped writes: writers that come together share a transaction, each gets its own value once its work is
committed, and a work that fails fails alone, the others' work committed all the same."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from supportstation import storage
from supportstation.storage.database import Database

WRITERS = 12


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    opened = storage.connect(
        storage.sqlite_url(tmp_path / "db.sqlite"), backups=tmp_path / "backups", create_missing=True
    )
    with opened.session() as session:
        session.execute(text("CREATE TABLE written (value INTEGER NOT NULL)"))
    yield opened
    opened.close()


def insert(value: int) -> Callable[[Session], int]:
    def work(session: Session) -> int:
        session.execute(text("INSERT INTO written (value) VALUES (:value)"), {"value": value})
        return value * 10

    return work


def values(database: Database) -> list[int]:
    with database.session() as session:
        return sorted(session.scalars(text("SELECT value FROM written")).all())


def queued(database: Database) -> int:
    group = database._group_commit
    return 0 if group is None else len(group._queue)


def write_together(database: Database, works: list[Callable[[Session], int]]) -> dict[int, object]:
    """The first work holds its transaction until every other writer has queued: the rest then go as one batch."""
    outcomes: dict[int, object] = {}
    release = threading.Event()

    def first(session: Session) -> int:
        assert release.wait(10), "the other writers never queued"
        return works[0](session)

    def writer(number: int) -> None:
        try:
            outcomes[number] = database.write_grouped(first if number == 0 else works[number])
        except Exception as error:
            outcomes[number] = error

    threads = [threading.Thread(target=writer, args=(0,))]
    threads[0].start()
    while database._group_commit is None or not database._group_commit._leading:
        time.sleep(0.001)
    threads += [threading.Thread(target=writer, args=(number,)) for number in range(1, len(works))]
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 10
    while queued(database) < len(works) - 1 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for thread in threads:
        thread.join(10)
    return outcomes


def test_writers_that_come_together_share_one_transaction_and_each_gets_its_value(database: Database) -> None:
    outcomes = write_together(database, [insert(number) for number in range(WRITERS)])
    assert outcomes == {number: number * 10 for number in range(WRITERS)}
    assert values(database) == list(range(WRITERS))
    assert database._group_commit is not None and database._group_commit.batches == 2  # the first, then the rest


def test_a_writer_alone_commits_at_once_and_its_work_is_committed_when_it_returns(database: Database) -> None:
    assert database.write_grouped(insert(7)) == 70
    with storage.connect(database.url.render_as_string(), backups=Path(), create_missing=False).session() as other:
        assert other.scalars(text("SELECT value FROM written")).all() == [7]  # another connection sees it


def test_a_failing_work_fails_alone_and_the_others_are_committed(database: Database) -> None:
    runs: list[int] = []

    def failing(session: Session) -> int:
        session.execute(text("INSERT INTO written (value) VALUES (666)"))
        raise ValueError("this row is refused")

    def counted(value: int) -> Callable[[Session], int]:
        def work(session: Session) -> int:
            runs.append(value)
            return insert(value)(session)

        return work

    works = [insert(0), *(counted(number) for number in range(1, 5)), failing, *(counted(n) for n in range(6, 9))]
    outcomes = write_together(database, works)
    error = outcomes.pop(5)
    assert isinstance(error, ValueError) and str(error) == "this row is refused"
    assert outcomes == {number: number * 10 for number in (0, 1, 2, 3, 4, 6, 7, 8)}
    assert values(database) == [0, 1, 2, 3, 4, 6, 7, 8]  # not the failing work's row, and each row once
    # The batch ran up to the failing work and rolled back; then each work ran alone.
    assert sorted(runs) == sorted([*range(1, 5), *range(1, 5), *range(6, 9)])


def test_a_steady_stream_of_writers_all_finish(database: Database) -> None:
    errors: list[BaseException] = []

    def writer(start: int) -> None:
        try:
            for value in range(start, start + 25):
                assert database.write_grouped(insert(value)) == value * 10
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(number * 100,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and not any(thread.is_alive() for thread in threads)
    assert values(database) == sorted(number * 100 + value for number in range(8) for value in range(25))
    assert database._group_commit is not None and database._group_commit.batches <= 200
