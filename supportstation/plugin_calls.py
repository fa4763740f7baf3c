"""Calling a plugin's code so that whatever it does (raise, exit, hang) comes back as an outcome, never as a crash.

A call that touches no widget runs in a daemon thread and is waited for at most HOOK_TIME_LIMIT seconds. Python
cannot kill a thread, so a hung plugin's thread is simply abandoned: being a daemon, it does not keep the process
alive at exit. A call that must run on the GUI thread (a plugin's widget) cannot be timed that way; it is only
guarded against exceptions.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Seconds a plugin's import or hook may take before it counts as hung; tests lower it.
HOOK_TIME_LIMIT = 10.0


@dataclass(frozen=True)
class CallOutcome:
    """What a call of plugin code gave: its value, or the error (with its traceback), or that it did not return."""

    value: object = None
    error: str = ""
    traceback: str = ""
    timed_out: bool = False

    @property
    def succeeded(self) -> bool:
        return not self.error and not self.timed_out


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def call_with_time_limit(
    function: Callable[..., object],
    arguments: Sequence[object] = (),
    *,
    time_limit: float | None = None,
    name: str = "",
) -> CallOutcome:
    """Runs `function(*arguments)` in a daemon thread and waits for it at most `time_limit` seconds (default:
    HOOK_TIME_LIMIT, read at each call)."""
    limit = HOOK_TIME_LIMIT if time_limit is None else time_limit
    outcomes: list[CallOutcome] = []

    def work() -> None:
        try:
            outcomes.append(CallOutcome(value=function(*arguments)))
        except BaseException as error:  # nothing above this thread could handle it
            outcomes.append(CallOutcome(error=describe(error), traceback=_traceback_below_here(error)))

    worker = threading.Thread(target=work, name=f"plugin {name}".strip(), daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive() or not outcomes:
        return CallOutcome(timed_out=True)
    return outcomes[0]


def call_here(function: Callable[..., object], arguments: Sequence[object] = ()) -> CallOutcome:
    """Runs `function(*arguments)` on the calling thread (a GUI hook must build its widgets there), catching what
    it raises; a plugin calling sys.exit() must not end the app either."""
    try:
        return CallOutcome(value=function(*arguments))
    except (Exception, SystemExit) as error:
        return CallOutcome(error=describe(error), traceback=_traceback_below_here(error))


def _traceback_below_here(error: BaseException) -> str:
    """The traceback without its first frame, this module's call: a plugin's author reads from their own code."""
    frames = error.__traceback__.tb_next if error.__traceback__ is not None else None
    return "".join(traceback.format_exception(type(error), error, frames or error.__traceback__))
