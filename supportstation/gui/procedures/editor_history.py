"""The editor's history: every change is the YAML text before and after it, whether made in the form or in the
source, so one undo stack serves both. Consecutive changes of one field (typing a title) merge into one step."""

from __future__ import annotations

import time
from typing import Protocol

from PySide6.QtGui import QUndoCommand

MERGE_SECONDS = 2.0  # consecutive changes of one field within this time are one undo step


class ShowsText(Protocol):
    def show_text(self, text: str) -> None: ...


class TextChange(QUndoCommand):
    """The YAML text before and after one change; consecutive changes of the same field merge."""

    def __init__(self, editor: ShowsText, before: str, after: str, label: str, merge_key: object) -> None:
        super().__init__(label)
        self.editor, self.before, self.after, self.merge_key = editor, before, after, merge_key
        self.when = time.monotonic()
        self._on_screen = True  # pushed after the change is shown: the first redo has nothing to do

    def id(self) -> int:
        return 1 if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, TextChange) or other.merge_key != self.merge_key:
            return False
        if other.when - self.when > MERGE_SECONDS:
            return False
        self.after, self.when = other.after, other.when
        return True

    def redo(self) -> None:
        if self._on_screen:
            self._on_screen = False
            return
        self.editor.show_text(self.after)

    def undo(self) -> None:
        self.editor.show_text(self.before)
