"""The `supportstation` command: handed to the start-up agent when one runs (`supportstation agent start`), run here
otherwise. Nothing else is imported before that choice: it is made on every command."""

from __future__ import annotations

import sys


def main() -> int:
    from supportstation import __version__
    from supportstation.agent_client import run_through_agent

    status = run_through_agent(sys.argv[1:], __version__)
    if status is not None:
        return status
    from supportstation.cli import main as run_here

    return run_here(exit_when_done=True)
