"""Small forms of the workspace: a time entry, a part used, a resolution comment."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _
from supportstation.tickets.intervention_types import CATEGORIES, EntryChange, category_label


def ok_cancel(dialog: QDialog) -> QDialogButtonBox:
    """OK and Cancel, wired to accept and reject."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class TimeEntryDialog(QDialog):
    def __init__(self, change: EntryChange | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(_("Correct a time entry") if change else _("Add time"))
        self.category = QComboBox()
        for category in CATEGORIES:
            self.category.addItem(category_label(category), category)
        self.minutes = QSpinBox()
        self.minutes.setRange(0, 24 * 60)
        self.minutes.setSuffix(" min")
        self.minutes.setSingleStep(5)
        self.description = QLineEdit()
        if change is not None:
            self.category.setCurrentIndex(self.category.findData(change.category))
            self.minutes.setValue(change.minutes)
            self.description.setText(change.description)
        else:
            self.minutes.setValue(30)
        form = QFormLayout()
        form.addRow(_("Category:"), self.category)
        form.addRow(_("Duration:"), self.minutes)
        form.addRow(_("Description:"), self.description)
        buttons = ok_cancel(self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        if change is not None:
            note = QLabel(_("The correction is recorded on the timeline with the previous values."))
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addWidget(buttons)

    def change(self) -> EntryChange:
        return EntryChange(self.category.currentData(), self.minutes.value(), self.description.text().strip())


class PartDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(_("Add a part or consumable"))
        self.name = QLineEdit()
        self.quantity = QDoubleSpinBox()
        self.quantity.setRange(0.01, 100_000)
        self.quantity.setDecimals(2)
        self.quantity.setValue(1)
        self.serial = QLineEdit()
        form = QFormLayout()
        form.addRow(_("Name:"), self.name)
        form.addRow(_("Quantity:"), self.quantity)
        form.addRow(_("Serial number:"), self.serial)
        buttons = ok_cancel(self)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)


class CommentDialog(QDialog):
    """Asks for the comment a status change needs (a resolution says what was done)."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        buttons = ok_cancel(self)
        layout = QVBoxLayout(self)
        label = QLabel(prompt)
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(480, 260)
