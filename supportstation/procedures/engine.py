"""Running a procedure step by step, on real hosts, with every step's result kept as it happens.

    engine = await ProcedureEngine.start(services, document, targets=["srv-web-01"], parameters={"service": "nginx"})
    while (waiting := await engine.advance()) is not None:
        ...                                     # the engineer acknowledges, answers, consents, retries or skips
        await engine.acknowledge()              # (or answer / consent / retry / skip / abort)

`advance` runs steps until one needs the engineer (an instruction to acknowledge, a prompt, a consent, a failed step
to retry or skip) or the run ends or is paused; it returns what it waits for. Each answer is recorded before the run
goes on, so `ProcedureEngine.resume(services, run_id)` takes a run up where it stopped, after a restart too: a step
that was running when the app died is not run again by itself; the engineer decides whether to retry it.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.plugin_api.actions import (
    Action,
    ActionError,
    ParameterError,
    ParameterType,
    ParseError,
    Value,
    argument_text,
    template_placeholders,
)
from supportstation.procedures.checks import CaptureError, CheckResult, capture_values, check_result
from supportstation.procedures.conditions import ConditionError, StepOutcome, evaluate
from supportstation.procedures.files import ProcedureDocument, ProcedureError, dump, parse
from supportstation.procedures.model import Procedure, Step, text_in
from supportstation.procedures.run_store import (
    STEP_MARKS,
    RunBusy,
    RunStatus,
    RunStore,
    StepRecord,
    StepStatus,
    StoredRun,
    run_status_label,
    step_status_label,
)
from supportstation.procedures.templates import SECRET_MASK, display_command, render, resolve_parameters, shell_for
from supportstation.remote.fanout import fan_out
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.quoting import QuotingError
from supportstation.remote.results import Chunk, RunResult
from supportstation.remote.runs import RunHandle, Runner, RunRequest
from supportstation.remote.targets import Target
from supportstation.remote.threads import in_thread

log = logging.getLogger(__name__)

SECRET_KEY = "procedure-run/{run}/{name}"
INITIALS_LENGTH = 8


class Need(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"  # an instruction
    ANSWER = "answer"  # a prompt
    CONSENT = "consent"  # a customer's consent
    DECISION = "decision"  # a failed or interrupted step: retry, skip with a reason, or abort


@dataclass(frozen=True)
class Waiting:
    index: int
    step: Step
    need: Need
    reason: str = ""  # for a decision: why the step failed

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "step": self.step.id, "need": self.need.value, "reason": self.reason}


class EngineError(Exception):
    """A run that cannot start or go on; nothing was executed by the call that raised it."""


class RunTakenError(EngineError):
    """Another live SupportStation drives the run."""


class AnswerError(ValueError):
    """An answer the step refuses (empty, not matching its pattern, no reason to skip); the run still waits."""


class RunObserver:
    """What a window shows while a run goes on. Called on the engine's event loop; the default does nothing."""

    def step_started(self, index: int, step: Step, attempt: int) -> None: ...

    def output(self, index: int, target: str, chunk: Chunk) -> None: ...

    def step_finished(self, index: int, step: Step, record: StepRecord) -> None: ...

    def state_changed(self, state: RunStatus, waiting: Waiting | None) -> None: ...


@dataclass
class RunServices:
    """What the engine acts with: the remote core, the store, and how to find hosts and actions."""

    runner: Runner
    pool: ConnectionPool
    store: RunStore
    resolve: Callable[[list[str]], list[Target]]  # host names, as `run` takes them; raises TargetError
    find_action: Callable[[str], Action | None]
    vault: Any | None = None  # where secret values wait while the run can go on
    downloads: Path | None = None  # where downloaded files go (a folder per run); default: the data folder's
    language: str = "en"
    observer: RunObserver = field(default_factory=RunObserver)
    limit: int = 10  # hosts at once for a step on several hosts


