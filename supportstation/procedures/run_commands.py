"""`supportstation procedures run`, `resume` and `runs`: procedures driven from the command line, without questions.

A step that needs the engineer takes its answer from the command line (`--yes` acknowledges instructions, `--answer
STEP=VALUE` answers a prompt, `--answer STEP=NAME,INITIALS` gives a consent); without one the run stops cleanly and
waits, and `resume` continues it, with the same run number, on the same ticket.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from supportstation.i18n import _, current
from supportstation.procedures.engine import (
    AnswerError,
    EngineError,
    Need,
    ProcedureEngine,
    RunObserver,
    RunServices,
    RunTakenError,
    Waiting,
)
from supportstation.procedures.run_store import STEP_MARKS, RunStatus, RunStore, StepRecord, step_status_label
from supportstation.procedures.summary import summarize
from supportstation.remote.commands import plugin_registry
from supportstation.remote.results import Chunk, Stream

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_WAITING, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Printer(RunObserver):
    """Steps as they end, and the commands' output as it comes (not with --json: stdout is the summary there)."""

    def __init__(self, engine_steps: int, *, quiet: bool) -> None:
        self.total = engine_steps
        self.quiet = quiet

    def step_started(self, index: int, step: Any, attempt: int) -> None:
        if not self.quiet:
            again = " " + _("(attempt {number})").format(number=attempt) if attempt > 1 else ""
            print(f"── {index + 1}/{self.total} {step.id}{again}", flush=True)

    def output(self, index: int, target: str, chunk: Chunk) -> None:
        if not self.quiet:
            stream = sys.stdout if chunk.stream is Stream.STDOUT else sys.stderr
            stream.write(chunk.data.decode("utf-8", errors="replace"))
            stream.flush()

    def step_finished(self, index: int, step: Any, record: StepRecord) -> None:
        if self.quiet:
            return
        line = f"{STEP_MARKS[record.state]} {index + 1}/{self.total} {step.id}: {step_status_label(record.state)}"
        print(line + (f" — {record.reason}" if record.reason else ""), flush=True)
        for host in record.hosts:
            for check in host.get("checks", []):
                if not check["passed"]:
                    detail = f" ({check['detail']})" if check.get("detail") else ""
                    print(f"   ✘ {host['target']}: {check['check']}{detail}", flush=True)
        if record.kind == "note" and record.answer.get("text"):
            print("   " + record.answer["text"], flush=True)


def run(session: Any, namespace: argparse.Namespace, vault: Any, app_paths: Any) -> int:
    from supportstation.procedures.files import ProcedureError, load
    from supportstation.procedures.library import open_library

    registry = plugin_registry()
    path = Path(namespace.file)
    origin = str(path.resolve()) if path.exists() else ""
    try:
        if path.exists():
            document = load(path)
        else:
            entry = open_library(app_paths, registry).find(namespace.file)
            if entry is None or entry.document is None:
                print(
                    _("Error: {name} is neither a file nor the id of a procedure of the library.").format(
                        name=namespace.file
                    ),
                    file=sys.stderr,
                )
                return EXIT_USAGE
            document, origin = entry.document, str(entry.path)
    except ProcedureError as error:
        print(str(error), file=sys.stderr)
        return EXIT_USAGE
    parameters = _pairs(namespace.param, "--param")
    answers = _pairs(namespace.answer, "--answer")
    if parameters is None or answers is None:
        return EXIT_USAGE

    async def work() -> int:
        services = _services(session, registry, vault, namespace, len(document.procedure.steps))
        try:
            engine = await ProcedureEngine.start(
                services, document, targets=namespace.target, parameters=parameters, origin=origin
            )
        except EngineError as error:
            print(_("Error: {message}").format(message=error), file=sys.stderr)
            return EXIT_USAGE
        return await _drive(engine, services, namespace, answers)

    return _run_loop(session, work)


def resume(session: Any, namespace: argparse.Namespace, vault: Any) -> int:
    answers = _pairs(namespace.answer, "--answer")
    if answers is None:
        return EXIT_USAGE
    registry = plugin_registry()

    async def work() -> int:
        services = _services(session, registry, vault, namespace, 0)
        try:
            engine = await ProcedureEngine.resume(services, namespace.run_id)
        except (EngineError, LookupError) as error:
            message = error.args[0] if error.args else error
            if namespace.abort and not isinstance(error, RunTakenError):
                # A run whose hosts or secrets are gone can still be ended, without an engine to drive it.
                await asyncio.to_thread(services.store.abandon, namespace.run_id, namespace.abort)
                print(_("Run {id}: {state}.").format(id=namespace.run_id, state=_("aborted")))
                return EXIT_OK
            print(_("Error: {message}").format(message=message), file=sys.stderr)
            return EXIT_USAGE
        assert isinstance(services.observer, _Printer)
        services.observer.total = len(engine.procedure.steps)
        try:
            if namespace.abort:
                await engine.abort(namespace.abort)
            elif namespace.skip:
                await engine.skip(namespace.skip)
            elif namespace.retry:
                await engine.retry()
        except AnswerError as error:
            print(_("Error: {message}").format(message=error), file=sys.stderr)
            return EXIT_USAGE
        return await _drive(engine, services, namespace, answers)

    return _run_loop(session, work)


