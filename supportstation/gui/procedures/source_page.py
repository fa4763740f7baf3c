"""The YAML source of a procedure, with line numbers and its problem lines marked, and the list of problems that
the editor shows under every tab (a click on one puts the cursor on its line)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPaintEvent, QResizeEvent, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QStyle,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _, ngettext
from supportstation.procedures.files import Problem

from .fields import monospace

_PROBLEM_LINE = QColor("#fde7e7")
_LINE_ROLE = Qt.ItemDataRole.UserRole


class _Gutter(QWidget):
    def __init__(self, editor: SourceEdit) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_gutter(event)


class SourceEdit(QPlainTextEdit):
    """The YAML text. Its own undo is off: Ctrl+Z goes to the editor's history, shared with the form."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("yamlSource")
        self.setFont(monospace())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setUndoRedoEnabled(False)
        self.setTabChangesFocus(False)
        self.setAccessibleName(_("YAML source"))
        self.problem_lines: set[int] = set()
        self.setting = False  # the text is being replaced by the editor, not typed
        self.gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda _count: self.setViewportMargins(self.gutter_width(), 0, 0, 0))
        self.updateRequest.connect(self._scroll_gutter)
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Tab and not event.modifiers():
            self.insertPlainText("  ")  # YAML indents with spaces; a tab character is an error
            return
        super().keyPressEvent(event)

    def replace_text(self, text: str) -> None:
        """Shows `text` (after an undo, or a change made in the form) keeping the cursor's line and the scroll."""
        if self.toPlainText() == text:
            return
        cursor = self.textCursor()
        line, column = cursor.blockNumber(), cursor.positionInBlock()
        scroll = self.verticalScrollBar().value()
        self.setting = True
        try:
            self.setPlainText(text)
        finally:
            self.setting = False
        self.go_to(line + 1, column, center=False)
        self.verticalScrollBar().setValue(scroll)

    def go_to(self, line: int, column: int = 0, *, center: bool = True) -> None:
        block = self.document().findBlockByNumber(max(0, min(line - 1, self.blockCount() - 1)))
        cursor = QTextCursor(block)
        cursor.movePosition(
            QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.MoveAnchor, min(column, block.length() - 1)
        )
        self.setTextCursor(cursor)
        if center:
            self.centerCursor()

    def mark_problems(self, lines: Sequence[int]) -> None:
        self.problem_lines = set(lines)
        selections = []
        for line in sorted(self.problem_lines):
            block = self.document().findBlockByNumber(line - 1)
            if not block.isValid():
                continue
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(_PROBLEM_LINE)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            selection.cursor = QTextCursor(block)
            selections.append(selection)
        self.setExtraSelections(selections)
        self.gutter.update()

    # -- line numbers --

    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * max(digits, 2)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self.gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(), area.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self.gutter)
        painter.fillRect(event.rect(), self.palette().alternateBase())
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                number = block.blockNumber() + 1
                painter.setPen(QColor("#b3261e") if number in self.problem_lines else QColor("#8a8a8a"))
                painter.drawText(0, top, self.gutter.width() - 6, height, Qt.AlignmentFlag.AlignRight, str(number))
            block = block.next()
            top = bottom
        painter.end()


class ProblemsPanel(QWidget):
    """Whether the procedure is valid, and each problem with its line; activating one asks to go to its line."""

    line_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = QLabel()
        self.state.setObjectName("validationState")
        self.state.setTextFormat(Qt.TextFormat.RichText)
        self.list = QListWidget()
        self.list.setObjectName("problems")
        self.list.setAccessibleName(_("Problems"))
        self.list.setWordWrap(True)
        self.list.itemClicked.connect(self._chosen)
        self.list.itemActivated.connect(self._chosen)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.state, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.list)
        self.show_problems([], checking=True)

    def show_problems(self, problems: Sequence[Problem], *, checking: bool = False, stale: bool = False) -> None:
        self.list.clear()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for problem in problems:
            where = _("line {line}").format(line=problem.line) if problem.line else _("whole file")
            text = f"{where} — {problem.field}: {problem.message}" if problem.field else f"{where} — {problem.message}"
            item = QListWidgetItem(icon, text)
            item.setData(_LINE_ROLE, problem.line or 1)
            item.setToolTip(_("Go to line {line} in the YAML source").format(line=problem.line or 1))
            self.list.addItem(item)
        rows = min(len(problems), 4)
        self.list.setFixedHeight(self.list.sizeHintForRow(0) * rows + 6 if rows else 0)
        self.list.setVisible(bool(problems))
        if checking:
            self.state.setText("<span style='color:#555555'>" + _("Checking…") + "</span>")
        elif problems:
            self.state.setText(
                "<span style='color:#b3261e'>⚠ "
                + ngettext(
                    "{count} problem: the procedure cannot be saved or run until it is fixed.",
                    "{count} problems: the procedure cannot be saved or run until they are fixed.",
                    len(problems),
                ).format(count=len(problems))
                + "</span>"
            )
        else:
            self.state.setText("<span style='color:#1b7f3b'>✓ " + _("Valid procedure") + "</span>")
        if stale:
            self.state.setText(self.state.text() + " " + _("(checking the latest change…)"))

    def _chosen(self, item: QListWidgetItem) -> None:
        self.line_requested.emit(int(item.data(_LINE_ROLE)))
