"""Creating or changing a credential: its label, kind and user name in the database, its secret in the vault.

The secret never stays in the dialog longer than needed: the fields are cleared once it is stored. A key file is read
and checked (passphrase included) when saving, so a wrong passphrase is found here, not on site.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from supportstation.context import AppContext
from supportstation.i18n import _
from supportstation.remote.credentials import CredentialDraft, CredentialError, CredentialRow
from supportstation.storage.enums import CredentialKind

from ..dialog_future import answer
from ..vault_access import unlocked_vault

KINDS = (CredentialKind.PASSWORD, CredentialKind.SSH_KEY, CredentialKind.SSH_AGENT, CredentialKind.API_TOKEN)


class CredentialDialog(QDialog):
    def __init__(self, context: AppContext, existing: CredentialRow | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.existing = existing
        self.credential_id: int | None = existing.credential_id if existing else None
        self.deleted = False
        self._task: asyncio.Task[Any] | None = None
        self.setWindowTitle(_("Edit the credential") if existing else _("New credential"))
        self.setMinimumWidth(520)

        self.label_edit = QLineEdit(existing.label if existing else "")
        self.label_edit.setPlaceholderText(_("e.g. Mairie — admin account"))
        self.kind_box = QComboBox()
        titles = {CredentialKind.PASSWORD: _("Password"), CredentialKind.SSH_KEY: _("SSH key"),
                  CredentialKind.SSH_AGENT: _("SSH agent"), CredentialKind.API_TOKEN: _("API token")}  # fmt: skip
        for kind in KINDS:
            self.kind_box.addItem(titles[kind], kind)
        if existing is not None:
            self.kind_box.setCurrentIndex(max(0, self.kind_box.findData(existing.kind)))
        self.username_edit = QLineEdit(existing.username if existing else "")
        self.username_edit.setPlaceholderText(_("the account on the hosts (optional)"))
        keep = _("(unchanged: leave empty to keep it)") if existing else ""
        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setPlaceholderText(keep)
        eye = self.style().standardIcon(self.style().StandardPixmap.SP_FileDialogContentsView)
        show = self.secret_edit.addAction(eye, QLineEdit.ActionPosition.TrailingPosition)
        show.setToolTip(_("Show or hide"))
        show.triggered.connect(self._toggle_shown)
        self.key_edit = QLineEdit()
        self.key_edit.setPlaceholderText(keep or _("the private key file, e.g. ~/.ssh/id_ed25519"))
        browse = QPushButton(_("Browse…"))
        browse.clicked.connect(self._choose_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(browse)
        self.key_row = QWidget()
        self.key_row.setLayout(key_row)
        key_row.setContentsMargins(0, 0, 0, 0)
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setPlaceholderText(_("if the key has one"))
        self.agent_note = QLabel(_("Keys are offered by the SSH agent running on this computer: nothing is stored."))
        self.agent_note.setWordWrap(True)
        self.vault_note = QLabel(_("The secret is kept in the vault, never in the database."))
        self.vault_note.setStyleSheet("color: #616161")

        self.form = QFormLayout()
        self.form.addRow(_("Label:"), self.label_edit)
        self.form.addRow(_("Kind:"), self.kind_box)
        self.form.addRow(_("User name:"), self.username_edit)
        self.form.addRow(_("Password:"), self.secret_edit)
        self.form.addRow(_("Key file:"), self.key_row)
        self.form.addRow(_("Passphrase:"), self.passphrase_edit)
        self.form.addRow("", self.agent_note)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828")
        self.problem.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._save_clicked)
        self.buttons.rejected.connect(self.reject)
        self.delete_button: QPushButton | None = None
        if existing is not None:
            self.delete_button = self.buttons.addButton(_("Delete…"), QDialogButtonBox.ButtonRole.DestructiveRole)
            self.delete_button.clicked.connect(self._delete_clicked)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.vault_note)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def kind(self) -> CredentialKind:
        return CredentialKind(self.kind_box.currentData())

    def _kind_changed(self) -> None:
        kind = self.kind()
        secret = kind in (CredentialKind.PASSWORD, CredentialKind.API_TOKEN)
        key = kind is CredentialKind.SSH_KEY
        self.form.setRowVisible(self.secret_edit, secret)
        self.form.labelForField(self.secret_edit).setText(_("Token:") if kind is CredentialKind.API_TOKEN
                                                           else _("Password:"))  # fmt: skip
        self.form.setRowVisible(self.key_row, key)
        self.form.setRowVisible(self.passphrase_edit, key)
        self.form.setRowVisible(self.agent_note, kind is CredentialKind.SSH_AGENT)
        self.vault_note.setVisible(kind is not CredentialKind.SSH_AGENT)

    def _toggle_shown(self) -> None:
        hidden = self.secret_edit.echoMode() == QLineEdit.EchoMode.Password
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Normal if hidden else QLineEdit.EchoMode.Password)

    def _choose_key(self) -> None:
        start = str(Path.home() / ".ssh")
        path, _filter = QFileDialog.getOpenFileName(self, _("Choose the private key"), start, _("All files (*)"))
        if path:
            self.key_edit.setText(path)

    def show_problem(self, message: str, field: str = "") -> None:
        self.problem.setText(message)
        self.problem.show()
        widget = {"label": self.label_edit, "kind": self.kind_box, "username": self.username_edit,
                  "passphrase": self.passphrase_edit}.get(field)  # fmt: skip
        if field == "secret":
            widget = self.key_edit if self.kind() is CredentialKind.SSH_KEY else self.secret_edit
        if widget is not None:
            widget.setFocus()

    # -- saving -------------------------------------------------------------------------------------------------

    def _save_clicked(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self.save())

    async def save(self) -> bool:
        """Stores the secret in the vault and the reference in the database, then closes the dialog."""
        from supportstation.remote import credentials

        database = self.context.database
        if database is None:
            return False
        self.buttons.setEnabled(False)
        try:
            vault = await unlocked_vault(self.context, self)
            if vault is None:
                self.show_problem(_("The vault is locked: the secret cannot be stored."))
                return False
            kind, key_path, passphrase = self.kind(), self.key_edit.text().strip(), self.passphrase_edit.text()
            secret: str | None = self.secret_edit.text() or None
            existing = self.existing

            def work() -> int:
                key_text = secret
                if kind is CredentialKind.SSH_KEY:
                    key_text = credentials.read_key_file(Path(key_path).expanduser()) if key_path else None
                draft = CredentialDraft(
                    self.label_edit.text(), kind, self.username_edit.text(), secret=key_text,
                    passphrase=passphrase or None,
                )  # fmt: skip
                if existing is None:
                    return credentials.create_credential(database, vault, draft)
                credentials.update_credential(database, vault, existing.credential_id, draft)
                return existing.credential_id

            try:
                self.credential_id = await asyncio.to_thread(work)
            except CredentialError as error:
                self.show_problem(str(error), error.field)
                return False
        finally:
            self.buttons.setEnabled(True)
        self.secret_edit.clear()
        self.passphrase_edit.clear()
        self.accept()
        return True

    def _delete_clicked(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self.delete())

    async def delete(self) -> bool:
        from supportstation.remote import credentials

        database, existing = self.context.database, self.existing
        if database is None or existing is None:
            return False
        box = QMessageBox(QMessageBox.Icon.Question, _("Delete the credential"),
                          _("Delete {label} and its secret?").format(label=existing.label),
                          QMessageBox.StandardButton.Cancel, self)  # fmt: skip
        delete = box.addButton(_("Delete"), QMessageBox.ButtonRole.DestructiveRole)
        if existing.host_count:
            box.setInformativeText(
                _("{count} hosts use it: they will have no credential.").format(count=existing.host_count)
            )
        self.confirmation = box
        await answer(box)
        if box.clickedButton() is not delete:
            return False
        vault = await unlocked_vault(self.context, self)
        if vault is None:
            return False
        await asyncio.to_thread(credentials.delete_credential, database, vault, existing.credential_id)
        self.deleted = True
        self.credential_id = None
        self.accept()
        return True
