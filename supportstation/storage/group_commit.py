"""Group commit: writes that many threads make at once, committed together in few transactions.

A fan-out records fifty runs at the same moment, each with a row when it starts and its end when it finishes. One
transaction each cost about 0.7 ms of interpreter time (session, BEGIN, COMMIT) and an fsync, and the writers took
turns on the database's write lock: the recording came to a fifth of a 50-host fan-out's time (bench/fanout.py).

Here the writers queue their work. The first one to find nobody writing leads: it takes everything queued, runs it
in one transaction, commits (one fsync), and hands each writer its result. Work queued meanwhile goes to the next
leader, the first of the waiting writers, so no thread works for the others longer than one batch. Nothing waits
for company: a writer alone commits at once, as before. Each writer returns only once its work is committed, so
durability is unchanged.

When a batch fails (one work raises, the disk is full), it is rolled back and each work is run again alone, so only
the writer whose work fails gets the error, with its own exception. The work must therefore be database work only,
safe to run twice after a rollback; work that must wait for the commit (the audit anchor) hooks the session's
after_commit event, as it would in a transaction of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from supportstation.storage.database import Database

T = TypeVar("T")


class _Write(Generic[T]):
    __slots__ = ("done", "error", "leads", "value", "woken", "work")

    def __init__(self, work: Callable[[Session], T]) -> None:
        self.work = work
        self.woken = threading.Event()
        self.done = False
        self.leads = False  # set when the writer is woken to lead the next batch, not because its work is done
        self.value: T | None = None
        self.error: BaseException | None = None


class GroupCommit:
    """One per database; `write(work)` runs `work(session)` in a transaction, maybe shared, and returns its value
    once committed."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._queue: list[_Write[Any]] = []
        self._leading = False
        self.batches = 0  # how many transactions were committed: tests and benches read it

    def write(self, work: Callable[[Session], T]) -> T:
        mine = _Write(work)
        with self._lock:
            self._queue.append(mine)
            leads = not self._leading
            self._leading = True
        while True:
            if leads:
                self._lead()
            if mine.done:
                break
            mine.woken.wait()
            mine.woken.clear()
            leads, mine.leads = mine.leads, False
        if mine.error is not None:
            raise mine.error
        return mine.value  # type: ignore[return-value]

    def _lead(self) -> None:
        """Commits what is queued, then wakes the first writer still waiting to lead the next batch."""
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            self._commit(batch)
        finally:
            with self._lock:
                if self._queue:
                    self._queue[0].leads = True
                    self._queue[0].woken.set()
                else:
                    self._leading = False
            for write in batch:
                write.woken.set()

    def _commit(self, batch: list[_Write[Any]]) -> None:
        try:
            with self.database.writing() as session:
                values = [write.work(session) for write in batch]
                session.commit()
        except Exception as error:
            if len(batch) == 1:
                batch[0].error, batch[0].done = error, True
                return
            for write in batch:  # the batch is rolled back: each alone, so only the failing work fails
                self._commit([write])
            return
        except BaseException as error:  # KeyboardInterrupt, SystemExit: nobody's work is known to be committed
            for write in batch:
                write.error, write.done = error, True
            raise
        self.batches += 1
        for write, value in zip(batch, values, strict=True):
            write.value, write.done = value, True
