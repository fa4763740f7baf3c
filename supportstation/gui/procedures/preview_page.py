"""The dry run: what each step would do on a host of the inventory (its shells pick the commands) or for a shell,
with the parameter values the engineer enters: the exact commands, quoted as they would run, secrets masked.
Nothing is run and nothing is stored."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from supportstation import i18n
from supportstation.i18n import _
from supportstation.plugin_api.actions import ParameterError, ParameterType
from supportstation.procedures.model import ParameterSpec, Procedure, text_in
from supportstation.procedures.templates import PreviewLine, TemplateError, preview, resolve_parameters

from .step_pages import kind_label

if TYPE_CHECKING:
    from supportstation.storage.database import Database


@dataclass(frozen=True)
class PreviewTarget:
    label: str
    shells: tuple[str, ...]
    host_name: str = ""


def inventory_targets(database: Database) -> list[PreviewTarget]:
    """Every inventory host with the shells it runs, preferred first (called in a worker thread)."""
    from supportstation.remote.host_targets import host_targets

    with database.session() as session:
        return [
            PreviewTarget(
                f"{host.label} — {host.client} ({', '.join(host.target.shells)})", host.target.shells, host.label
            )
            for host in host_targets(session)
        ]


def shell_targets() -> list[PreviewTarget]:
    return [
        PreviewTarget(_("Any Linux or Unix host (sh)"), ("sh",)),
        PreviewTarget(_("Windows host, PowerShell"), ("powershell", "cmd")),
        PreviewTarget(_("Windows host, cmd"), ("cmd", "powershell")),
    ]


class PreviewPage(QWidget):
    hosts_wanted = Signal()  # shown for the first time: the editor reads the inventory

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.procedure: Procedure | None = None
        self.targets: list[PreviewTarget] = shell_targets()
        self.host_names: list[str] = []
        self.fields: dict[str, QWidget] = {}
        self.specs: list[ParameterSpec] = []
        self.lines: list[PreviewLine] = []
        self.hosts_asked = False

        self.target = QComboBox()
        self.target.setObjectName("previewTarget")
        self.target.setAccessibleName(_("Run on"))
        self.target.currentIndexChanged.connect(self.update_preview)
        self.stale = QLabel()
        self.stale.setWordWrap(True)
        self.stale.setStyleSheet("color: #8a6d00;")
        self.stale.hide()
        self.parameters = QFormLayout()
        self.error = QLabel()
        self.error.setObjectName("previewError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()
        self.output = QTextBrowser()
        self.output.setObjectName("previewOutput")
        self.output.setOpenLinks(False)

        top = QHBoxLayout()
        run_on = QLabel(_("&Run on:"))
        run_on.setBuddy(self.target)
        top.addWidget(run_on)
        top.addWidget(self.target, 1)
        hint = QLabel(_("Nothing runs: this shows the commands exactly as they would be sent."))
        hint.setStyleSheet("color: #555555;")
        top.addWidget(hint)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(QLabel("<b>" + _("Parameter values") + "</b>"))
        left.addLayout(self.parameters)
        left.addStretch(1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        right_widget = QWidget()
        right = QVBoxLayout(right_widget)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.stale)
        right.addWidget(self.error)
        right.addWidget(self.output, 1)
        self.splitter = QSplitter()
        self.splitter.addWidget(left_widget)
        self.splitter.addWidget(right_widget)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([330, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self._fill_targets()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().showEvent(event)
        if not self.hosts_asked:
            self.hosts_asked = True
            self.hosts_wanted.emit()

    def set_hosts(self, hosts: Sequence[PreviewTarget]) -> None:
        self.host_names = [host.host_name for host in hosts]
        self.targets = shell_targets() + list(hosts)
        self._fill_targets()
        for spec in self.specs:
            field = self.fields.get(spec.name)
            if spec.type is ParameterType.HOST and isinstance(field, QComboBox):
                current = field.currentText()
                field.clear()
                field.addItems(self.host_names)
                field.setCurrentText(current)

    def _fill_targets(self) -> None:
        current = self.target.currentText()
        self.target.blockSignals(True)
        self.target.clear()
        for index, target in enumerate(self.targets):
            self.target.addItem(target.label)
            self.target.setItemData(index, " / ".join(target.shells), Qt.ItemDataRole.ToolTipRole)
            if index == len(shell_targets()) - 1 and len(self.targets) > index + 1:
                self.target.insertSeparator(self.target.count())
        found = self.target.findText(current)
        self.target.setCurrentIndex(max(found, 0))
        self.target.blockSignals(False)
        self.update_preview()

    def choose_target(self, label_part: str) -> bool:
        """Selects the first target whose label contains `label_part` (a host's name)."""
        for index in range(self.target.count()):
            if label_part in self.target.itemText(index):
                self.target.setCurrentIndex(index)
                return True
        return False

    def current_target(self) -> PreviewTarget:
        text = self.target.currentText()
        return next((target for target in self.targets if target.label == text), self.targets[0])

    def set_procedure(self, procedure: Procedure | None, *, stale: bool) -> None:
        """The last valid version; `stale` when the text has problems since (the preview says so)."""
        self.stale.setText(
            _("The procedure has problems: this shows its last valid version.") if stale and procedure else ""
        )
        self.stale.setVisible(stale and procedure is not None)
        if procedure is not None and (self.procedure is None or procedure.parameters != self.procedure.parameters):
            self._build_fields(procedure.parameters)
        self.procedure = procedure
        self.update_preview()

    def _build_fields(self, specs: Sequence[ParameterSpec]) -> None:
        values = self.values()
        while self.parameters.rowCount():
            self.parameters.removeRow(0)
        self.fields = {}
        self.specs = list(specs)
        if not specs:
            self.parameters.addRow(QLabel(_("This procedure takes no parameters.")))
        language = i18n.current()
        for spec in specs:
            field = self._field(spec, values.get(spec.name))
            field.setObjectName(f"preview_{spec.name}")
            label = text_in(spec.label, language) or spec.name
            if spec.required and spec.default is None:
                label += " *"
            field.setToolTip(spec.name)
            self.parameters.addRow(_("{label}:").format(label=label), field)
            self.fields[spec.name] = field

    def _field(self, spec: ParameterSpec, previous: object) -> QWidget:
        if spec.type is ParameterType.BOOLEAN:
            box = QCheckBox()
            box.setChecked(bool(previous if previous is not None else spec.default))
            box.toggled.connect(self.update_preview)
            return box
        if spec.type in (ParameterType.CHOICE, ParameterType.HOST):
            combo = QComboBox()
            combo.setEditable(spec.type is ParameterType.HOST)
            combo.addItems(spec.choices if spec.type is ParameterType.CHOICE else self.host_names)
            value = previous if previous is not None else spec.default
            combo.setCurrentText("" if value is None else str(value))
            combo.currentTextChanged.connect(self.update_preview)
            return combo
        edit = QLineEdit("" if previous is None else str(previous))
        if spec.type is ParameterType.SECRET:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setPlaceholderText("" if spec.default is None else str(spec.default))
        edit.textChanged.connect(self.update_preview)
        return edit

    def values(self) -> dict[str, object]:
        found: dict[str, object] = {}
        for name, field in self.fields.items():
            if isinstance(field, QCheckBox):
                found[name] = field.isChecked()
            elif isinstance(field, QComboBox) and field.currentText().strip():
                found[name] = field.currentText().strip()
            elif isinstance(field, QLineEdit) and field.text() != "":
                found[name] = field.text()
        return found

    def set_value(self, name: str, value: str) -> None:
        field = self.fields[name]
        if isinstance(field, QLineEdit):
            field.setText(value)
        elif isinstance(field, QComboBox):
            field.setCurrentText(value)

    def update_preview(self) -> None:
        procedure = self.procedure
        if procedure is None:
            self.lines = []
            self.output.setHtml("<p>" + html.escape(_("Fix the procedure's problems to see its commands.")) + "</p>")
            return
        target = self.current_target()
        try:
            values = resolve_parameters(procedure, self.values())
            self.lines = preview(procedure, values, target.shells, i18n.current())
        except (ParameterError, TemplateError) as error:
            self.lines = []
            self.error.setText(str(error))
            self.error.show()
            self.output.setHtml("<p>" + html.escape(_("Enter the parameter values to see the commands.")) + "</p>")
            return
        self.error.hide()
        self.output.setHtml(self._html(procedure, self.lines))

    def _html(self, procedure: Procedure, lines: Sequence[PreviewLine]) -> str:
        language = i18n.current()
        parts = []
        for number, (step, line) in enumerate(zip(procedure.steps, lines, strict=True), start=1):
            title = step.label(language)
            condition = (
                " <span style='color:#8a6d00'>"
                + html.escape(_("only when {condition}").format(condition=step.when))
                + "</span>"
                if step.when
                else ""
            )
            kind = kind_label(line.kind) + (f" · {line.shell}" if line.shell else "")
            parts.append(
                f"<p style='margin-top:10px'><b>{number}. {html.escape(title)}</b> "
                f"<span style='color:#6b6b6b'>({html.escape(kind)})</span>{condition}</p>"
            )
            if line.shell:
                parts.append(
                    "<pre style='background:#f3f3f3; margin-left:14px; white-space:pre-wrap'>"
                    + html.escape(line.text)
                    + "</pre>"
                )
            else:
                parts.append("<p style='margin-left:14px'>" + html.escape(line.text).replace("\n", "<br>") + "</p>")
        return "".join(parts)
