"""Where a procedure run is kept as it goes: the run, each step's result, the ticket's timeline and the audit log.

Every change is committed at once (a step started, a step finished, the run waiting), so a run survives the app
being killed: `load` reads it back and the engine resumes from the step it was on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportstation import audit
from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.remote.recording import RecordingContext, runner_is_gone, this_runner
from supportstation.storage.models import TimelineEvent
from supportstation.storage.procedure_models import ProcedureRun, ProcedureStepResult


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    WAITING = "waiting"  # for the engineer: an acknowledgement, an answer, a consent or a decision on a failure
    PAUSED = "paused"
    FAILED = "failed"  # stopped at a failed step; it can still be retried or skipped
    COMPLETED = "completed"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"  # the app stopped while the run went on; resume it

    @property
    def finished(self) -> bool:
        return self in (RunStatus.COMPLETED, RunStatus.ABORTED)


class StepStatus(enum.StrEnum):
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # by the engineer, with a reason
    NOT_APPLICABLE = "not_applicable"  # its `when:` condition was false
    INTERRUPTED = "interrupted"


def run_status_label(status: RunStatus) -> str:
    return {
        RunStatus.RUNNING: _("running"),
        RunStatus.WAITING: _("waiting"),
        RunStatus.PAUSED: _("paused"),
        RunStatus.FAILED: _("stopped on a failure"),
        RunStatus.COMPLETED: _("completed"),
        RunStatus.ABORTED: _("aborted"),
        RunStatus.INTERRUPTED: _("interrupted"),
    }[status]


def step_status_label(status: StepStatus) -> str:
    return {
        StepStatus.RUNNING: _("running"),
        StepStatus.PASSED: _("passed"),
        StepStatus.FAILED: _("failed"),
        StepStatus.SKIPPED: _("skipped"),
        StepStatus.NOT_APPLICABLE: _("not applicable"),
        StepStatus.INTERRUPTED: _("interrupted"),
    }[status]


STEP_MARKS = {
    StepStatus.RUNNING: "…",
    StepStatus.PASSED: "✔",
    StepStatus.FAILED: "✘",
    StepStatus.SKIPPED: "↷",
    StepStatus.NOT_APPLICABLE: "–",
    StepStatus.INTERRUPTED: "!",
}


@dataclass
class StepRecord:
    index: int
    step_id: str
    kind: str
    attempt: int = 1
    state: StepStatus = StepStatus.RUNNING
    reason: str = ""
    hosts: list[dict[str, Any]] = field(default_factory=list)
    captured: dict[str, Any] = field(default_factory=dict)
    answer: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    row_id: int | None = None

    @property
    def exit_code(self) -> int | None:
        return next((host.get("exit_code") for host in self.hosts if host.get("exit_code") is not None), None)


@dataclass
class StoredRun:
    id: int
    procedure_id: str
    title: str
    source: str
    origin: str
    actor: str
    targets: list[str]
    parameters: dict[str, Any]
    variables: dict[str, Any]
    state: RunStatus
    next_step: int
    waiting_for: dict[str, Any]
    ticket_id: int | None
    intervention_id: int | None
    started_at: datetime
    ended_at: datetime | None
    runner: str
    steps: list[StepRecord]  # every attempt, in order

    def latest(self) -> dict[int, StepRecord]:
        """The last attempt at each step, by index."""
        return {record.index: record for record in self.steps}


class RunNotFound(LookupError):
    pass


class RunBusy(Exception):
    """Another live process drives the run."""


class RunStore:
    """Writes a run for one recording context (the ticket, the intervention, who acts)."""

    def __init__(self, context: RecordingContext) -> None:
        self.context = context

    # -- the run --

    def create(
        self,
        *,
        procedure_id: str,
        version: str,
        title: str,
        source: str,
        origin: str,
        targets: list[str],
        parameters: dict[str, Any],
    ) -> int:
        context = self.context
        with context.database.writing() as session:
            run = ProcedureRun(
                ticket_id=context.ticket_id,
                intervention_id=context.intervention_id,
                procedure_id=procedure_id,
                procedure_version=version,
                title=title[:300],
                source=source,
                origin=origin[:500],
                actor=context.actor,
                targets=targets,
                parameters=parameters,
                variables={},
                state=RunStatus.RUNNING.value,
                next_step=0,
                waiting_for={},
                runner=this_runner(),
            )
            session.add(run)
            session.flush()
            run.timeline_event_id = self._event(
                session,
                "procedure_run",
                _("Procedure started: {title} on {hosts}").format(title=title, hosts=", ".join(targets) or "—"),
                data={"run_id": run.id, "procedure_id": procedure_id, "version": version, "state": run.state},
            )
            return run.id

    def load(self, run_id: int) -> StoredRun:
        with self.context.database.session() as session:
            return load_run(session, run_id)

    def update_run(
        self,
        run_id: int,
        *,
        state: RunStatus,
        next_step: int,
        variables: dict[str, Any],
        waiting_for: dict[str, Any] | None = None,
        summary: str | None = None,
        summary_data: dict[str, Any] | None = None,
    ) -> None:
        """The run's state; with `summary`, also an entry on the timeline saying how the run ended or stopped."""
        with self.context.database.writing() as session:
            run = session.get(ProcedureRun, run_id)
            if run is None:
                raise RunNotFound(run_id)
            run.state = state.value
            run.next_step = next_step
            run.variables = variables
            run.waiting_for = waiting_for or {}
            run.runner = "" if state.finished else this_runner()  # held by this process until released
            run.ended_at = utc_now() if state.finished else None
            if summary is not None:
                self._event(session, "procedure_run", summary, data={"run_id": run_id, **(summary_data or {})})

    def claim(self, run_id: int) -> None:
        """This process now drives the run; RunBusy when another live process does (a window on this computer, the
        command line, a colleague's computer on a shared database). A process that died cannot hold it."""
        with self.context.database.writing() as session:
            run = session.get(ProcedureRun, run_id, with_for_update=True)
            if run is None:
                raise RunNotFound(run_id)
            me = this_runner()
            if run.runner and run.runner != me and not runner_is_gone(run.runner):
                raise RunBusy(
                    _("Procedure run {id} is being run by another SupportStation ({runner}).").format(
                        id=run_id, runner=run.runner
                    )
                )
            run.runner = me

    def release(self, run_id: int) -> None:
        """This process no longer drives the run: another one may resume it."""
        with self.context.database.writing() as session:
            run = session.get(ProcedureRun, run_id)
            if run is not None and run.runner == this_runner():
                run.runner = ""

    def abandon(self, run_id: int, reason: str) -> None:
        """Ends a run that no engine can take up again (its hosts or secrets are gone): aborted, with the reason."""
        with self.context.database.writing() as session:
            run = session.get(ProcedureRun, run_id)
            if run is None:
                raise RunNotFound(_("No procedure run has the number {id}.").format(id=run_id))
            if RunStatus(run.state).finished:
                return
            run.state, run.ended_at, run.runner, run.waiting_for = RunStatus.ABORTED.value, utc_now(), "", {}
            summary = _("Procedure aborted: {title}").format(title=run.title) + (f" — {reason}" if reason else "")
            self._event(session, "procedure_run", summary, data={"run_id": run_id, "state": run.state})

    # -- steps --

    def step_started(self, run_id: int, record: StepRecord) -> None:
        with self.context.database.writing() as session:
            row = ProcedureStepResult(
                run_id=run_id,
                step_index=record.index,
                step_id=record.step_id,
                kind=record.kind,
                attempt=record.attempt,
                state=StepStatus.RUNNING.value,
                started_at=record.started_at or utc_now(),
            )
            session.add(row)
            session.flush()
            record.row_id = row.id
            run = session.get(ProcedureRun, run_id)
            assert run is not None
            run.state, run.next_step, run.waiting_for = RunStatus.RUNNING.value, record.index, {}

    def step_finished(
        self,
        run_id: int,
        record: StepRecord,
        *,
        summary: str,
        body: str,
        next_step: int,
        variables: dict[str, Any],
        state: RunStatus,
        waiting_for: dict[str, Any] | None = None,
        audited: str | None = None,
    ) -> None:
        """The step's result, its entry on the timeline, and where the run goes on from (its state, next step and
        what it waits for), in one transaction, so a crash never leaves one without the other; with `audited`, a
        record in the audit log too (a consent, a skipped step: decisions made by a person)."""
        context = self.context
        with context.database.writing() as session:
            row = session.get(ProcedureStepResult, record.row_id) if record.row_id else None
            if row is None:
                row = ProcedureStepResult(
                    run_id=run_id, step_index=record.index, step_id=record.step_id, kind=record.kind
                )
                session.add(row)
            row.attempt = record.attempt
            row.state = record.state.value
            row.reason = record.reason
            row.started_at = record.started_at or utc_now()
            row.ended_at = record.ended_at or utc_now()
            row.hosts, row.captured, row.answer = record.hosts, record.captured, record.answer
            data = {
                "run_id": run_id,
                "step_id": record.step_id,
                "step_kind": record.kind,
                "state": record.state.value,
                "attempt": record.attempt,
                "reason": record.reason,
            }
            row.timeline_event_id = self._event(session, "procedure_step", summary, body=body, data=data)
            session.flush()
            record.row_id = row.id
            run = session.get(ProcedureRun, run_id)
            assert run is not None
            run.next_step, run.variables = next_step, variables
            run.state, run.waiting_for = state.value, waiting_for or {}
            if audited is not None and context.anchor is not None:
                audit.append(
                    session,
                    context.anchor,
                    actor=context.actor,
                    target=", ".join(run.targets),
                    action=audited,
                    output=body,
                    ticket_id=context.ticket_id,
                )

    def _event(
        self, session: Session, kind: str, summary: str, *, body: str = "", data: dict[str, Any] | None = None
    ) -> int | None:
        context = self.context
        if context.ticket_id is None:
            return None
        event = TimelineEvent(
            ticket_id=context.ticket_id,
            intervention_id=context.intervention_id,
            kind=kind,
            author_id=context.author_id,
            summary=summary[:500],
            body=body,
            data=data or {},
        )
        session.add(event)
        session.flush()
        return event.id


