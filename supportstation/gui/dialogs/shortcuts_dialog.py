"""Help > Keyboard shortcuts: every shortcut of the window, by area, read from the QActions themselves so that the list
never says another key than the one that works.

The window's own actions, and those of the parts already on screen (an open ticket, a remote panel), are read
live. A part not built yet (no ticket opened so far) is listed from the table its actions are made from
(shortcut_actions.BUILT_LATER), through the same function, so its texts and keys are the ones it will have.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _

from ..shortcut_actions import ALL, AREA_PROPERTY, BUILT_LATER, Area, area_title, make

# Keys that only some keyboards have (Find, Save, Help, Refresh…), which Qt adds to its standard shortcuts: shown,
# they would hide the key everyone has.
_COMMON_KEYS = {
    Qt.Key.Key_Return,
    Qt.Key.Key_Enter,
    Qt.Key.Key_Delete,
    Qt.Key.Key_Escape,
    Qt.Key.Key_Backspace,
    Qt.Key.Key_Insert,
    Qt.Key.Key_Tab,
    *(Qt.Key(Qt.Key.Key_F1.value + number) for number in range(24)),
}


@dataclass(frozen=True)
class ShortcutRow:
    area: Area
    text: str
    keys: str
    name: str = ""  # the action's objectName, for the actions made from shortcut_actions' table


def shown_keys(action: QAction) -> str:
    """The action's keys as the platform writes them (Ctrl+F; Ctrl+Shift+R), leaving out keys few keyboards have."""
    shown = []
    for sequence in action.shortcuts():
        combination = sequence[0]
        if combination.keyboardModifiers() != Qt.KeyboardModifier.NoModifier or combination.key() in _COMMON_KEYS:
            shown.append(sequence.toString(QKeySequence.SequenceFormat.NativeText))
    return ", ".join(dict.fromkeys(shown))


def _plain(text: str) -> str:
    """A text without its mnemonic marks ("&Refresh" -> "Refresh"; "&&" stands for "&")."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def action_text(action: QAction) -> str:
    """The action's text as the engineer finds it: "View › Queue" for a menu's, so it says where it is."""
    menu = next((owner for owner in action.associatedObjects() if isinstance(owner, QMenu)), None)
    text = _plain(action.text())
    return f"{_plain(menu.title())} › {text}" if menu is not None else text


def collect_shortcuts(window: QWidget) -> list[ShortcutRow]:
    """Every tagged action of the window that has a key, each once, by area (in the areas' order)."""
    found: dict[str, tuple[Area, QAction]] = {}
    for action in window.findChildren(QAction):
        area = action.property(AREA_PROPERTY)
        if not area or action.shortcut().isEmpty():
            continue
        # Every open ticket has the same actions: named actions are listed once, the first one standing for all.
        found.setdefault(action.objectName() or f"{area}/{action_text(action)}", (Area(area), action))
    rows = [
        ShortcutRow(area, action_text(action), shown_keys(action), action.objectName())
        for area, action in found.values()
    ]
    scratch = QWidget()  # the owner of the not-yet-built parts' actions, for as long as they are read
    try:
        for shortcut in BUILT_LATER:
            if shortcut.name not in found:
                action = make(scratch, shortcut)
                rows.append(ShortcutRow(shortcut.area, action_text(action), shown_keys(action), shortcut.name))
    finally:
        scratch.deleteLater()
    areas, names = list(Area), {shortcut.name: index for index, shortcut in enumerate(ALL)}
    # By area, then as the table lists them; the window's menu actions (unnamed) keep the menus' order.
    return sorted(rows, key=lambda row: (areas.index(row.area), names.get(row.name, -1)))


class ShortcutsDialog(QDialog):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle(_("Keyboard shortcuts"))
        self.filter = QLineEdit()
        self.filter.setObjectName("shortcutFilter")
        self.filter.setPlaceholderText(_("Filter by action or key…"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.apply_filter)
        self.tree = QTreeWidget()
        self.tree.setObjectName("shortcutTree")
        self.tree.setHeaderLabels([_("Action"), _("Shortcut")])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        hint = QLabel(
            _(
                "A shortcut works while its area is on screen: a ticket's keys in the ticket's tab, the report's on "
                "its Report tab, the remote actions' in a remote panel."
            )
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #5f6b7a")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.rows = collect_shortcuts(window)
        self._fill()
        self.resize(620, 640)
        self.filter.setFocus()

    def _fill(self) -> None:
        groups: dict[Area, QTreeWidgetItem] = {}
        for row in self.rows:
            group = groups.get(row.area)
            if group is None:
                group = groups[row.area] = QTreeWidgetItem(self.tree, [area_title(row.area)])
                group.setFirstColumnSpanned(True)
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setExpanded(True)
            item = QTreeWidgetItem(group, [row.text, row.keys])
            item.setData(0, Qt.ItemDataRole.UserRole, row)

    def apply_filter(self, text: str = "") -> None:
        """Shows the shortcuts whose action, key or area contains every word typed (without regard to case)."""
        words = text.casefold().split()
        for index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(index)
            shown = 0
            for child_index in range(group.childCount()):
                item = group.child(child_index)
                haystack = " ".join((group.text(0), item.text(0), item.text(1))).casefold()
                matches = all(word in haystack for word in words)
                item.setHidden(not matches)
                shown += matches
            group.setHidden(shown == 0)

    def visible_rows(self) -> list[ShortcutRow]:
        """The rows the filter leaves on screen, in their order."""
        shown = []
        for index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(index)
            for child_index in range(group.childCount()):
                item = group.child(child_index)
                if not group.isHidden() and not item.isHidden():
                    shown.append(item.data(0, Qt.ItemDataRole.UserRole))
        return shown
