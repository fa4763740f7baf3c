"""The built wheel, not the checkout, carries everything the app needs at run time."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_the_wheel_runs_on_its_own(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("supportstation-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "supportstation/resources/locale/fr/LC_MESSAGES/supportstation.mo",
        "supportstation/resources/icons/supportstation.svg",
        "supportstation/storage/migrations/script.py.mako",
        "supportstation/storage/migrations/versions/0001_initial_schema.py",
        "supportstation/gui/forms/ui_settings_dialog.py",
    ):
        assert needed in names
    assert any(name.endswith("entry_points.txt") for name in names)

    target = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(target)
    # Run from elsewhere, with the unpacked wheel first on the path, so the checkout cannot be what is found.
    code = (
        "import supportstation, supportstation.paths as p, supportstation.cli as cli, sys\n"
        "print(supportstation.__file__)\nprint(p.resources())\n"
        "sys.exit(cli.main(['--temp-data-dir', '--demo', '--lang', 'fr', '--exit-when-loaded']))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(target), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    module, resources, loaded = result.stdout.splitlines()[:3]
    assert module.startswith(str(target)) and resources.startswith(str(target))
    assert loaded.startswith("loaded ")
