"""The queue's index: SLA states kept current by a heap of change instants, filters, sort keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from supportstation.storage.enums import TicketStatus
from supportstation.tickets.queue import QueueFilter, QueueIndex, QueueRow, matching_indexes, search_text_of
from supportstation.tickets.sla_clocks import SlaClocks, next_change, state_and_next_change

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
offsets = st.none() | st.integers(-600, 600).map(lambda minutes: T0 + timedelta(minutes=minutes))


@st.composite
def clocks(draw: st.DrawFn) -> SlaClocks:
    return SlaClocks(
        own_deadline=draw(offsets),
        own_warning_at=draw(offsets),
        resolve_deadline=draw(offsets),
        resolve_warning_at=draw(offsets),
        owned=draw(st.booleans()),
        paused=draw(st.booleans()),
        finished_at=draw(st.none() | offsets),
    )


@settings(max_examples=500, deadline=None)
@given(clocks(), st.integers(-700, 700))
def test_the_state_cannot_change_before_the_next_change(clock: SlaClocks, minutes: int) -> None:
    now = T0 + timedelta(minutes=minutes)
    state, upcoming = state_and_next_change(clock, now)
    assert state == clock.state(now) and upcoming == next_change(clock, now)
    end = upcoming if upcoming is not None else T0 + timedelta(minutes=800)
    probe = now
    while probe < end:
        assert clock.state(probe) == state
        probe += timedelta(seconds=59)


def row(number: int, clock: SlaClocks, title: str = "Panne", client: str = "Mairie") -> QueueRow:
    return QueueRow(
        number, f"INC-{number}", title, 1 + number % 4, TicketStatus.NEW, client, "Site", ("srv-01",), "", "",
        "", clock, search_text_of(f"INC-{number}", title, client, "Site", ("srv-01",)),
    )  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.lists(clocks(), min_size=1, max_size=30), st.lists(st.integers(0, 200), min_size=1, max_size=6))
def test_advancing_the_clock_keeps_every_state_right(clock_list: list[SlaClocks], steps: list[int]) -> None:
    index = QueueIndex([row(n, c) for n, c in enumerate(clock_list)], T0)
    now = T0
    for step in sorted(steps):
        now = T0 + timedelta(minutes=step)
        before = list(index.states)
        changed = index.advance(now)
        expected = [c.clocks.state(now) for c in index.rows]
        assert index.states == expected
        assert sorted(changed) == [i for i in range(len(expected)) if before[i] != expected[i]]
        assert sum(index.counts.values()) == len(expected)
        assert all(index.counts[state] == expected.count(state) for state in set(expected))


def test_narrowing_and_full_filters_agree_with_the_one_shot_function() -> None:
    titles = ["Serveur arrêté", "Sauvegarde en échec", "Imprimante", "Serveur lent", "Écran noir"]
    clients = ("Mairie", "Cabinet médical")
    rows = [row(n, SlaClocks(None, None, T0, T0, True, False, None), titles[n % 5], clients[n % 2]) for n in range(50)]
    index = QueueIndex(rows, T0)
    for text in ("ser", "serveur", "medical", "ecran", "srv mairie", "inc-1"):
        wanted = QueueFilter(text=text, priorities=frozenset({1, 2}))
        expected = matching_indexes(rows, wanted, now=T0)
        assert index.filter(wanted) == expected
        assert index.filter(wanted, within=index.filter(QueueFilter(text=text[:2]))) == expected


def test_sort_keys_order_like_the_values() -> None:
    rows = [row(n, SlaClocks(None, None, T0 + timedelta(hours=n % 7), None, True, False, None),
                ("Zèbre", "abeille", "Éléphant", "cheval")[n % 4]) for n in range(40)]  # fmt: skip
    index = QueueIndex(rows, T0)
    titles = index.sort_keys("title")
    by_rank = sorted(range(40), key=titles.__getitem__)
    assert [rows[i].title.casefold() for i in by_rank] == sorted(r.title.casefold() for r in rows)
    due = index.sort_keys("due")
    assert sorted(range(40), key=due.__getitem__) == sorted(range(40), key=lambda i: rows[i].clocks.resolve_deadline)
