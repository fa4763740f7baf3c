"""The editor's Form tab: the outline on the left, the page of what is selected on the right (the header, the
parameters, or a step's form of its kind); and the editor's toolbar."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from ruamel.yaml.comments import CommentedMap

from supportstation import i18n
from supportstation.plugin_api.actions import Action
from supportstation.procedures import editing
from supportstation.procedures.files import Problem
from supportstation.procedures.model import STEP_KINDS

from ..remote.action_library import Translate, app_translation
from .fields import UndoKeys
from .outline import HEADER, PARAMETERS, Outline
from .parameters_page import ParametersPage
from .step_pages import HeaderPage, StepPage

if TYPE_CHECKING:
    from .editor import ProcedureEditor

_STEP_FIELD = re.compile(r"steps\.(\d+)")


class FormTab(QWidget):
    edited = Signal(object)  # an Edit

    def __init__(self, keys: UndoKeys, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: CommentedMap | None = None
        self.problem_rows: set[int] = set()
        self._shown: tuple[QWidget, int | None] | None = None
        self.outline = Outline()
        self.outline.setMinimumWidth(230)
        self.outline.section_chosen.connect(self._show_section)
        self.outline.step_chosen.connect(self._show_step)
        self.header_page = HeaderPage(keys)
        self.parameters_page = ParametersPage(keys)
        self.step_pages = {kind: StepPage(kind, keys) for kind in STEP_KINDS}
        self.empty = QWidget()
        self.pages = QStackedWidget()
        self.scrolls: dict[QWidget, QScrollArea] = {}
        for page in (self.header_page, self.parameters_page, *self.step_pages.values(), self.empty):
            # Each page scrolls on its own: a long step's form scrolls, a short page keeps its buttons in sight.
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(page)
            self.scrolls[page] = scroll
            self.pages.addWidget(scroll)
            if page is not self.empty:
                page.edited.connect(self.edited)  # type: ignore[attr-defined]
        self.splitter = QSplitter()
        self.splitter.addWidget(self.outline)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([280, 800])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.splitter)
        self.outline.select_section(HEADER)

    def set_actions(self, actions: Sequence[Action], translate: Translate = app_translation) -> None:
        self.step_pages["action"].set_actions(actions, translate)

    def load(self, data: CommentedMap) -> None:
        """Everything shown again from `data` (after an undo, a source edit, a structural change)."""
        self.data = data
        self._fill_outline()
        self._show_current()

    def refresh(self, data: CommentedMap) -> None:
        """After a change typed in the form: the outline's labels follow; the page being typed in stays as it is."""
        self.data = data
        self._fill_outline()
        self.parameters_page.refresh(data)

    def mark_problems(self, problems: Sequence[Problem]) -> None:
        rows = set()
        for problem in problems:
            match = _STEP_FIELD.match(problem.field)
            if match:
                rows.add(int(match.group(1)))
        self.problem_rows = rows
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        parameters = any(problem.field.startswith("parameters") for problem in problems)
        header = any(problem.field and not problem.field.startswith(("parameters", "steps.")) for problem in problems)
        for section, flagged in ((HEADER, header), (PARAMETERS, parameters)):
            item = self.outline.sections.item(section)
            item.setIcon(warning if flagged else self._no_icon())
        self._fill_outline()

    @staticmethod
    def _no_icon():  # type: ignore[no-untyped-def]
        from PySide6.QtGui import QIcon

        return QIcon()

    def _fill_outline(self) -> None:
        if self.data is None:
            return
        language = i18n.current()
        labels = [
            (
                editing.describe_step(step, language),
                editing.step_kind(step),
                str(step.get("id", "?")) if isinstance(step, dict) else "?",
            )
            for step in editing.steps_of(self.data)
        ]
        self.outline.set_steps(labels, self.problem_rows, len(editing.parameters_of(self.data)))

    def current_step(self) -> int | None:
        row = self.outline.steps.currentRow()
        return row if row >= 0 else None

    def select_step(self, row: int) -> None:
        self.outline.select_step(row)
        self._show_step(row)

    def _show_current(self) -> None:
        step = self.current_step()
        if step is not None:
            self._show_step(step)
        else:
            self._show_section(max(self.outline.sections.currentRow(), HEADER))

    def _show_section(self, section: int) -> None:
        if self.data is None:
            return
        page = self.header_page if section == HEADER else self.parameters_page
        page.load(self.data, ())
        self._show_page(page)

    def _show_step(self, row: int) -> None:
        steps = editing.steps_of(self.data) if self.data is not None else []
        if not 0 <= row < len(steps) or self.data is None:
            self._show_page(self.empty)
            return
        kind = editing.step_kind(steps[row])
        page = self.step_pages.get(kind)
        if page is None:  # a step without a kind: the source says what is wrong
            self._show_page(self.empty)
            return
        page.load(self.data, ("steps", row))
        self._show_page(page)

    def _show_page(self, page: QWidget) -> None:
        scroll = self.scrolls[page]
        if self.pages.currentWidget() is not scroll:
            self.pages.setCurrentWidget(scroll)
        if self._shown != (page, self.current_step()):  # another step: from its top; the same one stays put
            scroll.verticalScrollBar().setValue(0)
            self._shown = (page, self.current_step())

    def current_page(self) -> QWidget:
        return self.scrolls_page(self.pages.currentWidget())

    def scrolls_page(self, scroll: QWidget) -> QWidget:
        return next(page for page, area in self.scrolls.items() if area is scroll)


def toolbar(editor: ProcedureEditor) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(4)
    row.addWidget(editor.heading, 1)
    for action in (editor.undo_action, editor.redo_action, editor.save_action):
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        row.addWidget(button)
    return row