class ProcedureEngine:
    def __init__(
        self,
        services: RunServices,
        procedure: Procedure,
        run: StoredRun,
        targets: list[Target],
        values: dict[str, Value],
        host_targets: dict[str, list[Target]],
    ) -> None:
        self.services = services
        self.procedure = procedure
        self.run = run
        self.targets = targets
        self.host_targets = host_targets  # the hosts named by host parameters
        self.values = values  # parameters, then prompted and captured variables
        self.records = list(run.steps)
        self.waiting: Waiting | None = None
        self._pause = False
        self._abort = False
        self._interrupt = False
        self._idle = asyncio.Event()  # set while no step is being executed (abort waits for it)
        self._idle.set()
        self._handles: list[RunHandle] = []
        self._cancel_transfer = threading.Event()
        self._secret_names = {spec.name for spec in procedure.parameters if spec.type is ParameterType.SECRET}
        self._secret_names |= {s.prompt.variable for s in procedure.steps if s.prompt is not None and s.prompt.secret}
        self._raw = frozenset(spec.name for spec in procedure.parameters if spec.raw)
        if run.waiting_for:
            index = int(run.waiting_for.get("index", run.next_step))
            self.waiting = Waiting(
                index, procedure.steps[index], Need(run.waiting_for["need"]), run.waiting_for.get("reason", "")
            )

    # -- starting and resuming --

    @classmethod
    async def start(
        cls,
        services: RunServices,
        document: ProcedureDocument,
        *,
        targets: list[str],
        parameters: Mapping[str, object],
        origin: str = "",
    ) -> ProcedureEngine:
        """A new run, recorded before its first step; EngineError (nothing executed) for anything that would make
        it fail on the way: a bad parameter, an unknown host or action, a value a shell cannot take."""
        procedure = document.procedure
        try:
            values = resolve_parameters(procedure, parameters)
        except ParameterError as error:
            raise EngineError(str(error)) from None
        if not targets:
            raise EngineError(_("Name at least one host for the procedure to run on."))
        resolved = await _resolve(services, targets)
        host_targets = await _resolve_host_parameters(services, procedure, values)
        _check_runnable(services, procedure, values, resolved)
        secrets = {spec.name for spec in procedure.parameters if spec.type is ParameterType.SECRET}
        stored_parameters = {name: value for name, value in values.items() if name not in secrets}
        run_id = await in_thread(
            services.store.create,
            procedure_id=procedure.id,
            version=str(procedure.version),
            title=procedure.title_in(services.language),
            source=dump(document.data),
            origin=origin,
            targets=list(targets),
            parameters=stored_parameters,
        )
        try:
            for name in secrets:
                if values.get(name) not in (None, ""):
                    await in_thread(
                        _vault_required(services).store, SECRET_KEY.format(run=run_id, name=name), str(values[name])
                    )
        except Exception as error:  # the vault refused: the run cannot go on, and says so
            await in_thread(services.store.abandon, run_id, str(error))
            message = _("The secrets of the run cannot be kept in the vault: {error}").format(error=error)
            raise EngineError(message) from error
        run = await in_thread(services.store.load, run_id)
        return cls(services, procedure, run, resolved, values, host_targets)

    @classmethod
    async def resume(cls, services: RunServices, run_id: int) -> ProcedureEngine:
        """The run as it was left: waiting for the same answer, or at the step it stopped on. A step that was running
        when the app stopped is marked interrupted and the engineer is asked whether to retry it."""
        run = await in_thread(services.store.load, run_id)
        if run.state.finished:
            raise EngineError(
                _("Procedure run {id} is {state}: there is nothing left to do.").format(
                    id=run_id, state=run_status_label(run.state)
                )
            )
        try:
            await in_thread(services.store.claim, run_id)
        except RunBusy as error:
            raise RunTakenError(str(error)) from None
        try:
            procedure = parse(run.source, f"run {run_id}").procedure
        except ProcedureError as error:
            raise EngineError(str(error)) from None
        values: dict[str, Value] = {**run.parameters, **run.variables}
        secret_names = {spec.name for spec in procedure.parameters if spec.type is ParameterType.SECRET}
        secret_names |= {s.prompt.variable for s in procedure.steps if s.prompt is not None and s.prompt.secret}
        for name in sorted(secret_names):
            key = SECRET_KEY.format(run=run_id, name=name)
            vault = services.vault
            if vault is not None and await in_thread(vault.exists, key):
                values[name] = await in_thread(vault.load_text, key)
        for spec in procedure.parameters:
            if spec.type is ParameterType.SECRET and spec.name not in values and not spec.required:
                values[spec.name] = spec.parameter().validate(None)  # an optional secret left empty
            if spec.type is ParameterType.SECRET and spec.name not in values:
                raise EngineError(
                    _("The secret {name} of run {id} is no longer in the vault: start the procedure again.").format(
                        name=spec.name, id=run_id
                    )
                )
        targets = await _resolve(services, run.targets)
        host_targets = await _resolve_host_parameters(services, procedure, values)
        engine = cls(services, procedure, run, targets, values, host_targets)
        last = engine._latest().get(run.next_step)
        interrupted = run.state in (RunStatus.RUNNING, RunStatus.INTERRUPTED)
        if interrupted and last is not None and last.state is StepStatus.RUNNING:
            last.state, last.ended_at = StepStatus.INTERRUPTED, utc_now()
            last.reason = _("SupportStation stopped while this step ran; check the host before running it again.")
            waiting = Waiting(run.next_step, procedure.steps[run.next_step], Need.DECISION, last.reason)
            await engine._finish_step(last, then=waiting)
        elif interrupted and engine.waiting is None:
            await engine._set_state(RunStatus.PAUSED)  # stopped between two steps: `advance` goes on
        return engine

    # -- going on --

    @property
    def state(self) -> RunStatus:
        return self.run.state

    @property
    def run_id(self) -> int:
        return self.run.id

    async def advance(self) -> Waiting | None:
        """Runs steps until one needs the engineer (returned), the run ends, or a pause asked for takes effect."""
        if self.waiting is not None:
            return self.waiting
        if self.run.state.finished or self._abort:
            return None
        await self._set_state(RunStatus.RUNNING)
        steps = self.procedure.steps
        while self.run.next_step < len(steps):
            if self._abort:
                return None
            if self._pause or self._interrupt:  # asked between two steps: stop before the next one
                self._pause = self._interrupt = False
                await self._set_state(RunStatus.PAUSED)
                return None
            index = self.run.next_step
            step = steps[index]
            if step.when is not None:
                try:
                    applies = evaluate(step.when, self.values, self._outcomes())
                except ConditionError as error:
                    record = self._new_record(index, step, StepStatus.FAILED, reason=str(error))
                    waiting = Waiting(index, step, Need.DECISION, str(error))
                    return await self._finish_step(record, then=waiting, failed=True)
                if not applies:
                    reason = _("condition not met: {condition}").format(condition=step.when)
                    record = self._new_record(index, step, StepStatus.NOT_APPLICABLE, reason=reason)
                    await self._finish_step(record)
                    continue
            need = {"instruction": Need.ACKNOWLEDGE, "prompt": Need.ANSWER, "confirm": Need.CONSENT}.get(step.kind)
            if need is not None:
                return await self._wait(Waiting(index, step, need))
            record = await self._execute(index, step)
            if self._abort:  # the step's result is kept; `abort` ends the run once it is stored
                if record.state is not StepStatus.PASSED:
                    record.state, record.reason = StepStatus.FAILED, _("the run was aborted")
                await self._finish_step(record, then=None if record.state is StepStatus.PASSED else False)
                self._idle.set()
                return None
            self._idle.set()
            if self._interrupt and record.state is not StepStatus.PASSED:
                self._interrupt = False
                record.state, record.reason = StepStatus.FAILED, _("stopped by the engineer")
                return await self._finish_step(record, then=Waiting(index, step, Need.DECISION, record.reason))
            if record.state is StepStatus.FAILED:
                on_failure = step.run.on_failure if step.run is not None else "stop"
                if on_failure != "continue":
                    waiting = Waiting(index, step, Need.DECISION, record.reason)
                    return await self._finish_step(record, then=waiting, failed=on_failure == "stop")
            await self._finish_step(record)
        await self._end(RunStatus.COMPLETED)
        return None

    def pause(self) -> None:
        """Stop before the next step (the step running now finishes first)."""
        self._pause = True

    def interrupt(self) -> None:
        """Stop the step running now (its commands are cancelled): the run then waits for a retry, skip or abort."""
        self._interrupt = True
        self._cancel_transfer.set()
        for handle in self._handles:
            handle.cancel()

    # -- the engineer's answers --

    async def acknowledge(self) -> None:
        waiting = self._expect(Need.ACKNOWLEDGE)
        record = self._new_record(waiting.index, waiting.step, StepStatus.PASSED, answer={"by": self.run.actor})
        await self._answered(record)

    async def answer(self, value: str) -> None:
        waiting = self._expect(Need.ANSWER)
        prompt = waiting.step.prompt
        assert prompt is not None
        if not value.strip():
            raise AnswerError(_("Give an answer to go on."))
        if prompt.pattern is not None and not re.fullmatch(prompt.pattern, value):
            raise AnswerError(_("The answer must match /{pattern}/.").format(pattern=prompt.pattern))
        self.values[prompt.variable] = value
        if prompt.secret:
            key = SECRET_KEY.format(run=self.run.id, name=prompt.variable)
            await in_thread(_vault_required(self.services).store, key, value)
        shown = SECRET_MASK if prompt.secret else value
        record = self._new_record(
            waiting.index, waiting.step, StepStatus.PASSED, answer={"variable": prompt.variable, "value": shown}
        )
        record.captured = {prompt.variable: shown}
        await self._answered(record)

    async def consent(self, who: str, initials: str) -> None:
        """The customer's consent: their name and the initials they typed. (A drawn signature comes with reports.)"""
        waiting = self._expect(Need.CONSENT)
        confirm = waiting.step.confirm
        assert confirm is not None
        if not who.strip():
            raise AnswerError(_("Write the name of the person who agrees."))
        if not _initials(initials.strip()):
            raise AnswerError(_("Initials are up to eight letters, dots and hyphens, like MD or J.-P."))
        answer = {
            "who": who.strip(),
            "initials": initials.strip(),
            "text": text_in(confirm.text, self.services.language),
            "by": confirm.by,
            "at": utc_now().isoformat(),
        }
        record = self._new_record(waiting.index, waiting.step, StepStatus.PASSED, answer=answer)
        audited = _("consent of {who} ({initials}): {text}").format(**answer)
        await self._answered(record, audited=audited)

    async def retry(self) -> None:
        """Run the failed (or interrupted) step again."""
        self._expect(Need.DECISION)
        self.waiting = None
        await self._set_state(RunStatus.RUNNING)

    async def skip(self, reason: str) -> None:
        """Go on past the step waiting now, with the reason written on the timeline and in the report."""
        if self.waiting is None:
            raise AnswerError(_("No step is waiting to be skipped."))
        if self.waiting.need is Need.CONSENT:
            raise AnswerError(
                _("A consent cannot be skipped: the customer agrees, or the run is aborted with the reason.")
            )
        if not reason.strip():
            raise AnswerError(_("Say why the step is skipped: the reason goes into the report."))
        waiting = self.waiting
        record = self._new_record(waiting.index, waiting.step, StepStatus.SKIPPED, reason=reason.strip())
        audited = _("skipped step {step}: {reason}").format(step=waiting.step.id, reason=reason.strip())
        await self._answered(record, audited=audited)

    async def abort(self, reason: str = "") -> None:
        """Ends the run for good: a running command is cancelled, its step is recorded, then the run is aborted."""
        if self.run.state.finished:
            return
        self._abort = True
        self._cancel_transfer.set()
        for handle in self._handles:
            handle.cancel()
        await self._idle.wait()  # the step in progress ends (cancelled) and is stored first
        self.waiting = None
        await self._end(RunStatus.ABORTED, reason=reason)

    def release(self) -> None:
        """This process stops driving the run (the window showing it closes); another may resume it."""
        self.services.store.release(self.run.id)

    # -- steps --

    async def _execute(self, index: int, step: Step) -> StepRecord:
        record = self._new_record(index, step, StepStatus.RUNNING)
        self._idle.clear()
        self._cancel_transfer.clear()
        await in_thread(self.services.store.step_started, self.run.id, record)
        self.run.state = RunStatus.RUNNING
        self._notify("step_started", index, step, record.attempt)
        try:
            if step.run is not None:
                await self._run_commands(record, step)
            elif step.action is not None:
                await self._run_action(record, step)
            elif step.transfer is not None:
                await self._transfer(record, step)
            elif step.note is not None:
                text = _fill(text_in(step.note, self.services.language), self._shown_values())
                record.answer = {"text": text}
                record.state = StepStatus.PASSED
        except StepError as error:
            record.state, record.reason = StepStatus.FAILED, str(error)
        except Exception as error:  # a surprise must not leave the run "running": the step fails, saying why
            log.exception("Step %s of procedure run %s failed", step.id, self.run.id)
            record.state = StepStatus.FAILED
            record.reason = _("the step failed: {error}").format(error=error or type(error).__name__)
        record.ended_at = utc_now()
        return record

    async def _run_commands(self, record: StepRecord, step: Step) -> None:
        run = step.run
        assert run is not None
        requests: list[RunRequest] = []
        rows: dict[str, dict[str, Any]] = {}
        for target in self.targets_for(run.hosts):
            row: dict[str, Any] = {"target": target.label}
            rows[target.url] = row
            shell = shell_for(step, target.shells)
            if shell is None:
                row.update(
                    _failed_row(
                        _("no command for this host's shell ({shells})").format(shells=", ".join(target.shells))
                    )
                )
                continue
            try:
                command = render(run.commands()[shell], shell, self.values, raw=self._raw)
            except QuotingError as error:
                row.update(_failed_row(str(error)))
                continue
            except KeyError as error:  # a variable an earlier step should have given (it was skipped)
                row.update(_failed_row(_("{name} has no value").format(name=error.args[0])))
                continue
            # Stored and shown with secrets masked: a quoted secret ('Pa'"'"'ss') is not the text redaction knows.
            shown = display_command(self.procedure, step, shell, self.values)
            requests.append(
                RunRequest(target, command, timeout=run.timeout, sudo=run.sudo, shell=shell, shown_command=shown)
            )
        results = await self._fan_out(record.index, requests)
        # The procedure's regexes over up to megabytes of output: not on the event loop, a window's.
        judged = await in_thread(_judge_commands, run, results)
        first_captures: dict[str, str] | None = None
        for target, (checks, captured) in judged.items():
            row = rows[target.url]
            row.update(_result_row(results[target], checks))
            row["captured"] = captured
            if first_captures is None and captured:
                first_captures = captured
        if first_captures:
            self.values.update(first_captures)
            record.captured = dict(first_captures)
        record.hosts = list(rows.values())
        _conclude(record)

    async def _run_action(self, record: StepRecord, step: Step) -> None:
        action_step = step.action
        assert action_step is not None
        action = self.services.find_action(action_step.id)
        if action is None:  # checked before the run started; a plugin disabled since then
            record.state = StepStatus.FAILED
            record.reason = _("No plugin provides the action {id}.").format(id=action_step.id)
            return
        arguments = {
            name: _fill(value, self._text_values()) if isinstance(value, str) else value
            for name, value in action_step.arguments.items()
        }
        masked = {
            name: _fill(value, self._shown_values()) if isinstance(value, str) else value
            for name, value in action_step.arguments.items()
        }
        requests, rows = [], {}
        for target in self.targets_for(action_step.hosts):
            rows[target.url] = {"target": target.label, "action": action.id}
            try:
                shell = action.shell_for(target.shells)
                command = action.command_for(shell, arguments)
            except (ActionError, ParameterError) as error:
                rows[target.url].update(_failed_row(str(error)))
                continue
            try:
                shown: str | None = action.command_for(shell, masked)
            except (ActionError, ParameterError):
                shown = None  # the mask does not fit the parameter: the vault's redaction still applies
            requests.append(
                RunRequest(
                    target,
                    command,
                    timeout=action.timeout,
                    sudo=action.needs_sudo,
                    action_id=action.id,
                    shell=shell,
                    shown_command=shown,
                    attach_as=action.attachment,
                )
            )
        results = await self._fan_out(record.index, requests)
        judged = await in_thread(_judge_action, action, results)
        for target, result in results.items():
            checks, table = judged[target]
            row = rows[target.url]
            row.update(_result_row(result, checks))
            if table is not None:
                row["table"] = {
                    "columns": list(table.columns),
                    "rows": [list(r) for r in table.rows],
                    "notes": list(table.notes),
                }
        record.hosts = list(rows.values())
        _conclude(record)

    async def _transfer(self, record: StepRecord, step: Step) -> None:
        from supportstation.remote import transfers
        from supportstation.remote.recording import record_transfer
        from supportstation.remote.results import ConnectError

        transfer = step.transfer
        assert transfer is not None
        remote = _fill(transfer.remote, self._text_values())
        local_text = _fill_local_path(transfer.local, self._text_values())
        targets = self.targets_for(transfer.hosts)
        rows = []
        for target in targets:
            local = self._local_path(local_text, transfer.direction, target if len(targets) > 1 else None)
            row: dict[str, Any] = {
                "target": target.label,
                "direction": transfer.direction,
                "remote": remote,
                "local": str(local),
            }
            try:
                if transfer.direction == "upload":
                    done = await transfers.upload(
                        self.services.pool, target, local, remote, cancel=self._cancel_transfer
                    )
                else:
                    local.parent.mkdir(parents=True, exist_ok=True)
                    done = await transfers.download(
                        self.services.pool, target, remote, local, cancel=self._cancel_transfer
                    )
            except (transfers.TransferError, ConnectError, OSError) as error:
                row.update(_failed_row(str(error)))
            else:
                await in_thread(record_transfer, self.services.store.context, done, attach=done.direction == "download")
                row.update({"state": "passed", "size": done.size, "sha256": done.sha256, "local": str(done.local)})
            rows.append(row)
        record.hosts = rows
        _conclude(record)

    def _local_path(self, text: str, direction: str, host: Target | None) -> Path:
        path = Path(text).expanduser()
        if path.is_absolute():
            return path
        if direction == "upload":  # a file shipped beside the procedure
            origin = Path(self.run.origin) if self.run.origin else None
            return (origin.parent if origin is not None else Path.cwd()) / path
        folder = self.services.downloads or self.services.store.context.data_folder / "procedure-runs"
        folder = folder / f"run-{self.run.id}"
        if host is not None:
            folder = folder / re.sub(r"[^\w.\-]+", "_", host.label)
        return folder / path

    async def _fan_out(self, index: int, requests: list[RunRequest]) -> dict[Target, RunResult]:
        if not requests:
            return {}

        async def watch(handle: RunHandle) -> None:
            self._handles.append(handle)
            if self._abort or self._interrupt:
                handle.cancel()
            label = handle.request.target.label
            async for chunk in handle:
                self._notify("output", index, label, chunk)

        try:
            return await fan_out(self.services.runner, requests, limit=self.services.limit, watch=watch)
        finally:
            self._handles.clear()

    # -- bookkeeping --

    def _notify(self, event: str, *arguments: Any) -> None:
        """Tells the observer; a mistake in a window's code must not stop the run nor lose its record."""
        try:
            getattr(self.services.observer, event)(*arguments)
        except Exception:
            log.exception("The procedure run's observer failed on %s", event)

    def targets_for(self, hosts: str) -> list[Target]:
        if hosts == "ticket":
            return self.targets[:1]
        if hosts == "all":
            return list(self.targets)
        return list(self.host_targets.get(hosts, []))

    def _new_record(
        self,
        index: int,
        step: Step,
        state: StepStatus,
        *,
        reason: str = "",
        answer: dict[str, Any] | None = None,
    ) -> StepRecord:
        attempt = 1 + sum(
            1 for record in self.records if record.index == index and record.state is not StepStatus.RUNNING
        )
        record = StepRecord(
            index=index,
            step_id=step.id,
            kind=step.kind,
            attempt=attempt,
            state=state,
            reason=reason,
            answer=answer or {},
            started_at=utc_now(),
            ended_at=None if state is StepStatus.RUNNING else utc_now(),
        )
        return record

    def _latest(self) -> dict[int, StepRecord]:
        return {record.index: record for record in self.records}

    def _outcomes(self) -> dict[str, StepOutcome]:
        return {
            record.step_id: StepOutcome(
                passed=record.state is StepStatus.PASSED,
                failed=record.state in (StepStatus.FAILED, StepStatus.INTERRUPTED),
                skipped=record.state in (StepStatus.SKIPPED, StepStatus.NOT_APPLICABLE),
                exit_code=record.exit_code,
            )
            for record in self._latest().values()
        }

    def _text_values(self) -> dict[str, str]:
        return {name: argument_text(value) for name, value in self.values.items()}

    def _shown_values(self) -> dict[str, str]:
        """For texts people read (notes, the timeline): secrets masked."""
        return {name: SECRET_MASK if name in self._secret_names else text for name, text in self._text_values().items()}

    def _variables(self) -> dict[str, Any]:
        """What is stored with the run: prompted and captured values, secrets left out (they are in the vault)."""
        parameters = {spec.name for spec in self.procedure.parameters}
        return {
            name: value
            for name, value in self.values.items()
            if name not in parameters and name not in self._secret_names
        }

    async def _answered(self, record: StepRecord, *, audited: str | None = None) -> None:
        self.waiting = None
        await self._finish_step(record, audited=audited)

    async def _finish_step(
        self,
        record: StepRecord,
        *,
        then: Waiting | bool | None = None,
        failed: bool = False,
        audited: str | None = None,
    ) -> Waiting | None:
        """Stores the step's result with where the run goes on, in one transaction: on to the next step (`then` is
        None), waiting at this step for the engineer (`then` is a Waiting; `failed`: the run stopped on a failure),
        or staying at this step (`then` is False: an aborted step)."""
        step = self.procedure.steps[record.index]
        record.ended_at = record.ended_at or utc_now()
        summary, body = self._describe(record, step)
        if isinstance(then, Waiting):
            next_step = record.index
            state = RunStatus.FAILED if failed else RunStatus.WAITING
            self._pause = False  # a pause asked for during the step is answered by this stop
        elif then is False:
            next_step, state = record.index, self.run.state
        else:
            next_step, state = record.index + 1, RunStatus.RUNNING
        waiting = then if isinstance(then, Waiting) else None
        await in_thread(
            self.services.store.step_finished,
            self.run.id,
            record,
            summary=summary,
            body=body,
            next_step=next_step,
            variables=self._variables(),
            state=state,
            waiting_for=waiting.to_dict() if waiting is not None else None,
            audited=audited,
        )
        if not any(known is record for known in self.records):
            self.records.append(record)
        self.run.next_step, self.run.state, self.waiting = next_step, state, waiting
        self._notify("step_finished", record.index, step, record)
        if waiting is not None:
            self._notify("state_changed", state, waiting)
        return waiting

    def _describe(self, record: StepRecord, step: Step) -> tuple[str, str]:
        language = self.services.language
        title = step.label(language)
        summary = _("{mark} {procedure}, step {number}/{total} {title}: {state}").format(
            mark=STEP_MARKS[record.state],
            procedure=self.procedure.title_in(language),
            number=record.index + 1,
            total=len(self.procedure.steps),
            title=title,
            state=step_status_label(record.state),
        )
        lines = []
        if record.reason and (not record.hosts or record.state is StepStatus.SKIPPED):
            lines.append(record.reason)  # otherwise the failed checks below say it, host by host
        for host in record.hosts:
            checks = "; ".join(
                ("✔ " if check["passed"] else "✘ ")
                + check["check"]
                + (f" ({check['detail']})" if check.get("detail") else "")
                for check in host.get("checks", [])
            )
            lines.append(f"{host['target']}: {checks}")
        if step.confirm is not None and record.answer:
            lines.append(_("{who} ({initials}) agreed: {text}").format(**record.answer))
        elif step.note is not None and record.answer:
            lines.append(record.answer["text"])
        elif step.prompt is not None and record.answer:
            lines.append(f"{record.answer['variable']} = {record.answer['value']}")
        return summary, "\n".join(lines)

    def _expect(self, need: Need) -> Waiting:
        if self.waiting is None or self.waiting.need is not need:
            raise AnswerError(_("The run is not waiting for that."))
        return self.waiting

    async def _wait(self, waiting: Waiting) -> Waiting:
        self.waiting = waiting
        await self._set_state(RunStatus.WAITING)
        return waiting

    async def _set_state(self, state: RunStatus) -> None:
        self.run.state = state
        await in_thread(
            self.services.store.update_run,
            self.run.id,
            state=state,
            next_step=self.run.next_step,
            variables=self._variables(),
            waiting_for=self.waiting.to_dict() if self.waiting is not None else None,
        )
        self._notify("state_changed", state, self.waiting)

    async def _end(self, state: RunStatus, *, reason: str = "") -> None:
        latest = self._latest().values()
        counts = {status: sum(1 for r in latest if r.state is status) for status in StepStatus}
        summary = _("Procedure {state}: {title} — {passed} passed, {failed} failed, {skipped} skipped").format(
            state=run_status_label(state),
            title=self.procedure.title_in(self.services.language),
            passed=counts[StepStatus.PASSED],
            failed=counts[StepStatus.FAILED] + counts[StepStatus.INTERRUPTED],
            skipped=counts[StepStatus.SKIPPED],
        )
        if reason:
            summary += " — " + reason
        self.run.state = state
        await in_thread(
            self.services.store.update_run,
            self.run.id,
            state=state,
            next_step=self.run.next_step,
            variables=self._variables(),
            summary=summary,
            summary_data={"state": state.value, **{status.value: count for status, count in counts.items()}},
        )
        await self._forget_secrets()
        self._notify("state_changed", state, None)

    async def _forget_secrets(self) -> None:
        vault = self.services.vault
        if vault is None:
            return
        for name in self._secret_names:
            key = SECRET_KEY.format(run=self.run.id, name=name)
            if await in_thread(vault.exists, key):
                await in_thread(vault.delete, key)


