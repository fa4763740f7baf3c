"""The warm-up imports, off the GUI thread, the code of the screens built on first use: every module of the GUI
package imports, and the panels a first click would have loaded are there once it has run."""

from __future__ import annotations

import sys

from supportstation.gui import warm_up


def test_every_gui_module_imports_and_the_first_use_panels_are_loaded(qapp: object) -> None:
    modules = warm_up.gui_modules()
    assert "supportstation.gui.reports.report_panel" in modules
    assert "supportstation.gui.procedures.run_panel" in modules
    thread = warm_up.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert warm_up.import_all(modules) == []
    assert warm_up.start() is thread  # once per process
    for name in ("supportstation.gui.reports.signature_capture", "supportstation.procedures.model"):
        assert name in sys.modules
