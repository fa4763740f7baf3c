"""The procedure engine against real sshd hosts: steps, checks, captures, decisions, consents, resuming, evidence."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from supportstation import audit
from supportstation.procedures.engine import AnswerError, EngineError, Need, ProcedureEngine, RunObserver
from supportstation.procedures.files import parse
from supportstation.procedures.run_store import RunStatus, StepStatus
from supportstation.remote.results import Chunk
from supportstation.storage.models import Attachment, AuditRecord, TimelineEvent
from supportstation.storage.procedure_models import ProcedureRun, ProcedureStepResult
from supportstation.storage.run_models import RemoteRun
from tests.procedures.conftest import ProcedureLab

WEB_DOWN = """\
# A web site is down: the flag file says whether the service is meant to run.
id: test.web-down
title: {fr: Site web en panne, en: Web site down}
parameters:
  - {name: folder, type: string}
steps:
  - id: intro
    instruction: Tell the customer what you are about to check.
  - id: check-flag
    title: {fr: Drapeau du service, en: The service flag}
    run:
      sh: cat {folder}/flag
      expect: {stdout_matches: '^ok$'}
      capture: {flag: {regex: '^(\\w+)'}}
  - id: ask-change
    prompt: {variable: change, question: The change number, pattern: 'CHG[0-9]+'}
  - id: consent
    confirm: {text: {fr: Le client accepte le redémarrage, en: The customer agrees to a restart}}
  - id: restart
    when: flag == "ok"
    run: {sh: 'echo restarted {change}'}
  - id: only-if-restart-failed
    when: steps.restart.failed
    run: {sh: 'false'}
  - id: broken
    run: {sh: 'echo half-way; exit 3'}
  - id: wrap-up
    note: "Flag was {flag}, change {change}."
