"""The engineer's profile: asked at first start, editable from the File menu."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QWidget

from supportstation.i18n import _
from supportstation.settings import EngineerProfile

from ..forms.ui_profile_dialog import Ui_ProfileDialog

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def profile_problem(profile: EngineerProfile) -> str:
    """What keeps a profile from being saved, in words the user can act on; empty when it is fine."""
    if not profile.name.strip():
        return _("Enter your name.")
    if not EMAIL_PATTERN.match(profile.email.strip()):
        return _("Enter a valid e-mail address (it identifies you in a shared database).")
    return ""


class ProfileDialog(QDialog):
    def __init__(self, profile: EngineerProfile, *, first_start: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.ui = Ui_ProfileDialog()
        self.ui.setupUi(self)
        self.ui.reportLanguageCombo.addItem("Français", "fr")
        self.ui.reportLanguageCombo.addItem("English", "en")
        self.ui.nameEdit.setText(profile.name)
        self.ui.emailEdit.setText(profile.email)
        self.ui.phoneEdit.setText(profile.phone)
        self.ui.signatureEdit.setPlainText(profile.signature_block)
        self.ui.reportLanguageCombo.setCurrentIndex(max(0, self.ui.reportLanguageCombo.findData(profile.language)))
        if first_start:
            self.setWindowTitle(_("Welcome to SupportStation"))
            self.ui.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Later"))
        self.ui.buttons.button(QDialogButtonBox.StandardButton.Save).clicked.connect(self._save)
        self.ui.problem.hide()

    def profile(self) -> EngineerProfile:
        return EngineerProfile(
            name=self.ui.nameEdit.text().strip(),
            email=self.ui.emailEdit.text().strip(),
            phone=self.ui.phoneEdit.text().strip(),
            signature_block=self.ui.signatureEdit.toPlainText().strip(),
            language=self.ui.reportLanguageCombo.currentData(),
        )

    def _save(self) -> None:
        problem = profile_problem(self.profile())
        if problem:
            self.ui.problem.setText(problem)
            self.ui.problem.show()
            return
        self.accept()
