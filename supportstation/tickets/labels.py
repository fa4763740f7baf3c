"""The words users see for ticket states and deadlines, in the language in effect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from supportstation.i18n import N_, _, ngettext
from supportstation.storage.enums import TicketStatus
from supportstation.tickets.sla_clocks import SlaClocks, SlaState

_STATUS_WORDS = {
    TicketStatus.NEW: N_("New"),
    TicketStatus.ASSIGNED: N_("Assigned"),
    TicketStatus.IN_PROGRESS: N_("In progress"),
    TicketStatus.WAITING_CUSTOMER: N_("Waiting for customer"),
    TicketStatus.WAITING_THIRD_PARTY: N_("Waiting for third party"),
    TicketStatus.RESOLVED: N_("Resolved"),
    TicketStatus.CLOSED: N_("Closed"),
}


def status_label(status: TicketStatus, translate: Callable[[str], str] = _) -> str:
    """The state's name in the interface's language, or through `translate` (a report's catalog)."""
    return translate(_STATUS_WORDS[status])


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


def deadline_text(clocks: SlaClocks, now: datetime) -> str:
    """How far the deadline that matters is from now; for a finished ticket, how early or late it was finished (its
    deadline, long past or still ahead, says nothing any more)."""
    if clocks.finished_at is None or clocks.resolve_deadline is None:
        return due_text(clocks.next_deadline(), now)
    minutes = int((clocks.resolve_deadline - clocks.finished_at).total_seconds() // 60)
    if minutes >= 0:
        return _("{duration} early").format(duration=_duration(minutes))
    return _("{duration} late").format(duration=_duration(-minutes))


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


# Lines of an entry's body shown before "more": the window folds the rest behind a link, `tickets show` counts it.
COLLAPSED_LINES = 12


def kind_label(kind: str) -> str:
    labels = {
        "created": _("Created"),
        "note": _("Note"),
        "status": _("Status"),
        "assignment": _("Assignment"),
        "attachment": _("Attachment"),
        "intervention_started": _("Intervention"),
        "intervention_paused": _("Intervention"),
        "intervention_resumed": _("Intervention"),
        "intervention_ended": _("Intervention"),
        "time_added": _("Time"),
        "time_edited": _("Time"),
        "part_added": _("Part"),
        "command": _("Command"),
        "terminal_session": _("Terminal"),
        "file_transfer": _("File transfer"),
        "host_key": _("Host key"),
        "procedure_run": _("Procedure"),
        "procedure_step": _("Procedure step"),
        "email": _("E-mail"),
    }
    return labels.get(kind, kind)
