"""`supportstation outbox list|send` as a script runs them, against the real SMTP server; and the crash case: the CLI
killed after the server's 250 but before it could record "sent" sends the same message again at the next run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from supportstation import paths, settings
from supportstation.reports.mail import PASSWORD_KEY
from supportstation.reports.outbox import Outbox
from supportstation.reports.report_mail import compose_report_mail
from supportstation.storage import connect, sqlite_url
from supportstation.storage.models import TimelineEvent
from supportstation.vault import open_vault
from supportstation.vault.crypto import ScryptParameters
from tests.reports.conftest import seed
from tests.servers.smtp import SENDER, TEST_PASSWORD, SmtpServer

VAULT_PASSWORD = "vault password for the tests"
ENVIRONMENT = {
    **os.environ,
    "QT_QPA_PLATFORM": "offscreen",
    "LANG": "C.UTF-8",
    "LANGUAGE": "",
    # No keyring in the subprocess: the encrypted-file vault, unlocked by this password, holds the SMTP password.
    "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    "SUPPORTSTATION_VAULT_PASSWORD": VAULT_PASSWORD,
}
CONTACT = "jeanne.dupre@clinique.example.fr"


def command(base: Path, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "supportstation", "--data-dir", str(base), *arguments]


def supportstation(base: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(base, *arguments), capture_output=True, text=True, timeout=120, env=ENVIRONMENT)


def listing(base: Path) -> list[dict[str, Any]]:
    result = supportstation(base, "outbox", "list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def prepare(base: Path, server: SmtpServer, *, store_password: bool = True) -> tuple[paths.AppPaths, str]:
    """A data folder whose settings point at the server, whose vault holds its password, and whose outbox holds one
    report e-mail; returns the folders and the message's Message-ID."""
    app_paths = paths.under(base)
    app_paths.create()
    chosen = settings.Settings(profile=settings.EngineerProfile(name="Émilie Ingénieure", email=SENDER))
    chosen.mail = server.settings()
    settings.save(chosen, app_paths.settings_file)
    vault = open_vault(app_paths, backend="file", scrypt=ScryptParameters(n=2**10))
    vault.unlock(VAULT_PASSWORD)
    if store_password:
        vault.store(PASSWORD_KEY, TEST_PASSWORD)
    vault.lock()
    database = connect(sqlite_url(app_paths.database_file), backups=app_paths.backups, create_missing=True)
    try:
        seeded = seed(database, sender=SENDER)
        with database.session() as session:
            message = compose_report_mail(session, seeded.report_id, chosen, None, to=[CONTACT]).message
        Outbox(database).enqueue(message, seeded.ticket_id, seeded.report_id)
    finally:
        database.close()
    return app_paths, str(message["Message-ID"])


def mail_sent_events(app_paths: paths.AppPaths) -> list[TimelineEvent]:
    database = connect(sqlite_url(app_paths.database_file), backups=app_paths.backups, create_missing=False)
    try:
        with database.session() as session:
            return list(session.scalars(select(TimelineEvent).where(TimelineEvent.kind == "mail_sent")))
    finally:
        database.close()


def test_outbox_list_and_send_through_a_server_down_then_back(tmp_path: Path, smtp_server: SmtpServer) -> None:
    prepare(tmp_path, smtp_server)
    table = supportstation(tmp_path, "outbox", "list")
    assert table.returncode == 0, table.stderr
    header, rule, row = table.stdout.splitlines()
    for column in ("id", "state", "attempts", "next attempt", "recipients", "subject", "last error"):
        assert column in header
    assert set(rule) <= {"-", " "}
    assert "queued" in row and CONTACT in row and "Rapport d'intervention RI-2026-0042" in row

    smtp_server.stop()
    down = supportstation(tmp_path, "outbox", "send")
    assert down.returncode == 1
    assert "1: not sent, next attempt" in down.stdout and "refused the connection" in down.stdout
    [entry] = listing(tmp_path)
    assert entry["state"] == "queued" and entry["attempts"] == 1 and entry["next_attempt_at"]
    assert "refused the connection" in entry["last_error"]

    smtp_server.start()
    up = supportstation(tmp_path, "outbox", "send")  # at once, whatever the back-off
    assert up.returncode == 0, up.stdout + up.stderr
    assert f"1: sent to {CONTACT}" in up.stdout
    nothing = supportstation(tmp_path, "outbox", "send")
    assert nothing.returncode == 0 and "No message waits to be sent." in nothing.stdout
    assert len(smtp_server.messages) == 1
    assert listing(tmp_path)[0]["state"] == "sent"


def test_outbox_send_without_a_stored_password_says_where_to_put_it(tmp_path: Path, smtp_server: SmtpServer) -> None:
    prepare(tmp_path, smtp_server, store_password=False)
    result = supportstation(tmp_path, "outbox", "send")
    assert result.returncode == 1
    assert "No mail server password is stored" in result.stderr and PASSWORD_KEY in result.stderr
    assert listing(tmp_path)[0]["attempts"] == 0  # nothing was tried


def test_a_kill_between_the_250_and_the_commit_sends_the_same_message_again(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    app_paths, message_id = prepare(tmp_path, smtp_server)
    # When the message arrives, this test takes SQLite's write lock: the CLI gets its 250 but cannot record "sent".
    locker = sqlite3.connect(app_paths.database_file, isolation_level=None, check_same_thread=False, timeout=10)
    smtp_server.handler.on_data = lambda envelope: locker.execute("BEGIN IMMEDIATE")
    process = subprocess.Popen(
        command(tmp_path, "outbox", "send"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENVIRONMENT
    )
    try:
        assert smtp_server.handler.quit_seen.wait(60), "the CLI never finished its SMTP session"
        time.sleep(0.5)  # it now waits for the lock (up to its 5 s busy timeout) to commit "sent"
        assert process.poll() is None, process.communicate()
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if locker.in_transaction:
            locker.execute("ROLLBACK")
        locker.close()
        smtp_server.handler.on_data = None
    assert process.returncode == -signal.SIGKILL
    assert len(smtp_server.messages) == 1  # the server has it
    [entry] = listing(tmp_path)
    assert (entry["state"], entry["attempts"]) == ("sending", 1)  # the attempt was recorded, its end was not

    again = supportstation(tmp_path, "outbox", "send")
    assert again.returncode == 0, again.stdout + again.stderr
    first, second = smtp_server.messages
    assert first.data == second.data  # the same bytes
    assert first.parsed()["Message-ID"] == second.parsed()["Message-ID"] == message_id
    [entry] = listing(tmp_path)
    assert (entry["state"], entry["attempts"]) == ("sent", 2)
    [event] = mail_sent_events(app_paths)
    assert event.data["message_id"] == message_id
