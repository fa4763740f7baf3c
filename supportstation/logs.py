"""Logging to a rotating file in the log folder (and to stderr for warnings)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_FILE = "supportstation.log"


def setup(log_folder: Path, *, verbose: bool = False) -> Path:
    log_folder.mkdir(parents=True, exist_ok=True)
    path = log_folder / LOG_FILE
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    if not verbose:
        console.addFilter(_ours)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.addHandler(file_handler)
    root.addHandler(console)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    return path


def _ours(record: logging.LogRecord) -> bool:
    """Only SupportStation's own warnings (its plugins' too) reach the console unless -v is given. A library's are
    in the log file: what went wrong is said by the command, in words for the engineer, and paramiko's traceback of
    a server that never answered, say, would bury that message under twenty lines."""
    return record.name.split(".", 1)[0].startswith("supportstation")