"""


@pytest.fixture
def shared_folder(ssh_folder: Path) -> Path:
    """A folder the test user on the SSH hosts can read."""
    folder = Path(tempfile.mkdtemp(prefix="procedure-", dir=ssh_folder))
    folder.chmod(0o777)
    return folder


class Recorder(RunObserver):
    def __init__(self) -> None:
        self.started: list[tuple[int, int]] = []
        self.chunks: list[tuple[int, str, bytes]] = []
        self.states: list[RunStatus] = []
        self.step_began = asyncio.Event()

    def step_started(self, index: int, step, attempt: int) -> None:  # type: ignore[no-untyped-def]
        self.started.append((index, attempt))
        self.step_began.set()

    def output(self, index: int, target: str, chunk: Chunk) -> None:
        self.chunks.append((index, target, chunk.data))

    def state_changed(self, state: RunStatus, waiting) -> None:  # type: ignore[no-untyped-def]
        self.states.append(state)


def step_rows(lab: ProcedureLab, run_id: int) -> list[ProcedureStepResult]:
    with lab.database.session() as session:
        return list(
            session.scalars(
                select(ProcedureStepResult).where(ProcedureStepResult.run_id == run_id).order_by(ProcedureStepResult.id)
            )
        )


def timeline(lab: ProcedureLab) -> list[TimelineEvent]:
    with lab.database.session() as session:
        return list(session.scalars(select(TimelineEvent).order_by(TimelineEvent.id)))


@pytest.mark.asyncio
async def test_a_run_with_a_failed_check_a_retry_an_answer_a_consent_and_a_skip(
    procedure_lab: ProcedureLab, shared_folder: Path
) -> None:
    lab = procedure_lab
    observer = Recorder()
    services = lab.services(observer)
    document = parse(WEB_DOWN)
    try:
        engine = await ProcedureEngine.start(
            services, document, targets=["srv-web-01"], parameters={"folder": str(shared_folder)}
        )
        waiting = await engine.advance()
        assert waiting is not None and waiting.need is Need.ACKNOWLEDGE and waiting.step.id == "intro"
        await engine.acknowledge()

        # The flag file is missing: the check fails and the run stops on it (on_failure: stop).
        waiting = await engine.advance()
        assert waiting is not None and (waiting.need, waiting.step.id) == (Need.DECISION, "check-flag")
        assert engine.state is RunStatus.FAILED
        assert "exit code 0: exit code was 1" in waiting.reason

        # The engineer fixes the cause, then retries the step.
        (shared_folder / "flag").write_text("ok\n")
        (shared_folder / "flag").chmod(0o644)
        await engine.retry()
        waiting = await engine.advance()
        assert waiting is not None and waiting.need is Need.ANSWER
        with pytest.raises(AnswerError, match="CHG"):
            await engine.answer("change 42")
        await engine.answer("CHG42")

        waiting = await engine.advance()
        assert waiting is not None and waiting.need is Need.CONSENT
        with pytest.raises(AnswerError):
            await engine.consent("Marie Dupont", "M4")
        await engine.consent("Marie Dupont", "MD")

        waiting = await engine.advance()
        assert waiting is not None and (waiting.need, waiting.step.id) == (Need.DECISION, "broken")
        with pytest.raises(AnswerError, match="reason"):
            await engine.skip("  ")
        await engine.skip("The customer's own script; their team looks at it tomorrow.")
        assert await engine.advance() is None
        assert engine.state is RunStatus.COMPLETED
    finally:
        await services.pool.close()

    rows = step_rows(lab, engine.run_id)
    states = [(row.step_id, row.attempt, StepStatus(row.state)) for row in rows]
    assert states == [
        ("intro", 1, StepStatus.PASSED),
        ("check-flag", 1, StepStatus.FAILED),
        ("check-flag", 2, StepStatus.PASSED),
        ("ask-change", 1, StepStatus.PASSED),
        ("consent", 1, StepStatus.PASSED),
        ("restart", 1, StepStatus.PASSED),
        ("only-if-restart-failed", 1, StepStatus.NOT_APPLICABLE),
        ("broken", 1, StepStatus.FAILED),
        ("broken", 2, StepStatus.SKIPPED),
        ("wrap-up", 1, StepStatus.PASSED),
    ]
    by_step = {row.step_id: row for row in rows}
    failed_check = rows[1].hosts[0]["checks"]
    assert [(check["check"], check["passed"]) for check in failed_check] == [
        ("exit code 0", False),
        ("stdout matches /^ok$/", False),
        ("values captured", False),
    ]
    assert failed_check[0]["detail"] == "exit code was 1"
    assert by_step["check-flag"].captured == {"flag": "ok"}
    assert by_step["consent"].answer["who"] == "Marie Dupont" and by_step["consent"].answer["initials"] == "MD"
    assert by_step["consent"].answer["text"] == "The customer agrees to a restart"
    assert by_step["broken"].reason.startswith("The customer's own script")
    assert by_step["wrap-up"].answer == {"text": "Flag was ok, change CHG42."}
    assert observer.started[:3] == [(1, 1), (1, 2), (4, 1)]
    assert any(data == b"restarted CHG42\n" for _index, _target, data in observer.chunks)

    with lab.database.session() as session:
        run = session.get(ProcedureRun, engine.run_id)
        assert run is not None and run.state == "completed" and run.ended_at is not None
        assert run.variables == {"flag": "ok", "change": "CHG42"}
        remote_runs = session.scalars(select(RemoteRun).order_by(RemoteRun.id)).all()
        assert [r.command for r in remote_runs][-2:] == ["echo restarted CHG42", "echo half-way; exit 3"]
        actions = [record.action for record in session.scalars(select(AuditRecord).order_by(AuditRecord.sequence))]
    assert any(action.startswith("consent of Marie Dupont (MD)") for action in actions)
    assert any(action.startswith("skipped step broken:") for action in actions)
    with lab.database.session() as session:
        report = audit.verify(session, lab.anchor.path, lab.vault)
    assert report.intact, report.problems

    events = timeline(lab)
    kinds = [event.kind for event in events]
    assert kinds[0] == "procedure_run" and kinds[-1] == "procedure_run"
    assert kinds.count("procedure_step") == len(rows)
    assert kinds.count("command") == 4  # check-flag twice, restart, broken
    assert "Web site down" in events[0].summary and "srv-web-01" in events[0].summary
    assert "completed" in events[-1].summary and "1 skipped" in events[-1].summary
    consent_event = next(e for e in events if e.kind == "procedure_step" and e.data["step_id"] == "consent")
    assert "Marie Dupont (MD) agreed: The customer agrees to a restart" in consent_event.body


PAUSES = """\
id: test.pauses
title: Pauses
steps:
  - id: first
    run: {sh: 'echo one'}
  - id: agree
    confirm: {text: Go on}
  - id: long
    run: {sh: 'sleep 30; echo never', timeout: 60}
  - id: last
    run: {sh: 'echo three'}
