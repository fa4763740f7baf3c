"""Secrets: the OS keyring, with an encrypted-file fallback. The database only ever holds references.

vault = open_vault(app_paths)          # the keyring when one works, else encrypted files
if vault.locked:
    vault.unlock(master_password)      # encrypted files only; the first unlock creates the vault
vault.store("host/srv-01/password", "s3cret")
vault.load("host/srv-01/password")     # b"s3cret"
redact(log_text, vault.known_secrets())
"""

from supportstation.vault.errors import SecretNotFound, VaultError, VaultLocked, VaultTampered, WrongPassword
from supportstation.vault.redaction import redact
from supportstation.vault.vault import Vault, open_vault

__all__ = [
    "SecretNotFound",
    "Vault",
    "VaultError",
    "VaultLocked",
    "VaultTampered",
    "WrongPassword",
    "open_vault",
    "redact",
]