def list_runs(namespace: argparse.Namespace, database: Any) -> int:
    from sqlalchemy import func, select

    from supportstation.procedures.run_store import load_run, runs_of_ticket, unfinished_runs
    from supportstation.storage.models import Ticket

    with database.session() as session:
        if namespace.ticket:
            ticket_id = session.scalar(
                select(Ticket.id).where(func.lower(Ticket.reference) == namespace.ticket.strip().lower())
            )
            if ticket_id is None:
                print(
                    _("Error: no ticket has the reference {reference}.").format(reference=namespace.ticket),
                    file=sys.stderr,
                )
                return EXIT_USAGE
            rows = runs_of_ticket(session, ticket_id)
        else:
            rows = unfinished_runs(session)
        summaries = [summarize(load_run(session, row.id), current()) for row in rows]
    if namespace.json:
        print(json.dumps([summary.to_dict() for summary in summaries], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not summaries:
        print(_("No procedure run to show."))
    for summary in summaries:
        started = summary.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
        print(
            f"{summary.run_id:>5}  {started}  {summary.state_label:<20} {summary.title} — {', '.join(summary.targets)}"
        )
    return EXIT_OK


# -- driving a run without questions ---------------------------------------------------------------------------------


async def _drive(engine: ProcedureEngine, services: RunServices, namespace: argparse.Namespace, answers: dict) -> int:
    loop = asyncio.get_running_loop()
    interrupted = False

    def on_interrupt() -> None:
        nonlocal interrupted
        interrupted = True
        engine.interrupt()

    loop.add_signal_handler(signal.SIGINT, on_interrupt)
    try:
        waiting: Waiting | None = None
        while (waiting := await engine.advance()) is not None:
            if interrupted or not await _answer(engine, waiting, namespace, answers):
                break
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        await asyncio.to_thread(engine.release)
        await services.pool.close()
    stored = await asyncio.to_thread(services.store.load, engine.run_id)
    summary = summarize(stored, current())
    status = _exit_status(engine, summary.passed, interrupted)
    if namespace.json:
        data = summary.to_dict()
        data["exit_status"] = status
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return status
    print(
        _("Run {id}: {state}.").format(id=engine.run_id, state=summary.state_label),
        file=sys.stderr if status else sys.stdout,
    )
    if waiting is not None:
        print(_how_to_go_on(engine.run_id, waiting), file=sys.stderr)
    return status


async def _answer(engine: ProcedureEngine, waiting: Waiting, namespace: argparse.Namespace, answers: dict) -> bool:
    """Answers what the run waits for from the command line; False when it cannot (the run then waits)."""
    step_id = waiting.step.id
    try:
        if waiting.need is Need.ACKNOWLEDGE and namespace.yes:
            await engine.acknowledge()
            return True
        if waiting.need is Need.ANSWER and step_id in answers:
            await engine.answer(answers.pop(step_id))
            return True
        if waiting.need is Need.CONSENT and step_id in answers:
            who, _comma, initials = answers.pop(step_id).rpartition(",")
            await engine.consent(who, initials)
            return True
    except AnswerError as error:
        print(_("Error: step {step}: {message}").format(step=step_id, message=error), file=sys.stderr)
    return False


def _how_to_go_on(run_id: int, waiting: Waiting) -> str:
    step = waiting.step.id
    if waiting.need is Need.DECISION:
        return _(
            "Step {step} failed: {reason}\nTo go on: supportstation procedures resume {id} --retry, "
            "or --skip REASON, or --abort REASON."
        ).format(step=step, reason=waiting.reason, id=run_id)
    if waiting.need is Need.ACKNOWLEDGE:
        return _("Step {step} is an instruction to acknowledge: supportstation procedures resume {id} --yes").format(
            step=step, id=run_id
        )
    if waiting.need is Need.CONSENT:
        return _(
            "Step {step} needs the customer's consent: supportstation procedures resume {id} "
            '--answer "{step}=NAME,INITIALS"'
        ).format(step=step, id=run_id)
    return _('Step {step} asks a question: supportstation procedures resume {id} --answer "{step}=VALUE"').format(
        step=step, id=run_id
    )


def _exit_status(engine: ProcedureEngine, passed: bool, interrupted: bool) -> int:
    if interrupted:
        return EXIT_INTERRUPTED
    if engine.waiting is not None:
        return EXIT_FAILED if engine.waiting.need is Need.DECISION else EXIT_WAITING
    if engine.state is RunStatus.ABORTED:
        return EXIT_FAILED
    return EXIT_OK if passed else EXIT_FAILED


# -- plumbing --------------------------------------------------------------------------------------------------------


def _services(session: Any, registry: Any, vault: Any, namespace: argparse.Namespace, steps: int) -> RunServices:
    return RunServices(
        runner=session.runner,
        pool=session.pool,
        store=RunStore(session.recording),
        resolve=session.targets,
        find_action=registry.find_action,
        vault=vault,
        language=current(),
        observer=_Printer(steps, quiet=namespace.json),
        limit=namespace.limit,
    )


def _run_loop(session: Any, work: Any) -> int:
    from supportstation.remote.targets import TargetError

    try:
        return asyncio.run(work())
    except TargetError as error:
        print(_("Error: {message}").format(message=error), file=sys.stderr)
        return EXIT_USAGE


def _pairs(items: list[str], option: str) -> dict[str, str] | None:
    found = {}
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            print(
                _("Error: {option} takes NAME=VALUE, not {item!r}.").format(option=option, item=item), file=sys.stderr
            )
            return None
        found[name.strip()] = value
    return found