# -- helpers ---------------------------------------------------------------------------------------------------------


class StepError(Exception):
    """A step that cannot be carried out as written (a value missing, a path refused); it fails with this reason."""


def _fill(template: str, values: Mapping[str, str]) -> str:
    """A text's `{name}` placeholders filled with values (for texts that are read, not run: notes, paths)."""
    missing = [name for name in template_placeholders(template) if name not in values]
    if missing:
        raise StepError(_("{name} has no value").format(name=missing[0]))
    return template.format_map(values)


def _fill_local_path(template: str, values: Mapping[str, str]) -> str:
    """A path on the laptop: a value may only name a file, so neither a host's output nor a parameter can steer a
    download elsewhere (`../`, `/`, `~`) or pick a file to upload from the engineer's home."""
    for name in template_placeholders(template):
        value = values.get(name, "")
        if "/" in value or "\\" in value or value in (".", "..") or value.startswith("~") or ":" in value:
            raise StepError(
                _("{name} = {value!r} cannot be part of a path on this computer: only a file name can.").format(
                    name=name, value=value
                )
            )
    return _fill(template, values)


def _judge_commands(run: Any, results: dict[Target, RunResult]) -> dict[Target, tuple[list[CheckResult], dict]]:
    """Each host's checks and captured values (run in a worker thread)."""
    judged = {}
    for target, result in results.items():
        checks = check_result(run.expect, result)
        captured: dict[str, str] = {}
        if run.capture and result.exit_code is not None:
            try:
                captured = capture_values(run.capture, result)
            except CaptureError as error:
                checks.append(CheckResult(_("values captured"), False, str(error)))
        judged[target] = (checks, captured)
    return judged


