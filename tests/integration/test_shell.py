"""Interactive shells (supportstation.remote.shell) against the real test sshd: keys in, output out, the terminal's
size, how a session ends, the redacted transcript, and its record on a ticket and in the audit log."""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from supportstation import audit, paths
from supportstation.remote.host_keys import HostKeyStore
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.recording import RecordingContext
from supportstation.remote.shell import EndReason, ShellSession
from supportstation.remote.targets import AuthMethod, Target
from supportstation.remote.terminal_recording import TIMELINE_KIND, TerminalRecord
from supportstation.storage import connect
from supportstation.storage.models import AuditRecord, Client, Ticket, TimelineEvent
from supportstation.vault import Vault, open_vault
from supportstation.vault.crypto import ScryptParameters
from tests.servers.sshd import SshServer, SshUser

StoreFactory = Callable[..., HostKeyStore]
SECRET = "Sup3r-S3cret-Token"
ACTOR = "ada@example.fr"


@pytest.fixture(autouse=True)
def no_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


def key_target(server: SshServer, user: SshUser) -> Target:
    return Target(
        host=server.host,
        port=server.port,
        user=user.name,
        auth=AuthMethod.KEY,
        identity_files=(user.key,),
        name="srv-01",
    )


class Received:
    """What the shell sent, read by pieces as the reader thread handed them over."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, data: bytes) -> None:
        with self._lock:
            self.pieces.append(data)

    def text(self) -> str:
        with self._lock:
            return b"".join(self.pieces).decode("utf-8", errors="replace")

    async def until(self, needle: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if time.monotonic() > deadline:
                pytest.fail(f"{needle!r} never came; the shell sent {self.text()!r}")
            await asyncio.sleep(0.02)
        return self.text()


@asynccontextmanager
async def shell_on(
    server: SshServer, user: SshUser, store: HostKeyStore, secrets: tuple[str, ...] = ()
) -> AsyncIterator[tuple[ShellSession, Received]]:
    pool = ConnectionPool(store)
    received = Received()
    try:
        connection = await pool.connection(key_target(server, user))
        shell = await ShellSession.open(connection, on_output=received, cols=80, rows=24, secrets=secrets)
        await received.until("$ ")  # the prompt: the shell reads keys from now on
        try:
            yield shell, received
        finally:
            shell.close()
            await asyncio.wait_for(shell.wait(), 10)
    finally:
        await pool.close()


@pytest.mark.asyncio
async def test_typed_commands_answer_the_size_follows_resizes_and_the_exit_code_ends_the_session(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    async with shell_on(sshd, ssh_user, trusting_store(sshd)) as (shell, received):
        assert shell.running
        # The quotes make the echoed command differ from its output.
        shell.send(b"echo hel''lo\r")
        await received.until("\r\nhello\r\n")
        shell.send(b"stty size; echo $TERM\r")
        await received.until("24 80\r\nxterm-256color\r\n")
        shell.resize(100, 30)
        shell.send(b"stty size\r")
        await received.until("30 100\r\n")
        shell.send(b"exit 3\r")
        end = await asyncio.wait_for(shell.wait(), 10)
        assert (end.reason, end.exit_code) == (EndReason.EXITED, 3)
        assert "exit code 3" in end.message
        assert not shell.running and shell.ended_at is not None and shell.ended_at >= shell.started_at
        transcript = shell.transcript.text()
        assert "$ echo hel''lo\nhello\n" in transcript
        assert "30 100" in transcript and "\x1b" not in transcript and "\r" not in transcript
        shell.send(b"echo too late\r")  # an ended session ignores keys rather than failing


@pytest.mark.asyncio
async def test_closing_the_terminal_and_losing_the_connection_are_told_apart(
    fresh_sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    store = trusting_store(fresh_sshd)
    async with shell_on(fresh_sshd, ssh_user, store) as (shell, _received):
        shell.close()
        end = await asyncio.wait_for(shell.wait(), 10)
        assert end.reason is EndReason.CLOSED and end.exit_code is None

    async with shell_on(fresh_sshd, ssh_user, store) as (shell, received):
        shell.send(b"echo ready\r")
        await received.until("\r\nready\r\n")
        fresh_sshd.kill_sessions()  # as a crashed server or a cut link would
        end = await asyncio.wait_for(shell.wait(), 10)
        assert end.reason is EndReason.CONNECTION_LOST, end
        assert "srv-01" in end.message


@pytest.mark.asyncio
async def test_a_secret_the_server_prints_across_two_reads_is_redacted_from_the_transcript(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    async with shell_on(sshd, ssh_user, trusting_store(sshd), secrets=(SECRET,)) as (shell, received):
        # Neither the command (echoed back) nor any single read holds the whole secret; the screen shows it whole.
        shell.send(b"printf 'token=Sup3r-S3'; sleep 0.5; printf 'cret-Token\\n'\r")
        await received.until(f"token={SECRET}\r\n")
        assert not any(SECRET.encode() in piece for piece in received.pieces)
        shell.send(b"exit\r")
        await asyncio.wait_for(shell.wait(), 10)
    transcript = shell.transcript.text()
    assert "\ntoken=[secret]\n" in transcript
    assert SECRET not in transcript


@pytest.mark.asyncio
async def test_a_password_typed_at_a_prompt_that_does_not_echo_is_not_in_the_transcript(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    async with shell_on(sshd, ssh_user, trusting_store(sshd)) as (shell, received):
        shell.send(b"stty -echo; printf 'Password: '; read -r answer; stty echo; echo; echo length=${#answer}\r")
        await received.until("Password: ")
        shell.send(b"typed-Passw0rd\r")
        await received.until("length=14\r\n")
    assert "typed-Passw0rd" not in received.text()  # the server never sent it back...
    transcript = shell.transcript.text()
    assert "Password:" in transcript and "length=14" in transcript
    assert "typed-Passw0rd" not in transcript  # ...and keys are never recorded as such


# -- recording ---------------------------------------------------------------------------------------------------


@pytest.fixture
def vault(app_paths: paths.AppPaths) -> Vault:
    opened = open_vault(app_paths, backend="file", scrypt=ScryptParameters(n=2**10))
    opened.unlock("test password")
    opened.store("clients/acme/token", SECRET)
    return opened


@pytest.fixture
def database(database_url: str, tmp_path: Path) -> Iterator[object]:
    opened = connect(database_url, backups=tmp_path / "backups", create_missing=True)
    yield opened
    opened.close()


@pytest.mark.asyncio
async def test_a_finished_session_is_on_the_ticket_timeline_and_in_the_audit_log(
    database,  # type: ignore[no-untyped-def]
    app_paths: paths.AppPaths,
    vault: Vault,
    sshd: SshServer,
    ssh_user: SshUser,
    trusting_store: StoreFactory,
) -> None:
    with database.session() as session:
        ticket = Ticket(reference="T-TERM-1", title="Disk full on srv-01", client=Client(name="ACME"))
        session.add(ticket)
        session.commit()
        ticket_id = ticket.id
    anchor = audit.Anchor(audit.anchor_path(app_paths), vault)
    on_ticket = RecordingContext(database, app_paths.data / "outputs", ACTOR, anchor=anchor, ticket_id=ticket_id)
    async with shell_on(sshd, ssh_user, trusting_store(sshd), secrets=tuple(vault.known_secrets())) as (
        shell,
        received,
    ):
        shell.send(b"df -h / | tail -n 1; echo token=Sup3r-S3''cret-Token\r")
        await received.until(f"token={SECRET}\r\n")
        shell.send(b"exit\r")
        end = await asyncio.wait_for(shell.wait(), 10)
    assert shell.ended_at is not None
    transcript = shell.transcript.text()
    for context in (on_ticket, RecordingContext(database, app_paths.data / "outputs", ACTOR, anchor=anchor)):
        record = TerminalRecord(context, shell.target_label, shell.started_at, shell.host_key_fingerprint)
        await asyncio.to_thread(record.finish, transcript, shell.ended_at, end.message)

    digest = hashlib.sha256(transcript.encode()).hexdigest()
    with database.session() as session:
        [event] = session.scalars(select(TimelineEvent).where(TimelineEvent.ticket_id == ticket_id)).all()
        assert event.kind == TIMELINE_KIND
        assert re.fullmatch(r"Terminal on srv-01, \d+ s", event.summary), event.summary
        assert event.body == transcript and "token=[secret]" in event.body and SECRET not in event.body
        assert event.data["transcript_sha256"] == digest
        assert event.data["host_key_fingerprint"] == shell.host_key_fingerprint
        assert event.data["end"] == end.message
        with_ticket, without_ticket = session.scalars(select(AuditRecord).order_by(AuditRecord.sequence)).all()
        assert (with_ticket.actor, with_ticket.target, with_ticket.action) == (ACTOR, "srv-01", "interactive terminal")
        assert (with_ticket.ticket_id, without_ticket.ticket_id) == (ticket_id, None)
        assert with_ticket.output_sha256 == without_ticket.output_sha256 == digest
        report = audit.verify(session, anchor.path, vault)
    assert report.intact and report.records == 2, report.problems
