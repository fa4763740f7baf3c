"""The audit log: an append-only, hash-chained record of every remote action, anchored outside the database.

Each `AuditRecord` carries the SHA-256 of its own fields plus the previous record's hash, so editing or deleting a
row breaks the chain. Someone with write access to the database could still rewrite the whole chain from the edited
row onwards, or drop its tail; the anchor file (count and head hash, under an HMAC whose key lives in the vault) is
what catches that.

    anchor = Anchor(app_paths.data / ANCHOR_FILE, vault)
    with database.session() as session:
        append(session, anchor, actor="a@b.fr", target="ssh://support@srv-01:22", action="uptime", output=text)
    verify(session, anchor.path, vault).intact
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

from supportstation.i18n import _
from supportstation.paths import AppPaths
from supportstation.storage.models import AuditRecord
from supportstation.storage.types import utc_now
from supportstation.vault import SecretNotFound, Vault, VaultError

GENESIS_HASH = "0" * 64
ANCHOR_FILE = "audit-anchor.json"
ANCHOR_KEY = "audit/anchor-key"
ANCHOR_FORMAT = 1
# Bumped if the canonical form ever changes, so old records keep verifying under the form they were written with.
RECORD_FORMAT = 1
_PENDING = "supportstation.audit.pending_anchor"


def anchor_path(app_paths: AppPaths, *, demo: bool = False) -> Path:
    """Where the anchor of this data folder's log lives; the demo database, in a folder of its own, has its own."""
    folder = app_paths.demo_database_file.parent if demo else app_paths.data
    return folder / ANCHOR_FILE


def sha256_text(value: str | bytes) -> str:
    data = value.encode("utf-8") if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()