def _judge_action(action: Action, results: dict[Target, RunResult]) -> dict[Target, tuple[list[CheckResult], Any]]:
    """Each host's verdict and the table the plugin's parser reads from the output (run in a worker thread)."""
    judged = {}
    for target, result in results.items():
        checks = [CheckResult(_("the action succeeded"), result.ok, "" if result.ok else result.describe())]
        table = None
        if result.ok:
            try:
                table = action.parse(result.stdout)
            except ParseError as error:
                checks.append(CheckResult(_("the output read as a table"), False, str(error)))
        judged[target] = (checks, table)
    return judged


async def _resolve(services: RunServices, names: list[str]) -> list[Target]:
    from supportstation.remote.targets import TargetError

    try:
        return await in_thread(services.resolve, list(names))
    except TargetError as error:
        raise EngineError(str(error)) from None


async def _resolve_host_parameters(
    services: RunServices, procedure: Procedure, values: Mapping[str, Value]
) -> dict[str, list[Target]]:
    """The hosts that steps run on by a host parameter (`hosts: backup_server`), found now so that an unknown one
    stops the run before it starts. A host parameter only read in commands (a name to ping) is not looked up."""
    run_on = {getattr(step.run or step.action or step.transfer, "hosts", "ticket") for step in procedure.steps}
    found = {}
    for spec in procedure.parameters:
        if spec.type is ParameterType.HOST and spec.name in run_on and values.get(spec.name):
            found[spec.name] = await _resolve(services, [str(values[spec.name])])
    return found


