"""Form fields bound to a place in the procedure's YAML: each shows the value found there and, when the engineer
changes it, emits an `Edit` that the editor applies to the document (and records for undo).

A field's path is relative to its page's base (the step, the parameter): the same page serves every step of a kind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from ruamel.yaml.comments import CommentedMap

from supportstation.i18n import _
from supportstation.procedures import editing

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Edit:
    """One change from the form: what the undo menu calls it, the change itself, and a key that lets consecutive
    changes of the same field merge into one undo step (typing a title is one step, not one per letter)."""

    label: str
    apply: Callable[[CommentedMap], object]
    merge_key: object = None


def value_edit(label: str, path: Path, value: Any) -> Edit:
    return Edit(label, lambda data: editing.set_value(data, path, value), ("value", path))


class UndoKeys(QObject):
    """Ctrl+Z / Ctrl+Shift+Z (and Ctrl+Y) typed in any of the editor's text fields go to the editor's one history,
    shared by the form and the source, rather than to the field's own undo."""

    undo = Signal()
    redo = Signal()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        if not isinstance(event, QKeyEvent):
            return False
        wanted = self.undo if is_undo(event) else self.redo if is_redo(event) else None
        if wanted is None:
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            event.accept()  # the key press comes to this filter; no window shortcut fires a second undo
        else:
            wanted.emit()
        return True


def is_undo(event: QKeyEvent) -> bool:
    return event.matches(QKeySequence.StandardKey.Undo)


def is_redo(event: QKeyEvent) -> bool:
    combination = event.keyCombination().toCombined()
    return event.matches(QKeySequence.StandardKey.Redo) or combination == QKeySequence("Ctrl+Shift+Z")[0].toCombined()


def monospace() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class Field(QWidget):
    """A widget showing the value at `path` below its page's base; emits `edited` with an Edit."""

    edited = Signal(object)

    def __init__(self, path: Path, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.label = label
        self.base: Path = ()
        self.loading = False

    @property
    def full_path(self) -> Path:
        return self.base + self.path

    def load(self, data: CommentedMap, base: Path) -> None:
        self.base = base
        self.loading = True
        try:
            self.show_value(editing.get(data, self.full_path))
        finally:
            self.loading = False

    def show_value(self, value: Any) -> None:
        raise NotImplementedError

    def emit_value(self, value: Any) -> None:
        if not self.loading:
            self.edited.emit(value_edit(_("Change {field}").format(field=self.label), self.full_path, value))

    def editors(self) -> list[QWidget]:
        """The widgets that take keyboard input, for the undo keys and the first focus."""
        return [self]


def _as_text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _set_line(line: QLineEdit, text: str) -> None:
    if line.text() != text:  # leaves the cursor where the engineer types when the value came from this field
        line.setText(text)


def _set_plain(edit: QPlainTextEdit, text: str) -> None:
    if edit.toPlainText() != text:
        edit.setPlainText(text)


class LineField(Field):
    """One line of text; `convert` turns the text into the value written (a number when it reads as one)."""

    def __init__(self, path: Path, label: str, placeholder: str = "", convert: Callable[[str], Any] | None = None):
        super().__init__(path, label)
        self.line = QLineEdit()
        self.line.setPlaceholderText(placeholder)
        self.line.setAccessibleName(label)
        self.convert = convert or (lambda text: text)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line)
        self.setFocusProxy(self.line)
        self.line.textEdited.connect(lambda text: self.emit_value(self.convert(text.strip())))

    def show_value(self, value: Any) -> None:
        _set_line(self.line, _as_text(value))

    def editors(self) -> list[QWidget]:
        return [self.line]


