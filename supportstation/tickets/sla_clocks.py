"""SLA states from stored instants: no database and no calendar needed, so the queue can tick cheaply."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import NamedTuple


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


class SlaClocks(NamedTuple):
    """The instants that decide a ticket's SLA state; enough to recompute it at any moment without the database.

    A named tuple rather than a frozen dataclass: the queue builds one per open ticket (100,000 in a team queue), and
    a frozen dataclass sets each field through object.__setattr__, several times slower than building a tuple. Equality
    stays the dataclass's: only between SlaClocks, on every field.
    """

    own_deadline: datetime | None
    own_warning_at: datetime | None
    resolve_deadline: datetime | None
    resolve_warning_at: datetime | None
    owned: bool
    paused: bool
    finished_at: datetime | None

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return tuple.__eq__(self, other)
        return False if isinstance(other, tuple) else NotImplemented  # a plain tuple would compare item by item

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = tuple.__hash__

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


def next_change(clocks: SlaClocks, now: datetime) -> datetime | None:
    """The next instant at which `clocks.state()` can change by time alone; None when only an action changes it."""
    return state_and_next_change(clocks, now)[1]


_ON_TRACK, _AT_RISK, _BREACHED, _PAUSED, _MET, _NONE = (
    SlaState.ON_TRACK, SlaState.AT_RISK, SlaState.BREACHED, SlaState.PAUSED, SlaState.MET, SlaState.NONE,
)  # fmt: skip


def state_and_next_change(clocks: SlaClocks, now: datetime) -> tuple[SlaState, datetime | None]:
    """`clocks.state(now)` and `next_change(clocks, now)` in one pass: the queue computes both for every ticket."""
    own, own_warning, resolve, resolve_warning, owned, paused, finished = clocks
    if finished is not None:
        return (_MET if resolve is None or finished <= resolve else _BREACHED), None
    if paused:
        return _PAUSED, None
    if owned or own is None:
        # Only the clock to resolve runs: most of a queue, so it is answered without the general loop below.
        if resolve is None:
            return _NONE, None
        if now >= resolve:
            return _BREACHED, None
        if resolve_warning is None:
            return _ON_TRACK, resolve
        if now >= resolve_warning:
            return _AT_RISK, resolve
        return _ON_TRACK, (resolve_warning if resolve_warning < resolve else resolve)
    worst, upcoming = 0, None  # 0 none, 1 on track, 2 at risk, 3 breached
    for deadline, warning in ((resolve, resolve_warning), (own, own_warning)):
        if deadline is None:
            continue
        if now >= deadline:
            worst = 3
            continue
        upcoming = deadline if upcoming is None or deadline < upcoming else upcoming
        if warning is not None and now >= warning:
            worst = max(worst, 2)
        else:
            worst = max(worst, 1)
            if warning is not None and (upcoming is None or warning < upcoming):
                upcoming = warning
    return (_NONE, _ON_TRACK, _AT_RISK, _BREACHED)[worst], upcoming