def _check_runnable(
    services: RunServices, procedure: Procedure, values: Mapping[str, Value], targets: list[Target]
) -> None:
    """Refuses a run that is bound to fail on the way, before anything runs: an action no plugin provides, or a
    parameter value that a target's shell cannot take (cmd refuses some characters)."""
    raw = frozenset(spec.name for spec in procedure.parameters if spec.raw)
    for step in procedure.steps:
        if step.action is not None and services.find_action(step.action.id) is None:
            raise EngineError(
                _("Step {step}: no plugin provides the action {id}; nothing was run.").format(
                    step=step.id, id=step.action.id
                )
            )
        if step.run is None:
            continue
        for target in targets:
            shell = shell_for(step, target.shells)
            if shell is None:
                continue
            template = step.run.commands()[shell]
            # Variables captured by earlier steps are not known yet: they are checked when their step runs.
            later = {name: "" for name in template_placeholders(template) if name not in values}
            try:
                render(template, shell, values, raw=raw, shown=later)
            except QuotingError as error:
                raise EngineError(
                    _("Step {step} on {host}: {error}; nothing was run.").format(
                        step=step.id, host=target.label, error=error
                    )
                ) from None


def _initials(text: str) -> bool:
    """Initials as people write them: MD, J.-P., A B: letters, dots, hyphens and spaces, at least one letter."""
    return (
        0 < len(text) <= INITIALS_LENGTH
        and all(c.isalpha() or c in ".- " for c in text)
        and any(c.isalpha() for c in text)
    )


