"""Adding or editing a host: where it is (client, site), how to reach it, how to log in, what it is.

Saving runs in a worker thread; the dialog closes only once the host is written. Every problem is shown at once,
its field's label in red, so the engineer fixes them in one pass.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from supportstation.context import AppContext
from supportstation.i18n import _
from supportstation.remote.credentials import CredentialRow
from supportstation.remote.host_editing import FieldProblem, HostDraft, HostFormChoices
from supportstation.remote.host_fields import split_tags
from supportstation.remote.inventory import OS_FAMILIES, VENDOR_NAMES, os_family_label
from supportstation.storage.enums import HostTransport

from ..dialog_future import answer
from .credential_dialog import CredentialDialog

if TYPE_CHECKING:
    from supportstation.storage.database import Database

NEW_CREDENTIAL = "new"
DEFAULT_PORTS = {"ssh": 22, "winrm": 5985}
_PROBLEM_STYLE = "color: #c62828"


@dataclass(frozen=True)
class HostFormData:
    choices: HostFormChoices
    credentials: list[CredentialRow]
    # The loaded plugins' transports (name, title in the interface's language, default port), for switches and BMCs.
    device_transports: tuple[tuple[str, str, int], ...] = ()


def load_form_data(database: Database, device_transports: tuple[tuple[str, str, int], ...] = ()) -> HostFormData:
    """What the form's lists offer; read in a worker thread before the dialog opens."""
    from supportstation.remote.credentials import list_credentials
    from supportstation.remote.host_editing import form_choices

    with database.session() as session:
        return HostFormData(form_choices(session), list_credentials(session), device_transports)


