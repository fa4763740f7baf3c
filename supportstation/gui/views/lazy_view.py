"""A view built the first time it is shown, so the modules behind it are imported after the window is up.

The procedures screens read the procedure format (pydantic, ruamel) and the remote core: importing them while the
window is built would delay the first paint that start-up promises (see `app.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget


class LazyView(QWidget):
    def __init__(self, build: Callable[[], QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build = build
        self.view: QWidget | None = None
        QVBoxLayout(self).setContentsMargins(0, 0, 0, 0)

    def ensure_built(self) -> QWidget:
        if self.view is None:
            self.view = self._build()
            self.layout().addWidget(self.view)
        return self.view

    def showEvent(self, event: QShowEvent) -> None:
        self.ensure_built()
        super().showEvent(event)
