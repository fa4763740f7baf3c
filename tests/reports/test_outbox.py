"""The outbox's rules, with a stand-in for the SMTP delivery: states, back-off, held messages, the crash between the
250 and the commit, the timeline entry. The real server is in test_smtp_delivery.py."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from supportstation.reports import mail
from supportstation.reports.outbox import (
    SENDING_LOOKS_INTERRUPTED_AFTER,
    MessageBusy,
    MessageNotFound,
    Outbox,
    OutboxError,
    OutboxState,
    backoff,
)
from supportstation.settings import MailSettings
from supportstation.storage.database import Database
from supportstation.storage.models import Engineer, TimelineEvent
from supportstation.storage.report_models import OutboxMessage
from tests.reports.conftest import Seed, seed

NOW = datetime(2026, 3, 12, 17, 0, tzinfo=UTC)
SETTINGS = MailSettings(host="smtp.example.test", username="support", from_address="ingenieur@example.test")
PASSWORD = "mot-de-passe-du-serveur"


class StandIn:
    """Takes the place of `send_message`: records each call, fails as scripted."""

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []
        self.failures: list[BaseException] = []
        self.refused: dict[str, str] = {}
        self.during: Callable[[], None] | None = None

    def __call__(
        self, settings: MailSettings, password: str | None, raw: bytes, sender: str, recipients: list[str]
    ) -> mail.Delivery:
        call = {"password": password, "raw": raw, "sender": sender, "recipients": recipients}
        self.calls.append({**call, "thread": threading.get_ident()})
        if self.during is not None:
            self.during()
        if self.failures:
            raise self.failures.pop(0)
        return mail.Delivery(dict(self.refused))


def message(subject: str = "Rapport d'intervention RI-2026-0042 – arrêté") -> mail.EmailMessage:
    return mail.compose(
        SETTINGS,
        to=["Jeanne Dupré <jeanne.dupre@clinique.example.fr>"],
        cc=["dsi@clinique.example.fr", "JEANNE.DUPRE@clinique.example.fr"],
        subject=subject,
        body="Bonjour,\n",
        attachment=mail.PdfAttachment(b"%PDF-1.7 test", "RI-2026-0042-r1.pdf"),
    )


@pytest.fixture
def stand_in() -> StandIn:
    return StandIn()


@pytest.fixture
def outbox(any_database: Database, stand_in: StandIn) -> Outbox:
    return Outbox(any_database, transport=stand_in, clock=lambda: NOW)


@pytest.fixture
def seeded(any_database: Database) -> Seed:
    return seed(any_database)


def provider(calls: list[str] | None = None) -> Callable[[], str]:
    def give() -> str:
        if calls is not None:
            calls.append("asked")
        return PASSWORD

    return give


def mail_events(database: Database) -> list[TimelineEvent]:
    with database.session() as session:
        return list(session.scalars(select(TimelineEvent).where(TimelineEvent.kind == "mail_sent")))


def test_back_off_doubles_from_one_minute_up_to_an_hour() -> None:
    assert [backoff(attempts) for attempts in range(1, 10)] == [
        timedelta(minutes=minutes) for minutes in (1, 2, 4, 8, 16, 32, 60, 60, 60)
    ]
    assert backoff(0) == timedelta(minutes=1)
    assert backoff(10_000) == timedelta(hours=1)


def test_a_queued_message_is_stored_whole_and_due_at_once(outbox: Outbox, seeded: Seed) -> None:
    composed = message()
    entry_id = outbox.enqueue(composed, seeded.ticket_id, seeded.report_id)
    entry = outbox.get(entry_id)
    assert entry.state is OutboxState.QUEUED and entry.attempts == 0
    assert entry.message_id == composed["Message-ID"]
    assert entry.sender == "ingenieur@example.test"
    # To and Cc make the envelope, each address once.
    assert entry.recipients == ["jeanne.dupre@clinique.example.fr", "dsi@clinique.example.fr"]
    assert entry.subject == "Rapport d'intervention RI-2026-0042 – arrêté"
    assert outbox.raw(entry_id) == mail.message_bytes(composed)
    assert [due.id for due in outbox.due(NOW)] == [entry_id]
    with pytest.raises(OutboxError, match="in the outbox already"):
        outbox.enqueue(composed, seeded.ticket_id, seeded.report_id)


def test_a_sent_message_is_recorded_on_the_ticket_in_the_same_step(
    outbox: Outbox, stand_in: StandIn, seeded: Seed, any_database: Database
) -> None:
    composed = message()
    entry_id = outbox.enqueue(composed, seeded.ticket_id, seeded.report_id)
    asked: list[str] = []
    [outcome] = outbox.send_due(SETTINGS, provider(asked), NOW)
    assert outcome.sent and outcome.id == entry_id and asked == ["asked"]
    assert stand_in.calls[0]["raw"] == mail.message_bytes(composed)
    assert stand_in.calls[0]["password"] == PASSWORD
    entry = outbox.get(entry_id)
    assert (entry.state, entry.attempts, entry.sent_at, entry.last_error) == (OutboxState.SENT, 1, NOW, "")
    [event] = mail_events(any_database)
    assert event.ticket_id == seeded.ticket_id
    assert "RI-2026-0042" in event.summary and "jeanne.dupre@clinique.example.fr" in event.summary
    assert event.data["message_id"] == composed["Message-ID"]
    assert event.data["report_number"] == "RI-2026-0042"
    assert event.data["recipients"] == ["jeanne.dupre@clinique.example.fr", "dsi@clinique.example.fr"]
    with any_database.session() as session:
        assert session.get(OutboxMessage, entry_id).timeline_event_id == event.id
        author = session.scalar(select(Engineer).where(Engineer.email == "ingenieur@example.test"))
        assert event.author_id == author.id
    # Nothing more to send: the password is not even asked for.
    assert outbox.send_due(SETTINGS, provider(asked), NOW) == [] and asked == ["asked"]


def test_no_password_is_asked_for_a_server_without_login(outbox: Outbox, stand_in: StandIn, seeded: Seed) -> None:
    outbox.enqueue(message(), seeded.ticket_id, None)

    def refuse() -> str:
        raise AssertionError("asked for a password")

    relay = MailSettings(host="relay.example.test", security="none", from_address="ingenieur@example.test")
    [outcome] = outbox.send_due(relay, refuse, NOW)
    assert outcome.sent and stand_in.calls[0]["password"] is None


def test_a_temporary_failure_waits_longer_each_time(outbox: Outbox, stand_in: StandIn, seeded: Seed) -> None:
    entry_id = outbox.enqueue(message(), seeded.ticket_id, seeded.report_id)
    stand_in.failures = [mail.ServerUnreachable(f"down {n}") for n in range(3)]
    moment = NOW
    for attempt, wait in enumerate((1, 2, 4), start=1):
        [outcome] = outbox.send_due(SETTINGS, provider(), moment)
        assert not outcome.sent and outcome.state is OutboxState.QUEUED
        entry = outbox.get(entry_id)
        assert entry.attempts == attempt and entry.last_error == f"down {attempt - 1}"
        assert entry.last_attempt_at == moment
        assert entry.next_attempt_at == moment + timedelta(minutes=wait)
        assert outbox.due(entry.next_attempt_at - timedelta(seconds=1)) == []
        assert outbox.send_due(SETTINGS, provider(), entry.next_attempt_at - timedelta(seconds=1)) == []
        moment = entry.next_attempt_at
    [outcome] = outbox.send_due(SETTINGS, provider(), moment)
    assert outcome.sent and len(stand_in.calls) == 4
    assert outbox.get(entry_id).attempts == 4


def test_a_refusal_holds_the_message_until_the_engineer_releases_it(
    outbox: Outbox, stand_in: StandIn, seeded: Seed
) -> None:
    entry_id = outbox.enqueue(message(), seeded.ticket_id, seeded.report_id)
    stand_in.failures = [mail.AuthenticationRefused("login refused")]
    [outcome] = outbox.send_due(SETTINGS, provider(), NOW)
    assert outcome.state is OutboxState.HELD and outcome.error == "login refused"
    entry = outbox.get(entry_id)
    assert (entry.state, entry.next_attempt_at, entry.last_error) == (OutboxState.HELD, None, "login refused")
    assert outbox.due(NOW + timedelta(days=30)) == []
    assert outbox.send_due(SETTINGS, provider(), NOW + timedelta(days=30), force=True) == []
    outbox.retry_now(entry_id, NOW + timedelta(hours=1))
    assert outbox.get(entry_id).state is OutboxState.QUEUED
    [outcome] = outbox.send_due(SETTINGS, provider(), NOW + timedelta(hours=1))
    assert outcome.sent and len(stand_in.calls) == 2


def test_send_one_sends_a_held_message_when_asked(outbox: Outbox, stand_in: StandIn, seeded: Seed) -> None:
    entry_id = outbox.enqueue(message(), seeded.ticket_id, seeded.report_id)
    stand_in.failures = [mail.RecipientRefused("no such user")]
    outbox.send_due(SETTINGS, provider(), NOW)
    assert outbox.send_one(entry_id, SETTINGS, provider(), NOW).sent
    with pytest.raises(OutboxError, match="sent already"):
        outbox.send_one(entry_id, SETTINGS, provider(), NOW)


def test_when_the_server_fails_the_rest_of_the_batch_is_left_alone(
    outbox: Outbox, stand_in: StandIn, seeded: Seed
) -> None:
    ids = [outbox.enqueue(message(f"message {n}"), seeded.ticket_id, None) for n in range(3)]
    stand_in.failures = [mail.ServerUnreachable("refused the connection")]
    outcomes = outbox.send_due(SETTINGS, provider(), NOW)
    assert [outcome.attempted for outcome in outcomes] == [True, False, False]
    assert "refused the connection" in outcomes[1].error
    assert len(stand_in.calls) == 1
    assert [outbox.get(entry_id).attempts for entry_id in ids] == [1, 0, 0]
    # A message's own problem does not stop the others.
    stand_in.failures = [mail.RecipientRefused("no such user")]
    outcomes = outbox.send_due(SETTINGS, provider(), NOW + timedelta(minutes=1))
    assert [outcome.state for outcome in outcomes] == [OutboxState.HELD, OutboxState.SENT, OutboxState.SENT]


def test_a_crash_after_the_server_accepted_sends_the_same_bytes_again(
    outbox: Outbox, stand_in: StandIn, seeded: Seed, any_database: Database
) -> None:
    composed = message()
    entry_id = outbox.enqueue(composed, seeded.ticket_id, seeded.report_id)
    stand_in.failures = [SystemExit("killed between the 250 and the commit")]
    with pytest.raises(SystemExit):
        outbox.send_due(SETTINGS, provider(), NOW)
    entry = outbox.get(entry_id)
    assert (entry.state, entry.attempts) == (OutboxState.SENDING, 1)
    # Not at once: another SupportStation may be in the middle of sending it.
    assert outbox.due(NOW + timedelta(minutes=1)) == []
    later = NOW + SENDING_LOOKS_INTERRUPTED_AFTER
    assert [due.id for due in outbox.due(later)] == [entry_id]
    [outcome] = outbox.send_due(SETTINGS, provider(), later)
    assert outcome.sent
    first, second = stand_in.calls
    assert first["raw"] == second["raw"] == mail.message_bytes(composed)
    assert outbox.get(entry_id).attempts == 2
    assert len(mail_events(any_database)) == 1


def test_forcing_sends_interrupted_and_backed_off_messages_now(outbox: Outbox, stand_in: StandIn, seeded: Seed) -> None:
    interrupted = outbox.enqueue(message("one"), seeded.ticket_id, None)
    waiting = outbox.enqueue(message("two"), seeded.ticket_id, None)
    stand_in.failures = [SystemExit()]
    with pytest.raises(SystemExit):
        outbox.send_one(interrupted, SETTINGS, provider(), NOW)
    stand_in.failures = [mail.TemporaryFailure("451 later")]
    outbox.send_one(waiting, SETTINGS, provider(), NOW)
    assert outbox.due(NOW) == []
    outcomes = outbox.send_due(SETTINGS, provider(), NOW, force=True)
    assert [(outcome.id, outcome.sent) for outcome in outcomes] == [(interrupted, True), (waiting, True)]


def test_a_partly_refused_message_is_sent_and_says_who_did_not_get_it(
    outbox: Outbox, stand_in: StandIn, seeded: Seed, any_database: Database
) -> None:
    entry_id = outbox.enqueue(message(), seeded.ticket_id, seeded.report_id)
    stand_in.refused = {"dsi@clinique.example.fr": "550 5.1.1 no such user"}
    [outcome] = outbox.send_due(SETTINGS, provider(), NOW)
    assert outcome.sent and outcome.refused == stand_in.refused
    assert "dsi@clinique.example.fr (550 5.1.1 no such user)" in outbox.get(entry_id).last_error
    [event] = mail_events(any_database)
    assert event.data["recipients"] == ["jeanne.dupre@clinique.example.fr"]
    assert "dsi@" not in event.summary and "no such user" in event.body


def test_an_unexpected_failure_holds_the_message_instead_of_losing_it(
    outbox: Outbox, stand_in: StandIn, seeded: Seed
) -> None:
    entry_id = outbox.enqueue(message(), seeded.ticket_id, None)
    stand_in.failures = [ValueError("a bug")]
    [outcome] = outbox.send_due(SETTINGS, provider(), NOW)
    assert outcome.state is OutboxState.HELD and "ValueError" in outcome.error
    assert outbox.get(entry_id).state is OutboxState.HELD


def test_settings_that_cannot_send_touch_no_message(outbox: Outbox, stand_in: StandIn, seeded: Seed) -> None:
    entry_id = outbox.enqueue(message(), seeded.ticket_id, None)
    with pytest.raises(mail.MailSettingsError, match="No mail server"):
        outbox.send_due(MailSettings(from_address="ingenieur@example.test"), provider(), NOW)
    assert outbox.get(entry_id).attempts == 0 and stand_in.calls == []


def test_unsent_messages_can_be_deleted_sent_ones_stay(outbox: Outbox, seeded: Seed) -> None:
    kept = outbox.enqueue(message("sent"), seeded.ticket_id, None)
    outbox.send_due(SETTINGS, provider(), NOW)
    dropped = outbox.enqueue(message("dropped"), seeded.ticket_id, None)
    outbox.delete(dropped)
    assert [entry.id for entry in outbox.list()] == [kept]
    with pytest.raises(OutboxError, match="stays in the outbox"):
        outbox.delete(kept)
    with pytest.raises(OutboxError, match="stays in the outbox"):
        outbox.retry_now(kept)
    with pytest.raises(MessageNotFound, match="no message 999"):
        outbox.delete(999)


def test_a_message_being_sent_cannot_be_deleted_or_sent_twice_by_this_process(
    outbox: Outbox, stand_in: StandIn, seeded: Seed
) -> None:
    entry_id = outbox.enqueue(message(), seeded.ticket_id, None)
    seen: list[type] = []

    def meddle() -> None:
        for action in (
            lambda: outbox.delete(entry_id),
            lambda: outbox.retry_now(entry_id),
            lambda: outbox.send_one(entry_id, SETTINGS, provider(), NOW),
        ):
            with pytest.raises(MessageBusy) as caught:
                action()
            seen.append(type(caught.value))

    stand_in.during = meddle
    [outcome] = outbox.send_due(SETTINGS, provider(), NOW)
    assert outcome.sent and seen == [MessageBusy] * 3 and len(stand_in.calls) == 1


@pytest.mark.asyncio
async def test_flush_asks_for_the_password_on_the_callers_thread_and_sends_in_a_worker(
    outbox: Outbox, stand_in: StandIn, seeded: Seed
) -> None:
    assert await outbox.flush(SETTINGS, provider(), NOW) == []
    outbox.enqueue(message(), seeded.ticket_id, None)
    threads: list[int] = []

    def give() -> str:
        threads.append(threading.get_ident())
        return PASSWORD

    [outcome] = await outbox.flush(SETTINGS, give, NOW)
    assert outcome.sent
    assert threads == [threading.get_ident()]
    assert stand_in.calls[0]["thread"] != threading.get_ident()
    assert stand_in.calls[0]["password"] == PASSWORD


def test_on_a_shared_database_each_engineer_sends_only_their_own_messages(
    outbox: Outbox, stand_in: StandIn, seeded: Seed
) -> None:
    mine = outbox.enqueue(message("Mon rapport"), seeded.ticket_id, None)
    colleague_settings = MailSettings(host="smtp.example.test", from_address="collegue@example.test")
    theirs = outbox.enqueue(
        mail.compose(colleague_settings, to=["client@example.fr"], subject="Son rapport", body="Bonjour"), None, None
    )
    outcomes = outbox.send_due(SETTINGS, lambda: PASSWORD, NOW + timedelta(seconds=1))
    assert [outcome.id for outcome in outcomes] == [mine]
    assert [call["sender"] for call in stand_in.calls] == ["ingenieur@example.test"]
    assert outbox.get(theirs).state is OutboxState.QUEUED and outbox.get(theirs).attempts == 0
    with pytest.raises(OutboxError, match=r"is from collegue@example\.test"):
        outbox.send_one(theirs, SETTINGS, lambda: PASSWORD)
    assert [outcome.id for outcome in outbox.send_due(colleague_settings, lambda: None, force=True)] == [theirs]
