"""Recording runs as evidence: the run row, its output chunks, the ticket's timeline and the audit log.

Output is handed to the run's `OutputWriter` (see `remote.output_store`) about once a second, or every FLUSH_BYTES
when it pours in, and committed at once, so a crash loses at most the last second of output and nothing already
committed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from supportstation import audit
from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.remote.output_store import (
    OutputNotStored,
    OutputWriter,
    digest_update,
    insert_rows,
    output_digest,
    stored_chunks,
)
from supportstation.remote.pool import Connection
from supportstation.remote.results import Chunk, RunResult, RunState, Stream, state_label
from supportstation.remote.runs import RunRequest
from supportstation.remote.transfers import TransferResult
from supportstation.storage.database import Database
from supportstation.storage.models import TimelineEvent
from supportstation.storage.run_models import RemoteRun

_RUNS, _EVENTS = RemoteRun.__table__, TimelineEvent.__table__
# Built once: building a statement costs about as much as running it.
_INSERT_RUN = insert(_RUNS).returning(_RUNS.c.id)
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)
_UPDATE_RUN = update(_RUNS).where(_RUNS.c.id == bindparam("row_id"))
_UPDATE_EVENT = update(_EVENTS).where(_EVENTS.c.id == bindparam("row_id"))

FLUSH_INTERVAL = 1.0
FLUSH_BYTES = 4 * 1024 * 1024  # also flush early when this much is waiting: bounded memory at any speed
TIMELINE_BODY_LIMIT = 64 * 1024

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordingContext:
    """Where and for whom runs are recorded."""

    database: Database
    outputs_folder: Path
    actor: str
    anchor: audit.Anchor | None = None
    ticket_id: int | None = None
    intervention_id: int | None = None
    author_id: int | None = None

    @property
    def data_folder(self) -> Path:
        """Where attachments live: the outputs folder is always `<data>/outputs` (see `remote.workbench`)."""
        return self.outputs_folder.parent

    def recorder(self, request: RunRequest) -> DatabaseRecorder:
        return DatabaseRecorder(self, request)


class DatabaseRecorder:
    def __init__(self, context: RecordingContext, request: RunRequest) -> None:
        self.context = context
        self.request = request
        self.run_id: int | None = None
        self.event_id: int | None = None
        self._writer: OutputWriter | None = None
        self._pending: list[Chunk] = []
        self._pending_bytes = 0
        self._last_flush = time.monotonic()

    # -- RunRecorder (called from the run's reader thread) --

    def begin(self, request: RunRequest, result: RunResult, connection: Connection | None) -> None:
        context = self.context

        # Core statements on the session's connection: the ORM's unit of work cost more CPU than the work itself,
        # and a fan-out records dozens of runs at once, grouped in a few transactions.
        def work(session: Session) -> tuple[int | None, int]:
            event_id = None
            database_connection = session.connection()
            if context.ticket_id is not None:
                record_host_key_acceptance(session, context, connection, at=result.started_at)
                event_id = database_connection.execute(
                    _INSERT_EVENT,
                    {
                        "ticket_id": context.ticket_id,
                        "intervention_id": context.intervention_id,
                        "created_at": result.started_at,
                        "kind": "command",
                        "author_id": context.author_id,
                        "summary": _summary(result, request)[:500],
                        "body": "",
                        "data": {},
                    },
                ).scalar_one()
            run_id = database_connection.execute(
                _INSERT_RUN,
                {
                    "ticket_id": context.ticket_id,
                    "intervention_id": context.intervention_id,
                    "host_id": request.target.host_id,
                    "actor": context.actor,
                    "target": result.target,
                    "transport": request.target.transport,
                    "command": result.command,
                    "action_id": request.action_id,
                    "started_at": result.started_at,
                    "state": RunState.RUNNING.value,
                    "host_key_fingerprint": result.host_key_fingerprint,
                    "runner": this_runner(),
                    "timeline_event_id": event_id,
                },
            ).scalar_one()
            return event_id, run_id

        self.event_id, run_id = context.database.write_grouped(work)
        self.run_id = result.run_id = run_id
        self._writer = OutputWriter(context.database, run_id, context.outputs_folder)
        self._last_flush = time.monotonic()  # the first second of output is counted from the start of the command

    def add(self, chunk: Chunk) -> None:
        self._pending.append(chunk)
        self._pending_bytes += len(chunk.data)
        if time.monotonic() - self._last_flush >= FLUSH_INTERVAL or self._pending_bytes >= FLUSH_BYTES:
            self.flush()

    def idle(self) -> None:
        if self._pending and time.monotonic() - self._last_flush >= FLUSH_INTERVAL:
            self.flush()

    def flush(self) -> None:
        """Hands what is waiting to the writer thread, which commits it at once."""
        chunks = self._take_pending()
        if chunks and self._writer is not None:
            self._writer.submit(chunks)

    def _take_pending(self) -> list[Chunk]:
        chunks, self._pending, self._pending_bytes = self._pending, [], 0
        self._last_flush = time.monotonic()
        return chunks

    def finish(self, result: RunResult) -> None:
        if self._writer is None:
            self.begin(self.request, result, None)
        writer = self._writer
        assert writer is not None and self.run_id is not None
        storage_error = ""
        try:
            rows = writer.close(self._take_pending())
        except OutputNotStored as error:
            rows, storage_error = [], str(error)
        context = self.context
        digest = writer.sha256

        # The last chunks, the run's end, its timeline entry and its audit record: one transaction (shared with other
        # runs ending at the same time), one fsync.
        def work(session: Session) -> None:
            insert_rows(session, rows)
            database_connection = session.connection()
            database_connection.execute(
                _UPDATE_RUN,
                {
                    "row_id": self.run_id,
                    "stdout_bytes": writer.sizes[Stream.STDOUT],
                    "stderr_bytes": writer.sizes[Stream.STDERR],
                    "ended_at": result.ended_at,
                    "state": result.state.value,
                    "exit_code": result.exit_code,
                    "error": " ".join(part for part in (result.error, storage_error) if part),
                    "output_sha256": digest,
                },
            )
            if self.event_id is not None:
                database_connection.execute(
                    _UPDATE_EVENT,
                    {
                        "row_id": self.event_id,
                        "summary": _summary(result, self.request)[:500],
                        "body": _timeline_body(result),
                        "data": _event_data(result, self.request),
                    },
                )
            if context.anchor is not None:
                audit.append(
                    session,
                    context.anchor,
                    actor=context.actor,
                    target=result.target,
                    action=_audited_action(self.request, result),
                    output_sha256=digest,
                    exit_code=result.exit_code,
                    ticket_id=context.ticket_id,
                )

        context.database.write_grouped(work)
        if self.request.attach_as and result.ok and context.ticket_id is not None:
            self._attach_output(result)

    def _attach_output(self, result: RunResult) -> None:
        """Keeps the output as a file on the ticket too (a switch's configuration backup); a failure to do so is
        logged, never taken for a failure of the run, whose output is already stored."""
        from supportstation.storage.models import Engineer, Ticket
        from supportstation.tickets.timeline import attach_file

        if result.output.omitted:
            log.warning("Output of run %s too large to attach; it stays with the run", self.run_id)
            return
        context = self.context
        stamp = result.started_at.strftime("%Y%m%d-%H%M%S")
        name = f"{self.request.target.label}-{stamp}-{self.request.attach_as}"
        try:
            with tempfile.TemporaryDirectory() as folder:
                copy = Path(folder) / name
                copy.write_bytes(result.output.bytes_of(Stream.STDOUT))
                with context.database.writing() as session:
                    ticket = session.get(Ticket, context.ticket_id)
                    author = session.get(Engineer, context.author_id) if context.author_id else None
                    if ticket is not None:
                        attach_file(session, ticket, copy, context.data_folder, author=author)
                    session.commit()
        except Exception:  # the run is recorded already: the attachment is a convenience on top
            log.exception("Could not attach the output of run %s", self.run_id)

    # -- helpers --


def record_host_key_acceptance(
    session: Session, context: RecordingContext, connection: Connection | None, at: datetime | None = None
) -> None:
    """Puts the engineer's acceptance of a new host key on the ticket's timeline, once: on the first run, transfer or
    terminal that used the connection (the key is asked for before anything says which ticket it is for).

    `at` is when that entry started: a run or a terminal is dated from before its connection, so the acceptance, made
    while connecting, takes the same time, and comes first on the timeline by being written first."""
    if connection is None or connection.key_decision is None or context.ticket_id is None:
        return
    offered = connection.offered_key
    how = _("always") if connection.key_decision.value == "always" else _("once")
    connection.key_decision = None
    session.add(
        TimelineEvent(
            ticket_id=context.ticket_id,
            intervention_id=context.intervention_id,
            kind="host_key",
            created_at=at or utc_now(),
            author_id=context.author_id,
            summary=_("Host key of {host} accepted ({how}): {key_type} {fingerprint}").format(
                host=offered.host_entry, how=how, key_type=offered.key_type, fingerprint=offered.fingerprint
            )[:500],
            data={"host": offered.host_entry, "key_type": offered.key_type, "fingerprint": offered.fingerprint},
        )
    )
    session.flush()  # now: the entries written next (with Core statements) come after it on the timeline


def _summary(result: RunResult, request: RunRequest) -> str:
    """'srv-01 $ df -h — exit code 0', or for a plugin's action its id instead of its (long) command line."""
    where = request.target.label
    if request.action_id:
        what = f"[{request.action_id}]"
    else:
        first_line = result.command.strip().splitlines()[0] if result.command.strip() else ""
        what = f"$ {first_line}"
    if result.state is RunState.RUNNING:
        return f"{where} {what}"
    outcome = (
        _("exit code {code}").format(code=result.exit_code)
        if result.state in (RunState.SUCCEEDED, RunState.FAILED)
        else state_label(result.state)
    )
    return f"{where} {what} — {outcome}"


def _timeline_body(result: RunResult) -> str:
    text = result.output.text()
    if len(text) > TIMELINE_BODY_LIMIT:
        cut = _("[… the complete output is kept with the run …]")
        text = text[: TIMELINE_BODY_LIMIT // 2] + "\n" + cut + "\n" + text[-TIMELINE_BODY_LIMIT // 2 :]
    if result.error:
        text = (text + "\n" if text else "") + result.error
    return text


def _event_data(result: RunResult, request: RunRequest) -> dict[str, object]:
    data: dict[str, object] = {
        "run_id": result.run_id,
        "target": result.target,
        "command": result.command,
        "action_id": request.action_id,
        "state": result.state.value,
        "exit_code": result.exit_code,
        "duration_s": result.duration,
        "host_key_fingerprint": result.host_key_fingerprint,
    }
    if request.input:  # what the command was given, without keeping it (it may be a file with secrets)
        data["input_bytes"] = len(request.input)
        data["input_sha256"] = hashlib.sha256(request.input).hexdigest()
    return data


def _audited_action(request: RunRequest, result: RunResult) -> str:
    prefix = f"[{request.action_id}] " if request.action_id else ""
    return f"{prefix}{'sudo ' if request.sudo else ''}{result.command}"


def this_runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def runner_is_gone(runner: str) -> bool:
    computer, _sep, pid = runner.rpartition(":")
    if computer != socket.gethostname() or not pid.isdigit():
        return False  # another computer's run: only that computer can tell
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_interrupted(
    database: Database, anchor: audit.Anchor | None = None, outputs_folder: Path | None = None
) -> int:
    """Runs left `running` by a process of this computer that died: marked as interrupted, with what was stored
    kept as it is. Runs of processes still alive, or of other computers sharing the database, are left alone."""
    running = select(RemoteRun.id).where(RemoteRun.state == RunState.RUNNING.value).limit(1)
    with database.session() as session:
        if session.scalar(running) is None:  # the usual case, read without taking the write lock (~50 ms each command)
            return 0
    with database.writing() as session:
        candidates = session.scalars(select(RemoteRun).where(RemoteRun.state == RunState.RUNNING.value)).all()
        runs = [run for run in candidates if runner_is_gone(run.runner)]
        for run in runs:
            run.state = RunState.CONNECTION_LOST.value
            run.ended_at = utc_now()
            run.error = _("SupportStation stopped while the command ran; the output stored until then is kept.")
            session.flush()
            digest = output_digest()
            for chunk in stored_chunks(session, run.id, run.spill_file, outputs_folder):
                digest_update(digest, chunk.stream, chunk.data)
            run.output_sha256 = digest.hexdigest()
            event = session.get(TimelineEvent, run.timeline_event_id) if run.timeline_event_id else None
            if event is not None:
                event.summary = f"{event.summary} — {state_label(RunState.CONNECTION_LOST)}"[:500]
                event.body = run.error
                event.data = {**(event.data or {}), "run_id": run.id, "state": run.state}
            if anchor is not None:
                audit.append(
                    session,
                    anchor,
                    actor=run.actor,
                    target=run.target,
                    action=f"[{run.action_id}] {run.command}" if run.action_id else run.command,
                    output_sha256=run.output_sha256,
                    ticket_id=run.ticket_id,
                )
        return len(runs)


def record_transfer(
    context: RecordingContext,
    transfer: TransferResult,
    *,
    attach: bool = False,
    connection: Connection | None = None,
) -> None:
    """A file transfer on the ticket's timeline (and, for a download, the file attached when asked) and in the
    audit log, with the SHA-256 of the bytes transferred."""
    from supportstation.storage.models import Engineer, Ticket
    from supportstation.tickets.timeline import attach_file

    arrow = "→"
    if transfer.direction == "upload":
        summary = _("Uploaded {local} {arrow} {target}:{remote} ({size} bytes)")
    else:
        summary = _("Downloaded {target}:{remote} {arrow} {local} ({size} bytes)")
    text = summary.format(
        local=transfer.local.name, remote=transfer.remote, target=transfer.target, size=transfer.size, arrow=arrow
    )
    with context.database.writing() as session:
        if context.ticket_id is not None:
            ticket = session.get(Ticket, context.ticket_id)
            author = session.get(Engineer, context.author_id) if context.author_id else None
            assert ticket is not None
            record_host_key_acceptance(session, context, connection)
            session.add(
                TimelineEvent(
                    ticket_id=ticket.id,
                    intervention_id=context.intervention_id,
                    kind="file_transfer",
                    author_id=context.author_id,
                    summary=text[:500],
                    data={
                        "direction": transfer.direction,
                        "target": transfer.target,
                        "remote": transfer.remote,
                        "local": str(transfer.local),
                        "size": transfer.size,
                        "sha256": transfer.sha256,
                        "host_key_fingerprint": transfer.host_key_fingerprint,
                    },
                )
            )
            if attach and transfer.direction == "download":
                attach_file(session, ticket, transfer.local, context.data_folder, author=author)
        if context.anchor is not None:
            audit.append(
                session,
                context.anchor,
                actor=context.actor,
                target=transfer.target,
                action=f"{transfer.direction} {transfer.local} {arrow} {transfer.remote}",
                output_sha256=transfer.sha256,
                ticket_id=context.ticket_id,
            )
        session.commit()
