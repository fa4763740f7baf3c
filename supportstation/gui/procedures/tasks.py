"""Coroutines the procedure screens start from Qt signals: kept until done (a task nobody holds may be collected),
reachable by name for tests (`owner.<name>_task`), and a failure shown to the engineer instead of vanishing."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtWidgets import QWidget

from ..messages import warn

log = logging.getLogger(__name__)


def start(owner: QWidget, coroutine: Any, name: str = "", *, failure: str) -> asyncio.Task[Any] | None:
    """Runs `coroutine` on the window's event loop; None (and the coroutine closed) where no loop runs, as in a
    script or a test without one. `failure` is the title of the message shown if it raises."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        coroutine.close()
        return None
    tasks: set[asyncio.Task[Any]] = owner.__dict__.setdefault("_running_tasks", set())
    task = asyncio.ensure_future(coroutine)
    tasks.add(task)
    task.add_done_callback(tasks.discard)

    def report(done: asyncio.Task[Any]) -> None:
        if not done.cancelled() and done.exception() is not None:
            log.error("%s", failure, exc_info=done.exception())
            warn(owner, failure, str(done.exception()))

    task.add_done_callback(report)
    if name:
        setattr(owner, f"{name}_task", task)
    return task


def cancel_all(owner: QWidget) -> None:
    for task in list(owner.__dict__.get("_running_tasks", ())):
        task.cancel()
