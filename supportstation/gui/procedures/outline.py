"""The left side of the procedure form: the header and the parameters, then the steps in order, with the buttons to
add a step of a kind, duplicate, remove and move one. Steps move by drag and drop and by Ctrl+Up / Ctrl+Down."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QDropEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _
from supportstation.procedures.model import STEP_KINDS

from .step_pages import kind_label

HEADER, PARAMETERS = 0, 1


class StepList(QListWidget):
    """The steps; a drop or Ctrl+Up/Down asks the editor to move a step (the document changes, then the list)."""

    move_requested = Signal(int, int)  # from, to
    remove_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stepList")
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAccessibleName(_("Steps"))

    def dropEvent(self, event: QDropEvent) -> None:
        source = self.currentRow()
        point = event.position().toPoint()
        index = self.indexAt(point)
        if not index.isValid():
            target = self.count() - 1  # below the last step
        else:
            # Dropped on the upper half of a step: before it; on the lower half: after it.
            above = point.y() < self.visualRect(index).center().y()
            target = index.row() if above else index.row() + 1
            if target > source:
                target -= 1  # the step leaves its place first
        event.setDropAction(Qt.DropAction.IgnoreAction)  # the editor moves it in the document, then refills
        event.accept()
        if source >= 0 and target != source:
            self.move_requested.emit(source, target)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        row = self.currentRow()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and row >= 0:
            if event.key() == Qt.Key.Key_Up:
                self.move_requested.emit(row, row - 1)
                return
            if event.key() == Qt.Key.Key_Down:
                self.move_requested.emit(row, row + 1)
                return
        if event.matches(QKeySequence.StandardKey.Delete) and row >= 0:
            self.remove_requested.emit(row)
            return
        super().keyPressEvent(event)


class Outline(QWidget):
    section_chosen = Signal(int)  # HEADER or PARAMETERS
    step_chosen = Signal(int)
    add_requested = Signal(str)  # a step kind
    duplicate_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sections = QListWidget()
        self.sections.setObjectName("sections")
        for text in (_("Procedure"), _("Parameters")):
            self.sections.addItem(QListWidgetItem(text))
        self.sections.setFixedHeight(self.sections.sizeHintForRow(0) * 2 + 2 * self.sections.frameWidth() + 4)
        self.sections.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sections.currentRowChanged.connect(self._section_changed)
        self.steps = StepList()
        self.steps.currentRowChanged.connect(self._step_changed)

        self.add_button = QToolButton()
        self.add_button.setText(_("Add step"))
        self.add_button.setToolTip(_("Add a step after the selected one (Ctrl+Shift+N)"))
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        menu = QMenu(self.add_button)
        self.add_actions: dict[str, QAction] = {}
        for kind in STEP_KINDS:
            action = menu.addAction(kind_label(kind))
            action.triggered.connect(lambda _checked=False, kind=kind: self.add_requested.emit(kind))
            self.add_actions[kind] = action
        self.add_button.setMenu(menu)
        self.duplicate_button = self._button(_("Duplicate"), _("Duplicate the selected step"))
        self.duplicate_button.clicked.connect(lambda: self._with_step(self.duplicate_requested.emit))
        self.remove_button = self._button(_("Remove"), _("Remove the selected step (Delete)"))
        self.remove_button.clicked.connect(lambda: self._with_step(self.steps.remove_requested.emit))
        self.up_button = self._button("", _("Move the step up (Ctrl+Up)"), QStyle.StandardPixmap.SP_ArrowUp)
        self.up_button.clicked.connect(
            lambda: self._with_step(lambda row: self.steps.move_requested.emit(row, row - 1))
        )
        self.down_button = self._button("", _("Move the step down (Ctrl+Down)"), QStyle.StandardPixmap.SP_ArrowDown)
        self.down_button.clicked.connect(
            lambda: self._with_step(lambda row: self.steps.move_requested.emit(row, row + 1))
        )

        buttons = QHBoxLayout()
        buttons.setSpacing(2)
        for button in (self.add_button, self.duplicate_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        steps_label = QLabel(_("&Steps"))
        steps_label.setBuddy(self.steps)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.sections)
        layout.addWidget(steps_label)
        layout.addWidget(self.steps, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def _button(self, text: str, tip: str, icon: QStyle.StandardPixmap | None = None) -> QToolButton:
        button = QToolButton()
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        if icon is not None:
            button.setIcon(self.style().standardIcon(icon))
            button.setIconSize(QSize(14, 14))
        else:
            button.setText(text)
        return button

    def _with_step(self, call: Any) -> None:
        if self.steps.currentRow() >= 0:
            call(self.steps.currentRow())

    def set_steps(self, labels: list[tuple[str, str, str]], problem_rows: set[int], parameters: int) -> None:
        """(title, kind, id) per step; rows with a problem get a warning icon."""
        self.sections.item(PARAMETERS).setText(_("Parameters ({count})").format(count=parameters))
        row = self.steps.currentRow()
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.steps.blockSignals(True)
        while self.steps.count() > len(labels):
            self.steps.takeItem(self.steps.count() - 1)
        for index, (title, kind, step_id) in enumerate(labels):
            item = self.steps.item(index)
            if item is None:
                item = QListWidgetItem()
                self.steps.addItem(item)
            item.setText(f"{index + 1}. {title}\n     {kind_label(kind)} · {step_id}")
            item.setToolTip(f"{title}\n{kind_label(kind)} — {step_id}")
            item.setIcon(warning if index in problem_rows else self._blank())
        self.steps.blockSignals(False)
        if row >= self.steps.count():
            self.select_step(self.steps.count() - 1)
        self._update_buttons()

    def _blank(self) -> Any:
        from PySide6.QtGui import QIcon

        return QIcon()

    def select_step(self, row: int) -> None:
        if 0 <= row < self.steps.count():
            self.steps.setCurrentRow(row)
        self._update_buttons()

    def select_section(self, section: int) -> None:
        self.sections.setCurrentRow(section)

    def _section_changed(self, row: int) -> None:
        if row >= 0:
            self.steps.blockSignals(True)
            self.steps.setCurrentRow(-1)
            self.steps.blockSignals(False)
            self._update_buttons()
            self.section_chosen.emit(row)

    def _step_changed(self, row: int) -> None:
        if row >= 0:
            self.sections.blockSignals(True)
            self.sections.setCurrentRow(-1)
            self.sections.blockSignals(False)
            self.step_chosen.emit(row)
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.steps.currentRow()
        for button in (self.duplicate_button, self.remove_button):
            button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < self.steps.count() - 1)
