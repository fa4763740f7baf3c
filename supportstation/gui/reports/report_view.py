"""The Report tab's layout: a bar with the report's number and actions over the form (left) and the preview
(right), or a message in place of both while there is no report to show. The panel (report_panel.py) drives it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _

from .report_form import ReportForm
from .report_preview import ReportPreview

FORM_SHARE = 0.4  # of the tab's width, the rest being the preview


class ReportView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sized = False
        self.message = QLabel()
        self.message.setObjectName("reportMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton(_("Look again"))
        self.retry_button.setToolTip(_("Look for an intervention to report on again"))
        message_page = QWidget()
        # Centred by stretches, not by an alignment flag: a wrapped label given an alignment gets the height of
        # its one-line size and cuts its text.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.message, 4)
        row.addStretch(1)
        message_layout = QVBoxLayout(message_page)
        message_layout.addStretch(1)
        message_layout.addLayout(row)
        message_layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignHCenter)
        message_layout.addStretch(2)

        self.form = ReportForm()
        self.sign_button = QPushButton(_("Sign…"))
        self.sign_button.setObjectName("signReport")
        self.sign_button.setToolTip(_("The customer and you sign on the screen; the report can no longer change"))
        self.save_pdf_button = QPushButton(_("Save PDF…"))
        self.new_revision_button = QPushButton(_("New revision"))
        self.new_revision_button.setToolTip(_("A new draft of this signed report, to correct and sign again"))
        self.print_button = QPushButton(_("Print…"))
        self.mail_button = QPushButton(_("E-mail…"))
        # The report's actions in one bar across the tab, after its number: the form keeps its height for text.
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 4)
        header.addWidget(self.form.identity)
        header.addStretch(1)
        for button in (self.sign_button, self.save_pdf_button, self.print_button, self.mail_button):
            header.addWidget(button)
        header.addSpacing(12)
        header.addWidget(self.new_revision_button)
        self.activity = QLabel()
        self.activity.setObjectName("reportActivity")
        self.activity.setStyleSheet("color: #5a6675")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(14)
        self.progress.hide()
        activity = QHBoxLayout()
        activity.addWidget(self.activity, 1)
        activity.addWidget(self.progress, 1)
        form_page = QWidget()
        left_layout = QVBoxLayout(form_page)
        left_layout.setContentsMargins(0, 0, 6, 0)
        left_layout.addWidget(self.form, 1)
        left_layout.addLayout(activity)
        # On a short screen (or with a long warning) the form scrolls instead of squeezing its fields together.
        left = QScrollArea()
        left.setWidget(form_page)
        left.setWidgetResizable(True)
        left.setFrameShape(QFrame.Shape.NoFrame)
        left.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left.setMinimumWidth(380)

        self.preview = ReportPreview()
        self.splitter = QSplitter()
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)

        report_page = QWidget()
        report_layout = QVBoxLayout(report_page)
        report_layout.setContentsMargins(0, 0, 0, 0)
        report_layout.addLayout(header)
        report_layout.addWidget(self.splitter, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(message_page)
        self.stack.addWidget(report_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.stack)

    def show_message(self, text: str, *, retry: bool) -> None:
        """Says why there is no report to show (yet), in place of the form and the preview."""
        self.message.setText(text)
        self.retry_button.setVisible(retry)
        self.stack.setCurrentIndex(0)

    def show_report_page(self) -> None:
        self.stack.setCurrentIndex(1)

    def show_activity(self, text: str, *, working: bool = False) -> None:
        """What the tab is doing or has just done; `working` shows a moving bar and makes the form wait."""
        self.activity.setText(text)
        self.progress.setVisible(working)
        self.form.setEnabled(not working)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized and self.width() > 100:
            self._sized = True
            form = round(self.width() * FORM_SHARE)
            self.splitter.setSizes([form, self.width() - form])
