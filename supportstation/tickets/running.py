"""The intervention the engineer at this laptop has running, for the status bar's clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from supportstation.clock import utc_now
from supportstation.settings import EngineerProfile

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class RunningIntervention:
    ticket_id: int
    reference: str
    running: bool
    # Minutes already closed, and the start of the entry still open (None when paused).
    closed_minutes: float
    open_since: datetime | None

    def elapsed_seconds(self, now: datetime | None = None) -> float:
        now = now or utc_now()
        open_part = (now - self.open_since).total_seconds() if self.open_since else 0.0
        return self.closed_minutes * 60 + open_part


def running_intervention(session: Session, profile: EngineerProfile) -> RunningIntervention | None:
    from sqlalchemy import func, select

    from supportstation.storage.models import Engineer
    from supportstation.tickets import interventions

    if not profile.is_complete:
        return None
    engineer = session.scalar(select(Engineer).where(func.lower(Engineer.email) == profile.email.strip().lower()))
    if engineer is None:
        return None
    intervention = interventions.running_for(session, engineer)
    if intervention is None:
        return None
    open_entry = next((e for e in intervention.time_entries if e.automatic and e.ended_at is None), None)
    closed = sum(e.minutes for e in intervention.time_entries if e is not open_entry)
    return RunningIntervention(
        ticket_id=intervention.ticket_id,
        reference=intervention.ticket.reference,
        running=open_entry is not None,
        closed_minutes=closed,
        open_since=open_entry.started_at if open_entry else None,
    )
