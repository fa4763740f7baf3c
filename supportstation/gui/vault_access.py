"""The window's vault: opened once, in a worker thread (probing the keyring can take seconds), and unlocked with
the master password when it is the encrypted-file fallback."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from supportstation.context import AppContext
from supportstation.i18n import _

from .dialog_future import answer
from .messages import warn

if TYPE_CHECKING:
    from supportstation.vault import Vault

log = logging.getLogger(__name__)

_opening: dict[int, asyncio.Future[Vault]] = {}


async def unlocked_vault(context: AppContext, parent: QWidget | None) -> Vault | None:
    """The vault ready to use, or None when the user declined to unlock it or it cannot be opened (said in a
    message). Concurrent callers share one opening and one password prompt."""
    from supportstation.vault import VaultError, open_vault

    if context.vault is None:
        key = id(context)
        opening = _opening.get(key)
        if opening is None:
            opening = asyncio.ensure_future(asyncio.to_thread(open_vault, context.paths))
            _opening[key] = opening
        try:
            vault = await asyncio.shield(opening)
        except VaultError as error:
            warn(parent, _("The vault cannot be opened"), str(error))
            return None
        finally:
            _opening.pop(key, None)
        context.vault = context.vault or vault
    vault = context.vault
    problem = ""
    while vault.locked:
        dialog = QInputDialog(parent)
        dialog.setWindowTitle(_("Unlock the vault"))
        dialog.setLabelText(
            problem
            + _(
                "No system keyring is available: passwords and keys are kept in encrypted files.\n"
                "Master password of the vault (created with it on first use):"
            )
        )
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        if await answer(dialog) != QInputDialog.DialogCode.Accepted:
            return None
        try:
            await asyncio.to_thread(vault.unlock, dialog.textValue())
        except VaultError as error:
            log.info("Vault not unlocked: %s", error)
            problem = str(error) + "\n\n"  # said in the next prompt: a second window would hide behind it
    return vault
