"""Business time for SLAs: when a support contract's clock runs, and deadlines counted in business minutes.

An instant is business time when the calendar is 24/7, or when, read on the wall clock of the calendar's time zone,
it falls on a working day that is not a public holiday, between the opening and the closing time. Everything is
defined on the UTC -> local conversion, which is always unambiguous: on the spring-forward day a day whose opening
time does not exist opens at the first local time after it, and on the fall-back day both passes through the
repeated hour count when they are within the business hours.

Computations walk the open intervals of each day in UTC, never minute by minute, and results are aware UTC datetimes
(what the database stores). Pure Python: the SLA code runs in the core, without Qt or the database.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from supportstation.i18n import _

_MINUTE = timedelta(minutes=1)
# Offsets are checked once per UTC day: no time zone changes its offset twice within a day.
_STEP = timedelta(days=1)
# A calendar without any open time this long after the start is broken (holidays everywhere): fail instead of hanging.
_NEVER_OPEN_HORIZON = timedelta(days=3 * 366)


class CalendarError(ValueError):
    """A business calendar or a computation on it that cannot work: the message says what is wrong."""


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours of a support contract, in the local time of the site it covers."""

    time_zone: str = "Europe/Paris"
    # Monday=0 … Sunday=6, in the calendar's local time.
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    opens: time = time(8, 0)
    # Strictly after opens: overnight shifts are not supported.
    closes: time = time(18, 0)
    # Public holidays of this country (and subdivision, e.g. "57" for Moselle) are closed all day; None for none.
    holiday_country: str | None = "FR"
    holiday_subdivision: str | None = None
    # 24/7 contracts: every instant is business time, holidays included.
    always_open: bool = False

    def __post_init__(self) -> None:
        # Accept any iterable of days (a set read from settings), but keep the calendar hashable.
        object.__setattr__(self, "working_days", frozenset(self.working_days))
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise CalendarError(_("Unknown time zone: {zone}.").format(zone=self.time_zone)) from error
        for day in sorted(self.working_days, key=repr):
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise CalendarError(
                    _("Working days are numbers from 0 (Monday) to 6 (Sunday), not {day}.").format(day=day)
                )
        if not self.working_days and not self.always_open:
            raise CalendarError(_("A business calendar needs at least one working day."))
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise CalendarError(_("Opening and closing times are local wall-clock times, without a time zone."))
        if self.opens >= self.closes:
            raise CalendarError(
                _("Business hours must close after they open (opens at {opens}, closes at {closes}).").format(
                    opens=self.opens.isoformat("minutes"), closes=self.closes.isoformat("minutes")
                )
            )
        if self.holiday_subdivision is not None and self.holiday_country is None:
            raise CalendarError(
                _("The holiday subdivision {subdivision} needs a holiday country.").format(
                    subdivision=self.holiday_subdivision
                )
            )

    @property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo keeps its instances: this is a dictionary look-up

    def _works_on(self, day: date) -> bool:
        """Whether the local date has business hours at all (a working day and no public holiday)."""
        if day.weekday() not in self.working_days:
            return False
        if self.holiday_country is None:
            return True
        return day not in _holiday_dates(self.holiday_country, self.holiday_subdivision, day.year)

    def is_open(self, instant: datetime) -> bool:
        """Whether the instant (aware, in any zone) is business time."""
        moment = _as_utc(instant)
        if self.always_open:
            return True
        local = moment.astimezone(self._zone)
        return self.opens <= local.time() < self.closes and self._works_on(local.date())


def add_business_minutes(calendar: BusinessCalendar, start: datetime, minutes: int) -> datetime:
    """The earliest instant by which `minutes` of business time have elapsed since start, in UTC.

    A deadline that falls exactly at closing time is the closing instant, not the next opening.
    """
    moment = _as_utc(start)
    if minutes < 0:
        raise CalendarError(_("Business minutes cannot be negative: {minutes}.").format(minutes=minutes))
    remaining = minutes * _MINUTE
    if not remaining or calendar.always_open:
        return moment + remaining
    for opening, closing in _open_intervals(calendar, moment, None):
        if closing - opening >= remaining:
            return opening + remaining
        remaining -= closing - opening
    raise AssertionError("unreachable: the walk without an end only stops by raising")


