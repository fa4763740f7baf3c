"""The status workflow: new -> assigned -> in progress -> waiting -> resolved -> closed, with reopen.

Every change is checked here, refused with the reason when it does not fit, and recorded on the timeline.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.storage.enums import TicketStatus
from supportstation.storage.models import Engineer, Ticket, TimelineEvent
from supportstation.tickets import sla
from supportstation.tickets.labels import status_label

S = TicketStatus
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.ASSIGNED, S.IN_PROGRESS}),
    S.ASSIGNED: frozenset({S.NEW, S.IN_PROGRESS}),
    S.IN_PROGRESS: frozenset({S.WAITING_CUSTOMER, S.WAITING_THIRD_PARTY, S.RESOLVED}),
    S.WAITING_CUSTOMER: frozenset({S.IN_PROGRESS, S.WAITING_THIRD_PARTY, S.RESOLVED}),
    S.WAITING_THIRD_PARTY: frozenset({S.IN_PROGRESS, S.WAITING_CUSTOMER, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset({S.IN_PROGRESS}),
}
FINISHED = frozenset({S.RESOLVED, S.CLOSED})


class TransitionRefused(ValueError):
    """A status change that the workflow does not allow; the message says why and what is allowed."""


def allowed_next(current: TicketStatus) -> list[TicketStatus]:
    return [status for status in TicketStatus if status in TRANSITIONS[current]]


def check(current: TicketStatus, target: TicketStatus, comment: str = "") -> None:
    if target == current:
        raise TransitionRefused(_("The ticket is already {status}.").format(status=status_label(current)))
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(status_label(status) for status in allowed_next(current))
        raise TransitionRefused(
            _("A ticket cannot go from {current} to {target}. From {current} it can go to: {allowed}.").format(
                current=status_label(current), target=status_label(target), allowed=allowed
            )
        )
    if target == S.RESOLVED and not comment.strip():
        raise TransitionRefused(_("Resolving a ticket needs a resolution comment: say what was done."))


def change_status(
    session: Session,
    ticket: Ticket,
    target: TicketStatus,
    *,
    author: Engineer | None,
    comment: str = "",
    now: datetime | None = None,
) -> TimelineEvent:
    """Moves the ticket to `target`, keeps its SLA clocks right, and records the change on the timeline."""
    now = now or utc_now()
    current = ticket.status
    check(current, target, comment)
    reopened = current in FINISHED and target == S.IN_PROGRESS
    if current == S.NEW and ticket.owned_at is None:
        ticket.owned_at = now
    if target == S.WAITING_CUSTOMER:
        sla.pause(ticket, now)
    elif current == S.WAITING_CUSTOMER:
        sla.resume(session, ticket, now)
    if target == S.RESOLVED:
        ticket.resolved_at = now
        ticket.resolution = comment.strip()
    if reopened:
        ticket.resolved_at = None
    ticket.status = target
    ticket.updated_at = now
    summary = (
        _("Reopened")
        if reopened
        else _("{current} → {target}").format(current=status_label(current), target=status_label(target))
    )
    event = TimelineEvent(
        created_at=now,
        kind="status",
        author=author,
        summary=summary,
        body=comment.strip(),
        data={"from": current.value, "to": target.value, "reopened": reopened},
    )
    ticket.timeline.append(event)
    session.flush()
    return event


def assign(
    session: Session, ticket: Ticket, engineer: Engineer | None, *, author: Engineer | None, now: datetime | None = None
) -> TimelineEvent:
    """Gives the ticket to an engineer (or takes it back); a new ticket becomes assigned."""
    now = now or utc_now()
    previous = ticket.assignee
    ticket.assignee = engineer
    ticket.updated_at = now
    if engineer is not None and ticket.status == S.NEW:
        ticket.status = S.ASSIGNED
        ticket.owned_at = ticket.owned_at or now
    elif engineer is None and ticket.status == S.ASSIGNED:
        ticket.status = S.NEW  # nobody has it any more: it goes back to the pile of new tickets
    summary = _("Assigned to {name}").format(name=engineer.name) if engineer is not None else _("Assignment removed")
    event = TimelineEvent(
        created_at=now,
        kind="assignment",
        author=author,
        summary=summary,
        data={
            "from": previous.email if previous else None,
            "to": engineer.email if engineer else None,
        },
    )
    ticket.timeline.append(event)
    session.flush()
    return event
