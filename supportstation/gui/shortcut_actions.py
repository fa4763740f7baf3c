"""Keyboard shortcuts: every one is a QAction tagged with the area of the window it belongs to, made from the table
below, so that Help > Keyboard shortcuts lists the very actions the keys trigger, with their real keys.

A shortcut is active while the widget that owns its action is visible (Qt's window context): the keys of a ticket's
Report tab work only on that tab, so two areas never shown together may reuse a key for the same kind of thing
(Ctrl+F searches what is on screen, Ctrl+R runs what is selected, Ctrl+Return answers or adds). Keys avoid what text
fields use (Ctrl+A, Ctrl+K, Ctrl+U…) and digits, which need Shift on a French keyboard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from supportstation.i18n import _

AREA_PROPERTY = "shortcutArea"
Key = QKeySequence.StandardKey | str


class Area(StrEnum):
    WINDOW = "window"
    QUEUE = "queue"
    HOSTS = "hosts"
    TICKET = "ticket"
    REMOTE = "remote"
    PROCEDURES = "procedures"
    REPORT = "report"


def area_title(area: Area) -> str:
    return {
        Area.WINDOW: _("Window"),
        Area.QUEUE: _("Queue"),
        Area.HOSTS: _("Hosts"),
        Area.TICKET: _("Ticket"),
        Area.REMOTE: _("Remote actions"),
        Area.PROCEDURES: _("Procedures"),
        Area.REPORT: _("Report"),
    }[area]


@dataclass(frozen=True)
class Shortcut:
    name: str  # the action's objectName: how tests and the shortcuts dialog recognise it
    area: Area
    text: Callable[[], str]  # called when the action is made, in the interface's language
    keys: tuple[Key, ...]  # a standard key stands for the platform's bindings, a string for itself

    def sequences(self) -> list[QKeySequence]:
        found: list[QKeySequence] = []
        for key in self.keys:
            if isinstance(key, QKeySequence.StandardKey):
                found += QKeySequence.keyBindings(key)
            else:
                found.append(QKeySequence(key))
        # A standard key the platform leaves unbound (Preferences on some desktops) must not leave the action bare.
        return [sequence for sequence in found if not sequence.isEmpty()]


# -- the queue and the hosts ---------------------------------------------------------------------------------------
SEARCH_QUEUE = Shortcut("queue.search", Area.QUEUE, lambda: _("Search the queue"), (QKeySequence.StandardKey.Find,))
OPEN_TICKET = Shortcut("queue.open", Area.QUEUE, lambda: _("Open the selected ticket"), ("Return", "Enter"))
ADD_HOST = Shortcut("hosts.add", Area.HOSTS, lambda: _("Add a host…"), ("Ctrl+N",))
# Del only: the platform's standard Delete adds Ctrl+D on some desktops, where it reads as "duplicate".
REMOVE_HOSTS = Shortcut("hosts.remove", Area.HOSTS, lambda: _("Remove the selected hosts"), ("Del",))
SEARCH_HOSTS = Shortcut("hosts.search", Area.HOSTS, lambda: _("Search the hosts"), (QKeySequence.StandardKey.Find,))
ACT_ON_HOSTS = Shortcut("hosts.act", Area.HOSTS, lambda: _("Act on the selection"), ("Ctrl+Return",))

# -- a ticket's workspace: on every tab of it ------------------------------------------------------------------------
WRITE_NOTE = Shortcut("ticket.write_note", Area.TICKET, lambda: _("Write a note"), ("Ctrl+N",))
ADD_NOTE = Shortcut("ticket.add_note", Area.TICKET, lambda: _("Add note"), ("Ctrl+Return",))
ATTACH_FILE = Shortcut("ticket.attach", Area.TICKET, lambda: _("Attach a file…"), ("Ctrl+Shift+A",))
CHANGE_STATUS = Shortcut("ticket.status", Area.TICKET, lambda: _("Change status"), ("Ctrl+Shift+S",))
ASSIGN_TO_ME = Shortcut("ticket.assign", Area.TICKET, lambda: _("Assign to me"), ("Ctrl+Shift+M",))
START_OR_END = Shortcut("ticket.intervention", Area.TICKET, lambda: _("Start or end intervention"), ("Ctrl+Shift+I",))
PAUSE_OR_RESUME = Shortcut("ticket.pause", Area.TICKET, lambda: _("Pause or resume intervention"), ("Ctrl+Shift+P",))
SHOW_TIMELINE = Shortcut("ticket.timeline", Area.TICKET, lambda: _("Show the timeline and details"), ("Ctrl+Shift+L",))
SHOW_REMOTE = Shortcut("ticket.remote", Area.TICKET, lambda: _("Show the remote actions"), ("Ctrl+Shift+H",))
SHOW_PROCEDURES = Shortcut("ticket.procedures", Area.TICKET, lambda: _("Show the procedures"), ("Ctrl+Shift+O",))
OPEN_REPORT = Shortcut("ticket.report", Area.TICKET, lambda: _("Open the report"), ("Ctrl+Shift+R",))

# -- a host's remote panel, and the fan-out to several hosts -----------------------------------------------------------
CONNECT = Shortcut("remote.connect", Area.REMOTE, lambda: _("Connect"), ("Ctrl+Shift+K",))
SEARCH_ACTIONS = Shortcut("remote.search", Area.REMOTE, lambda: _("Search actions"), (QKeySequence.StandardKey.Find,))
RUN_ACTION = Shortcut("remote.run_action", Area.REMOTE, lambda: _("Run the action"), ("Ctrl+R",))
TYPE_COMMAND = Shortcut("remote.command", Area.REMOTE, lambda: _("Type a command (Enter runs it)"), ("Ctrl+L",))
CANCEL_RUN = Shortcut("remote.cancel", Area.REMOTE, lambda: _("Cancel the run"), ("Ctrl+Shift+X",))
OPEN_TERMINAL = Shortcut("remote.terminal", Area.REMOTE, lambda: _("Open a terminal"), ("Ctrl+Shift+T",))

# -- a ticket's Procedures tab ----------------------------------------------------------------------------------------
START_PROCEDURE = Shortcut("procedures.start", Area.PROCEDURES, lambda: _("Start the procedure"), ("Ctrl+R",))
ANSWER_STEP = Shortcut(
    "procedures.answer", Area.PROCEDURES, lambda: _("Answer, or go to the next step"), ("Ctrl+Return",)
)
STOP_STEP = Shortcut("procedures.stop", Area.PROCEDURES, lambda: _("Stop this step"), ("Ctrl+Shift+X",))

# -- a ticket's Report tab ---------------------------------------------------------------------------------------------
SIGN_REPORT = Shortcut("report.sign", Area.REPORT, lambda: _("Sign…"), ("Ctrl+Shift+G",))
SAVE_PDF = Shortcut("report.pdf", Area.REPORT, lambda: _("Save PDF…"), (QKeySequence.StandardKey.Save,))
PRINT_REPORT = Shortcut("report.print", Area.REPORT, lambda: _("Print…"), (QKeySequence.StandardKey.Print,))
MAIL_REPORT = Shortcut("report.mail", Area.REPORT, lambda: _("E-mail…"), ("Ctrl+Shift+E",))

TICKET_SHORTCUTS = (WRITE_NOTE, ADD_NOTE, ATTACH_FILE, CHANGE_STATUS, ASSIGN_TO_ME, START_OR_END, PAUSE_OR_RESUME,
                    SHOW_TIMELINE, SHOW_REMOTE, SHOW_PROCEDURES, OPEN_REPORT)  # fmt: skip
# Each area's shortcuts, for the areas the window builds only when first needed (a ticket, a remote panel…): the
# shortcuts dialog makes their actions from here, through `make`, until a live one exists.
BUILT_LATER = (
    *TICKET_SHORTCUTS,
    CONNECT, SEARCH_ACTIONS, RUN_ACTION, TYPE_COMMAND, CANCEL_RUN, OPEN_TERMINAL,
    START_PROCEDURE, ANSWER_STEP, STOP_STEP,
    SIGN_REPORT, SAVE_PDF, PRINT_REPORT, MAIL_REPORT,
)  # fmt: skip


# Every shortcut of the table, in the order the shortcuts dialog lists them within their area.
ALL = (SEARCH_QUEUE, OPEN_TICKET, ADD_HOST, REMOVE_HOSTS, SEARCH_HOSTS, ACT_ON_HOSTS, *BUILT_LATER)


def tag(action: QAction, area: Area) -> QAction:
    """Marks an action made elsewhere (a menu's) as a shortcut of `area`, for the shortcuts dialog."""
    action.setProperty(AREA_PROPERTY, str(area))
    return action


def make(
    owner: QWidget,
    shortcut: Shortcut,
    slot: Callable[[], object] | None = None,
    *,
    context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut,
) -> QAction:
    """The shortcut's action on `owner`, active while `owner` is visible (or has the focus, for a widget context)."""
    action = QAction(shortcut.text(), owner)
    action.setObjectName(shortcut.name)
    action.setShortcuts(shortcut.sequences())
    action.setShortcutContext(context)
    tag(action, shortcut.area)
    if slot is not None:
        action.triggered.connect(lambda _checked=False: slot())
    owner.addAction(action)
    return action


def click_if_shown(button: QWidget) -> Callable[[], None]:
    """A slot that clicks the button only when the engineer could: shown and enabled (a shortcut must not do what
    the screen does not offer)."""

    def click() -> None:
        if button.isVisible() and button.isEnabled():
            button.click()  # type: ignore[attr-defined]

    return click
