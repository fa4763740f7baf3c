"""The real entry points, run as a user would: console script, python -m, and the window's start-up."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ENVIRONMENT = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8", "LANGUAGE": ""}


def supportstation(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supportstation", *arguments],
        capture_output=True,
        text=True,
        timeout=90,
        env=env or ENVIRONMENT,
    )


def test_console_script_and_module_report_the_same_version() -> None:
    from supportstation import __version__

    script = Path(sys.executable).parent / "supportstation"
    by_script = subprocess.run([str(script), "--version"], capture_output=True, text=True, env=ENVIRONMENT)
    assert by_script.stdout.strip() == f"SupportStation {__version__}"
    assert supportstation("version").stdout.strip() == f"SupportStation {__version__}"


def test_help_lists_the_commands_and_global_options() -> None:
    result = supportstation("--help")
    assert result.returncode == 0
    for word in ("--data-dir", "--temp-data-dir", "--database", "--demo", "--lang", "db", "demo", "version"):
        assert word in result.stdout


def test_help_speaks_french_when_asked() -> None:
    result = supportstation("--lang", "fr", "--help")
    assert "base de données" in result.stdout.lower()
    # argparse's own words too: its usage line, its help option, its errors.
    assert result.stdout.startswith("utilisation : supportstation") and "affiche cette aide et quitte" in result.stdout
    assert "usage:" not in result.stdout and "show this help" not in result.stdout
    assert "affiche la version du programme" in result.stdout and "show program's" not in result.stdout
    # French puts a space before a colon, headings included (argparse writes their colon itself).
    assert "\noptions :\n" in result.stdout and "\ncommandes :\n" in result.stdout
    assert "\noptions:\n" in supportstation("--help").stdout
    wrong = supportstation("--lang", "fr", "tickets", "list", "--bogus")
    assert wrong.returncode == 2 and "supportstation : erreur : arguments non reconnus : --bogus" in wrong.stderr
    missing = supportstation("--lang", "fr", "tickets")
    assert "les arguments suivants sont obligatoires : ACTION" in missing.stderr
    english = supportstation("--lang", "en", "tickets", "list", "--bogus")
    assert "supportstation: error: unrecognized arguments: --bogus" in english.stderr


def test_db_upgrade_creates_then_finds_the_database_current(tmp_path: Path) -> None:
    first = supportstation("--data-dir", str(tmp_path), "db", "upgrade")
    assert first.returncode == 0, first.stderr
    from supportstation.storage.schema import HEAD_REVISION

    assert f"upgraded to schema revision {HEAD_REVISION}" in first.stdout
    assert (tmp_path / "data" / "supportstation.sqlite3").exists()
    second = supportstation("--data-dir", str(tmp_path), "db", "upgrade")
    assert "is up to date" in second.stdout
    assert (tmp_path / "logs" / "supportstation.log").exists()


def test_demo_command_resets_only_the_demo_database(tmp_path: Path) -> None:
    assert supportstation("--data-dir", str(tmp_path), "db", "upgrade").returncode == 0
    own = tmp_path / "data" / "supportstation.sqlite3"
    before = own.read_bytes()
    result = supportstation("--data-dir", str(tmp_path), "demo")
    assert result.returncode == 0, result.stderr
    demo_file = tmp_path / "data" / "demo" / "supportstation-demo.sqlite3"
    with sqlite3.connect(demo_file) as connection:
        assert connection.execute("SELECT count(*) FROM ticket").fetchone()[0] == 16
        connection.execute("DELETE FROM timeline_event")
    assert supportstation("--data-dir", str(tmp_path), "demo").returncode == 0
    with sqlite3.connect(demo_file) as connection:
        assert connection.execute("SELECT count(*) FROM timeline_event").fetchone()[0] > 0
    assert own.read_bytes() == before


def test_temp_data_dir_leaves_nothing_behind() -> None:
    result = supportstation("--temp-data-dir", "demo")
    assert result.returncode == 0
    created = Path(result.stdout.strip().split(": ", 1)[1])
    assert not created.exists()


def test_a_damaged_database_gives_a_message_and_exit_code(tmp_path: Path) -> None:
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"garbage" * 1000)
    result = supportstation("--data-dir", str(tmp_path), "--database", f"sqlite:///{broken}", "db", "upgrade")
    assert result.returncode == 1
    assert f"Error: The database file {broken} is damaged" in result.stderr
    assert "Traceback" not in result.stderr
    assert broken.read_bytes() == b"garbage" * 1000


def test_the_window_opens_on_demo_data(tmp_path: Path) -> None:
    result = supportstation("--data-dir", str(tmp_path), "--demo", "--exit-when-loaded")
    assert result.returncode == 0, result.stderr
    stages = dict(item.split("=") for item in result.stdout.split()[1:])
    assert result.stdout.startswith("loaded ")
    assert list(stages) == [
        "paths",
        "logging",
        "settings",
        "qt-import",
        "qt-application",
        "window-shown",
        "data-loaded",
    ]
    # The window appears before SQLAlchemy is even imported; the data follows.
    assert float(stages["window-shown"]) < float(stages["data-loaded"])
    assert (tmp_path / "config" / "window.ini").exists()


def test_the_window_start_does_not_import_heavy_modules_before_showing(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from supportstation import cli\n"
        "options, _ = cli.parse(['--data-dir', sys.argv[1], '--exit-when-shown'])\n"
        "from supportstation import app\n"
        "app.run(options)\n"
        "names = ('sqlalchemy', 'alembic', 'paramiko', 'winrm', 'jinja2', 'pydantic')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print('heavy:', ','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=ENVIRONMENT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("heavy:")


@pytest.mark.parametrize("content", [b"garbage" * 1000, b""])
def test_the_window_reports_a_bad_database_and_exits_cleanly(tmp_path: Path, content: bytes) -> None:
    database = tmp_path / "bad.sqlite3"
    database.write_bytes(content)
    if not content:
        database.unlink()
    result = supportstation("--data-dir", str(tmp_path), "--database", f"sqlite:///{database}", "--exit-when-loaded")
    assert result.returncode == 1
    expected = "is damaged" if content else "does not exist"
    assert result.stdout.startswith("failed ") and expected in result.stdout
    assert "Traceback" not in result.stderr


def test_the_self_test_opens_the_window_the_database_and_the_plugins(tmp_path: Path) -> None:
    result = supportstation("--data-dir", str(tmp_path), "--demo", "--self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "window: shown"
    assert lines[1].startswith("database: opened (") and "supportstation-demo.sqlite3" in lines[1]
    for plugin in ("cisco-ios", "linux-diag", "redfish-bmc", "windows-diag"):
        assert any(line.startswith(f"plugin {plugin} ") and line.endswith(": loaded") for line in lines), plugin
    assert lines[-1] == "self-test passed"


def test_the_self_test_fails_with_the_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"garbage" * 1000)
    result = supportstation("--data-dir", str(tmp_path), "--database", f"sqlite:///{broken}", "--self-test")
    assert result.returncode == 1
    assert "database: failed: " in result.stdout and "is damaged" in result.stdout
    assert result.stdout.splitlines()[-1] == "self-test failed: the database could not be opened"
    assert "Traceback" not in result.stderr


def test_the_window_speaks_french(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication, QDialogButtonBox\n"
        "from supportstation import i18n\n"
        "from supportstation.gui import translator\n"
        "app = QApplication([])\n"
        "keep = translator.install(app, i18n.install('fr'))\n"
        "from supportstation.gui.dialogs.settings_dialog import SettingsDialog\n"
        "from supportstation.settings import Settings\n"
        "from supportstation import paths\n"
        "d = SettingsDialog(Settings(), paths.under(__import__('pathlib').Path(sys.argv[1])))\n"
        "print(d.windowTitle(), '|', d.ui.tabs.tabText(1), '|',"
        " d.ui.buttons.button(QDialogButtonBox.StandardButton.Cancel).text())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=ENVIRONMENT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    # Our form through gettext, Qt's own button through Qt's French catalog.
    assert result.stdout.strip() == "Paramètres | Entreprise | Annuler"


def test_without_a_display_the_window_says_so_instead_of_aborting(tmp_path: Path) -> None:
    environment = {k: v for k, v in ENVIRONMENT.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = supportstation("--data-dir", str(tmp_path), env=environment)
    assert result.returncode == 2
    assert "No graphical display was found" in result.stderr
    assert "core dumped" not in result.stderr.lower() and "qt.qpa" not in result.stderr
