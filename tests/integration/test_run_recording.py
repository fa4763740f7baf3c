"""Runs recorded as evidence against a real sshd: the run row and its chunks, the ticket's timeline, the audit log.

The database is read from the test itself, as another process would, while and after the command runs.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from supportstation import audit, paths
from supportstation.clock import utc_now
from supportstation.remote import output_store
from supportstation.remote.host_keys import HostKeyDecision, HostKeyPrompt, HostKeyStore, OfferedKey, refuse_unknown
from supportstation.remote.output_store import digest_update, output_digest, stored_output
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.recording import RecordingContext, recover_interrupted, this_runner
from supportstation.remote.results import Chunk, RunResult, RunState, Stream
from supportstation.remote.runs import Runner, RunRequest
from supportstation.remote.targets import AuthMethod, Target
from supportstation.storage import connect
from supportstation.storage.database import Database
from supportstation.storage.models import AuditRecord, Client, Ticket, TimelineEvent
from supportstation.storage.run_models import RemoteRun, RunChunk
from supportstation.vault import Vault, open_vault
from supportstation.vault.crypto import ScryptParameters
from tests.servers.postgres import free_port
from tests.servers.sshd import SshServer, SshUser

StoreFactory = Callable[..., HostKeyStore]
ACTOR = "ada@example.fr"
SECRET = "Sup3r-S3cret-Token"
# The shell joins the two halves: the secret is in the output but not written whole in the command line.
PRINTS_THE_SECRET = "echo token=Sup3r-S3cr''et-Token"


@pytest.fixture(autouse=True)
def no_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


@pytest.fixture
def vault(app_paths: paths.AppPaths) -> Vault:
    opened = open_vault(app_paths, backend="file", scrypt=ScryptParameters(n=2**10))  # the real cost only slows
    opened.unlock("test password")
    opened.store("clients/acme/db-password", SECRET)
    return opened


@pytest.fixture
def anchor(app_paths: paths.AppPaths, vault: Vault) -> audit.Anchor:
    return audit.Anchor(audit.anchor_path(app_paths), vault)


def open_database(url: str, tmp_path: Path) -> Database:
    return connect(url, backups=tmp_path / "backups", create_missing=True)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    opened = open_database(f"sqlite:///{tmp_path / 'runs.sqlite3'}", tmp_path)
    yield opened
    opened.close()


def new_ticket(database: Database) -> int:
    with database.session() as session:
        ticket = Ticket(reference="T-RUNS-1", title="Disk full on srv-01", client=Client(name="ACME"))
        session.add(ticket)
        session.commit()
        return ticket.id


def recording(database: Database, app_paths: paths.AppPaths, anchor: audit.Anchor, ticket_id: int) -> RecordingContext:
    return RecordingContext(database, app_paths.data / "outputs", ACTOR, anchor=anchor, ticket_id=ticket_id)


def key_target(server: SshServer, user: SshUser) -> Target:
    return Target(host=server.host, port=server.port, user=user.name, auth=AuthMethod.KEY, identity_files=(user.key,))


async def record(
    context: RecordingContext,
    store: HostKeyStore,
    vault: Vault,
    *requests: RunRequest,
    prompt: HostKeyPrompt = refuse_unknown,
) -> list[RunResult]:
    """The requests run one after the other on one pool, recorded in `context`."""
    pool = ConnectionPool(store, prompt=prompt)
    runner = Runner(pool, recorder=context.recorder, secrets=vault.known_secrets)
    try:
        return [await runner.run(request) for request in requests]
    finally:
        await pool.close()


def stored_bytes(context: RecordingContext, run_id: int) -> bytes:
    return b"".join(chunk.data for chunk in stored_output(context.database, run_id, context.outputs_folder))


def framed_digest(context: RecordingContext, run_id: int) -> str:
    digest = output_digest()
    for chunk in stored_output(context.database, run_id, context.outputs_folder):
        digest_update(digest, chunk.stream, chunk.data)
    return digest.hexdigest()


def audit_intact(database: Database, anchor: audit.Anchor) -> audit.VerifyReport:
    with database.session() as session:
        report = audit.verify(session, anchor.path, anchor.vault)
    assert report.intact, report.problems
    return report


@pytest.mark.asyncio
async def test_a_run_on_a_ticket_is_stored_on_its_timeline_and_in_the_audit_log(
    database_url: str,
    tmp_path: Path,
    app_paths: paths.AppPaths,
    anchor: audit.Anchor,
    vault: Vault,
    sshd: SshServer,
    ssh_user: SshUser,
    trusting_store: StoreFactory,
) -> None:
    database = open_database(database_url, tmp_path)
    try:
        ticket_id = new_ticket(database)
        context = recording(database, app_paths, anchor, ticket_id)
        command = "echo out; echo err >&2; exit 3"
        [result] = await record(context, trusting_store(sshd), vault, RunRequest(key_target(sshd, ssh_user), command))
        assert result.state is RunState.FAILED and result.run_id is not None

        with database.session() as session:
            run = session.get(RemoteRun, result.run_id)
            assert run is not None
            assert (run.ticket_id, run.actor, run.target, run.command) == (ticket_id, ACTOR, result.target, command)
            assert (run.state, run.exit_code, run.stdout_bytes, run.stderr_bytes) == ("failed", 3, 4, 4)
            assert run.ended_at is not None and run.host_key_fingerprint == result.host_key_fingerprint
            assert run.output_sha256 == framed_digest(context, run.id)
            events = session.scalars(select(TimelineEvent).where(TimelineEvent.ticket_id == ticket_id)).all()
            assert [event.kind for event in events] == ["command"]  # the key was known: no host_key event
            [event] = events
            assert run.timeline_event_id == event.id
            assert event.summary == f"{result.target} $ {command} — exit code 3"
            assert "out\n" in event.body and "err\n" in event.body
            assert event.data["run_id"] == run.id
            assert (event.data["exit_code"], event.data["state"], event.data["command"]) == (3, "failed", command)
            [record_row] = session.scalars(select(AuditRecord)).all()
            assert (record_row.actor, record_row.target, record_row.action) == (ACTOR, result.target, command)
            assert (record_row.exit_code, record_row.ticket_id) == (3, ticket_id)
            assert record_row.output_sha256 == run.output_sha256
        assert stored_bytes(context, result.run_id) in (b"out\nerr\n", b"err\nout\n")
        assert audit_intact(database, anchor).records == 1
    finally:
        database.close()


class AcceptOnce:
    def __init__(self) -> None:
        self.offered: list[OfferedKey] = []

    async def __call__(self, offered: OfferedKey) -> HostKeyDecision:
        self.offered.append(offered)
        return HostKeyDecision.ACCEPT_ONCE


@pytest.mark.asyncio
async def test_a_host_key_accepted_during_a_run_is_on_the_timeline_once(
    database: Database,
    app_paths: paths.AppPaths,
    anchor: audit.Anchor,
    vault: Vault,
    fresh_sshd: SshServer,
    ssh_user: SshUser,
    tmp_path: Path,
) -> None:
    context = recording(database, app_paths, anchor, new_ticket(database))
    prompt = AcceptOnce()
    target = key_target(fresh_sshd, ssh_user)
    first, second = await record(
        context,
        HostKeyStore(tmp_path / "known_hosts"),
        vault,
        RunRequest(target, "echo one"),
        RunRequest(target, "echo two"),
        prompt=prompt,
    )
    assert first.ok and second.ok and len(prompt.offered) == 1
    with database.session() as session:
        # In the order of the views and reports: time, then the order written.
        events = session.scalars(select(TimelineEvent).order_by(TimelineEvent.created_at, TimelineEvent.id)).all()
    # The key event comes before the command that used the key, and the second run on the connection adds none.
    assert [event.kind for event in events] == ["host_key", "command", "command"]
    key_event = events[0]
    fingerprint = prompt.offered[0].fingerprint
    assert key_event.data == {
        "host": f"[127.0.0.1]:{fresh_sshd.port}",
        "key_type": "ssh-ed25519",
        "fingerprint": fingerprint,
    }
    assert key_event.summary == f"Host key of [127.0.0.1]:{fresh_sshd.port} accepted (once): ssh-ed25519 {fingerprint}"
    assert first.host_key_fingerprint == fingerprint


@pytest.mark.asyncio
async def test_output_is_committed_while_the_command_runs(
    database: Database,
    app_paths: paths.AppPaths,
    anchor: audit.Anchor,
    vault: Vault,
    sshd: SshServer,
    ssh_user: SshUser,
    trusting_store: StoreFactory,
) -> None:
    context = recording(database, app_paths, anchor, new_ticket(database))
    pool = ConnectionPool(trusting_store(sshd))
    runner = Runner(pool, recorder=context.recorder, secrets=vault.known_secrets)
    try:
        # Output, then silence: a crash during the silence must not lose the output that came before it.
        handle = await runner.start(RunRequest(key_target(sshd, ssh_user), "echo first; sleep 3; echo last"))
        first = await asyncio.wait_for(anext(aiter(handle)), 5)
        assert first.data == b"first\n"
        await asyncio.sleep(1.7)  # the recorder commits about once a second; the command ends at 3 s
        run_id = handle.result.run_id
        assert run_id is not None
        with database.session() as session:
            state = session.scalar(select(RemoteRun.state).where(RemoteRun.id == run_id))
            data = session.scalars(select(RunChunk.data).where(RunChunk.run_id == run_id)).all()
        assert state == "running"
        assert b"".join(data) == b"first\n"
        result = await asyncio.wait_for(handle.wait(), 10)
    finally:
        await pool.close()
    assert result.state is RunState.SUCCEEDED
    assert stored_bytes(context, run_id) == b"first\nlast\n"


@pytest.mark.asyncio
async def test_secrets_of_the_vault_are_never_stored(
    database: Database,
    app_paths: paths.AppPaths,
    anchor: audit.Anchor,
    vault: Vault,
    sshd: SshServer,
    ssh_user: SshUser,
    trusting_store: StoreFactory,
) -> None:
    context = recording(database, app_paths, anchor, new_ticket(database))
    target = key_target(sshd, ssh_user)
    in_output, in_command = await record(
        context,
        trusting_store(sshd),
        vault,
        RunRequest(target, PRINTS_THE_SECRET),
        RunRequest(target, f"test {SECRET} = x || echo done"),
    )
    assert in_output.stdout == "token=[secret]\n"
    assert stored_bytes(context, in_output.run_id or 0) == b"token=[secret]\n"
    assert in_command.ok and in_command.stdout == "done\n"  # the real secret went to the server
    with database.session() as session:
        texts = [
            repr(row)
            for model in (RemoteRun, RunChunk, TimelineEvent, AuditRecord)
            for row in session.execute(select(model.__table__)).all()
        ]
    assert texts and not [text for text in texts if SECRET in text]
    assert any("token=[secret]" in text for text in texts)  # the timeline body shows where it was
    assert any("test [secret] = x" in text for text in texts)  # and the command what was run


@pytest.mark.asyncio
async def test_a_run_that_never_connected_is_recorded_too(
    database: Database,
    app_paths: paths.AppPaths,
    anchor: audit.Anchor,
    vault: Vault,
    ssh_user: SshUser,
    trusting_store: StoreFactory,
) -> None:
    ticket_id = new_ticket(database)
    context = recording(database, app_paths, anchor, ticket_id)
    port = free_port()
    target = Target(host="127.0.0.1", port=port, user=ssh_user.name)
    [result] = await record(context, trusting_store(), vault, RunRequest(target, "uptime"))
    assert result.state is RunState.NOT_CONNECTED and result.run_id is not None
    with database.session() as session:
        run = session.get(RemoteRun, result.run_id)
        assert run is not None
        assert (run.state, run.exit_code, run.error) == ("not_connected", None, result.error)
        assert "refused the connection" in run.error
        [event] = session.scalars(select(TimelineEvent).where(TimelineEvent.ticket_id == ticket_id)).all()
        assert event.summary == f"{target.url} $ uptime — not connected"
        assert result.error in event.body
        [record_row] = session.scalars(select(AuditRecord)).all()
        assert (record_row.action, record_row.exit_code) == ("uptime", None)
    audit_intact(database, anchor)


def dead_pid() -> int:
    """The PID of a process that has ended (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_runs_left_running_by_a_dead_process_are_marked_lost(
    database: Database, anchor: audit.Anchor, app_paths: paths.AppPaths
) -> None:
    host = socket.gethostname()
    with database.session() as session:
        orphan = RemoteRun(
            actor=ACTOR, target="ssh://sstest@srv-01:22", command="tail -f /var/log/syslog",
            state="running", started_at=utc_now(), runner=f"{host}:{dead_pid()}",
        )  # fmt: skip
        alive = RemoteRun(
            actor=ACTOR, target="ssh://sstest@srv-02:22", command="sleep 600",
            state="running", started_at=utc_now(), runner=f"{host}:{os.getpid()}",
        )  # fmt: skip
        session.add_all([orphan, alive])
        session.flush()
        session.add_all(
            [
                RunChunk(run_id=orphan.id, sequence=1, stream=1, offset_ms=0, data=b"line 1\n"),
                RunChunk(run_id=orphan.id, sequence=2, stream=2, offset_ms=500, data=b"warning\n"),
            ]
        )
        session.commit()
        orphan_id, alive_id = orphan.id, alive.id

    assert recover_interrupted(database, anchor) == 1

    expected = output_digest()
    digest_update(expected, 1, b"line 1\n")
    digest_update(expected, 2, b"warning\n")
    with database.session() as session:
        recovered = session.get(RemoteRun, orphan_id)
        untouched = session.get(RemoteRun, alive_id)
        assert recovered is not None and untouched is not None
        assert recovered.state == "connection_lost" and "stopped while the command ran" in recovered.error
        assert recovered.output_sha256 == expected.hexdigest()
        assert untouched.state == "running"  # its process still runs: it may still be recording
        [record_row] = session.scalars(select(AuditRecord)).all()
        assert (record_row.action, record_row.output_sha256) == ("tail -f /var/log/syslog", expected.hexdigest())
    audit_intact(database, anchor)
    assert recover_interrupted(database, anchor) == 0  # done once


def test_output_that_cannot_be_stored_is_named_and_the_writer_never_blocks_the_reader(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with database.writing() as session:
        run = RemoteRun(actor=ACTOR, target="ssh://sstest@srv-01:22", command="cat big.log", state="running",
                        started_at=utc_now(), runner=this_runner())  # fmt: skip
        session.add(run)
        session.flush()
        run_id = run.id
    blocker = tmp_path / "outputs"
    blocker.write_text("a file where the outputs folder should be")  # the spill file cannot be created
    monkeypatch.setattr(output_store, "DATABASE_LIMIT", 10)
    monkeypatch.setattr(output_store, "BACKLOG", 1)
    writer = output_store.OutputWriter(database, run_id, blocker)
    chunk = Chunk(Stream.STDOUT, b"x" * 64, 0.0)
    writer.submit([chunk])  # handed over: the writer thread fails on it
    with pytest.raises(output_store.OutputNotStored, match="The output of the run could not be stored"):
        for _attempt in range(100):  # the reader learns of it at its next hand-over, never waits forever
            writer.submit([chunk])
    with pytest.raises(output_store.OutputNotStored):
        writer.close([chunk])
