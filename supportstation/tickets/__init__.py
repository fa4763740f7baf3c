"""Tickets: the queue and its ordering, SLA, the status workflow, the timeline, time tracking, import and export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportstation.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class TicketNotFound(LookupError):
    """No ticket has that reference or id: mistyped, or deleted (by a colleague, in a shared database) since it
    was listed. (Here, not in details: commands that only record on a ticket need it without the workspace's reads.)"""


def ticket_id_by_reference(session: Session, reference: str) -> int | None:
    """The id of the ticket with that reference, matched as the engineer types it: case and spaces aside."""
    from sqlalchemy import func, select

    from supportstation.storage.models import Ticket

    return session.scalar(select(Ticket.id).where(func.lower(Ticket.reference) == reference.strip().lower()))


def no_such_ticket(reference: str) -> TicketNotFound:
    return TicketNotFound(_("No ticket has the reference {reference}.").format(reference=reference.strip()))
