"""The keyboard shortcuts of a host's remote panel and of the fan-out (the keys are in shortcut_actions.py).

Each works while its panel is on screen, and does what its button would: nothing when the button is hidden or
disabled (no action chosen, a run already going). The output's own Ctrl+F (search the output) wins while the output
has the focus; elsewhere Ctrl+F searches the actions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLineEdit

from ..shortcut_actions import (
    CANCEL_RUN,
    CONNECT,
    OPEN_TERMINAL,
    RUN_ACTION,
    SEARCH_ACTIONS,
    TYPE_COMMAND,
    click_if_shown,
    make,
)

if TYPE_CHECKING:
    from .fanout_view import FanOutView
    from .remote_panel import RemotePanel

RUN_PAGE = 0  # the panel's "Actions and commands" tab


def add_panel_shortcuts(panel: RemotePanel) -> None:
    make(panel, CONNECT, click_if_shown(panel.connect_button))
    make(panel, SEARCH_ACTIONS, lambda: _on_run_page(panel) and _focus(panel.library.search))
    make(panel, RUN_ACTION, click_if_shown(panel.library.run_button))
    make(panel, TYPE_COMMAND, lambda: _on_run_page(panel) and _focus(panel.command_box.line))
    make(panel, CANCEL_RUN, panel.cancel)  # wherever the engineer is in the panel: the run is stopped
    make(panel, OPEN_TERMINAL, click_if_shown(panel.terminal_button))


def add_fan_out_shortcuts(view: FanOutView) -> None:
    def show(page: object) -> bool:
        view.what.setCurrentWidget(page)  # type: ignore[arg-type]
        return True

    make(view, SEARCH_ACTIONS, lambda: show(view.library) and _focus(view.library.search))
    make(view, RUN_ACTION, click_if_shown(view.library.run_button))
    make(view, TYPE_COMMAND, lambda: show(view.command_box) and _focus(view.command_box.line))
    make(view, CANCEL_RUN, view.cancel)


def _on_run_page(panel: RemotePanel) -> bool:
    panel.pages.setCurrentIndex(RUN_PAGE)
    return True


def _focus(line: QLineEdit) -> bool:
    if not line.isEnabled():  # no host chosen, or one this panel cannot reach
        return False
    line.setFocus()
    line.selectAll()
    return True