"""


@pytest.mark.asyncio
async def test_a_run_resumes_after_a_restart_where_it_waited(procedure_lab: ProcedureLab) -> None:
    lab = procedure_lab
    services = lab.services()
    engine = await ProcedureEngine.start(services, parse(PAUSES), targets=["srv-web-01"], parameters={})
    waiting = await engine.advance()
    assert waiting is not None and waiting.need is Need.CONSENT
    run_id = engine.run_id
    await services.pool.close()
    del engine  # the app quits while waiting for the customer

    services = lab.services()
    try:
        resumed = await ProcedureEngine.resume(services, run_id)
        waiting = await resumed.advance()
        assert waiting is not None and waiting.step.id == "agree"
        await resumed.consent("Jean-Pierre Martin", "J.-P.")
        resumed.pause()  # asked while the next step will run: takes effect before the one after
        assert await resumed.advance() is None and resumed.state is RunStatus.PAUSED
    finally:
        await services.pool.close()
    assert [row.step_id for row in step_rows(lab, run_id)] == ["first", "agree"]


@pytest.mark.asyncio
async def test_a_step_running_when_the_app_died_is_not_run_again_without_asking(procedure_lab: ProcedureLab) -> None:
    lab = procedure_lab
    services = lab.services()
    observer = Recorder()
    services.observer = observer
    engine = await ProcedureEngine.start(services, parse(PAUSES), targets=["srv-web-01"], parameters={})
    assert (await engine.advance()).need is Need.CONSENT  # type: ignore[union-attr]
    await engine.consent("Jean-Pierre Martin", "JPM")
    running = asyncio.create_task(engine.advance())
    while not any(index == 2 for index, _attempt in observer.started):
        await asyncio.sleep(0.05)
    # The app dies here: the run and its step stay "running", owned by a process that no longer exists.
    running.cancel()
    with lab.database.writing() as session:
        run = session.get(ProcedureRun, engine.run_id)
        assert run is not None and run.state == "running"
        run.runner = "gone-computer:1"  # another computer's process cannot be checked: refused
    with pytest.raises(EngineError, match="another SupportStation"):
        await ProcedureEngine.resume(lab.services(), engine.run_id)
    import socket

    with lab.database.writing() as session:
        run = session.get(ProcedureRun, engine.run_id)
        assert run is not None
        run.runner = f"{socket.gethostname()}:{2**22 + 12345}"  # no such process on this computer
    for handle in list(engine._handles):
        handle.cancel()
    await services.pool.close()

    services = lab.services()
    try:
        resumed = await ProcedureEngine.resume(services, engine.run_id)
        waiting = await resumed.advance()
        assert waiting is not None and (waiting.need, waiting.step.id) == (Need.DECISION, "long")
        assert "stopped while this step ran" in waiting.reason
        await resumed.skip("Already done by hand after the crash.")
        assert await resumed.advance() is None
        assert resumed.state is RunStatus.COMPLETED
    finally:
        await services.pool.close()
    states = [(row.step_id, row.state) for row in step_rows(lab, engine.run_id)]
    assert states == [
        ("first", "passed"),
        ("agree", "passed"),
        ("long", "interrupted"),
        ("long", "skipped"),
        ("last", "passed"),
    ]


@pytest.mark.asyncio
async def test_abort_cancels_the_running_command_and_ends_the_run(procedure_lab: ProcedureLab) -> None:
    lab = procedure_lab
    observer = Recorder()
    services = lab.services(observer)
    try:
        engine = await ProcedureEngine.start(services, parse(PAUSES), targets=["srv-web-01"], parameters={})
        await engine.advance()
        await engine.consent("Jean-Pierre Martin", "JPM")
        running = asyncio.create_task(engine.advance())
        while not any(index == 2 for index, _attempt in observer.started):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        await engine.abort("The customer needs the server now.")
        assert await asyncio.wait_for(running, 10) is None
    finally:
        await services.pool.close()
    assert engine.state is RunStatus.ABORTED
    with lab.database.session() as session:
        run = session.get(ProcedureRun, engine.run_id)
        assert run is not None and run.state == "aborted"
        last_command = session.scalars(select(RemoteRun).order_by(RemoteRun.id.desc())).first()
        assert last_command is not None and last_command.state == "cancelled"
    events = timeline(lab)
    assert events[-1].kind == "procedure_run" and events[-1].summary.endswith("The customer needs the server now.")
    long_step = next(e for e in events if e.kind == "procedure_step" and e.data["step_id"] == "long")
    assert long_step.data["state"] == "failed" and long_step.data["reason"] == "the run was aborted"
    with pytest.raises(EngineError, match="nothing left to do"):
        await ProcedureEngine.resume(lab.services(), engine.run_id)


FLEET = """\
id: test.fleet
title: Fleet
parameters:
  - {name: token, type: secret}
steps:
  - id: everywhere
    run:
      sh: 'hostname >/dev/null && echo token={token}'
      hosts: all
  - id: disks
    action: {id: linux.disk_usage}
  - id: fetch
    transfer: {direction: download, remote: /etc/hostname, local: hostname.txt, hosts: all}
