"""The Outbox view and the window's periodic retry, against a real SMTP server (aiosmtpd with STARTTLS and a login,
tests/servers/smtp.py) and the SMTP password in a file vault: listed newest first, a server down then back, a held
message retried, delete, save as .eml, the ticket, and no sending at all while no mail server is set."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLineEdit, QMessageBox
from sqlalchemy import select

from supportstation.context import AppContext
from supportstation.gui.main_window import MainWindow
from supportstation.gui.outbox_sender import OutboxSender
from supportstation.gui.table_model import RowsTableModel
from supportstation.gui.views.outbox_columns import NOT_SET, outbox_columns
from supportstation.gui.views.outbox_view import OutboxView
from supportstation.reports import mail
from supportstation.reports.outbox import Outbox, OutboxState
from supportstation.settings import MailSettings
from supportstation.storage.models import Ticket
from tests.servers.smtp import TEST_PASSWORD, SmtpServer

from .conftest import shot

CUSTOMER = "jeanne.dupre@clinique.example.fr"
# Enough settings to compose a message (the From address), where no server is meant to send it.
COMPOSING = MailSettings(host="smtp.example.test", from_address="ingenieur@example.test")
STATE, RECIPIENTS, SUBJECT, ATTEMPTS, NEXT_ATTEMPT, SENT_AT, LAST_ERROR = range(7)


async def until(condition: Callable[[], object], timeout: float = 15.0, what: str = "the condition") -> None:
    """Lets the qasync loop run (worker threads, dialogs) until the condition holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}")
        await asyncio.sleep(0.02)


def signals(signal) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    """The emissions of a signal, collected without a nested event loop (qtbot.waitSignal would block qasync)."""
    received: list[tuple[object, ...]] = []
    signal.connect(lambda *arguments: received.append(arguments))
    return received


def enqueue(
    context: AppContext, subject: str, ticket_id: int | None = None, settings: MailSettings | None = None
) -> int:
    message = mail.compose(
        settings or context.settings.mail,
        to=[f"Jeanne Dupré <{CUSTOMER}>"],
        subject=subject,
        body="Bonjour,\n\nVeuillez trouver le rapport d'intervention.\n",
        attachment=mail.PdfAttachment(b"%PDF-1.7 test\n%%EOF\n", "RI-2026-0042-r1.pdf"),
    )
    return Outbox(context.database).enqueue(message, ticket_id, None)


def first_ticket_id(context: AppContext) -> int:
    with context.database.session() as session:
        return session.scalars(select(Ticket.id).order_by(Ticket.id)).first()


