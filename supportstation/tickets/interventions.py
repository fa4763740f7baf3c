"""Interventions: start, pause, resume and end; the time they capture; time entries and parts used.

While an intervention runs, an automatic time entry is open; pausing or ending closes it. Entries can be added and
edited afterwards; every edit is recorded on the timeline with what it changed, by whom.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.storage.enums import TicketStatus
from supportstation.storage.models import Engineer, Intervention, PartUsed, Ticket, TimeEntry, TimelineEvent
from supportstation.tickets import workflow
from supportstation.tickets.intervention_types import CATEGORIES, EntryChange, InterventionState, category_label

__all__ = ["CATEGORIES", "EntryChange", "InterventionState", "category_label"]


class InterventionError(ValueError):
    """An intervention action that does not fit the intervention's state; the message says why."""


def _open_entry(intervention: Intervention) -> TimeEntry | None:
    return next((e for e in intervention.time_entries if e.automatic and e.ended_at is None), None)


def state_of(intervention: Intervention) -> InterventionState:
    if intervention.ended_at is not None:
        return InterventionState.ENDED
    return InterventionState.RUNNING if _open_entry(intervention) else InterventionState.PAUSED


def _minutes(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds() / 60))


def _record(
    ticket: Ticket,
    intervention: Intervention,
    kind: str,
    summary: str,
    author: Engineer | None,
    now: datetime,
    data: dict | None = None,
    body: str = "",
) -> TimelineEvent:
    event = TimelineEvent(
        created_at=now,
        kind=kind,
        author=author,
        summary=summary,
        body=body,
        data=data or {},
        intervention_id=intervention.id,
    )
    ticket.timeline.append(event)
    return event


def running_for(session: Session, engineer: Engineer | None) -> Intervention | None:
    """The intervention this engineer has not ended yet, if any (one at a time)."""
    query = select(Intervention).where(Intervention.ended_at.is_(None))
    if engineer is not None:
        query = query.where(Intervention.engineer_id == engineer.id)
    return session.scalars(query.order_by(Intervention.started_at.desc())).first()


def start(
    session: Session, ticket: Ticket, *, engineer: Engineer | None, on_site: bool = True, now: datetime | None = None
) -> Intervention:
    now = now or utc_now()
    current = running_for(session, engineer)
    if current is not None:
        raise InterventionError(
            _("An intervention is already open on {reference}: end it before starting another.").format(
                reference=current.ticket.reference
            )
        )
    if ticket.status in workflow.FINISHED:
        raise InterventionError(_("The ticket is resolved or closed: reopen it before starting an intervention."))
    if ticket.status in (
        TicketStatus.NEW,
        TicketStatus.ASSIGNED,
        TicketStatus.WAITING_CUSTOMER,
        TicketStatus.WAITING_THIRD_PARTY,
    ):
        workflow.change_status(session, ticket, TicketStatus.IN_PROGRESS, author=engineer, now=now)
    intervention = Intervention(ticket=ticket, engineer=engineer, started_at=now, on_site=on_site)
    intervention.time_entries.append(
        TimeEntry(category="on_site" if on_site else "remote", started_at=now, automatic=True)
    )
    session.add(intervention)
    session.flush()
    _record(
        ticket,
        intervention,
        "intervention_started",
        _("Intervention started on site") if on_site else _("Remote intervention started"),
        engineer,
        now,
    )
    session.flush()
    return intervention


def pause(
    session: Session, intervention: Intervention, *, author: Engineer | None, now: datetime | None = None
) -> None:
    now = now or utc_now()
    entry = _open_entry(intervention)
    if intervention.ended_at is not None or entry is None:
        raise InterventionError(_("The intervention is not running."))
    entry.ended_at = now
    entry.minutes = _minutes(entry.started_at, now)
    _record(intervention.ticket, intervention, "intervention_paused", _("Intervention paused"), author, now)
    session.flush()


def resume(
    session: Session, intervention: Intervention, *, author: Engineer | None, now: datetime | None = None
) -> None:
    now = now or utc_now()
    if state_of(intervention) != InterventionState.PAUSED:
        raise InterventionError(_("Only a paused intervention can be resumed."))
    intervention.time_entries.append(
        TimeEntry(category="on_site" if intervention.on_site else "remote", started_at=now, automatic=True)
    )
    _record(intervention.ticket, intervention, "intervention_resumed", _("Intervention resumed"), author, now)
    session.flush()


