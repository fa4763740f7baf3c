"""The keyboard shortcuts of a ticket's workspace (the keys are in shortcut_actions.py).

The ticket's own actions work on every tab of the workspace; adding a note only while the note is on screen, and
starting a procedure only on the Procedures tab. A key does what its button would, and nothing when the button is
hidden or disabled (no intervention to pause, a ticket still saving).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..shortcut_actions import (
    ADD_NOTE,
    ASSIGN_TO_ME,
    ATTACH_FILE,
    CHANGE_STATUS,
    OPEN_REPORT,
    PAUSE_OR_RESUME,
    SHOW_PROCEDURES,
    SHOW_REMOTE,
    SHOW_TIMELINE,
    START_OR_END,
    START_PROCEDURE,
    WRITE_NOTE,
    click_if_shown,
    make,
)

if TYPE_CHECKING:
    from .ticket_workspace import TicketWorkspace

TIMELINE_PAGE, REMOTE_PAGE, PROCEDURES_PAGE = 0, 1, 2


def add_shortcuts(workspace: TicketWorkspace) -> None:
    make(workspace, WRITE_NOTE, lambda: write_note(workspace))
    make(workspace.note_editor, ADD_NOTE, workspace.add_note)
    make(workspace, ATTACH_FILE, click_if_shown(workspace.attach_button))
    make(workspace, CHANGE_STATUS, lambda: show_status_menu(workspace))
    make(workspace, ASSIGN_TO_ME, click_if_shown(workspace.assign_button))
    make(workspace, START_OR_END, click_if_shown(workspace.intervention_button))
    make(workspace, PAUSE_OR_RESUME, click_if_shown(workspace.pause_button))
    make(workspace, SHOW_TIMELINE, lambda: workspace.pages.setCurrentIndex(TIMELINE_PAGE))
    make(workspace, SHOW_REMOTE, lambda: _if_enabled(workspace, REMOTE_PAGE) and workspace.show_remote())
    make(workspace, SHOW_PROCEDURES, lambda: _if_enabled(workspace, PROCEDURES_PAGE) and workspace.show_procedures())
    make(workspace, OPEN_REPORT, workspace.show_report)
    make(workspace.procedures_page, START_PROCEDURE, lambda: start_procedure(workspace))


def _if_enabled(workspace: TicketWorkspace, page: int) -> bool:
    # Without a remote session (a window opened without one) the Remote and Procedures tabs are disabled.
    return workspace.pages.isTabEnabled(page)


def write_note(workspace: TicketWorkspace) -> None:
    workspace.pages.setCurrentIndex(TIMELINE_PAGE)
    workspace.note_editor.setFocus()


def show_status_menu(workspace: TicketWorkspace) -> None:
    button = workspace.status_button
    if button.isVisible() and button.isEnabled():
        button.showMenu()


def start_procedure(workspace: TicketWorkspace) -> None:
    panel = workspace.procedure_panel
    if panel is not None:
        click_if_shown(panel.start_button)()  # only on the list of procedures, not while a run is shown
