"""Business time: checked against a minute-by-minute oracle written from the definition, and on hand-worked dates.

The oracle does not call the module: it converts each UTC minute to the calendar's zone and applies the definition
literally. Inputs and opening hours are whole minutes and so are the offsets of the zones used, so business time is
constant over each UTC minute and counting minutes gives exact answers.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Container
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import ClassVar
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportstation.tickets import business_time
from supportstation.tickets.business_time import (
    BusinessCalendar,
    CalendarError,
    add_business_minutes,
    business_minutes_between,
    next_opening,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
MINUTE = timedelta(minutes=1)
YEARS = range(2024, 2028)
# How far the oracle walks: enough for most draws, bounded so that the file runs in seconds.
ORACLE_BUDGET = 12 * 24 * 60


# The oracle


def later(instant: datetime, elapsed: timedelta) -> datetime:
    """The instant `elapsed` real time later, in the same zone.

    Not `instant + elapsed`: Python adds to an aware datetime on its wall clock, which is an hour off across a clock
    change in a zone such as Europe/Paris. Compare the results in UTC: a datetime in the second pass through a
    repeated hour (fold=1) never compares equal to one in another zone (PEP 495).
    """
    return (instant.astimezone(UTC) + elapsed).astimezone(instant.tzinfo)


class Oracle:
    """The definition of business time, applied literally to one instant at a time."""

    _holiday_sets: ClassVar[dict[tuple[str, str | None], holidays.HolidayBase]] = {}

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.time_zone)
        self.closed_dates: dict[date, bool] = {}  # memo only: the holidays library is slow to ask minute by minute

    def is_holiday(self, day: date) -> bool:
        country = self.calendar.holiday_country
        if country is None:
            return False
        if day not in self.closed_dates:
            key = (country, self.calendar.holiday_subdivision)
            if key not in self._holiday_sets:
                self._holiday_sets[key] = holidays.country_holidays(country, subdiv=key[1])
            self.closed_dates[day] = day in self._holiday_sets[key]
        return self.closed_dates[day]

    def is_open(self, instant: datetime) -> bool:
        calendar = self.calendar
        if calendar.always_open:
            return True
        local = instant.astimezone(self.zone)
        return (
            local.weekday() in calendar.working_days
            and not self.is_holiday(local.date())
            and calendar.opens <= local.time() < calendar.closes
        )

    def count(self, start: datetime, minutes: int) -> int:
        """Business minutes among the `minutes` whole minutes from start."""
        return sum(self.is_open(later(start, step * MINUTE)) for step in range(minutes))

    def add(self, start: datetime, minutes: int) -> tuple[datetime | None, int]:
        """The end of the minutes-th business minute from start, or None and the count when the budget runs out."""
        counted = 0
        for step in range(ORACLE_BUDGET):
            if self.is_open(later(start, step * MINUTE)):
                counted += 1
                if counted == minutes:
                    return later(start, (step + 1) * MINUTE).astimezone(UTC), counted
        return None, counted

    def next_opening(self, start: datetime) -> datetime | None:
        """The first business minute from start, in UTC, or None when the budget runs out."""
        for step in range(ORACLE_BUDGET):
            if self.is_open(later(start, step * MINUTE)):
                return later(start, step * MINUTE).astimezone(UTC)
        return None


# Strategies


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def special_days() -> list[date]:
    """The days where calendars go wrong: clock changes (Paris and New York) and French public holidays."""
    days: set[date] = set()
    for year in YEARS:
        days |= {last_sunday(year, 3), last_sunday(year, 10), nth_sunday(year, 3, 2), nth_sunday(year, 11, 1)}
        days |= set(holidays.country_holidays("FR", subdiv="57", years=year))
    return sorted(days)


SPECIAL_DAYS = special_days()
PARIS_CLOCK_CHANGES = [day for year in YEARS for day in (last_sunday(year, 3), last_sunday(year, 10))]
FIRST_SATURDAY = date(2024, 1, 6)
INPUT_ZONES = (UTC, PARIS, NEW_YORK, KOLKATA, timezone(timedelta(hours=-3)))


@st.composite
def starts(draw: st.DrawFn) -> datetime:
    """Whole-minute instants in 2024–2027, mostly around clock changes, holidays and weekends, in any zone."""
    kind = draw(st.sampled_from(("clock change", "special", "special", "weekend", "anywhere")))
    if kind == "clock change":
        base = datetime.combine(draw(st.sampled_from(PARIS_CLOCK_CHANGES)), time(), UTC)
        minute = draw(st.integers(-30 * 60, 30 * 60))
    elif kind == "special":
        base = datetime.combine(draw(st.sampled_from(SPECIAL_DAYS)), time(), UTC)
        minute = draw(st.integers(-36 * 60, 36 * 60))
    elif kind == "weekend":
        base = datetime.combine(FIRST_SATURDAY + timedelta(weeks=draw(st.integers(0, 207))), time(), UTC)
        minute = draw(st.integers(-12 * 60, 60 * 60))
    else:
        base = datetime(2024, 1, 1, tzinfo=UTC)
        minute = draw(st.integers(0, 4 * 365 * 24 * 60))
    return (base + minute * MINUTE).astimezone(draw(st.sampled_from(INPUT_ZONES)))


# Minutes of the day: any, on the quarter hour, or inside 01:00–03:00 (the skipped and repeated hours).
MINUTES_OF_DAY = st.one_of(
    st.integers(0, 1439), st.integers(0, 95).map(lambda quarter: quarter * 15), st.integers(60, 180)
)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    first, second = draw(MINUTES_OF_DAY), draw(MINUTES_OF_DAY)
    if first == second:
        second = first + 1 if first < 1439 else first - 1
    opens, closes = (time(minute // 60, minute % 60) for minute in sorted((first, second)))
    country, subdivision = draw(st.sampled_from((("FR", None), ("FR", None), ("FR", "57"), (None, None))))
    return BusinessCalendar(
        time_zone=draw(st.sampled_from(("Europe/Paris", "Europe/Paris", "America/New_York", "Asia/Kolkata"))),
        working_days=draw(st.one_of(st.just(frozenset(range(5))), st.frozensets(st.integers(0, 6), min_size=1))),
        opens=opens,
        closes=closes,
        holiday_country=country,
        holiday_subdivision=subdivision,
        always_open=draw(st.integers(0, 7)) == 0,
    )


# Properties against the oracle


@settings(max_examples=150, deadline=None)
@given(calendar=calendars(), start=starts(), minutes=st.integers(1, 3000))
def test_adding_business_minutes_matches_the_oracle(calendar: BusinessCalendar, start: datetime, minutes: int) -> None:
    result = add_business_minutes(calendar, start, minutes)
    assert result.tzinfo is UTC
    expected, counted = Oracle(calendar).add(start, minutes)
    if expected is not None:
        assert result == expected
    else:  # a sparse calendar: the oracle ran out of budget, so the deadline must lie beyond what it walked
        walked = later(start, ORACLE_BUDGET * MINUTE).astimezone(UTC)
        assert result > walked
        assert business_minutes_between(calendar, start, walked) == counted
    assert business_minutes_between(calendar, start, result) == minutes


@settings(max_examples=120, deadline=None)
@given(calendar=calendars(), start=starts(), span=st.integers(-60, 10 * 24 * 60))
def test_business_minutes_between_matches_the_oracle(calendar: BusinessCalendar, start: datetime, span: int) -> None:
    assert business_minutes_between(calendar, start, later(start, span * MINUTE)) == Oracle(calendar).count(start, span)


@settings(max_examples=120, deadline=None)
@given(calendar=calendars(), start=starts())
def test_next_opening_matches_the_oracle(calendar: BusinessCalendar, start: datetime) -> None:
    result = next_opening(calendar, start)
    assert result.tzinfo is UTC
    expected = Oracle(calendar).next_opening(start)
    if expected is not None:
        assert result == expected
    else:
        assert result > later(start, ORACLE_BUDGET * MINUTE).astimezone(UTC)
        assert calendar.is_open(result)


@settings(max_examples=400, deadline=None)
@given(calendar=calendars(), start=starts(), jitter=st.one_of(st.just(0), st.integers(0, 60_000_000 - 1)))
def test_is_open_matches_the_definition(calendar: BusinessCalendar, start: datetime, jitter: int) -> None:
    instant = later(start, timedelta(microseconds=jitter))  # anywhere in the minute, not only on its start
    assert calendar.is_open(instant) == Oracle(calendar).is_open(instant)


@settings(max_examples=100, deadline=None)
@given(
    calendar=calendars(),
    start=starts(),
    jitter=st.integers(0, 60_000_000 - 1),
    minutes=st.integers(0, 3000),
    share=st.integers(0, 1_000_000),
)
def test_sub_minute_instants_add_up(
    calendar: BusinessCalendar, start: datetime, jitter: int, minutes: int, share: int
) -> None:
    begin = later(start, timedelta(microseconds=jitter))
    deadline = add_business_minutes(calendar, begin, minutes)
    assert business_minutes_between(calendar, begin, deadline) == minutes
    # Any instant in between splits the business time in two parts that add up.
    middle = later(begin, (deadline - begin) * (share / 1_000_000))
    parts = business_minutes_between(calendar, begin, middle) + business_minutes_between(calendar, middle, deadline)
    assert parts == pytest.approx(minutes, abs=1e-6)


# Worked examples


def paris(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=PARIS)  # type: ignore[misc]


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)  # type: ignore[misc]


OFFICE = BusinessCalendar()  # Monday to Friday, 08:00–18:00 in Paris, French public holidays
ALWAYS = BusinessCalendar(always_open=True)
EVERY_DAY = BusinessCalendar(working_days=frozenset(range(7)))
SUNDAY = frozenset({6})


def test_friday_evening_plus_an_hour_is_monday_morning() -> None:
    assert add_business_minutes(OFFICE, paris(2026, 1, 16, 17, 30), 60) == utc(2026, 1, 19, 7, 30)


def test_a_deadline_at_closing_time_is_the_closing_instant() -> None:
    assert add_business_minutes(OFFICE, paris(2026, 1, 16, 17, 0), 60) == utc(2026, 1, 16, 17, 0)


def test_zero_minutes_is_the_start_itself_in_utc() -> None:
    result = add_business_minutes(OFFICE, paris(2026, 1, 17, 3, 0), 0)
    assert result == paris(2026, 1, 17, 3, 0)
    assert result.tzinfo is UTC


def test_easter_monday_is_closed() -> None:
    # Friday 3 April 2026 17:00 (CEST): one hour on Friday, Easter Monday closed, one hour on Tuesday.
    assert add_business_minutes(OFFICE, paris(2026, 4, 3, 17, 0), 120) == utc(2026, 4, 7, 7, 0)
    assert business_minutes_between(OFFICE, paris(2026, 4, 6, 0, 0), paris(2026, 4, 7, 0, 0)) == 0


def test_alsace_moselle_closes_on_good_friday_and_saint_stephens_day() -> None:
    moselle = BusinessCalendar(working_days=frozenset(range(6)), holiday_subdivision="57")
    national = BusinessCalendar(working_days=frozenset(range(6)))
    saint_stephen = (paris(2026, 12, 26, 0, 0), paris(2026, 12, 27, 0, 0))  # a Saturday, a working day here
    assert business_minutes_between(national, *saint_stephen) == 600
    assert business_minutes_between(moselle, *saint_stephen) == 0
    assert not moselle.is_open(paris(2026, 12, 26, 10, 0))
    # Thursday 24 December 17:00: one hour, then Christmas and Saint Stephen's Day, Sunday, Monday 08:00–09:00.
    assert add_business_minutes(moselle, paris(2026, 12, 24, 17, 0), 120) == utc(2026, 12, 28, 8, 0)
    assert add_business_minutes(national, paris(2026, 12, 24, 17, 0), 120) == utc(2026, 12, 26, 8, 0)
    assert moselle.is_open(paris(2026, 4, 3, 10, 0)) is False
    assert national.is_open(paris(2026, 4, 3, 10, 0)) is True


def test_a_day_around_the_clock_has_23_and_25_hours_when_the_clocks_change() -> None:
    # Saturday 12:00 + 24 h of business time: Sunday 29 March 2026 has only 23 hours, so Sunday 13:00 local.
    assert add_business_minutes(ALWAYS, paris(2026, 3, 28, 12, 0), 24 * 60) == paris(2026, 3, 29, 13, 0)
    assert add_business_minutes(ALWAYS, paris(2026, 10, 24, 12, 0), 24 * 60) == paris(2026, 10, 25, 11, 0)
    assert business_minutes_between(ALWAYS, paris(2026, 3, 28, 0, 0), paris(2026, 3, 30, 0, 0)) == 47 * 60
    assert business_minutes_between(ALWAYS, paris(2026, 10, 24, 0, 0), paris(2026, 10, 26, 0, 0)) == 49 * 60
    # Holidays do not stop a 24/7 contract.
    assert ALWAYS.is_open(paris(2026, 12, 25, 3, 0))


def test_office_hours_keep_their_length_when_the_clocks_change() -> None:
    assert business_minutes_between(EVERY_DAY, paris(2026, 3, 29, 0, 0), paris(2026, 3, 30, 0, 0)) == 600
    assert business_minutes_between(EVERY_DAY, paris(2026, 10, 25, 0, 0), paris(2026, 10, 26, 0, 0)) == 600


def test_the_repeated_hour_counts_twice() -> None:
    whole_day = BusinessCalendar(working_days=SUNDAY, opens=time(0, 0), closes=time(23, 59))
    assert business_minutes_between(whole_day, utc(2026, 10, 24, 12, 0), utc(2026, 10, 26, 0, 0)) == 25 * 60 - 1
    assert business_minutes_between(whole_day, utc(2026, 3, 28, 12, 0), utc(2026, 3, 30, 0, 0)) == 23 * 60 - 1


def test_hours_opening_in_the_skipped_hour_open_at_three() -> None:
    night = BusinessCalendar(working_days=SUNDAY, opens=time(2, 30), closes=time(4, 0))
    assert next_opening(night, paris(2026, 3, 29, 0, 0)) == paris(2026, 3, 29, 3, 0) == utc(2026, 3, 29, 1, 0)
    assert business_minutes_between(night, paris(2026, 3, 29, 0, 0), paris(2026, 3, 30, 0, 0)) == 60
    assert business_minutes_between(night, paris(2026, 3, 22, 0, 0), paris(2026, 3, 23, 0, 0)) == 90


def test_hours_opening_in_the_repeated_hour_open_twice() -> None:
    # 25 October 2026, 02:30–05:00: 02:30–03:00 CEST (00:30–01:00 UTC), then 02:30–05:00 CET (01:30–04:00 UTC).
    night = BusinessCalendar(working_days=SUNDAY, opens=time(2, 30), closes=time(5, 0))
    assert business_minutes_between(night, utc(2026, 10, 25, 0, 0), utc(2026, 10, 26, 0, 0)) == 180
    assert night.is_open(utc(2026, 10, 25, 0, 45))
    assert not night.is_open(utc(2026, 10, 25, 1, 15))  # 02:15 CET, the second time round
    assert add_business_minutes(night, utc(2026, 10, 25, 0, 0), 45) == utc(2026, 10, 25, 1, 45)
    assert next_opening(night, utc(2026, 10, 25, 1, 0)) == utc(2026, 10, 25, 1, 30)


def test_instants_in_any_zone_give_utc_results() -> None:
    friday = paris(2026, 1, 16, 17, 30)
    assert add_business_minutes(OFFICE, friday.astimezone(NEW_YORK), 60) == utc(2026, 1, 19, 7, 30)
    assert OFFICE.is_open(datetime(2026, 1, 16, 11, 0, tzinfo=NEW_YORK))  # 17:00 in Paris
    assert not OFFICE.is_open(datetime(2026, 1, 16, 12, 0, tzinfo=NEW_YORK))  # 18:00 in Paris


def test_next_opening() -> None:
    assert next_opening(OFFICE, paris(2026, 1, 16, 9, 15)) == paris(2026, 1, 16, 9, 15)
    assert next_opening(OFFICE, paris(2026, 1, 17, 9, 15)) == utc(2026, 1, 19, 7, 0)
    assert next_opening(OFFICE, paris(2026, 1, 16, 18, 0)) == utc(2026, 1, 19, 7, 0)


def test_seconds_are_kept() -> None:
    start = datetime(2026, 1, 16, 17, 59, 30, tzinfo=PARIS)
    assert business_minutes_between(OFFICE, start, paris(2026, 1, 19, 8, 1)) == 1.5
    assert business_minutes_between(OFFICE, paris(2026, 1, 19, 9, 0), start) == 0


def test_a_long_deadline_is_consistent() -> None:
    start = paris(2026, 1, 16, 17, 30)
    deadline = add_business_minutes(OFFICE, start, 50_000)
    assert business_minutes_between(OFFICE, start, deadline) == 50_000
    assert OFFICE.is_open(deadline - timedelta(microseconds=1))


# Closed stretches, through a stand-in for the public holidays


class Everything(Container[date]):
    def __contains__(self, day: object) -> bool:
        return True


def test_a_calendar_that_never_opens_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(business_time, "_holiday_dates", lambda country, subdivision, year: Everything())
    with pytest.raises(CalendarError, match="never opens"):
        add_business_minutes(OFFICE, paris(2026, 1, 16, 9, 0), 60)
    with pytest.raises(CalendarError, match="never opens"):
        next_opening(OFFICE, paris(2026, 1, 16, 9, 0))
    # Over a bounded span there is simply no business time.
    assert business_minutes_between(OFFICE, paris(2026, 1, 1, 0, 0), paris(2031, 1, 1, 0, 0)) == 0


def test_sixty_closed_days_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    closed = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(60))
    monkeypatch.setattr(business_time, "_holiday_dates", lambda country, subdivision, year: closed)
    # Monday 2 March 2026 is the first day open after the sixty.
    assert add_business_minutes(OFFICE, paris(2025, 12, 31, 17, 30), 60) == utc(2026, 3, 2, 7, 30)
    assert next_opening(OFFICE, paris(2026, 1, 1, 0, 0)) == utc(2026, 3, 2, 7, 0)


# Errors


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone: Mars/Olympus_Mons"),
        ({"time_zone": "../etc/passwd"}, "Unknown time zone"),
        ({"opens": time(18, 0), "closes": time(8, 0)}, r"close after they open \(opens at 18:00, closes at 08:00\)"),
        ({"opens": time(9, 0), "closes": time(9, 0)}, "close after they open"),
        ({"working_days": frozenset()}, "at least one working day"),
        ({"working_days": frozenset({7})}, r"from 0 \(Monday\) to 6 \(Sunday\), not 7"),
        ({"opens": time(8, 0, tzinfo=UTC)}, "without a time zone"),
        ({"holiday_country": None, "holiday_subdivision": "57"}, "subdivision 57 needs a holiday country"),
    ],
)
def test_invalid_calendars_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar(**fields)  # type: ignore[arg-type]


def test_a_24_7_calendar_needs_no_working_days() -> None:
    assert BusinessCalendar(working_days=frozenset(), always_open=True).is_open(utc(2026, 1, 1, 3, 0))


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 1, 16, 9, 0)
    with pytest.raises(CalendarError, match="2026-01-16 09:00:00 has no time zone"):
        OFFICE.is_open(naive)
    with pytest.raises(CalendarError, match="has no time zone"):
        add_business_minutes(OFFICE, naive, 10)
    with pytest.raises(CalendarError, match="has no time zone"):
        business_minutes_between(OFFICE, utc(2026, 1, 16, 9, 0), naive)
    with pytest.raises(CalendarError, match="has no time zone"):
        next_opening(OFFICE, naive)


def test_negative_minutes_are_refused() -> None:
    with pytest.raises(CalendarError, match="cannot be negative: -5"):
        add_business_minutes(OFFICE, utc(2026, 1, 16, 9, 0), -5)


def test_unknown_holiday_countries_are_reported() -> None:
    calendar = BusinessCalendar(holiday_country="XX")
    with pytest.raises(CalendarError, match="No public holidays are known for country XX"):
        calendar.is_open(paris(2026, 1, 16, 9, 0))


def test_calendar_errors_are_value_errors() -> None:
    assert issubclass(CalendarError, ValueError)


def test_importing_the_module_loads_neither_holidays_nor_qt_nor_the_database() -> None:
    code = (
        "import sys, supportstation.tickets.business_time\n"
        "print(sorted(m for m in ('holidays', 'PySide6', 'sqlalchemy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@settings(max_examples=150, deadline=None)
@given(calendar=calendars(), start=starts(), amounts=st.lists(st.integers(0, 4000), min_size=1, max_size=5))
def test_adding_several_amounts_in_one_walk_agrees_with_adding_each(
    calendar: BusinessCalendar, start: datetime, amounts: list[int]
) -> None:
    from supportstation.tickets.business_time import add_business_minutes_many

    try:
        expected = [add_business_minutes(calendar, start, amount) for amount in amounts]
    except CalendarError:
        return  # a calendar that never opens: covered by its own test
    assert add_business_minutes_many(calendar, start, amounts) == expected
