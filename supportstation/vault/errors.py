"""The vault's exceptions.

Messages name the vault key (the reference the database holds), never the secret: exceptions end up in logs, crash
reports and dialogs. Errors raised while a secret is in hand are built without chaining (`from None`) because the
cause's own message — written by a library that does not know what is secret — would be printed with a traceback.
"""

from __future__ import annotations


class VaultError(Exception):
    """Anything the vault cannot do; the message is user-visible and names the key, never the secret."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class VaultLocked(VaultError):
    """The encrypted-file vault has not been unlocked with the master password yet."""


class SecretNotFound(VaultError):
    """No secret is stored under this key."""


class WrongPassword(VaultError):
    """The master password does not open the encrypted-file vault."""


class VaultTampered(VaultError):
    """An encrypted file failed authentication: it was altered, truncated or swapped with another."""
