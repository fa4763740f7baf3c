"""The SLA's words beside a ticket: how far its deadline is while it is open, how early or late it was finished once
it is (the deadline, still ahead or long past, then says nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from supportstation import i18n
from supportstation.tickets.labels import deadline_text, sla_label
from supportstation.tickets.sla_clocks import SlaClocks

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(hours=19)


def clocks(finished_at: datetime | None) -> SlaClocks:
    return SlaClocks(None, None, DEADLINE, DEADLINE - timedelta(hours=2), True, False, finished_at)


@pytest.fixture
def english() -> Iterator[None]:
    before = i18n.current()
    i18n.install("en")
    yield
    i18n.install(before)


def test_an_open_ticket_says_how_far_its_deadline_is(english: None) -> None:
    assert deadline_text(clocks(None), NOW) == "in 19 h"
    assert deadline_text(clocks(None), DEADLINE + timedelta(hours=2)) == "overdue by 2 h"


def test_a_finished_ticket_says_how_early_or_late_it_was_finished_whenever_it_is_read(english: None) -> None:
    early = clocks(NOW)
    assert sla_label(early.state(NOW)) == "Met"
    assert deadline_text(early, NOW) == deadline_text(early, NOW + timedelta(days=3)) == "19 h early"
    late = clocks(DEADLINE + timedelta(minutes=45))
    assert sla_label(late.state(NOW)) == "Breached" and deadline_text(late, NOW) == "45 min late"


def test_in_french() -> None:
    before = i18n.current()
    i18n.install("fr")
    try:
        assert deadline_text(clocks(NOW), NOW) == "avec 19 h d'avance"
        assert deadline_text(clocks(DEADLINE + timedelta(hours=3)), NOW) == "avec 3 h de retard"
    finally:
        i18n.install(before)