def load_run(session: Session, run_id: int) -> StoredRun:
    run = session.get(ProcedureRun, run_id)
    if run is None:
        raise RunNotFound(_("No procedure run has the number {id}.").format(id=run_id))
    rows = session.scalars(
        select(ProcedureStepResult).where(ProcedureStepResult.run_id == run_id).order_by(ProcedureStepResult.id)
    ).all()
    steps = [
        StepRecord(
            index=row.step_index,
            step_id=row.step_id,
            kind=row.kind,
            attempt=row.attempt,
            state=StepStatus(row.state),
            reason=row.reason,
            hosts=list(row.hosts or []),
            captured=dict(row.captured or {}),
            answer=dict(row.answer or {}),
            started_at=row.started_at,
            ended_at=row.ended_at,
            row_id=row.id,
        )
        for row in rows
    ]
    return StoredRun(
        id=run.id,
        procedure_id=run.procedure_id,
        title=run.title,
        source=run.source,
        origin=run.origin,
        actor=run.actor,
        targets=list(run.targets or []),
        parameters=dict(run.parameters or {}),
        variables=dict(run.variables or {}),
        state=RunStatus(run.state),
        next_step=run.next_step,
        waiting_for=dict(run.waiting_for or {}),
        ticket_id=run.ticket_id,
        intervention_id=run.intervention_id,
        started_at=run.started_at,
        ended_at=run.ended_at,
        runner=run.runner,
        steps=steps,
    )


def is_orphaned(run: StoredRun) -> bool:
    """A run held by a process of this computer that has died."""
    return bool(run.runner) and runner_is_gone(run.runner)


def runs_of_ticket(session: Session, ticket_id: int) -> list[ProcedureRun]:
    return list(
        session.scalars(
            select(ProcedureRun).where(ProcedureRun.ticket_id == ticket_id).order_by(ProcedureRun.started_at)
        )
    )


def unfinished_runs(session: Session) -> list[ProcedureRun]:
    """Runs that can go on: waiting, paused, stopped on a failure, or interrupted."""
    finished = (RunStatus.COMPLETED.value, RunStatus.ABORTED.value)
    return list(
        session.scalars(
            select(ProcedureRun).where(ProcedureRun.state.not_in(finished)).order_by(ProcedureRun.started_at.desc())
        )
    )
