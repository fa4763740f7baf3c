"""SLA states from stored instants: no database and no calendar needed, so the queue can tick cheaply."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class SlaState(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"
    NONE = "none"


def clock_state(now: datetime, deadline: datetime | None, warning_at: datetime | None) -> SlaState:
    if deadline is None:
        return SlaState.NONE
    if now >= deadline:
        return SlaState.BREACHED
    if warning_at is not None and now >= warning_at:
        return SlaState.AT_RISK
    return SlaState.ON_TRACK


SEVERITY = {SlaState.BREACHED: 3, SlaState.AT_RISK: 2, SlaState.ON_TRACK: 1, SlaState.PAUSED: 0}


@dataclass(frozen=True)
class SlaClocks:
    """The instants that decide a ticket's SLA state; enough to recompute it at any moment without the database."""

    own_deadline: datetime | None
    own_warning_at: datetime | None
    resolve_deadline: datetime | None
    resolve_warning_at: datetime | None
    owned: bool
    paused: bool
    finished_at: datetime | None

    def state(self, now: datetime) -> SlaState:
        if self.finished_at is not None:
            if self.resolve_deadline is None or self.finished_at <= self.resolve_deadline:
                return SlaState.MET
            return SlaState.BREACHED
        if self.paused:
            return SlaState.PAUSED
        states = [clock_state(now, self.resolve_deadline, self.resolve_warning_at)]
        if not self.owned:
            states.append(clock_state(now, self.own_deadline, self.own_warning_at))
        return max(states, key=lambda state: SEVERITY.get(state, -1))

    def next_deadline(self) -> datetime | None:
        """The deadline that matters now: to own the ticket, then to resolve it."""
        if not self.owned and self.own_deadline is not None:
            return min(self.own_deadline, self.resolve_deadline or self.own_deadline)
        return self.resolve_deadline
