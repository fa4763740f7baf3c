"""The same command on many targets at once, with a concurrency limit. One failing target never stops the others.

Like Fabric's groups: the answer is a mapping target -> result, in the order the targets were given. A target that
cannot be reached has a result too (state `not_connected`, with the reason), so callers handle one shape.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from supportstation.clock import utc_now
from supportstation.remote.results import RunResult, RunState
from supportstation.remote.runs import RunHandle, Runner, RunRequest
from supportstation.remote.targets import Target

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10

HandleWatcher = Callable[[RunHandle], Awaitable[None]]


async def fan_out(
    runner: Runner,
    requests: Sequence[RunRequest],
    *,
    limit: int = DEFAULT_LIMIT,
    watch: HandleWatcher | None = None,
) -> dict[Target, RunResult]:
    """Runs every request, at most `limit` at a time. `watch` is awaited with each started run (to stream its output
    or to keep its handle for cancelling); without it the output is only collected."""
    semaphore = asyncio.Semaphore(max(1, limit))

    async def one(request: RunRequest) -> RunResult:
        async with semaphore:
            try:
                handle = await runner.start(request, live=watch is not None)
                if watch is not None:
                    await watch(handle)
                return await handle.wait()
            except Exception as error:  # a bug or a surprise on one target must not sink the others
                log.exception("Fan-out run on %s failed", request.target.label)
                return RunResult(
                    target=request.target.url,
                    command=request.command,
                    started_at=utc_now(),
                    ended_at=utc_now(),
                    state=RunState.NOT_CONNECTED,
                    error=str(error) or type(error).__name__,
                )

    results = await asyncio.gather(*(one(request) for request in requests))
    return {request.target: result for request, result in zip(requests, results, strict=True)}
