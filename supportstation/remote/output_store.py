"""Where a run's output is kept: chunk rows in the database, then a spill file, written by a thread of their own.

The first `DATABASE_LIMIT` bytes (4 MiB) go into `run_chunks` rows; past that the output goes on in one spill file
per run in the outputs folder (records of stream byte, offset in ms and length, then the data), so a gigabyte of output
never sits in the database nor in memory. The writer thread hashes, writes and commits while the run's reader goes
back to reading: hashing, file writes and commits release the GIL, so the two overlap instead of taking turns.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from supportstation.i18n import _
from supportstation.remote.results import Chunk, Stream
from supportstation.storage.database import Database
from supportstation.storage.run_models import RemoteRun, RunChunk

log = logging.getLogger(__name__)

# The database's share of a run's output. Ordinary output fits whole; past it, a file is far cheaper per byte than
# SQLite's WAL and checkpoint (bench/stream.py: 100 MB took ~15 % longer with 16 MiB in the database than with 4).
DATABASE_LIMIT = 4 * 1024 * 1024
SPILL_HEADER = struct.Struct(">BII")  # stream, offset in ms, length
BACKLOG = 4  # batches handed over but not yet written, before the reader waits (and so slows the command down)
SYNC_INTERVAL = 1.0  # the spill file is synced to disk at least this often, and when the run ends
HAND_OVER_WAIT = 0.5  # how often a waiting reader looks whether the writer failed


class OutputNotStored(Exception):
    """The run's output could not be written (a full disk, a database error)."""


def output_digest() -> hashlib._Hash:
    return hashlib.sha256()


def digest_update(digest: hashlib._Hash, stream: int, data: bytes) -> None:
    # Framed, so that moving bytes between chunks or streams changes the digest.
    digest.update(struct.pack(">BQ", stream, len(data)))
    digest.update(data)


