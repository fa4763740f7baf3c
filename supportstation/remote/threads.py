"""Worker threads for blocking network libraries (paramiko, later pywinrm).

asyncio's default executor has min(32, CPUs + 4) threads, six on a two-core laptop: a fan-out to fifty hosts would
connect six at a time. Remote work gets its own, wider pool; its threads mostly wait on the network.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
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
