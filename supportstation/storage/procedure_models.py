"""Procedure runs and the result of each step, written as the run goes so a run can be resumed after a restart.

The procedure's YAML text is kept with the run: a run resumes with the procedure it started with, even if the file
was edited since. Secret values (parameters, prompted answers) are never stored here: they are kept in the vault under
`procedure-run/<id>/<name>` for as long as the run can go on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from supportstation.storage.models import Base
from supportstation.storage.types import UTCDateTime, utc_now


class ProcedureRun(Base):
    __tablename__ = "procedure_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"), index=True)
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("intervention.id", ondelete="SET NULL"))
    timeline_event_id: Mapped[int | None] = mapped_column(ForeignKey("timeline_event.id", ondelete="SET NULL"))
    procedure_id: Mapped[str] = mapped_column(String(200))
    procedure_version: Mapped[str] = mapped_column(String(50), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(Text)  # the YAML the run started with
    origin: Mapped[str] = mapped_column(String(500), default="")  # the file or library it came from
    actor: Mapped[str] = mapped_column(String(320))
    # The hosts the run acts on, as `run` names them ("ticket" is the first, "all" is every one).
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # secrets left out
    variables: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # prompted and captured; secrets left out
    state: Mapped[str] = mapped_column(String(24), default="running", index=True)
    next_step: Mapped[int] = mapped_column(Integer, default=0)  # index of the step to do next
    # What the run waits for while `state` is "waiting" or "failed": {"step": id, "kind": acknowledge|answer|…}.
    waiting_for: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runner: Mapped[str] = mapped_column(String(300), default="")  # "computer:pid" while a process drives it


class ProcedureStepResult(Base):
    __tablename__ = "procedure_step_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("procedure_run.id", ondelete="CASCADE"), index=True)
    step_index: Mapped[int] = mapped_column(Integer)
    step_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(24), default="running")
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was skipped, failed or stopped
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Per host: the remote run, its state and exit code, the checks with pass/fail, a parsed table for an action.
    hosts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    captured: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    answer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # a consent's who/initials; a prompt's value
    timeline_event_id: Mapped[int | None] = mapped_column(ForeignKey("timeline_event.id", ondelete="SET NULL"))
