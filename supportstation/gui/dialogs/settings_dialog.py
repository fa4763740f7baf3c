"""Settings: language, data folder and the company details printed on reports."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from supportstation.i18n import _
from supportstation.paths import AppPaths
from supportstation.settings import CompanyDetails, Settings

from ..forms.ui_settings_dialog import Ui_SettingsDialog

LANGUAGE_CHOICES = (("system", None), ("fr", "Français"), ("en", "English"))


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, app_paths: AppPaths, parent: QWidget | None = None):
        super().__init__(parent)
        self.ui = Ui_SettingsDialog()
        self.ui.setupUi(self)
        for code, name in LANGUAGE_CHOICES:
            self.ui.languageCombo.addItem(name or _("System language"), code)
        self.ui.languageCombo.setCurrentIndex(max(0, self.ui.languageCombo.findData(settings.language)))
        self.ui.dataFolderEdit.setText(settings.data_folder)
        self.ui.dataFolderEdit.setPlaceholderText(str(app_paths.data))
        self.ui.currentFolders.setText(
            _("Data: {data}\nSettings: {config}\nLogs: {logs}").format(
                data=app_paths.data, config=app_paths.config, logs=app_paths.logs
            )
        )
        company = settings.company
        self.ui.companyNameEdit.setText(company.name)
        self.ui.companyAddressEdit.setPlainText(company.address)
        self.ui.companyPhoneEdit.setText(company.phone)
        self.ui.companyEmailEdit.setText(company.email)
        self.ui.companyWebsiteEdit.setText(company.website)
        self.ui.legalFooterEdit.setPlainText(company.legal_footer)
        self.ui.logoEdit.setText(company.logo_file)
        self.ui.dataFolderBrowse.clicked.connect(self._choose_data_folder)
        self.ui.logoBrowse.clicked.connect(self._choose_logo)
        self._original = settings

    def _choose_data_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Data folder"), self.ui.dataFolderEdit.text())
        if folder:
            self.ui.dataFolderEdit.setText(folder)

    def _choose_logo(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Company logo"), self.ui.logoEdit.text(), _("Images (*.png *.jpg *.jpeg *.svg)")
        )
        if path:
            self.ui.logoEdit.setText(path)

    def edited_settings(self) -> Settings:
        """The settings as edited, as a new object: the original stays untouched until the caller saves."""
        company = CompanyDetails(
            name=self.ui.companyNameEdit.text().strip(),
            address=self.ui.companyAddressEdit.toPlainText().strip(),
            phone=self.ui.companyPhoneEdit.text().strip(),
            email=self.ui.companyEmailEdit.text().strip(),
            website=self.ui.companyWebsiteEdit.text().strip(),
            legal_footer=self.ui.legalFooterEdit.toPlainText().strip(),
            logo_file=self.ui.logoEdit.text().strip(),
        )
        return replace(
            self._original,
            language=self.ui.languageCombo.currentData(),
            data_folder=self.ui.dataFolderEdit.text().strip(),
            company=company,
        )
