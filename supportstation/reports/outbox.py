"""The outbox: e-mails kept whole in the database until the mail server has said 250, sent now or once back online.

    outbox = Outbox(database)
    outbox.enqueue(message, ticket_id, report_id)                         # queued, due at once
    await outbox.flush(settings.mail, lambda: password_from_vault(vault))  # the GUI's periodic retry
    outbox.send_due(settings.mail, provider, force=True)                  # `supportstation outbox send`

A message is `queued` until its next attempt, `sending` while an attempt runs, `sent` after the 250, or `held` when
the server refused it for a reason a retry will not fix (a certificate not trusted, a login or recipient refused):
held messages wait for the engineer's `retry_now`. A temporary failure (server unreachable, a 4xx reply) puts the
message back in the queue after a back-off of 1, 2, 4… minutes, at most an hour.

"sending" and the attempt count are committed before the SMTP transaction, "sent" and the ticket's timeline entry
together after it. A crash in between leaves "sending", and the message is sent again with the same bytes, so the
same Message-ID: the customer may receive it twice, and their mail program can tell it is the same message, but it is
never lost. `outbox send` (force) resends it at once; the periodic flush waits SENDING_LOOKS_INTERRUPTED_AFTER, as
another live SupportStation may still be sending it. Within one process, a message is only ever sent by one thread.

Every method blocks (SQL, smtplib): the GUI calls `flush`, and the others through `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.reports.mail import (
    Delivery,
    MailError,
    MessageRefused,
    SendError,
    check_settings,
    message_bytes,
    send_message,
)
from supportstation.reports.outbox_model import (
    FIRST_RETRY,
    LONGEST_RETRY,
    MessageBusy,
    MessageNotFound,
    OutboxEntry,
    OutboxError,
    OutboxState,
    SendOutcome,
    backoff,
    entry_of,
    state_label,
)
from supportstation.settings import MailSettings
from supportstation.storage.database import Database
from supportstation.storage.models import Engineer, Ticket, TimelineEvent
from supportstation.storage.report_models import OutboxMessage, Report

# What callers use, wherever it is defined.
__all__ = [
    "FIRST_RETRY",
    "LONGEST_RETRY",
    "SENDING_LOOKS_INTERRUPTED_AFTER",
    "MessageBusy",
    "MessageNotFound",
    "Outbox",
    "OutboxEntry",
    "OutboxError",
    "OutboxState",
    "PasswordProvider",
    "SendOutcome",
    "Transport",
    "backoff",
    "state_label",
]

log = logging.getLogger(__name__)

# An attempt still marked "sending" this long after it began was cut short (the app died). Not sooner: another
# SupportStation (the command line, a colleague on a shared database) may be in the middle of sending it.
SENDING_LOOKS_INTERRUPTED_AFTER = timedelta(minutes=5)

PasswordProvider = Callable[[], "str | None"]
Transport = Callable[[MailSettings, "str | None", bytes, str, list[str]], Delivery]


@dataclass(frozen=True)
class _Claim:
    id: int
    raw: bytes
    sender: str
    recipients: list[str]
    subject: str


# Messages this process is sending, whatever Outbox object started it: "retry now" and the periodic flush of the
# window may reach the same message at once.
_in_flight: set[tuple[str, int]] = set()
_in_flight_lock = threading.Lock()


class Outbox:
    def __init__(
        self, database: Database, *, transport: Transport = send_message, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._database = database
        self._transport = transport
        self._clock = clock

    # -- reading --

    def list(self) -> list[OutboxEntry]:
        return self._entries(select(OutboxMessage).order_by(OutboxMessage.id))

    def get(self, entry_id: int) -> OutboxEntry:
        entries = self._entries(select(OutboxMessage).where(OutboxMessage.id == entry_id))
        if not entries:
            raise _not_found(entry_id)
        return entries[0]

    def due(self, now: datetime | None = None) -> list[OutboxEntry]:
        """Queued messages whose next attempt has come, and attempts a crash interrupted."""
        now = now or self._clock()
        queued_and_due = and_(
            OutboxMessage.state == OutboxState.QUEUED.value,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        interrupted = and_(
            OutboxMessage.state == OutboxState.SENDING.value,
            or_(
                OutboxMessage.last_attempt_at.is_(None),
                OutboxMessage.last_attempt_at <= now - SENDING_LOOKS_INTERRUPTED_AFTER,
            ),
        )
        return self._entries(select(OutboxMessage).where(or_(queued_and_due, interrupted)).order_by(OutboxMessage.id))

    def pending(self) -> list[OutboxEntry]:
        """Every message not sent nor held, whatever its back-off."""
        waiting = (OutboxState.QUEUED.value, OutboxState.SENDING.value)
        return self._entries(select(OutboxMessage).where(OutboxMessage.state.in_(waiting)).order_by(OutboxMessage.id))

    def raw(self, entry_id: int) -> bytes:
        """The message exactly as it is sent (to save it as .eml or show it)."""
        with self._database.session() as session:
            row = session.get(OutboxMessage, entry_id)
            if row is None:
                raise _not_found(entry_id)
            return row.raw

    def _entries(self, query: Any) -> list[OutboxEntry]:
        with self._database.session() as session:
            return [entry_of(row) for row in session.scalars(query)]

    # -- changing --

    def enqueue(self, message: EmailMessage, ticket_id: int | None, report_id: int | None) -> int:
        """Stores the message as it will be sent, due at once; returns its outbox id."""
        message_id = str(message.get("Message-ID", "")).strip()
        if not message_id:
            raise OutboxError(_("The message has no Message-ID: build it with reports.mail.compose."))
        senders = message["From"].addresses if message["From"] else ()
        if len(senders) != 1:
            raise OutboxError(_("The message must have exactly one sender address (From)."))
        recipients = _unique(
            address.addr_spec for header in ("To", "Cc") if message[header] for address in message[header].addresses
        )
        if not recipients:
            raise OutboxError(_("The message has no recipient."))
        now = self._clock()
        try:
            with self._database.writing() as session:
                row = OutboxMessage(
                    message_id=message_id,
                    ticket_id=ticket_id,
                    report_id=report_id,
                    sender=senders[0].addr_spec,
                    recipients=recipients,
                    subject=str(message.get("Subject", ""))[:500],
                    raw=message_bytes(message),
                    state=OutboxState.QUEUED.value,
                    attempts=0,
                    created_at=now,
                    next_attempt_at=now,
                )
                session.add(row)
                session.flush()
                entry_id = row.id
        except IntegrityError:
            raise OutboxError(
                _("This message is in the outbox already (Message-ID {message_id}).").format(message_id=message_id)
            ) from None
        log.info("Queued message %s (%s) for %s", entry_id, message_id, ", ".join(recipients))
        return entry_id

    def retry_now(self, entry_id: int, now: datetime | None = None) -> None:
        """Makes a queued or held message due at once; the next flush sends it."""
        with self._claimed(entry_id) as mine:
            if not mine:
                raise MessageBusy(_("Message {id} is being sent right now.").format(id=entry_id))
            with self._database.writing() as session:
                row = self._row_not_sent(session, entry_id)
                row.state, row.next_attempt_at = OutboxState.QUEUED.value, now or self._clock()

    def delete(self, entry_id: int) -> None:
        """Removes a message that was not sent; a sent one stays, as the record of what the customer received."""
        with self._claimed(entry_id) as mine:
            if not mine:
                raise MessageBusy(_("Message {id} is being sent right now.").format(id=entry_id))
            with self._database.writing() as session:
                session.delete(self._row_not_sent(session, entry_id))
        log.info("Deleted unsent message %s from the outbox", entry_id)

    def _row_not_sent(self, session: Session, entry_id: int) -> OutboxMessage:
        row = session.get(OutboxMessage, entry_id, with_for_update=True)
        if row is None:
            raise _not_found(entry_id)
        if row.state == OutboxState.SENT.value:
            raise OutboxError(
                _("Message {id} was sent on {when}; it stays in the outbox as the record of what was sent.").format(
                    id=entry_id, when=row.sent_at.astimezone().strftime("%Y-%m-%d %H:%M") if row.sent_at else "?"
                )
            )
        return row

    # -- sending --

    def send_due(
        self,
        settings: MailSettings,
        password_provider: PasswordProvider,
        now: datetime | None = None,
        *,
        force: bool = False,
    ) -> list[SendOutcome]:
        """Sends the messages that are due, one connection each, in the order they were queued; with `force`, every
        queued or interrupted one whatever its back-off (held ones still wait for `retry_now`). Only messages From
        the settings' own sender address are sent: a team's shared database holds the others' too.

        When the server itself fails (unreachable, certificate, login), the rest of the batch is left alone, reported
        as not attempted: they would fail the same way, each after its own timeout. Raises MailSettingsError (and
        whatever `password_provider` raises) before touching any message when the settings cannot send.
        """
        entries = _sent_from(settings, self.pending() if force else self.due(now))
        if not entries:
            return []
        check_settings(settings)
        password = password_provider() if settings.username else None
        outcomes: list[SendOutcome] = []
        server_failure = ""
        for entry in entries:
            if server_failure:
                outcomes.append(_not_attempted(entry, server_failure))
                continue
            outcome, about_server = self._attempt(entry.id, settings, password, now, force=force)
            if outcome is not None:
                outcomes.append(outcome)
                server_failure = outcome.error if about_server else ""
        return outcomes

    def send_one(
        self, entry_id: int, settings: MailSettings, password_provider: PasswordProvider, now: datetime | None = None
    ) -> SendOutcome:
        """Sends one message now, whatever its back-off, held ones too: the engineer asked for it."""
        entry = self.get(entry_id)
        if entry.state is OutboxState.SENT:
            raise OutboxError(_("Message {id} was sent already.").format(id=entry_id))
        if not _sent_from(settings, [entry]):
            raise OutboxError(
                _(
                    "Message {id} is from {sender}: only SupportStation set up with that sender address sends it."
                ).format(id=entry_id, sender=entry.sender)
            )
        check_settings(settings)
        password = password_provider() if settings.username else None
        outcome, _about_server = self._attempt(entry_id, settings, password, now, force=True, held_too=True)
        if outcome is None:
            raise MessageBusy(_("Message {id} is being sent right now.").format(id=entry_id))
        return outcome

    async def flush(
        self, settings: MailSettings, password_provider: PasswordProvider, now: datetime | None = None
    ) -> list[SendOutcome]:
        """`send_due` without blocking the event loop, for the window's periodic retry.

        `password_provider` is called on the caller's thread (it may need the GUI's vault), and only when a message
        is due and the server needs a login; the database and SMTP work run in a worker thread. Raises
        MailSettingsError (or what the provider raises) when a message is due but the settings cannot send it.
        """
        if not _sent_from(settings, await asyncio.to_thread(self.due, now)):
            return []
        check_settings(settings)  # "no server set" is the more useful news than "no password stored"
        password = password_provider() if settings.username else None
        return await asyncio.to_thread(self.send_due, settings, lambda: password, now)

    def _attempt(
        self,
        entry_id: int,
        settings: MailSettings,
        password: str | None,
        now: datetime | None,
        *,
        force: bool,
        held_too: bool = False,
    ) -> tuple[SendOutcome | None, bool]:
        """One delivery; (None, False) when the message is no longer there to send (sent, deleted, or being sent)."""
        with self._claimed(entry_id) as mine:
            if not mine:
                return None, False
            claim = self._claim(entry_id, now or self._clock(), force=force, held_too=held_too)
            if claim is None:
                return None, False
            try:
                delivery = self._transport(settings, password, claim.raw, claim.sender, claim.recipients)
            except MailError as error:
                return self._failed(claim, error, now or self._clock())
            except Exception as error:  # a bug must neither lose the message nor leave it "sending" for ever
                log.exception("Unexpected failure sending outbox message %s", claim.id)
                unexpected = MessageRefused(
                    _("Sending failed unexpectedly ({kind}); see the log file.").format(kind=type(error).__name__)
                )
                return self._failed(claim, unexpected, now or self._clock())
            return self._sent(claim, delivery, now or self._clock()), False

    def _claim(self, entry_id: int, now: datetime, *, force: bool, held_too: bool) -> _Claim | None:
        """Commits "sending" and one more attempt before any byte leaves: a crash then cannot hide the attempt."""
        states = {OutboxState.QUEUED.value, OutboxState.SENDING.value}
        if held_too:
            states.add(OutboxState.HELD.value)
        with self._database.writing() as session:
            row = session.get(OutboxMessage, entry_id, with_for_update=True)
            if row is None or row.state not in states or not (force or _is_due(row, now)):
                return None  # changed since it was listed: sent or deleted by someone else, or put back
            row.state = OutboxState.SENDING.value
            row.attempts += 1
            row.last_attempt_at = now
            return _Claim(row.id, row.raw, row.sender, list(row.recipients), row.subject)

    def _sent(self, claim: _Claim, delivery: Delivery, now: datetime) -> SendOutcome:
        with self._database.writing() as session:
            row = session.get(OutboxMessage, claim.id)
            if row is None:  # deleted by hand while it was on its way: the customer has it, nothing to record it on
                return SendOutcome(
                    claim.id, claim.subject, claim.recipients, OutboxState.SENT, refused=delivery.refused
                )
            row.state, row.sent_at, row.next_attempt_at = OutboxState.SENT.value, now, None
            row.last_error = _refused_note(delivery.refused)
            event = _mail_sent_event(session, row, delivery, now)
            row.timeline_event_id = event.id if event is not None else None
        log.info("Sent outbox message %s (%s) to %s", claim.id, row.message_id, ", ".join(claim.recipients))
        return SendOutcome(
            claim.id, claim.subject, claim.recipients, OutboxState.SENT, row.last_error, refused=delivery.refused
        )

    def _failed(self, claim: _Claim, error: MailError, now: datetime) -> tuple[SendOutcome, bool]:
        temporary = isinstance(error, SendError) and error.temporary
        # A settings problem found only now (e.g. the CA file vanished) is the server's too: stop the batch.
        about_server = error.about_server if isinstance(error, SendError) else True
        with self._database.writing() as session:
            row = session.get(OutboxMessage, claim.id)
            if row is None:
                return SendOutcome(claim.id, claim.subject, claim.recipients, OutboxState.QUEUED, str(error)), False
            row.last_error = str(error)
            if temporary:
                row.state, row.next_attempt_at = OutboxState.QUEUED.value, now + backoff(row.attempts)
            else:
                row.state, row.next_attempt_at = OutboxState.HELD.value, None
            state, next_attempt = OutboxState(row.state), row.next_attempt_at
        log.warning("Outbox message %s not sent (%s): %s", claim.id, state.value, error)
        return SendOutcome(
            claim.id, claim.subject, claim.recipients, state, str(error), True, next_attempt
        ), about_server

    @contextmanager
    def _claimed(self, entry_id: int) -> Iterator[bool]:
        """Marks the message as handled by this process; yields False when it already is."""
        key = (self._database.display_name, entry_id)
        with _in_flight_lock:
            mine = key not in _in_flight
            _in_flight.add(key)
        try:
            yield mine
        finally:
            if mine:
                with _in_flight_lock:
                    _in_flight.discard(key)


def _sent_from(settings: MailSettings, entries: list[OutboxEntry]) -> list[OutboxEntry]:
    """The messages these settings may send: those From their own address. On a team's shared database the outbox
    holds every engineer's mail; sent through another's server and login, it would be refused or look forged."""
    own = settings.from_address.strip().lower()
    return [entry for entry in entries if entry.sender.lower() == own]


def _is_due(row: OutboxMessage, now: datetime) -> bool:
    if row.state == OutboxState.SENDING.value:
        return row.last_attempt_at is None or row.last_attempt_at <= now - SENDING_LOOKS_INTERRUPTED_AFTER
    return row.next_attempt_at is None or row.next_attempt_at <= now


def _mail_sent_event(session: Session, row: OutboxMessage, delivery: Delivery, now: datetime) -> TimelineEvent | None:
    """The entry on the ticket's timeline saying who received what, added in the transaction that marks it sent."""
    if row.ticket_id is None or session.get(Ticket, row.ticket_id) is None:
        return None
    report = session.get(Report, row.report_id) if row.report_id is not None else None
    delivered = [address for address in row.recipients if address not in delivery.refused]
    recipients = ", ".join(delivered)
    if report is not None:
        summary = _("Report {number} e-mailed to {recipients}").format(number=report.number, recipients=recipients)
    else:
        summary = _("E-mail sent to {recipients}: {subject}").format(recipients=recipients, subject=row.subject)
    # The sender's own entry when the From address is an engineer's; a shared company address has none.
    author_id = session.scalar(select(Engineer.id).where(func.lower(Engineer.email) == row.sender.lower()))
    event = TimelineEvent(
        ticket_id=row.ticket_id,
        intervention_id=report.intervention_id if report is not None else None,
        created_at=now,
        kind="mail_sent",
        author_id=author_id,
        summary=summary[:500],
        body=_refused_note(delivery.refused),
        data={
            "outbox_id": row.id,
            "message_id": row.message_id,
            "report_id": row.report_id,
            "report_number": report.number if report is not None else None,
            "report_revision": report.revision if report is not None else None,
            "recipients": delivered,
            "refused": delivery.refused,
            "subject": row.subject,
        },
    )
    session.add(event)
    session.flush()
    return event


def _refused_note(refused: dict[str, str]) -> str:
    if not refused:
        return ""
    details = "; ".join(f"{address} ({reply})" for address, reply in refused.items())
    return _("Delivered to the others; the server refused: {details}").format(details=details)


def _not_attempted(entry: OutboxEntry, failure: str) -> SendOutcome:
    return SendOutcome(
        entry.id,
        entry.subject,
        entry.recipients,
        entry.state,
        _("Not attempted, the server failed on the previous message: {error}").format(error=failure),
        attempted=False,
        next_attempt_at=entry.next_attempt_at,
    )


def _unique(addresses: Any) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.lower(), address)
    return list(seen.values())


def _not_found(entry_id: int) -> MessageNotFound:
    return MessageNotFound(_("The outbox has no message {id}.").format(id=entry_id))
