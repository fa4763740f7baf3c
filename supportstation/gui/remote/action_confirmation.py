"""The question an action that changes something asks before it runs (Action.confirm), shared by the remote panel
and the fan-out view."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

from supportstation.i18n import _

from ..dialog_future import answer

if TYPE_CHECKING:
    from supportstation.plugin_api.actions import Action


async def confirmed(
    action: Action, host_label: str, parent: QWidget, translate: Callable[[object, str], str] | None = None
) -> bool:
    """Asks the action's question (a power cycle, a VLAN change…) before it runs; True for an action without one.
    `translate` gives the plugin's strings in the interface's language (RemoteSession.plugin_text)."""
    if not action.confirm:
        return True
    words = translate or (lambda _item, message: _(message))
    box = QMessageBox(
        QMessageBox.Icon.Question,
        words(action, action.title),
        words(action, action.confirm),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        parent,
    )
    box.setInformativeText(_("Host: {host}").format(host=host_label))
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setObjectName("action-confirmation")
    return await answer(box) == QMessageBox.StandardButton.Yes
