"""The left side of the Report tab: which report, its state, its options and the texts the engineer writes.

The form only shows and collects; the panel decides when to save. `edited` is emitted for every change the engineer
makes, never for the form being filled in from a report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _

from .report_jobs import DraftFields

if TYPE_CHECKING:
    from supportstation.reports.service import ReportInfo

DRAFT_STYLE = "color: #8a4b00; font-weight: bold;"
SIGNED_STYLE = "color: #1b5e20; font-weight: bold;"
WARNING_STYLE = "background: #fff4e5; color: #663c00; border: 1px solid #f0b46c; border-radius: 4px; padding: 6px;"


def language_names() -> list[tuple[str, str]]:
    # Each language named in itself: the engineer picks the customer's language, whatever the interface's.
    return [("fr", "Français"), ("en", "English")]


def paper_names() -> list[tuple[str, str]]:
    return [("a4", _("A4")), ("letter", _("US Letter"))]


def state_text(info: ReportInfo) -> str:
    if not info.signed:
        return _("Draft")
    when = info.signed_at.astimezone().strftime("%d/%m/%Y %H:%M") if info.signed_at else "—"
    return _("Signed on {when} by {names}").format(when=when, names=", ".join(info.signers) or "—")


def state_hint(info: ReportInfo) -> str:
    if info.signed:
        return _("A signed report cannot change: make a new revision to correct it.")
    return _("Changes are saved as you type; the preview follows.")


def revision_text(info: ReportInfo) -> str:
    state = _("signed") if info.signed else _("draft")
    return _("{number} rev. {revision} ({state})").format(number=info.number, revision=info.revision, state=state)


class ReportForm(QWidget):
    edited = Signal()
    revision_chosen = Signal(int)  # a report id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filling = False
        self.drafted_summary = ""

        self.number = QLabel()
        self.number.setObjectName("reportNumber")
        font = self.number.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.number.setFont(font)
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state = QLabel()
        self.state.setObjectName("reportState")
        self.state.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #5a6675")
        self.revisions = QComboBox()
        self.revisions.setObjectName("reportRevisions")
        self.revisions.setToolTip(_("The revisions of the ticket's reports: choose one to see it"))
        self.revisions.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.revisions.activated.connect(lambda index: self.revision_chosen.emit(self.revisions.itemData(index)))
        self.warning = QLabel()
        self.warning.setObjectName("reportWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.warning.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning.hide()

        self.language = QComboBox()
        for code, name in language_names():
            self.language.addItem(name, code)
        self.template = QComboBox()
        self.template.setToolTip(_("Template sets are folders in the configuration folder's report_templates"))
        self.paper = QComboBox()
        for code, name in paper_names():
            self.paper.addItem(name, code)
        self.appendix = QCheckBox(_("Include the appendix of full outputs"))
        self.summary = _TextBox()
        self.summary.setObjectName("reportSummary")
        self.summary.setPlaceholderText(_("What was found and done, in the customer's words"))
        self.restore_button = QPushButton(_("Restore the drafted summary"))
        self.restore_button.setToolTip(_("Put back the summary drafted from the timeline, losing your changes to it"))
        self.restore_button.clicked.connect(self.restore_drafted_summary)
        self.recommendations = _TextBox()
        self.recommendations.setObjectName("reportRecommendations")
        self.recommendations.setPlaceholderText(_("e.g. replace the NAS's second disk within the month"))
        self.follow_up = _TextBox()
        self.follow_up.setObjectName("reportFollowUp")
        self.follow_up.setPlaceholderText(_("e.g. call the customer on Monday to check the backups ran"))
        for editor in (self.summary, self.recommendations, self.follow_up):
            editor.setTabChangesFocus(True)
            editor.textChanged.connect(self._changed)
        for combo in (self.language, self.template, self.paper):
            combo.currentIndexChanged.connect(self._changed)
        self.appendix.toggled.connect(self._changed)

        # Which report: the panel puts this bar across the whole tab, above the form and the preview.
        self.identity = QWidget()
        identity = QHBoxLayout(self.identity)
        identity.setContentsMargins(0, 0, 0, 0)
        identity.addWidget(self.number)
        identity.addSpacing(8)
        identity.addWidget(self.revisions)

        options_box = QGroupBox(_("Document"))
        options = QGridLayout(options_box)
        options.addWidget(_buddy(_("&Language:"), self.language), 0, 0)
        options.addWidget(self.language, 0, 1)
        options.addWidget(_buddy(_("&Paper:"), self.paper), 0, 2)
        options.addWidget(self.paper, 0, 3)
        options.addWidget(_buddy(_("&Template set:"), self.template), 1, 0)
        options.addWidget(self.template, 1, 1, 1, 3)
        options.addWidget(self.appendix, 2, 0, 1, 4)
        options.setColumnStretch(1, 1)
        options.setColumnStretch(3, 1)

        summary_title = QHBoxLayout()
        summary_title.addWidget(_heading(_("Summary")))
        summary_title.addStretch(1)
        summary_title.addWidget(self.restore_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state)
        layout.addWidget(self.hint)
        layout.addWidget(self.warning)
        layout.addWidget(options_box)
        layout.addLayout(summary_title)
        # The summary is what the customer reads first and the longest text: it gets most of the height.
        self.summary.setMinimumHeight(90)
        for editor in (self.recommendations, self.follow_up):
            editor.setMinimumHeight(48)
        layout.addWidget(self.summary, 5)
        layout.addWidget(_heading(_("Recommendations")))
        layout.addWidget(self.recommendations, 2)
        layout.addWidget(_heading(_("Follow-up")))
        layout.addWidget(self.follow_up, 2)

    # -- filling in -------------------------------------------------------------------------------------------------

    def show_report(
        self,
        info: ReportInfo,
        summary: str,
        drafted_summary: str,
        revisions: list[ReportInfo],
        template_sets: list[str],
    ) -> None:
        """Fills the form from a report (without emitting `edited`)."""
        self._filling = True
        try:
            self.number.setText(info.number)
            self.state.setText(state_text(info))
            self.state.setStyleSheet(SIGNED_STYLE if info.signed else DRAFT_STYLE)
            self.hint.setText(state_hint(info))
            self.revisions.clear()
            for revision in revisions:
                self.revisions.addItem(revision_text(revision), revision.id)
            self.revisions.setCurrentIndex(max(0, self.revisions.findData(info.id)))
            self.revisions.setEnabled(len(revisions) > 1)
            self.template.clear()
            for name in sorted({*template_sets, info.template}):
                self.template.addItem(name, name)
            _choose(self.language, info.language)
            _choose(self.template, info.template)
            _choose(self.paper, info.paper)
            self.appendix.setChecked(bool(info.edits.get("include_appendix", True)))
            self.set_summary(summary, drafted_summary)
            _set_text(self.recommendations, str(info.edits.get("recommendations", "")))
            _set_text(self.follow_up, str(info.edits.get("follow_up", "")))
            self.set_read_only(info.signed)
        finally:
            self._filling = False

    def set_summary(self, summary: str, drafted_summary: str) -> None:
        self.drafted_summary = drafted_summary
        filling, self._filling = self._filling, True
        try:
            _set_text(self.summary, summary)
        finally:
            self._filling = filling

    def set_read_only(self, read_only: bool) -> None:
        for editor in (self.summary, self.recommendations, self.follow_up):
            editor.setReadOnly(read_only)
            # Greyed like a disabled field, but the text stays selectable to be copied.
            palette = editor.palette()
            palette.setColor(
                QPalette.ColorRole.Base,
                self.palette().color(QPalette.ColorRole.Window if read_only else QPalette.ColorRole.Base),
            )
            editor.setPalette(palette)
        for widget in (self.language, self.template, self.paper, self.appendix, self.restore_button):
            widget.setEnabled(not read_only)

    def show_warning(self, text: str) -> None:
        self.warning.setText(text)
        self.warning.setVisible(bool(text))

    # -- reading ----------------------------------------------------------------------------------------------------

    def fields(self) -> DraftFields:
        summary = self.summary.toPlainText()
        return DraftFields(
            # The drafted text, untouched, is not an edit: the summary then keeps following the timeline.
            summary=None if summary == self.drafted_summary else summary,
            recommendations=self.recommendations.toPlainText(),
            follow_up=self.follow_up.toPlainText(),
            include_appendix=self.appendix.isChecked(),
            language=str(self.language.currentData()),
            template=str(self.template.currentData()),
            paper=str(self.paper.currentData()),
        )

    def restore_drafted_summary(self) -> None:
        self.summary.setPlainText(self.drafted_summary)  # emits edited through textChanged

    def _changed(self) -> None:
        if not self._filling:
            self.edited.emit()


class _TextBox(QPlainTextEdit):
    """A text field that asks for little height: the form then fits a short screen (the panel scrolls it when it
    cannot), and the stretch factors, not the fields' own wishes, share out the height there is."""

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.minimumHeight() or 48)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    return label


def _buddy(text: str, field: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(field)
    return label


def _choose(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(index if index >= 0 else 0)


def _set_text(editor: QPlainTextEdit, text: str) -> None:
    if editor.toPlainText() != text:  # setting the same text would move the cursor of someone typing
        editor.setPlainText(text)
