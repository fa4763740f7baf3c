"""Sending what waits in the outbox from the window: the password from the vault, the SMTP work in a worker thread.

Two callers: the e-mail dialog of a report (the engineer just pressed Send: the vault may ask for its master
password) and the window's periodic retry (never prompts: a password dialog popping up on its own, every minute,
would be worse than a message that waits; the next Send or "Send now" asks).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from supportstation.context import AppContext

from .vault_access import unlocked_vault

if TYPE_CHECKING:
    from supportstation.reports.outbox import Outbox, PasswordProvider, SendOutcome
    from supportstation.vault import Vault

log = logging.getLogger(__name__)


class MailNotReady(Exception):
    """The outbox cannot be sent now; the message says why (no server set, vault locked or refused, no password)."""


def outbox_of(context: AppContext) -> Outbox:
    from supportstation.i18n import _
    from supportstation.reports.outbox import Outbox

    if context.database is None:
        raise MailNotReady(_("The database is not open yet."))
    return Outbox(context.database)


async def _vault_for_mail(context: AppContext, parent: QWidget | None, *, interactive: bool) -> Vault | None:
    if interactive:
        return await unlocked_vault(context, parent)
    vault = context.vault
    return vault if vault is not None and not vault.locked else None


async def _password_provider(context: AppContext, parent: QWidget | None, *, interactive: bool) -> PasswordProvider:
    """What the outbox calls for the SMTP password; raises MailNotReady when the settings or the vault stop it."""
    from supportstation.i18n import _
    from supportstation.reports.mail import check_settings, password_from_vault

    settings = context.settings.mail
    if not settings.is_configured:
        raise MailNotReady(_("No mail server is set: enter it in Settings, E-mail."))
    await asyncio.to_thread(check_settings, settings)  # it loads the system's CA certificates: 100 ms and more
    if not settings.username:
        return lambda: None
    vault = await _vault_for_mail(context, parent, interactive=interactive)
    if vault is None:
        raise MailNotReady(_("The vault is locked: the mail server's password cannot be read."))
    return lambda: password_from_vault(vault)


async def send_due(context: AppContext, parent: QWidget | None, *, interactive: bool) -> list[SendOutcome]:
    """Sends the messages that are due; [] when none is. Raises MailNotReady or a MailError (settings, password)
    when nothing can be sent now."""
    outbox = outbox_of(context)
    password = await _password_provider(context, parent, interactive=interactive)
    return await outbox.flush(context.settings.mail, password)


async def send_one(context: AppContext, parent: QWidget | None, entry_id: int) -> SendOutcome:
    """Sends one message at once, whatever its back-off (the engineer asked): may prompt for the vault."""
    outbox = outbox_of(context)
    password = await _password_provider(context, parent, interactive=True)
    secret = await asyncio.to_thread(password)  # the vault's keyring may be slow to answer
    return await asyncio.to_thread(outbox.send_one, entry_id, context.settings.mail, lambda: secret)
