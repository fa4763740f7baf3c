"""`Vault`, the one entry point for secrets, and `open_vault`, which picks the backend for this machine."""

from __future__ import annotations

import logging
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar, overload

from supportstation.i18n import _
from supportstation.paths import AppPaths
from supportstation.vault import redaction
from supportstation.vault.crypto import ScryptParameters
from supportstation.vault.errors import VaultError
from supportstation.vault.file_store import HEADER_FILE, EncryptedFileStore
from supportstation.vault.keyring_store import DEFAULT_INLINE_LIMIT, INDEX_FILE, SERVICE, KeyringStore
from supportstation.vault.store import SecretStore

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 200  # CredentialRef.vault_key is a String(200)
PROBE_KEY = "supportstation-probe"
BackendChoice = Literal["auto", "keyring", "file"]
Text = TypeVar("Text", str, bytes)


class Vault:
    """Secrets by vault key ("host/srv-01/password"). Values are bytes; `store` accepts str and stores it as UTF-8.

    The values the vault has handed out or been given are kept in memory, until `lock`, so `known_secrets` — called
    for every log line or report being redacted — does not have to go back to the keyring each time.
    """

    def __init__(self, store: SecretStore) -> None:
        self._store = store
        self._known: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return f"<Vault {self._store!r}>"

    @property
    def backend_name(self) -> str:
        return self._store.name

    @property
    def needs_password(self) -> bool:
        """Whether the user must give a master password (the encrypted-file fallback) before secrets are usable."""
        return self._store.needs_password

    @property
    def locked(self) -> bool:
        return not self._store.unlocked

    def unlock(self, password: str) -> None:
        """Opens the encrypted-file vault (creating it on first use); raises WrongPassword, a VaultError."""
        self._store.unlock(password)

    def lock(self) -> None:
        self._store.lock()
        self._known.clear()

    def store(self, key: str, secret: bytes | str) -> None:
        _check_key(key)
        if not isinstance(secret, bytes | str):
            raise VaultError(
                _("The secret {key} must be text or bytes, not {kind}.").format(key=key, kind=type(secret).__name__),
                key=key,
            )
        value = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        self._store.put(key, value)
        self._known[key] = value
        log.info("Stored the secret %s (%s)", key, self._store.name)

    def load(self, key: str) -> bytes:
        _check_key(key)
        value = self._store.get(key)
        self._known[key] = value
        return value

    def load_text(self, key: str) -> str:
        value = self.load(key)
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise VaultError(_("The secret {key} is binary, not text.").format(key=key), key=key) from None

    def delete(self, key: str) -> None:
        _check_key(key)
        self._store.remove(key)
        self._known.pop(key, None)
        log.info("Deleted the secret %s (%s)", key, self._store.name)

    def exists(self, key: str) -> bool:
        _check_key(key)
        return self._store.contains(key)

    def keys(self) -> list[str]:
        return self._store.list_keys()

    def known_secrets(self) -> list[str]:
        """Every stored secret that is text, for redaction. A secret that cannot be read is skipped (and logged by
        key): redaction must not fail because one entry is damaged."""
        found = []
        for key in self._store.list_keys():
            value = self._known.get(key)
            if value is None:
                try:
                    value = self.load(key)
                except VaultError as error:
                    log.warning("Cannot read the secret %s for redaction: %s", key, error)
                    continue
            try:
                found.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                continue  # a binary secret cannot appear in text; redact() still takes bytes secrets directly
        return found

    @overload
    def redact(self, value: str) -> str: ...

    @overload
    def redact(self, value: bytes) -> bytes: ...

    def redact(self, value: str | bytes) -> str | bytes:
        return redaction.redact(value, self.known_secrets())


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key.strip():
        raise VaultError(_("A vault key must be a non-empty text."))
    if len(key) > MAX_KEY_LENGTH:
        raise VaultError(
            _("The vault key {key} is longer than {limit} characters.").format(key=key[:40] + "…", limit=MAX_KEY_LENGTH)
        )
    if any(unicodedata.category(character) == "Cc" for character in key):
        raise VaultError(_("The vault key {key} contains control characters.").format(key=ascii(key)), key=key)


def unusable_keyring_reason(backend: KeyringBackend, timeout: float = 5.0) -> str | None:
    """Why this keyring backend cannot hold SupportStation's secrets, or None when it can.

    keyring falls back to its `fail` backend (raises on every call) or `null` backend (silently stores nothing) when
    the platform has no keyring; a Secret Service may also be absent from D-Bus, or locked behind a prompt nobody
    will answer on a headless machine, hence a real read with a time limit.
    """
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return f"keyring backend {type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, chainer.ChainerBackend):
        chained = [item for item in backend.backends if not isinstance(item, fail.Keyring | null.Keyring)]
        if not chained:
            return "keyring's chainer backend has no usable backend"
    outcome: list[str | None] = []

    def probe() -> None:
        try:
            backend.get_password(SERVICE, PROBE_KEY)
            outcome.append(None)
        except Exception as error:  # whatever the backend raises means we cannot use it
            outcome.append(f"{type(error).__name__}: {error}")

    # A daemon thread: a probe stuck on a D-Bus prompt must not keep the application from exiting.
    thread = threading.Thread(target=probe, name="keyring-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        return f"the keyring did not answer within {timeout:g} s"
    return outcome[0]


def open_vault(
    paths: AppPaths,
    *,
    backend: BackendChoice = "auto",
    keyring_backend: KeyringBackend | None = None,
    service: str = SERVICE,
    inline_limit: int = DEFAULT_INLINE_LIMIT,
    scrypt: ScryptParameters | None = None,
    probe_timeout: float = 5.0,
) -> Vault:
    """The vault for these folders: the OS keyring when one works, otherwise the encrypted files (locked until
    `unlock`). `backend` forces one; `keyring_backend` replaces keyring's own choice (tests).

    Once the encrypted files hold the secrets, they stay the vault: a keyring that appears later (a desktop session
    after an SSH one) must not hide them behind an empty keyring. It also spares every command keyring's backend
    discovery, about 0.18 s here."""
    folder: Path = paths.data / "vault"
    if backend == "file" or (backend == "auto" and file_vault_in_use(folder)):
        return Vault(EncryptedFileStore(folder, scrypt=scrypt))
    from keyring import get_keyring
    from keyring.backends import fail, null

    chosen = keyring_backend if keyring_backend is not None else get_keyring()
    if backend == "keyring":
        if isinstance(chosen, fail.Keyring | null.Keyring):
            raise VaultError(_("No system keyring is available on this computer."))
        return Vault(KeyringStore(chosen, folder, service=service, inline_limit=inline_limit))
    reason = unusable_keyring_reason(chosen, probe_timeout)
    if reason is None:
        log.info("Secrets are kept in the system keyring (%s)", type(chosen).__name__)
        return Vault(KeyringStore(chosen, folder, service=service, inline_limit=inline_limit))
    log.info("No usable system keyring (%s): secrets are kept in encrypted files in %s", reason, folder)
    return Vault(EncryptedFileStore(folder, scrypt=scrypt))


def file_vault_in_use(folder: Path) -> bool:
    """The encrypted files were set up (a master password chosen) and the keyring never held a secret."""
    return (folder / HEADER_FILE).is_file() and not (folder / INDEX_FILE).is_file()
