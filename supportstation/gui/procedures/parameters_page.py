"""The procedure's parameters: the list on the left (add, remove, reorder), the chosen one's form on the right.

A parameter's value reaches a command quoted for the host's shell; `raw` inserts it as it is, which the format
allows only with a pattern that refuses shell syntax (the validation says so when it does not).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from ruamel.yaml.comments import CommentedMap

from supportstation import i18n
from supportstation.i18n import _
from supportstation.procedures import editing

from .fields import CheckField, ChoiceField, Edit, LineField, ListField, TextField, UndoKeys, number
from .step_pages import FormPage


def type_choices() -> list[tuple[str, str]]:
    return [
        ("string", _("Text")),
        ("integer", _("Whole number")),
        ("boolean", _("Yes / no")),
        ("choice", _("One of a list")),
        ("host", _("Host name or address")),
        ("secret", _("Secret (masked, never stored)")),
    ]


class ParameterForm(FormPage):
    def __init__(self, keys: UndoKeys, parent: QWidget | None = None) -> None:
        super().__init__(_("Parameter"), keys, parent)
        self.heading.hide()
        self.help.hide()
        self.layout().setContentsMargins(0, 0, 0, 0)
        self.add(LineField(("name",), _("Name"), "path"), tip=_("Used as {name} in commands; lowercase and '_'."))
        self.add(ChoiceField(("type",), _("Type"), type_choices(), default="string"))
        self.add(TextField(("label",), _("Label")))
        self.data: CommentedMap | None = None
        self.base: tuple[str | int, ...] = ()
        default = LineField(("default",), _("Default"), _("none: the engineer must give a value"), self._default)
        self.add(default)
        self.add(CheckField(("required",), _("Required"), _("A value must be given"), default=True))
        self.add(LineField(("pattern",), _("Pattern"), _("a regular expression the whole value must match")))
        self.add(ListField(("choices",), _("Choices"), _("for 'One of a list': fast, full, …")))
        self.add(
            CheckField(("raw",), _("Raw"), _("Insert without quoting (needs a strict pattern)")),
            tip=_("For a list of options or a glob. The pattern must refuse spaces, quotes, ;, |, $ and the like."),
        )

    def load(self, data: CommentedMap, base: tuple[str | int, ...]) -> None:
        self.data, self.base = data, base
        super().load(data, base)

    def _default(self, text: str) -> object:
        """A default written as the parameter's type reads it: 443 for a number, true for yes / no."""
        kind = editing.get(self.data, (*self.base, "type"), "string")
        if kind == "integer":
            return number(text)
        if kind == "boolean" and text.lower() in ("true", "yes", "false", "no"):
            return text.lower() in ("true", "yes")
        return text


class ParametersPage(QWidget):
    edited = Signal(object)

    def __init__(self, keys: UndoKeys, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: CommentedMap | None = None
        heading = QLabel("<h3>" + _("Parameters") + "</h3>")
        help_text = QLabel(
            _(
                "Values the engineer gives when starting the procedure, quoted for the host's shell wherever a "
                "command says {name}."
            )
        )
        help_text.setWordWrap(True)
        help_text.setStyleSheet("color: #555555;")
        self.list = QListWidget()
        self.list.setObjectName("parameterList")
        self.list.setMaximumWidth(220)
        self.list.currentRowChanged.connect(self._show_current)
        self.list.installEventFilter(keys)
        self.add_button = QPushButton(_("Add"))
        self.add_button.clicked.connect(self._add)
        self.remove_button = QPushButton(_("Remove"))
        self.remove_button.clicked.connect(self._remove)
        self.up_button = QPushButton("↑")
        self.up_button.setToolTip(_("Move up"))
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button = QPushButton("↓")
        self.down_button.setToolTip(_("Move down"))
        self.down_button.clicked.connect(lambda: self._move(1))
        for button in (self.up_button, self.down_button):
            button.setFixedWidth(32)
        self.form = ParameterForm(keys)
        self.form.edited.connect(self.edited)
        self.empty = QLabel(_("No parameters: the procedure runs the same everywhere."))
        self.empty.setStyleSheet("color: #555555;")

        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addLayout(buttons)
        body = QHBoxLayout()
        body.addLayout(left)
        right = QVBoxLayout()
        right.addWidget(self.empty)
        right.addWidget(self.form, 1)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 12)
        layout.addWidget(heading)
        layout.addWidget(help_text)
        layout.addLayout(body, 1)

    def load(self, data: CommentedMap, _base: tuple[str | int, ...] = ()) -> None:
        self.data = data
        parameters = editing.parameters_of(data)
        row = self.list.currentRow()
        self.list.blockSignals(True)
        self.list.clear()
        for parameter in parameters:
            text = self._describe(parameter) if isinstance(parameter, dict) else "?"
            item = QListWidgetItem(text)
            item.setToolTip(text)
            self.list.addItem(item)
        self.list.blockSignals(False)
        if parameters:
            self.list.setCurrentRow(max(0, min(row, len(parameters) - 1)))
        self._show_current(self.list.currentRow())

    def refresh(self, data: CommentedMap) -> None:
        """After a change in the form: the list's names and labels, without reloading the form being typed in."""
        for row, parameter in enumerate(editing.parameters_of(data)):
            item = self.list.item(row)
            if item is not None and isinstance(parameter, dict):
                item.setText(self._describe(parameter))

    @staticmethod
    def _describe(parameter: dict) -> str:  # type: ignore[type-arg]
        label = editing.describe_step({"title": parameter.get("label")}, i18n.current())
        return str(parameter.get("name", "?")) + (f" — {label}" if label != "?" else "")

    def select(self, row: int) -> None:
        self.list.setCurrentRow(row)

    def _show_current(self, row: int) -> None:
        valid = self.data is not None and 0 <= row < len(editing.parameters_of(self.data))
        self.form.setVisible(valid)
        self.empty.setVisible(self.list.count() == 0)
        self.remove_button.setEnabled(valid)
        self.up_button.setEnabled(valid and row > 0)
        self.down_button.setEnabled(valid and row < self.list.count() - 1)
        if valid and self.data is not None:
            self.form.load(self.data, ("parameters", row))

    def _add(self) -> None:
        self.edited.emit(Edit(_("Add a parameter"), editing.add_parameter))  # the editor reloads this page at once
        self.list.setCurrentRow(self.list.count() - 1)
        first = self.form.first_field()
        if first is not None:
            first.setFocus()

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.edited.emit(Edit(_("Remove a parameter"), lambda data: editing.remove_parameter(data, row)))

    def _move(self, offset: int) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        self.edited.emit(Edit(_("Move a parameter"), lambda data: editing.move_parameter(data, row, row + offset)))
        self.list.setCurrentRow(row + offset)

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        control = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if control and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._move(-1 if event.key() == Qt.Key.Key_Up else 1)
            return
        super().keyPressEvent(event)
