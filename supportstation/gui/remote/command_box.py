"""The ad-hoc command line: Enter runs, Up and Down walk the history, and sudo and a time limit are at hand."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QCheckBox, QCompleter, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget

from supportstation.i18n import _
from supportstation.remote.command_history import CommandHistory


class HistoryLine(QLineEdit):
    def __init__(self, history: CommandHistory, parent: QWidget | None = None):
        super().__init__(parent)
        self.history = history
        self._position: int | None = None  # index in the history while walking it; None at the fresh line
        self._draft = ""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.history.commands:
            self._walk(-1 if event.key() == Qt.Key.Key_Up else 1)
            return
        self._position = None
        super().keyPressEvent(event)

    def _walk(self, step: int) -> None:
        commands = self.history.commands
        if self._position is None:
            if step > 0:
                return
            self._draft = self.text()
            self._position = len(commands)
        self._position = max(0, min(len(commands), self._position + step))
        self.setText(self._draft if self._position == len(commands) else commands[self._position])

    def reset_walk(self) -> None:
        self._position = None


class CommandBox(QWidget):
    # The command, whether to run it with sudo, and its time limit in seconds (0: none).
    run_requested = Signal(str, bool, int)

    def __init__(self, history: CommandHistory, parent: QWidget | None = None):
        super().__init__(parent)
        self.history = history
        self.line = HistoryLine(history)
        self.line.setObjectName("commandLine")
        self.line.setPlaceholderText(_("Command to run on the host (Enter runs; Up and Down for the history)"))
        self.line.setFont(self.line.font())
        completer = QCompleter(history.commands, self.line)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.line.setCompleter(completer)
        self.line.returnPressed.connect(self._run)
        self.sudo = QCheckBox(_("sudo"))
        self.sudo.setToolTip(_("Run as root with sudo, with the host's password from the vault."))
        self.timeout = QSpinBox()
        self.timeout.setRange(0, 24 * 3600)
        self.timeout.setSuffix(" s")
        self.timeout.setSpecialValueText(_("no limit"))
        self.timeout.setToolTip(_("Stop the command after this many seconds."))
        self.run_button = QPushButton(_("Run"))
        self.run_button.setObjectName("runCommand")
        self.run_button.clicked.connect(self._run)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.prompt = QLabel("$")  # PS> for PowerShell, > for cmd: the language the line is read in
        layout.addWidget(self.prompt)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.sudo)
        layout.addWidget(self.timeout)
        layout.addWidget(self.run_button)

    def _run(self) -> None:
        command = self.line.text().strip()
        if not command:
            return
        self.history.add(command)
        completer = self.line.completer()
        completer.model().setStringList(self.history.commands)  # type: ignore[attr-defined]
        self.line.reset_walk()
        self.run_requested.emit(command, self.sudo.isChecked(), self.timeout.value())