def _iso_utc(value: datetime) -> str:
    # Microseconds, always: PostgreSQL and SQLite both keep them, so the text is the same after a round trip.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(record: AuditRecord) -> bytes:
    """The bytes a record's hash covers. ticket_id is left out on purpose: deleting a ticket sets it to NULL (the
    foreign key's SET NULL), which must not look like tampering."""
    fields = {
        "format": RECORD_FORMAT,
        "sequence": record.sequence,
        "created_at": _iso_utc(record.created_at),
        "actor": record.actor,
        "target": record.target,
        "action": record.action,
        "exit_code": record.exit_code,
        "output_sha256": record.output_sha256,
        "previous_hash": record.previous_hash,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def compute_hash(record: AuditRecord) -> str:
    return sha256_text(canonical(record))


# -- the anchor ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorState:
    count: int
    head: str


class AnchorError(Exception):
    """The anchor file cannot be trusted: unreadable, malformed, or its HMAC does not match."""


class Anchor:
    """The chain's head, kept in a small JSON file beside the database and signed with a key from the vault."""

    def __init__(self, path: Path, vault: Vault) -> None:
        self.path = path
        self.vault = vault
        self._key: bytes | None = None  # kept once read: every recorded run signs with it, and a keyring is slow

    def key(self, *, create: bool) -> bytes | None:
        if self._key is not None:
            return self._key
        try:
            self._key = self.vault.load(ANCHOR_KEY)
        except SecretNotFound:
            if not create:
                return None
            key = secrets.token_bytes(32)
            self.vault.store(ANCHOR_KEY, key)
            self._key = key
        return self._key

    def read(self) -> AnchorState | None:
        """The anchored state, None when there is no anchor file; raises AnchorError when it cannot be trusted."""
        if not self.path.exists():
            return None
        try:
            content = json.loads(self.path.read_text(encoding="utf-8"))
            state = AnchorState(count=int(content["count"]), head=str(content["head"]))
            signature = str(content["hmac"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise AnchorError(
                _("The anchor file {path} cannot be read: {error}").format(path=self.path, error=error)
            ) from None
        key = self.key(create=False)
        if key is None:
            raise AnchorError(
                _("The key that signs the anchor file ({key}) is not in the vault.").format(key=ANCHOR_KEY)
            )
        if not hmac.compare_digest(signature, _sign(key, state)):
            raise AnchorError(
                _("The anchor file {path} was altered: its signature does not match.").format(path=self.path)
            )
        return state

    def write(self, state: AnchorState) -> None:
        """Anchors `state`, or a later state when one comes in meanwhile.

        Runs recorded in parallel commit in one order and may get here in another: an anchor moved back would hide
        the deletion of the records after it, so an older state is never written. While one thread writes the file
        (an fsync), the others only leave their state for it, and it writes the newest one next: one write covers
        many records, and a record committed but not anchored yet is what `verify` reports as a note."""
        with _ANCHOR_LOCK:
            if state.count <= max(_ANCHORED_COUNTS.get(self.path, 0), _awaited_count(self.path)):
                return
            _AWAITING[self.path] = state
            if self.path in _WRITING:
                return
            _WRITING.add(self.path)
        while True:
            with _ANCHOR_LOCK:
                newest = _AWAITING.pop(self.path, None)
                if newest is None:
                    _WRITING.discard(self.path)  # in the same lock: a state left from now on finds no writer
                    return
                if newest.count <= _ANCHORED_COUNTS.get(self.path, 0):
                    # Left while a newer one was being written (it was checked against the count written before).
                    continue
            try:
                self._write_file(newest)
            except BaseException:
                with _ANCHOR_LOCK:
                    _WRITING.discard(self.path)
                raise
            with _ANCHOR_LOCK:
                _ANCHORED_COUNTS[self.path] = newest.count

    def _write_file(self, state: AnchorState) -> None:
        key = self.key(create=True)
        assert key is not None
        content = {"format": ANCHOR_FORMAT, "count": state.count, "head": state.head, "hmac": _sign(key, state)}
        _write_atomically(self.path, json.dumps(content, indent=2) + "\n")


# Per anchor file, in this process: the count last written, the newest state waiting, and whether a thread writes.
_ANCHOR_LOCK = threading.Lock()
_ANCHORED_COUNTS: dict[Path, int] = {}
_AWAITING: dict[Path, AnchorState] = {}
_WRITING: set[Path] = set()


def _awaited_count(path: Path) -> int:
    waiting = _AWAITING.get(path)
    return waiting.count if waiting is not None else 0


def _sign(key: bytes, state: AnchorState) -> str:
    message = json.dumps({"format": ANCHOR_FORMAT, "count": state.count, "head": state.head}, sort_keys=True)
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def _write_atomically(path: Path, text: str) -> None:
    # A crash mid-write must leave the old anchor or the new one, never half of one.
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- appending -------------------------------------------------------------------------------------------------------


_APPEND_LOCK_KEY = 0x5355_5050_4155_4449  # "SUPPAUDI": any constant that no other code of the database uses


def append(
    session: Session,
    anchor: Anchor,
    *,
    actor: str,
    target: str,
    action: str,
    output: str | bytes = b"",
    output_sha256: str | None = None,
    exit_code: int | None = None,
    ticket_id: int | None = None,
    created_at: datetime | None = None,
) -> AuditRecord:
    """Adds a record at the end of the chain; the anchor is rewritten once the session's transaction commits.
    The record returned is not in the session (it was inserted directly).

    `output` must already be redacted: only its SHA-256 is kept here, as evidence of what was stored elsewhere.
    A caller that streamed a large output gives the digest it computed along the way as `output_sha256` instead.
    """
    # Appenders take turns until they commit. SQLite has one writer at a time anyway (BEGIN IMMEDIATE, see
    # `Database.writing`). On PostgreSQL a lock on the last row would not do: a waiter is handed that same row once
    # the other commits, not the new last one, and an empty table has no row to lock; a transaction-scoped advisory
    # lock serialises them all. The unique sequence remains the backstop against a fork of the chain.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK_KEY})
    # Core statements on the session's connection, not the ORM (whose flush or bulk-insert path costs more than the
    # work): every recorded run appends, and a fan-out appends 50 at once.
    connection = session.connection()
    last = connection.execute(_LAST_RECORD).first()
    record = AuditRecord(
        sequence=1 if last is None else last.sequence + 1,
        created_at=created_at or utc_now(),
        actor=actor,
        target=target,
        action=action,
        exit_code=exit_code,
        output_sha256=output_sha256 or sha256_text(output),
        ticket_id=ticket_id,
        previous_hash=GENESIS_HASH if last is None else last.record_hash,
    )
    record.record_hash = compute_hash(record)
    values = {column: getattr(record, column) for column in _RECORD_COLUMNS}
    record.id = connection.execute(_INSERT_RECORD, values).scalar_one()
    # Anchoring before the commit would leave an anchor ahead of the database if the commit failed.
    anchor.key(create=True)  # fail now, inside the transaction, if the vault cannot hold the key
    _anchor_after_commit(session, anchor, AnchorState(record.sequence, record.record_hash))
    return record


# Built once: building a statement costs as much as running it.
_AUDIT_TABLE = AuditRecord.__table__
_LAST_RECORD = (
    select(_AUDIT_TABLE.c.sequence, _AUDIT_TABLE.c.record_hash).order_by(_AUDIT_TABLE.c.sequence.desc()).limit(1)
)
_INSERT_RECORD = insert(_AUDIT_TABLE).returning(_AUDIT_TABLE.c.id)
_RECORD_COLUMNS = (
    "sequence",
    "created_at",
    "actor",
    "target",
    "action",
    "exit_code",
    "output_sha256",
    "ticket_id",
    "previous_hash",
    "record_hash",
)


def _anchor_after_commit(session: Session, anchor: Anchor, state: AnchorState) -> None:
    first = _PENDING not in session.info
    session.info[_PENDING] = (anchor, state)
    if not first:
        return

    def committed(committed_session: Session) -> None:
        pending = committed_session.info.pop(_PENDING, None)
        if pending is not None:
            pending[0].write(pending[1])

    def rolled_back(rolled_session: Session, _transaction: object) -> None:
        rolled_session.info.pop(_PENDING, None)

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_soft_rollback", rolled_back, once=True)


# -- verifying -------------------------------------------------------------------------------------------------------


@dataclass
class Problem:
    kind: str  # edited, gap, broken_link, deleted_tail, rewritten, anchor_missing, anchor_invalid
    message: str
    sequence: int | None = None


@dataclass
class VerifyReport:
    records: int = 0
    anchored_count: int | None = None
    head: str | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "intact": self.intact}

    def add(self, kind: str, message: str, sequence: int | None = None) -> None:
        self.problems.append(Problem(kind, message, sequence))


def verify(session: Session, anchor_path: Path, vault: Vault) -> VerifyReport:
    """Recomputes the whole chain and compares its end with the anchor. Never raises for a damaged log: every
    finding is a Problem naming the sequence number involved."""
    report = VerifyReport()
    hashes: dict[int, str] = {}
    expected_sequence, expected_previous = 1, GENESIS_HASH
    for record in session.scalars(select(AuditRecord).order_by(AuditRecord.sequence)):
        report.records += 1
        sequence = record.sequence
        if sequence != expected_sequence:
            report.add(
                "gap",
                _("Records {first} to {last} are missing: the log jumps to record {sequence}.").format(
                    first=expected_sequence, last=sequence - 1, sequence=sequence
                )
                if sequence - 1 > expected_sequence
                else _("Record {missing} is missing: the log jumps to record {sequence}.").format(
                    missing=expected_sequence, sequence=sequence
                ),
                expected_sequence,
            )
        elif record.previous_hash != expected_previous:
            report.add(
                "broken_link",
                _("Record {sequence} does not follow record {previous}: the chain was broken there.").format(
                    sequence=sequence, previous=sequence - 1
                ),
                sequence,
            )
        if compute_hash(record) != record.record_hash:
            report.add(
                "edited",
                _("Record {sequence} was altered: its content no longer matches its hash.").format(sequence=sequence),
                sequence,
            )
        hashes[sequence] = record.record_hash
        # Continue from what is stored, so one edited row gives one finding rather than one per following row.
        expected_sequence, expected_previous = sequence + 1, record.record_hash
    last = expected_sequence - 1 if report.records else 0
    report.head = hashes.get(last)
    _compare_with_anchor(report, Anchor(anchor_path, vault), hashes, last)
    return report


def _compare_with_anchor(report: VerifyReport, anchor: Anchor, hashes: dict[int, str], last: int) -> None:
    try:
        state = anchor.read()
    except AnchorError as error:
        report.add("anchor_invalid", str(error))
        return
    except VaultError as error:
        report.add("anchor_invalid", _("The anchor cannot be checked: {error}").format(error=error))
        return
    if state is None:
        if report.records:
            report.add(
                "anchor_missing",
                _("The anchor file {path} is missing, yet the log holds {count} records.").format(
                    path=anchor.path, count=report.records
                ),
            )
        return
    report.anchored_count = state.count
    if state.count > last:
        report.add(
            "deleted_tail",
            (
                _("Record {first} was deleted: the anchor counts {count} records, the log ends at {last}.")
                if state.count == last + 1
                else _(
                    "Records {first} to {count} were deleted: the anchor counts {count} records, the log ends at "
                    "{last}."
                )
            ).format(first=last + 1, count=state.count, last=last),
            last + 1,
        )
    elif state.count and hashes.get(state.count) != state.head:
        report.add(
            "rewritten",
            _(
                "Record {sequence} is not the one anchored: the chain up to it was rewritten or replaced, even if "
                "its hashes agree with each other."
            ).format(sequence=state.count),
            state.count,
        )
    if last > state.count:
        # Committed but not anchored yet (a crash between the two, or another computer writing to a shared database).
        report.notes.append(
            _("Records {first} to {last} are not covered by the anchor yet.").format(first=state.count + 1, last=last)
        )
