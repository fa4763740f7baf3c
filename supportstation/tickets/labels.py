"""The words users see for ticket states and deadlines, in the language in effect."""

from __future__ import annotations

from datetime import datetime

from supportstation.i18n import _, ngettext
from supportstation.storage.enums import TicketStatus
from supportstation.tickets.sla_clocks import SlaState


def status_label(status: TicketStatus) -> str:
    labels = {
        TicketStatus.NEW: _("New"),
        TicketStatus.ASSIGNED: _("Assigned"),
        TicketStatus.IN_PROGRESS: _("In progress"),
        TicketStatus.WAITING_CUSTOMER: _("Waiting for customer"),
        TicketStatus.WAITING_THIRD_PARTY: _("Waiting for third party"),
        TicketStatus.RESOLVED: _("Resolved"),
        TicketStatus.CLOSED: _("Closed"),
    }
    return labels[status]


def _duration(minutes: int) -> str:
    if minutes < 60:
        return ngettext("{n} min", "{n} min", minutes).format(n=minutes)
    hours = minutes // 60
    if hours < 48:
        return ngettext("{n} h", "{n} h", hours).format(n=hours) + (
            f" {minutes % 60:02d}" if hours < 10 and minutes % 60 else ""
        )
    days = hours // 24
    return ngettext("{n} day", "{n} days", days).format(n=days)


def due_text(deadline: datetime | None, now: datetime) -> str:
    """'in 3 h 20', 'overdue by 2 days'…: how far the deadline is, from now."""
    if deadline is None:
        return _("no deadline")
    minutes = int((deadline - now).total_seconds() // 60)
    if minutes >= 0:
        return _("in {duration}").format(duration=_duration(minutes))
    return _("overdue by {duration}").format(duration=_duration(-minutes))


def sla_label(state: SlaState) -> str:
    labels = {
        SlaState.ON_TRACK: _("On track"),
        SlaState.AT_RISK: _("At risk"),
        SlaState.BREACHED: _("Breached"),
        SlaState.PAUSED: _("Paused (waiting for customer)"),
        SlaState.MET: _("Met"),
        SlaState.NONE: _("No SLA"),
    }
    return labels[state]
