"""Remote runs and their output, stored as they happen (see `remote.recording`).

A run's output is kept in chunks, committed about once a second while the command runs, so a crash loses at most the
last second. Past a size limit the rest goes to a spill file in the data folder, named by `spill_file`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from supportstation.storage.models import Base
from supportstation.storage.types import UTCDateTime, utc_now


class RemoteRun(Base):
    __tablename__ = "remote_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"), index=True)
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("intervention.id", ondelete="SET NULL"))
    timeline_event_id: Mapped[int | None] = mapped_column(ForeignKey("timeline_event.id", ondelete="SET NULL"))
    host_id: Mapped[int | None] = mapped_column(ForeignKey("host.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(320))
    target: Mapped[str] = mapped_column(String(500))
    transport: Mapped[str] = mapped_column(String(16), default="ssh")
    # What was run, with known secrets redacted; for an action, the action's id is kept beside it.
    command: Mapped[str] = mapped_column(Text)
    action_id: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(24), default="running")
    exit_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    stdout_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    stderr_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # SHA-256 over the stored output in order (stream byte, then data, per chunk): the audit record carries it too.
    output_sha256: Mapped[str | None] = mapped_column(String(64))
    spill_file: Mapped[str | None] = mapped_column(String(500))
    host_key_fingerprint: Mapped[str] = mapped_column(String(100), default="")
    # "computer:pid" of the process that runs it: a run left `running` is known to be interrupted only when that
    # process is gone, which another process on the same computer can check (a shared database has several).
    runner: Mapped[str] = mapped_column(String(300), default="")


class RunChunk(Base):
    __tablename__ = "run_chunk"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("remote_run.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    stream: Mapped[int] = mapped_column(SmallInteger)  # remote.results.Stream
    offset_ms: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
