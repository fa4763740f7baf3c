"""The E-mail page of the settings: the SMTP server's settings edited and saved, its password kept in the vault and
never in the settings file, and "Test the connection" against the real STARTTLS server of tests/servers/smtp.py. And
the General page's switch for the command-line agent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from supportstation import agent_client, paths, settings
from supportstation.gui.dialogs.settings_dialog import SettingsDialog
from supportstation.gui.main_window import MainWindow
from supportstation.reports.mail import PASSWORD_KEY
from supportstation.settings import MailSettings, Settings
from supportstation.vault import open_vault
from supportstation.vault.crypto import ScryptParameters
from tests.gui.conftest import shot
from tests.servers.smtp import TEST_PASSWORD, TEST_USER, SmtpServer

COMPANY_MAIL = MailSettings(
    host="smtp.infogerance.example.fr",
    port=587,
    security="starttls",
    username="emilie",
    from_address="emilie@infogerance.example.fr",
    from_name="Émilie Ingénieure",
    ca_file="",
    timeout=20.0,
)


OpenDialog = Callable[..., SettingsDialog]


@pytest.fixture
def open_dialog(qtbot, app_paths: paths.AppPaths) -> Iterator[OpenDialog]:  # type: ignore[no-untyped-def]
    """Opens the settings dialog, without a parent, on its E-mail page: `open_dialog(mail, **options)`.

    The dialogs are kept until the test is over, then closed and deleted through the event queue. Left to Python, the
    last reference goes when the test coroutine ends, inside a timer event of the qasync loop, and deleting the shown
    dialog there crashed a later repaint (a segfault in about one run in two). In the app the dialog has the main
    window as parent and is not deleted that way."""
    opened: list[SettingsDialog] = []

    def open_(mail: MailSettings, **options: Any) -> SettingsDialog:
        dialog = SettingsDialog(Settings(mail=mail), app_paths, **options)
        opened.append(dialog)
        dialog.ui.tabs.setCurrentWidget(dialog.ui.mailTab)
        dialog.show()
        return dialog

    yield open_
    for dialog in opened:
        dialog.close()
        dialog.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def ok_enabled(dialog: SettingsDialog) -> bool:
    return dialog.ui.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_the_page_shows_the_settings_and_returns_them_edited(open_dialog: OpenDialog) -> None:
    dialog = open_dialog(COMPANY_MAIL)
    ui = dialog.ui
    assert ui.mailHostEdit.text() == "smtp.infogerance.example.fr" and ui.mailPortSpin.value() == 587
    assert dialog.mail_security() == "starttls" and ui.mailUsernameEdit.text() == "emilie"
    assert ui.mailFromNameEdit.text() == "Émilie Ingénieure" and ui.mailTimeoutSpin.value() == 20
    assert dialog.edited_settings().mail == COMPANY_MAIL, "opening and accepting changes nothing"
    assert not ui.mailSecurityWarning.isVisible() and not ui.mailFromAddressProblem.isVisible() and ok_enabled(dialog)

    # SSL/TLS moves the usual port along, and back.
    ui.mailSecurityCombo.setCurrentIndex(ui.mailSecurityCombo.findData("ssl"))
    assert ui.mailPortSpin.value() == 465
    ui.mailSecurityCombo.setCurrentIndex(ui.mailSecurityCombo.findData("starttls"))
    assert ui.mailPortSpin.value() == 587
    # A port the engineer chose stays.
    ui.mailPortSpin.setValue(2525)
    ui.mailSecurityCombo.setCurrentIndex(ui.mailSecurityCombo.findData("ssl"))
    assert ui.mailPortSpin.value() == 2525

    ui.mailHostEdit.setText("  mail.atelier.example.fr ")
    ui.mailUsernameEdit.setText("support")
    ui.mailFromAddressEdit.setText("support@atelier.example.fr")
    ui.mailFromNameEdit.setText("Atelier   Numérique")
    ui.mailCaFileEdit.setText("/etc/ssl/atelier-ca.pem")
    ui.mailTimeoutSpin.setValue(45)
    edited = dialog.edited_settings()
    assert edited.mail == MailSettings(
        host="mail.atelier.example.fr",
        port=2525,
        security="ssl",
        username="support",
        from_address="support@atelier.example.fr",
        from_name="Atelier Numérique",
        ca_file="/etc/ssl/atelier-ca.pem",
        timeout=45.0,
    )
    assert edited.company == Settings().company, "the other pages are untouched"


def test_no_encryption_is_warned_about_and_a_login_without_it_refused(open_dialog: OpenDialog) -> None:
    dialog = open_dialog(COMPANY_MAIL)
    ui = dialog.ui
    ui.mailSecurityCombo.setCurrentIndex(ui.mailSecurityCombo.findData("none"))
    assert ui.mailPortSpin.value() == 587, "no usual port for no security: the port stays"
    assert ui.mailSecurityWarning.isVisible() and "travel in clear" in ui.mailSecurityWarning.text()
    assert "A login needs an encrypted connection" in ui.mailSecurityWarning.text() and not ok_enabled(dialog)
    ui.mailUsernameEdit.clear()  # a relay on the company's network, without a login
    assert ui.mailSecurityWarning.isVisible() and "A login needs" not in ui.mailSecurityWarning.text()
    assert ok_enabled(dialog)
    shot(dialog, "mail_settings_no_encryption")


def test_the_sender_address_is_checked_under_its_field(open_dialog: OpenDialog) -> None:
    dialog = open_dialog(COMPANY_MAIL)
    ui = dialog.ui
    ui.mailFromAddressEdit.setText("emilie@infogerance")
    assert ui.mailFromAddressProblem.isVisible() and not ok_enabled(dialog)
    assert ui.mailFromAddressProblem.text() == (
        "The sender address is not valid: the part after the @ is not a domain name such as example.fr."
    )
    ui.mailFromAddressEdit.clear()
    assert "it is empty" in ui.mailFromAddressProblem.text() and not ok_enabled(dialog)
    # No server: mail is not set up, which is allowed.
    ui.mailHostEdit.clear()
    assert not ui.mailFromAddressProblem.isVisible() and ok_enabled(dialog)
    assert not ui.mailTestButton.isEnabled(), "nothing to test without a server"


def test_the_password_field_says_whether_one_is_stored(open_dialog: OpenDialog) -> None:
    dialog = open_dialog(COMPANY_MAIL, password_stored=True)
    ui = dialog.ui
    assert ui.mailPasswordEdit.echoMode() == ui.mailPasswordEdit.EchoMode.Password
    assert ui.mailPasswordEdit.placeholderText() == "stored in the vault" and ui.mailForgetPassword.isEnabled()
    assert dialog.entered_mail_password() is None and not dialog.mail_password_changed(), "empty: unchanged"
    ui.mailPasswordEdit.setText("nouveau mot de passe")
    assert dialog.entered_mail_password() == "nouveau mot de passe"
    ui.mailForgetPassword.setChecked(True)
    assert ui.mailPasswordEdit.text() == "" and not ui.mailPasswordEdit.isEnabled()
    assert dialog.entered_mail_password() is None and dialog.forget_mail_password() and dialog.mail_password_changed()
    assert "password" not in json.dumps(dialog.edited_settings().mail.__dict__)

    nothing = open_dialog(COMPANY_MAIL, password_stored=False)
    assert nothing.ui.mailPasswordEdit.placeholderText() == "" and not nothing.ui.mailForgetPassword.isEnabled()


def file_vault(window: MainWindow):  # type: ignore[no-untyped-def]
    vault = open_vault(window.context.paths, backend="file", scrypt=ScryptParameters(n=2**10))
    vault.unlock("vault password")
    window.context.vault = vault
    return vault


@pytest.mark.asyncio
async def test_the_password_goes_to_the_vault_and_never_to_the_settings_file(
    qtbot, main_window: MainWindow, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    vault = file_vault(main_window)
    secret = "Mot-de-passe-SMTP-très-secret"
    seen: list[SettingsDialog] = []

    def fill_and_accept(dialog: SettingsDialog) -> int:
        seen.append(dialog)
        ui = dialog.ui
        ui.mailHostEdit.setText(COMPANY_MAIL.host)
        ui.mailUsernameEdit.setText(COMPANY_MAIL.username)
        ui.mailFromAddressEdit.setText(COMPANY_MAIL.from_address)
        ui.mailFromNameEdit.setText(COMPANY_MAIL.from_name)
        ui.mailTimeoutSpin.setValue(COMPANY_MAIL.timeout)
        ui.mailPasswordEdit.setText(secret)
        return SettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", fill_and_accept)
    main_window.open_settings()
    await main_window._mail_password_task
    assert main_window._mail_password_task.result() is True
    assert vault.load_text(PASSWORD_KEY) == secret

    saved_text = main_window.context.paths.settings_file.read_text(encoding="utf-8")
    assert secret not in saved_text and "password" not in json.loads(saved_text)["mail"]
    saved = settings.load(main_window.context.paths.settings_file).settings
    assert saved.mail == COMPANY_MAIL and main_window.context.settings == saved

    # Opened again: the vault (already open) says a password is stored; accepting with the field empty keeps it.
    def look_and_accept(dialog: SettingsDialog) -> int:
        seen.append(dialog)
        return SettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", look_and_accept)
    task = main_window._mail_password_task
    main_window.open_settings()
    assert main_window._mail_password_task is task, "nothing to store"
    await seen[-1].lookup_task
    assert seen[-1].ui.mailPasswordEdit.placeholderText() == "stored in the vault"
    assert vault.load_text(PASSWORD_KEY) == secret

    def forget_and_accept(dialog: SettingsDialog) -> int:
        dialog.ui.mailForgetPassword.setChecked(True)
        return SettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", forget_and_accept)
    main_window.open_settings()
    await main_window._mail_password_task
    assert not vault.exists(PASSWORD_KEY)
    assert settings.load(main_window.context.paths.settings_file).settings.mail == COMPANY_MAIL


async def click_test(dialog: SettingsDialog) -> str:
    dialog.ui.mailTestButton.click()
    task = dialog.test_task
    assert task is not None
    await asyncio.sleep(0)  # the task has started: it waits for the worker thread now
    assert dialog.ui.mailTestBusy.isVisible() and not dialog.ui.mailTestButton.isEnabled()
    await task
    assert not dialog.ui.mailTestBusy.isVisible() and dialog.ui.mailTestButton.isEnabled()
    return dialog.ui.mailTestResult.text()


@pytest.mark.asyncio
async def test_test_the_connection_logs_in_to_the_starttls_server(
    open_dialog: OpenDialog, smtp_server: SmtpServer
) -> None:
    dialog = open_dialog(smtp_server.settings())
    dialog.ui.mailPasswordEdit.setText(TEST_PASSWORD)
    result = await click_test(dialog)
    assert result.startswith(f"✔ Connected to 127.0.0.1:{smtp_server.port} (encrypted with TLSv1.")
    assert result.endswith(f"login of {TEST_USER} accepted.")
    assert smtp_server.messages == []
    shot(dialog, "mail_settings")


@pytest.mark.asyncio
async def test_test_the_connection_uses_the_stored_password_when_none_is_typed(
    open_dialog: OpenDialog, smtp_server: SmtpServer
) -> None:
    asked: list[str] = []

    async def stored() -> str | None:
        asked.append("vault")
        return TEST_PASSWORD

    dialog = open_dialog(smtp_server.settings(), stored_password=stored)
    result = await click_test(dialog)
    assert asked == ["vault"] and "login of support@example.test accepted" in result
    assert dialog.ui.mailPasswordEdit.placeholderText() == "stored in the vault"


@pytest.mark.asyncio
async def test_test_the_connection_fails_clearly_with_a_wrong_password(
    open_dialog: OpenDialog, smtp_server: SmtpServer
) -> None:
    dialog = open_dialog(smtp_server.settings())
    wrong = "pas-le-bon-mot-de-passe"
    dialog.ui.mailPasswordEdit.setText(wrong)
    result = await click_test(dialog)
    assert result.startswith(f"✘ The mail server 127.0.0.1:{smtp_server.port} refused the login of {TEST_USER}")
    assert "Check the user name and the password" in result and wrong not in result
    assert dialog.ui.mailTestResult.palette().color(QPalette.ColorRole.WindowText).name() == "#b3261e"
    shot(dialog, "mail_settings_wrong_password")

    # Without any password, it says so before connecting.
    dialog.ui.mailPasswordEdit.clear()
    assert "no password" in await click_test(dialog)


def test_the_general_page_turns_the_command_line_agent_off_and_on(open_dialog: OpenDialog) -> None:
    dialog = open_dialog(COMPANY_MAIL)
    dialog.ui.tabs.setCurrentWidget(dialog.ui.generalTab)
    check = dialog.ui.commandAgentCheck
    assert check.isVisible() == agent_client.supported(), "shown where the agent exists (Linux)"
    assert check.isChecked(), "on by default"
    check.setChecked(False)
    assert dialog.edited_settings().command_agent is False
    check.setChecked(True)
    assert dialog.edited_settings().command_agent is True