def cell(view: OutboxView, row: int, column: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> object:
    return view.model.index(row, column).data(role)


def row_of(view: OutboxView, entry_id: int) -> int:
    return next(row for row, entry in enumerate(view.entries) if entry.id == entry_id)


def choose(view: OutboxView, entry_id: int) -> None:
    view.select_entry(entry_id)
    assert view.selected_entry() is not None and view.selected_entry().id == entry_id


async def settle(view: OutboxView) -> None:
    """Waits for the view's reloads and actions, and the sender's flush, to finish."""
    await until(lambda: not view._tasks and not view.sender.busy, what="the outbox view to settle")


async def shown_outbox(window: MainWindow) -> OutboxView:
    window.show_view(next(row for row, (key, _title, _widget) in enumerate(window.views) if key == "reports"))
    view = window.outbox_view
    assert view.isVisible()
    await settle(view)
    await view.reload()
    return view


def close_message_box(view: OutboxView) -> str:
    box = view.last_dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    text = box.text()
    box.close()
    return text


@pytest.fixture
def mail_ready(demo_context: AppContext, smtp_server: SmtpServer) -> Iterator[SmtpServer]:
    """The demo context with the test server as its mail server and the SMTP password in an unlocked file vault."""
    from supportstation.vault import open_vault
    from supportstation.vault.crypto import ScryptParameters

    vault = open_vault(demo_context.paths, backend="file", scrypt=ScryptParameters(n=2**10))
    vault.unlock("lab master password")
    vault.store(mail.PASSWORD_KEY, TEST_PASSWORD)
    demo_context.vault = vault
    demo_context.settings = replace(demo_context.settings, mail=smtp_server.settings())
    yield smtp_server


@pytest.mark.asyncio
async def test_the_outbox_lists_messages_newest_first_and_says_when_it_is_empty(
    qtbot, main_window: MainWindow, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    view = await shown_outbox(main_window)
    assert view.rows.message.isVisible() and "outbox is empty" in view.rows.message.text()
    assert view.summary.text() == "0 waiting, 0 held"
    assert "No mail server is set: Settings, E-mail" in view.server.text()
    assert not view.send_all_action.isEnabled()
    shot(main_window, "outbox_empty")

    context = main_window.context
    ticket_id = first_ticket_id(context)
    first = enqueue(context, "Rapport RI-2026-0041", ticket_id, settings=COMPOSING)
    second = enqueue(context, "Rapport RI-2026-0042 – arrêté", None, settings=COMPOSING)
    await view.reload()
    assert view.rows.table.isVisible()
    assert [entry.id for entry in view.entries] == [second, first]
    assert cell(view, 0, STATE) == "queued" and cell(view, 0, SUBJECT) == "Rapport RI-2026-0042 – arrêté"
    assert cell(view, 0, RECIPIENTS) == CUSTOMER
    assert cell(view, 0, ATTEMPTS) == "0"
    assert cell(view, 0, NEXT_ATTEMPT) != NOT_SET and cell(view, 0, SENT_AT) == NOT_SET
    assert cell(view, 0, STATE, Qt.ItemDataRole.DecorationRole) is not None
    assert view.summary.text() == "2 waiting, 0 held"
    # Checked on a model of its own: pytest-qt deletes the window, and the view's model, before its tester lets go.
    model = RowsTableModel(outbox_columns())
    model.set_rows(view.entries)
    qtmodeltester.check(model, force_py=True)

    # Nothing selected: nothing to act on but the whole outbox (which needs a server: it says so when asked).
    assert not view.send_now_action.isEnabled() and not view.delete_action.isEnabled()
    choose(view, first)
    assert view.send_now_action.isEnabled() and view.delete_action.isEnabled() and view.save_action.isEnabled()
    assert view.ticket_action.isEnabled() and not view.retry_action.isEnabled()
    choose(view, second)
    assert not view.ticket_action.isEnabled(), "a message of no ticket"
    assert await view.send_all_due() is None
    assert "No mail server is set" in close_message_box(view)
    assert "No mail server is set" in view.last_attempt.text()
    shot(main_window, "outbox_no_server")
    main_window.resize(800, 600)  # a small laptop's window: the tool bar folds, nothing is cut
    await asyncio.sleep(0.1)
    shot(main_window, "outbox_narrow")


@pytest.mark.asyncio
async def test_a_server_down_keeps_messages_queued_with_the_error_then_sends_them_once_back(
    qtbot, main_window: MainWindow, mail_ready: SmtpServer, stall_probe
) -> None:  # type: ignore[no-untyped-def]
    server = mail_ready
    context = main_window.context
    view = await shown_outbox(main_window)
    assert "Mail server 127.0.0.1" in view.server.text() and "STARTTLS" in view.server.text()
    entry_id = enqueue(context, "Rapport RI-2026-0042", first_ticket_id(context))
    await view.reload()

    server.stop()
    changed, failed = signals(view.sender.changed), signals(view.sender.failed)
    [outcome] = await view.send_all_due()
    assert not outcome.sent
    assert failed and changed
    assert close_message_box(view) == outcome.error
    await settle(view)
    row = row_of(view, entry_id)
    assert cell(view, row, STATE) == "queued" and cell(view, row, ATTEMPTS) == "1"
    error = view.entries[row].last_error
    assert error and cell(view, row, LAST_ERROR) == error.split("\n")[0]
    assert cell(view, row, LAST_ERROR, Qt.ItemDataRole.ToolTipRole) == error
    assert error in view.last_attempt.text() and view.last_attempt.isVisible()
    assert view.summary.text() == "1 waiting, 0 held"
    shot(main_window, "outbox_server_down")

    # Back online, but the message waits for its next attempt: "Send all due" leaves it, the periodic flush too.
    server.start()
    assert await view.send_all_due() == []
    assert "Nothing is due" in view.activity.text()
    assert await view.sender.flush() is None
    assert server.messages == []

    # Once due (the back-off over), the periodic flush delivers it: the server has the stored bytes, the row says sent.
    Outbox(context.database).retry_now(entry_id)
    [outcome] = await view.sender.flush()
    assert outcome.sent, outcome.error
    [received] = server.wait_for_messages(1)
    assert received.data == Outbox(context.database).raw(entry_id)
    await settle(view)
    row = row_of(view, entry_id)
    assert cell(view, row, STATE) == "sent" and cell(view, row, SENT_AT) != NOT_SET
    assert cell(view, row, NEXT_ATTEMPT) == NOT_SET
    assert view.summary.text() == "0 waiting, 0 held"
    assert view.sender.last_failure == "" and "1 sent" in view.last_attempt.text()
    assert stall_probe.longest_gap_ms < 1000


@pytest.mark.asyncio
async def test_send_now_and_a_held_message_retried_once_its_cause_is_fixed(
    qtbot, main_window: MainWindow, mail_ready: SmtpServer
) -> None:  # type: ignore[no-untyped-def]
    server = mail_ready
    context = main_window.context
    view = await shown_outbox(main_window)
    waiting = enqueue(context, "Rapport RI-2026-0043")
    await view.reload()
    choose(view, waiting)
    outcome = await view.send_now()
    assert outcome is not None and outcome.sent, outcome.error
    assert len(server.wait_for_messages(1)) == 1
    assert view.entries[row_of(view, waiting)].state is OutboxState.SENT
    assert not view.send_now_action.isEnabled(), "the selection is kept, and a sent message is not sent again"

    # A refused login holds the message: it needs the engineer.
    context.vault.store(mail.PASSWORD_KEY, "not the password")
    held = enqueue(context, "Rapport RI-2026-0044")
    await view.reload()
    [outcome] = await view.sender.flush()
    assert outcome.state is OutboxState.HELD
    await settle(view)
    row = row_of(view, held)
    assert cell(view, row, STATE) == "held" and cell(view, row, NEXT_ATTEMPT) == NOT_SET
    assert cell(view, row, STATE, Qt.ItemDataRole.ForegroundRole) is not None
    assert "attention" in cell(view, row, STATE, Qt.ItemDataRole.ToolTipRole)
    assert view.summary.text() == "0 waiting, 1 held" and view.attention.isVisible()
    choose(view, held)
    assert view.retry_action.isEnabled()
    shot(main_window, "outbox_held")

    context.vault.store(mail.PASSWORD_KEY, TEST_PASSWORD)
    [outcome] = await view.retry_now()
    assert outcome.sent, outcome.error
    assert len(server.wait_for_messages(2)) == 2
    await settle(view)
    assert view.entries[row_of(view, held)].state is OutboxState.SENT
    assert view.summary.text() == "0 waiting, 0 held" and not view.attention.isVisible()


@pytest.mark.asyncio
async def test_delete_removes_an_unsent_message_and_refuses_a_sent_one(
    qtbot, main_window: MainWindow, mail_ready: SmtpServer
) -> None:  # type: ignore[no-untyped-def]
    context = main_window.context
    view = await shown_outbox(main_window)
    sent = enqueue(context, "Rapport envoyé")
    [outcome] = await view.sender.flush()
    assert outcome.sent, outcome.error
    doomed = enqueue(context, "Rapport à supprimer")
    await view.reload()

    choose(view, doomed)
    deleting = asyncio.ensure_future(view.delete_selected())
    await until(lambda: view.delete_box is not None and view.delete_box.isVisible(), what="the question")
    assert "Rapport à supprimer" in view.delete_box.text()
    await asyncio.sleep(0.1)
    shot(view.delete_box, "outbox_delete_question")
    view.delete_box.button(QMessageBox.StandardButton.Cancel).click()
    assert await deleting is False
    assert doomed in [entry.id for entry in view.entries]

    deleting = asyncio.ensure_future(view.delete_selected())
    await until(lambda: view.delete_box is not None and view.delete_box.isVisible(), what="the question")
    next(button for button in view.delete_box.buttons() if button.text() == "Delete").click()
    assert await deleting is True
    assert [entry.id for entry in view.entries] == [sent]

    choose(view, sent)
    assert not view.delete_action.isEnabled()
    assert await view.delete_selected() is False  # asked anyway (a stale row): the outbox says why not
    assert "stays in the outbox" in close_message_box(view)
    assert [entry.id for entry in view.entries] == [sent]


@pytest.mark.asyncio
async def test_save_as_eml_writes_the_exact_bytes(qtbot, main_window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    context = main_window.context
    entry_id = enqueue(context, "Rapport d'intervention RI-2026-0042 – arrêté", settings=COMPOSING)
    view = await shown_outbox(main_window)
    choose(view, entry_id)
    saving = asyncio.ensure_future(view.save_eml())
    await until(lambda: isinstance(view.last_dialog, QFileDialog) and view.last_dialog.isVisible(), what="the dialog")
    dialog = view.last_dialog
    assert dialog.selectedFiles()[0].endswith("Rapport-d-intervention-RI-2026-0042-arrêté.eml")
    target = tmp_path / "saved.eml"
    dialog.findChild(QLineEdit, "fileNameEdit").setText(str(target))  # as typed: selectFile() keeps the name
    dialog.accept()
    assert await saving is True
    assert target.read_bytes() == Outbox(context.database).raw(entry_id)
    assert mail.parse_message(target.read_bytes())["Subject"] == "Rapport d'intervention RI-2026-0042 – arrêté"

    assert await view.save_eml_to(entry_id, tmp_path / "missing" / "saved.eml") is False
    assert "Could not save" in close_message_box(view)


@pytest.mark.asyncio
async def test_open_ticket_shows_the_ticket_the_message_belongs_to(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    context = main_window.context
    ticket_id = first_ticket_id(context)
    entry_id = enqueue(context, "Rapport", ticket_id, settings=COMPOSING)
    view = await shown_outbox(main_window)
    choose(view, entry_id)
    view.ticket_action.trigger()
    assert main_window.stack.currentIndex() == 0
    [workspace] = [w for w in main_window.ticket_tabs.workspaces() if w.ticket_id == ticket_id]
    await workspace.reload_task


@pytest.mark.asyncio
async def test_the_periodic_flush_does_nothing_without_a_mail_server(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    context = main_window.context
    assert not context.settings.mail.is_configured
    entry_id = enqueue(context, "Rapport", settings=COMPOSING)
    sender = OutboxSender(context, main_window, interval_ms=20)
    changed, failed = signals(sender.changed), signals(sender.failed)
    sender.start()
    assert sender.active
    await asyncio.sleep(0.3)  # a dozen ticks
    sender.stop()
    assert await sender.flush() is None
    assert (changed, failed, sender.last_outcome, sender.last_failure) == ([], [], "", "")
    entry = Outbox(context.database).get(entry_id)
    assert (entry.state, entry.attempts) == (OutboxState.QUEUED, 0)


@pytest.mark.asyncio
async def test_the_window_starts_the_sender_with_the_database_and_never_flushes_twice_at_once(
    qtbot, main_window: MainWindow, mail_ready: SmtpServer
) -> None:  # type: ignore[no-untyped-def]
    server = mail_ready
    context = main_window.context
    entry_id = enqueue(context, "Rapport resté dans la boîte d'envoi")
    sender = main_window.outbox_sender
    assert not sender.active
    main_window.database_ready(context.database)  # what waited since the last exit goes out at once
    assert sender.active
    await until(lambda: len(server.messages) == 1, what="the message queued before the start")
    await until(lambda: not sender.busy and sender.last_outcome, what="the flush to end")
    assert Outbox(context.database).get(entry_id).state is OutboxState.SENT

    enqueue(context, "Deuxième rapport")
    enqueue(context, "Troisième rapport")
    results = await asyncio.gather(sender.flush(), sender.flush(), sender.flush(interactive=True))
    # The second periodic flush skipped its turn; the engineer's waited for the first, then found nothing due.
    assert [len(result) if result is not None else None for result in results] == [2, None, 0]
    assert len(server.wait_for_messages(3)) == 3


def test_the_settings_button_opens_the_settings_and_the_status_follows_them(
    qtbot, main_window: MainWindow, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from supportstation.gui.dialogs.settings_dialog import SettingsDialog

    opened: list[SettingsDialog] = []
    monkeypatch.setattr(SettingsDialog, "exec", lambda dialog: opened.append(dialog) or 0)
    view = main_window.outbox_view
    assert "No mail server is set" in view.server.text()
    qtbot.mouseClick(view.settings_button, Qt.MouseButton.LeftButton)
    assert len(opened) == 1
    mail_settings = MailSettings(host="smtp.infodepannage.fr", from_address="support@infodepannage.fr")
    main_window._save_settings(replace(main_window.context.settings, mail=mail_settings))
    assert "smtp.infodepannage.fr:587" in view.server.text() and "support@infodepannage.fr" in view.server.text()
