"""The e-mail of a signed report, reviewed before it goes: recipients from the ticket's contact, the subject and body
from the report's templates (editable), the PDF named with its size, and where it will be sent from.

The dialog only gathers the letter: the Report tab queues it in the outbox (or saves it as .eml) in a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _
from supportstation.settings import MailSettings

from ..units import format_size
from .report_jobs import Letter

if TYPE_CHECKING:
    from supportstation.reports.report_mail import MailDraft

SEND, SAVE_EML = "send", "eml"


class MailDialog(QDialog):
    def __init__(self, draft: MailDraft, settings: MailSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportMailDialog")
        self.setWindowTitle(_("E-mail the report"))
        self.resize(640, 560)
        self.chosen = ""  # SEND or SAVE_EML once the dialog is accepted

        self.sender = QLabel(_sender_text(settings))
        self.sender.setTextFormat(Qt.TextFormat.PlainText)
        self.sender.setWordWrap(True)
        self.to_edit = QLineEdit(", ".join(draft.to))
        self.to_edit.setPlaceholderText(_("name@example.com, another@example.com"))
        self.cc_edit = QLineEdit()
        self.subject_edit = QLineEdit(draft.subject)
        self.subject_edit.setCursorPosition(0)  # a long subject shows its beginning (the report's number), not its end
        self.body_edit = QPlainTextEdit(draft.body)
        self.attachment = QLabel(f"{draft.attachment_name} ({format_size(draft.attachment_size)})")
        self.attachment.setTextFormat(Qt.TextFormat.PlainText)
        self.problem = QLabel()
        self.problem.setObjectName("mailProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b3261e;")
        self.notes = QLabel("\n".join(draft.problems))  # a company template that failed: the shipped one is used
        self.notes.setWordWrap(True)
        self.notes.setVisible(bool(draft.problems))

        form = QFormLayout()
        form.addRow(_("From:"), self.sender)
        form.addRow(_("To:"), self.to_edit)
        form.addRow(_("Cc:"), self.cc_edit)
        form.addRow(_("Subject:"), self.subject_edit)
        form.addRow(_("Attached:"), self.attachment)

        buttons = QDialogButtonBox()
        self.send_button = buttons.addButton(_("Send"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.eml_button = QPushButton(_("Save as .eml…"))
        self.eml_button.setToolTip(_("A file any mail program opens, to send from there; nothing is queued."))
        buttons.addButton(self.eml_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.send_button.setDefault(True)
        if not settings.is_configured:
            self.send_button.setText(_("Put in the outbox"))
        self.send_button.clicked.connect(lambda: self._choose(SEND))
        self.eml_button.clicked.connect(lambda: self._choose(SAVE_EML))
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.body_edit, 1)
        layout.addWidget(self.notes)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.to_edit.textChanged.connect(self._check)
        self.cc_edit.textChanged.connect(self._check)
        self.subject_edit.textChanged.connect(self._check)
        self._check()
        if not draft.to:
            self.to_edit.setFocus()

    def letter(self) -> Letter:
        from supportstation.reports.mail import split_addresses

        return Letter(
            split_addresses(self.to_edit.text()),
            split_addresses(self.cc_edit.text()),
            self.subject_edit.text().strip(),
            self.body_edit.toPlainText(),
        )

    def _check(self) -> None:
        problem = self._problem()
        self.problem.setText(problem)
        self.send_button.setEnabled(not problem)
        self.eml_button.setEnabled(not problem)

    def _problem(self) -> str:
        from supportstation.reports.mail import MailError, parse_recipient, split_addresses

        to = split_addresses(self.to_edit.text())
        if not to:
            return _("Give at least one recipient in To.")
        for address in [*to, *split_addresses(self.cc_edit.text())]:
            try:
                parse_recipient(address)
            except MailError as error:
                return str(error)
        if not self.subject_edit.text().strip():
            return _("The subject is empty.")
        return ""

    def _choose(self, what: str) -> None:
        if self._problem():
            return
        self.chosen = what
        self.accept()


def _sender_text(settings: MailSettings) -> str:
    if not settings.is_configured:
        return _(
            "No mail server is set yet (Settings, E-mail): the message waits in the outbox until one is, or save it "
            "as .eml for another mail program."
        )
    sender = settings.from_address.strip()
    name = settings.from_name.strip()
    via = _("via {server}").format(server=f"{settings.host.strip()}:{settings.port}")
    return f"{name} <{sender}> {via}" if name else f"{sender} {via}"