class OutputWriter:
    """Stores one run's output; `submit` batches from the reader, then `close` for the rows of the last batch."""

    def __init__(self, database: Database, run_id: int, outputs_folder: Path) -> None:
        self.database = database
        self.run_id = run_id
        self.outputs_folder = outputs_folder
        self.sizes = {Stream.STDOUT: 0, Stream.STDERR: 0}
        self._digest = output_digest()
        self._stored_bytes = 0
        self._sequence = 0
        self._spill: BinaryIO | None = None
        self._last_sync = self._last_commit = time.monotonic()
        self._batches: queue.Queue[list[Chunk] | None] = queue.Queue(maxsize=BACKLOG)
        self._thread: threading.Thread | None = None
        self._failure: Exception | None = None

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def submit(self, chunks: list[Chunk]) -> None:
        """Hands `chunks` to the writer thread; waits while it is BACKLOG batches behind. Raises OutputNotStored
        once a write has failed."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._write_batches, name=f"run {self.run_id} writer", daemon=True)
            self._thread.start()
        self._add_to_digest(chunks)
        self._hand_over(chunks)

    def close(self, last: list[Chunk]) -> list[dict[str, object]]:
        """Waits for every batch to be written and returns the rows of `last`, for the caller's final transaction
        (see `insert_rows`). Raises OutputNotStored if a batch could not be written."""
        try:
            if self._thread is not None:
                self._hand_over(None)
                self._thread.join()
            if self._failure is not None:
                raise OutputNotStored(self._failure_text()) from self._failure
            self._add_to_digest(last)
            rows = self._rows_for(last)
            if self._spill is not None:
                self._sync_spill(now=True)
            return rows
        finally:
            if self._spill is not None:
                self._spill.close()

    def write_rows(self, session: Session, rows: list[dict[str, object]]) -> None:
        """The rows, and the run's byte counts so far."""
        insert_rows(session, rows)
        session.execute(
            update(RemoteRun)
            .where(RemoteRun.id == self.run_id)
            .values(stdout_bytes=self.sizes[Stream.STDOUT], stderr_bytes=self.sizes[Stream.STDERR])
        )

    # -- the reader's side --

    def _add_to_digest(self, chunks: list[Chunk]) -> None:
        # Here rather than in the writer thread, which has the most to do: hashing releases the GIL, so the reader's
        # share overlaps with the transport's.
        for chunk in chunks:
            digest_update(self._digest, chunk.stream, chunk.data)

    def _hand_over(self, batch: list[Chunk] | None) -> None:
        while True:
            if self._failure is not None and batch is not None:
                raise OutputNotStored(self._failure_text()) from self._failure
            try:
                self._batches.put(batch, timeout=HAND_OVER_WAIT)
                return
            except queue.Full:
                continue

    def _failure_text(self) -> str:
        return _("The output of the run could not be stored: {error}").format(error=self._failure)

    # -- the writer thread --

    def _write_batches(self) -> None:
        while (batch := self._batches.get()) is not None:
            if self._failure is not None:
                continue  # keep taking batches, so that the reader never waits on a writer that gave up
            try:
                rows = self._rows_for(batch)
                # Past the database's share only the byte counts change: worth a commit (and its fsync) once a second.
                if rows or time.monotonic() - self._last_commit >= SYNC_INTERVAL:
                    with self.database.writing() as session:
                        self.write_rows(session, rows)
                    self._last_commit = time.monotonic()
            except Exception as error:
                log.exception("Could not store the output of run %s", self.run_id)
                self._failure = error

    def _rows_for(self, chunks: list[Chunk]) -> list[dict[str, object]]:
        """The chunks as rows for the database; those past DATABASE_LIMIT go to the spill file, synced here."""
        rows: list[dict[str, object]] = []
        for chunk in chunks:
            self.sizes[chunk.stream] += len(chunk.data)
            if self._spill is None and self._stored_bytes + len(chunk.data) <= DATABASE_LIMIT:
                self._sequence += 1
                self._stored_bytes += len(chunk.data)
                rows.append(
                    {
                        "run_id": self.run_id,
                        "sequence": self._sequence,
                        "stream": int(chunk.stream),
                        "offset_ms": int(chunk.offset * 1000),
                        "data": chunk.data,
                    }
                )
            else:
                self._write_spill(chunk)
        if self._spill is not None:
            self._sync_spill()
        return rows

    def _sync_spill(self, *, now: bool = False) -> None:
        """What the spill file got reaches the page cache at once (safe from a crash of the app) and the disk within
        SYNC_INTERVAL (safe from a power cut, as the database's commits are). Meanwhile the kernel is asked to start
        writing it out, so that the next fsync has little left to wait for, and a gigabyte of output does not crowd
        the page cache."""
        assert self._spill is not None
        self._spill.flush()
        descriptor = self._spill.fileno()
        if now or time.monotonic() - self._last_sync >= SYNC_INTERVAL:
            os.fsync(descriptor)
            self._last_sync = time.monotonic()
        elif hasattr(os, "posix_fadvise"):  # Linux: starts the write-back without waiting for it
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)

    def _write_spill(self, chunk: Chunk) -> None:
        if self._spill is None:
            self.outputs_folder.mkdir(parents=True, exist_ok=True)
            path = self.outputs_folder / f"run-{self.run_id}.out"
            self._spill = path.open("ab")
            with self.database.writing() as session:
                session.execute(update(RemoteRun).where(RemoteRun.id == self.run_id).values(spill_file=path.name))
        self._spill.write(SPILL_HEADER.pack(int(chunk.stream), int(chunk.offset * 1000), len(chunk.data)))
        self._spill.write(chunk.data)


def insert_rows(session: Session, rows: list[dict[str, object]]) -> None:
    if rows:
        session.execute(RunChunk.__table__.insert(), rows)


# -- reading back --------------------------------------------------------------------------------------------------


def stored_output(database: Database, run_id: int, outputs_folder: Path) -> Iterator[Chunk]:
    """Every stored chunk of a run, in order: the database's, then the spill file's."""
    with database.session() as session:
        spill = session.scalar(select(RemoteRun.spill_file).where(RemoteRun.id == run_id))
        yield from stored_chunks(session, run_id, spill, outputs_folder)


def stored_chunks(session: Session, run_id: int, spill: str | None, outputs_folder: Path | None) -> Iterator[Chunk]:
    rows = session.execute(
        select(RunChunk.stream, RunChunk.data, RunChunk.offset_ms)
        .where(RunChunk.run_id == run_id)
        .order_by(RunChunk.sequence)
    )
    for stream, data, offset_ms in rows:
        yield Chunk(Stream(stream), bytes(data), offset_ms / 1000)
    if spill and outputs_folder is not None and (outputs_folder / spill).is_file():
        yield from _read_spill(outputs_folder / spill)


def _read_spill(path: Path) -> Iterator[Chunk]:
    with path.open("rb") as file:
        while header := file.read(SPILL_HEADER.size):
            if len(header) < SPILL_HEADER.size:
                return  # a record cut by a crash: everything before it is intact
            stream, offset_ms, length = SPILL_HEADER.unpack(header)
            data = file.read(length)
            if len(data) < length:
                return
            yield Chunk(Stream(stream), data, offset_ms / 1000)
