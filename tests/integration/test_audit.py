"""The audit log's hash chain and its anchor, on SQLite and PostgreSQL: every kind of tampering is named."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from supportstation import audit, paths
from supportstation.storage import connect
from supportstation.storage.database import Database
from supportstation.storage.models import AuditRecord, Client, Ticket
from supportstation.vault import Vault, open_vault
from supportstation.vault.crypto import ScryptParameters

FAST = ScryptParameters(n=2**10)  # the real cost (2**15) only makes the tests slower
PASSWORD = "test password"


@pytest.fixture
def vault(app_paths: paths.AppPaths) -> Vault:
    opened = open_vault(app_paths, backend="file", scrypt=FAST)
    opened.unlock(PASSWORD)
    return opened


@pytest.fixture
def anchor(app_paths: paths.AppPaths, vault: Vault) -> audit.Anchor:
    return audit.Anchor(audit.anchor_path(app_paths), vault)


@pytest.fixture
def database(database_url: str, tmp_path: Path) -> Iterator[Database]:
    opened = connect(database_url, backups=tmp_path / "backups", create_missing=True)
    yield opened
    opened.close()


def write_records(database: Database, anchor: audit.Anchor, count: int = 3) -> None:
    for number in range(1, count + 1):
        with database.session() as session:
            audit.append(
                session,
                anchor,
                actor="ada@example.fr",
                target="ssh://support@srv-01:22",
                action=f"systemctl status service-{number}",
                output=f"output {number}",
                exit_code=number - 1,
            )


def check(database: Database, anchor: audit.Anchor) -> audit.VerifyReport:
    with database.session() as session:
        return audit.verify(session, anchor.path, anchor.vault)


def only_problem(report: audit.VerifyReport) -> audit.Problem:
    assert len(report.problems) == 1, report.problems
    return report.problems[0]


def test_appended_records_form_a_chain_anchored_outside_the_database(
    database: Database, anchor: audit.Anchor, vault: Vault
) -> None:
    assert not anchor.path.exists()
    write_records(database, anchor)
    with database.session() as session:
        records = session.scalars(select(AuditRecord).order_by(AuditRecord.sequence)).all()
        assert [r.sequence for r in records] == [1, 2, 3]
        assert records[0].previous_hash == "0" * 64
        assert [r.previous_hash for r in records[1:]] == [r.record_hash for r in records[:-1]]
        assert records[1].output_sha256 == hashlib.sha256(b"output 2").hexdigest()
        # The hash is SHA-256 over sorted-key JSON with ISO UTC instants, independently recomputable.
        first = records[0]
        fields = {
            "format": 1,
            "sequence": 1,
            "created_at": first.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": "ada@example.fr",
            "target": "ssh://support@srv-01:22",
            "action": "systemctl status service-1",
            "exit_code": 0,
            "output_sha256": hashlib.sha256(b"output 1").hexdigest(),
            "previous_hash": "0" * 64,
        }
        canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert first.record_hash == hashlib.sha256(canonical.encode()).hexdigest()
        head = records[-1].record_hash
    stored = json.loads(anchor.path.read_text())
    assert (stored["count"], stored["head"]) == (3, head)
    assert vault.exists(audit.ANCHOR_KEY)
    report = check(database, anchor)
    assert report.intact and report.problems == [] and report.notes == []
    assert (report.records, report.anchored_count, report.head) == (3, 3, head)


def test_an_empty_log_without_anchor_is_intact(database: Database, anchor: audit.Anchor) -> None:
    report = check(database, anchor)
    assert report.intact and report.records == 0


def test_an_edited_row_is_named(database: Database, anchor: audit.Anchor) -> None:
    write_records(database, anchor)
    with database.session() as session:
        session.execute(text("UPDATE audit_record SET action = 'rm -rf /' WHERE sequence = 2"))
    problem = only_problem(check(database, anchor))
    assert (problem.kind, problem.sequence) == ("edited", 2)
    assert problem.message == "Record 2 was altered: its content no longer matches its hash."


def test_a_deleted_row_is_named(database: Database, anchor: audit.Anchor) -> None:
    write_records(database, anchor, 4)
    with database.session() as session:
        session.execute(text("DELETE FROM audit_record WHERE sequence = 2"))
    problem = only_problem(check(database, anchor))
    assert (problem.kind, problem.sequence) == ("gap", 2)
    assert "Record 2 is missing" in problem.message


def test_a_deleted_row_renumbered_to_hide_the_gap_breaks_the_link(database: Database, anchor: audit.Anchor) -> None:
    write_records(database, anchor, 3)
    with database.session() as session:
        session.execute(text("DELETE FROM audit_record WHERE sequence = 2"))
        session.execute(text("UPDATE audit_record SET sequence = 2 WHERE sequence = 3"))
    kinds = {(p.kind, p.sequence) for p in check(database, anchor).problems}
    # Renumbering changes the hashed fields too, and the anchor still counts three records.
    assert ("broken_link", 2) in kinds and ("edited", 2) in kinds and ("deleted_tail", 3) in kinds


def test_a_deleted_tail_is_named(database: Database, anchor: audit.Anchor) -> None:
    write_records(database, anchor, 4)
    with database.session() as session:
        session.execute(text("DELETE FROM audit_record WHERE sequence >= 3"))
    problem = only_problem(check(database, anchor))
    assert (problem.kind, problem.sequence) == ("deleted_tail", 3)
    assert problem.message == "Records 3 to 4 were deleted: the anchor counts 4 records, the log ends at 2."


def test_a_chain_recomputed_after_an_edit_is_caught_by_the_anchor(database: Database, anchor: audit.Anchor) -> None:
    write_records(database, anchor, 3)
    with database.session() as session:
        records = session.scalars(select(AuditRecord).order_by(AuditRecord.sequence)).all()
        records[1].action = "cat /etc/shadow"
        previous = records[0].record_hash
        for record in records[1:]:
            record.previous_hash = previous
            record.record_hash = audit.compute_hash(record)
            previous = record.record_hash
    problem = only_problem(check(database, anchor))
    assert (problem.kind, problem.sequence) == ("rewritten", 3)
    assert problem.message.startswith("Record 3 is not the one anchored")


def test_a_tampered_anchor_file_is_caught(database: Database, anchor: audit.Anchor) -> None:
    write_records(database, anchor, 3)
    with database.session() as session:
        session.execute(text("DELETE FROM audit_record WHERE sequence = 3"))
    with database.session() as session:
        head = session.scalars(select(AuditRecord.record_hash).where(AuditRecord.sequence == 2)).one()
    # Whoever deleted the tail also rewrites the anchor to match, but cannot sign it.
    content = json.loads(anchor.path.read_text())
    anchor.path.write_text(json.dumps({**content, "count": 2, "head": head}))
    problem = only_problem(check(database, anchor))
    assert problem.kind == "anchor_invalid"
    assert "was altered: its signature does not match" in problem.message


def test_a_missing_anchor_is_caught(database: Database, anchor: audit.Anchor) -> None:
    write_records(database, anchor, 2)
    anchor.path.unlink()
    problem = only_problem(check(database, anchor))
    assert problem.kind == "anchor_missing"
    assert "is missing, yet the log holds 2 records" in problem.message


def test_an_anchor_key_missing_from_the_vault_is_caught(database: Database, anchor: audit.Anchor, vault: Vault) -> None:
    write_records(database, anchor, 1)
    vault.delete(audit.ANCHOR_KEY)
    assert only_problem(check(database, anchor)).kind == "anchor_invalid"


def test_a_rolled_back_append_leaves_the_anchor_alone(database: Database, anchor: audit.Anchor) -> None:
    write_records(database, anchor, 2)
    before = anchor.path.read_bytes()
    with pytest.raises(RuntimeError), database.session() as session:
        audit.append(session, anchor, actor="a", target="t", action="reboot")
        raise RuntimeError("the remote action failed before its record was committed")
    assert anchor.path.read_bytes() == before
    assert check(database, anchor).intact


def test_records_committed_but_not_anchored_are_noted(database: Database, anchor: audit.Anchor) -> None:
    write_records(database, anchor, 2)
    before = anchor.path.read_bytes()
    write_records(database, anchor, 1)
    anchor.path.write_bytes(before)  # as after a crash between the commit and the anchor update
    report = check(database, anchor)
    assert report.intact
    assert report.notes == ["Records 3 to 3 are not covered by the anchor yet."]


def test_several_appends_in_one_transaction_and_a_deleted_ticket(database: Database, anchor: audit.Anchor) -> None:
    with database.session() as session:
        ticket = Ticket(reference="INC-9", title="Panne", client=Client(name="C"))
        session.add(ticket)
        session.flush()
        when = datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=UTC)
        for action in ("uptime", "df -h"):
            audit.append(session, anchor, actor="a", target="t", action=action, ticket_id=ticket.id, created_at=when)
    assert json.loads(anchor.path.read_text())["count"] == 2
    with database.session() as session:
        session.delete(session.scalars(select(Ticket)).one())
    with database.session() as session:
        assert session.scalars(select(AuditRecord.ticket_id)).all() == [None, None]
    # The foreign key's SET NULL is not tampering: ticket_id is outside the hash.
    assert check(database, anchor).intact


# -- the command line ------------------------------------------------------------------------------------------------

# No system keyring in the subprocess: the file vault the test made is the one the command opens.
ENVIRONMENT = {
    **os.environ,
    "QT_QPA_PLATFORM": "offscreen",
    "LANG": "C.UTF-8",
    "LANGUAGE": "",
    "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
}


def supportstation(*arguments: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess[str]:
    environment = dict(ENVIRONMENT)
    environment.pop("SUPPORTSTATION_VAULT_PASSWORD", None)
    if password is not None:
        environment["SUPPORTSTATION_VAULT_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "supportstation", *arguments],
        capture_output=True,
        text=True,
        timeout=90,
        env=environment,
    )


def test_the_audit_verify_command(
    database_url: str, database: Database, anchor: audit.Anchor, app_paths: paths.AppPaths
) -> None:
    base = ["--data-dir", str(app_paths.data.parent), "--database", database_url, "audit", "verify"]
    write_records(database, anchor, 3)

    result = supportstation(*base)
    assert result.returncode == 0, result.stderr
    assert "Audit log intact: 3 records." in result.stdout

    as_json = supportstation(*base, "--json")
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert (report["intact"], report["records"], report["anchored_count"]) == (True, 3, 3)

    locked = supportstation(*base, password=None)
    assert locked.returncode == 1
    assert "SUPPORTSTATION_VAULT_PASSWORD" in locked.stderr and "Traceback" not in locked.stderr

    wrong = supportstation(*base, password="not it")
    assert wrong.returncode == 1 and "Error:" in wrong.stderr and "Traceback" not in wrong.stderr

    with database.session() as session:
        session.execute(text("UPDATE audit_record SET exit_code = 0 WHERE sequence = 2"))
    tampered = supportstation(*base)
    assert tampered.returncode == 1
    assert "Problem: Record 2 was altered" in tampered.stdout
    problems = json.loads(supportstation(*base, "--json").stdout)["problems"]
    assert [(p["kind"], p["sequence"]) for p in problems] == [("edited", 2)]


def test_audit_verify_on_a_new_data_folder_needs_no_vault(tmp_path: Path) -> None:
    result = supportstation("--data-dir", str(tmp_path), "audit", "verify", password=None)
    assert result.returncode == 0, result.stderr
    assert "Audit log intact: 0 records." in result.stdout
    assert not (tmp_path / "data" / "vault").exists()


def test_the_anchor_never_moves_back(database: Database, anchor: audit.Anchor) -> None:
    write_records(database, anchor, 3)
    # A run that committed record 2 but reaches the anchor after record 3's did must not undo it.
    anchor.write(audit.AnchorState(2, "stale head"))
    assert json.loads(anchor.path.read_text())["count"] == 3
    assert check(database, anchor).intact


def test_an_older_state_left_while_a_newer_one_is_written_never_follows_it(
    database: Database, anchor: audit.Anchor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Record 4's run reaches the anchor while record 5's state is being written: it was checked against the count
    # written before (3), so it is left for the writer, which must not write it after 5.
    write_records(database, anchor, 3)
    original = anchor._write_file
    written: list[int] = []

    def slow_write(state: audit.AnchorState) -> None:
        if state.count == 5:
            late = threading.Thread(target=anchor.write, args=(audit.AnchorState(4, "record 4's head"),))
            late.start()
            late.join(5)
        written.append(state.count)
        original(state)

    monkeypatch.setattr(anchor, "_write_file", slow_write)
    anchor.write(audit.AnchorState(5, "record 5's head"))
    assert written == [5] and json.loads(anchor.path.read_text())["count"] == 5


def test_appends_from_many_threads_end_anchored_at_the_last_record(database: Database, anchor: audit.Anchor) -> None:
    # As a fan-out records its runs: each thread commits its record, then the anchor is written by whichever
    # thread is writing it at the time, always with the newest state.
    def record(number: int) -> None:
        with database.writing() as session:
            audit.append(session, anchor, actor="a", target=f"host-{number}", action="uname -a")

    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(record, range(40)))
    report = check(database, anchor)
    assert report.intact, report.problems
    assert (report.records, report.anchored_count, report.notes) == (40, 40, [])
