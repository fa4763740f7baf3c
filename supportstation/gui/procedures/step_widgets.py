"""The parts of a step's form that are more than one field: the values a run step captures from its output, and the
arguments of a plugin action (one field per parameter the action declares)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from ruamel.yaml.comments import CommentedMap

from supportstation.i18n import _
from supportstation.plugin_api.actions import Action, ParameterType
from supportstation.procedures import editing

from ..remote.action_library import Translate, app_translation
from .fields import CheckField, ChoiceField, Edit, Field, LineField, UndoKeys, number

Path = tuple[str | int, ...]
_CAPTURE_KEYS = ("", "regex", "group", "json", "stream")  # column -> key; the first column is the name


class CapturesEditor(QWidget):
    """A run step's `capture:` as a table: one row per variable, read by a regex (its group) or a JSON path."""

    edited = Signal(object)

    def __init__(self, keys: UndoKeys, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.base: Path = ()
        self.names: list[str] = []
        self.loading = False
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("captures")
        self.table.setHorizontalHeaderLabels([_("Variable"), _("Regex"), _("Group"), _("JSON path"), _("Stream")])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 120), (2, 60), (3, 130), (4, 70)):
            self.table.setColumnWidth(column, width)
        self.table.setToolTip(
            _(
                "Each variable takes its value from the output: the group of a regex (1, or a name), or a JSON path "
                "like disks.0.free. Later steps use it as {name}."
            )
        )
        self.table.installEventFilter(keys)
        self.table.itemChanged.connect(self._changed)
        self.add_button = QPushButton(_("Add a captured value"))
        self.add_button.clicked.connect(self._add)
        self.remove_button = QPushButton(_("Remove"))
        self.remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def load(self, data: CommentedMap, base: Path) -> None:
        self.base = base
        captures = editing.get(data, (*base, "run", "capture"))
        captures = captures if isinstance(captures, dict) else {}
        self.loading = True
        try:
            self.names = [str(name) for name in captures]
            self.table.setRowCount(len(self.names))
            for row, name in enumerate(self.names):
                spec = captures[name] if isinstance(captures[name], dict) else {}
                for column, key in enumerate(_CAPTURE_KEYS):
                    value = name if column == 0 else spec.get(key, "")
                    self.table.setItem(row, column, QTableWidgetItem("" if value is None else str(value)))
            rows = max(len(self.names), 1)
            self.table.setFixedHeight(self.table.horizontalHeader().height() + 26 * min(rows, 5) + 6)
        finally:
            self.loading = False
        self.remove_button.setEnabled(bool(self.names))

    def _changed(self, item: QTableWidgetItem) -> None:
        if self.loading or not 0 <= item.row() < len(self.names):
            return
        name, text = self.names[item.row()], item.text().strip()
        path = (*self.base, "run", "capture")
        if item.column() == 0:
            if not text or text == name:
                return
            self.names[item.row()] = text
            edit = Edit(_("Rename a captured value"), lambda data: editing.rename_key(data, path, name, text))
        else:
            key = _CAPTURE_KEYS[item.column()]
            value: Any = number(text) if key == "group" and text else text
            if key == "stream" and text == "stdout":
                value = None
            edit = Edit(
                _("Change a captured value"),
                lambda data: editing.set_value(data, (*path, name, key), value),
                ("capture", path, name, key),
            )
        self.edited.emit(edit)

    def _add(self) -> None:
        step = self.base[-1]
        assert isinstance(step, int)
        self.edited.emit(Edit(_("Add a captured value"), lambda data: editing.add_capture(data, step)))

    def _remove(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.names):
            row = len(self.names) - 1
        if row < 0:
            return
        path = (*self.base, "run", "capture", self.names[row])
        self.edited.emit(Edit(_("Remove a captured value"), lambda data: editing.set_value(data, path, None)))


class ArgumentsEditor(QWidget):
    """The `arguments:` of an action step: a field per parameter of the chosen action, and any other argument the
    YAML gives (which the validation then names)."""

    edited = Signal(object)

    def __init__(self, keys: UndoKeys, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keys = keys
        self.actions: dict[str, Action] = {}
        self.translate: Translate = app_translation
        self.fields: list[Field] = []
        self._built_for: tuple[str, tuple[str, ...]] | None = None
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setTextFormat(Qt.TextFormat.PlainText)
        self.description.setStyleSheet("color: #555555;")
        self.form = QFormLayout()
        self.form.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.description)
        layout.addLayout(self.form)

    def set_actions(self, actions: Sequence[Action], translate: Translate = app_translation) -> None:
        """The actions offered; `translate` gives their plugins' words in the interface's language."""
        self.actions = {action.id: action for action in actions}
        self.translate = translate
        self._built_for = None

    def load(self, data: CommentedMap, base: Path) -> None:
        action_id = str(editing.get(data, (*base, "action", "id"), ""))
        given = editing.get(data, (*base, "action", "arguments"))
        given_names = tuple(str(name) for name in given) if isinstance(given, dict) else ()
        if self._built_for != (action_id, given_names):
            self._build(action_id, given_names)
        for field in self.fields:
            field.load(data, base)

    def _build(self, action_id: str, given: tuple[str, ...]) -> None:
        self._built_for = (action_id, given)
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = []
        action = self.actions.get(action_id)
        if action is None:
            self.description.setText(
                _("No loaded plugin provides the action {id}: it cannot run here. Its arguments are kept.").format(
                    id=action_id
                )
                if self.actions
                else _("The plugins' actions are not loaded yet.")
            )
        else:
            text = self.translate(action, action.description)
            if action.needs_sudo:
                text += " " + _("Runs with administrator rights (sudo).")
            self.description.setText(text)
        declared = list(action.parameters) if action is not None else []
        for parameter in declared:
            path: Path = ("action", "arguments", parameter.name)
            label = self.translate(action, parameter.label) if parameter.label else parameter.name
            default = "" if parameter.default is None else str(parameter.default)
            field: Field
            if parameter.type is ParameterType.BOOLEAN:
                field = CheckField(path, label, _("yes"), default=bool(parameter.default))
            elif parameter.type is ParameterType.CHOICE:
                choices = [("", _("(default: {value})").format(value=default) if default else "")]
                field = ChoiceField(path, label, choices + [(c, c) for c in parameter.choices])
            else:
                convert = number if parameter.type is ParameterType.INTEGER else None
                hint = _("default: {value}").format(value=default) if default else ""
                field = LineField(path, label, hint, convert=convert)
            self._add(field, label + (" *" if parameter.required and parameter.default is None else ""))
        known = {parameter.name for parameter in declared}
        for name in given:
            if name not in known:
                self._add(LineField(("action", "arguments", name), name), _("{name} (unknown here)").format(name=name))

    def _add(self, field: Field, label: str) -> None:
        field.edited.connect(self.edited)
        for editor in field.editors():
            editor.installEventFilter(self.keys)
        self.form.addRow(_("{label}:").format(label=label), field)
        self.fields.append(field)
