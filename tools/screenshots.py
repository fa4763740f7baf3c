"""Renders SupportStation's main screens on demo data under Xvfb and saves a PNG of each.

    .venv/bin/python tools/screenshots.py [--out screenshots] [--lang en fr]
    .venv/bin/python tools/screenshots.py --day [--out docs/screenshots/day]

Starts its own Xvfb (unless DISPLAY is set) and runs one child process per language, since a language is chosen
once per process. The windows are real xcb windows, as a user would see them.

--day renders the README's walkthrough instead: it runs the end-to-end test of the engineer's day
(tests/e2e/test_engineers_day.py, real servers started by its fixtures) under the same Xvfb, and the test saves each
step's screen in the folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1366, 800)


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            display = f":{number}"
            server = subprocess.Popen(
                ["Xvfb", display, "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 10
            while not Path(f"/tmp/.X11-unix/X{number}").exists():
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"Xvfb did not start on {display}")
                time.sleep(0.05)
            return server, display
    raise SystemExit("no free X display number")


def render(out: Path, language: str) -> None:
    """Runs in the child: builds the window as app.py does, on a fresh demo database, and saves each screen."""
    from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

    from supportstation import app as app_module
    from supportstation import i18n, paths, settings
    from supportstation.context import AppContext, DatabaseChoice
    from supportstation.demo import DEMO_PROFILE
    from supportstation.gui import translator
    from supportstation.gui.dialogs.about_dialog import AboutDialog
    from supportstation.gui.dialogs.profile_dialog import ProfileDialog
    from supportstation.gui.dialogs.settings_dialog import SettingsDialog
    from supportstation.gui.main_window import MainWindow
    from supportstation.remote.inventory import load_hosts
    from supportstation.storage import sqlite_url
    from supportstation.tickets.queue import load_queue

    base = Path(tempfile.mkdtemp(prefix="supportstation-screens-"))
    try:
        app_paths = paths.under(base)
        app_paths.create()
        user_settings = settings.Settings(language=language, profile=DEMO_PROFILE)
        user_settings.company = settings.CompanyDetails(
            name="Atelier Numérique Services",
            address="18 rue de la République\n69002 Lyon",
            phone="+33 4 72 00 00 00",
            email="contact@atelier-numerique.fr",
            legal_footer="SAS au capital de 20 000 € — RCS Lyon 812 345 678 — TVA FR12812345678",
        )
        application = QApplication([sys.argv[0]])
        application.setApplicationName("SupportStation")
        keep = translator.install(application, i18n.install(language))
        app_paths.demo_database_file.parent.mkdir(parents=True)
        choice = DatabaseChoice(sqlite_url(app_paths.demo_database_file), create_missing=True, demo=True)
        context = AppContext(app_paths, user_settings, choice, language)
        window = MainWindow(context, paths.resources() / "icons")
        window.resize(*SIZE)
        window.show()
        database = app_module._open_database(context)
        window.database_ready(database)
        with database.session() as session:
            window.queue_view.set_rows(load_queue(session))
            window.hosts_view.set_rows(load_hosts(session))

        def save(widget: QWidget, name: str) -> None:
            for _ in range(5):
                application.processEvents()
                time.sleep(0.02)
            path = out / f"{language}-{name}.png"
            widget.grab().save(str(path))
            print(path)

        for row, (key, _title, _widget) in enumerate(window.views):
            window.show_view(row)
            save(window, f"{row + 1}-{key}")
        show_ticket_screens(window, database, context, save)
        settings_dialog = SettingsDialog(user_settings, app_paths, window)
        settings_dialog.show()
        save(settings_dialog, "settings-general")
        settings_dialog.ui.tabs.setCurrentIndex(1)
        save(settings_dialog, "settings-company")
        settings_dialog.close()
        profile_dialog = ProfileDialog(DEMO_PROFILE, first_start=True, parent=window)
        profile_dialog.show()
        save(profile_dialog, "profile-first-start")
        profile_dialog.close()
        about = AboutDialog(context, window)
        about.show()
        save(about, "about")
        about.close()
        window.show_view(0)
        window.database_failed(
            "The database file /home/camille/.local/share/SupportStation/supportstation.sqlite3 is damaged or is "
            "not a SupportStation database (file is not a database). It was not modified."
        )
        save(window, "database-failed")
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
        save(box, "database-failed-message")
        database.close()
        del keep
    finally:
        shutil.rmtree(base, ignore_errors=True)


def show_ticket_screens(window, database, context, save) -> None:  # type: ignore[no-untyped-def]
    """The most urgent ticket's workspace, with a note, time and a part; then the import dialog on a French CSV."""
    from supportstation.gui.dialogs.import_dialog import ImportDialog
    from supportstation.storage.models import Ticket
    from supportstation.tickets import interventions, timeline
    from supportstation.tickets.csv_reading import preview
    from supportstation.tickets.details import load_ticket_detail
    from supportstation.tickets.engineers import ensure_engineer

    first = window.queue_view.model.row_at(1)  # the P1 with an intervention under way in the demo
    with database.session() as session:
        ticket = session.get(Ticket, first.ticket_id)
        me = ensure_engineer(session, context.settings.profile)
        timeline.add_note(
            session,
            ticket,
            "**Constat** : le partage `\\\\srv-dossiers\\patients` ne répond plus.\n\n"
            "- service *Serveur* arrêté\n- 2 % d'espace libre sur D:\n\nÀ faire : purger les journaux.",
            author=me,
        )
        running = interventions.running_for(session, me)
        if running is not None:
            interventions.add_time(session, running, "travel", 35, author=me, description="Aller depuis Lyon")
            interventions.add_part(session, running, "Disque SSD 1 To", 1, author=me, serial_number="S5GXNF0R1234")
    from supportstation.tickets.running import running_intervention

    with database.session() as session:
        window.running = running_intervention(session, context.settings.profile)
    window._show_running_intervention()
    workspace = window.open_ticket_without_loading(first.ticket_id)
    with database.session() as session:
        workspace.show_detail(load_ticket_detail(session, first.ticket_id))
    save(window, "6-ticket-workspace")
    workspace.side.setCurrentIndex(1)
    save(window, "7-ticket-time-and-parts")
    window.ticket_tabs.setCurrentIndex(0)
    dialog = ImportDialog(context, window)
    dialog.path_edit.setText(str(ROOT / "tests" / "data" / "import" / "excel_fr_cp1252_semicolon.csv"))
    dialog.show_preview(preview(Path(dialog.path_edit.text())))
    dialog.show()
    save(dialog, "import-dialog")
    dialog.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--lang", nargs="+", default=["en", "fr"], choices=["en", "fr"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--day", action="store_true", help="the engineer's day of the README, step by step")
    arguments = parser.parse_args()
    if arguments.day and arguments.out == ROOT / "screenshots":
        arguments.out = ROOT / "docs" / "screenshots" / "day"
    arguments.out.mkdir(parents=True, exist_ok=True)
    if arguments.child:
        render(arguments.out, arguments.child)
        return 0
    server = None
    environment = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    if not os.environ.get("DISPLAY"):
        server, environment["DISPLAY"] = start_xvfb()
    try:
        if arguments.day:
            return _day(arguments.out, environment)
        for language in arguments.lang:
            child = [sys.executable, __file__, "--out", str(arguments.out), "--child", language]
            if subprocess.run(child, env=environment).returncode != 0:
                return 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    return 0


def _day(out: Path, environment: dict[str, str]) -> int:
    for old in out.glob("day_*.png"):
        old.unlink()
    test = ROOT / "tests" / "e2e" / "test_engineers_day.py"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)], cwd=ROOT,
                          env={**environment, "SUPPORTSTATION_SHOTS": str(out)})  # fmt: skip
    print(f"{len(list(out.glob('day_*.png')))} screens in {out}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
