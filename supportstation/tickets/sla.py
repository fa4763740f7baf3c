"""SLA clocks: time-to-own and time-to-resolve deadlines, their states, and the pause while the customer is awaited.

Targets come from the client's contract and the ticket's priority (`SlaPolicy`), counted in the client's business
hours (`business_time`). Deadlines and the instants at which they turn "at risk" are stored in UTC on the ticket,
so that deciding a state is a comparison of instants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportstation.storage.models import Client, SlaPolicy, Ticket
from supportstation.tickets.business_time import (
    BusinessCalendar,
    add_business_minutes,
    add_business_minutes_many,
    business_minutes_between,
)
from supportstation.tickets.sla_clocks import SlaClocks, SlaState, clock_state

__all__ = ["SlaClocks", "SlaState", "clock_state"]

DEFAULT_WARNING_FRACTION = 0.8
FALLBACK_CONTRACT = "standard"
# Used only when the database holds no policy at all for a priority (targets in business minutes).
BUILT_IN_TARGETS = {1: (60, 480), 2: (120, 960), 3: (240, 1800), 4: (480, 3000)}


@dataclass(frozen=True)
class Targets:
    own_minutes: int
    resolve_minutes: int
    round_the_clock: bool = False


def targets_for(session: Session, contract: str, priority: int) -> Targets:
    for name in (contract, FALLBACK_CONTRACT):
        policy = session.scalar(select(SlaPolicy).where(SlaPolicy.contract == name, SlaPolicy.priority == priority))
        if policy is not None:
            return Targets(policy.own_minutes, policy.resolve_minutes, policy.round_the_clock)
    own, resolve = BUILT_IN_TARGETS.get(priority, BUILT_IN_TARGETS[4])
    return Targets(own, resolve)


def calendar_for(client: Client, *, round_the_clock: bool = False) -> BusinessCalendar:
    return BusinessCalendar(
        time_zone=client.time_zone,
        working_days=frozenset(client.working_days or []),
        opens=time(client.opens_minute // 60, client.opens_minute % 60),
        closes=time(client.closes_minute // 60, client.closes_minute % 60),
        holiday_country=client.holiday_country or None,
        holiday_subdivision=client.holiday_subdivision or None,
        always_open=round_the_clock,
    )


def warning_instant(calendar: BusinessCalendar, start: datetime, deadline: datetime, fraction: float) -> datetime:
    """When `fraction` of the business time between start and deadline has gone by."""
    total = business_minutes_between(calendar, start, deadline)
    if total <= 0:
        return deadline
    return add_business_minutes(calendar, start, max(1, math.floor(total * fraction)))


@dataclass(frozen=True)
class Deadlines:
    own_deadline: datetime
    own_warning_at: datetime
    resolve_deadline: datetime
    resolve_warning_at: datetime


class DeadlinePlanner:
    """Computes deadlines for many tickets, looking each contract's targets and calendar up only once."""

    def __init__(self, session: Session, fraction: float = DEFAULT_WARNING_FRACTION):
        self.session = session
        self.fraction = fraction
        self._targets: dict[tuple[str, int], Targets] = {}
        self._calendars: dict[tuple[int, bool], BusinessCalendar] = {}

    def plan(
        self, client: Client, priority: int, start: datetime, resolve_deadline: datetime | None = None
    ) -> Deadlines:
        """Both clocks from `start`; a resolve deadline already agreed (an imported one, say) is kept."""
        key = (client.contract, priority)
        if key not in self._targets:
            self._targets[key] = targets_for(self.session, client.contract, priority)
        targets = self._targets[key]
        calendar_key = (client.id, targets.round_the_clock)
        if calendar_key not in self._calendars:
            self._calendars[calendar_key] = calendar_for(client, round_the_clock=targets.round_the_clock)
        calendar = self._calendars[calendar_key]
        if resolve_deadline is None:
            # One walk of the calendar gives both deadlines and both warnings: the business time of each clock
            # is its target, so no second measurement is needed.
            own_warning, own, resolve_warning, resolve = add_business_minutes_many(
                calendar, start, [
                    max(1, math.floor(targets.own_minutes * self.fraction)), targets.own_minutes,
                    max(1, math.floor(targets.resolve_minutes * self.fraction)), targets.resolve_minutes,
                ],
            )  # fmt: skip
            return Deadlines(own, own_warning, resolve, resolve_warning)
        own_warning, own = add_business_minutes_many(
            calendar, start, [max(1, math.floor(targets.own_minutes * self.fraction)), targets.own_minutes]
        )
        return Deadlines(
            own, own_warning, resolve_deadline, warning_instant(calendar, start, resolve_deadline, self.fraction)
        )


def set_deadlines(
    session: Session, ticket: Ticket, *, fraction: float = DEFAULT_WARNING_FRACTION, start: datetime | None = None
) -> None:
    """Computes both deadlines from the ticket's creation (or `start`) and its client's contract and calendar."""
    deadlines = DeadlinePlanner(session, fraction).plan(ticket.client, ticket.priority, start or ticket.created_at)
    ticket.own_deadline = deadlines.own_deadline
    ticket.resolve_deadline = deadlines.resolve_deadline
    ticket.own_warning_at = deadlines.own_warning_at
    ticket.resolve_warning_at = deadlines.resolve_warning_at


def pause(ticket: Ticket, now: datetime) -> None:
    """Stops the resolve clock while the customer is awaited."""
    if ticket.sla_paused_at is None:
        ticket.sla_paused_at = now


def resume(session: Session, ticket: Ticket, now: datetime) -> None:
    """Restarts the resolve clock: the business time left at the pause is counted again from now."""
    paused_at = ticket.sla_paused_at
    ticket.sla_paused_at = None
    if paused_at is None or ticket.resolve_deadline is None or ticket.resolve_deadline <= paused_at:
        return  # nothing to move, or already breached before the pause: a breach stays a breach
    targets = targets_for(session, ticket.client.contract, ticket.priority)
    calendar = calendar_for(ticket.client, round_the_clock=targets.round_the_clock)
    left = business_minutes_between(calendar, paused_at, ticket.resolve_deadline)
    warning_left = (
        business_minutes_between(calendar, paused_at, ticket.resolve_warning_at)
        if ticket.resolve_warning_at is not None
        else 0
    )
    ticket.resolve_deadline = add_business_minutes(calendar, now, math.ceil(left))
    ticket.resolve_warning_at = add_business_minutes(calendar, now, math.ceil(warning_left))


def clocks_of(ticket: Ticket) -> SlaClocks:
    return SlaClocks(
        own_deadline=ticket.own_deadline,
        own_warning_at=ticket.own_warning_at,
        resolve_deadline=ticket.resolve_deadline,
        resolve_warning_at=ticket.resolve_warning_at,
        owned=ticket.owned_at is not None,
        paused=ticket.sla_paused_at is not None,
        finished_at=ticket.resolved_at,
    )
