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
PYCACHE = ROOT / ".venv" / "pycache"

GATES = [
    ("ruff lint", [str(BIN / "ruff"), "check", "."]),
    ("ruff format", [str(BIN / "ruff"), "format", "--check", "."]),
    ("import contracts", [str(BIN / "lint-imports")]),
]


def main() -> int:
    # Bytecode is compiled once, as an installed app has it (pip and the bundle compile it), and kept outside the
    # tree: compiling on every import made each CLI test slower and each first import a pause the app does not have.
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    failed = []
    for name, command in GATES:
        print(f"== {name}", flush=True)
        if subprocess.run(command, cwd=ROOT, env=environment).returncode != 0:
            failed.append(name)
    print("== bytecode", flush=True)
    sources = ["supportstation", "plugins", "simulators", "tests"]
    compiling = [sys.executable, "-m", "compileall", "-q", "-j", "0", *sources]
    subprocess.run(compiling, cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL)
    print("== tests", flush=True)
    # The slowest tests are listed at the end: CI must stay under 20 minutes on a two-core machine.
    pytest = [sys.executable, "-m", "pytest", "-q", "--durations=15", *sys.argv[1:]]
    tests = subprocess.run(pytest, cwd=ROOT, env=environment)
    if failed:
        print(f"Quality gates failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return tests.returncode


if __name__ == "__main__":
    sys.exit(main())
