"""Collecting the signatures of an intervention report: one signer per SignatureCapture, up to two in the dialog.

A customer who cannot sign (gone before the end, no authority to sign) is common on site; the report then says why
instead of carrying a blank, so "could not sign" asks for the reason rather than letting an empty pad through.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.reports.signatures import CUSTOMER, ENGINEER, ROLES, Signature, SignatureError

from .signature_pad import SignaturePad


def role_texts(role: str) -> dict[str, str]:
    """The words of a capture for one role (looked up at run time: the language is chosen at start-up)."""
    if role == CUSTOMER:
        return {
            "title": _("Customer's signature"),
            "cannot": _("The customer could not sign"),
            "name": _("Enter the customer's name."),
            "reason": _("Say why the customer could not sign."),
            "unsigned": _("The customer has not signed yet."),
        }
    if role == ENGINEER:
        return {
            "title": _("Engineer's signature"),
            "cannot": _("The engineer could not sign"),
            "name": _("Enter the engineer's name."),
            "reason": _("Say why the engineer could not sign."),
            "unsigned": _("The engineer has not signed yet."),
        }
    raise ValueError(f"unknown signer role {role!r}; expected one of {', '.join(ROLES)}")


class SignatureCapture(QWidget):
    """One signer: their name, the pad, and the way out when they cannot sign. Emits `changed` on any edit."""

    changed = Signal()

    def __init__(self, role: str, name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self.texts = role_texts(role)
        self.title = QLabel(self.texts["title"])
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.name_edit = QLineEdit(name)
        self.name_edit.setPlaceholderText(_("First name and last name"))
        self.pad = SignaturePad()
        self.undo_button = QPushButton(_("Undo"))
        self.undo_button.setToolTip(_("Remove the last stroke (Ctrl+Z)"))
        self.clear_button = QPushButton(_("Clear"))
        self.clear_button.setToolTip(_("Remove the whole signature"))
        self.cannot_sign = QCheckBox(self.texts["cannot"])
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText(_("e.g. left before the end of the intervention"))
        self.reason_label = QLabel(_("Reason:"))
        self.reason_label.setBuddy(self.reason_edit)

        name_row = QFormLayout()
        name_row.setContentsMargins(0, 0, 0, 0)
        name_row.addRow(_("Name:"), self.name_edit)
        actions = QHBoxLayout()
        actions.addWidget(self.cannot_sign)
        actions.addStretch(1)
        actions.addWidget(self.undo_button)
        actions.addWidget(self.clear_button)
        reason_row = QHBoxLayout()
        reason_row.addWidget(self.reason_label)
        reason_row.addWidget(self.reason_edit, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(name_row)
        layout.addWidget(self.pad, 1)
        layout.addLayout(actions)
        layout.addLayout(reason_row)
        # The reason keeps its place while hidden, so ticking the box does not make the dialog jump.
        for widget in (self.reason_label, self.reason_edit):
            policy = widget.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)

        # Ctrl+Z anywhere in this capture undoes a stroke, except in a text field, which keeps its own undo.
        undo = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self)
        undo.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        undo.activated.connect(self.undo)
        self.undo_button.clicked.connect(self.undo)
        self.clear_button.clicked.connect(self.pad.clear)
        self.cannot_sign.toggled.connect(self._cannot_sign_toggled)
        self.pad.changed.connect(self._changed)
        self.name_edit.textChanged.connect(self._changed)
        self.reason_edit.textChanged.connect(self._changed)
        self._cannot_sign_toggled(False)

    def undo(self) -> None:
        if self.pad.isEnabled():
            self.pad.undo()

    def could_not_sign(self) -> bool:
        return self.cannot_sign.isChecked()

    def problem(self) -> str:
        """What is missing before this signature can be recorded, in words the signer can act on; empty when done."""
        if not self.name_edit.text().strip():
            return self.texts["name"]
        if self.could_not_sign():
            return self.texts["reason"] if not self.reason_edit.text().strip() else ""
        return self.texts["unsigned"] if self.pad.is_empty() else ""

    def signature(self) -> Signature:
        """The signature as signed now; raises SignatureError (with problem()'s message) while something is missing."""
        problem = self.problem()
        if problem:
            raise SignatureError(problem)
        if self.could_not_sign():
            return Signature(self.role, self.name_edit.text(), utc_now(), None, self.reason_edit.text())
        return Signature(self.role, self.name_edit.text(), utc_now(), self.pad.to_png())

    def _cannot_sign_toggled(self, checked: bool) -> None:
        # The ink is kept, only greyed: unticking the box by mistake must not cost the customer a new signature.
        self.pad.setEnabled(not checked)
        self.pad.set_hint(_("Not signed") if checked else _("Sign here"))
        self.reason_label.setVisible(checked)
        self.reason_edit.setVisible(checked)
        if checked:
            self.reason_edit.setFocus()
        self._changed()

    def _changed(self) -> None:
        inked = self.pad.isEnabled() and not self.pad.is_empty()
        self.undo_button.setEnabled(inked)
        self.clear_button.setEnabled(inked)
        self.changed.emit()


class SignatureDialog(QDialog):
    """Signing the report: one capture per signer (role -> prefilled name, e.g. the contact and the engineer), side
    by side as on a paper form; OK is enabled once every signer has signed or said why not."""

    def __init__(self, signers: Mapping[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if not signers or any(role not in ROLES for role in signers):
            raise ValueError(f"signers must map some of {', '.join(ROLES)} to names, not {list(signers)}")
        self.setWindowTitle(_("Sign the intervention report"))
        self._signatures: list[Signature] = []
        intro = QLabel(_("Sign in the frames below with the mouse, a pen or a finger."))
        intro.setWordWrap(True)
        self.captures = {role: SignatureCapture(role, name) for role, name in signers.items()}
        row = QHBoxLayout()
        row.setSpacing(28)
        for capture in self.captures.values():
            row.addWidget(capture, 1)
            capture.changed.connect(self._update_state)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #616161")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addLayout(row, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.problem, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self.resize(max(520, 470 * len(self.captures)), 440)
        first = next(iter(self.captures.values()))
        (first.pad if first.name_edit.text().strip() else first.name_edit).setFocus()
        self._update_state()

    def problem_text(self) -> str:
        """The first thing missing, or empty when every signer is done."""
        return next((problem for capture in self.captures.values() if (problem := capture.problem())), "")

    def signatures(self) -> list[Signature]:
        """The signatures in the order of the signers: those taken when OK was pressed, or taken now."""
        return list(self._signatures) or [capture.signature() for capture in self.captures.values()]

    def accept(self) -> None:
        if self.problem_text():
            return  # OK is disabled then; Enter in a field must not get round it
        # Taken once, at the moment of confirming: the time on the report is when the signers agreed.
        self._signatures = [capture.signature() for capture in self.captures.values()]
        super().accept()

    def _update_state(self) -> None:
        problem = self.problem_text()
        self.problem.setText(problem)
        self.ok_button.setEnabled(not problem)
