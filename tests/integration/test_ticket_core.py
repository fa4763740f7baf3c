"""The ticket core on a real database: workflow, SLA clocks, notes, attachments, interventions, queue filters."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from supportstation import demo
from supportstation.storage import connect
from supportstation.storage.enums import TicketStatus
from supportstation.storage.models import Client, Engineer, Ticket, TimeEntry
from supportstation.tickets import interventions, sla, timeline, workflow
from supportstation.tickets.queue import QueueFilter, load_queue, matching_indexes
from supportstation.tickets.sla_clocks import SlaState

S = TicketStatus
# Monday 23 November 2026, 09:00 in Paris.
MONDAY_9AM = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def database(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    database = connect(database_url, backups=tmp_path / "backups", create_missing=True)
    demo.populate(database)
    yield database
    database.close()


def new_ticket(session, *, contract: str = "standard", priority: int = 2, at: datetime = MONDAY_9AM) -> Ticket:  # type: ignore[no-untyped-def]
    client = session.scalars(select(Client).where(Client.contract == contract)).first()
    ticket = Ticket(reference=f"T-{priority}-{contract}-{at:%H%M%S%f}", title="Test", client=client,
                    priority=priority, created_at=at)  # fmt: skip
    session.add(ticket)
    session.flush()
    sla.set_deadlines(session, ticket)
    return ticket


def me(session) -> Engineer:  # type: ignore[no-untyped-def]
    return session.scalars(select(Engineer).where(Engineer.email == "camille.martin@exemple.fr")).one()


def test_the_workflow_refuses_skips_and_says_what_is_allowed(database) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        ticket = new_ticket(session)
        with pytest.raises(workflow.TransitionRefused, match="cannot go from New to Resolved") as refused:
            workflow.change_status(session, ticket, S.RESOLVED, author=me(session), comment="done")
        assert "Assigned, In progress" in str(refused.value)
        workflow.change_status(session, ticket, S.IN_PROGRESS, author=me(session))
        with pytest.raises(workflow.TransitionRefused, match="needs a resolution comment"):
            workflow.change_status(session, ticket, S.RESOLVED, author=me(session), comment="   ")
        workflow.change_status(session, ticket, S.RESOLVED, author=me(session), comment="Disque remplacé")
        assert ticket.resolution == "Disque remplacé" and ticket.resolved_at is not None
        workflow.change_status(session, ticket, S.CLOSED, author=me(session))
        event = workflow.change_status(session, ticket, S.IN_PROGRESS, author=me(session), comment="Récidive")
        assert event.data == {"from": "closed", "to": "in_progress", "reopened": True}
        assert ticket.resolved_at is None
        kinds = [(e.kind, e.data.get("to")) for e in ticket.timeline]
        assert kinds == [
            ("status", "in_progress"),
            ("status", "resolved"),
            ("status", "closed"),
            ("status", "in_progress"),
        ]


def test_every_pair_of_statuses_is_either_allowed_or_explained() -> None:
    for current in S:
        for target in S:
            if target in workflow.TRANSITIONS[current]:
                workflow.check(current, target, comment="résolu")
            else:
                with pytest.raises(workflow.TransitionRefused):
                    workflow.check(current, target, comment="résolu")


def test_deadlines_follow_contract_priority_and_business_hours(database) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        # Standard P2: own in 2 business hours, resolve in 16 (Mon 09:00 Paris -> Tue 15:00 Paris with 08-18 days).
        ticket = new_ticket(session, priority=2)
        assert ticket.own_deadline == MONDAY_9AM + timedelta(hours=2)
        assert ticket.resolve_deadline == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
        # Premium P1 counts round the clock: 4 hours, even at night.
        night = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)  # Saturday 23:00 in Paris
        urgent = new_ticket(session, contract="premium", priority=1, at=night)
        assert urgent.resolve_deadline == night + timedelta(hours=4)
        # The warning comes at 80 % of the business time.
        assert ticket.resolve_warning_at == datetime(2026, 11, 24, 10, 48, tzinfo=UTC)


def test_waiting_for_the_customer_pauses_the_resolve_clock(database) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        ticket = new_ticket(session, priority=2)
        before = ticket.resolve_deadline
        workflow.change_status(session, ticket, S.IN_PROGRESS, author=None, now=MONDAY_9AM + timedelta(hours=1))
        workflow.change_status(session, ticket, S.WAITING_CUSTOMER, author=None, now=MONDAY_9AM + timedelta(hours=2))
        assert sla.clocks_of(ticket).state(MONDAY_9AM + timedelta(hours=3)) is SlaState.PAUSED
        # The customer answers three business hours later: the deadline moves by those three hours.
        workflow.change_status(session, ticket, S.IN_PROGRESS, author=None, now=MONDAY_9AM + timedelta(hours=5))
        assert ticket.resolve_deadline == before + timedelta(hours=3)
        assert ticket.sla_paused_at is None


def test_sla_states_over_time(database) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        ticket = new_ticket(session, priority=2)
        ticket.owned_at = MONDAY_9AM
        clocks = sla.clocks_of(ticket)
        assert clocks.state(MONDAY_9AM + timedelta(hours=1)) is SlaState.ON_TRACK
        assert clocks.state(datetime(2026, 11, 24, 11, 0, tzinfo=UTC)) is SlaState.AT_RISK
        assert clocks.state(datetime(2026, 11, 24, 14, 0, tzinfo=UTC)) is SlaState.BREACHED


def test_unowned_tickets_breach_on_time_to_own(database) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        ticket = new_ticket(session, priority=2)
        assert sla.clocks_of(ticket).state(MONDAY_9AM + timedelta(hours=2, minutes=1)) is SlaState.BREACHED
        workflow.assign(session, ticket, me(session), author=me(session), now=MONDAY_9AM + timedelta(minutes=30))
        assert ticket.status is S.ASSIGNED
        assert sla.clocks_of(ticket).state(MONDAY_9AM + timedelta(hours=2, minutes=1)) is SlaState.ON_TRACK
        workflow.assign(session, ticket, None, author=me(session))
        assert ticket.status is S.NEW and ticket.assignee is None
        assert ticket.timeline[-1].data == {"from": "camille.martin@exemple.fr", "to": None}


def test_notes_keep_a_megabyte_of_markdown_and_refuse_empty_ones(database) -> None:  # type: ignore[no-untyped-def]
    big = "# Journal\n" + ("ligne de journal très longue é\n" * 40_000)
    assert len(big) > 1_000_000
    with database.session() as session:
        ticket = new_ticket(session)
        timeline.add_note(session, ticket, big, author=me(session))
        with pytest.raises(timeline.TimelineError, match="empty"):
            timeline.add_note(session, ticket, "  \n", author=me(session))
        with pytest.raises(timeline.TimelineError, match="too long"):
            timeline.add_note(session, ticket, "x" * (timeline.MAX_NOTE_CHARACTERS + 1), author=me(session))
        ticket_id = ticket.id
    with database.session() as session:
        items = timeline.load_timeline(session, ticket_id)
        assert items[-1].body == big and items[-1].summary == "# Journal"


def test_attachments_are_copied_hashed_and_recorded(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "journal système.log"
    payload = bytes(range(256)) * 20_000
    source.write_bytes(payload)
    data = tmp_path / "data"
    with database.session() as session:
        ticket = new_ticket(session)
        attachment = timeline.attach_file(session, ticket, source, data, author=me(session))
        stored = data / attachment.stored_path
        assert stored.read_bytes() == payload
        assert attachment.sha256 == hashlib.sha256(payload).hexdigest() and attachment.size == len(payload)
        assert attachment.file_name == "journal système.log"
        assert ticket.timeline[-1].kind == "attachment" and ticket.timeline[-1].data["sha256"] == attachment.sha256
        with pytest.raises(timeline.TimelineError, match="Cannot attach"):
            timeline.attach_file(session, ticket, tmp_path / "absent.txt", data, author=None)
        assert not list(stored.parent.glob("*.partial"))


def test_an_intervention_captures_time_and_audits_edits(database) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        ticket = new_ticket(session)
        # The demo leaves Camille's intervention on INC-2026-01041 open; a colleague starts afresh.
        engineer = Engineer(name="Léa Rousseau", email="lea.rousseau@exemple.fr")
        session.add(engineer)
        running = interventions.start(session, ticket, engineer=engineer, now=MONDAY_9AM)
        assert ticket.status is S.IN_PROGRESS
        with pytest.raises(interventions.InterventionError, match="already open"):
            interventions.start(session, new_ticket(session, priority=3), engineer=engineer, now=MONDAY_9AM)
        interventions.pause(session, running, author=engineer, now=MONDAY_9AM + timedelta(minutes=40))
        assert interventions.state_of(running) is interventions.InterventionState.PAUSED
        interventions.resume(session, running, author=engineer, now=MONDAY_9AM + timedelta(minutes=60))
        assert interventions.elapsed_minutes(running, MONDAY_9AM + timedelta(minutes=70)) == pytest.approx(50)
        travel = interventions.add_time(session, running, "travel", 35, author=engineer, description="Aller")
        interventions.add_part(session, running, "Disque SAS 600 Go", 1, author=engineer, serial_number="WX12")
        interventions.end(session, running, author=engineer, now=MONDAY_9AM + timedelta(minutes=90))
        assert interventions.totals_by_category(ticket) == {"on_site": 70, "travel": 35}
        event = interventions.edit_time(
            session, travel, interventions.EntryChange("travel", 45, "Aller (bouchons)"), author=engineer
        )
        assert event is not None and event.data["before"]["minutes"] == 35 and event.data["after"]["minutes"] == 45
        assert event.author is engineer
        with pytest.raises(interventions.InterventionError, match="0 to 1,440"):
            interventions.add_time(session, running, "travel", 5000, author=engineer)
        with pytest.raises(interventions.InterventionError, match="already ended"):
            interventions.end(session, running, author=engineer)
        kinds = [e.kind for e in ticket.timeline]
        for kind in ("intervention_started", "intervention_paused", "intervention_resumed", "time_added",
                     "part_added", "intervention_ended", "time_edited"):  # fmt: skip
            assert kind in kinds
        still_open = select(TimeEntry).where(
            TimeEntry.intervention_id == running.id, TimeEntry.automatic, TimeEntry.ended_at.is_(None)
        )
        assert session.scalars(still_open).all() == []


def test_the_queue_filters_in_one_pass(database) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        rows = load_queue(session)
    now = datetime.now(UTC)

    def titles(wanted: QueueFilter) -> list[str]:
        return [
            rows[i].reference for i in matching_indexes(rows, wanted, now=now, my_email="CAMILLE.martin@exemple.fr")
        ]

    everything = titles(QueueFilter())
    assert len(everything) == len(rows) == 13
    # Accent-insensitive, over title, client, site and hosts, every word must match.
    assert titles(QueueFilter(text="medical")) == titles(QueueFilter(text="Médical"))
    assert len(titles(QueueFilter(text="medical"))) == 2
    assert titles(QueueFilter(text="srv-tms")) == ["INC-2026-01042"]
    assert titles(QueueFilter(text="mairie inventaire")) == ["INC-2026-01051"]
    assert all(rows[i].priority == 1 for i in matching_indexes(rows, QueueFilter(priorities=frozenset({1})), now=now))
    mine = titles(QueueFilter(mine=True))
    assert mine and all(r.assignee == "Camille Martin" for r in rows if r.reference in mine)
    breached = titles(QueueFilter(breached=True))
    assert "INC-2026-01042" in breached and "INC-2026-01049" in breached
    saved = QueueFilter(text="srv", statuses=frozenset({S.NEW}), priorities=frozenset({2}), at_risk=True)
    assert QueueFilter.from_dict(saved.as_dict()) == saved
    assert QueueFilter.from_dict({"statuses": ["nonsense"], "priorities": [9, "x"], "future": 1}) == QueueFilter()


def test_the_first_page_is_the_head_of_the_whole_queue(database) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        for number in range(30):
            new_ticket(session, priority=1 + number % 4, at=MONDAY_9AM - timedelta(minutes=7 * number))
    with database.session() as session:
        whole = load_queue(session)
        first = load_queue(session, limit=10)
    assert [row.ticket_id for row in first] == [row.ticket_id for row in whole[:10]]
    assert first == whole[:10]
