"""A ticket's Report tab: the draft of its latest intervention, edited beside a preview, then signed and saved.

Every call to the report core runs in a worker thread (see report_jobs.py) and the preview paints in its own, so the
form stays live while a long report is drafted, laid out or signed. Edits are saved to the draft half a second after
the engineer stops typing; a save started while another runs waits for it and sends the newer text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStandardPaths, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QMessageBox, QWidget

from supportstation.context import AppContext
from supportstation.i18n import _, ngettext
from supportstation.reports.signatures import CUSTOMER, ENGINEER, Signature

from ..dialog_future import answer, ask_save_path
from ..messages import warn
from ..shortcut_actions import MAIL_REPORT, PRINT_REPORT, SAVE_PDF, SIGN_REPORT, click_if_shown, make
from .report_jobs import Letter, ReportJobs, Shown, refusals
from .report_view import ReportView

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

    from supportstation.reports.plugin_sections import ReportPlugins

log = logging.getLogger(__name__)

SAVE_AFTER_MS = 500  # after the last keystroke: a save per word would redraw the preview for nothing


class ReportPanel(ReportView):
    recorded = Signal()  # the report was signed or e-mailed: the ticket's timeline has a new entry
    mail_queued = Signal()  # a message went into the outbox: the outbox view and its sender have news

    def __init__(
        self,
        context: AppContext,
        ticket_id: int,
        parent: QWidget | None = None,
        plugins: ReportPlugins | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.ticket_id = ticket_id
        self.jobs = (
            ReportJobs(context.database, context.settings, context.paths.config, context.paths.data, plugins)
            if context.database is not None
            else None
        )
        self.shown: Shown | None = None
        self.load_task: asyncio.Task[Any] | None = None
        self.last_dialog: QWidget | None = None  # the dialog or question open, for tests and screenshots
        self._tasks: set[asyncio.Task[Any]] = set()
        self._dirty = False  # edits made since the last save took the form's text
        self._saving = False
        self._save_again = False
        self._working = False  # signing, writing a PDF, making a revision: the form waits
        self._stale = False  # the ticket changed while the tab was hidden
        self._closed = False
        self._pdf_folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)

        self.retry_button.clicked.connect(self.load)
        self.form.edited.connect(self._edited)
        self.form.revision_chosen.connect(lambda report_id: self._schedule(self.show_revision(report_id)))
        self.sign_button.clicked.connect(self.sign)
        self.save_pdf_button.clicked.connect(self.save_pdf)
        self.new_revision_button.clicked.connect(lambda: self._schedule(self.new_revision()))
        self.print_button.clicked.connect(self.print_report)
        self.mail_button.clicked.connect(self.mail_report)
        for shortcut, button in ((SIGN_REPORT, self.sign_button), (SAVE_PDF, self.save_pdf_button),
                                 (PRINT_REPORT, self.print_button), (MAIL_REPORT, self.mail_button)):  # fmt: skip
            make(self, shortcut, click_if_shown(button))  # on the Report tab only, when the button is offered
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_AFTER_MS)
        self._save_timer.timeout.connect(lambda: self._schedule(self.save()))
        self.show_message(_("Opening the report…"), retry=False)
        self._update_buttons()

    # -- opening and showing ----------------------------------------------------------------------------------------

    def load(self) -> asyncio.Task[Any]:
        """Opens the report of the ticket's latest intervention (a new draft if it has none yet)."""
        self.load_task = self._schedule(self._open())
        return self.load_task

    async def _open(self) -> None:
        if self.jobs is None:
            self.show_message(_("No database is open: reports are kept in the database."), retry=False)
            return
        if self.shown is None:
            self.show_message(_("Opening the report…"), retry=False)
        try:
            shown = await asyncio.to_thread(self.jobs.open, self.ticket_id)
        except refusals() as refusal:  # no intervention yet: said, with what to do
            if not self._closed:
                self.show_message(
                    str(refusal)
                    + "\n\n"
                    + _(
                        "Click Start intervention above when you begin: the report is drafted from what the "
                        "intervention records (commands, procedures, notes, time and parts)."
                    ),
                    retry=True,
                )
            return
        except Exception as error:  # a database gone: said, and the tab can try again
            log.exception("The report could not be opened")
            self.show_message(_("The report could not be opened: {error}").format(error=error), retry=True)
            return
        if not self._closed:
            self._apply(shown, refill=True)

    async def show_revision(self, report_id: int) -> None:
        """Shows one of the ticket's reports (an older signed revision, or the current draft)."""
        if self.jobs is None or (self.shown is not None and self.shown.info.id == report_id):
            return
        await self.flush()
        shown = await self._run(_("Opening the revision…"), self.jobs.show, report_id)
        if shown is not None:
            self._apply(shown, refill=True)

    def _apply(self, shown: Shown, *, refill: bool) -> None:
        """Shows a report; the texts only when the engineer has not typed since they were sent to be saved."""
        if self._closed:
            return
        self.shown = shown
        built = shown.built
        summary = built.content.get("summary", "") if built else str(shown.info.edits.get("summary") or "")
        drafted = built.drafted_summary if built else ""
        if refill or not self._dirty:
            self._dirty = False
            self.form.show_report(shown.info, summary, drafted, shown.revisions, shown.template_sets)
        else:
            self.form.drafted_summary = drafted  # what "Restore" puts back follows the report's language
        problems = ([shown.problem] if shown.problem else []) + (built.problems if built else [])
        self.form.show_warning("\n".join(problems))
        self.show_report_page()
        if built is not None and shown.decor is not None:
            self.preview.show_document(built.html.html, built.html.images, shown.decor, shown.info.paper)
        else:
            self.preview.clear()
        self._update_buttons()

    # -- editing ----------------------------------------------------------------------------------------------------

    def _edited(self) -> None:
        self._dirty = True
        self.activity.setText(_("Not saved yet"))
        self._save_timer.start()

    async def flush(self) -> None:
        """Saves the edits not saved yet, and waits for a save under way."""
        if self._dirty:
            self._save_timer.stop()
            await self.save()
        while self._saving:
            await asyncio.sleep(0.02)

    async def save(self) -> None:
        """Saves the form to the draft and shows the draft as it now reads."""
        if self._saving:
            self._save_again = True  # the save under way sends the newer text when it is done
            return
        if self.jobs is None or self.shown is None or self.shown.info.signed:
            return
        self._saving = True
        try:
            while True:
                self._save_again = False
                self._dirty = False
                fields, report_id = self.form.fields(), self.shown.info.id
                self.activity.setText(_("Saving…"))
                try:
                    shown = await asyncio.to_thread(self.jobs.save, report_id, fields)
                except Exception as error:
                    from supportstation.reports.service import ReportLocked  # imported by the worker already

                    self._explain(_("Not saved"), error)
                    if not self._closed:
                        self.activity.setText(_("Not saved"))
                        if isinstance(error, ReportLocked):  # signed in another window meanwhile: show it signed
                            self._schedule(self._rebuild_any())
                    return
                if self._closed or self.shown is None or self.shown.info.id != report_id:
                    return  # another report is shown now
                self._apply(shown, refill=False)
                if not self._save_again:
                    break
            if not self._closed:
                self.activity.setText(_("Not saved yet") if self._dirty else _("Saved"))
        finally:
            self._saving = False

    def ticket_changed(self) -> None:
        """The ticket's timeline changed: a draft shows it (at once if the tab is shown, else when it is)."""
        self._stale = True
        if self.isVisible():
            self._refresh()

    def _refresh(self) -> None:
        self._stale = False
        if self.shown is None:
            if self.load_task is None or self.load_task.done():
                self.load()  # an intervention may have started since the tab said there was none
        elif not self.shown.info.signed and not self._dirty and not self._saving:
            self._schedule(self._rebuild(self.shown.info.id))

    async def _rebuild(self, report_id: int) -> None:
        if self.jobs is None:
            return
        try:
            shown = await asyncio.to_thread(self.jobs.show, report_id)
        except Exception as error:
            self._explain(_("The report could not be drawn"), error)
            return
        if not self._closed and self.shown is not None and self.shown.info.id == report_id:
            self._apply(shown, refill=False)

    # -- signing ----------------------------------------------------------------------------------------------------

    def sign(self) -> asyncio.Task[Any]:
        return self._schedule(self._sign_interactively())

    async def _sign_interactively(self) -> bool:
        from .signature_capture import SignatureDialog

        await self.flush()
        if self.shown is None or self.shown.built is None or self.shown.info.signed:
            return False
        content = self.shown.built.content
        if not content.get("actions"):
            box = QMessageBox(
                QMessageBox.Icon.Question,
                _("Sign a report without actions?"),
                _("This report lists no action: no command, transfer or note was recorded during the intervention."),
                QMessageBox.StandardButton.Cancel,
                self,
            )
            box.setInformativeText(_("Once signed, it cannot change. Sign it anyway?"))
            sign_anyway = box.addButton(_("Sign anyway"), QMessageBox.ButtonRole.AcceptRole)
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            self.last_dialog = box
            await answer(box)
            box.deleteLater()
            if box.clickedButton() is not sign_anyway:
                return False
        contact = str((content.get("contact") or {}).get("name", ""))
        signers = {CUSTOMER: contact, ENGINEER: self.context.settings.profile.name}
        dialog = SignatureDialog(signers, self)
        self.last_dialog = dialog
        accepted = await answer(dialog) == SignatureDialog.DialogCode.Accepted
        dialog.deleteLater()
        return accepted and await self.sign_with(dialog.signatures())

    async def sign_with(self, signatures: list[Signature]) -> bool:
        """Signs the report shown with these signatures; the tab then shows it signed and locked."""
        await self.flush()
        if self.jobs is None or self.shown is None or self.shown.info.signed:
            return False
        doing = _("Signing the report and writing its PDF…")
        shown = await self._run(doing, self.jobs.sign, self.shown.info.id, signatures)
        if shown is None:
            self._schedule(self._rebuild_any())  # signed elsewhere meanwhile, perhaps: show what is stored
            return False
        self._apply(shown, refill=True)
        self.activity.setText(_("Signed: the report can no longer change."))
        self.recorded.emit()
        return True

    async def _rebuild_any(self) -> None:
        if self.jobs is not None and self.shown is not None:
            shown = await self._run("", self.jobs.show, self.shown.info.id)
            if shown is not None:
                self._apply(shown, refill=True)

    # -- the PDF and revisions --------------------------------------------------------------------------------------

    def save_pdf(self) -> asyncio.Task[Any]:
        return self._schedule(self._choose_pdf_file())

    async def _choose_pdf_file(self) -> None:
        if self.shown is None:
            return
        suggested = Path(self._pdf_folder or Path.home()) / self.shown.info.file_name
        path = await ask_save_path(
            self, _("Save the report as PDF"), suggested, _("PDF documents (*.pdf)"), "pdf", self._keep_dialog
        )
        if path is not None:
            await self.save_pdf_to(path)

    async def save_pdf_to(self, path: Path) -> bool:
        """Writes the report shown as PDF (a signed one exactly as it was signed); says so when it cannot."""
        await self.flush()
        if self.jobs is None or self.shown is None:
            return False
        texts = (_("Writing the PDF…"), _("PDF not saved"), _("PDF saved to {path}"))
        return await self._write_file(path, texts, self.jobs.write_pdf, self.shown.info.id, path)

    async def new_revision(self) -> bool:
        """A new draft of the signed report shown, with its texts, to correct and sign again."""
        if self.jobs is None or self.shown is None or not self.shown.info.signed:
            return False
        shown = await self._run(_("Making a new revision…"), self.jobs.new_revision, self.shown.info.id)
        if shown is None:
            return False
        self._apply(shown, refill=True)
        revision = shown.info.revision
        self.activity.setText(_("Revision {revision} is a draft: correct it, then sign it.").format(revision=revision))
        return True

    # -- printing and e-mail ---------------------------------------------------------------------------------------

    def print_report(self) -> asyncio.Task[Any]:
        return self._schedule(self._choose_printer())

    async def _choose_printer(self) -> None:
        from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter

        await self.flush()
        if self.shown is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.shown.info.file_name)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(_("Print the report"))
        # Every page is printed: a report missing a page is not the one the customer signed.
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, False)
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintSelection, False)
        self.last_dialog = dialog
        accepted = await answer(dialog) == QPrintDialog.DialogCode.Accepted
        dialog.deleteLater()
        if accepted:
            await self.print_on(printer)

    async def print_on(self, printer: QPrinter) -> bool:
        """Prints the report shown on a printer set up beforehand (by the print dialog, or a test's CUPS queue)."""
        await self.flush()
        if self.jobs is None or self.shown is None:
            return False
        name = printer.printerName() or printer.outputFileName()
        doing = _("Printing on {printer}…").format(printer=name)
        pages = await self._run(doing, self.jobs.print_on, self.shown.info.id, printer)
        if pages is None:
            return False
        self.activity.setText(
            ngettext("{count} page sent to {printer}", "{count} pages sent to {printer}", pages).format(
                count=pages, printer=name
            )
        )
        return True

    def mail_report(self) -> asyncio.Task[Any]:
        return self._schedule(self._compose_mail())

    async def _compose_mail(self) -> None:
        from .mail_dialog import SAVE_EML, MailDialog

        if self.jobs is None or self.shown is None or not self.shown.info.signed:
            return
        report_id = self.shown.info.id
        draft = await self._run(_("Preparing the e-mail…"), self.jobs.mail_draft, report_id)
        if draft is None or self._closed:
            return
        dialog = MailDialog(draft, self.context.settings.mail, self)
        self.last_dialog = dialog
        accepted = await answer(dialog) == MailDialog.DialogCode.Accepted
        letter, chosen = dialog.letter(), dialog.chosen
        dialog.deleteLater()
        if not accepted:
            return
        if chosen == SAVE_EML:
            await self._choose_eml_file(report_id, letter)
        else:
            await self.send_mail(report_id, letter)

    async def send_mail(self, report_id: int, letter: Letter) -> bool:
        """Puts the report's e-mail in the outbox and sends it at once when the server answers; a message that
        cannot leave now stays queued, retried by the window (or `supportstation outbox send`)."""
        from ..mail_sending import MailNotReady, send_due

        if self.jobs is None:
            return False
        entry_id = await self._run(_("Putting the e-mail in the outbox…"), self.jobs.queue_mail, report_id, letter)
        if entry_id is None:
            return False
        self.mail_queued.emit()
        to = ", ".join(letter.to)
        self._set_working(_("Sending the e-mail to {to}…").format(to=to))
        try:
            outcomes = await send_due(self.context, self, interactive=True)
            outcome = next((item for item in outcomes if item.id == entry_id), None)
            reason = outcome.error if outcome is not None else _("another message in the outbox went first")
        except MailNotReady as error:
            outcome, reason = None, str(error)
        except Exception as error:  # a MailError about the settings or the password: said, the message waits
            if not isinstance(error, refusals()):
                log.exception("The outbox could not be sent")
            outcome, reason = None, str(error)
        finally:
            self._set_working("")
        self.mail_queued.emit()
        if outcome is not None and outcome.sent:
            self.recorded.emit()  # "e-mail sent" is on the timeline
            self.activity.setText(_("Report e-mailed to {to}.").format(to=to))
            return True
        self.activity.setText(
            _("The e-mail waits in the outbox ({reason}); it is sent again automatically.").format(reason=reason)
        )
        return False

    async def _choose_eml_file(self, report_id: int, letter: Letter) -> None:
        if self.shown is None:
            return
        suggested = Path(self._pdf_folder or Path.home()) / (Path(self.shown.info.file_name).stem + ".eml")
        path = await ask_save_path(
            self, _("Save the e-mail"), suggested, _("E-mail messages (*.eml)"), "eml", self._keep_dialog
        )
        if path is not None:
            await self.save_mail_to(report_id, letter, path)

    def _keep_dialog(self, dialog: QWidget) -> None:
        self.last_dialog = dialog

    async def save_mail_to(self, report_id: int, letter: Letter, path: Path) -> bool:
        if self.jobs is None:
            return False
        texts = (_("Writing the e-mail…"), _("E-mail not saved"), _("E-mail saved to {path}"))
        return await self._write_file(path, texts, self.jobs.save_mail, report_id, letter, path)

    async def _write_file(self, path: Path, texts: tuple[str, str, str], work: Any, *args: Any) -> bool:
        """Runs `work(*args)`, which writes `path`, in a worker thread, and says how it went. `texts`: what is being
        done, the title when it fails, the message when it is written (with {path})."""
        doing, not_saved, saved = texts
        try:
            size = await self._run(doing, work, *args, quiet=True)
        except OSError as error:
            reason = error.strerror or str(error)
            message = _("Cannot write {path}: {reason}").format(path=path, reason=reason)
            self.last_dialog = warn(self, not_saved, message)
            return False
        if size is None:
            return False
        self._pdf_folder = str(path.parent)
        self.activity.setText(saved.format(path=path))
        return True

    # -- running work -----------------------------------------------------------------------------------------------

    def _schedule(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, doing: str, work: Any, *args: Any, quiet: bool = False) -> Any:
        """Runs `work(*args)` in a worker thread while the form waits; None when it was refused (and said why).
        With `quiet`, an OSError is left to the caller, who knows what was being written."""
        self._set_working(doing)
        try:
            return await asyncio.to_thread(work, *args)
        except Exception as error:
            if quiet and isinstance(error, OSError):
                raise
            self._explain(_("Not done"), error)
            return None
        finally:
            self._set_working("")

    def _explain(self, title: str, error: Exception) -> None:
        if self._closed:
            return
        if not isinstance(error, refusals()):
            log.error("Report work failed", exc_info=error)
        self.last_dialog = warn(self, title, str(error) or type(error).__name__)

    def _set_working(self, doing: str) -> None:
        if self._closed:
            return
        self._working = bool(doing)
        self.show_activity(doing, working=self._working)
        self._update_buttons()

    def _update_buttons(self) -> None:
        shown, idle = self.shown, not self._working
        info = shown.info if shown else None
        latest = False  # only the latest revision of a number gets a next one
        if shown is not None and info is not None:
            revisions = [revision.revision for revision in shown.revisions if revision.number == info.number]
            latest = info.revision == max(revisions, default=info.revision)
        self.sign_button.setEnabled(bool(idle and shown and shown.built and info and not info.signed))
        self.save_pdf_button.setEnabled(bool(idle and shown and (shown.built or (info and info.signed))))
        self.new_revision_button.setEnabled(bool(idle and info and info.signed and latest))
        self.print_button.setEnabled(bool(idle and shown and (shown.built or (info and info.signed))))
        self.mail_button.setEnabled(bool(idle and info and info.signed))
        self.mail_button.setToolTip(
            _("E-mail the signed report with its PDF") if info and info.signed else _("Sign the report to e-mail it")
        )

    # -- the tab ----------------------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._refresh()

    def closing(self) -> None:
        """The ticket's tab closes: edits not saved yet are saved, the preview's document is let go."""
        self._save_timer.stop()
        if self._dirty and self.jobs is not None and self.shown is not None and not self.shown.info.signed:
            # Taken now: the form is gone by the time a coroutine would read it.
            self._schedule(asyncio.to_thread(self.jobs.save, self.shown.info.id, self.form.fields()))
        self._closed = True
        self.preview.closing()
