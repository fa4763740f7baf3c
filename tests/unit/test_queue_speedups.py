"""The fast paths of the queue give the answers of the plain code they replace.

Loading works a column at a time and lets the database sort; the index inlines the SLA state of each row; the search
strings are built by C-level passes; a word every row contains needs no scan. Each is checked here against the
straightforward version: the ORM and urgency_key for loading, state_and_next_change and SlaClocks for the states,
search_text_of for the search strings, matching_indexes for the filter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from supportstation import demo
from supportstation.storage import connect
from supportstation.storage.enums import OPEN_STATUSES, TicketStatus
from supportstation.storage.models import Client, Engineer, Host, Site, Ticket
from supportstation.tickets.queue import (
    FAR_FUTURE_TIMESTAMP,
    QueueFilter,
    QueueIndex,
    QueueRow,
    _search_texts,
    _states_and_changes,
    host_names_by_ticket,
    load_queue,
    matching_indexes,
    search_text_of,
    urgency_key,
)
from supportstation.tickets.sla_clocks import SlaClocks, SlaState, state_and_next_change

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
instants = st.none() | st.integers(-600, 600).map(lambda minutes: T0 + timedelta(minutes=minutes))


@st.composite
def clocks(draw: st.DrawFn) -> SlaClocks:
    return SlaClocks(draw(instants), draw(instants), draw(instants), draw(instants), draw(st.booleans()),
                     draw(st.booleans()), draw(st.none() | instants))  # fmt: skip


def original_state_and_next_change(clock: SlaClocks, now: datetime) -> tuple[SlaState, datetime | None]:
    """state_and_next_change as it was before its fast path: the oracle for it and for the index's inlined copy."""
    if clock.finished_at is not None:
        met = clock.resolve_deadline is None or clock.finished_at <= clock.resolve_deadline
        return (SlaState.MET if met else SlaState.BREACHED), None
    if clock.paused:
        return SlaState.PAUSED, None
    worst, upcoming = 0, None
    pairs = [(clock.resolve_deadline, clock.resolve_warning_at)]
    if not clock.owned:
        pairs.append((clock.own_deadline, clock.own_warning_at))
    for deadline, warning in pairs:
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
    return (SlaState.NONE, SlaState.ON_TRACK, SlaState.AT_RISK, SlaState.BREACHED)[worst], upcoming


@settings(max_examples=400, deadline=None)
@given(clocks(), st.integers(-700, 700))
def test_the_fast_path_of_state_and_next_change_answers_as_before(clock: SlaClocks, minutes: int) -> None:
    now = T0 + timedelta(minutes=minutes)
    assert state_and_next_change(clock, now) == original_state_and_next_change(clock, now)


@settings(max_examples=200, deadline=None)
@given(st.lists(clocks(), max_size=40), st.integers(-700, 700))
def test_the_index_computes_states_changes_and_due_keys_as_the_clocks_do(
    clock_list: list[SlaClocks], minutes: int
) -> None:
    now = T0 + timedelta(minutes=minutes)
    states, changes, due = _states_and_changes(clock_list, now)
    expected = [original_state_and_next_change(clock, now) for clock in clock_list]
    assert states == [state for state, _instant in expected]
    assert changes == [(instant, position) for position, (_state, instant) in enumerate(expected) if instant]
    deadlines = [clock.next_deadline() for clock in clock_list]
    assert due == [FAR_FUTURE_TIMESTAMP if deadline is None else deadline.timestamp() for deadline in deadlines]


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(names, names, names, names, st.lists(names, max_size=3).map(tuple)), max_size=20))
def test_search_strings_built_by_columns_are_search_text_of(rows: list[tuple]) -> None:  # type: ignore[type-arg]
    columns = [list(column) for column in zip(*rows, strict=True)] or [[], [], [], [], []]
    assert list(_search_texts(*columns)) == [search_text_of(*row) for row in rows]


def test_search_strings_fold_accents_case_and_non_ascii_references() -> None:
    texts = _search_texts(["INC-1", "Réf-É"], ["Écran noir", "Serveur"], ["Cabinet Médical", "Mairie"],
                          ["", "Bâtiment"], [(), ("SRV-01", "nas")])  # fmt: skip
    assert list(texts) == ["inc-1 ecran noir cabinet medical ", "ref-e serveur mairie batiment srv-01 nas"]


def queue_row(number: int, reference: str, title: str) -> QueueRow:
    clock = SlaClocks(None, None, T0 + timedelta(hours=number % 5), None, True, False, None)
    return QueueRow(number, reference, title, 1 + number % 4, TicketStatus.NEW, "Mairie", "", ("srv-01",), "", "",
                    "", clock, search_text_of(reference, title, "Mairie", "", ("srv-01",)))  # fmt: skip


def test_a_word_in_the_start_every_row_shares_keeps_every_row_and_the_others_still_scan() -> None:
    rows = [queue_row(n, f"INC-2026-{n:06d}", ("Serveur arrêté", "Imprimante")[n % 2]) for n in range(30)]
    index = QueueIndex(rows, T0)
    for text in ("inc", "INC-2026-0", "2026-0000", "inc-2026-00001", "serveur", "inc-2026 imprimante", "nope", "c-2"):
        wanted = QueueFilter(text=text)
        assert index.filter(wanted) == matching_indexes(rows, wanted, now=T0), text
    assert index.filter(QueueFilter(text="inc-2026-0000")) == list(range(30))


