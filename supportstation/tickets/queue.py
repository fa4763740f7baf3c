"""The queue: the tickets still to handle, most urgent first (priority, then resolve deadline)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from supportstation.storage.enums import TicketStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_CUSTOMER,
    TicketStatus.WAITING_THIRD_PARTY,
)


@dataclass(frozen=True)
class QueueRow:
    """What a queue line shows, detached from the database session."""

    ticket_id: int
    reference: str
    title: str
    priority: int
    status: TicketStatus
    client: str
    site: str
    hosts: tuple[str, ...]
    assignee: str
    resolve_deadline: datetime | None


def urgency_key(row: QueueRow) -> tuple[int, datetime]:
    # Tickets without a deadline come after those with one, at the same priority.
    return (row.priority, row.resolve_deadline or datetime.max.replace(tzinfo=UTC))


def load_queue(session: Session, *, include_closed: bool = False) -> list[QueueRow]:
    # Imported here: the queue view needs QueueRow before SQLAlchemy has loaded (see app.py).
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from supportstation.storage.models import Ticket

    query = select(Ticket).options(
        selectinload(Ticket.client),
        selectinload(Ticket.site),
        selectinload(Ticket.hosts),
        selectinload(Ticket.assignee),
    )
    if not include_closed:
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    rows = [
        QueueRow(
            ticket_id=ticket.id,
            reference=ticket.reference,
            title=ticket.title,
            priority=ticket.priority,
            status=ticket.status,
            client=ticket.client.name,
            site=ticket.site.name if ticket.site else "",
            hosts=tuple(host.name for host in ticket.hosts),
            assignee=ticket.assignee.name if ticket.assignee else "",
            resolve_deadline=ticket.resolve_deadline,
        )
        for ticket in session.scalars(query)
    ]
    return sorted(rows, key=urgency_key)