def _vault_required(services: RunServices) -> Any:
    if services.vault is None:
        raise EngineError(_("A secret value needs the vault, which is not available."))
    return services.vault


def _failed_row(reason: str) -> dict[str, Any]:
    return {"state": "failed", "checks": [CheckResult(_("the step could start"), False, reason).to_dict()]}


def _result_row(result: RunResult, checks: list[CheckResult]) -> dict[str, Any]:
    passed = all(check.passed for check in checks)
    return {
        "state": "passed" if passed else "failed",
        "run_id": result.run_id,
        "run_state": result.state.value,
        "exit_code": result.exit_code,
        "checks": [check.to_dict() for check in checks],
        "host_key_fingerprint": result.host_key_fingerprint,
    }


def _conclude(record: StepRecord) -> None:
    """Passed when every host passed; otherwise failed, with the first failing check as the reason."""
    if record.state is not StepStatus.RUNNING:
        return
    failing = [host for host in record.hosts if host.get("state") != "passed"]
    if not record.hosts:
        record.state, record.reason = StepStatus.FAILED, _("no host to run on")
    elif failing:
        record.state = StepStatus.FAILED
        first = next((c for c in failing[0].get("checks", []) if not c["passed"]), None)
        detail = (
            f"{first['check']}: {first['detail']}" if first and first.get("detail") else (first or {}).get("check", "")
        )
        record.reason = _("{host}: {detail}").format(host=failing[0]["target"], detail=detail)
        if len(failing) > 1:
            record.reason += " " + _("(and {count} more hosts)").format(count=len(failing) - 1)
    else:
        record.state = StepStatus.PASSED
