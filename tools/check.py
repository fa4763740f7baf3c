"""The whole test command: quality gates, then the test suite. Exits non-zero when anything fails.

Run it from the repository with the project's virtual environment: `.venv/bin/python tools/check.py`.
Extra arguments go to pytest (for example `-k storage`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

GATES = [
    ("ruff lint", [str(BIN / "ruff"), "check", "."]),
    ("ruff format", [str(BIN / "ruff"), "format", "--check", "."]),
    ("import contracts", [str(BIN / "lint-imports")]),
]


def main() -> int:
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONDONTWRITEBYTECODE": "1"}
    failed = []
    for name, command in GATES:
        print(f"== {name}", flush=True)
        if subprocess.run(command, cwd=ROOT, env=environment).returncode != 0:
            failed.append(name)
    print("== tests", flush=True)
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", *sys.argv[1:]], cwd=ROOT, env=environment)
    if failed:
        print(f"Quality gates failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return tests.returncode


if __name__ == "__main__":
    sys.exit(main())
