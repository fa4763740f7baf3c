"""A command line whose reader went away (`supportstation … | head`): it ends quietly, as ssh and git do."""

from __future__ import annotations

import os
import sys

EXIT_OUTPUT_CLOSED = 141  # 128 + SIGPIPE, as the shell reports a program its closed pipe ended


def discard_standard_output() -> None:
    """Standard output goes nowhere from now on, so that nothing fails again writing or flushing it: the recipe of
    Python's documentation for a reader gone from the pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
