"""The left side of the hosts view: every client, each with its sites, and how many hosts each holds.

Choosing an item narrows the inventory to that client or site; a refresh keeps the choice when it still exists.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from supportstation.i18n import _
from supportstation.remote.inventory import HostRow

# (client, site): None for "every", "" for "no site".
Scope = tuple[str | None, str | None]
EVERYTHING: Scope = (None, None)


class ScopeTree(QTreeWidget):
    chosen = Signal(object)  # a Scope

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("hostScopes")
        self.setHeaderHidden(True)
        self.setMinimumWidth(200)
        self.currentItemChanged.connect(self._current_changed)

    def fill(self, rows: Sequence[HostRow], kept: Scope) -> Scope:
        """Rebuilds the tree from the rows; returns the scope now chosen (`kept`, or everything if it is gone)."""
        counts: dict[str, dict[str, int]] = {}
        for row in rows:
            sites = counts.setdefault(row.client, {})
            sites[row.site] = sites.get(row.site, 0) + 1
        self.blockSignals(True)
        self.clear()
        root = self._item(_("All clients ({count})").format(count=len(rows)), EVERYTHING)
        self.addTopLevelItem(root)
        current = root
        for client in sorted(counts, key=str.lower):
            sites = counts[client]
            client_item = self._item(f"{client} ({sum(sites.values())})",
                                     (client, None))  # fmt: skip
            client_item.setToolTip(0, client)
            root.addChild(client_item)
            current = client_item if kept == (client, None) else current
            for site in sorted(sites, key=str.lower):
                name = site or _("(no site)")
                site_item = self._item(f"{name} ({sites[site]})", (client, site))
                client_item.addChild(site_item)
                current = site_item if kept == (client, site) else current
        root.setExpanded(True)
        if current.parent() is not None:
            current.parent().setExpanded(True)
        self.setCurrentItem(current)
        self.blockSignals(False)
        return current.data(0, Qt.ItemDataRole.UserRole)

    @staticmethod
    def _item(text: str, scope: Scope) -> QTreeWidgetItem:
        item = QTreeWidgetItem([text])
        item.setData(0, Qt.ItemDataRole.UserRole, scope)
        return item

    def _current_changed(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        self.chosen.emit(item.data(0, Qt.ItemDataRole.UserRole) if item is not None else EVERYTHING)
