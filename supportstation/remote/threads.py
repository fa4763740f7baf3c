"""Worker threads for blocking network libraries (paramiko, later pywinrm).

asyncio's default executor has min(32, CPUs + 4) threads, six on a two-core laptop: a fan-out to fifty hosts would
connect six at a time. Remote work gets its own, wider pool; its threads mostly wait on the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_executor: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=64, thread_name_prefix="remote")
    return _executor


async def in_thread(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    call = functools.partial(context.run, function, *args, **kwargs)
    return await loop.run_in_executor(executor(), call)


# -- sharing the interpreter with a window ------------------------------------------------------------------------

# CPython hands its lock (the GIL) over unfairly: while two threads are busy in Python code (paramiko's transport
# thread and a run's reader, during a big output), a third that needs it for a moment (the GUI thread, for every
# Python slot and event filter) waits up to 50-80 ms at a time. Pausing only one of the busy threads does not help;
# pausing both does (16 ms at worst, measured). So a window declares itself once, and the loops that can keep a
# thread busy pause briefly after every few milliseconds of their own CPU time, which costs them a few per cent.
_window_shares_process = False
PACE_WORK_S = 0.004  # CPU time of the thread, so that waiting on the network does not count
PACE_PAUSE_S = 0.001


def share_with_window() -> None:
    """Called by the GUI: from now on busy worker loops leave the interpreter to its thread regularly."""
    global _window_shares_process
    _window_shares_process = True


class Pacer:
    """One per busy loop, used from one thread: call `worked()` after each step of work."""

    def __init__(self) -> None:
        self._since: float | None = None

    def worked(self) -> None:
        if not _window_shares_process:
            return
        now = time.thread_time()
        if self._since is None:
            self._since = now
            _yield_cpu_to_window()
        elif now - self._since >= PACE_WORK_S:
            time.sleep(PACE_PAUSE_S)
            self._since = time.thread_time()


WORKER_NICENESS = 10


def _yield_cpu_to_window() -> None:
    """Lowers the OS priority of the calling thread. A laptop has two or four cores: with a transfer's threads and
    a local process or two busy, the window's thread otherwise waits in the CPU's run queue behind them (20 ms at a
    time, measured). Linux sets the priority of one thread with its id; elsewhere the call would apply to the whole
    process (macOS) or does not exist (Windows), so there it is not made."""
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, thread, max(os.getpriority(os.PRIO_PROCESS, thread), WORKER_NICENESS))
