"""The plugins' ready-made actions for one host: searchable, by category, with a form for their parameters.

Only the actions meant for the host's kind of system are listed unless the engineer asks for all of them; titles,
categories, descriptions and parameter labels are stored in English by the plugins and shown through `translate`
(the owning plugin's catalog, see RemoteSession.plugin_text).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _
from supportstation.plugin_api.actions import Action, Parameter, ParameterError, ParameterType

_ACTION_ROLE = Qt.ItemDataRole.UserRole
# (the contribution that declares it, the string): the string in the interface's language.
Translate = Callable[[object, str], str]


def app_translation(_item: object, message: str) -> str:
    """SupportStation's own catalog, for a library shown before the plugins (and their catalogs) are loaded."""
    return _(message) if message else message


class ParametersForm(QWidget):
    """One field per parameter of the action, typed by the parameter's kind; values are validated by the action."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.fields: dict[str, QWidget] = {}

    def show_parameters(self, parameters: Sequence[Parameter], action: object = None,
                        translate: Translate = app_translation) -> None:  # fmt: skip
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.fields = {}
        for parameter in parameters:
            field = self._field(parameter)
            field.setObjectName(f"parameter_{parameter.name}")
            label = translate(action, parameter.label) if parameter.label else parameter.name
            if not parameter.required:
                label += " " + _("(optional)")
            self.layout_.addRow(label, field)
            self.fields[parameter.name] = field

    @staticmethod
    def _field(parameter: Parameter) -> QWidget:
        if parameter.type is ParameterType.BOOLEAN:
            box = QCheckBox()
            box.setChecked(bool(parameter.default))
            return box
        if parameter.type is ParameterType.CHOICE:
            combo = QComboBox()
            combo.addItems(list(parameter.choices))
            if parameter.default in parameter.choices:
                combo.setCurrentText(str(parameter.default))
            return combo
        line = QLineEdit()
        if parameter.default is not None:
            line.setPlaceholderText(str(parameter.default))
        if parameter.type is ParameterType.SECRET:
            line.setEchoMode(QLineEdit.EchoMode.Password)
        return line

    def values(self) -> dict[str, object]:
        values: dict[str, object] = {}
        for name, field in self.fields.items():
            if isinstance(field, QCheckBox):
                values[name] = field.isChecked()
            elif isinstance(field, QComboBox):
                values[name] = field.currentText()
            elif isinstance(field, QLineEdit):
                values[name] = field.text().strip()
        return values

    def mark_error(self, name: str) -> None:
        field = self.fields.get(name)
        if field is not None:
            field.setFocus()
            field.setStyleSheet("border: 1px solid #c62828;")

    def clear_marks(self) -> None:
        for field in self.fields.values():
            field.setStyleSheet("")


class ActionLibrary(QWidget):
    # The action and its validated arguments.
    run_requested = Signal(object, dict)

    def __init__(self, parent: QWidget | None = None, translate: Translate = app_translation):
        super().__init__(parent)
        self.translate = translate
        self.actions: list[Action] = []
        self.os_family = ""
        self.vendor = ""
        self.search = QLineEdit()
        self.search.setObjectName("actionSearch")
        self.search.setPlaceholderText(_("Search actions…"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._fill)
        self.show_all = QCheckBox(_("All systems"))
        self.show_all.setToolTip(_("Also list the actions meant for other kinds of systems."))
        self.show_all.toggled.connect(self._fill)
        self.tree = QTreeWidget()
        self.tree.setObjectName("actionTree")
        self.tree.setHeaderHidden(True)
        self.tree.currentItemChanged.connect(self._selected)
        self.tree.itemActivated.connect(self._activated)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setTextFormat(Qt.TextFormat.PlainText)
        self.form = ParametersForm()
        self.error = QLabel()
        self.error.setObjectName("parameterError")
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.run_button = QPushButton(_("Run the action"))
        self.run_button.setObjectName("runAction")
        self.run_button.setEnabled(False)
        self.run_button.clicked.connect(self._run_clicked)

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.show_all)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.description)
        layout.addWidget(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.run_button)

    def set_actions(self, actions: Sequence[Action]) -> None:
        self.actions = sorted(actions, key=lambda action: (self._text(action, "category"), self._text(action, "title")))
        self._fill()

    def set_system(self, os_family: str, vendor: str) -> None:
        self.os_family, self.vendor = os_family, vendor
        self._fill()

    def current_action(self) -> Action | None:
        item = self.tree.currentItem()
        return item.data(0, _ACTION_ROLE) if item is not None else None

    def select(self, action_id: str) -> bool:
        for index in range(self.tree.topLevelItemCount()):
            category = self.tree.topLevelItem(index)
            for child_index in range(category.childCount()):
                child = category.child(child_index)
                if child.data(0, _ACTION_ROLE).id == action_id:
                    self.tree.setCurrentItem(child)
                    return True
        return False

    def _visible(self) -> list[Action]:
        words = self.search.text().casefold().split()
        shown = []
        for action in self.actions:
            if not self.show_all.isChecked() and self.os_family and not action.applies_to(self.os_family, self.vendor):
                continue
            fields = (self._text(action, name) for name in ("title", "category", "description"))
            text = " ".join((*fields, action.id)).casefold()
            if all(word in text for word in words):
                shown.append(action)
        return shown

    def _fill(self) -> None:
        current = self.current_action()
        self.tree.clear()
        categories: dict[str, QTreeWidgetItem] = {}
        for action in self._visible():
            category = self._text(action, "category")
            parent = categories.get(category)
            if parent is None:
                parent = QTreeWidgetItem(self.tree, [category])
                parent.setFlags(Qt.ItemFlag.ItemIsEnabled)
                parent.setExpanded(True)
                categories[category] = parent
            item = QTreeWidgetItem(parent, [self._text(action, "title")])
            item.setData(0, _ACTION_ROLE, action)
            item.setToolTip(0, action.id)
        if not categories:
            empty = QTreeWidgetItem(self.tree, [_("No action matches.") if self.actions else _("No plugin action.")])
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
        if current is not None:
            self.select(current.id)
        self._selected(self.tree.currentItem(), None)

    def _selected(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        action = item.data(0, _ACTION_ROLE) if item is not None else None
        self.error.hide()
        self.run_button.setEnabled(action is not None)
        if action is None:
            self.description.setText("")
            self.form.show_parameters(())
            return
        text = self._text(action, "description")
        if action.needs_sudo:
            text += "\n" + _("Runs with administrator rights (sudo).")
        self.description.setText(text)
        self.form.show_parameters(action.parameters, action, self.translate)

    def _text(self, action: Action, field: str) -> str:
        return self.translate(action, getattr(action, field))

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, _ACTION_ROLE) is not None:
            self._run_clicked()

    def _run_clicked(self) -> None:
        action = self.current_action()
        if action is None:
            return
        self.form.clear_marks()
        try:
            arguments = action.validate_arguments(self.form.values())
        except ParameterError as error:
            parameter = next((item for item in action.parameters if item.name == error.parameter), None)
            label = self.translate(action, parameter.label) if parameter is not None and parameter.label else ""
            self.error.setText(
                _("{label} ({name}): {message}").format(label=label, name=error.parameter, message=error.reason)
                if label
                else str(error)
            )
            self.error.show()
            self.form.mark_error(error.parameter)
            return
        self.error.hide()
        self.run_requested.emit(action, arguments)
