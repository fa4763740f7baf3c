"""The Report tab of a ticket, driven through the real main window over the demo database: the draft edited and
saved, the preview painted off the GUI thread, the report signed, saved as PDF and revised."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import delete, select, update

from supportstation import demo
from supportstation.clock import utc_now
from supportstation.gui.main_window import MainWindow
from supportstation.gui.reports.report_panel import ReportPanel
from supportstation.gui.reports.signature_capture import SignatureDialog
from supportstation.reports.signatures import CUSTOMER, ENGINEER, Signature
from supportstation.storage.models import Intervention, Ticket, TimelineEvent
from supportstation.storage.report_models import Report
from tests.gui.conftest import shot
from tests.gui.test_remote_panel import until

CUSTOMER_NAME = "Dr Hélène Fabre"  # the contact of the demo's worked ticket


def ticket_id_of(window: MainWindow, reference: str) -> int:
    with window.context.database.session() as session:
        return session.scalars(select(Ticket.id).where(Ticket.reference == reference)).one()


async def report_tab(window: MainWindow, reference: str = demo.WORKED_TICKET) -> ReportPanel:
    window.resize(1366, 800)
    window.database_ready(window.context.database)
    await window.refresh()
    workspace = window.open_ticket(ticket_id_of(window, reference))
    await workspace.reload_task
    await workspace.show_report()
    return workspace.report_panel


async def preview_painted(panel: ReportPanel, what: str = "the preview") -> None:
    await until(panel.preview.is_current, timeout=30, what=what)


def signature_png(text: str) -> bytes:
    image = QImage(360, 120, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#14213d"), 3))
    for x in range(10, 330, 40):
        painter.drawLine(QPointF(x, 80), QPointF(x + 25, 30 + (x % 30)))
    painter.drawText(20, 110, text)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def signatures() -> list[Signature]:
    return [
        Signature(CUSTOMER, CUSTOMER_NAME, utc_now(), signature_png("HF")),
        Signature(ENGINEER, "Camille Martin", utc_now(), signature_png("CM")),
    ]


def pdf_text(document: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=document, capture_output=True, check=True).stdout.decode()


@pytest.mark.asyncio
async def test_the_draft_opens_with_its_number_edits_are_saved_and_the_preview_paints(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    panel = await report_tab(main_window)
    form = panel.form
    assert form.number.text().startswith("RI-")
    assert form.state.text() == "Draft"
    assert form.summary.toPlainText() == form.drafted_summary != ""
    assert not form.summary.isReadOnly() and panel.sign_button.isEnabled()
    assert panel.print_button.isEnabled() and not panel.mail_button.isEnabled()  # only a signed report is e-mailed
    await preview_painted(panel)
    assert panel.preview.geometry.pages >= 1
    assert "page" in panel.preview.page_label.text()
    image = panel.preview.canvas.images[0]
    assert image.width() > 300 and not image.isNull()
    await asyncio.sleep(0.2)
    shot(panel, "report_draft")

    # The engineer rewrites the summary and adds a recommendation: saved to the draft after a short pause.
    form.summary.setPlainText("Ventilateur du NAS nettoyé, température revenue à 41 °C.")
    form.recommendations.setPlainText("Remplacer le ventilateur sous un mois.")
    form.paper.setCurrentIndex(form.paper.findData("letter"))
    await until(lambda: panel.activity.text() == "Saved", what="the edits to be saved")
    with main_window.context.database.session() as session:
        report = session.get(Report, panel.shown.info.id)
        assert report.edits["summary"].startswith("Ventilateur du NAS nettoyé")
        assert report.edits["recommendations"] == "Remplacer le ventilateur sous un mois."
        assert report.paper == "letter"
    assert panel.shown.built.content["summary"].startswith("Ventilateur du NAS nettoyé")
    await preview_painted(panel, "the preview of the edited draft")
    assert abs(panel.preview.geometry.aspect - 11 / 8.5) < 0.01

    # Restoring the drafted summary makes it follow the timeline again.
    form.restore_button.click()
    assert form.summary.toPlainText() == form.drafted_summary
    await until(lambda: panel.activity.text() == "Saved", what="the restored summary to be saved")
    with main_window.context.database.session() as session:
        assert session.get(Report, panel.shown.info.id).edits["summary"] is None

    # Closing the ticket right after typing loses nothing.
    form.follow_up.setPlainText("Rappeler le client lundi.")
    report_id = panel.shown.info.id
    tabs = main_window.ticket_tabs
    tabs.tabCloseRequested.emit(tabs.currentIndex())

    def follow_up_saved() -> bool:
        with main_window.context.database.session() as session:
            return session.get(Report, report_id).edits["follow_up"] == "Rappeler le client lundi."

    await until(follow_up_saved, what="the last edit to be saved as the tab closed")


@pytest.mark.asyncio
async def test_signing_locks_the_report_saves_its_pdf_and_a_new_revision_reopens_it(  # type: ignore[no-untyped-def]
    qtbot, main_window, tmp_path: Path
) -> None:
    panel = await report_tab(main_window)
    await preview_painted(panel)
    assert not panel.new_revision_button.isEnabled()

    # "Sign…" asks both signers, with the names already filled in.
    task = panel.sign()
    await until(lambda: isinstance(panel.last_dialog, SignatureDialog), what="the signature dialog")
    dialog = panel.last_dialog
    assert dialog.captures[CUSTOMER].name_edit.text() == CUSTOMER_NAME
    assert dialog.captures[ENGINEER].name_edit.text() == "Camille Martin"
    await asyncio.sleep(0.1)
    shot(dialog, "report_signature_dialog")
    dialog.reject()
    assert await task is False

    panel.form.follow_up.setPlainText("Rappeler lundi.")  # typed just before signing: signed with the report
    assert await panel.sign_with(signatures())
    form = panel.form
    assert form.state.text().startswith("Signed on ") and CUSTOMER_NAME in form.state.text()
    assert form.summary.isReadOnly() and form.follow_up.isReadOnly() and not form.language.isEnabled()
    assert not panel.sign_button.isEnabled() and panel.new_revision_button.isEnabled()
    await preview_painted(panel, "the signed preview")
    await asyncio.sleep(0.2)
    shot(panel, "report_signed")
    bar = panel.preview.scroll.verticalScrollBar()
    bar.setValue(bar.maximum())  # the signatures, on the last page
    await asyncio.sleep(0.1)
    await preview_painted(panel, "the last page of the signed report")
    await asyncio.sleep(0.2)
    shot(panel, "report_signed_last_page")
    report_id = panel.shown.info.id
    with main_window.context.database.session() as session:
        report = session.get(Report, report_id)
        assert report.state == "signed" and report.edits["follow_up"] == "Rappeler lundi."
        stored = bytes(report.pdf)
    text = pdf_text(stored)
    assert CUSTOMER_NAME in text and "Rappeler lundi." in text

    # Saved as PDF: the archived document, byte for byte; a folder that does not exist is said.
    assert await panel.save_pdf_to(tmp_path / panel.shown.info.file_name)
    assert (tmp_path / panel.shown.info.file_name).read_bytes() == stored
    assert not await panel.save_pdf_to(tmp_path / "missing" / "report.pdf")
    assert isinstance(panel.last_dialog, QMessageBox) and "missing" in panel.last_dialog.text()
    panel.last_dialog.close()

    # A new revision: same number, revision 2, editable again with the same texts.
    number = form.number.text()
    assert await panel.new_revision()
    assert panel.shown.info.revision == 2 and form.number.text() == number
    assert form.state.text() == "Draft" and not form.summary.isReadOnly()
    assert form.follow_up.toPlainText() == "Rappeler lundi."
    assert [form.revisions.itemText(i) for i in range(form.revisions.count())] == [
        f"{number} rev. 1 (signed)",
        f"{number} rev. 2 (draft)",
    ]
    assert panel.sign_button.isEnabled() and not panel.new_revision_button.isEnabled()

    # The signed revision 1 can still be looked at.
    await panel.show_revision(report_id)
    assert form.state.text().startswith("Signed on ") and form.summary.isReadOnly()
    assert not panel.new_revision_button.isEnabled()  # revision 2 exists already
    await preview_painted(panel, "the preview of revision 1")


@pytest.mark.asyncio
async def test_signing_a_report_without_actions_asks_first(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    ticket_id = ticket_id_of(main_window, demo.WORKED_TICKET)
    with main_window.context.database.session() as session:
        session.execute(delete(TimelineEvent).where(TimelineEvent.ticket_id == ticket_id))
    panel = await report_tab(main_window)
    assert panel.shown.built.content["actions"] == []
    task = panel.sign()
    await until(lambda: isinstance(panel.last_dialog, QMessageBox), what="the question")
    assert "no action" in panel.last_dialog.text()
    panel.last_dialog.reject()
    assert await task is False
    assert not isinstance(panel.last_dialog, SignatureDialog)


@pytest.mark.asyncio
async def test_a_ticket_without_intervention_says_what_to_do(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    with main_window.context.database.session() as session:
        ticket = session.scalars(select(Ticket).where(~Ticket.interventions.any()).order_by(Ticket.id)).first()
        reference = ticket.reference
    panel = await report_tab(main_window, reference)
    assert panel.stack.currentIndex() == 0
    assert "no intervention" in panel.message.text() and "Start intervention" in panel.message.text()
    assert panel.retry_button.isVisible()
    await asyncio.sleep(0.1)
    shot(panel, "report_no_intervention")
    with main_window.context.database.session() as session:
        assert session.scalars(select(Report)).all() == []

    # Once the intervention starts, the tab drafts its report without being asked.
    workspace = main_window.ticket_tabs.currentWidget()
    with main_window.context.database.session() as session:  # one intervention runs at a time: end the demo's
        session.execute(update(Intervention).where(Intervention.ended_at.is_(None)).values(ended_at=utc_now()))
    await workspace.start_intervention()
    assert workspace.detail.open_intervention is not None
    await until(lambda: panel.shown is not None, what="the draft of the new intervention")
    assert panel.stack.currentIndex() == 1 and panel.form.number.text().startswith("RI-")


@pytest.mark.asyncio
async def test_the_preview_of_a_long_report_never_stalls_the_window(qtbot, main_window, stall_probe) -> None:  # type: ignore[no-untyped-def]
    ticket_id = ticket_id_of(main_window, demo.WORKED_TICKET)
    with main_window.context.database.session() as session:
        intervention = session.scalars(select(Intervention).where(Intervention.ticket_id == ticket_id)).first()
        for number in range(450):
            session.add(
                TimelineEvent(
                    ticket_id=ticket_id,
                    intervention_id=intervention.id,
                    created_at=intervention.started_at + timedelta(seconds=number),
                    kind="note",
                    summary=f"Relevé {number}",
                    body=f"Relevé {number} : " + "température du disque relevée et comparée au seuil. " * 6,
                )
            )
    panel = await report_tab(main_window)
    stall_probe.reset()
    await preview_painted(panel, "the first pages")
    assert panel.preview.geometry.pages >= 50
    # Scrolling through the report paints the pages reached, one at a time, off the GUI thread.
    bar = panel.preview.scroll.verticalScrollBar()
    for fraction in (0.25, 0.5, 0.75, 1.0):
        bar.setValue(round(bar.maximum() * fraction))
        await asyncio.sleep(0.05)
    await preview_painted(panel, "the last pages")
    assert panel.preview.geometry.pages - 1 in panel.preview.rendered_pages()
    # An edit while the preview paints: the older render gives way to the newer one.
    panel.form.recommendations.setPlainText("Surveiller la température.")
    await until(lambda: panel.activity.text() == "Saved", timeout=30, what="the edit to be saved")
    await preview_painted(panel, "the preview after the edit")
    print(f"\nlong report ({panel.preview.geometry.pages} pages): longest stall {stall_probe.longest_gap_ms:.0f} ms")
    assert stall_probe.longest_gap_ms < 100, stall_probe.stalls
    assert len(panel.preview.canvas.images) <= 12  # only the pages around the view are kept
    shot(panel, "report_long")


@pytest.mark.asyncio
async def test_zoom_and_fit_width(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    panel = await report_tab(main_window)
    await preview_painted(panel)
    preview = panel.preview
    fitted = preview.canvas.page_width
    assert fitted <= preview.scroll.viewport().width()
    preview.zoom_in_button.click()
    assert not preview.fit_button.isChecked() and preview.canvas.page_width > fitted
    await preview_painted(panel, "the zoomed pages")
    assert preview.canvas.images[0].deviceIndependentSize().width() == pytest.approx(preview.canvas.page_width, abs=1)
    preview.fit_button.click()
    assert preview.fit_button.isChecked() and preview.canvas.page_width == fitted
    assert preview.zoom_label.text().endswith("%")
    qtbot.mouseClick(preview.zoom_out_button, Qt.MouseButton.LeftButton)
    assert preview.canvas.page_width < fitted


@pytest.mark.asyncio
async def test_a_broken_company_template_is_shown_as_a_warning(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    folder = main_window.context.paths.config / "report_templates" / "default" / "fr"
    folder.mkdir(parents=True)
    (folder / "report.html.j2").write_text("<h1>{{ report.number }</h1>\n", encoding="utf-8")
    panel = await report_tab(main_window)
    assert panel.form.warning.isVisible()
    assert "report.html.j2" in panel.form.warning.text() and "line 1" in panel.form.warning.text()
    await preview_painted(panel)  # the standard template was used instead: there is still a report to show
    await asyncio.sleep(0.1)
    shot(panel, "report_template_problem")