class HostDialog(QDialog):
    def __init__(
        self, context: AppContext, data: HostFormData, draft: HostDraft, host_id: int | None, parent: QWidget | None
    ):
        super().__init__(parent)
        self.context = context
        self.data = data
        self.host_id = host_id
        self.saved_host_id: int | None = None
        self.credentials_changed = False
        self._task: asyncio.Task[Any] | None = None
        self.setWindowTitle(_("Edit the host {name}").format(name=draft.name) if host_id else _("Add a host"))
        self.setMinimumWidth(900)

        self.name_edit = QLineEdit(draft.name)
        self.name_edit.setPlaceholderText(_("as the team calls it, e.g. srv-compta"))
        self.client_box = self._editable_box(list(data.choices.sites_by_client), draft.client)
        self.client_box.lineEdit().setPlaceholderText(_("existing or new client"))
        self.site_box = self._editable_box([], draft.site)
        self.site_box.lineEdit().setPlaceholderText(_("optional"))
        self.client_box.currentTextChanged.connect(self._client_changed)
        self._client_changed(self.client_box.currentText(), keep=draft.site)

        self.address_edit = QLineEdit(draft.address if draft.address != draft.name else "")
        self.address_edit.setPlaceholderText(_("host name or IP address (empty: the name)"))
        self.transport_box = QComboBox()
        for transport, label in ((HostTransport.SSH, "SSH"), (HostTransport.WINRM, "WinRM"),
                                 (HostTransport.OTHER, _("Other"))):  # fmt: skip
            self.transport_box.addItem(label, transport.value)
        for name, title, _port in data.device_transports:
            self.transport_box.addItem(f"{title} ({name})", name)
        if self.transport_box.findData(draft.transport) < 0:
            # A device whose plugin is not loaded keeps its transport: saving must not turn it into SSH.
            self.transport_box.addItem(_("{name} (plugin not loaded)").format(name=draft.transport), draft.transport)
        self.transport_box.setCurrentIndex(max(0, self.transport_box.findData(draft.transport)))
        self.port_spin = QSpinBox()
        self.port_spin.setRange(0, 65535)
        self.port_spin.setValue(draft.port or 0)
        self.transport_box.currentIndexChanged.connect(self._transport_changed)
        self._transport_changed()
        self.os_box = QComboBox()
        for family in OS_FAMILIES:
            self.os_box.addItem(os_family_label(family), family)
        if self.os_box.findData(draft.os_family) < 0:
            self.os_box.addItem(draft.os_family, draft.os_family)
        self.os_box.setCurrentIndex(self.os_box.findData(draft.os_family))
        vendors = sorted({*data.choices.vendors, *VENDOR_NAMES}, key=str.lower)
        self.vendor_box = self._editable_box(vendors, draft.vendor)
        self.vendor_box.lineEdit().setPlaceholderText(_("dell, hpe, cisco…"))

        self.login_edit = QLineEdit(draft.login_user)
        self.login_edit.setPlaceholderText(_("empty: the credential's user"))
        self.credential_box = QComboBox()
        self.credential_box.setMinimumContentsLength(28)
        self.credential_edit = QPushButton(_("Edit…"))
        self.credential_edit.setToolTip(_("Change the credential: its label, user or secret"))
        self.credential_edit.clicked.connect(lambda: self._run(self.edit_credential()))
        self._fill_credentials(draft.credential_id)
        self.credential_box.activated.connect(self._credential_activated)
        self.credential_box.currentIndexChanged.connect(self._credential_changed)
        self._previous_credential = self.credential_box.currentIndex()
        credential_row = QHBoxLayout()
        credential_row.setContentsMargins(0, 0, 0, 0)
        credential_row.addWidget(self.credential_box, 1)
        credential_row.addWidget(self.credential_edit)
        self._credential_changed()
        self.jump_edit = QLineEdit(draft.proxy_jump)
        self.jump_edit.setPlaceholderText(_("user@bastion:2222, as ssh -J"))
        self.keys_edit = QLineEdit("; ".join(draft.identity_files))
        self.keys_edit.setToolTip(_("Private key files on this computer, separated by ';'"))
        self.keys_edit.setPlaceholderText(_("~/.ssh/id_client; …"))
        browse = QPushButton(_("Browse…"))
        browse.clicked.connect(self._choose_key)
        keys_row = QHBoxLayout()
        keys_row.setContentsMargins(0, 0, 0, 0)
        keys_row.addWidget(self.keys_edit, 1)
        keys_row.addWidget(browse)

        self.tags_edit = QLineEdit(", ".join(draft.tags))
        self.tags_edit.setPlaceholderText(_("separated by commas, e.g. serveur, sauvegarde"))
        if data.choices.tags:
            self.tags_edit.setToolTip(_("Tags in use: {tags}").format(tags=", ".join(data.choices.tags[:40])))
        self.notes_edit = QPlainTextEdit(draft.notes)
        self.notes_edit.setPlaceholderText(_("access, quirks, what to check first…"))
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(90)

        self.forms: list[QFormLayout] = []
        where = self._group(_("Host"), [(_("Name:"), self.name_edit), (_("Client:"), self.client_box),
                                        (_("Site:"), self.site_box)])  # fmt: skip
        reach = self._group(_("Connection"), [(_("Address:"), self.address_edit), (_("Transport:"), self.transport_box),
                                              (_("Port:"), self.port_spin), (_("System:"), self.os_box),
                                              (_("Vendor:"), self.vendor_box)])  # fmt: skip
        login = self._group(_("Login"), [(_("Credential:"), credential_row), (_("Login:"), self.login_edit),
                                         (_("Jump hosts:"), self.jump_edit), (_("Key files:"), keys_row)])  # fmt: skip
        about = self._group(_("Notes"), [(_("Tags:"), self.tags_edit), (_("Notes:"), self.notes_edit)])
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(_PROBLEM_STYLE)
        self.problems.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(lambda: self._run(self.save()))
        self.buttons.rejected.connect(self.reject)
        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(where)
        left.addWidget(reach)
        left.addStretch(1)
        right.addWidget(login)
        right.addWidget(about)
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
        self._fields: dict[str, QWidget] = {
            "name": self.name_edit, "client": self.client_box, "site": self.site_box, "address": self.address_edit,
            "port": self.port_spin, "transport": self.transport_box, "os_family": self.os_box,
            "vendor": self.vendor_box, "credential_id": self.credential_box, "login_user": self.login_edit,
            "proxy_jump": self.jump_edit, "identity_files": self.keys_edit, "tags": self.tags_edit,
            "notes": self.notes_edit,
        }  # fmt: skip
        self.name_edit.setFocus()

    # -- building -----------------------------------------------------------------------------------------------

    def _editable_box(self, items: list[str], current: str) -> QComboBox:
        box = QComboBox()
        box.setEditable(True)
        box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        box.addItems(items)
        box.setCurrentText(current)
        return box

    def _group(self, title: str, rows: list[tuple[str, Any]]) -> QGroupBox:
        group = QGroupBox(title)
        form = QFormLayout(group)
        for label, field in rows:
            form.addRow(label, field)
        self.forms.append(form)
        return group

    def _client_changed(self, client: str, keep: str | None = None) -> None:
        current = self.site_box.currentText() if keep is None else keep
        self.site_box.clear()
        sites = next((sites for name, sites in self.data.choices.sites_by_client.items()
                      if name.lower() == client.strip().lower()), ())  # fmt: skip
        self.site_box.addItems(list(sites))
        self.site_box.setCurrentText(current)

    def _transport_changed(self) -> None:
        ports = DEFAULT_PORTS | {name: port for name, _title, port in self.data.device_transports}
        default = ports.get(self.transport_box.currentData())
        self.port_spin.setSpecialValueText(_("default ({port})").format(port=default) if default else _("default"))

    def _fill_credentials(self, selected: int | None) -> None:
        self.credential_box.blockSignals(True)
        self.credential_box.clear()
        self.credential_box.addItem(_("(none: the SSH agent and my keys)"), None)
        for row in self.data.credentials:
            self.credential_box.addItem(row.display, row.credential_id)
        self.credential_box.insertSeparator(self.credential_box.count())
        self.credential_box.addItem(_("New credential…"), NEW_CREDENTIAL)
        self.credential_box.setCurrentIndex(max(0, self.credential_box.findData(selected)))
        self.credential_box.blockSignals(False)
        self._previous_credential = self.credential_box.currentIndex()
        self._credential_changed()

    def _credential_changed(self) -> None:
        self.credential_edit.setEnabled(isinstance(self.credential_box.currentData(), int))

    def _credential_activated(self, index: int) -> None:
        if self.credential_box.itemData(index) == NEW_CREDENTIAL:
            self._run(self.new_credential())
        else:
            self._previous_credential = index

    def _choose_key(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Choose a key file"), str(Path.home() / ".ssh"))
        if path:
            files = [part for part in split_paths(self.keys_edit.text()) if part]
            self.keys_edit.setText("; ".join([*files, path]))

    def _run(self, coroutine: Any) -> None:
        if self._task is not None and not self._task.done():
            coroutine.close()
            return
        self._task = asyncio.ensure_future(coroutine)

    # -- credentials --------------------------------------------------------------------------------------------

    async def new_credential(self) -> int | None:
        dialog = CredentialDialog(self.context, None, self)
        self.credential_dialog = dialog  # for tests
        if await answer(dialog) != QDialog.DialogCode.Accepted or dialog.credential_id is None:
            self.credential_box.setCurrentIndex(self._previous_credential)
            return None
        await self._reload_credentials(dialog.credential_id)
        return dialog.credential_id

    async def edit_credential(self) -> None:
        chosen = self.credential_box.currentData()
        existing = next((row for row in self.data.credentials if row.credential_id == chosen), None)
        if existing is None:
            return
        dialog = CredentialDialog(self.context, existing, self)
        self.credential_dialog = dialog
        if await answer(dialog) == QDialog.DialogCode.Accepted:
            await self._reload_credentials(dialog.credential_id)

    async def _reload_credentials(self, selected: int | None) -> None:
        from supportstation.remote.credentials import list_credentials

        database = self.context.database
        if database is None:
            return

        def read() -> list[CredentialRow]:
            with database.session() as session:
                return list_credentials(session)

        self.credentials_changed = True
        self.data = HostFormData(self.data.choices, await asyncio.to_thread(read))
        self._fill_credentials(selected)

    # -- saving -------------------------------------------------------------------------------------------------

    def draft(self) -> HostDraft:
        credential = self.credential_box.currentData()
        return HostDraft(
            name=self.name_edit.text(),
            address=self.address_edit.text(),
            client=self.client_box.currentText(),
            site=self.site_box.currentText(),
            port=self.port_spin.value() or None,
            os_family=self.os_box.currentData(),
            vendor=self.vendor_box.currentText(),
            transport=self.transport_box.currentData(),
            tags=split_tags(self.tags_edit.text()),
            credential_id=credential if isinstance(credential, int) else None,
            notes=self.notes_edit.toPlainText(),
            login_user=self.login_edit.text(),
            proxy_jump=self.jump_edit.text(),
            identity_files=tuple(split_paths(self.keys_edit.text())),
        )

    async def save(self) -> bool:
        """Writes the host; shows every problem and stays open when there are some."""
        from supportstation.remote.host_editing import HostDraftError, HostNotFound, create_host, update_host

        database = self.context.database
        if database is None:
            return False
        draft, host_id = self.draft(), self.host_id

        def write() -> int:
            with database.writing() as session:
                if host_id is None:
                    return create_host(session, draft)
                update_host(session, host_id, draft)
                return host_id

        self.buttons.setEnabled(False)
        try:
            self.saved_host_id = await asyncio.to_thread(write)
        except HostDraftError as error:
            self.show_problems(error.problems)
            return False
        except HostNotFound as error:
            self.show_problems([FieldProblem("", str(error))])
            return False
        finally:
            self.buttons.setEnabled(True)
        self.accept()
        return True

    def show_problems(self, problems: list[FieldProblem]) -> None:
        invalid = {problem.field for problem in problems}
        for field, widget in self._fields.items():
            for form in self.forms:
                label = form.labelForField(widget)
                if label is not None:
                    label.setStyleSheet(_PROBLEM_STYLE if field in invalid else "")
        self._mark_row_labels(invalid)
        self.problems.setText("\n".join(f"• {problem.message}" for problem in problems))
        self.problems.setVisible(bool(problems))
        first = next((self._fields[problem.field] for problem in problems if problem.field in self._fields), None)
        if first is not None:
            first.setFocus()

    def _mark_row_labels(self, invalid: set[str]) -> None:
        # Fields laid out in a row with a button (credential, key files) have their label on the row's layout.
        for form in self.forms:
            for row in range(form.rowCount()):
                label_item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
                field_item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
                if label_item is None or field_item is None or field_item.layout() is None:
                    continue
                inner = field_item.layout()
                widgets = {inner.itemAt(i).widget() for i in range(inner.count())}
                bad = any(self._fields.get(name) in widgets for name in invalid)
                label_item.widget().setStyleSheet(_PROBLEM_STYLE if bad else "")


def split_paths(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]