def test_rows_and_clocks_compare_as_the_dataclasses_did() -> None:
    row = queue_row(1, "INC-1", "Panne")
    same_but_search = row._replace(search_text="")
    assert row == same_but_search and hash(row) == hash(same_but_search)
    assert (row != same_but_search) is False  # __ne__ answers too, not only __eq__
    assert row != row._replace(title="Autre") and row != tuple(row)
    clock = row.clocks
    assert clock == SlaClocks(*clock) and hash(clock) == hash(SlaClocks(*clock))
    assert clock != tuple(clock) and (clock == tuple(clock)) is False
    with pytest.raises(AttributeError):
        row.title = "x"  # type: ignore[misc]


# --- on a real database, both backends ------------------------------------------------------------------------------


@pytest.fixture
def database(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    database = connect(database_url, backups=tmp_path / "backups", create_missing=True)
    demo.populate(database)
    yield database
    database.close()


# References whose byte order differs from a locale's (case, punctuation), the same deadline for several tickets,
# tickets without deadline, taken and not taken, paused, closed, with and without site, assignee and hosts.
REFERENCES = ["inc-b", "INC-a", "Inc-C", "INC_1", "INC-1", "inc-10", "INC-2", "ZZ-1", "aa-1", "Éb-1", "eb-2", "INC 3"]


def add_varied_tickets(session) -> None:  # type: ignore[no-untyped-def]
    clients = session.scalars(select(Client).order_by(Client.id)).all()
    engineer = session.scalars(select(Engineer).order_by(Engineer.id)).first()
    hosts = session.scalars(select(Host).order_by(Host.id)).all()
    deadlines = [T0 + timedelta(hours=3), T0 + timedelta(hours=3), None, T0 - timedelta(hours=1)]
    for number, reference in enumerate(REFERENCES * 3):
        client = clients[number % len(clients)]
        site = session.scalars(select(Site).where(Site.client_id == client.id)).first() if number % 3 else None
        resolve = deadlines[number % 4]
        own = None if number % 5 == 0 else T0 + timedelta(hours=(number % 7) - 2)
        ticket = Ticket(
            reference=f"{reference}-{number // len(REFERENCES)}", title=f"Panne n°{number % 4} sur le serveur",
            client=client, site=site, priority=1 + number % 2, category=("Réseau", "Serveur")[number % 2],
            status=(*OPEN_STATUSES, TicketStatus.CLOSED)[number % 6], assignee=engineer if number % 2 else None,
            owned_at=T0 if number % 2 else None, created_at=T0 - timedelta(hours=5), own_deadline=own,
            own_warning_at=own and own - timedelta(minutes=30), resolve_deadline=resolve,
            resolve_warning_at=resolve and resolve - timedelta(minutes=45 * (number % 3)),
            sla_paused_at=T0 if number % 6 == 3 else None, resolved_at=T0 if number % 6 == 5 else None,
        )  # fmt: skip
        ticket.hosts = [host for host in hosts if host.client_id == client.id][: number % 4]
        session.add(ticket)


def rows_from_the_orm(session, *, include_closed: bool) -> list[QueueRow]:  # type: ignore[no-untyped-def]
    """The queue built the plain way: ORM tickets, then sorted by urgency_key."""
    query = select(Ticket) if include_closed else select(Ticket).where(Ticket.status.in_(OPEN_STATUSES))
    rows = []
    for ticket in session.scalars(query):
        owned = ticket.owned_at is not None
        clock = SlaClocks(None if owned else ticket.own_deadline, None if owned else ticket.own_warning_at,
                          ticket.resolve_deadline, ticket.resolve_warning_at, owned, ticket.sla_paused_at is not None,
                          ticket.resolved_at)  # fmt: skip
        site, hosts = ticket.site.name if ticket.site else "", tuple(host.name for host in ticket.hosts)
        rows.append(QueueRow(
            ticket.id, ticket.reference, ticket.title, ticket.priority, ticket.status, ticket.client.name, site, hosts,
            ticket.assignee.name if ticket.assignee else "", ticket.assignee.email if ticket.assignee else "",
            ticket.category, clock, search_text_of(ticket.reference, ticket.title, ticket.client.name, site, hosts),
        ))  # fmt: skip
    return sorted(rows, key=urgency_key)


@pytest.mark.parametrize("include_closed", [False, True])
def test_the_queue_is_the_one_the_orm_gives_in_urgency_order(database, include_closed: bool) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        add_varied_tickets(session)
    with database.session() as session:
        expected = rows_from_the_orm(session, include_closed=include_closed)
        rows = load_queue(session, include_closed=include_closed)
        first = load_queue(session, include_closed=include_closed, limit=7)
    assert len(rows) > 30
    assert [row.reference for row in rows] == [row.reference for row in expected]
    assert rows == expected
    assert [row.search_text for row in rows] == [row.search_text for row in expected]
    assert all(type(value) is type(wanted) for row, other in zip(rows, expected, strict=True)
               for value, wanted in zip(row, other, strict=True))  # fmt: skip
    assert all(instant is None or instant.tzinfo is UTC for row in rows for instant in row.clocks[:4])
    assert first == rows[:7]


def test_host_names_come_sorted_by_name_for_all_tickets_or_those_asked(database) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        add_varied_tickets(session)
    with database.session() as session:
        tickets = session.scalars(select(Ticket)).all()
        expected = {ticket.id: [host.name for host in ticket.hosts] for ticket in tickets if ticket.hosts}
        assert host_names_by_ticket(session) == expected
        some = sorted(expected)[::2]
        assert host_names_by_ticket(session, some) == {ticket_id: expected[ticket_id] for ticket_id in some}


def test_an_empty_queue_loads_whole_and_by_its_first_page(database) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        for ticket in session.scalars(select(Ticket)):
            session.delete(ticket)
    with database.session() as session:
        assert load_queue(session) == [] and load_queue(session, limit=10) == []
        assert load_queue(session, include_closed=True) == []
        assert QueueIndex([], T0).filter(QueueFilter(text="inc")) == []