def number(text: str) -> Any:
    """A whole or decimal number when the text reads as one; otherwise the text, for validation to explain."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def version(text: str) -> Any:
    return int(text) if text.isdigit() else text


class CodeField(Field):
    """A command or script: monospace, several lines, never wrapped."""

    def __init__(self, path: Path, label: str, placeholder: str = "", lines: int = 3):
        super().__init__(path, label)
        self.edit = QPlainTextEdit()
        self.edit.setFont(monospace())
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setTabChangesFocus(True)
        self.edit.setAccessibleName(label)
        self.edit.setFixedHeight(self.edit.fontMetrics().lineSpacing() * lines + 14)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(lambda: self.emit_value(self.edit.toPlainText()))

    def show_value(self, value: Any) -> None:
        _set_plain(self.edit, _as_text(value))

    def editors(self) -> list[QWidget]:
        return [self.edit]


class TextField(Field):
    """A text in French and in English (the format's two languages). A text written once for both shows in both
    boxes; changing one makes it a pair. `keep` writes "" rather than removing the key when both are emptied."""

    def __init__(self, path: Path, label: str, *, multiline: bool = False, keep: bool = False, placeholder: str = ""):
        super().__init__(path, label)
        self.keep = keep
        self.boxes: dict[str, QLineEdit | QPlainTextEdit] = {}
        layout: QHBoxLayout | QVBoxLayout = QVBoxLayout(self) if multiline else QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for language, name in (("fr", _("French")), ("en", _("English"))):
            box: QLineEdit | QPlainTextEdit
            if multiline:
                box = QPlainTextEdit()
                box.setTabChangesFocus(True)
                box.setFixedHeight(box.fontMetrics().lineSpacing() * 3 + 14)
                box.textChanged.connect(lambda language=language, box=box: self._changed(language, box.toPlainText()))
            else:
                box = QLineEdit()
                box.textEdited.connect(lambda text, language=language: self._changed(language, text))
            box.setPlaceholderText(placeholder or name)
            box.setAccessibleName(f"{label} ({name})")
            box.setObjectName(f"text_{language}")
            tag = QLabel(language.upper())
            tag.setToolTip(name)
            tag.setStyleSheet("color: #6b6b6b; font-size: 9pt;")
            tag.setFixedWidth(tag.fontMetrics().horizontalAdvance("FR") + 6)
            row = QHBoxLayout()
            row.setSpacing(4)
            row.addWidget(tag, 0, Qt.AlignmentFlag.AlignTop if multiline else Qt.AlignmentFlag.AlignVCenter)
            row.addWidget(box, 1)
            layout.addLayout(row, 1)
            self.boxes[language] = box
        self.setFocusProxy(self.boxes["fr"])

    def show_value(self, value: Any) -> None:
        if isinstance(value, dict):
            texts = {language: _as_text(value.get(language)) for language in self.boxes}
        else:
            texts = dict.fromkeys(self.boxes, _as_text(value))
        for language, box in self.boxes.items():
            if isinstance(box, QLineEdit):
                _set_line(box, texts[language])
            else:
                _set_plain(box, texts[language])

    def _changed(self, language: str, text: str) -> None:
        if self.loading:
            return
        path, keep = self.full_path, self.keep
        self.edited.emit(
            Edit(
                _("Change {field}").format(field=self.label),
                lambda data: editing.set_text(data, path, language, text, keep=keep),
                ("text", path, language),
            )
        )

    def editors(self) -> list[QWidget]:
        return list(self.boxes.values())


class CheckField(Field):
    """A yes/no key: the format's default is written as no key at all."""

    def __init__(self, path: Path, label: str, text: str, default: bool = False):
        super().__init__(path, label)
        self.default = default
        self.box = QCheckBox(text)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        self.setFocusProxy(self.box)
        self.box.toggled.connect(lambda checked: self.emit_value(None if checked == self.default else checked))

    def show_value(self, value: Any) -> None:
        self.box.setChecked(self.default if value is None else bool(value))

    def editors(self) -> list[QWidget]:
        return [self.box]


class ChoiceField(Field):
    """One of a few values (shown with their labels); the format's default is written as no key. An editable one
    also takes a value of its own (a host parameter's name)."""

    def __init__(
        self, path: Path, label: str, choices: Sequence[tuple[str, str]], default: str = "", editable: bool = False
    ):
        super().__init__(path, label)
        self.default = default
        self.combo = QComboBox()
        self.combo.setEditable(editable)
        self.combo.setAccessibleName(label)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.set_choices(choices)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addStretch(1)
        self.setFocusProxy(self.combo)
        if editable:
            self.combo.editTextChanged.connect(lambda text: self._chosen(text.strip()))
        self.combo.activated.connect(lambda index: self._chosen(self.combo.itemData(index)))

    def set_choices(self, choices: Sequence[tuple[str, str]]) -> None:
        loading, self.loading = self.loading, True
        current = self.combo.currentText()
        self.combo.clear()
        for value, text in choices:
            self.combo.addItem(text, value)
        if self.combo.isEditable():
            self.combo.setEditText(current)
        self.loading = loading

    def _chosen(self, value: Any) -> None:
        if value is None:
            return
        self.emit_value(None if value == self.default else value)

    def show_value(self, value: Any) -> None:
        text = self.default if value is None else _as_text(value)
        index = self.combo.findData(text)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        elif self.combo.isEditable():
            if self.combo.currentText() != text:
                self.combo.setEditText(text)
        else:  # a value the form does not offer: shown as it is, for the validation to explain
            self.combo.addItem(text, text)
            self.combo.setCurrentIndex(self.combo.count() - 1)

    def editors(self) -> list[QWidget]:
        return [self.combo]


class ListField(LineField):
    """A short list written on one line, separated by commas; numbers stay numbers."""

    def __init__(self, path: Path, label: str, placeholder: str = "", numbers: bool = False):
        super().__init__(path, label, placeholder)
        self.numbers = numbers
        self.line.textEdited.disconnect()
        self.line.textEdited.connect(lambda text: self.emit_value(self._items(text)))

    def _items(self, text: str) -> list[Any]:
        items = [item.strip() for item in text.split(",") if item.strip()]
        return [number(item) for item in items] if self.numbers else items

    def show_value(self, value: Any) -> None:
        if isinstance(value, list):
            shown = ", ".join(_as_text(item) for item in value)
            if self._items(self.line.text()) != self._items(shown):  # "a, " being typed reads as "a"
                self.line.setText(shown)
        else:
            _set_line(self.line, _as_text(value))


def watch_undo_keys(widget: QWidget, keys: UndoKeys) -> None:
    for field in widget.findChildren(Field):
        for editor in field.editors():
            editor.installEventFilter(keys)
