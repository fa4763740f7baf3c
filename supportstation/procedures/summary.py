"""A procedure run in a few lines: each step's outcome, the reasons for skips and failures, the consents given.

What the report's "procedure runs" section and `procedures run --json` are made from, read from the stored run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from supportstation.i18n import _
from supportstation.procedures.files import ProcedureError, parse
from supportstation.procedures.run_store import RunStatus, StepStatus, StoredRun, run_status_label, step_status_label

NOT_RUN = "not_run"


@dataclass
class StepSummary:
    index: int
    id: str
    title: str
    kind: str
    state: str  # a StepStatus, or "not_run"
    state_label: str
    reason: str = ""
    attempts: int = 0
    checks: list[dict[str, Any]] = field(default_factory=list)  # the last attempt's, each with its host
    consent: dict[str, Any] | None = None
    note: str = ""


@dataclass
class RunSummary:
    run_id: int
    procedure_id: str
    title: str
    state: str
    state_label: str
    targets: list[str]
    started_at: datetime
    ended_at: datetime | None
    steps: list[StepSummary]
    waiting_for: dict[str, Any]

    def count(self, state: StepStatus) -> int:
        return sum(1 for step in self.steps if step.state == state.value)

    @property
    def passed(self) -> bool:
        """Every step that ran passed (skipped ones are listed with their reasons), and the run completed."""
        return self.state == RunStatus.COMPLETED.value and not any(
            step.state in (StepStatus.FAILED.value, StepStatus.INTERRUPTED.value) for step in self.steps
        )

    @property
    def consents(self) -> list[dict[str, Any]]:
        return [step.consent for step in self.steps if step.consent]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["ended_at"] = self.ended_at.isoformat() if self.ended_at else None
        data["passed"] = self.passed
        data["counts"] = {status.value: self.count(status) for status in StepStatus if status is not StepStatus.RUNNING}
        return data


def summarize(run: StoredRun, language: str = "en") -> RunSummary:
    title = run.title  # as it was named, in the language of the day, when the run started
    try:
        procedure = parse(run.source, f"run {run.id}").procedure
    except ProcedureError:  # a stored source always parsed when the run started; keep what the records say
        steps = []
    else:
        steps = procedure.steps
        title = procedure.title_in(language) or title  # a French report names it in French
    latest = run.latest()
    attempts: dict[int, int] = {}
    for record in run.steps:
        attempts[record.index] = attempts.get(record.index, 0) + 1
    summaries = []
    count = max([len(steps), *(index + 1 for index in latest)])
    for index in range(count):
        step = steps[index] if index < len(steps) else None
        record = latest.get(index)
        state = record.state.value if record is not None else NOT_RUN
        summary = StepSummary(
            index=index,
            id=step.id if step else (record.step_id if record else str(index)),
            title=step.label(language) if step else "",
            kind=step.kind if step else (record.kind if record else ""),
            state=state,
            state_label=step_status_label(record.state) if record is not None else _("not run"),
            reason=record.reason if record else "",
            attempts=attempts.get(index, 0),
        )
        if record is not None:
            summary.checks = [
                {"target": host.get("target", ""), **check} for host in record.hosts for check in host.get("checks", [])
            ]
            if record.kind == "confirm" and record.state is StepStatus.PASSED:
                summary.consent = dict(record.answer)
            if record.kind == "note":
                summary.note = str(record.answer.get("text", ""))
        summaries.append(summary)
    return RunSummary(
        run_id=run.id,
        procedure_id=run.procedure_id,
        title=title,
        state=run.state.value,
        state_label=run_status_label(run.state),
        targets=list(run.targets),
        started_at=run.started_at,
        ended_at=run.ended_at,
        steps=summaries,
        waiting_for=dict(run.waiting_for),
    )
