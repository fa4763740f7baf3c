"""The app killed in the middle of the day (`kill -9`, as a crash or a battery would), then started again: nothing
committed before the kill is lost, and the command that was streaming lost at most its last second (DESIGN.md §3).

The window runs in a process of its own (tests/e2e/app_process.py): it opens the ticket, starts the intervention,
adds a note and streams a long command on a Linux host (the test sshd), each output line stamped with the remote
clock. Three seconds into the stream the process is killed. The database then holds the note, the running
intervention and every line written more than a second before the kill, in order, none missing. The app started
again shows all of it, closes the interrupted run as such (output kept, audited) and the audit chain verifies.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from supportstation import audit, paths, storage
from supportstation.clock import utc_now
from supportstation.remote.workbench import KNOWN_HOSTS_FILE
from supportstation.settings import EngineerProfile
from supportstation.storage.enums import CredentialKind, TicketStatus
from supportstation.storage.models import Client, CredentialRef, Host, Ticket
from supportstation.tickets import sla
from supportstation.tickets.engineers import ensure_engineer
from supportstation.vault import open_vault
from supportstation.vault.crypto import ScryptParameters
from tests.e2e.app_process import NOTE

pytestmark = pytest.mark.timeout(180)

REPOSITORY = Path(__file__).resolve().parents[2]
VAULT_PASSWORD = "vault password of the crashed laptop"
STREAMED_BEFORE_KILL_S = 3.0
ENVIRONMENT = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def prepare(data: Path, sshd: Any, ssh_user: Any) -> dict[str, Any]:
    """The laptop before the day: the database with the ticket and its host, the key in the vault, the host's key
    known (accepting it is another test's subject)."""
    app_paths = paths.under(data / "app")
    app_paths.data.mkdir(parents=True, exist_ok=True)
    vault = open_vault(app_paths, backend="file", scrypt=ScryptParameters(n=2**10))
    vault.unlock(VAULT_PASSWORD)
    vault.store("mairie/linux", ssh_user.key.read_text())
    (app_paths.data / KNOWN_HOSTS_FILE).write_text(f"[127.0.0.1]:{sshd.port} {sshd.host_public_key}\n")
    database = storage.connect(storage.sqlite_url(app_paths.database_file), backups=app_paths.backups,
                               create_missing=True)  # fmt: skip
    try:
        with database.session() as session:
            engineer = ensure_engineer(session, EngineerProfile(name="Camille Martin",
                                                                email="camille.martin@exemple.fr"))  # fmt: skip
            client = Client(name="Mairie de Saint-Aubin")
            host = Host(client=client, name="srv-web", address="127.0.0.1", port=sshd.port, os_family="linux",
                        credential=CredentialRef(label="Administration Linux", kind=CredentialKind.SSH_KEY,
                                                 username=ssh_user.name, vault_key="mairie/linux"))  # fmt: skip
            ticket = Ticket(reference="SA-2026-201", title="Le portail web ne répond plus", client=client,
                            priority=1, status=TicketStatus.ASSIGNED, assignee=engineer, created_at=utc_now(),
                            hosts=[host])  # fmt: skip
            session.add(ticket)
            session.flush()
            sla.set_deadlines(session, ticket)
            session.commit()
            setup = {"ticket_id": ticket.id, "host_id": host.id, "vault_password": VAULT_PASSWORD}
    finally:
        database.close()
    (data / "e2e.json").write_text(json.dumps(setup), encoding="utf-8")
    return setup


def app_process(data: Path, phase: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.e2e.app_process", str(data), phase], cwd=REPOSITORY,
                            env=ENVIRONMENT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def stored_run(database_file: Path) -> tuple[int, str, str]:
    with sqlite3.connect(database_file) as connection:
        run_id, state, error = connection.execute(
            "SELECT id, state, error FROM remote_run ORDER BY id DESC LIMIT 1").fetchone()  # fmt: skip
        stored = b"".join(row[0] for row in connection.execute(
            "SELECT data FROM run_chunk WHERE run_id = ? ORDER BY sequence", (run_id,)))  # fmt: skip
    return state, error, stored.decode()


def test_a_killed_app_loses_nothing_committed_and_at_most_the_last_second_of_output(
    tmp_path: Path, sshd: Any, ssh_user: Any
) -> None:
    setup = prepare(tmp_path, sshd, ssh_user)
    database_file = paths.under(tmp_path / "app").database_file

    worker = app_process(tmp_path, "work")
    try:
        assert worker.stdout is not None
        line = worker.stdout.readline()  # blocks until the window streams, or the process ends
        assert line.strip() == "STREAMING", f"{line!r}\n{worker.stderr.read() if worker.poll() is not None else ''}"
        time.sleep(STREAMED_BEFORE_KILL_S)
        killed_at = time.time()
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(10) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()

    # What the killed process had committed, read straight from the file.
    state, _error, output = stored_run(database_file)
    assert state == "running"  # nobody was left to say otherwise
    lines = [re.fullmatch(r"line (\d+) (\d+\.\d+)", text) for text in output.splitlines()]
    assert lines and all(lines), output[-500:]
    numbers = [int(match.group(1)) for match in lines if match]
    assert numbers == list(range(1, len(numbers) + 1)), "stored lines are in order, none missing"
    last_written = float(lines[-1].group(2))  # type: ignore[union-attr]
    lost_s = killed_at - last_written
    print(f"\nkill -9 of the window: the last stored line was written {lost_s:.2f} s before the kill "
          f"({len(numbers)} lines stored)")  # fmt: skip
    assert lost_s <= 1.0 + 0.25, f"{lost_s:.2f} s of streamed output lost"  # a second, and the scheduler's slack
    with sqlite3.connect(database_file) as connection:
        notes = connection.execute("SELECT body FROM timeline_event WHERE kind = 'note'").fetchall()
        open_interventions = connection.execute("SELECT count(*) FROM intervention WHERE ended_at IS NULL").fetchone()
    assert [body for (body,) in notes] == [NOTE]
    assert open_interventions == (1,)

    # Started again: everything is there, and the interrupted run is closed as such, its output kept.
    restarted = app_process(tmp_path, "restart")
    out, err = restarted.communicate(timeout=90)
    assert restarted.returncode == 0, err[-3000:]
    shown = json.loads(out.strip().splitlines()[-1])
    assert NOTE in shown["timeline"]
    assert "SupportStation stopped while the command ran" in shown["timeline"]
    assert "SA-2026-201" in shown["intervention"] and shown["status"] == "in_progress"
    state, error, output_after = stored_run(database_file)
    assert state == "connection_lost" and "stopped while the command ran" in error
    assert output_after == output, "closing the run kept its output as stored"

    app_paths = paths.under(tmp_path / "app")
    vault = open_vault(app_paths, backend="file", scrypt=ScryptParameters(n=2**10))
    vault.unlock(VAULT_PASSWORD)
    database = storage.connect(storage.sqlite_url(database_file), backups=app_paths.backups, create_missing=False)
    try:
        with database.session() as session:
            report = audit.verify(session, audit.anchor_path(app_paths), vault)
            assert session.scalars(select(Ticket.id)).all() == [setup["ticket_id"]]
    finally:
        database.close()
    assert report.intact, report.problems
