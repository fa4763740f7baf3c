"""The ad-hoc commands an engineer has typed, newest last, kept between sessions like a shell's history.

Known secrets are replaced before a command is kept (a password typed into a command line must not be written to
disk in clear), and a damaged history file is set aside rather than stopping anything.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

HISTORY_LIMIT = 500


class CommandHistory:
    def __init__(self, path: Path, redact: Callable[[str], str] = lambda text: text) -> None:
        self.path = path
        self.redact = redact
        self.commands: list[str] = self._load()

    def _load(self) -> list[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            log.warning("The command history %s cannot be read (%s): starting a new one", self.path, error)
            return []
        if not isinstance(data, list):
            return []
        return [item for item in data if isinstance(item, str)][-HISTORY_LIMIT:]

    def add(self, command: str) -> None:
        command = self.redact(command.strip())
        if not command:
            return
        if command in self.commands:
            self.commands.remove(command)  # used again: it moves to the newest place
        self.commands.append(command)
        del self.commands[:-HISTORY_LIMIT]
        self._save()

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.commands, ensure_ascii=False, indent=0), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as error:
            log.warning("The command history cannot be saved in %s: %s", self.path, error)
