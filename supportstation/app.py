"""Staged start-up of the window: arguments, paths, logging, settings, Qt on the qasync loop, the main window,
then the database.

The window shows before the database opens: SQLAlchemy's import alone costs twice a bare Qt window's start, so the
database is opened, migrated and read in a worker thread while the window is already on screen.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from supportstation import cli, i18n, logs, paths, settings
from supportstation.context import AppContext
from supportstation.i18n import _

log = logging.getLogger(__name__)


@dataclass
class StageTimer:
    """Seconds since `run()` began, at the end of each start-up stage: printed by bench/startup."""

    started: float = field(default_factory=time.perf_counter)
    stages: list[tuple[str, float]] = field(default_factory=list)

    def mark(self, stage: str) -> None:
        self.stages.append((stage, time.perf_counter() - self.started))

    def report(self) -> str:
        return " ".join(f"{stage}={seconds:.3f}" for stage, seconds in self.stages)


def run(options: cli.Options) -> int:
    timer = StageTimer()
    app_paths = cli.resolve_paths(options)
    try:
        app_paths.create()
    except OSError as error:
        print(
            _("Error: cannot create the folder {path}: {error}").format(path=error.filename, error=error.strerror),
            file=sys.stderr,
        )
        return cli.EXIT_ERROR
    timer.mark("paths")
    log_file = logs.setup(app_paths.logs, verbose=options.verbose)
    timer.mark("logging")
    loaded = settings.load(app_paths.settings_file)
    language = i18n.install(options.lang or loaded.settings.language)
    choice = cli.choose_database(options, app_paths)
    context = AppContext(app_paths, loaded.settings, choice, language)
    if loaded.problem:
        context.start_up_problems.append(loaded.problem)
    timer.mark("settings")
    problem = display_problem(os.environ, sys.platform)
    if problem:
        print(problem, file=sys.stderr)
        app_paths.remove_if_temporary()
        return cli.EXIT_USAGE
    try:
        return _run_qt(context, options, timer, str(log_file))
    finally:
        if context.database is not None:
            context.database.close()
        app_paths.remove_if_temporary()


def display_problem(environment: Mapping[str, str], platform: str) -> str:
    """Why no window can open here, before Qt aborts the process with a message meant for developers."""
    if not platform.startswith("linux") or environment.get("QT_QPA_PLATFORM"):
        return ""
    if environment.get("DISPLAY") or environment.get("WAYLAND_DISPLAY"):
        return ""
    return _(
        "No graphical display was found (neither DISPLAY nor WAYLAND_DISPLAY is set): the SupportStation window "
        "needs a desktop session. Commands such as `supportstation db upgrade` work without one."
    )


def _run_qt(context: AppContext, options: cli.Options, timer: StageTimer, log_file: str) -> int:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    timer.mark("qt-import")
    application = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(application, QApplication)
    application.setApplicationName("SupportStation")
    application.setOrganizationName("SupportStation")
    application.setApplicationVersion(__import__("supportstation").__version__)
    application.setDesktopFileName("supportstation")
    application.setWindowIcon(QIcon(str(paths.resources() / "icons" / "supportstation.svg")))
    # The window's own close ends the run (see _main), so closing a dialog last never quits by surprise.
    application.setQuitOnLastWindowClosed(False)

    from supportstation.gui import translator
    from supportstation.gui.dialogs.crash_dialog import CrashHandler

    translators = translator.install(application, context.language)
    crash_handler = CrashHandler(log_file)
    crash_handler.install()
    timer.mark("qt-application")

    import qasync

    from supportstation.gui.main_window import MainWindow
    from supportstation.gui.stall_probe import StallProbe

    window = MainWindow(context, paths.resources() / "icons")
    window.show()
    timer.mark("window-shown")
    stall_probe = StallProbe(interval_ms=50, report_over_ms=250, where=True)
    stall_probe.start()
    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(application)) as runner:
            runner.get_loop().set_exception_handler(crash_handler.handle_loop_error)
            return runner.run(_main(window, context, options, timer))
    finally:
        stall_probe.stop()
        crash_handler.uninstall()
        del translators


async def _main(window, context: AppContext, options: cli.Options, timer: StageTimer) -> int:  # type: ignore[no-untyped-def]
    closed = asyncio.get_running_loop().create_future()
    window.closed.connect(lambda: closed.done() or closed.set_result(None))
    window.restart_requested.connect(lambda: _restart(window))
    if options.exit_when_shown:
        print(f"shown {timer.report()}", flush=True)
        return cli.EXIT_OK

    from supportstation.storage import DatabaseError

    try:
        database = await asyncio.to_thread(_open_database, context)
    except DatabaseError as error:
        log.error("Database unavailable: %s", error)
        window.database_failed(str(error))
        if options.exit_when_loaded:
            print(f"failed {error}", flush=True)
            return cli.EXIT_ERROR
        if options.self_test:
            return await _self_test(window, str(error))
    else:
        window.database_ready(database)
        await window.refresh()
        timer.mark("data-loaded")
        if options.self_test:
            return await _self_test(window, None)
    if options.exit_when_loaded:
        print(f"loaded {timer.report()}", flush=True)
        window.save_layout()
        return cli.EXIT_OK

    window.greet()
    if context.is_demo and context.database is not None:
        await _start_stand_ins(window, context)
    try:
        await closed
        await window.remote.close()
    finally:
        if context.stand_ins is not None:
            await asyncio.to_thread(context.stand_ins.stop)
    return cli.EXIT_OK


async def _self_test(window, database_problem: str | None) -> int:  # type: ignore[no-untyped-def]
    """--self-test: the window, the database and the plugins, one line each; exit status 1 when one failed. Installers
    and support run it to tell "it does not start" from "this part does not work"."""
    from supportstation.plugins import PluginState

    problems = []
    shown = window.isVisible()
    print(_("window: {state}").format(state=_("shown") if shown else _("not shown")), flush=True)
    if not shown:
        problems.append(_("the window could not be shown"))
    database = window.context.database
    if database_problem is None and database is not None:
        print(_("database: opened ({url})").format(url=database.display_name), flush=True)
    else:
        print(_("database: failed: {error}").format(error=database_problem), flush=True)
        problems.append(_("the database could not be opened"))
    await window.remote.load_actions()
    plugins = window.remote.registry.all_plugins() if window.remote.registry is not None else []
    for plugin in plugins:
        state = plugin.error if plugin.state is PluginState.FAILED else plugin.state.value
        print(_("plugin {name} {version}: {state}").format(name=plugin.name, version=plugin.version, state=state))
        if plugin.state is PluginState.FAILED:
            problems.append(_("the plugin {name} failed to load").format(name=plugin.name))
    verdict = (
        _("self-test passed")
        if not problems
        else _("self-test failed: {problems}").format(problems="; ".join(problems))
    )
    print(verdict, flush=True)
    return cli.EXIT_OK if not problems else cli.EXIT_ERROR


async def _start_stand_ins(window, context: AppContext) -> None:  # type: ignore[no-untyped-def]
    """The demo's simulated hosts: started in a worker thread, said in the status bar, and the queue reloaded since
    the demo host's address changed. A failure leaves the demo as it is, with the reason logged."""
    from supportstation import demo_hosts

    assert context.database is not None
    try:
        context.stand_ins = await asyncio.to_thread(demo_hosts.start, context.paths, context.database)
    except Exception:
        log.exception("The demo's simulated hosts did not start")
        return
    window.show_stand_ins(context.stand_ins)
    await window.refresh()


def _open_database(context: AppContext):  # type: ignore[no-untyped-def]
    """Runs in a worker thread: connect, migrate, fill the demo if it is new, match the profile to an engineer."""
    from supportstation import demo, storage
    from supportstation.tickets.engineers import ensure_engineer

    choice = context.database_choice
    database = storage.connect(choice.url, backups=context.paths.backups, create_missing=choice.create_missing)
    if choice.demo and demo.is_empty(database):
        demo.populate(database)
    profile = context.settings.profile
    if profile.is_complete:
        with database.session() as session:
            ensure_engineer(session, profile)
    return database


def _restart(window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QProcess

    arguments = list(sys.orig_argv[1:])
    if QProcess.startDetached(sys.executable, arguments):
        window.close()
    else:
        log.error("Could not restart with %s %s", sys.executable, arguments)
