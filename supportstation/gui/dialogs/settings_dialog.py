"""Settings: language, data folder, the company details printed on reports, and the mail server reports go through.

The SMTP password is never part of the settings: the dialog only says what was typed (`entered_mail_password`) or
asked (`forget_mail_password`), and the caller keeps it in the vault (`keep_mail_password`) once the dialog is accepted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QLabel, QWidget

from supportstation import agent_client
from supportstation.i18n import _
from supportstation.paths import AppPaths
from supportstation.settings import CompanyDetails, MailSettings, Settings

from ..forms.ui_settings_dialog import Ui_SettingsDialog
from ..messages import warn
from ..vault_access import unlocked_vault

if TYPE_CHECKING:
    from supportstation.context import AppContext
    from supportstation.vault import Vault

log = logging.getLogger(__name__)

LANGUAGE_CHOICES = (("system", None), ("fr", "Français"), ("en", "English"))
# The usual port of each kind of security: switching between them moves the port along, unless the engineer chose one.
DEFAULT_PORTS = {"starttls": 587, "ssl": 465}
PROBLEM_COLOUR = "#b3261e"
SUCCESS_COLOUR = "#2e7d32"

# What the Test button calls for the stored SMTP password when none was typed (None: the vault has none).
StoredPassword = Callable[[], Awaitable[str | None]]


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: Settings,
        app_paths: AppPaths,
        parent: QWidget | None = None,
        *,
        password_stored: bool | None = None,
        stored_password: StoredPassword | None = None,
    ):
        """`password_stored`: whether the vault holds the SMTP password (None: not known, the vault is not open)."""
        super().__init__(parent)
        self.ui = Ui_SettingsDialog()
        self.ui.setupUi(self)
        for code, name in LANGUAGE_CHOICES:
            self.ui.languageCombo.addItem(name or _("System language"), code)
        self.ui.languageCombo.setCurrentIndex(max(0, self.ui.languageCombo.findData(settings.language)))
        self.ui.dataFolderEdit.setText(settings.data_folder)
        self.ui.commandAgentCheck.setChecked(settings.command_agent)
        if not agent_client.supported():  # the agent needs Linux: commands elsewhere always start on their own
            self.ui.commandLineLabel.hide()
            self.ui.commandAgentCheck.hide()
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
        self._stored_password = stored_password
        self.test_task: asyncio.Task[None] | None = None
        self.lookup_task: asyncio.Task[None] | None = None
        self._load_mail(settings.mail)
        self.set_password_stored(password_stored)
        self.finished.connect(self._stop_tasks)

    # -- general and company -------------------------------------------------------------------------------------

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
            command_agent=self.ui.commandAgentCheck.isChecked(),
            company=company,
            mail=self.edited_mail(),
        )

    # -- e-mail --------------------------------------------------------------------------------------------------

    def _load_mail(self, mail: MailSettings) -> None:
        ui = self.ui
        for code, title in (("starttls", _("STARTTLS")), ("ssl", _("SSL/TLS")), ("none", _("None"))):
            ui.mailSecurityCombo.addItem(title, code)
        ui.mailHostEdit.setText(mail.host)
        ui.mailSecurityCombo.setCurrentIndex(max(0, ui.mailSecurityCombo.findData(mail.security)))
        ui.mailPortSpin.setValue(mail.port)
        ui.mailUsernameEdit.setText(mail.username)
        ui.mailFromAddressEdit.setText(mail.from_address)
        ui.mailFromNameEdit.setText(mail.from_name)
        ui.mailCaFileEdit.setText(mail.ca_file)
        ui.mailTimeoutSpin.setValue(mail.timeout)
        colour(ui.mailSecurityWarning, PROBLEM_COLOUR)
        colour(ui.mailFromAddressProblem, PROBLEM_COLOUR)
        ui.mailTestBusy.hide()
        ui.mailTestResult.hide()
        self._security = self.mail_security()
        ui.mailSecurityCombo.currentIndexChanged.connect(self._security_changed)
        for edit in (ui.mailHostEdit, ui.mailUsernameEdit, ui.mailFromAddressEdit):
            edit.textChanged.connect(self._check_mail)
        ui.mailForgetPassword.toggled.connect(self._forget_toggled)
        ui.mailCaFileBrowse.clicked.connect(self._choose_ca_file)
        ui.mailTestButton.clicked.connect(self.test_connection)
        self._check_mail()

    def mail_security(self) -> str:
        return str(self.ui.mailSecurityCombo.currentData())

    def edited_mail(self) -> MailSettings:
        ui = self.ui
        return replace(
            self._original.mail,
            host=ui.mailHostEdit.text().strip(),
            port=ui.mailPortSpin.value(),
            security=self.mail_security(),
            username=ui.mailUsernameEdit.text().strip(),
            from_address=ui.mailFromAddressEdit.text().strip(),
            from_name=" ".join(ui.mailFromNameEdit.text().split()),
            ca_file=ui.mailCaFileEdit.text().strip(),
            timeout=ui.mailTimeoutSpin.value(),
        )

    def entered_mail_password(self) -> str | None:
        """The SMTP password typed in, to store in the vault; None when it is to stay as it is (or be forgotten)."""
        if self.forget_mail_password():
            return None
        return self.ui.mailPasswordEdit.text() or None

    def forget_mail_password(self) -> bool:
        """Whether the stored SMTP password is to be deleted from the vault."""
        return self.ui.mailForgetPassword.isChecked()

    def mail_password_changed(self) -> bool:
        return self.forget_mail_password() or self.entered_mail_password() is not None

    def set_password_stored(self, stored: bool | None) -> None:
        """Shows whether the vault holds an SMTP password (None: not known yet)."""
        self._password_stored = stored
        placeholders = {True: _("stored in the vault"), False: "", None: _("unchanged if left empty")}
        self.ui.mailPasswordEdit.setPlaceholderText(placeholders[stored])
        self.ui.mailForgetPassword.setEnabled(stored is not False)
        if stored is False:
            self.ui.mailForgetPassword.setChecked(False)

    def look_up_stored_password(self, vault: Vault | None) -> None:
        """Asks an open, unlocked vault in a worker thread whether it holds the SMTP password, and shows it. A vault not
        open yet is left alone: opening the settings is no reason to ask for its master password."""
        if vault is None or vault.locked:
            return
        self.lookup_task = asyncio.ensure_future(self._look_up(vault))

    async def _look_up(self, vault: Vault) -> None:
        from supportstation.reports.mail import PASSWORD_KEY
        from supportstation.vault import VaultError

        try:
            stored = await asyncio.to_thread(vault.exists, PASSWORD_KEY)
        except VaultError as error:
            log.warning("Cannot tell whether the SMTP password is stored: %s", error)
            return
        self.set_password_stored(stored)

    def _security_changed(self) -> None:
        previous, security = self._security, self.mail_security()
        self._security = security
        if security in DEFAULT_PORTS and self.ui.mailPortSpin.value() == DEFAULT_PORTS.get(previous):
            self.ui.mailPortSpin.setValue(DEFAULT_PORTS[security])
        self._check_mail()

    def _forget_toggled(self, forget: bool) -> None:
        if forget:
            self.ui.mailPasswordEdit.clear()
        self.ui.mailPasswordEdit.setEnabled(not forget)

    def _choose_ca_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            _("CA file of the mail server"),
            self.ui.mailCaFileEdit.text(),
            _("Certificates (*.pem *.crt *.cer);;All files (*)"),
        )
        if path:
            self.ui.mailCaFileEdit.setText(path)

    def mail_problems(self) -> tuple[str | None, str | None]:
        """What keeps the e-mail page from being saved: the sender address's problem and the login's, or None. An
        empty server means mail is not set up, which is allowed."""
        from supportstation.reports.mail import address_problem

        mail = self.edited_mail()
        address = None
        if mail.from_address or mail.host:
            problem = address_problem(mail.from_address)
            if problem is not None:
                address = _("The sender address is not valid: {problem}.").format(problem=problem)
        login = None
        if mail.host and mail.security == "none" and mail.username:
            login = _("A login needs an encrypted connection: choose STARTTLS or SSL/TLS, or clear the user name.")
        return address, login

    def _check_mail(self) -> None:
        ui = self.ui
        mail = self.edited_mail()
        address, login = self.mail_problems()
        warning = ""
        if mail.security == "none":
            warning = _(
                "Without encryption, the password and the reports travel in clear: anyone on the network can read "
                "them. Use it only for a relay on a network you trust."
            )
            if login:
                warning += "\n" + login
        ui.mailSecurityWarning.setText(warning)
        ui.mailSecurityWarning.setVisible(bool(warning))
        ui.mailFromAddressProblem.setText(address or "")
        ui.mailFromAddressProblem.setVisible(address is not None)
        problem = address or login
        ok = ui.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(problem is None)
        ok.setToolTip(_("E-mail page: {problem}").format(problem=problem) if problem else "")
        ui.mailTestButton.setEnabled(bool(mail.host) and self.test_task is None)

    # -- testing the connection ----------------------------------------------------------------------------------

    def test_connection(self) -> None:
        """Starts the connection test in the background; `test_task` is what to await for its end."""
        if self.test_task is not None:
            return
        self.test_task = asyncio.ensure_future(self._test())

    async def _test(self) -> None:
        from supportstation.reports.mail import MailError, check_connection

        ui = self.ui
        ui.mailTestButton.setEnabled(False)
        ui.mailTestBusy.show()
        colour(ui.mailTestResult, None)
        ui.mailTestResult.setText(_("Connecting…"))
        ui.mailTestResult.show()
        try:
            mail = self.edited_mail()
            password = self.entered_mail_password()
            if mail.username and password is None and not self.forget_mail_password():
                password = await self._password_from_vault()
            outcome = await asyncio.to_thread(check_connection, mail, password)
        except MailError as error:
            colour(ui.mailTestResult, PROBLEM_COLOUR)
            ui.mailTestResult.setText("✘ " + str(error))
        else:
            colour(ui.mailTestResult, SUCCESS_COLOUR)
            ui.mailTestResult.setText("✔ " + outcome)
        finally:
            ui.mailTestBusy.hide()
            self.test_task = None
            self._check_mail()

    async def _password_from_vault(self) -> str | None:
        if self._stored_password is None or self._password_stored is False:
            return None
        password = await self._stored_password()
        self.set_password_stored(password is not None)
        return password

    def _stop_tasks(self) -> None:
        # A test still waiting for the server has no one to show its result to.
        for task in (self.test_task, self.lookup_task):
            if task is not None:
                task.cancel()


def colour(label: QLabel, colour: str | None) -> None:
    """Colours a label's text (None: back to the usual colour). A palette, not a style sheet: changing the colour does
    not create and drop a style sheet style each time."""
    palette = QPalette()
    if colour is not None:
        palette.setColor(QPalette.ColorRole.WindowText, QColor(colour))
    label.setPalette(palette)


# -- the SMTP password in the vault ------------------------------------------------------------------------------------


async def stored_mail_password(context: AppContext, parent: QWidget | None) -> str | None:
    """The SMTP password from the vault (which may ask for its master password), None when none is stored or the vault
    stayed locked."""
    from supportstation.reports.mail import PASSWORD_KEY
    from supportstation.vault import VaultError

    vault = await unlocked_vault(context, parent)
    if vault is None:
        return None
    try:
        if not await asyncio.to_thread(vault.exists, PASSWORD_KEY):
            return None
        return await asyncio.to_thread(vault.load_text, PASSWORD_KEY)
    except VaultError as error:
        warn(parent, _("The mail server password cannot be read"), str(error))
        return None


async def keep_mail_password(context: AppContext, parent: QWidget | None, password: str | None) -> bool:
    """Stores the SMTP password in the vault, or deletes the stored one when `password` is None. False (and said in a
    message) when it could not be done."""
    from supportstation.reports.mail import PASSWORD_KEY
    from supportstation.vault import VaultError

    vault = await unlocked_vault(context, parent)
    if vault is None:
        warn(
            parent,
            _("Mail server password not saved"),
            _("The vault stayed locked, so the mail server password was not changed. Enter it again in Settings."),
        )
        return False
    try:
        if password is not None:
            await asyncio.to_thread(vault.store, PASSWORD_KEY, password)
        elif await asyncio.to_thread(vault.exists, PASSWORD_KEY):
            await asyncio.to_thread(vault.delete, PASSWORD_KEY)
    except VaultError as error:
        warn(parent, _("Mail server password not saved"), str(error))
        return False
    return True
