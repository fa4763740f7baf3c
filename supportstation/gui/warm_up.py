"""Loads the code of the screens that are built on first use, in a worker thread, once the window is up.

The window opens fast because a ticket's panels (procedures, report, terminal), the dialogs and the core modules
behind them are imported when first needed. Imported on the GUI thread at that moment, they froze the window on the
first click of a tab: the procedure format's pydantic models, SQLAlchemy's models and the PDF layout took 150-400 ms
in the end-to-end test. A worker thread imports them while the engineer reads the queue; the GUI thread takes the
interpreter back at every switch interval (5 ms) and stays live.

Importing off the GUI thread is nothing new here: the database work runs in worker threads and imports its modules
there. Module-level Qt objects in the GUI package are value types (QColor, QBrush) that any thread may create.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
import threading
import time

log = logging.getLogger(__name__)

PAUSE_S = 0.02
_started: threading.Thread | None = None


def gui_modules() -> list[str]:
    """Every module of the GUI package: importing one imports the core modules it uses."""
    from supportstation import gui

    return [module.name for module in pkgutil.walk_packages(gui.__path__, prefix=f"{gui.__name__}.")]


def import_all(modules: list[str], pause_s: float = 0.0) -> list[str]:
    """Imports each module, pausing `pause_s` after each; returns those that failed (a missing optional dependency
    is found again, and reported, where the module is really needed)."""
    failed = []
    for name in modules:
        if pause_s and name not in sys.modules:
            # Compiling a module without cached bytecode holds the interpreter for all of it: between two modules
            # the GUI thread gets it back, whatever it queued meanwhile.
            time.sleep(pause_s)
        try:
            importlib.import_module(name)
        except Exception:  # a warm-up never stops the app
            log.debug("warm-up: %s not imported", name, exc_info=True)
            failed.append(name)
    return failed


def start() -> threading.Thread:
    """Starts the warm-up once per process; later calls return the same thread."""
    global _started
    if _started is None:
        work = lambda: import_all(gui_modules(), pause_s=PAUSE_S)  # noqa: E731 - a thread's one line
        _started = threading.Thread(target=work, name="warm-up", daemon=True)
        _started.start()
    return _started
