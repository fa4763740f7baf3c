"""A form for a procedure's parameters: one field per typed parameter, with its label, default and hint.

Values are handed to the engine as typed; the engine checks them (pattern, type, required) and says what is wrong.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from supportstation.i18n import _
from supportstation.plugin_api.actions import ParameterType
from supportstation.procedures.model import ParameterSpec, text_in


class ParameterForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.fields: dict[str, QWidget] = {}
        self.specs: list[ParameterSpec] = []

    def set_parameters(self, specs: list[ParameterSpec], language: str, host_names: list[str]) -> None:
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.fields = {}
        self.specs = list(specs)
        if not specs:
            self.layout_.addRow(QLabel(_("This procedure takes no parameters.")))
        for spec in specs:
            field = self._field(spec, host_names)
            field.setObjectName(f"parameter_{spec.name}")
            label = text_in(spec.label, language) or spec.name
            if spec.required and spec.default is None:
                label += " *"
            hint = _("pattern: {pattern}").format(pattern=spec.pattern) if spec.pattern else ""
            field.setToolTip(f"{spec.name}" + (f" — {hint}" if hint else ""))
            self.layout_.addRow(_("{label}:").format(label=label), field)
            self.fields[spec.name] = field

    def _field(self, spec: ParameterSpec, host_names: list[str]) -> QWidget:
        if spec.type is ParameterType.BOOLEAN:
            box = QCheckBox()
            box.setChecked(bool(spec.default))
            return box
        if spec.type is ParameterType.CHOICE:
            combo = QComboBox()
            combo.addItems(spec.choices)
            if spec.default is not None:
                combo.setCurrentText(str(spec.default))
            return combo
        if spec.type is ParameterType.HOST:
            combo = QComboBox()
            combo.setEditable(True)
            combo.addItems(host_names)
            combo.setCurrentText(str(spec.default) if spec.default is not None else "")
            return combo
        edit = QLineEdit()
        if spec.type is ParameterType.SECRET:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        if spec.default is not None:
            edit.setText(str(spec.default))
        if spec.pattern:
            edit.setPlaceholderText(spec.pattern)
        return edit

    def values(self) -> dict[str, object]:
        """What the engineer entered; an empty optional field is left out, so the parameter takes its default."""
        found: dict[str, object] = {}
        for name, field in self.fields.items():
            if isinstance(field, QCheckBox):
                found[name] = field.isChecked()
            elif isinstance(field, QComboBox):
                if field.currentText().strip():
                    found[name] = field.currentText().strip()
            elif isinstance(field, QLineEdit) and field.text() != "":
                found[name] = field.text()
        return found