def add_business_minutes_many(calendar: BusinessCalendar, start: datetime, minutes: Sequence[int]) -> list[datetime]:
    """`add_business_minutes` for several amounts from one start, in one walk (an SLA needs four per ticket)."""
    moment = _as_utc(start)
    if any(amount < 0 for amount in minutes):
        raise CalendarError(_("Business minutes cannot be negative: {minutes}.").format(minutes=min(minutes)))
    results: dict[int, datetime] = {}
    pending = sorted({amount for amount in minutes if amount and not calendar.always_open})
    for amount in minutes:
        if not amount or calendar.always_open:
            results[amount] = moment + amount * _MINUTE
    if pending:
        elapsed = timedelta()
        for opening, closing in _open_intervals(calendar, moment, None):
            span = closing - opening
            while pending and elapsed + span >= pending[0] * _MINUTE:
                results[pending[0]] = opening + (pending[0] * _MINUTE - elapsed)
                pending.pop(0)
            if not pending:
                break
            elapsed += span
    return [results[amount] for amount in minutes]


def business_minutes_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Business minutes (real elapsed time, seconds kept as a fraction) in [start, end); 0 when end <= start."""
    begin, finish = _as_utc(start), _as_utc(end)
    if finish <= begin:
        return 0.0
    if calendar.always_open:
        return (finish - begin) / _MINUTE
    # Summing timedeltas stays exact to the microsecond; only the final division rounds.
    total = sum((closing - opening for opening, closing in _open_intervals(calendar, begin, finish)), timedelta())
    return total / _MINUTE


def next_opening(calendar: BusinessCalendar, instant: datetime) -> datetime:
    """The first business instant at or after the given one (the instant itself when open), in UTC."""
    moment = _as_utc(instant)
    if calendar.always_open:
        return moment
    for opening, _closing in _open_intervals(calendar, moment, None):
        return opening
    raise AssertionError("unreachable: the walk without an end only stops by raising")


def _as_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise CalendarError(
            _("{moment} has no time zone: business time needs an aware date and time.").format(
                moment=instant.isoformat(sep=" ")
            )
        )
    return instant.astimezone(UTC)


@functools.lru_cache(maxsize=256)
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays  # here, not at the top: importing it costs start-up time, and only SLA computations need it

    try:
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError as error:  # how the holidays library says it has no such country or subdivision
        raise CalendarError(
            _("No public holidays are known for country {country}, subdivision {subdivision}.").format(
                country=country, subdivision=subdivision or "-"
            )
        ) from error
    return frozenset(calendar)


def _utc_offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    offset = moment.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return offset


def _offset_change(zone: ZoneInfo, after: datetime, before: datetime, offset: timedelta) -> datetime:
    """The first instant in (after, before] whose offset is no longer `offset`, which it is at `after`."""
    low, high = after, before
    # Bisection to the microsecond: about 37 look-ups, done only on the days the clocks change.
    while high - low > timedelta(microseconds=1):
        middle = low + (high - low) / 2
        if _utc_offset(zone, middle) == offset:
            low = middle
        else:
            high = middle
    return high


def _open_intervals(
    calendar: BusinessCalendar, start: datetime, end: datetime | None
) -> Iterator[tuple[datetime, datetime]]:
    """The business intervals [opening, closing) within [start, end) (no end: forever), in order, in UTC.

    The walk goes through UTC spans of at most a day during which the offset does not change, so that the wall clock
    is the UTC time plus a constant there and each local day's hours map back to UTC exactly, even on the days the
    clocks change. An interval crossing a span boundary comes out as two adjacent pieces.
    """
    zone = calendar._zone
    cursor = start
    last_open = start
    while end is None or cursor < end:
        offset = _utc_offset(zone, cursor)
        span_end = cursor + _STEP
        if _utc_offset(zone, span_end) != offset:
            span_end = _offset_change(zone, cursor, span_end, offset)
        if end is not None:
            span_end = min(span_end, end)
        wall_from = (cursor + offset).replace(tzinfo=None)
        wall_to = (span_end + offset).replace(tzinfo=None)
        day = wall_from.date()
        # The previous day's hours end before midnight, so they cannot reach into this span.
        while (wall_opening := datetime.combine(day, calendar.opens)) < wall_to:
            if calendar._works_on(day):
                low = max(wall_opening, wall_from)
                high = min(datetime.combine(day, calendar.closes), wall_to)
                if low < high:
                    yield (low - offset).replace(tzinfo=UTC), (high - offset).replace(tzinfo=UTC)
                    last_open = span_end
            day += timedelta(days=1)
        cursor = span_end
        if end is None and cursor - last_open > _NEVER_OPEN_HORIZON:
            raise CalendarError(
                _("The business calendar never opens in the three years after {moment}.").format(
                    moment=last_open.isoformat(sep=" ", timespec="minutes")
                )
            )