"""


@pytest.mark.asyncio
async def test_fan_out_actions_downloads_and_a_secret_that_never_reaches_the_database(
    procedure_lab: ProcedureLab, tmp_path: Path
) -> None:
    lab = procedure_lab
    observer = Recorder()
    services = lab.services(observer, downloads=tmp_path / "downloads")
    secret = "Zq-7-SECRET-never-stored"
    try:
        engine = await ProcedureEngine.start(
            services, parse(FLEET), targets=["srv-web-01", "srv-web-02"], parameters={"token": secret}
        )
        assert lab.vault.exists(f"procedure-run/{engine.run_id}/token")
        assert await engine.advance() is None
        assert engine.state is RunStatus.COMPLETED
    finally:
        await services.pool.close()
    rows = {row.step_id: row for row in step_rows(lab, engine.run_id)}
    urls = [lab.hosts["srv-web-01"].label, lab.hosts["srv-web-02"].label]
    assert [host["target"] for host in rows["everywhere"].hosts] == urls
    assert all(host["state"] == "passed" for host in rows["everywhere"].hosts)
    printed = b"".join(data for index, _target, data in observer.chunks if index == 0)
    assert secret.encode() not in printed and printed.count(b"token=") == 2
    table = rows["disks"].hosts[0]["table"]
    assert table["columns"] and table["rows"]
    downloads = sorted((tmp_path / "downloads" / f"run-{engine.run_id}").rglob("hostname.txt"))
    assert len(downloads) == 2
    with lab.database.session() as session:
        run = session.get(ProcedureRun, engine.run_id)
        assert run is not None and "token" not in run.parameters
        assert len(session.scalars(select(Attachment)).all()) == 2
        stored = [r.command for r in session.scalars(select(RemoteRun))]
    assert all(secret not in command for command in stored)
    assert not lab.vault.exists(f"procedure-run/{engine.run_id}/token"), "the secret is forgotten when the run ends"


@pytest.mark.asyncio
async def test_a_run_bound_to_fail_is_refused_before_anything_runs(procedure_lab: ProcedureLab) -> None:
    lab = procedure_lab
    services = lab.services()
    unknown_action = parse(FLEET.replace("linux.disk_usage", "acme.flux_capacitor"))
    cmd_only = parse("""\
id: test.cmd
title: cmd
parameters: [{name: name, type: string}]
steps:
  - id: one
    run: {sh: 'echo {name}'}
""")
    try:
        with pytest.raises(EngineError, match=r"acme\.flux_capacitor"):
            await ProcedureEngine.start(services, unknown_action, targets=["srv-web-01"], parameters={"token": "x"})
        with pytest.raises(EngineError, match="no-such-host"):
            await ProcedureEngine.start(services, cmd_only, targets=["no-such-host"], parameters={"name": "a"})
        with pytest.raises(EngineError, match="name"):
            await ProcedureEngine.start(services, cmd_only, targets=["srv-web-01"], parameters={})
        with pytest.raises(EngineError, match=r"(?i)nul"):
            await ProcedureEngine.start(services, cmd_only, targets=["srv-web-01"], parameters={"name": "a\x00b"})
    finally:
        await services.pool.close()
    with lab.database.session() as session:
        assert session.scalars(select(ProcedureRun)).all() == []
        assert session.scalars(select(RemoteRun)).all() == []


STOPS = """\
id: test.stops
title: Stops
parameters:
  - {name: password, type: secret}
  - {name: name, type: string, default: report}
steps:
  - id: login
    run: {sh: 'echo logging in with {password} >/dev/null; echo ok'}
  - id: slow
    run: {sh: 'sleep 30', timeout: 60, on_failure: continue}
  - id: maybe
    when: name == "never"
    run:
      sh: echo found=42
      capture: {found: {regex: 'found=(\\d+)'}}
  - id: summary
    note: "Found {found}"
  - id: fetch
    transfer: {direction: download, remote: /etc/hostname, local: "{name}.txt"}
