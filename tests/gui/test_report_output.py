"""The report leaves the laptop: from the demo's worked ticket, previewed in French, signed on screen, saved as PDF,
printed on a real CUPS queue and e-mailed through a real SMTP server (aiosmtpd, STARTTLS and AUTH), first while the
server is down (the message waits in the outbox) and then when it is back (delivered once)."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
from pathlib import Path

import pytest
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog
from sqlalchemy import select

from supportstation.gui.mail_sending import send_due
from supportstation.gui.main_window import MainWindow
from supportstation.gui.reports.mail_dialog import MailDialog
from supportstation.gui.reports.report_jobs import Letter
from supportstation.gui.reports.report_panel import ReportPanel
from supportstation.reports.mail import PASSWORD_KEY
from supportstation.reports.outbox import Outbox, OutboxState
from supportstation.reports.printing import printer_named
from supportstation.storage.models import TimelineEvent
from tests.gui.conftest import shot
from tests.gui.test_remote_panel import until
from tests.gui.test_report_panel import CUSTOMER_NAME, pdf_text, preview_painted, report_tab, signatures
from tests.servers.cups import CupsServer, FileQueue
from tests.servers.smtp import TEST_PASSWORD, SmtpServer

CUSTOMER_EMAIL = "secretariat@cabinet-tilleuls.fr"  # the demo ticket's contact


def use_mail_server(window: MainWindow, server: SmtpServer) -> None:
    from supportstation.vault import open_vault
    from supportstation.vault.crypto import ScryptParameters

    context = window.context
    context.settings.mail = server.settings()
    vault = open_vault(context.paths, backend="file", scrypt=ScryptParameters(n=2**10))
    vault.unlock("test master password")
    vault.store(PASSWORD_KEY, TEST_PASSWORD)
    context.vault = vault


async def signed_french_report(window: MainWindow) -> ReportPanel:
    panel = await report_tab(window)
    panel.form.language.setCurrentIndex(panel.form.language.findData("fr"))
    await until(lambda: panel.shown is not None and panel.shown.info.language == "fr", what="the French draft")
    await preview_painted(panel, "the French preview")
    assert "Problème signalé" in panel.shown.built.html.html
    assert await panel.sign_with(signatures())
    await preview_painted(panel, "the signed preview")
    return panel


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.asyncio
async def test_signed_in_french_saved_printed_and_e_mailed_through_the_outbox(  # type: ignore[no-untyped-def]
    qtbot, main_window, tmp_path: Path, cups_server: CupsServer, cups_file_printer: FileQueue, smtp_server: SmtpServer
) -> None:
    panel = await signed_french_report(main_window)
    info = panel.shown.info
    assert info.signed and panel.mail_button.isEnabled() and panel.print_button.isEnabled()

    # Saved: the archived PDF, in French, with the customer's name.
    saved = tmp_path / info.file_name
    assert await panel.save_pdf_to(saved)
    text = flat(pdf_text(saved.read_bytes()))
    assert f"Rapport d'intervention {info.number}" in text and CUSTOMER_NAME in text and "Page 1 sur" in text
    pages = tmp_path / "pages"
    pages.mkdir()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(saved), str(pages / "page")], check=True)
    assert len(list(pages.glob("page*.png"))) >= 2

    # Print… opens the system's print dialog, without page ranges: a report is printed whole.
    task = panel.print_report()
    await until(lambda: isinstance(panel.last_dialog, QPrintDialog), what="the print dialog")
    print_dialog = panel.last_dialog
    assert not print_dialog.testOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange)
    await asyncio.sleep(0.2)
    shot(print_dialog, "report_print_dialog")
    print_dialog.reject()
    await task

    # Printed on the CUPS queue that writes to a file: the job is the report, every page.
    completed = len(cups_server.job_ids("FilePDF", "completed"))
    assert await panel.print_on(printer_named("FilePDF"))
    printed = cups_server.wait_for_output(cups_file_printer, completed)
    printed_text = flat(pdf_text(printed))
    assert f"Rapport d'intervention {info.number}" in printed_text and CUSTOMER_NAME in printed_text
    assert "sent to FilePDF" in panel.activity.text()

    # E-mail, with the server down: the dialog proposes the contact and the French texts; the message waits.
    use_mail_server(main_window, smtp_server)
    smtp_server.stop()
    task = panel.mail_report()
    await until(lambda: isinstance(panel.last_dialog, MailDialog), what="the e-mail dialog")
    dialog = panel.last_dialog
    assert CUSTOMER_EMAIL in dialog.to_edit.text() and CUSTOMER_NAME in dialog.to_edit.text()
    assert info.number in dialog.subject_edit.text()
    assert "Bonjour" in dialog.body_edit.toPlainText()
    assert "ingenieur@example.test" in dialog.sender.text()
    dialog.to_edit.setText("pas une adresse")
    assert not dialog.send_button.isEnabled() and "pas une adresse" in dialog.problem.text()
    dialog.to_edit.setText(f"{CUSTOMER_NAME} <{CUSTOMER_EMAIL}>")
    dialog.cc_edit.setText("compta@cabinet-tilleuls.fr")
    assert dialog.send_button.isEnabled() and not dialog.problem.text()
    await asyncio.sleep(0.1)
    shot(dialog, "report_mail_dialog")
    dialog.send_button.click()
    await task
    assert "waits in the outbox" in panel.activity.text()
    outbox = Outbox(main_window.context.database)
    [entry] = outbox.list()
    assert entry.state is OutboxState.QUEUED and entry.attempts == 1 and entry.last_error
    assert sorted(entry.recipients) == ["compta@cabinet-tilleuls.fr", CUSTOMER_EMAIL]
    assert smtp_server.messages == []

    # The server is back: the window's retry delivers it, once, with the PDF intact and the same Message-ID.
    smtp_server.start()
    outbox.retry_now(entry.id)  # instead of waiting for the back-off
    [outcome] = await send_due(main_window.context, main_window, interactive=False)
    assert outcome.sent
    [received] = smtp_server.wait_for_messages(1)
    message = received.parsed()
    assert message["Message-ID"] == entry.message_id
    [attachment] = list(message.iter_attachments())
    archived = saved.read_bytes()
    assert hashlib.sha256(attachment.get_content()).hexdigest() == hashlib.sha256(archived).hexdigest()
    assert await send_due(main_window.context, main_window, interactive=False) == []  # nothing sent twice
    assert len(smtp_server.messages) == 1
    with main_window.context.database.session() as session:
        kinds = session.scalars(select(TimelineEvent.kind).where(TimelineEvent.ticket_id == panel.ticket_id)).all()
    assert "mail_sent" in kinds


@pytest.mark.asyncio
async def test_sent_at_once_when_the_server_answers_and_saved_as_eml(  # type: ignore[no-untyped-def]
    qtbot, main_window, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    panel = await signed_french_report(main_window)
    use_mail_server(main_window, smtp_server)
    report_id = panel.shown.info.id
    draft = await asyncio.to_thread(panel.jobs.mail_draft, report_id)
    letter = Letter([f"{CUSTOMER_NAME} <{CUSTOMER_EMAIL}>"], [], "Votre rapport", "Bonjour,\n\nCi-joint.\n")
    assert draft.attachment_name.endswith(".pdf") and draft.attachment_size > 10_000

    assert await panel.send_mail(report_id, letter)
    assert "e-mailed" in panel.activity.text()
    [received] = smtp_server.wait_for_messages(1)
    assert received.parsed()["Subject"] == "Votre rapport"

    eml = tmp_path / "rapport.eml"
    assert await panel.save_mail_to(report_id, letter, eml)
    assert b"Subject: Votre rapport" in eml.read_bytes()
    assert b"application/pdf" in eml.read_bytes()
    assert len(Outbox(main_window.context.database).list()) == 1  # saving as .eml queues nothing


@pytest.mark.asyncio
async def test_a_draft_cannot_be_e_mailed_and_a_wrong_password_keeps_the_message(  # type: ignore[no-untyped-def]
    qtbot, main_window, smtp_server: SmtpServer
) -> None:
    panel = await report_tab(main_window)
    await preview_painted(panel)
    assert not panel.mail_button.isEnabled() and "Sign" in panel.mail_button.toolTip()
    assert panel.print_button.isEnabled()  # a draft can be printed, to be read before signing

    assert await panel.sign_with(signatures())
    use_mail_server(main_window, smtp_server)
    main_window.context.vault.store(PASSWORD_KEY, "not the password")
    letter = Letter([CUSTOMER_EMAIL], [], "Rapport", "Bonjour")
    assert not await panel.send_mail(panel.shown.info.id, letter)
    [entry] = Outbox(main_window.context.database).list()
    assert entry.state is OutboxState.HELD and "refused" in entry.last_error.lower()
    assert "waits in the outbox" in panel.activity.text()
    assert smtp_server.messages == []
