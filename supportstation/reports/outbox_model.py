"""The outbox's vocabulary: a message's states, how it is listed, what a send attempt gave, the back-off, the errors.

Plain objects, detached from the database session, so views and the command line can keep them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from supportstation.i18n import _
from supportstation.storage.report_models import OutboxMessage

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


class OutboxState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    HELD = "held"
    SENT = "sent"


def state_label(state: OutboxState) -> str:
    return {
        OutboxState.QUEUED: _("queued"),
        OutboxState.SENDING: _("sending"),
        OutboxState.HELD: _("held"),
        OutboxState.SENT: _("sent"),
    }[state]


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1 minute, then twice as long each time, at most 1 h."""
    doublings = min(max(attempts, 1) - 1, 16)  # 2**16 minutes is far past the cap already
    return min(FIRST_RETRY * 2**doublings, LONGEST_RETRY)


class OutboxError(Exception):
    """An outbox operation that cannot be done; the message says why."""


class MessageNotFound(OutboxError, LookupError):
    """No message in the outbox has this id."""


class MessageBusy(OutboxError):
    """This SupportStation is sending the message right now."""


@dataclass(frozen=True)
class OutboxEntry:
    """One message as lists and views show it, without its bytes."""

    id: int
    message_id: str
    state: OutboxState
    sender: str
    recipients: list[str]
    subject: str
    attempts: int
    last_error: str
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    ticket_id: int | None
    report_id: int | None

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "id": self.id,
            "message_id": self.message_id,
            "state": self.state.value,
            "sender": self.sender,
            "recipients": self.recipients,
            "subject": self.subject,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": iso(self.created_at),
            "last_attempt_at": iso(self.last_attempt_at),
            "next_attempt_at": iso(self.next_attempt_at),
            "sent_at": iso(self.sent_at),
            "ticket_id": self.ticket_id,
            "report_id": self.report_id,
        }


@dataclass(frozen=True)
class SendOutcome:
    """What became of one message in a flush."""

    id: int
    subject: str
    recipients: list[str]
    state: OutboxState  # after the attempt
    error: str = ""
    attempted: bool = True  # False: left alone because the server failed on an earlier message of the batch
    next_attempt_at: datetime | None = None
    refused: dict[str, str] = field(default_factory=dict)  # recipients refused while the others got it

    @property
    def sent(self) -> bool:
        return self.state is OutboxState.SENT


def entry_of(row: OutboxMessage) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        message_id=row.message_id,
        state=OutboxState(row.state),
        sender=row.sender,
        recipients=list(row.recipients or []),
        subject=row.subject,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        last_attempt_at=row.last_attempt_at,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        ticket_id=row.ticket_id,
        report_id=row.report_id,
    )