"""


@pytest.mark.asyncio
async def test_stop_a_step_a_note_without_its_value_and_a_quoted_secret_that_stays_masked(
    procedure_lab: ProcedureLab, tmp_path: Path
) -> None:
    lab = procedure_lab
    observer = Recorder()
    services = lab.services(observer, downloads=tmp_path / "downloads")
    secret = "Pa'ss-w0rd-42"  # quoted for sh, it is no longer the text the vault's redaction looks for
    try:
        engine = await ProcedureEngine.start(
            services, parse(STOPS), targets=["srv-web-01"], parameters={"password": secret}
        )
        running = asyncio.create_task(engine.advance())
        while not any(index == 1 for index, _attempt in observer.started):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        engine.interrupt()  # even with on_failure: continue, a stopped step waits for the engineer
        waiting = await asyncio.wait_for(running, 10)
        assert waiting is not None
        assert (waiting.need, waiting.step.id, waiting.reason) == (Need.DECISION, "slow", "stopped by the engineer")
        await engine.skip("Not needed today.")
        waiting = await engine.advance()  # "maybe" did not apply, so the note has no value to show
        assert waiting is not None and (waiting.need, waiting.step.id) == (Need.DECISION, "summary")
        assert waiting.reason == "found has no value"
        await engine.skip("Nothing was found.")
        assert await engine.advance() is None and engine.state is RunStatus.COMPLETED  # the download still works
    finally:
        await services.pool.close()
    with lab.database.session() as session:
        stored = [run.command for run in session.scalars(select(RemoteRun))]
        events = [e.summary + e.body for e in session.scalars(select(TimelineEvent))]
    assert stored[0] == "echo logging in with •••••• >/dev/null; echo ok"
    assert not any("ss-w0rd" in text for text in stored + events)
    assert (tmp_path / "downloads" / f"run-{engine.run_id}" / "report.txt").read_text().strip()
    states = [(row.step_id, row.state) for row in step_rows(lab, engine.run_id)]
    assert states == [
        ("login", "passed"),
        ("slow", "failed"),
        ("slow", "skipped"),
        ("maybe", "not_applicable"),
        ("summary", "failed"),
        ("summary", "skipped"),
        ("fetch", "passed"),
    ]


@pytest.mark.asyncio
async def test_a_pause_waits_for_the_step_and_a_value_cannot_steer_a_download(
    procedure_lab: ProcedureLab, tmp_path: Path
) -> None:
    lab = procedure_lab
    observer = Recorder()
    services = lab.services(observer, downloads=tmp_path / "downloads")
    escape = "../../escaped"
    try:
        engine = await ProcedureEngine.start(
            services, parse(STOPS), targets=["srv-web-01"], parameters={"password": "x", "name": escape}
        )
        engine.pause()  # asked before a step: the run stops before it
        assert await engine.advance() is None and engine.state is RunStatus.PAUSED
        running = asyncio.create_task(engine.advance())
        while not any(index == 1 for index, _attempt in observer.started):
            await asyncio.sleep(0.05)
        engine.pause()  # asked during the slow step: it ends first (interrupted here to be quick)
        engine.interrupt()
        waiting = await asyncio.wait_for(running, 10)
        assert waiting is not None and waiting.step.id == "slow"
        await engine.retry()  # the pause was answered by the stop: retrying runs the step, it does not pause
        running = asyncio.create_task(engine.advance())
        while observer.started[-1] != (1, 2):
            await asyncio.sleep(0.05)
        engine.interrupt()
        await asyncio.wait_for(running, 10)
        await engine.skip("Quick test.")
        waiting = await engine.advance()
        assert waiting is not None and waiting.step.id == "summary"
        await engine.skip("Nothing found.")
        waiting = await engine.advance()
        assert waiting is not None and waiting.step.id == "fetch"
        assert "cannot be part of a path on this computer" in waiting.reason
    finally:
        await services.pool.close()
    assert not list(tmp_path.rglob("escaped*"))


@pytest.mark.asyncio
async def test_a_run_held_by_another_live_process_cannot_be_resumed(procedure_lab: ProcedureLab) -> None:
    import os
    import socket

    lab = procedure_lab
    services = lab.services()
    try:
        engine = await ProcedureEngine.start(services, parse(PAUSES), targets=["srv-web-01"], parameters={})
        assert (await engine.advance()).need is Need.CONSENT  # type: ignore[union-attr]
        with pytest.raises(AnswerError, match="cannot be skipped"):
            await engine.skip("The customer is out.")
        with lab.database.writing() as session:
            run = session.get(ProcedureRun, engine.run_id)
            assert run is not None and run.runner.endswith(f":{os.getpid()}")  # held while waiting
            run.runner = f"{socket.gethostname()}:{os.getppid()}"  # a live process: another SupportStation
        with pytest.raises(EngineError, match="another SupportStation"):
            await ProcedureEngine.resume(lab.services(), engine.run_id)
        await engine.abort("Customer left.")
        await engine.abort("Twice.")  # a finished run is left as it is
    finally:
        await services.pool.close()
    ends = [e.summary for e in timeline(lab) if e.kind == "procedure_run"]
    assert len(ends) == 2 and ends[-1].endswith("Customer left.")