def end(
    session: Session,
    intervention: Intervention,
    *,
    author: Engineer | None,
    summary: str = "",
    now: datetime | None = None,
) -> None:
    now = now or utc_now()
    if intervention.ended_at is not None:
        raise InterventionError(_("The intervention has already ended."))
    entry = _open_entry(intervention)
    if entry is not None:
        entry.ended_at = now
        entry.minutes = _minutes(entry.started_at, now)
    intervention.ended_at = now
    intervention.summary = summary.strip()
    total = sum(e.minutes for e in intervention.time_entries)
    _record(
        intervention.ticket,
        intervention,
        "intervention_ended",
        _("Intervention ended ({minutes} min recorded)").format(minutes=total),
        author,
        now,
        data={"minutes": total},
        body=summary.strip(),
    )
    session.flush()


def elapsed_minutes(intervention: Intervention, now: datetime | None = None) -> float:
    """Time captured so far, the open entry counted up to now (for the status bar's running clock)."""
    now = now or utc_now()
    total = 0.0
    for entry in intervention.time_entries:
        if entry.automatic and entry.ended_at is None:
            total += (now - entry.started_at).total_seconds() / 60
        else:
            total += entry.minutes
    return total


def add_time(
    session: Session,
    intervention: Intervention,
    category: str,
    minutes: int,
    *,
    author: Engineer | None,
    started_at: datetime | None = None,
    description: str = "",
    now: datetime | None = None,
) -> TimeEntry:
    now = now or utc_now()
    _check_entry(category, minutes)
    entry = TimeEntry(category=category, started_at=started_at or now, minutes=minutes, description=description)
    intervention.time_entries.append(entry)
    session.flush()
    _record(
        intervention.ticket,
        intervention,
        "time_added",
        _("{category}: {minutes} min added").format(category=category_label(category), minutes=minutes),
        author,
        now,
        data={"entry_id": entry.id, "category": category, "minutes": minutes},
        body=description,
    )
    session.flush()
    return entry


def _check_entry(category: str, minutes: int) -> None:
    if category not in CATEGORIES:
        raise InterventionError(_("Unknown time category '{category}'.").format(category=category))
    if not 0 <= minutes <= 24 * 60:
        raise InterventionError(
            _("A time entry lasts from 0 to 1,440 minutes (24 hours), not {minutes}.").format(minutes=minutes)
        )


def edit_time(
    session: Session, entry: TimeEntry, change: EntryChange, *, author: Engineer | None, now: datetime | None = None
) -> TimelineEvent | None:
    """Corrects an entry; the timeline keeps what it was before, who changed it and when."""
    now = now or utc_now()
    if entry.automatic and entry.ended_at is None:
        raise InterventionError(_("This time is still being captured: pause or end the intervention first."))
    _check_entry(change.category, change.minutes)
    before = EntryChange(entry.category, entry.minutes, entry.description)
    if before == change:
        return None
    entry.category, entry.minutes, entry.description = change.category, change.minutes, change.description
    event = _record(
        entry.intervention.ticket,
        entry.intervention,
        "time_edited",
        _("Time entry corrected: {before} → {after}").format(
            before=f"{category_label(before.category)} {before.minutes} min",
            after=f"{category_label(change.category)} {change.minutes} min",
        ),
        author,
        now,
        data={"entry_id": entry.id, "before": before.__dict__, "after": change.__dict__},
    )
    session.flush()
    return event


def add_part(
    session: Session,
    intervention: Intervention,
    name: str,
    quantity: float,
    *,
    author: Engineer | None,
    serial_number: str = "",
    notes: str = "",
    now: datetime | None = None,
) -> PartUsed:
    now = now or utc_now()
    if not name.strip():
        raise InterventionError(_("Name the part or consumable."))
    if quantity <= 0:
        raise InterventionError(_("The quantity must be more than zero."))
    part = PartUsed(name=name.strip(), quantity=quantity, serial_number=serial_number.strip(), notes=notes)
    intervention.parts.append(part)
    session.flush()
    label = f"{quantity:g} × {part.name}" + (f" (S/N {part.serial_number})" if part.serial_number else "")
    _record(
        intervention.ticket,
        intervention,
        "part_added",
        label,
        author,
        now,
        data={"part_id": part.id, "quantity": quantity, "serial_number": part.serial_number},
    )
    session.flush()
    return part


def totals_by_category(ticket: Ticket) -> dict[str, int]:
    totals: dict[str, int] = {}
    for intervention in ticket.interventions:
        for entry in intervention.time_entries:
            totals[entry.category] = totals.get(entry.category, 0) + entry.minutes
    return totals
